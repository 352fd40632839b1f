"""Upstream data sized to blow up a result: each scope fits in one body under the 8 MiB limit.

Each :class:`Oversized` case is one key scope and the tool calls that once turned it into a result
of megabytes: many deliveries per post, one cause on tens of thousands of accounts, thousands of
extra scope fields, a deep and wide tree of unknown fields. ``benchmarks/tenants.py`` measures each
call's result; ``tests/test_result_size.py`` checks the caps on smaller versions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

JsonObject = dict[str, Any]


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def account_id(index: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"oversized-account-{index}"))


def fanned_out_posts(
    now: datetime, posts: int, deliveries: int, status: str = "failed", distinct_accounts: bool = True
) -> list[JsonObject]:
    """``posts`` posts of ``status``, each delivered to ``deliveries`` accounts (distinct across posts
    when ``distinct_accounts``), every failure with the same provider error."""
    made = []
    for number in range(posts):
        states: list[JsonObject] = []
        for index in range(deliveries):
            account = account_id(number * deliveries + index if distinct_accounts else index)
            if status == "posted":
                states.append(
                    {
                        "account_id": account,
                        "status": "posted",
                        "published_at": _iso(now - timedelta(hours=1)),
                        "published_url": f"https://www.tiktok.com/@a{index}/video/{index}",
                    }
                )
            elif status in ("pending", "scheduled"):
                states.append({"account_id": account, "status": status})
            else:
                states.append({"account_id": account, "status": status, "error_message": "Token expired"})
        scheduled = (
            now + timedelta(hours=2) if status in ("pending", "scheduled") else now - timedelta(hours=2)
        )
        made.append(
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"oversized-{status}-{number}")),
                "caption": f"Post {number}",
                "status": status,
                "scheduled_at": _iso(scheduled),
                "created_at": _iso(now - timedelta(days=1, seconds=number)),
                "accounts": {"total": deliveries, "states": states},
            }
        )
    return made


def scope_counters(posts: list[JsonObject], extra_fields: int = 0, statuses: int = 0) -> JsonObject:
    """Counters that add up for ``posts``, plus ``extra_fields`` unknown integer fields and
    ``statuses`` unknown statuses in ``by_status``."""
    by_status: dict[str, int] = {}
    for post in posts:
        by_status[post["status"]] = by_status.get(post["status"], 0) + 1
    by_status.update({f"status_{n:05d}": 0 for n in range(statuses)})
    scope: JsonObject = {
        "total": len(posts),
        "pending": by_status.get("pending", 0) + by_status.get("scheduled", 0),
        "published": by_status.get("posted", 0),
        "by_status": by_status,
    }
    scope.update({f"field_{n:05d}": n for n in range(extra_fields)})
    return scope


def tree(width: int, depth: int) -> Any:
    """A JSON object ``width`` keys wide and ``depth`` levels deep, with short leaves."""
    if depth == 0:
        return "leaf"
    return {f"k{n}": tree(width, depth - 1) for n in range(width)}


@dataclass(frozen=True)
class Oversized:
    name: str
    posts: list[JsonObject]
    scope: JsonObject
    calls: list[tuple[str, JsonObject]] = field(default_factory=list)


def oversized_cases(now: datetime, scale: float = 1.0) -> list[Oversized]:
    """The issue's result-size table; ``scale`` shrinks every count (tests run them small)."""

    def n(count: int) -> int:
        return max(2, int(count * scale))

    page = fanned_out_posts(now, 100, n(400))
    one_cause = fanned_out_posts(now, 1, n(40_000))
    went_out = fanned_out_posts(now, 1, n(30_000), status="posted")
    upcoming = fanned_out_posts(now, 1, n(40_000), status="scheduled")
    extras = fanned_out_posts(now, 1, 2)
    extras[0]["insights"] = tree(n(24), 4)
    extras[0]["accounts"]["states"][0]["diagnostics"] = tree(n(30), 3)
    counters = fanned_out_posts(now, 3, 2)
    summary = ("get_delivery_summary", {"max_items": 100})
    return [
        Oversized(
            "100 posts x 400 deliveries",
            page,
            scope_counters(page),
            [("list_posts", {"limit": 100}), ("list_posts", {"limit": 100, "detail": "full"}), summary],
        ),
        Oversized("one cause on 40,000 accounts", one_cause, scope_counters(one_cause), [summary]),
        Oversized("30,000 deliveries went out", went_out, scope_counters(went_out), [summary]),
        Oversized("40,000 accounts upcoming", upcoming, scope_counters(upcoming), [summary]),
        Oversized(
            "20,000 scope fields",
            counters,
            scope_counters(counters, extra_fields=n(20_000), statuses=n(5_000)),
            [("list_posts", {"limit": 5}), summary],
        ),
        Oversized(
            "a tree of unknown fields",
            extras,
            scope_counters(extras),
            [("list_posts", {"limit": 5, "detail": "full"})],
        ),
    ]
