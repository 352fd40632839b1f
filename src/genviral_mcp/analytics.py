"""Genviral's post analytics, an enrichment like ``/accounts``: fetched alongside, never a dependency.

``GET /analytics/summary/posts`` gives one row per platform post on the accounts the key scope
tracks as **analytics targets** (``GET /analytics/targets``: TikTok, Instagram and YouTube only),
with its numbers (views, likes, comments, shares, saves, engagement rate), its permalink and, when
Genviral can tell, the Genviral post it came from. The endpoint takes dates, not instants, so a
window is asked for with a day of margin either side; at most :data:`MAX_PAGES` pages of
:data:`PAGE_ROWS` rows are read, newest published first, and a view says when there were more.

Both are cached per key (a digest of it) and subject for a few minutes, fetched once at a time and
shared by concurrent calls, backed off after a failure, and waited for at most
:data:`~genviral_mcp.enrichment.ENRICHMENT_WAIT_SECONDS` once a call's posts are in (the mechanics
are :mod:`genviral_mcp.enrichment`'s, shared with the account list). A call gets an
:class:`AnalyticsView`: plain values, safe to hand to a worker thread.

Nothing here reaches a result unchecked: numbers are validated (a missing or odd one is unknown,
never 0), and strings are only compared here; what is shown is cleaned where it is shaped.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Any

import anyio
from anyio.abc import TaskGroup

from genviral_mcp.client import PostsClient, key_digest
from genviral_mcp.config import ApiKey
from genviral_mcp.enrichment import Background, FetchFailed, Flight, Refresh
from genviral_mcp.errors import UpstreamError

logger = logging.getLogger(__name__)

ROWS_PATH = "analytics/summary/posts"
TARGETS_PATH = "analytics/targets"
#: How long rows are trusted before they are asked for again: numbers move, but not by the minute.
ROWS_CACHE_SECONDS = 180.0
#: Analytics targets change when someone adds one in Genviral: as long as the account list.
TARGETS_CACHE_SECONDS = 300.0
#: After a failure that may pass (5xx, a timeout, another shape), how long before asking again; a
#: refusal (401, 402, 403, 400, 404) is kept as long as an answer would be.
RETRY_AFTER_FAILURE_SECONDS = 60.0
#: One request's bound: an enrichment gets one short attempt per page, never a retry.
REQUEST_TIMEOUT_SECONDS = 5.0
#: Rows per page (the endpoint's maximum) and pages per fetch: 300 rows, newest first.
PAGE_ROWS = 100
MAX_PAGES = 3
#: The endpoint takes dates: a window is asked for with this much margin either side.
MARGIN = timedelta(days=1)
#: Keys remembered at once, and date ranges per key (each page of list_posts asks for its own).
MAX_KEYS = 256
MAX_RANGES = 4
#: Rows kept in all, across keys (a hosted server sees many): past it, the least recently used keys'
#: rows are forgotten first (about 10 MB of ordinary rows).
MAX_CACHED_ROWS = 20_000
#: Rows younger than this are never forgotten for the bound above: a call may be waiting to read them.
FRESH_SECONDS = 10.0
#: Targets kept per key (a hostile answer could list millions).
MAX_TARGETS = 1000
#: A count above this is not a count: unknown.
MAX_COUNT = 10**15
#: Platforms Genviral's analytics cover; the others never have numbers.
TRACKED_PLATFORMS = frozenset({"tiktok", "instagram", "youtube"})
IDENT_CHARS = 200
#: A permalink is compared, never shown: longer than any platform's post URL.
PERMALINK_CHARS = 500

METRICS = ("views", "likes", "comments", "shares", "saves")


def _ident(value: Any, limit: int = IDENT_CHARS) -> str | None:
    """A string or integer id from the API as a string (``None`` past ``limit``: not an id)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)[:limit]
    if isinstance(value, str) and value.strip():
        text = value.strip()
        return text if len(text) <= limit else None
    return None


def count_of(value: Any) -> int | None:
    """A metric as a count: a non-negative whole number, or a string of digits; else unknown."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 16:
        value = int(value.strip())
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and 0 <= value <= MAX_COUNT:
        return value
    return None


def rate_of(value: Any) -> float | None:
    """An engagement rate (a percentage, ``6.42``): a finite non-negative number; else unknown."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or not 0 <= value <= 100_000:
        return None
    return round(float(value), 2)


def handle_of(value: Any) -> str | None:
    """``@Brand`` / ``brand`` → ``brand``: how an account's handle is compared."""
    text = _ident(value)
    if text is None:
        return None
    return text.lstrip("@").strip().lower() or None


@dataclass(frozen=True)
class Row:
    """One analytics row, validated: ids and strings as sent (compared, never shown uncleaned)."""

    analytics_id: str | None
    platform_post_id: str | None
    genviral_post_id: str | None
    published_at: str | None
    permalink: str | None
    platform: str | None
    account: str | None  # the handle, lowercased, without "@"
    views: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    engagement: float | None = None

    @classmethod
    def parse(cls, raw: Any) -> Row | None:
        """A row from the wire, or ``None`` when it is not an object."""
        if not isinstance(raw, Mapping):
            return None
        metrics = raw.get("metrics")
        numbers = metrics if isinstance(metrics, Mapping) else {}
        platform = _ident(raw.get("platform"))
        engagement = raw.get("engagementRate", raw.get("engagement_rate"))
        return cls(
            analytics_id=_ident(raw.get("analyticsId", raw.get("analytics_id"))) or _ident(raw.get("id")),
            platform_post_id=_ident(raw.get("platformPostId", raw.get("platform_post_id"))),
            genviral_post_id=_ident(raw.get("genviralPostId", raw.get("genviral_post_id"))),
            published_at=_ident(raw.get("publishedAt", raw.get("published_at"))),
            permalink=_ident(raw.get("permalink"), PERMALINK_CHARS),
            platform=platform.lower() if platform else None,
            account=handle_of(raw.get("accountIdentifier", raw.get("account_identifier"))),
            **{name: count_of(numbers.get(name)) for name in METRICS},
            engagement=rate_of(engagement),
        )

    @property
    def measured(self) -> bool:
        """Carries at least one number."""
        return any(getattr(self, name) is not None for name in (*METRICS, "engagement"))


@dataclass(frozen=True)
class Target:
    """An account tracked for analytics: its platform and handle (compared, never shown)."""

    platform: str
    handle: str


class Availability(Enum):
    """What a call got from the analytics."""

    #: Rows came (cached or fresh).
    OK = "ok"
    #: The endpoint does not exist here (HTTP 404): as if analytics were never asked for.
    ABSENT = "absent"
    #: Refused, failed, another shape, or no rows: ``reason`` says which.
    UNAVAILABLE = "unavailable"
    #: Still on its way when the call stopped waiting.
    PENDING = "pending"


@dataclass(frozen=True)
class AnalyticsView:
    """One result's view of the analytics: plain values, copied when the call stops waiting."""

    availability: Availability
    rows: tuple[Row, ...] = ()
    #: The dates asked for (inclusive).
    first_day: date | None = None
    last_day: date | None = None
    #: Every row for those dates was read (else: the newest :data:`MAX_PAGES` pages were).
    complete: bool = True
    #: Rows Genviral says match (``totalCount``), when it said.
    total: int | None = None
    #: The key scope's analytics targets; ``None`` when they could not be read.
    targets: tuple[Target, ...] | None = None
    #: Why analytics are not available (our own words), for the one line a result carries.
    reason: str | None = None

    def covers(self, moment: datetime) -> bool:
        """The dates asked for include ``moment``'s (UTC) date."""
        if self.first_day is None or self.last_day is None:
            return False
        return self.first_day <= moment.date() <= self.last_day


@dataclass(frozen=True)
class Rows:
    """One fetch's rows: what was read, whether that was all, and Genviral's count."""

    rows: tuple[Row, ...]
    complete: bool
    total: int | None


@dataclass
class RowsEntry(Refresh):
    """One key's rows for one date range."""

    answer: Rows | None = None
    #: When ``answer`` came (the directory's clock).
    answered_at: float = 0.0


@dataclass
class TargetsEntry(Refresh):
    answer: tuple[Target, ...] | None = None


@dataclass
class KeyAnalytics:
    """What one key's calls share: its targets, and its rows per date range (most recent last)."""

    targets: TargetsEntry = field(default_factory=TargetsEntry)
    ranges: OrderedDict[tuple[date, date], RowsEntry] = field(default_factory=OrderedDict)

    def entry(self, days: tuple[date, date]) -> RowsEntry:
        entry = self.ranges.pop(days, None) or RowsEntry()
        self.ranges[days] = entry
        while len(self.ranges) > MAX_RANGES:
            self.ranges.popitem(last=False)
        return entry


def dates_for(since: datetime, until: datetime) -> tuple[date, date]:
    """The dates to ask for: the window's UTC dates, with :data:`MARGIN` either side."""
    first, last = (moment.astimezone(timezone.utc) for moment in sorted((since, until)))
    with contextlib.suppress(OverflowError):  # the first or last representable day: no margin there
        first -= MARGIN
    with contextlib.suppress(OverflowError):
        last += MARGIN
    return first.date(), last.date()


ANOTHER_SHAPE = "Genviral's analytics answered in a shape this server does not know"
#: A refusal that a retry in a minute would only repeat, and what the result says for it.
_REFUSED = {
    400: "Genviral's analytics refused the request (HTTP 400)",
    401: "Genviral's analytics did not accept this key (HTTP 401)",
    402: "Genviral's analytics need an active Creator, Professional or Business plan (HTTP 402)",
    403: "this key's plan or workspace has no access to Genviral's analytics (HTTP 403)",
}


def _failure(what: str, exc: UpstreamError) -> FetchFailed:
    """What a failed request means: a refusal (kept), a 404 (no analytics here), or a passing failure."""
    status = exc.status
    if status == 404:
        logger.info("GET /%s answered HTTP 404: no analytics here", what)
        return FetchFailed("absent", definitive=True, logged=True)
    if status in _REFUSED:
        logger.info("GET /%s answered HTTP %d; no performance numbers", what, status)
        return FetchFailed(_REFUSED[status], definitive=True, logged=True)
    if status is not None and status < 400:  # a body that is not JSON, or not an envelope
        logger.info("GET /%s answered HTTP %d with another shape; no performance numbers", what, status)
        return FetchFailed(ANOTHER_SHAPE, logged=True)
    if status is not None:
        logger.info("GET /%s answered HTTP %d; no performance numbers", what, status)
        return FetchFailed(f"Genviral's analytics failed (HTTP {status})", logged=True)
    logger.info("GET /%s failed (%s); no performance numbers", what, exc.message)
    return FetchFailed("Genviral's analytics could not be reached", logged=True)


async def _get(client: PostsClient, key: ApiKey, path: str, params: dict[str, str]) -> dict[str, Any]:
    """One bounded attempt: the ``data`` object, or :class:`FetchFailed`."""
    document: dict[str, Any] | None = None
    try:
        with anyio.move_on_after(REQUEST_TIMEOUT_SECONDS):
            document = await client.get_json(path, key, params)
    except UpstreamError as exc:
        raise _failure(path, exc) from exc
    if document is None:
        logger.info("GET /%s did not answer in time; no performance numbers", path)
        raise FetchFailed("Genviral's analytics did not answer in time", logged=True)
    data = document.get("data")
    if not isinstance(data, dict):
        logger.info("GET /%s answered another shape; no performance numbers", path)
        raise FetchFailed(ANOTHER_SHAPE, logged=True)
    return data


async def fetch_rows(client: PostsClient, key: ApiKey, days: tuple[date, date]) -> Rows:
    """Up to :data:`MAX_PAGES` pages of rows for ``days``, newest published first."""
    rows: list[Row] = []
    total: int | None = None
    for page in range(MAX_PAGES):
        params = {
            "start": days[0].isoformat(),
            "end": days[1].isoformat(),
            "sortBy": "published_at",
            "sortOrder": "desc",
            "limit": str(PAGE_ROWS),
            "offset": str(page * PAGE_ROWS),
        }
        data = await _get(client, key, ROWS_PATH, params)
        raw = data.get("posts")
        if not isinstance(raw, list):
            logger.info("GET /%s answered without a list of posts; no performance numbers", ROWS_PATH)
            raise FetchFailed(ANOTHER_SHAPE, logged=True)
        total = count_of(data.get("totalCount", data.get("total_count")))
        parsed = [row for row in map(Row.parse, raw[:PAGE_ROWS]) if row is not None]
        rows += parsed
        more = data.get("hasMore", data.get("has_more"))
        if more is None:  # not said: the count, else a full page, says whether there is more
            more = total > len(rows) if total is not None else len(raw) >= PAGE_ROWS
        if more is not True or not raw:
            return Rows(tuple(rows), True, total)
    return Rows(tuple(rows), False, total)


async def fetch_targets(client: PostsClient, key: ApiKey) -> tuple[Target, ...]:
    """The key scope's analytics targets (platform and handle)."""
    data = await _get(client, key, TARGETS_PATH, {})
    raw = data.get("targets")
    if not isinstance(raw, list):
        logger.info("GET /%s answered without a list of targets", TARGETS_PATH)
        raise FetchFailed("analytics targets answered another shape", logged=True)
    targets: list[Target] = []
    for item in raw[:MAX_TARGETS]:
        if not isinstance(item, Mapping):
            continue
        platform = _ident(item.get("platform"))
        handle = handle_of(item.get("identifier", item.get("username")))
        if platform and handle:
            targets.append(Target(platform.lower(), handle))
    return tuple(targets)


@dataclass
class Pending:
    """A call's analytics on their way: :meth:`settle` waits (briefly) and copies them out."""

    directory: AnalyticsDirectory
    state: KeyAnalytics
    days: tuple[date, date]
    entry: RowsEntry
    rows: Flight | None
    targets: Flight | None

    async def settle(self, posts_in_at: float) -> AnalyticsView:
        """Wait until :attr:`~Background.wait_seconds` after ``posts_in_at`` (``anyio.current_time()``)
        at most, then the view as it stands."""
        deadline = posts_in_at + self.directory.wait_seconds
        for flight in (self.rows, self.targets):
            if flight is not None:
                await self.directory.wait(flight, deadline)
        return self.view()

    def view(self) -> AnalyticsView:
        entry = self.entry
        targets = self.state.targets.answer
        answer = entry.answer
        if answer is None:
            failure = entry.failure
            if entry.inflight is not None:
                return AnalyticsView(Availability.PENDING, reason="Genviral's analytics were slow to answer")
            if failure is not None and failure.reason == "absent":
                return AnalyticsView(Availability.ABSENT)
            reason = failure.reason if failure is not None else "Genviral's analytics were not asked"
            return AnalyticsView(Availability.UNAVAILABLE, reason=reason)
        if not answer.rows:
            first, last = self.days
            return AnalyticsView(
                Availability.UNAVAILABLE,
                reason=f"Genviral's analytics have no posts for {first.isoformat()} to {last.isoformat()}",
            )
        return AnalyticsView(
            Availability.OK,
            rows=answer.rows,
            first_day=self.days[0],
            last_day=self.days[1],
            complete=answer.complete,
            total=answer.total,
            targets=targets,
        )


@dataclass
class AnalyticsDirectory(Background):
    """Each key's analytics targets and rows, shared by every call with that key.

    ``async with`` it for the server's lifetime (see :class:`~genviral_mcp.enrichment.Background`).
    """

    _keys: OrderedDict[bytes, KeyAnalytics] = field(default_factory=OrderedDict)

    def _state(self, key: ApiKey) -> KeyAnalytics:
        digest = key_digest(key)
        state = self._keys.pop(digest, None) or KeyAnalytics()
        self._keys[digest] = state
        while len(self._keys) > MAX_KEYS:
            self._keys.popitem(last=False)
        return state

    def _forget_beyond(self, budget: int, keep: KeyAnalytics) -> None:
        """Forget the least recently used keys' rows until at most ``budget`` are kept. ``keep``'s
        stay, and so do rows that came in the last :data:`FRESH_SECONDS`: a call may be about to read
        them (so the bound can be passed by what concurrent calls are using, never for long)."""
        total = sum(len(e.answer.rows) for s in self._keys.values() for e in s.ranges.values() if e.answer)
        recent = self.clock() - FRESH_SECONDS
        for state in list(self._keys.values()):
            if total <= budget:
                return
            if state is keep:
                continue
            for entry in state.ranges.values():
                if entry.answer is not None and entry.answered_at < recent:
                    total -= len(entry.answer.rows)
                    entry.answer, entry.due = None, None

    def begin(
        self,
        client: PostsClient,
        key: ApiKey,
        since: datetime,
        until: datetime,
        group: TaskGroup | None = None,
    ) -> Pending:
        """Start what the window ``since``..``until`` (publish times) needs and is not cached: its
        rows (the window's dates with a day of margin) and the key's targets. Fetches run in the
        directory's group (or ``group``), so they go on for later calls."""
        runner = self._group or group
        if runner is None:
            raise RuntimeError("AnalyticsDirectory.begin needs a running directory or a task group")
        state = self._state(key)
        days = dates_for(since, until)
        entry = state.entry(days)
        now = self.clock()
        rows = targets = None
        if entry.due is None or now >= entry.due:

            def keep_rows(answer: Rows, _: float) -> None:
                entry.answer, entry.answered_at = answer, self.clock()
                self._forget_beyond(MAX_CACHED_ROWS, state)

            rows = self.start(
                entry,
                runner,
                lambda: fetch_rows(client, key, days),
                keep_rows,
                cache_seconds=ROWS_CACHE_SECONDS,
                retry_seconds=RETRY_AFTER_FAILURE_SECONDS,
                what=f"GET /{ROWS_PATH}",
            )
        if state.targets.due is None or now >= state.targets.due:
            kept = state.targets

            def keep_targets(answer: tuple[Target, ...], _: float) -> None:
                kept.answer = answer

            targets = self.start(
                kept,
                runner,
                lambda: fetch_targets(client, key),
                keep_targets,
                cache_seconds=TARGETS_CACHE_SECONDS,
                retry_seconds=RETRY_AFTER_FAILURE_SECONDS,
                what=f"GET /{TARGETS_PATH}",
            )
        return Pending(self, state, days, entry, rows, targets)
