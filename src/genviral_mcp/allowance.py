"""How much a summary's survey keeps in memory: posts, their deliveries, and the upstream bytes
they came in, each walk its share.

A survey keeps every post its walks read until the analysis is done. Unbounded, an upstream of
full 8 MB pages of large posts made one summary hold 2.4 GB, and an analysis over millions of
deliveries that outlasted the tool's deadline. Each walk gets an equal share of the survey's
bounds (so a status full of huge posts cannot starve the others: the failed posts still get
read); the first post that does not fit stops its walk, and the result says which bound stopped
it and how to read the rest. A walk's first post is kept whatever its size, so that even a scope
whose every post is huge is summarised, not skipped.

With ``changed_since`` most posts are only counted, each kept as a :class:`~genviral_mcp.models.Brief`
of a few hundred bytes: those count against a bound of their own (so a walk may go further back)
and, by their size, against the same bytes as the posts kept whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from genviral_mcp.models import Brief, Post
from genviral_mcp.query import WalkLimits


@dataclass
class Allowance:
    """One walk's share of what the survey may keep, and what it has kept so far."""

    max_posts: int
    max_deliveries: int
    max_bytes: int
    #: Posts kept as briefs (only counted), beside the ``max_posts`` kept whole.
    max_briefs: int = 1
    posts: int = 0
    deliveries: int = 0
    bytes: int = 0
    briefs: int = 0
    #: The bound that stopped the walk, in words (for the result); ``None`` while everything fits.
    reached: str | None = None

    @classmethod
    def share(cls, limits: WalkLimits, walks: int) -> Allowance:
        """One of ``walks`` equal shares of the survey's bounds."""
        walks = max(1, walks)
        return cls(
            max(1, limits.max_kept_posts // walks),
            max(1, limits.max_kept_deliveries // walks),
            max(1, limits.max_kept_bytes // walks),
            max(1, limits.max_counted_posts // walks),
        )

    def admit(self, posts: list[Post | Brief], body_bytes: int, page_posts: int) -> list[Post | Brief]:
        """The leading ``posts`` that fit; the page they came in was ``body_bytes`` for ``page_posts``
        (a post kept whole costs its share of that; a brief, its own size)."""
        if self.reached is not None:
            return []
        share = body_bytes // max(1, page_posts)
        for kept, post in enumerate(posts):
            brief = isinstance(post, Brief)
            # A brief's traces are tuples of strings, which the garbage collector stops tracking:
            # they cost their bytes, not the collection time the deliveries bound is for.
            deliveries = 0 if brief else len(post.deliveries)
            size = post.size if isinstance(post, Brief) else share
            if self.posts + self.briefs == 0:
                pass  # a walk's first post is always kept, however large (a page is at most 8 MB)
            elif not brief and self.posts + 1 > self.max_posts:
                self.reached = f"a walk keeps at most {self.max_posts:,} posts"
            elif brief and self.briefs + 1 > self.max_briefs:
                self.reached = f"a walk counts at most {self.max_briefs:,} posts"
            elif self.deliveries + deliveries > self.max_deliveries:
                self.reached = f"a walk keeps at most {self.max_deliveries:,} deliveries"
            elif self.bytes + size > self.max_bytes:
                self.reached = f"a walk keeps at most {self.max_bytes // (1024 * 1024):,} MB of posts"
            if self.reached is not None:
                return posts[:kept]
            self.briefs += brief
            self.posts += not brief
            self.deliveries += deliveries
            self.bytes += size
        return posts
