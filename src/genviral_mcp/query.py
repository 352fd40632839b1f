"""Tool arguments turned into a validated Posts API query, before any request is made."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal, get_args

from genviral_mcp.errors import InvalidArgument
from genviral_mcp.timestamps import EARLIEST, LATEST, exact, in_range, is_date_only, read_iso

FilterStatus = Literal["draft", "pending", "scheduled", "posted", "failed", "partial", "retry"]
#: The same statuses as values, in the API's order.
FILTER_STATUSES: tuple[FilterStatus, ...] = get_args(FilterStatus)
MIN_LIMIT, MAX_LIMIT, DEFAULT_LIMIT = 1, 100, 20
TIMESTAMP_EXAMPLE = "2025-01-31T00:00:00Z"
#: A date alone as an upper bound ends here before the next day: the API's precision is a millisecond.
END_OF_DAY_GAP = timedelta(milliseconds=1)


def clamp_limit(limit: int) -> int:
    """Clamp to 1..100 exactly as the API does (not an error)."""
    return max(MIN_LIMIT, min(MAX_LIMIT, limit))


def parse_timestamp(parameter: str, value: str, *, end_of_day: bool = False) -> datetime:
    """Parse an ISO 8601 timestamp; without an offset it is UTC. Raises :class:`InvalidArgument`.

    A date alone is a whole UTC day: its first millisecond, or (``end_of_day``, for an upper bound)
    its last, so that ``since = until = "2026-12-01"`` covers that day. Instants outside
    1970-01-01 … 9999-12-30 are refused by name: nothing Genviral holds is there, and they are where
    date arithmetic overflows.
    """
    moment = read_iso(value)
    if moment is None:
        # The value is not echoed back: it is the caller's own text, and may be anything at all.
        raise InvalidArgument(parameter, "not an ISO 8601 timestamp", TIMESTAMP_EXAMPLE)
    if not in_range(moment):
        raise InvalidArgument(
            parameter,
            f"it is outside {EARLIEST:%Y-%m-%d} … {LATEST:%Y-%m-%d} (UTC)",
            TIMESTAMP_EXAMPLE,
        )
    if end_of_day and is_date_only(value):
        moment += timedelta(days=1) - END_OF_DAY_GAP
    return moment


@dataclass(frozen=True)
class PostsQuery:
    """One request to ``GET /posts``: the filters exactly as they are sent."""

    status: FilterStatus | None = None
    limit: int = DEFAULT_LIMIT
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def from_arguments(
        cls, status: FilterStatus | None, limit: int, since: str | None, until: str | None
    ) -> PostsQuery:
        start = parse_timestamp("since", since) if since else None
        end = parse_timestamp("until", until, end_of_day=True) if until else None
        if start and end and start > end:
            raise InvalidArgument(
                "since",
                f"it is after `until` ({exact(start)} > {exact(end)})",
                f"since=2025-01-01T00:00:00Z with until={TIMESTAMP_EXAMPLE}",
            )
        return cls(status=status, limit=clamp_limit(limit), since=start, until=end)

    def older_than(self, until: datetime, limit: int | None = None) -> PostsQuery:
        """The same filters, moved back in time (for paging)."""
        return replace(self, until=until, limit=self.limit if limit is None else limit)

    def to_params(self) -> dict[str, str]:
        params = {"limit": str(self.limit)}
        if self.status:
            params["status"] = self.status
        if self.since:
            params["since"] = exact(self.since)
        if self.until:
            params["until"] = exact(self.until)
        return params

    def describe(self) -> dict[str, str | int]:
        """The filters as applied, for the result (``limit`` after clamping)."""
        return {key: (int(value) if key == "limit" else value) for key, value in self.to_params().items()}


DEFAULT_HOURS_AHEAD, MAX_HOURS_AHEAD = 24, 7 * 24
DEFAULT_MAX_ITEMS, MAX_ITEMS = 10, 100
#: Example posts per cause: ``max_items // 8``, at least 1. A cause already gives its deliveries,
#: accounts and fix; one post is enough to open it with list_posts, and more per cause would
#: multiply by the number of causes in every default result. The rest are counted.
POSTS_PER_CAUSE_DIVISOR = 8


def posts_per_cause(max_items: int) -> int:
    """Example posts listed per cause for ``max_items`` (1 at the default 10, 12 at 100)."""
    return max(1, max_items // POSTS_PER_CAUSE_DIVISOR)


#: The rule in words, for the schema and the docs (``tests/test_claims.py`` checks it against results).
POSTS_PER_CAUSE_RULE = (
    f"max_items // {POSTS_PER_CAUSE_DIVISOR} example posts per cause, at least 1 "
    f"({posts_per_cause(DEFAULT_MAX_ITEMS)} at the default {DEFAULT_MAX_ITEMS}, "
    f"{posts_per_cause(20)} at 20, {posts_per_cause(MAX_ITEMS)} at {MAX_ITEMS})"
)
#: Without ``published_since``, "what went out" means the last day.
DEFAULT_PUBLISHED_SPAN = timedelta(hours=24)


@dataclass(frozen=True)
class SummaryRequest:
    """``get_delivery_summary``'s arguments, validated: the questions' windows, not API filters."""

    hours_ahead: int
    published_since: datetime
    published_until: datetime
    max_items: int
    #: Whether the caller gave the publish window (it is then carried into every next call).
    window_given: bool = False
    #: ``changed_since``: only what changed at or after this instant; the publish window is then
    #: this instant through now.
    changed_since: datetime | None = None

    @classmethod
    def from_arguments(
        cls,
        hours_ahead: int,
        published_since: str | None,
        published_until: str | None,
        max_items: int,
        now: datetime,
        changed_since: str | None = None,
    ) -> SummaryRequest:
        if changed_since and changed_since.strip():
            return cls._changes(hours_ahead, published_since, published_until, max_items, now, changed_since)
        end = parse_timestamp("published_until", published_until, end_of_day=True) if published_until else now
        start = (
            parse_timestamp("published_since", published_since)
            if published_since
            else end - DEFAULT_PUBLISHED_SPAN
        )
        if start > end:
            raise InvalidArgument(
                "published_since",
                f"it is after `published_until` ({exact(start)} > {exact(end)})",
                f"published_since=2025-01-30T00:00:00Z with published_until={TIMESTAMP_EXAMPLE}",
            )
        return cls(
            hours_ahead=max(1, min(MAX_HOURS_AHEAD, hours_ahead)),
            published_since=start,
            published_until=end,
            max_items=max(1, min(MAX_ITEMS, max_items)),
            window_given=bool(published_since or published_until),
        )

    @classmethod
    def _changes(
        cls,
        hours_ahead: int,
        published_since: str | None,
        published_until: str | None,
        max_items: int,
        now: datetime,
        changed_since: str,
    ) -> SummaryRequest:
        """``changed_since``: what went out is then judged from it to now, so a publish window of the
        caller's own cannot also apply; a moment after now is refused (it would skip what happens
        until then: an ``as_of`` is always in the past)."""
        for name, value in (("published_since", published_since), ("published_until", published_until)):
            if value:
                raise InvalidArgument(
                    "changed_since",
                    f"it cannot be combined with `{name}`: changed_since sets what went out to changed_since "
                    f"through now. Choose one: changed_since for what changed since a previous result's "
                    f"as_of, or {name} for a publish window",
                    "changed_since=2025-01-31T11:45:00.000Z (the previous result's as_of), without "
                    "published_since or published_until",
                )
        since = parse_timestamp("changed_since", changed_since.strip())
        if since > now:
            raise InvalidArgument(
                "changed_since",
                f"it is after now ({exact(since)} > {exact(now)}); pass the previous result's as_of, "
                "which is always in the past",
                TIMESTAMP_EXAMPLE,
            )
        return cls(
            hours_ahead=max(1, min(MAX_HOURS_AHEAD, hours_ahead)),
            published_since=since,
            published_until=now,
            max_items=max(1, min(MAX_ITEMS, max_items)),
            changed_since=since,
        )

    def upcoming_until(self, now: datetime) -> datetime:
        return now + timedelta(hours=self.hours_ahead)

    def arguments(self, **changes: int) -> dict[str, str | int]:
        """The arguments that repeat this request (with ``changes``), for a result's next call."""
        args: dict[str, str | int] = {"hours_ahead": self.hours_ahead}
        if self.changed_since is not None:
            args["changed_since"] = exact(self.changed_since)
        elif self.window_given:
            args["published_since"] = exact(self.published_since)
            args["published_until"] = exact(self.published_until)
        args["max_items"] = self.max_items
        return {**args, **changes}


@dataclass(frozen=True)
class WalkLimits:
    """Bounds on a summary's walks; tests shrink them to reach the bounds with little data."""

    #: Pages of 100 per status: about 990 posts of one status (each page repeats the previous one's oldest).
    max_pages: int = 10
    #: With ``changed_since``, when most posts are only counted (a brief of a few hundred bytes,
    #: not the post): about 4,950 posts of one status (each page repeats the previous one's oldest),
    #: so an hourly cursor moves on a mid-size account.
    max_pages_counted: int = 50
    #: What one walk may read from Genviral, whatever its page cap: 10 full pages (8 MB), as much as
    #: ``max_pages`` allows at worst. A scope of huge posts costs no more upstream bytes, decoding and
    #: worker time with ``changed_since`` than without it (docs/hosting.md, "heavy tenants").
    max_read_bytes: int = 10 * 8 * 1024 * 1024
    #: Paging stops after this long and the result says how far it got.
    budget_seconds: float = 30.0
    #: What one summary keeps in memory, all walks together (each of its 7 walks gets an equal
    #: share: 1,000 posts, its 10 pages; 8,571 deliveries; 8 MB): posts, their deliveries, and the
    #: upstream bytes they came in. Past a share, that walk stops and the result says so. 60,000
    #: deliveries kept cost a hosted server's health check 0.3-0.6 s of garbage collection at
    #: worst; 200,000 cost over 1 s.
    max_kept_posts: int = 7_000
    max_kept_deliveries: int = 60_000
    max_kept_bytes: int = 56 * 1024 * 1024
    #: Posts only counted (briefs), all walks together: 5,000 a walk, its 50 pages. Their bytes count
    #: in ``max_kept_bytes`` beside the posts kept whole, so the summary's memory bound is unchanged.
    max_counted_posts: int = 35_000
