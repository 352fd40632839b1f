"""Pages of posts: one page with an exact next-page bound, or a whole window walked backwards.

The API has no cursor. The only way back is ``until`` set to the oldest ``created_at`` seen,
and that bound is inclusive. So a full page holds back its oldest posts (those sharing the
oldest ``created_at``, usually one) and points ``until`` at that instant: following it
neither repeats a post nor skips one that shares the boundary instant.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from genviral_mcp.client import PostsClient
from genviral_mcp.config import ApiKey
from genviral_mcp.models import Post, ScopeSummary
from genviral_mcp.query import MAX_LIMIT, PostsQuery
from genviral_mcp.timestamps import parse_iso

ProgressCallback = Callable[[int, int], Awaitable[None]]


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
class Window:
    """The posts examined for a summary, newest first, de-duplicated."""

    posts: list[Post] = field(default_factory=list)
    scope: ScopeSummary = field(default_factory=ScopeSummary)
    #: True when the window holds posts beyond those examined.
    more: bool = False
    #: True when the walk stopped on its time budget rather than on ``max_posts``.
    out_of_time: bool = False


async def walk_window(
    client: PostsClient,
    query: PostsQuery,
    key: ApiKey,
    max_posts: int,
    *,
    budget_seconds: float,
    progress: ProgressCallback | None = None,
) -> Window:
    """Collect up to ``max_posts`` posts matching ``query``, newest first, paging ``until`` back."""
    window = Window()
    seen: set[str] = set()
    started = time.monotonic()
    page_query = replace(query, limit=MAX_LIMIT)
    while True:
        data = await client.fetch(page_query, key)
        window.scope = data.summary
        fresh = [post for post in data.posts if post.id not in seen]
        seen.update(post.id for post in fresh)
        window.posts.extend(fresh)
        if progress is not None:
            await progress(min(len(window.posts), max_posts), max_posts)
        full = len(data.posts) >= page_query.limit
        if len(window.posts) >= max_posts:
            window.more = full or len(window.posts) > max_posts
            del window.posts[max_posts:]
            return window
        oldest = created(data.posts[-1]) if data.posts else None
        if not full or oldest is None:
            return window
        if not fresh:  # more than a page of posts share one instant: step past it
            oldest -= _TICK
        if time.monotonic() - started > budget_seconds:
            window.more = window.out_of_time = True
            return window
        page_query = page_query.older_than(oldest)
