"""A key scope with old and new news around an injected ``now``, and the ground truth of "what changed
since T", read from the raw wire-format posts with no code shared with the server.

Every moment is relative to ``now`` (no test depends on the time of day). The news is all at least 20
minutes old, so a second call an hour later (whose ``changed_since`` is the first one's ``as_of``,
``now`` minus 15 minutes) has no repeats: only what was added in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from support.common import instant as at
from support.common import iso

JsonObject = dict[str, Any]

ACTIVE_A = "aaaaaaaa-0000-4000-8000-00000000000a"  # tiktok
ACTIVE_B = "bbbbbbbb-0000-4000-8000-00000000000b"  # instagram
ACTIVE_D = "dddddddd-0000-4000-8000-00000000000d"  # pinterest
#: Missing from Genviral's list of active accounts: one with a new failure, one with old ones only.
GONE_C = "cccccccc-0000-4000-8000-00000000000c"
GONE_E = "eeeeeeee-0000-4000-8000-00000000000e"
GRACE = timedelta(minutes=30)
FAILURES = frozenset({"failed", "partial", "retry"})
WAITING = frozenset({"pending", "scheduled"})


def accounts_payload() -> list[JsonObject]:
    """Genviral's list: active accounts only (C and E are missing, so not active)."""
    return [
        {"id": ACTIVE_A, "platform": "tiktok", "username": "news.a", "status": "active"},
        {"id": ACTIVE_B, "platform": "instagram", "username": "news.b", "status": "active"},
        {"id": ACTIVE_D, "platform": "pinterest", "username": "newsd", "status": "active"},
    ]


def state(account: str, status: str, **fields: Any) -> JsonObject:
    return {
        "account_id": account,
        "status": status,
        "published_at": None,
        "error_message": None,
        "last_attempted_at": None,
        "published_url": None,
        **fields,
    }


def post(
    post_id: str, status: str, created: datetime, scheduled: datetime, *states: JsonObject
) -> JsonObject:
    return {
        "id": post_id,
        "caption": f"caption of {post_id}",
        "status": status,
        "scheduled_at": iso(scheduled),
        "created_at": iso(created),
        "media": {"type": "video", "url": "https://cdn.example/v.mp4"},
        "accounts": {"total": len(states), "states": list(states)},
    }


def failed(
    post_id: str, account: str, attempted: datetime, error: str, *, status: str = "failed"
) -> JsonObject:
    """A post whose one delivery failed (or is retrying) at ``attempted``."""
    due = attempted - timedelta(minutes=5)
    return post(
        post_id,
        status,
        due - timedelta(days=2),
        due,
        state(account, status, error_message=error, last_attempted_at=iso(attempted)),
    )


def old_publications(count: int, account: str, now: datetime) -> list[JsonObject]:
    """``count`` posts published to ``account`` days before ``now``, one a minute back: a large scope
    that holds no news, for the walks' bounds."""
    return [
        published(
            f"out-{index}",
            account,
            now - timedelta(days=3, minutes=index),
            now - timedelta(days=4, minutes=index),
        )
        for index in range(count)
    ]


def published(post_id: str, account: str, moment: datetime, created: datetime) -> JsonObject:
    return post(
        post_id,
        "posted",
        created,
        moment - timedelta(minutes=2),
        state(
            account,
            "posted",
            published_at=iso(moment),
            last_attempted_at=iso(moment - timedelta(seconds=8)),
            published_url=f"https://example.com/{post_id}",
        ),
    )


def waiting(post_id: str, account: str, scheduled: datetime, status: str = "pending") -> JsonObject:
    return post(post_id, status, scheduled - timedelta(days=1), scheduled, state(account, status))


def news_workspace(now: datetime) -> list[JsonObject]:
    """Old failures (days ago) and new ones (minutes ago), a retry that failed again, a failure with
    no attempt recorded, a post published 20 minutes ago (created 40 days ago) and one days ago, a
    partial, a post that became overdue in the last hour and one overdue for days, an upcoming post,
    and two accounts that are not active: one with a new failure, one with only old ones."""

    def minutes(count: int) -> datetime:
        return now - timedelta(minutes=count)

    def days(count: int) -> datetime:
        return now - timedelta(days=count)

    retried = failed("retry-again", ACTIVE_A, minutes(30), "spam_risk_too_many_posts", status="retry")
    retried["scheduled_at"] = iso(days(2))  # first attempted two days ago: this is a new attempt
    no_attempt = post(
        "fail-unstamped", "failed", days(3), minutes(40), state(ACTIVE_D, "failed", error_message="x")
    )
    return [
        failed("old-fail", ACTIVE_A, days(3), "Board not found (code 2)"),
        failed("old-retry", ACTIVE_B, minutes(5 * 60), "(#9007) Media ID is not available", status="retry"),
        failed("new-fail", ACTIVE_B, minutes(45), "spam_risk_too_many_posts"),
        retried,
        no_attempt,
        published("went-20m", ACTIVE_A, minutes(20), created=days(40)),
        published("went-days", ACTIVE_B, days(3), created=days(5)),
        post(
            "half",
            "partial",
            days(1),
            minutes(27),
            state(
                ACTIVE_A, "posted", published_at=iso(minutes(25)), published_url="https://example.com/half"
            ),
            state(
                ACTIVE_D,
                "failed",
                error_message="Board not found (code 2)",
                last_attempted_at=iso(minutes(25)),
            ),
        ),
        waiting("overdue-new", ACTIVE_B, minutes(70)),  # grace ended 40 minutes ago
        waiting("overdue-old", ACTIVE_D, days(3), status="scheduled"),
        waiting("upcoming", ACTIVE_A, now + timedelta(hours=3), status="scheduled"),
        failed("gone-new", GONE_C, minutes(35), "(#190) Error validating access token"),
        failed("gone-old", GONE_E, days(4), "(#190) Error validating access token"),
    ]


# --- ground truth --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Truth:
    """What a summary with ``changed_since = since`` at ``now`` must list, and count."""

    #: ``"<instant> <post id> <account id>"`` of every failure and overdue delivery that is news.
    attention: frozenset[str]
    #: The same, for every publication in [since, now].
    published: frozenset[str]
    #: Flagged deliveries (failures, overdue) that are not news.
    older: int
    #: Inactive accounts with a delivery that failed, or fell due, since.
    inactive: frozenset[str]


def truth(posts: list[JsonObject], since: datetime, now: datetime, inactive: set[str]) -> Truth:
    """The issue's definition, applied to raw posts (every post was created before its news)."""
    attention, went, older, accounts = set(), set(), 0, set()
    for item in posts:
        scheduled = at(item["scheduled_at"])
        for entry in item["accounts"]["states"]:
            status, account = entry["status"], entry["account_id"]
            if status in FAILURES:
                moment = at(entry["last_attempted_at"] or item["scheduled_at"])
            elif status in WAITING and now - scheduled > GRACE:
                moment = scheduled + GRACE
            elif status == "posted" and since <= at(entry["published_at"]) <= now:
                went.add(f"{iso(at(entry['published_at']))} {item['id']} {account}")
                continue
            else:
                continue
            if moment >= since:
                attention.add(f"{iso(moment)} {item['id']} {account}")
                if account in inactive:
                    accounts.add(account)
            else:
                older += 1
    return Truth(frozenset(attention), frozenset(went), older, frozenset(accounts))


def listed_changes(summary: JsonObject) -> tuple[set[str], set[str]]:
    """The change ids a summary lists: under its causes, and under what went out."""
    attention = {
        change
        for cause in summary["needs_attention"].get("causes", [])
        for change in cause.get("changes", {})
    }
    went = {change for item in summary["went_out"].get("items", []) for change in item.get("changes", {})}
    return attention, went
