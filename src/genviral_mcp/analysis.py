"""What the scope's posts say about delivery: what needs a human and why, what goes out next,
what went out, and how each account is doing.

Pure computation over API models, account facts and a clock; the walks that gather the posts
live in :mod:`genviral_mcp.paging` and the rendering in :mod:`genviral_mcp.shaping`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from genviral_mcp.causes import (
    LAST_ERROR_CHARS,
    OVERDUE_CAUSE,
    OVERDUE_FIX,
    provider_cause,
)
from genviral_mcp.models import Delivery, Post
from genviral_mcp.sanitize import clean_text
from genviral_mcp.timestamps import parse_iso

#: Statuses that mean a delivery did not go out and a human should look.
FAILURE_STATUSES = frozenset({"failed", "partial", "retry"})
#: Statuses that mean "not out yet"; past their time by more than the grace below, they are overdue.
WAITING_STATUSES = frozenset({"pending", "scheduled"})
#: A delivery in one of these can still go out, or needs a human before it can.
LIVE_STATUSES = FAILURE_STATUSES | WAITING_STATUSES
#: A young ``pending`` is normal: TikTok's worker runs about every 5 minutes. Thirty minutes is
#: six missed runs, which is no longer normal.
OVERDUE_AFTER = timedelta(minutes=30)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

#: ``account id -> why it is not active in Genviral, or None`` (active, or unknown: never guessed).
Inactive = Callable[[str], str | None]


def is_overdue(post: Post, now: datetime) -> bool:
    """Past its scheduled time by more than :data:`OVERDUE_AFTER`."""
    scheduled = parse_iso(post.scheduled_at)
    return scheduled is not None and now - scheduled > OVERDUE_AFTER


def flag(post: Post, now: datetime) -> list[Delivery]:
    """The post's failed/partial/retry deliveries, and waiting ones well past their time.

    A published delivery is never flagged, even when it carries an older error message.
    """
    late = is_overdue(post, now)
    return [
        delivery
        for delivery in post.deliveries
        if delivery.status in FAILURE_STATUSES or (delivery.status in WAITING_STATUSES and late)
    ]


def _moment(delivery: Delivery, post: Post) -> datetime:
    for stamp in (delivery.last_attempted_at, post.scheduled_at, post.created_at):
        moment = parse_iso(stamp)
        if moment is not None:
            return moment
    return _EPOCH


@dataclass
class CauseGroup:
    """Deliveries that need a human for the same reason."""

    cause: str
    fix: str | None
    deliveries: int = 0
    account_ids: set[str] = field(default_factory=set)
    #: Posts by id, newest occurrence first once :func:`analyse` has sorted them.
    posts: dict[str, Post] = field(default_factory=dict)
    newest: datetime = _EPOCH
    _post_newest: dict[str, datetime] = field(default_factory=dict)

    def add(self, post: Post, delivery: Delivery, moment: datetime) -> None:
        self.deliveries += 1
        self.account_ids.add(delivery.account_id)
        self.posts.setdefault(post.id, post)
        self._post_newest[post.id] = max(moment, self._post_newest.get(post.id, _EPOCH))
        self.newest = max(self.newest, moment)

    def sort_posts(self) -> None:
        order = sorted(self.posts, key=lambda post_id: self._post_newest[post_id], reverse=True)
        self.posts = {post_id: self.posts[post_id] for post_id in order}


@dataclass
class AccountActivity:
    published_in_window: int = 0
    needs_attention: int = 0
    last_error: str | None = None
    last_error_at: datetime = _EPOCH


@dataclass(frozen=True)
class WentOut:
    """A post with deliveries published in the window: when it first went out there, and where."""

    post: Post
    published: datetime
    deliveries: list[Delivery]


@dataclass(frozen=True)
class Upcoming:
    """A post due in the upcoming window, and its deliveries that have not gone out yet."""

    post: Post
    deliveries: list[Delivery]


@dataclass
class InactiveAccount:
    """An account Genviral's list says is not active: a condition of the account, stated once."""

    condition: str
    #: Its deliveries that have not gone out (failed, partial, retry, pending, scheduled).
    deliveries: int = 0


@dataclass
class DeliveryFacts:
    causes: list[CauseGroup] = field(default_factory=list)
    attention_deliveries: int = 0
    attention_posts: int = 0
    upcoming: list[Upcoming] = field(default_factory=list)
    went_out: list[WentOut] = field(default_factory=list)
    went_out_deliveries: int = 0
    accounts: dict[str, AccountActivity] = field(default_factory=dict)
    inactive: dict[str, InactiveAccount] = field(default_factory=dict)


@dataclass(frozen=True)
class Windows:
    """The moments the questions are asked about."""

    now: datetime
    upcoming_until: datetime
    published_since: datetime
    published_until: datetime


def _cause(delivery: Delivery, waiting: bool) -> tuple[str, str, str | None]:
    """``(grouping key, cause shown, fix)`` for one flagged delivery: its own cause, whatever the
    account's condition (an inactive account is stated once, as a condition of the account)."""
    if waiting:
        return "overdue", OVERDUE_CAUSE, OVERDUE_FIX
    return provider_cause(delivery.error_message)


def analyse(
    posts: Iterable[Post],
    windows: Windows,
    inactive: Inactive,
    known_account_ids: Iterable[str] = (),
) -> DeliveryFacts:
    """Everything the summary says, from every post gathered (each once), exactly.

    A delivery counts by its own status whatever its post's status: a ``scheduled`` delivery on a
    ``deleted`` post goes out (or not) like any other.
    """
    facts = DeliveryFacts()
    groups: dict[str, CauseGroup] = {}
    for account_id in known_account_ids:
        facts.accounts.setdefault(account_id, AccountActivity())
        condition = inactive(account_id)
        if condition is not None:
            facts.inactive[account_id] = InactiveAccount(condition)
    for post in posts:
        _attention(post, windows.now, groups, facts)
        _went_out(post, windows, facts)
        _upcoming(post, windows, facts)
        for delivery in post.deliveries:
            if delivery.status not in LIVE_STATUSES:
                continue
            condition = inactive(delivery.account_id)
            if condition is not None:
                facts.accounts.setdefault(delivery.account_id, AccountActivity())
                facts.inactive.setdefault(delivery.account_id, InactiveAccount(condition)).deliveries += 1
    for group in groups.values():
        group.sort_posts()
    facts.causes = sorted(groups.values(), key=lambda group: (-group.deliveries, -group.newest.timestamp()))
    facts.upcoming.sort(key=lambda item: (parse_iso(item.post.scheduled_at) or windows.now, item.post.id))
    facts.went_out.sort(key=lambda item: (item.published, item.post.id), reverse=True)
    return facts


def _upcoming(post: Post, windows: Windows, facts: DeliveryFacts) -> None:
    """Due in the window with a delivery still to go out (or, with none listed, waiting itself)."""
    scheduled = parse_iso(post.scheduled_at)
    if scheduled is None or not windows.now < scheduled <= windows.upcoming_until:
        return
    waiting = [delivery for delivery in post.deliveries if delivery.status in WAITING_STATUSES]
    if waiting or (not post.deliveries and post.status in WAITING_STATUSES):
        facts.upcoming.append(Upcoming(post, waiting))
        for delivery in waiting:
            facts.accounts.setdefault(delivery.account_id, AccountActivity())


def _attention(post: Post, now: datetime, groups: dict[str, CauseGroup], facts: DeliveryFacts) -> None:
    flagged = flag(post, now)
    if not flagged:
        return
    facts.attention_posts += 1
    for delivery in flagged:
        facts.attention_deliveries += 1
        key, cause, fix = _cause(delivery, delivery.status in WAITING_STATUSES)
        moment = _moment(delivery, post)
        groups.setdefault(key, CauseGroup(cause, fix)).add(post, delivery, moment)
        activity = facts.accounts.setdefault(delivery.account_id, AccountActivity())
        activity.needs_attention += 1
        if delivery.error_message and moment >= activity.last_error_at:
            activity.last_error = clean_text(delivery.error_message, LAST_ERROR_CHARS)
            activity.last_error_at = moment


def _went_out(post: Post, windows: Windows, facts: DeliveryFacts) -> None:
    published: list[tuple[datetime, Delivery]] = []
    for delivery in post.deliveries:
        if delivery.status != "posted":
            continue
        moment = parse_iso(delivery.published_at)
        if moment is not None and windows.published_since <= moment <= windows.published_until:
            published.append((moment, delivery))
            facts.accounts.setdefault(delivery.account_id, AccountActivity()).published_in_window += 1
    if published:
        facts.went_out.append(
            WentOut(post, min(moment for moment, _ in published), [delivery for _, delivery in published])
        )
        facts.went_out_deliveries += len(published)
