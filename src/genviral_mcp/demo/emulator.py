"""An emulation of ``GET /api/partner/v1/posts`` (and ``GET /accounts``) in the API's exact wire format.

It implements the published contract: Bearer auth, the ``status``/``limit``/``since``/``until``
query parameters (clamping and inclusive bounds included), ``invalid_since``/``invalid_until``,
the 401/402/403 refusals and the envelope. The test suite serves it over real HTTP on 127.0.0.1;
``--demo`` plugs it in as an in-process transport, so both go through the production client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from genviral_mcp.models import JsonObject
from genviral_mcp.timestamps import parse_iso

_BY_STATUS_BUCKETS = ("draft", "pending", "scheduled", "posted", "partial", "failed")

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
