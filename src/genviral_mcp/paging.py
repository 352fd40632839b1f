"""Pages of posts: one page with an exact next-page bound, or every post of one status walked backwards.

The API has no cursor. The only way back is ``until`` set to the oldest ``created_at`` seen,
and that bound is inclusive. So a full page holds back its oldest posts (those sharing the
oldest ``created_at``, usually one) and points ``until`` at that instant: following it
neither repeats a post nor skips one that shares the boundary instant.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from genviral_mcp.client import PostsClient
from genviral_mcp.config import ApiKey
from genviral_mcp.errors import UpstreamError
from genviral_mcp.models import Post, ScopeSummary
from genviral_mcp.query import MAX_LIMIT, FilterStatus, PostsQuery, WalkLimits
from genviral_mcp.timestamps import parse_iso

#: The API's timestamps have millisecond precision.
_TICK = timedelta(milliseconds=1)


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


def split_page(posts: list[Post], limit: int) -> tuple[list[Post], datetime | None]:
    """Cut an answer fetched with ``limit + 1`` (or a full page of 100) to a page and its next bound.

    The extra post, when there is one, tells whether more posts share the oldest instant on the
    page. If none do, the next page starts just before that instant. If some do, or there is no
    extra post to tell (a page of 100, the API's maximum), the posts at the oldest instant are held
    back and the next page starts at that instant, inclusive.
    """
    if len(posts) < limit or not posts:
        return posts, None
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


async def fetch_page(client: PostsClient, query: PostsQuery, key: ApiKey) -> Page:
    """One page of ``query.limit`` posts, asking for one more to place the next page exactly."""
    data = await client.fetch(replace(query, limit=min(query.limit + 1, MAX_LIMIT)), key)
    posts, next_until = split_page(data.posts, query.limit)
    return Page(posts=posts, scope=data.summary, next_until=next_until, overflow=data.overflow)


@dataclass
class StatusWalk:
    """The posts of one status (created at or before ``until``), newest first: all, or as far as a
    bound let the walk get."""

    status: str
    until: datetime | None = None
    posts: list[Post] = field(default_factory=list)
    scope: ScopeSummary | None = None
    requests: int = 0
    #: True when every matching post was seen: a short page, or the scope counter reached.
    complete: bool = False
    #: Why the walk stopped before it was complete: a bound, a repeating upstream, or a failure.
    stopped: str | None = None
    error: UpstreamError | None = None

    @property
    def expected(self) -> int | None:
        """The scope counter for this status; ``retry`` has none (it is not a lifecycle bucket)."""
        return self.scope.by_status.get(self.status) if self.scope is not None else None

    @property
    def oldest_created(self) -> datetime | None:
        return created(self.posts[-1]) if self.posts else None


async def walk_status(
    client: PostsClient,
    key: ApiKey,
    status: FilterStatus,
    limits: WalkLimits,
    *,
    until: datetime | None = None,
    started: float | None = None,
) -> StatusWalk:
    """Page back through the posts of one status until all are seen or a bound stops the walk.

    It stops when a page is short, when the scope counter for the status is reached, after
    ``limits.max_pages`` pages, on the time budget, or when Genviral sends no post it has not sent
    before (twice: once more just past the boundary instant, in case a page's worth of posts share
    it). A failed page ends the walk with what it has and the error; it is never raised.
    """
    walk = StatusWalk(status=status, until=until)
    seen: set[str] = set()
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
        walk.scope = walk.scope or data.summary
        fresh = [post for post in data.posts if post.id not in seen]
        seen.update(post.id for post in fresh)
        walk.posts.extend(fresh)
        expected = walk.expected
        if len(data.posts) < query.limit or (expected is not None and len(seen) >= expected):
            walk.complete = True
            return walk
        oldest = created(data.posts[-1])
        stale_pages = 0 if fresh else stale_pages + 1
        if oldest is None or stale_pages >= 2:
            walk.stopped = "repeating"
            return walk
        if walk.requests >= limits.max_pages:
            walk.stopped = "page_cap"
            return walk
        if time.monotonic() - started > limits.budget_seconds:
            walk.stopped = "time_budget"
            return walk
        query = query.older_than(oldest - _TICK if stale_pages else oldest)
