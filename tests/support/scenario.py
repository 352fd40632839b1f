"""A key scope built for the everyday questions, and the ground truth each question has in it.

Posts are created up to 21 days before they are scheduled, failures are spread over 60 days,
the same provider error sits on many posts, two accounts are disconnected, and one status holds
more than a page (100) of posts. The truth functions read the raw wire-format posts directly,
sharing no code with the server.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

JsonObject = dict[str, Any]

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)

#: (id, platform, username, status)
ACCOUNTS: tuple[tuple[str, str, str, str], ...] = (
    ("1a111111-aaaa-4aaa-8aaa-000000000001", "tiktok", "bakery.one", "connected"),
    ("2b222222-aaaa-4aaa-8aaa-000000000002", "instagram", "bakery.one", "connected"),
    ("3c333333-aaaa-4aaa-8aaa-000000000003", "youtube", "BakeryOneTV", "connected"),
    ("4d444444-aaaa-4aaa-8aaa-000000000004", "pinterest", "bakeryone", "disconnected"),
    ("5e555555-aaaa-4aaa-8aaa-000000000005", "linkedin", "bakery-one", "connected"),
    ("6f666666-bbbb-4bbb-8bbb-000000000006", "facebook", "BakeryOne", "expired"),
)
ACCOUNT_IDS = [account[0] for account in ACCOUNTS]
DISCONNECTED = {account[0] for account in ACCOUNTS if account[3] not in ("connected",)}

TOKEN_ERROR = "access_token_invalid: The access token is invalid or not found in the request."
ERRORS = (
    TOKEN_ERROR,
    "(#36003) The aspect ratio is not supported. Supported ratios are 4:5 to 1.91:1.",
    "spam_risk_too_many_posts: The user has posted too many times in the last 24 hours.",
    "Board not found: 123456789012345678 (code 2)",
)


def iso(moment: datetime) -> str:
    return (
        moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def at(value: str) -> datetime:
    """:func:`parse` for a timestamp that must be there."""
    moment = parse(value)
    assert moment is not None, value
    return moment


def accounts_payload() -> list[JsonObject]:
    return [
        {"id": i, "platform": p, "type": "hosted", "username": u, "display_name": u.title(), "status": s}
        for i, p, u, s in ACCOUNTS
    ]


def _state(account_id: str, status: str, **fields: Any) -> JsonObject:
    entry = {
        "account_id": account_id,
        "status": status,
        "published_at": None,
        "error_message": None,
        "last_attempted_at": None,
        "published_url": None,
    }
    entry.update(fields)
    return entry


def _post(
    rng: random.Random, status: str, scheduled: datetime, created: datetime, states: list[JsonObject]
) -> JsonObject:
    created = min(created, NOW - timedelta(minutes=1))
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "caption": rng.choice(["Holiday drops 🎄", "Sourdough day 47", "Which one are you?", ""]),
        "status": status,
        "scheduled_at": iso(scheduled),
        "created_at": iso(created.replace(microsecond=(created.microsecond // 1000) * 1000)),
        "media": {"type": "video", "url": "https://cdn.example/v.mp4"},
        "accounts": {"total": len(states), "states": states},
    }


def scenario_posts(posted: int = 90, seed: int = 11) -> list[JsonObject]:
    """The scope, newest created first. ``posted`` sets how many published posts it holds."""
    rng = random.Random(seed)
    posts: list[JsonObject] = []

    def lead() -> timedelta:  # created up to 21 days before it is scheduled
        return timedelta(minutes=rng.randrange(5, 21 * 24 * 60))

    def pick(n: int) -> list[str]:
        return rng.sample(ACCOUNT_IDS, k=n)

    for _ in range(130):  # more than a page of one status
        at = NOW + timedelta(minutes=rng.randrange(10, 7 * 24 * 60))
        states = [_state(a, "scheduled") for a in pick(rng.choice([1, 2, 3]))]
        posts.append(_post(rng, "scheduled", at, at - lead(), states))
    for index in range(24):
        if index % 3 == 0:
            at = NOW - timedelta(minutes=rng.randrange(40, 48 * 60))  # overdue
        elif index % 3 == 1:
            at = NOW - timedelta(minutes=rng.randrange(1, 20))  # young pending: normal
        else:
            at = NOW + timedelta(minutes=rng.randrange(5, 30 * 60))
        states = [_state(a, "pending") for a in pick(rng.choice([1, 2]))]
        posts.append(_post(rng, "pending", at, at - lead(), states))
    for index in range(45):  # failures spread over 60 days; the token error on many
        at = NOW - timedelta(minutes=rng.randrange(60, 60 * 24 * 60))
        error = TOKEN_ERROR if index % 2 == 0 else rng.choice(ERRORS)
        attempted = iso(at + timedelta(seconds=rng.randrange(5, 600)))
        states = [
            _state(a, "failed", error_message=error, last_attempted_at=attempted)
            for a in pick(rng.choice([1, 2]))
        ]
        posts.append(_post(rng, "failed", at, at - lead(), states))
    for status in ("partial",) * 15 + ("retry",) * 6:
        at = NOW - timedelta(minutes=rng.randrange(60, 30 * 24 * 60))
        accounts = pick(3)
        published = at + timedelta(seconds=rng.randrange(20, 900))
        states = [
            _state(
                accounts[0],
                "posted",
                published_at=iso(published),
                published_url=f"https://example.com/p/{rng.getrandbits(40)}",
            ),
            _state(
                accounts[1], "failed" if status == "partial" else "retry", error_message=rng.choice(ERRORS)
            ),
            _state(accounts[2], "posted", published_at=iso(published), published_url="https://example.com/x"),
        ]
        posts.append(_post(rng, status, at, at - lead(), states))
    for index in range(posted):  # published over 30 days; many created weeks before
        at = NOW - timedelta(minutes=rng.randrange(30, 30 * 24 * 60))
        published = at + timedelta(seconds=rng.randrange(20, 900))
        states = [
            _state(
                a,
                "posted",
                published_at=iso(published),
                published_url=f"https://example.com/{a[-2:]}/{index}",
                error_message="old: (#9007) media not ready" if index % 9 == 0 else None,
            )
            for a in pick(rng.choice([1, 2]))
        ]
        posts.append(_post(rng, "posted", at, at - lead(), states))
    for _ in range(12):
        at = NOW + timedelta(days=rng.randrange(1, 20))
        posts.append(_post(rng, "draft", at, NOW - timedelta(days=rng.randrange(1, 30)), []))
    posts.sort(key=lambda post: post["created_at"], reverse=True)
    return posts


# --- ground truth ------------------------------------------------------------------------


@dataclass(frozen=True)
class Truth:
    posts: list[JsonObject]

    def attention(self) -> set[tuple[str, str]]:
        """(post id, account id) of every delivery that needs a human."""
        found = set()
        for post in self.posts:
            late = at(post["scheduled_at"]) < NOW - timedelta(minutes=30)
            for state in post["accounts"]["states"]:
                if state["status"] in ("failed", "partial", "retry") or (
                    state["status"] in ("pending", "scheduled") and late
                ):
                    found.add((post["id"], state["account_id"]))
        return found

    def upcoming(self, hours: int) -> set[str]:
        end = NOW + timedelta(hours=hours)
        return {
            post["id"]
            for post in self.posts
            if post["status"] in ("pending", "scheduled") and NOW < at(post["scheduled_at"]) <= end
        }

    def went_out(self, since: datetime, until: datetime) -> set[tuple[str, str]]:
        return {
            (post["id"], state["account_id"])
            for post in self.posts
            for state in post["accounts"]["states"]
            if state["status"] == "posted" and since <= at(state["published_at"]) <= until
        }

    def created(self, post_id: str) -> str:
        created: str = next(post["created_at"] for post in self.posts if post["id"] == post_id)
        return created
