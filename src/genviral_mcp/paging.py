"""Pages of posts: one page with an exact next-page bound, or every post of one status walked backwards.

The API has no cursor. The only way back is ``until`` set to the oldest ``created_at`` seen,
and that bound is inclusive. So a full page holds back its oldest posts (those sharing the
oldest ``created_at``, usually one) and points ``until`` at that instant: following it
neither repeats a post nor skips one that shares the boundary instant.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from genviral_mcp.allowance import Allowance
from genviral_mcp.client import PostsClient
from genviral_mcp.config import ApiKey
from genviral_mcp.errors import UpstreamError
from genviral_mcp.models import Brief, Post, ScopeSummary
from genviral_mcp.query import MAX_LIMIT, FilterStatus, PostsQuery, WalkLimits
from genviral_mcp.timestamps import parse_iso

#: The API's timestamps have millisecond precision.
_TICK = timedelta(milliseconds=1)
#: The lifecycle buckets ``summary.by_status`` counts (a missing one counts 0); ``retry`` and the
#: provider statuses (``deleted``, ``void``, …) it does not count at all.
COUNTED_STATUSES = frozenset({"draft", "pending", "scheduled", "posted", "partial", "failed"})


def created(post: Post) -> datetime | None:
    return parse_iso(post.created_at)


@dataclass(frozen=True)
class Page:
    posts: list[Post]
    scope: ScopeSummary
    #: Pass as ``until`` to get the next page; ``None`` when the page was not full.
    next_until: datetime | None
    #: Posts a broken upstream sent beyond the ``limit + 1`` asked for, dropped unread.
    overflow: int = 0
    #: Set when every post on the page was created at this one instant and more may share it:
    #: the API cannot page within an instant, so ``next_until`` steps past the ones not shown.
    crowded: datetime | None = None
    #: The size of the body the page came in (a large one is shaped off the event loop).
    body_bytes: int = 0


def split_page(posts: list[Post], limit: int, asked: int | None = None) -> tuple[list[Post], datetime | None]:
    """Cut an answer to ``asked`` posts (``limit + 1``, or ``limit`` at the API's maximum of 100) to
    a page and its next bound.

    Fewer posts than asked for means Genviral had no more: no next page, even when exactly ``limit``
    matched. The extra post, when there is one, tells whether more posts share the oldest instant
    on the page. If none do, the next page starts just before that instant. If some do, or there is
    no extra post to tell (a full page of 100), the posts at the oldest instant are held back and the
    next page starts at that instant, inclusive.
    """
    asked = min(limit + 1, MAX_LIMIT) if asked is None else asked
    if len(posts) < asked or not posts:
        return posts[:limit], None
    page, extra = posts[:limit], posts[limit:]
    oldest = created(page[-1])
    if oldest is None:
        return page, None
    if extra and created(extra[0]) != oldest:
        return page, oldest - _TICK
    # Newest first, so the posts at the oldest instant are the page's tail.
    cut = len(page) - 1
    while cut > 0 and created(page[cut - 1]) == oldest:
        cut -= 1
    if cut == 0:  # the whole page shares one instant: step past it rather than loop forever
        return page, oldest - _TICK
    return page[:cut], oldest


def _crowded(posts: list[Post], instant: datetime) -> bool:
    return all(created(post) == instant for post in posts)


async def fetch_page(client: PostsClient, query: PostsQuery, key: ApiKey) -> Page:
    """One page of ``query.limit`` posts, asking for one more to place the next page exactly."""
    asked = min(query.limit + 1, MAX_LIMIT)
    data = await client.fetch(replace(query, limit=asked), key)
    posts, next_until = split_page(data.posts, query.limit, asked)
    oldest = created(posts[-1]) if posts else None
    crowded = (
        next_until is not None
        and oldest is not None
        and _crowded(posts, oldest)
        and (len(data.posts) <= query.limit or created(data.posts[query.limit]) == oldest)
    )
    return Page(
        posts=posts,
        scope=data.summary,
        next_until=next_until,
        overflow=data.overflow,
        crowded=oldest if crowded else None,
        body_bytes=data.body_bytes,
    )


@dataclass(frozen=True)
class Crowd:
    """A full page of posts all created at one instant: the API cannot page within an instant, so
    any more posts created then were not read (``read`` were)."""

    instant: datetime
    read: int


@dataclass
class StatusWalk:
    """The posts of one status (or, with ``status=None``, of every status), created at or before
    ``until``, newest first: all, or as far as a bound let the walk get."""

    status: str | None
    until: datetime | None = None
    #: The posts kept (a walk over every status keeps only those its ``keep`` accepts): whole, or
    #: (those its ``brief`` reduces) as briefs, only counted.
    posts: list[Post] = field(default_factory=list)
    briefs: list[Brief] = field(default_factory=list)
    #: Bytes of the pages read (what ``limits.max_read_bytes`` bounds).
    read_bytes: int = 0
    #: Posts read, kept or not, and the oldest creation instant among them.
    examined: int = 0
    oldest_examined: datetime | None = None
    scope: ScopeSummary | None = None
    requests: int = 0
    #: True once a short page was read: the walk reached the oldest matching post.
    reached_end: bool = False
    #: Instants the walk had to step past with posts possibly left unread.
    crowds: list[Crowd] = field(default_factory=list)
    #: Why the walk stopped before the end: a bound, a repeating upstream, or a failure.
    stopped: str | None = None
    error: UpstreamError | None = None
    #: When the survey's memory bound stopped it (``stopped == "kept_cap"``): which bound, in words.
    kept_cap: str | None = None

    @property
    def complete(self) -> bool:
        """Every matching post was read: the end was reached and no instant was stepped past."""
        return self.reached_end and not self.crowds

    @property
    def found(self) -> int:
        """Posts kept, whole or as briefs."""
        return len(self.posts) + len(self.briefs)

    def kept(self) -> list[Post | Brief]:
        return [*self.posts, *self.briefs]

    @property
    def name(self) -> str:
        return self.status or "all statuses"

    @property
    def expected(self) -> int | None:
        """Genviral's counter for what this walk reads (``total`` for every status); ``retry``
        has none (it is not a lifecycle bucket). It sizes the work; the walk never stops at it."""
        if self.scope is None:
            return None
        if self.status is None:
            return self.scope.total
        if self.status in self.scope.by_status:
            return self.scope.by_status[self.status]
        return 0 if self.status in COUNTED_STATUSES else None


async def walk_status(
    client: PostsClient,
    key: ApiKey,
    status: FilterStatus | None,
    limits: WalkLimits,
    *,
    until: datetime | None = None,
    started: float | None = None,
    keep: Callable[[Post], bool] | None = None,
    allowance: Allowance | None = None,
    brief: Callable[[Post], Brief | None] | None = None,
) -> StatusWalk:
    """Page back through the posts of one status (``None``: every status) until a short page.

    The scope counter is never a reason to stop: counters lag, and a walk that stopped at one
    would miss what it does not count. The walk stops early after ``limits.max_pages`` pages, on
    the time budget, when Genviral sends no post it has not sent before (twice: once more just
    past the boundary instant, in case a page's worth of posts share it; such an instant is
    recorded in ``crowds``, since the posts beyond that page cannot be reached), or when
    ``allowance`` (the walk's share of what the survey may keep) is used up: the posts after the
    first one refused count as not examined. A failed page ends the walk with what it has and the
    error; it is never raised. ``brief`` reduces each post it can to a brief (``None``: keep it
    whole); such a walk pages up to ``limits.max_pages_counted``. Either way the walk stops once it
    has read ``limits.max_read_bytes``.
    """
    walk = StatusWalk(status=status, until=until)
    seen: dict[str, datetime | None] = {}  # post id -> its creation instant
    started = time.monotonic() if started is None else started
    query = PostsQuery(status=status, limit=MAX_LIMIT, until=until)
    stale_pages = 0
    while True:
        try:
            data = await client.fetch(query, key)
        except UpstreamError as exc:
            walk.error, walk.stopped = exc, "failed"
            return walk
        walk.requests += 1
        walk.read_bytes += data.body_bytes
        walk.scope = walk.scope or data.summary
        fresh = [post for post in data.posts if post.id not in seen]
        wanted = fresh if keep is None else [post for post in fresh if keep(post)]
        reduced: list[Post | Brief] = [(brief(post) if brief else None) or post for post in wanted]
        kept = reduced if allowance is None else allowance.admit(reduced, data.body_bytes, len(data.posts))
        if len(kept) < len(wanted):  # the survey's memory bound: from the first refused, not examined
            fresh = fresh[: fresh.index(wanted[len(kept)])]
        seen.update((post.id, created(post)) for post in fresh)
        walk.examined = len(seen)
        walk.posts.extend(post for post in kept if isinstance(post, Post))
        walk.briefs.extend(post for post in kept if isinstance(post, Brief))
        if len(kept) < len(wanted):
            walk.oldest_examined = created(fresh[-1]) if fresh else walk.oldest_examined
            walk.stopped, walk.kept_cap = "kept_cap", allowance.reached if allowance else None
            return walk
        walk.oldest_examined = created(data.posts[-1]) if data.posts else walk.oldest_examined
        if len(data.posts) < query.limit:
            walk.reached_end = True
            return walk
        oldest = created(data.posts[-1])
        stale_pages = 0 if fresh else stale_pages + 1
        if oldest is None or stale_pages >= 2:
            walk.stopped = "repeating"
            return walk
        if walk.requests >= (limits.max_pages if brief is None else limits.max_pages_counted):
            walk.stopped = "page_cap"
            return walk
        if walk.read_bytes >= limits.max_read_bytes:
            walk.stopped = "read_cap"
            return walk
        if time.monotonic() - started > limits.budget_seconds:
            walk.stopped = "time_budget"
            return walk
        if stale_pages and _crowded(data.posts, oldest):
            walk.crowds.append(Crowd(oldest, sum(1 for instant in seen.values() if instant == oldest)))
        query = query.older_than(oldest - _TICK if stale_pages else oldest)
