"""The whole key scope, surveyed for a summary: every post that can need a human or go out soon,
and the published posts that can have gone out in a window, fetched concurrently.

The API filters only by status and creation time. One walk per status, paged back to a short page,
sees every post of that status whatever its creation time. A post is created before it is
published, so walking ``posted`` and ``partial`` posts back from the end of a publish window finds
every post published in it, as far back as the walk's bounds reach; the result says how far that was.

With ``changed_since`` a summary shows only news, and upcoming posts: every other post is kept as a
:class:`~genviral_mcp.models.Brief`, only counted, so its walks can go further back in the same
memory (``WalkLimits.max_pages_counted``).

Posts whose status mirrors the provider (``deleted``, ``void``, …) no filter reaches, yet they can
hold live deliveries. Genviral's counters say whether any exist: ``total`` minus what ``by_status``
counts minus the ``retry`` posts found (``by_status`` has no ``retry``). When that is positive, a
walk over every status looks for them; when the counters do not add up, whether any exist is
unknown, and the summary says so rather than guess.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import anyio

from genviral_mcp.accounts import AccountDirectory, AccountLabels
from genviral_mcp.allowance import Allowance
from genviral_mcp.analytics import AnalyticsDirectory, AnalyticsView
from genviral_mcp.client import PostsClient
from genviral_mcp.config import ApiKey
from genviral_mcp.models import Brief, Post, ScopeSummary
from genviral_mcp.paging import StatusWalk, walk_status
from genviral_mcp.query import FILTER_STATUSES, FilterStatus, WalkLimits
from genviral_mcp.timestamps import parse_iso

#: Posts that can need a human (failed, partial, retry) or go out soon or late (pending, scheduled).
ATTENTION_WALKS: tuple[FilterStatus, ...] = ("failed", "partial", "retry", "pending", "scheduled")
#: Posts that can hold deliveries published in a window (``partial`` is walked once, for both).
PUBLISHED_WALKS: tuple[FilterStatus, ...] = ("posted",)

#: How far along its life a post's status is: when two walks saw one post (it changed status
#: between them), the most advanced copy is the newer one. Statuses that mirror the provider
#: (``deleted``, ``void``, …) are set after delivery, so they rank above all of these.
_PROGRESS = {"draft": 0, "pending": 1, "scheduled": 1, "failed": 2, "retry": 2, "partial": 3, "posted": 4}
_PROVIDER_STATUS = 5
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

#: ``(walks done, walks in all)``, awaited as each walk ends.
Progress = Callable[[int, int], Awaitable[None]]


def other_status(post: Post) -> bool:
    """A status no filter reaches (``deleted``, ``void``, …)."""
    return post.status not in FILTER_STATUSES


def latest(post: Post) -> datetime:
    """Its latest delivery timestamp, published or attempted (the epoch when it has none)."""
    stamps = [
        parse_iso(stamp)
        for delivery in post.deliveries
        for stamp in (delivery.published_at, delivery.last_attempted_at)
    ]
    return max((stamp for stamp in stamps if stamp is not None), default=_EPOCH)


def _advanced(post: Post | Brief) -> tuple[int, datetime]:
    """``(how advanced its status is, its latest delivery timestamp)``: the larger copy wins."""
    rank = _PROGRESS.get(post.status or "", _PROVIDER_STATUS) if post.status else -1
    return rank, post.latest if isinstance(post, Brief) else latest(post)


def briefer(shown: Callable[[Post], bool]) -> Callable[[Post], Brief | None]:
    """A walk's ``brief``: each post the summary cannot show, reduced to a brief."""

    def brief(post: Post) -> Brief | None:
        return None if shown(post) else Brief.of(post, latest(post))

    return brief


@dataclass
class OtherStatuses:
    """What the survey knows of posts with statuses Genviral's counters leave out (beyond ``retry``)."""

    #: ``total − Σ by_status − retry posts found``; ``None`` when the counters cannot say.
    expected: int | None
    #: Why ``expected`` is ``None``: the counters' own figures, for the result to quote.
    unknown_because: str | None = None
    #: The walk over every status, when ``expected`` was positive.
    walk: StatusWalk | None = None

    @property
    def found(self) -> Counter[str]:
        """Posts with other statuses found, by status."""
        return Counter(post.status or "none" for post in self.walk.kept()) if self.walk else Counter()

    @property
    def complete(self) -> bool:
        """Every such post was examined (or the counters say there are none)."""
        if self.expected is None:
            return False
        return self.expected <= 0 or (self.walk is not None and self.walk.complete)


def other_statuses(scope: ScopeSummary | None, retry: StatusWalk | None) -> OtherStatuses:
    """Whether posts with statuses ``by_status`` does not count (deleted, void, …) exist."""
    if scope is None or scope.total is None:
        return OtherStatuses(None, "Genviral sent no total_posts counter")
    counted = sum(value for value in scope.by_status.values() if isinstance(value, int))
    retry_found = retry.found if retry is not None and "retry" not in scope.by_status else 0
    expected = scope.total - counted - retry_found
    if expected < 0:
        return OtherStatuses(
            None,
            f"Genviral's counters do not add up: total_posts {scope.total} is less than the {counted} "
            f"posts_by_status counts plus the {retry_found} retry posts found",
        )
    return OtherStatuses(expected)


@dataclass
class Survey:
    walks: list[StatusWalk] = field(default_factory=list)
    labels: AccountLabels = field(default_factory=AccountLabels)
    others: OtherStatuses = field(default_factory=lambda: OtherStatuses(None, "not surveyed"))
    #: Genviral's analytics for the publish window, when the caller fetched them (an enrichment).
    analytics: AnalyticsView | None = None
    #: When the walks ended (``anyio.current_time()``): enrichments are waited for from then.
    posts_in_at: float = 0.0

    @property
    def scope(self) -> ScopeSummary | None:
        return next((walk.scope for walk in self.all_walks() if walk.scope is not None), None)

    @property
    def requests(self) -> int:
        return sum(walk.requests for walk in self.all_walks())

    def all_walks(self) -> list[StatusWalk]:
        """The status walks and, when there was one, the walk over every status."""
        return self.walks + ([self.others.walk] if self.others.walk is not None else [])

    def posts(self) -> tuple[list[Post], list[Brief]]:
        """Every post gathered, once: those kept whole, and the briefs. A post can change status
        between two walks' pages: the copy with the most advanced status wins (posted > partial >
        failed/retry > pending/scheduled), then the one with the latest delivery timestamp, whole
        or brief."""
        unique: dict[str, Post | Brief] = {}
        for walk in self.all_walks():
            for post in walk.kept():
                current = unique.get(post.id)
                if current is None or _advanced(post) > _advanced(current):
                    unique[post.id] = post
        whole = [post for post in unique.values() if isinstance(post, Post)]
        return whole, [post for post in unique.values() if isinstance(post, Brief)]

    def walk(self, status: str) -> StatusWalk | None:
        return next((walk for walk in self.walks if walk.status == status), None)

    def own_counts(self) -> dict[str, tuple[int, bool]]:
        """``status -> (posts found, exact)`` for what Genviral does not count (``retry``, and
        ``deleted``, ``void``, … when they were walked), and for any status whose counter differs
        from the posts a complete walk found."""
        counts: dict[str, tuple[int, bool]] = {}
        for walk in self.walks:
            if walk.status is None or walk.until is not None or (walk.scope is None and walk.error):
                continue
            if walk.expected is None:
                counts[walk.status] = (walk.found, walk.complete)
            elif walk.complete and walk.found != walk.expected:
                counts[walk.status] = (walk.found, True)
        complete = self.others.walk is not None and self.others.walk.complete
        for status, found in sorted(self.others.found.items()):
            counts[status] = (found, complete)
        return counts


async def survey_scope(
    client: PostsClient,
    directory: AccountDirectory,
    key: ApiKey,
    published_until: datetime,
    limits: WalkLimits,
    progress: Progress | None = None,
    shown: Callable[[Post], bool] | None = None,
) -> Survey:
    """Run every walk and the account lookup at once; failures stay inside their walk.

    The walk over every status starts once the ``retry`` walk has ended (its count is part of the
    arithmetic), and only when the counters say posts with other statuses exist.
    ``progress(walks done, walks in all)`` is awaited as each walk ends, so a host can show that a
    long survey is moving. With ``shown`` (a summary with ``changed_since``), every post it rejects
    is kept as a brief, only counted.
    """
    survey = Survey()
    started = time.monotonic()
    plan: list[tuple[FilterStatus, datetime | None]] = [(status, None) for status in ATTENTION_WALKS]
    # ``partial`` is walked in full above, which also covers its publish window.
    plan += [(status, published_until) for status in PUBLISHED_WALKS]
    results: list[StatusWalk | None] = [None] * len(plan)
    retry_done = anyio.Event()
    walked = anyio.Event()  # every walk of the plan has ended
    planned = [len(plan)]
    done = [0]
    brief = briefer(shown) if shown is not None else None

    def share() -> Allowance:
        """A walk's share of what the survey keeps (the walk over every status, when it runs, too)."""
        return Allowance.share(limits, len(plan) + 1)

    async def ended() -> None:
        done[0] += 1
        if progress is not None:
            await progress(done[0], planned[0])

    async def run(index: int, status: FilterStatus, until: datetime | None) -> None:
        results[index] = await walk_status(
            client, key, status, limits, until=until, started=started, allowance=share(), brief=brief
        )
        if status == "retry":
            retry_done.set()
        if all(walk is not None for walk in results):
            walked.set()
        await ended()

    async def other_walk() -> None:
        await retry_done.wait()
        retry = next(walk for walk in results if walk is not None and walk.status == "retry")
        scope = retry.scope or next((walk.scope for walk in results if walk and walk.scope), None)
        if scope is None:  # the retry walk read no page: another walk's counters will do, once in
            await walked.wait()
            scope = next((walk.scope for walk in results if walk and walk.scope), None)
        survey.others = other_statuses(scope, retry)
        if survey.others.expected:
            planned[0] += 1
            survey.others.walk = await walk_status(
                client, key, None, limits, started=started, keep=other_status, allowance=share(), brief=brief
            )
            await ended()

    async def walk_all() -> None:
        async with anyio.create_task_group() as group:
            for index, (status, until) in enumerate(plan):
                group.start_soon(run, index, status, until)
            group.start_soon(other_walk)

    def gathered(_: None) -> list[Post | Brief]:
        survey.posts_in_at = anyio.current_time()
        return [post for walk in [*results, survey.others.walk] if walk is not None for post in walk.kept()]

    _, survey.labels = await directory.alongside(client, key, walk_all, gathered, activity=True)
    survey.walks = [walk for walk in results if walk is not None]
    return survey


async def survey_with_analytics(
    client: PostsClient,
    directory: AccountDirectory,
    analytics: AnalyticsDirectory,
    key: ApiKey,
    published_since: datetime,
    published_until: datetime,
    limits: WalkLimits,
    progress: Progress | None = None,
    shown: Callable[[Post], bool] | None = None,
) -> Survey:
    """:func:`survey_scope`, with Genviral's analytics for the publish window fetched alongside (an
    enrichment) and waited for at most the directory's short bound once the posts are in.

    Outside a running directory (the ``check`` command), the fetch runs within this call and ends
    with it, like the account list's."""
    failure: Exception | None = None
    async with anyio.create_task_group() as group:
        pending = analytics.begin(client, key, published_since, published_until, group)
        try:
            survey = await survey_scope(client, directory, key, published_until, limits, progress, shown)
            survey.analytics = await pending.settle(survey.posts_in_at)
        except Exception as exc:  # raised as it is below, not wrapped in the group's ExceptionGroup
            failure = exc
        group.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return survey
