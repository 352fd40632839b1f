"""What the scope's posts say about delivery: what needs a human and why, what goes out next,
what went out, and how each account is doing.

Pure computation over API models, account facts and a clock; the walks that gather the posts
live in :mod:`genviral_mcp.paging` and the rendering in :mod:`genviral_mcp.shaping`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial

from genviral_mcp.causes import (
    LAST_ERROR_CHARS,
    OVERDUE_CAUSE,
    OVERDUE_FIX,
    provider_cause,
)
from genviral_mcp.models import Brief, Delivery, Post
from genviral_mcp.query import SummaryRequest
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


def is_overdue(post: Post | Brief, now: datetime) -> bool:
    """Past its scheduled time by more than :data:`OVERDUE_AFTER`."""
    scheduled = parse_iso(post.scheduled_at)
    return scheduled is not None and now - scheduled > OVERDUE_AFTER


def flag(post: Post, now: datetime) -> list[Delivery]:
    """The post's failed/partial/retry deliveries, and waiting ones well past their time.

    A published delivery is never flagged, even when it carries an older error message.
    """
    late = is_overdue(post, now)
    return [delivery for delivery in post.deliveries if _flags(delivery.status, late)]


def _flags(status: str | None, late: bool) -> bool:
    """A delivery in this status needs a human: it failed, or (``late``) it is still waiting."""
    return status in FAILURE_STATUSES or (status in WAITING_STATUSES and late)


def _moment(delivery: Delivery, post: Post) -> datetime:
    for stamp in (delivery.last_attempted_at, post.scheduled_at, post.created_at):
        moment = parse_iso(stamp)
        if moment is not None:
            return moment
    return _EPOCH


def news_moment(post: Post, delivery: Delivery) -> datetime | None:
    """When a delivery that has not gone out became news, for ``changed_since`` (why each moment is
    safe to judge by: :mod:`genviral_mcp.cursor`).

    A failure (failed, partial, retry): its latest attempt, ``last_attempted_at`` (missing: the
    scheduled time), so a retry that fails again is news again. A delivery still waiting (pending,
    scheduled): the end of its grace period, when it became overdue. Never before the post was
    created: a post made when it was already late is news from then. ``None`` for any other status.
    """
    if delivery.status in FAILURE_STATUSES:
        moment = _moment(delivery, post)
    elif delivery.status in WAITING_STATUSES:
        scheduled = parse_iso(post.scheduled_at)
        if scheduled is None:
            return None
        moment = scheduled + OVERDUE_AFTER
    else:
        return None
    created = parse_iso(post.created_at)
    return moment if created is None else max(moment, created)


@dataclass(frozen=True)
class Change:
    """One piece of news: a delivery (post, account) and the instant it became news."""

    moment: datetime
    post_id: str
    account_id: str


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
    #: With ``changed_since``: each delivery's news, newest first once :func:`analyse` has sorted them.
    changes: list[Change] = field(default_factory=list)

    def add(self, post: Post, delivery: Delivery, moment: datetime) -> None:
        self.deliveries += 1
        self.account_ids.add(delivery.account_id)
        self.posts.setdefault(post.id, post)
        self._post_newest[post.id] = max(moment, self._post_newest.get(post.id, _EPOCH))
        self.newest = max(self.newest, moment)

    def sort_posts(self) -> None:
        order = sorted(self.posts, key=lambda post_id: self._post_newest[post_id], reverse=True)
        self.posts = {post_id: self.posts[post_id] for post_id in order}
        self.changes.sort(key=lambda change: (change.moment, change.post_id, change.account_id), reverse=True)


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
    #: With ``changed_since``: its newest delivery that failed or fell due since then, if any.
    latest: Change | None = None


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
    #: With ``changed_since``: deliveries (and their posts) that still need attention but are not
    #: news, and inactive accounts with nothing new: counted, not listed.
    older_deliveries: int = 0
    older_posts: int = 0
    older_inactive: int = 0


@dataclass(frozen=True)
class Windows:
    """The moments the questions are asked about."""

    now: datetime
    upcoming_until: datetime
    published_since: datetime
    published_until: datetime
    #: ``changed_since``: only what became news at or after it is listed (the rest is counted).
    changed_since: datetime | None = None

    @classmethod
    def asked(cls, request: SummaryRequest, now: datetime) -> Windows:
        """The windows of a summary that began at ``now``."""
        return cls(
            now,
            request.upcoming_until(now),
            request.published_since,
            request.published_until,
            request.changed_since,
        )


def kept_whole(request: SummaryRequest, now: datetime) -> Callable[[Post], bool] | None:
    """Which posts a survey for this summary keeps whole: with ``changed_since``, those it may show
    (:func:`shown`); without, every post (``None``)."""
    if request.changed_since is None:
        return None
    return partial(shown, windows=Windows.asked(request, now))


def shown(post: Post, windows: Windows) -> bool:
    """Whether a summary may show the post: with ``changed_since``, only when a delivery is news
    since then, went out in the window, or the post is upcoming. Any other post it only counts, so
    the survey keeps it as a :class:`~genviral_mcp.models.Brief` (see :func:`_count`)."""
    since = windows.changed_since
    scheduled = parse_iso(post.scheduled_at)
    if since is None or (scheduled is not None and windows.now < scheduled <= windows.upcoming_until):
        return True
    for delivery in post.deliveries:
        if delivery.status == "posted":
            published = parse_iso(delivery.published_at)
            if published is not None and windows.published_since <= published <= windows.published_until:
                return True
        elif delivery.status in WAITING_STATUSES and (scheduled is None or scheduled > windows.now):
            continue  # not due yet: never news, nor overdue (upcoming is above)
        moment = news_moment(post, delivery)
        if moment is not None and moment >= since:
            return True
    return False


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
    briefs: Iterable[Brief] = (),
) -> DeliveryFacts:
    """Everything the summary says, from every post gathered (each once), exactly: ``posts`` kept
    whole, and with ``changed_since`` the ``briefs`` of those it cannot show (:func:`shown`).

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
        _attention(post, windows.now, groups, facts, windows.changed_since)
        _went_out(post, windows, facts)
        _upcoming(post, windows, facts)
        for delivery in post.deliveries:
            account = _on_inactive(delivery.account_id, delivery.status, inactive, facts)
            if account is not None:
                _inactive_news(post, delivery, windows, account)
    for brief in briefs:
        _count(brief, windows, inactive, facts)
    if windows.changed_since is not None:
        _news_only(facts)
    for group in groups.values():
        group.sort_posts()
    facts.causes = sorted(groups.values(), key=lambda group: (-group.deliveries, -group.newest.timestamp()))
    facts.upcoming.sort(key=lambda item: (parse_iso(item.post.scheduled_at) or windows.now, item.post.id))
    facts.went_out.sort(key=lambda item: (item.published, item.post.id), reverse=True)
    return facts


def _on_inactive(
    account_id: str, status: str | None, inactive: Inactive, facts: DeliveryFacts
) -> InactiveAccount | None:
    """A delivery that has not gone out counts for its account when that is not active (returned)."""
    condition = inactive(account_id) if status in LIVE_STATUSES else None
    if condition is None:
        return None
    facts.accounts.setdefault(account_id, AccountActivity())
    account = facts.inactive.setdefault(account_id, InactiveAccount(condition))
    account.deliveries += 1
    return account


def _count(brief: Brief, windows: Windows, inactive: Inactive, facts: DeliveryFacts) -> None:
    """A post the summary only counts: what :func:`_attention` and the inactive accounts make of a
    post with no news, no publication in the window and nothing upcoming (:func:`shown`)."""
    late = is_overdue(brief, windows.now)
    flagged = sum(1 for trace in brief.deliveries if _flags(trace.status, late))
    if flagged:
        facts.older_posts += 1
        facts.older_deliveries += flagged
    for trace in brief.deliveries:
        _on_inactive(trace.account_id, trace.status, inactive, facts)


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


def _is_news(post: Post, delivery: Delivery, since: datetime) -> bool:
    moment = news_moment(post, delivery)
    return moment is not None and moment >= since


def _attention(
    post: Post,
    now: datetime,
    groups: dict[str, CauseGroup],
    facts: DeliveryFacts,
    since: datetime | None = None,
) -> None:
    flagged = flag(post, now)
    if since is not None:  # only news is listed; what is older is counted
        news = [delivery for delivery in flagged if _is_news(post, delivery, since)]
        if len(news) < len(flagged):
            facts.older_posts += 1
            facts.older_deliveries += len(flagged) - len(news)
        flagged = news
    if not flagged:
        return
    facts.attention_posts += 1
    for delivery in flagged:
        facts.attention_deliveries += 1
        key, cause, fix = _cause(delivery, delivery.status in WAITING_STATUSES)
        moment = _moment(delivery, post)
        groups.setdefault(key, CauseGroup(cause, fix)).add(post, delivery, moment)
        if since is not None:
            groups[key].changes.append(
                Change(news_moment(post, delivery) or moment, post.id, delivery.account_id)
            )
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


def _inactive_news(post: Post, delivery: Delivery, windows: Windows, account: InactiveAccount) -> None:
    """With ``changed_since``: an inactive account is news when one of its deliveries failed, or fell
    due, since then (a waiting delivery counts from its grace period's end, so a little earlier)."""
    since = windows.changed_since
    moment = news_moment(post, delivery)
    if since is None or moment is None or moment < since:
        return
    scheduled = parse_iso(post.scheduled_at)
    if delivery.status in WAITING_STATUSES and (scheduled is None or scheduled > windows.now):
        return  # not due yet: upcoming, with its warning
    change = Change(moment, post.id, delivery.account_id)
    if account.latest is None or (change.moment, change.post_id) > (
        account.latest.moment,
        account.latest.post_id,
    ):
        account.latest = change


def _news_only(facts: DeliveryFacts) -> None:
    """With ``changed_since``: inactive accounts and accounts that have news, the others counted."""
    quiet = [account_id for account_id, account in facts.inactive.items() if account.latest is None]
    facts.older_inactive = len(quiet)
    for account_id in quiet:
        del facts.inactive[account_id]
    facts.accounts = {
        account_id: activity
        for account_id, activity in facts.accounts.items()
        if activity.published_in_window or activity.needs_attention or account_id in facts.inactive
    }
