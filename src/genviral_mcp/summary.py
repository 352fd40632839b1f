"""What a window of posts says about delivery: counts, what needs a human, what is coming up.

Pure computation over API models and a clock; rendering lives in :mod:`genviral_mcp.results`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from genviral_mcp.models import Delivery, Post
from genviral_mcp.timestamps import parse_iso

#: Statuses that mean a delivery did not go out and a human should look.
FAILURE_STATUSES = frozenset({"failed", "partial", "retry"})
#: Statuses that mean "not out yet"; past their time by more than the grace below, they are overdue.
WAITING_STATUSES = frozenset({"pending", "scheduled"})
#: A young ``pending`` is normal: TikTok's worker runs about every 5 minutes. Thirty minutes is
#: six missed runs, which is no longer normal.
OVERDUE_AFTER = timedelta(minutes=30)


@dataclass(frozen=True)
class Attention:
    """A post with deliveries that need a human."""

    post: Post
    deliveries: list[Delivery]
    #: Minutes past ``scheduled_at`` when a delivery is still waiting; ``None`` otherwise.
    overdue_minutes: int | None = None


@dataclass
class DeliveryReport:
    posts_by_status: Counter[str] = field(default_factory=Counter)
    deliveries_by_status: Counter[str] = field(default_factory=Counter)
    attention: list[Attention] = field(default_factory=list)
    #: Deliveries flagged across all of ``attention``.
    attention_deliveries: int = 0
    upcoming: list[Post] = field(default_factory=list)


def overdue_minutes(post: Post, now: datetime) -> int | None:
    scheduled = parse_iso(post.scheduled_at)
    if scheduled is None or now - scheduled <= OVERDUE_AFTER:
        return None
    return int((now - scheduled).total_seconds() // 60)


def flag(post: Post, now: datetime) -> Attention | None:
    """The post's failed/partial/retry deliveries, and waiting ones well past their time.

    A published delivery is never flagged, even when it carries an older error message.
    """
    late = overdue_minutes(post, now)
    flagged = [
        delivery
        for delivery in post.deliveries
        if delivery.status in FAILURE_STATUSES or (delivery.status in WAITING_STATUSES and late is not None)
    ]
    if not flagged:
        return None
    waiting = any(delivery.status in WAITING_STATUSES for delivery in flagged)
    return Attention(post, flagged, overdue_minutes=late if waiting else None)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _newest_first_key(item: Attention) -> datetime:
    stamps = [parse_iso(delivery.last_attempted_at) for delivery in item.deliveries]
    stamps += [parse_iso(item.post.scheduled_at), parse_iso(item.post.created_at)]
    return max((stamp for stamp in stamps if stamp is not None), default=_EPOCH)


def report(posts: list[Post], now: datetime) -> DeliveryReport:
    result = DeliveryReport()
    for post in posts:
        result.posts_by_status[post.status or "unknown"] += 1
        for delivery in post.deliveries:
            result.deliveries_by_status[delivery.status or "unknown"] += 1
        flagged = flag(post, now)
        if flagged is not None:
            result.attention.append(flagged)
            result.attention_deliveries += len(flagged.deliveries)
        scheduled = parse_iso(post.scheduled_at)
        if post.status in WAITING_STATUSES and scheduled is not None and scheduled > now:
            result.upcoming.append(post)
    result.attention.sort(key=_newest_first_key, reverse=True)
    result.upcoming.sort(key=lambda post: parse_iso(post.scheduled_at) or now)
    return result
