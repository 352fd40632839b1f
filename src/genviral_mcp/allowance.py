"""How much a summary's survey keeps in memory: posts, their deliveries, and the upstream bytes
they came in, each walk its share.

A survey keeps every post its walks read until the analysis is done. Unbounded, an upstream of
full 8 MB pages of large posts made one summary hold 2.4 GB, and an analysis over millions of
deliveries that outlasted the tool's deadline. Each walk gets an equal share of the survey's
bounds (so a status full of huge posts cannot starve the others: the failed posts still get
read); the first post that does not fit stops its walk, and the result says which bound stopped
it and how to read the rest. A walk's first post is kept whatever its size, so that even a scope
whose every post is huge is summarised, not skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from genviral_mcp.models import Post
from genviral_mcp.query import WalkLimits


@dataclass
class Allowance:
    """One walk's share of what the survey may keep, and what it has kept so far."""

    max_posts: int
    max_deliveries: int
    max_bytes: int
    posts: int = 0
    deliveries: int = 0
    bytes: int = 0
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
        )

    def admit(self, posts: list[Post], body_bytes: int, page_posts: int) -> list[Post]:
        """The leading ``posts`` that fit; the page they came in was ``body_bytes`` for ``page_posts``."""
        if self.reached is not None:
            return []
        size = body_bytes // max(1, page_posts)
        for kept, post in enumerate(posts):
            deliveries = len(post.deliveries)
            if self.posts == 0:
                pass  # a walk's first post is always kept, however large (a page is at most 8 MB)
            elif self.posts + 1 > self.max_posts:
                self.reached = f"a walk keeps at most {self.max_posts:,} posts"
            elif self.deliveries + deliveries > self.max_deliveries:
                self.reached = f"a walk keeps at most {self.max_deliveries:,} deliveries"
            elif self.bytes + size > self.max_bytes:
                self.reached = f"a walk keeps at most {self.max_bytes // (1024 * 1024):,} MB of posts"
            if self.reached is not None:
                return posts[:kept]
            self.posts += 1
            self.deliveries += deliveries
            self.bytes += size
        return posts
