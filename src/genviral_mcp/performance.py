"""How published deliveries are doing: each matched to its analytics row, or said to have no numbers
and why. Pure computation over posts, account facts and an :class:`~genviral_mcp.analytics.AnalyticsView`.

**Matching** a published delivery to a row, in this order:

1. by ``permalink`` equal to the delivery's ``published_url``, both normalised (scheme and host
   case, a trailing slash, the query string and fragment);
2. otherwise by ``genviralPostId`` equal to the post's id, plus the delivery's platform (from
   Genviral's account list, or from the ``published_url`` host when the account is not listed);
   when several accounts of that platform are on the post, the row's ``accountIdentifier`` must
   also be the account's ``@username``.

A delivery that more than one row fits, or a row that more than one delivery fits, stays
unmatched: its numbers are unknown, never guessed. A metric a row does not carry is unknown, never 0.

A published delivery without numbers is **never** going to have any (Pinterest, LinkedIn and
Facebook have no analytics; an account that is not an analytics target has none), **not yet**
(its account is tracked and its row has not appeared: TikTok drafts and new posts take time), or
**unknown** (the rows were ambiguous, or not all were read, or whether its account is tracked could
not be told).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from urllib.parse import urlsplit

from genviral_mcp.accounts import AccountLabels, handle_label
from genviral_mcp.analytics import METRICS, TRACKED_PLATFORMS, AnalyticsView, Availability, Row, handle_of
from genviral_mcp.models import Delivery, Post
from genviral_mcp.timestamps import parse_iso

#: Platforms Genviral publishes to that its analytics do not cover.
NO_ANALYTICS = ("pinterest", "linkedin", "facebook")
#: Where a published URL's host says the platform (the host or any subdomain of it).
_HOSTS: tuple[tuple[str, str], ...] = (
    ("tiktok.com", "tiktok"),
    ("instagram.com", "instagram"),
    ("youtube.com", "youtube"),
    ("youtu.be", "youtube"),
    ("pin.it", "pinterest"),
    ("linkedin.com", "linkedin"),
    ("lnkd.in", "linkedin"),
    ("facebook.com", "facebook"),
    ("fb.watch", "facebook"),
    ("fb.com", "facebook"),
)
#: Pinterest serves country domains (pinterest.co.uk, pinterest.fr, …).
_PINTEREST = re.compile(r"(?:^|\.)pinterest\.[a-z]{2,3}(?:\.[a-z]{2})?$")


class Standing(Enum):
    """Where a published delivery's numbers stand."""

    MEASURED = "measured"
    NEVER = "never"
    NOT_YET = "not yet"
    UNKNOWN = "unknown"


def normal_link(url: str | None) -> str | None:
    """A URL as it is compared: scheme and host lowercased, no query string or fragment, no
    trailing slash. ``None`` when it is not an absolute URL."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def platform_of_url(url: str | None) -> str | None:
    """The platform a published URL's host belongs to, or ``None``."""
    if not url:
        return None
    try:
        host = (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return None
    for domain, platform in _HOSTS:
        if host == domain or host.endswith("." + domain):
            return platform
    return "pinterest" if _PINTEREST.search(host) else None


@dataclass(frozen=True)
class AccountFacts:
    """What matching needs of a delivery's account: its platform and handle (lowercased)."""

    platform: str | None
    handle: str | None


def account_facts(delivery: Delivery, labels: AccountLabels) -> AccountFacts:
    """From Genviral's account list; for an account it does not list, from the published URL."""
    account = labels.account(delivery.account_id)
    platform = handle = None
    if account is not None:
        platform = (account.platform or "").strip().lower() or None
        handle = handle_of(account.username)
    from_url = platform_of_url(delivery.published_url)
    platform = platform or from_url
    if handle is None and from_url is not None and from_url == platform:
        label = handle_label(delivery.published_url)
        handle = handle_of(label.partition(" ")[2]) if label else None
    return AccountFacts(platform, handle)


@dataclass(frozen=True)
class Measure:
    """One published delivery's numbers (``row``), or where they stand without one."""

    standing: Standing
    row: Row | None = None


Key = tuple[str, str]  # (post id, account id)


def _key(post: Post, delivery: Delivery) -> Key:
    return (post.id, delivery.account_id)


@dataclass
class _Index:
    handles: list[str | None] = field(default_factory=list)
    by_link: dict[str, list[int]] = field(default_factory=dict)
    by_post: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    #: (platform, handle) of every row: an account with any row is tracked.
    tracked: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def of(cls, rows: tuple[Row, ...]) -> _Index:
        index = cls()
        for number, row in enumerate(rows):
            index.handles.append(row.account)
            link = normal_link(row.permalink)
            if link is not None:
                index.by_link.setdefault(link, []).append(number)
            if row.genviral_post_id and row.platform:
                index.by_post.setdefault((row.genviral_post_id, row.platform), []).append(number)
            if row.platform and row.account:
                index.tracked.add((row.platform, row.account))
        return index


def measure(
    published: Iterable[tuple[Post, Iterable[Delivery]]], view: AnalyticsView, labels: AccountLabels
) -> dict[Key, Measure]:
    """Each published delivery's :class:`Measure`: ``published`` holds each post with those of its
    deliveries to measure (only ``posted`` ones are). A delivery listed twice for one post and account
    is unknown: which row is whose cannot be told."""
    index = _Index.of(view.rows)
    candidates: dict[Key, list[int]] = {}
    moments: dict[Key, Delivery] = {}
    facts: dict[Key, AccountFacts] = {}
    doubled: set[Key] = set()
    for post, deliveries in published:
        platforms = {d.account_id: account_facts(d, labels) for d in post.deliveries}
        for delivery in deliveries:
            if delivery.status != "posted":
                continue
            key = _key(post, delivery)
            if key in candidates:
                doubled.add(key)
                continue
            own = platforms.get(delivery.account_id) or account_facts(delivery, labels)
            facts[key], moments[key] = own, delivery
            candidates[key] = _candidates(post, delivery, own, platforms, index)
    # A row that fits two deliveries is whose? Neither's: both stay unknown.
    claimed = Counter(number for rows in candidates.values() for number in rows)
    measures: dict[Key, Measure] = {}
    for key, rows in candidates.items():
        if key in doubled or len(rows) > 1 or (rows and (rows[0] == _AMBIGUOUS or claimed[rows[0]] > 1)):
            measures[key] = Measure(Standing.UNKNOWN)
        elif rows:
            row = view.rows[rows[0]]
            measures[key] = Measure(Standing.MEASURED, row) if row.measured else Measure(Standing.UNKNOWN)
        else:
            measures[key] = Measure(_without_row(facts[key], moments[key], view, index))
    return measures


#: Stands in a delivery's candidates for "a row may be this delivery's, and cannot be told".
_AMBIGUOUS = -1


def _candidates(
    post: Post, delivery: Delivery, own: AccountFacts, platforms: dict[str, AccountFacts], index: _Index
) -> list[int]:
    """The rows that fit a delivery: by permalink, else by post id and platform (and handle).

    With several accounts of its platform on the post, only a row naming the account's handle fits;
    a row for the post and platform that names no account (or a delivery whose handle is unknown)
    could be anyone's, and makes the delivery ambiguous: unknown, not "not yet"."""
    link = normal_link(delivery.published_url)
    if link is not None and link in index.by_link:
        return index.by_link[link]
    if own.platform is None:
        return []
    rows = index.by_post.get((post.id, own.platform), [])
    sharing = {account_id for account_id, facts in platforms.items() if facts.platform == own.platform}
    if len(sharing | {delivery.account_id}) > 1:
        named = [n for n in rows if own.handle is not None and index.handles[n] == own.handle]
        unnamed = any(index.handles[n] is None or own.handle is None for n in rows)
        return named if named or not unnamed else [_AMBIGUOUS]
    return list(rows)


def _without_row(own: AccountFacts, delivery: Delivery, view: AnalyticsView, index: _Index) -> Standing:
    """Never (no analytics for the platform, or not a target), not yet (tracked), or unknown."""
    platform = own.platform
    if platform is None:
        return Standing.UNKNOWN
    if platform not in TRACKED_PLATFORMS:
        return Standing.NEVER
    tracked: bool | None = None
    if own.handle is not None and (platform, own.handle) in index.tracked:
        tracked = True  # it has rows: tracked, whatever the target list says
    elif view.targets is not None and own.handle is not None:
        tracked = any(t.platform == platform and t.handle == own.handle for t in view.targets)
    if tracked is None:
        return Standing.UNKNOWN
    if not tracked:
        return Standing.NEVER
    moment = parse_iso(delivery.published_at)
    if not view.complete or moment is None or not view.covers(moment):
        return Standing.UNKNOWN  # its row may be among those not read
    return Standing.NOT_YET


def publish_window(posts: Iterable[Post]) -> tuple[datetime, datetime] | None:
    """The first and last publish instants of the posts' published deliveries (``None``: none)."""
    moments = [
        moment
        for post in posts
        for delivery in post.deliveries
        if delivery.status == "posted" and (moment := parse_iso(delivery.published_at)) is not None
    ]
    return (min(moments), max(moments)) if moments else None


def usable(view: AnalyticsView | None) -> bool:
    """Rows came: a result measures its deliveries."""
    return view is not None and view.availability is Availability.OK


# --- totals and ranks ------------------------------------------------------------------------


def number(value: float) -> str:
    """``12400``, ``6.4``: as short as exact allows (no thousands separators: a model reads digits)."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def counted(value: int, name: str) -> str:
    """``12400 views``, ``1 like``: a metric's count and its name (plural in :data:`METRICS`)."""
    return f"{value} {name[:-1] if value == 1 else name}"


def metrics_line(row: Row) -> str:
    """``12400 views, 830 likes, 41 comments, 12 shares, 95 saves, 6.4% engagement``: only what
    the row carries, in that order."""
    parts = [counted(getattr(row, name), name) for name in METRICS if getattr(row, name) is not None]
    if row.engagement is not None:
        parts.append(f"{number(row.engagement)}% engagement")
    return ", ".join(parts)


@dataclass
class Totals:
    """Sums over measured deliveries; each metric also counts the deliveries that carry it."""

    posts: int = 0
    sums: Counter[str] = field(default_factory=Counter)
    known: Counter[str] = field(default_factory=Counter)
    #: Engagement, weighted by views: Σ rate × views over deliveries with both, and Σ views.
    weighted: float = 0.0
    weight: int = 0
    rated: int = 0

    def add(self, row: Row) -> None:
        self.posts += 1
        for name in METRICS:
            value = getattr(row, name)
            if value is not None:
                self.sums[name] += value
                self.known[name] += 1
        if row.engagement is not None and row.views is not None:
            self.weighted += row.engagement * row.views
            self.weight += row.views
            self.rated += 1

    def _partial(self, known: int) -> str:
        return "" if known == self.posts else f" ({known} of {self.posts})"

    def line(self) -> str:
        """``3 posts: 45210 views, 2810 likes, 95 comments, 12 shares (2 of 3), 6.1% engagement``:
        a metric only some posts carry says on how many; engagement is weighted by views."""
        known = [name for name in METRICS if self.known[name]]
        parts = [f"{counted(self.sums[name], name)}{self._partial(self.known[name])}" for name in known]
        if self.rated and self.weight:
            parts.append(f"{round(self.weighted / self.weight, 2):g}% engagement{self._partial(self.rated)}")
        posts = "1 post" if self.posts == 1 else f"{self.posts} posts"
        return f"{posts}: {', '.join(parts)}" if parts else posts


@dataclass(frozen=True)
class Ranked:
    """A measured delivery with views, for the top and bottom lists."""

    views: int
    post: Post
    delivery: Delivery
    row: Row


@dataclass
class Performance:
    """How the deliveries published in a window are doing."""

    measures: dict[Key, Measure] = field(default_factory=dict)
    by_platform: dict[str, Totals] = field(default_factory=dict)
    #: Account id -> its totals.
    by_account: dict[str, Totals] = field(default_factory=dict)
    #: Most views first (then newest published, then post id).
    ranked: list[Ranked] = field(default_factory=list)
    #: Account id -> deliveries without numbers, by why.
    never: Counter[str] = field(default_factory=Counter)
    not_yet: Counter[str] = field(default_factory=Counter)
    unknown: Counter[str] = field(default_factory=Counter)
    #: Platforms (of ``never``) without analytics, and accounts (of ``never``) that are not targets.
    never_platforms: set[str] = field(default_factory=set)
    untracked: set[str] = field(default_factory=set)

    @property
    def measured(self) -> int:
        return sum(totals.posts for totals in self.by_account.values())


def assess(
    published: list[tuple[Post, list[Delivery]]], view: AnalyticsView, labels: AccountLabels
) -> Performance:
    """Match every published delivery (see :func:`measure`) and sum, rank and group them."""
    result = Performance(measures=measure(published, view, labels))
    for post, deliveries in published:
        for delivery in deliveries:
            found = result.measures.get(_key(post, delivery))
            if found is None:
                continue
            account_id = delivery.account_id
            if found.standing is Standing.MEASURED and found.row is not None:
                row = found.row
                platform = account_facts(delivery, labels).platform or row.platform or "unknown"
                result.by_platform.setdefault(platform, Totals()).add(row)
                result.by_account.setdefault(account_id, Totals()).add(row)
                if row.views is not None:
                    result.ranked.append(Ranked(row.views, post, delivery, row))
            elif found.standing is Standing.NEVER:
                result.never[account_id] += 1
                platform = account_facts(delivery, labels).platform or ""
                if platform in TRACKED_PLATFORMS:
                    result.untracked.add(account_id)
                else:
                    result.never_platforms.add(platform)
            elif found.standing is Standing.NOT_YET:
                result.not_yet[account_id] += 1
            else:
                result.unknown[account_id] += 1
    result.ranked.sort(key=_rank)
    return result


def _rank(item: Ranked) -> tuple[int, float, str, str]:
    """Most views first; then the newest published, then by ids: the same order on every call."""
    moment = parse_iso(item.delivery.published_at)
    return (-item.views, -(moment.timestamp() if moment else 0.0), item.post.id, item.delivery.account_id)


def top_and_bottom(ranked: list[Ranked], count: int) -> tuple[list[Ranked], list[Ranked]]:
    """The ``count`` with most views, and the ``count`` with fewest among the rest (fewest first):
    no delivery is in both."""
    top = ranked[:count]
    rest = ranked[count:]
    return top, list(reversed(rest[-count:])) if count else []
