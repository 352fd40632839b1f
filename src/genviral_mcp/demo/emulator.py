"""An emulation of ``GET /api/partner/v1/posts`` (and ``GET /accounts``, ``GET /analytics/summary/posts``
and ``GET /analytics/targets``) in the API's exact wire format.

It implements the published contract: Bearer auth, the ``status``/``limit``/``since``/``until``
query parameters (clamping and inclusive bounds included), ``invalid_since``/``invalid_until``,
the 401/402/403 refusals and the envelope; for analytics, ``range`` or ``start`` + ``end`` dates,
``platforms``, ``accounts`` (target ids), ``sortBy``/``sortOrder``, ``limit`` (≤ 100) and ``offset``
(≤ 10,000), their ``snake_case`` aliases, ``totalCount`` and ``hasMore``. The test suite serves it
over real HTTP on 127.0.0.1; ``--demo`` plugs it in as an in-process transport, so both go through
the production client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from genviral_mcp.models import JsonObject
from genviral_mcp.timestamps import parse_iso

_BY_STATUS_BUCKETS = ("draft", "pending", "scheduled", "posted", "partial", "failed")

#: The analytics endpoint's sort keys, and its named ranges in days.
ANALYTICS_SORTS = ("published_at", "views", "likes", "comments", "shares")
RANGES = {"14d": 14, "30d": 30, "90d": 90, "1y": 365}
MAX_OFFSET = 10_000
WORKSPACE_ID = "7d3e1c2a-5b4f-4e8a-9c6d-0a1b2c3d4e5f"

#: What a key stands for. Anything not listed is rejected with 401.
PLAN_OK = "ok"
PLAN_UNPAID = "subscription_required"
PLAN_SCHEDULER = "tier_not_allowed"


@dataclass(frozen=True)
class EmulatedResponse:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=lambda: {"content-type": "application/json"})


def _envelope_error(code: int, message: str, error_code: str | None = None) -> EmulatedResponse:
    payload: JsonObject = {"ok": False, "code": code, "message": message}
    if error_code:
        payload["error_code"] = error_code
    return EmulatedResponse(code, json.dumps(payload).encode())


def _created(post: JsonObject) -> datetime:
    parsed = parse_iso(str(post["created_at"]))
    assert parsed is not None
    return parsed


def _number(raw: str | None, default: int) -> int | None:
    """A whole-number query parameter; ``None`` when it is not one."""
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        return None


def _row_moment(row: JsonObject) -> datetime | None:
    return parse_iso(str(row.get("publishedAt") or ""))


def _row_day_in(row: JsonObject, days: tuple[date, date] | None) -> bool:
    if days is None:
        return True
    moment = _row_moment(row)
    return moment is not None and days[0] <= moment.date() <= days[1]


def _row_handle(row: JsonObject) -> tuple[str, str]:
    return (str(row.get("platform", "")).lower(), str(row.get("accountIdentifier", "")).lstrip("@").lower())


def _sort_key(row: JsonObject, sort_by: str) -> tuple[Any, ...]:
    if sort_by == "published_at":
        moment = _row_moment(row)
        return (moment.timestamp() if moment else 0.0, str(row.get("id")))
    metrics = row.get("metrics") if isinstance(row.get("metrics"), dict) else {}
    value = metrics.get(sort_by) if isinstance(metrics, dict) else None
    return (value if isinstance(value, (int, float)) else -1, str(row.get("id")))


def clamp_limit(raw: str | None) -> int:
    """Default 20; below 1 becomes 1, above 100 becomes 100 (the API's rule)."""
    if raw is None or raw.strip() == "":
        return 20
    try:
        number = int(float(raw))
    except (ValueError, OverflowError):
        return 20
    return max(1, min(100, number))


def summarize_scope(posts: Sequence[JsonObject]) -> JsonObject:
    """Scope-wide counters, computed independently of any filter."""
    by_status: dict[str, int] = {}
    for post in posts:
        status = str(post.get("status"))
        if status in _BY_STATUS_BUCKETS:
            by_status[status] = by_status.get(status, 0) + 1
    return {
        "total": len(posts),
        "pending": by_status.get("pending", 0) + by_status.get("scheduled", 0),
        "published": by_status.get("posted", 0),
        "by_status": by_status,
    }


@dataclass
class PostsEmulator:
    """Answers Posts API requests over an in-memory scope of posts."""

    posts: Sequence[JsonObject]
    keys: Mapping[str, str]
    #: Counters to report instead of computing them (the real API's may not add up).
    scope: JsonObject | None = None
    #: ``GET /accounts``'s list, as Genviral's CLI reads it; ``None`` answers 404 (not offered).
    accounts: Sequence[JsonObject] | None = None
    #: ``GET /analytics/summary/posts``'s rows and ``GET /analytics/targets``'s targets; ``None``
    #: answers 404 (not offered).
    analytics: Sequence[JsonObject] | None = None
    targets: Sequence[JsonObject] | None = None
    #: What "now" is for a ``range`` (``30d`` …); ``None``: the newest row's publish time.
    now: datetime | None = None

    def handle_targets(self, authorization: str | None) -> EmulatedResponse:
        refusal = self._authorize(authorization)
        if refusal is not None:
            return refusal
        if self.targets is None:
            return _envelope_error(404, "Not found")
        data = {"workspace_id": WORKSPACE_ID, "targets": list(self.targets)}
        payload = {"ok": True, "code": 200, "message": "Analytics targets", "data": data}
        return EmulatedResponse(200, json.dumps(payload, ensure_ascii=False).encode())

    def handle_analytics(self, query: Mapping[str, str], authorization: str | None) -> EmulatedResponse:
        """``GET /analytics/summary/posts``: rows filtered, sorted and paged as documented."""
        refusal = self._authorize(authorization)
        if refusal is not None:
            return refusal
        if self.analytics is None:
            return _envelope_error(404, "Not found")

        def arg(name: str, alias: str) -> str | None:
            return query.get(name, query.get(alias))

        days = self._days(query.get("start"), query.get("end"), query.get("range"))
        sort_by = arg("sortBy", "sort_by") or "published_at"
        order = arg("sortOrder", "sort_order") or "desc"
        limit = _number(query.get("limit"), 50)
        offset = _number(query.get("offset"), 0)
        if (
            isinstance(days, str)
            or sort_by not in ANALYTICS_SORTS
            or order not in ("asc", "desc")
            or limit is None
            or offset is None
            or not 0 <= offset <= MAX_OFFSET
        ):
            problem = days if isinstance(days, str) else "Invalid query parameters"
            return _envelope_error(400, problem, "invalid_query")
        platforms = {p.strip().lower() for p in (query.get("platforms") or "").split(",") if p.strip()}
        handles = self._target_handles(query.get("accounts"))
        rows = [
            row
            for row in self.analytics
            if isinstance(row, dict)
            and _row_day_in(row, days)
            and (not platforms or str(row.get("platform", "")).lower() in platforms)
            and (handles is None or _row_handle(row) in handles)
        ]
        rows.sort(key=lambda row: _sort_key(row, sort_by), reverse=order == "desc")
        limit = max(1, min(100, limit))
        page = rows[offset : offset + limit]
        data = {"posts": page, "totalCount": len(rows), "hasMore": offset + len(page) < len(rows)}
        payload = {"ok": True, "code": 200, "message": "Analytics posts retrieved", "data": data}
        return EmulatedResponse(200, json.dumps(payload, ensure_ascii=False).encode())

    def _days(self, start: str | None, end: str | None, span: str | None) -> tuple[date, date] | str | None:
        """The inclusive dates asked for, ``None`` for all, or what is wrong with the request."""
        if (start is None) != (end is None):
            return "start and end are required together"
        if start is not None and end is not None:
            try:
                first, last = date.fromisoformat(start), date.fromisoformat(end)
            except ValueError:
                return "start and end must be dates (YYYY-MM-DD)"
            return (first, last) if first <= last else "start must not be after end"
        span = span or "30d"
        if span == "all":
            return None
        if span not in RANGES:
            return "range must be one of 14d, 30d, 90d, 1y, all"
        now = self.now or max(
            (moment for row in self.analytics or () if (moment := _row_moment(row))), default=None
        )
        today = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).date()
        return today - timedelta(days=RANGES[span] - 1), today

    def _target_handles(self, raw: str | None) -> set[tuple[str, str]] | None:
        """``accounts`` (analytics target ids) as the (platform, handle) pairs rows carry."""
        if not raw:
            return None
        wanted = {part.strip() for part in raw.split(",") if part.strip()}
        return {
            (str(target.get("platform", "")).lower(), str(target.get("identifier", "")).lstrip("@").lower())
            for target in self.targets or ()
            if str(target.get("id")) in wanted
        }

    def handle_accounts(self, authorization: str | None) -> EmulatedResponse:
        refusal = self._authorize(authorization)
        if refusal is not None:
            return refusal
        if self.accounts is None:
            return _envelope_error(404, "Not found")
        payload = {"ok": True, "code": 200, "message": "Accounts", "data": {"accounts": self.accounts}}
        return EmulatedResponse(200, json.dumps(payload, ensure_ascii=False).encode())

    def handle(self, query: Mapping[str, str], authorization: str | None) -> EmulatedResponse:
        refusal = self._authorize(authorization)
        if refusal is not None:
            return refusal
        bounds: dict[str, datetime | None] = {}
        for name in ("since", "until"):
            raw = query.get(name)
            bounds[name] = None if raw is None else parse_iso(raw)
            if raw is not None and bounds[name] is None:
                return _envelope_error(400, f"Invalid '{name}' timestamp", f"invalid_{name}")
        selected = self._select(query.get("status"), bounds["since"], bounds["until"])
        payload = {
            "ok": True,
            "code": 200,
            "message": "Posts retrieved",
            "data": {
                "summary": self.scope if self.scope is not None else summarize_scope(self.posts),
                "posts": selected[: clamp_limit(query.get("limit"))],
            },
        }
        return EmulatedResponse(200, json.dumps(payload, ensure_ascii=False).encode())

    def _authorize(self, authorization: str | None) -> EmulatedResponse | None:
        scheme, _, token = (authorization or "").partition(" ")
        plan = self.keys.get(token.strip()) if scheme.lower() == "bearer" else None
        if plan is None:
            return _envelope_error(401, "API key not found", "invalid_token")
        if plan == PLAN_UNPAID:
            return _envelope_error(402, "An active subscription is required", PLAN_UNPAID)
        if plan == PLAN_SCHEDULER:
            return _envelope_error(403, "Your plan does not include Partner API access", PLAN_SCHEDULER)
        return None

    def _select(self, status: str | None, since: datetime | None, until: datetime | None) -> list[JsonObject]:
        chosen = [
            post
            for post in self.posts
            if (status is None or post.get("status") == status)
            and (since is None or _created(post) >= since)
            and (until is None or _created(post) <= until)
        ]
        chosen.sort(key=_created, reverse=True)
        return chosen
