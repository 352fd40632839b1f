"""The whole key scope, surveyed for a summary: every post that can need a human or go out soon,
and the published posts that can have gone out in a window, fetched concurrently.

The API filters only by status and creation time, but its scope counters say how many posts each
status holds, so one walk per status, paged until its counter is reached, sees all of them
whatever their creation times. A post is created before it is published, so walking ``posted``
and ``partial`` posts back from the end of a publish window finds every post published in it,
as far back as the walk's bounds reach; the result says how far that was.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

import anyio

from genviral_mcp.accounts import AccountDirectory, AccountLabels
from genviral_mcp.client import PostsClient
from genviral_mcp.config import ApiKey
from genviral_mcp.models import Post, ScopeSummary
from genviral_mcp.paging import StatusWalk, walk_status
from genviral_mcp.query import FilterStatus, WalkLimits

#: Posts that can need a human (failed, partial, retry) or go out soon or late (pending, scheduled).
ATTENTION_WALKS: tuple[FilterStatus, ...] = ("failed", "partial", "retry", "pending", "scheduled")
#: Posts that can hold deliveries published in a window (``partial`` is walked once, for both).
PUBLISHED_WALKS: tuple[FilterStatus, ...] = ("posted",)


#: ``(walks done, walks in all)``, awaited as each walk ends.
Progress = Callable[[int, int], Awaitable[None]]


@dataclass
class Survey:
    walks: list[StatusWalk] = field(default_factory=list)
    labels: AccountLabels = field(default_factory=AccountLabels)

    @property
    def scope(self) -> ScopeSummary | None:
        return next((walk.scope for walk in self.walks if walk.scope is not None), None)

    @property
    def requests(self) -> int:
        return sum(walk.requests for walk in self.walks)

    def posts(self) -> list[Post]:
        """Every post gathered, once (a post can change status between two walks' pages)."""
        unique: dict[str, Post] = {}
        for walk in self.walks:
            for post in walk.posts:
                unique.setdefault(post.id, post)
        return list(unique.values())

    def walk(self, status: str) -> StatusWalk | None:
        return next((walk for walk in self.walks if walk.status == status), None)


async def survey_scope(
    client: PostsClient,
    directory: AccountDirectory,
    key: ApiKey,
    published_until: datetime,
    limits: WalkLimits,
    progress: Progress | None = None,
) -> Survey:
    """Run every walk and the account lookup at once; failures stay inside their walk.

    ``progress(walks done, walks in all)`` is awaited as each walk ends, so a host can show that a
    long survey is moving.
    """
    survey = Survey()
    started = time.monotonic()
    plan: list[tuple[FilterStatus, datetime | None]] = [(status, None) for status in ATTENTION_WALKS]
    # ``partial`` is walked in full above, which also covers its publish window.
    plan += [(status, published_until) for status in PUBLISHED_WALKS]
    results: list[StatusWalk | None] = [None] * len(plan)

    async def run(index: int, status: FilterStatus, until: datetime | None) -> None:
        results[index] = await walk_status(client, key, status, limits, until=until, started=started)
        if progress is not None:
            await progress(sum(result is not None for result in results), len(plan))

    async def walk_all() -> None:
        async with anyio.create_task_group() as group:
            for index, (status, until) in enumerate(plan):
                group.start_soon(run, index, status, until)

    _, survey.labels = await directory.alongside(client, key, walk_all)
    survey.walks = [walk for walk in results if walk is not None]
    return survey
