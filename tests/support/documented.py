"""A key scope that behaves like Genviral's documented API, where the tidy scenario does not.

* ``GET /accounts`` lists only **active** accounts (status ``active``): three accounts that still
  have deliveries are missing from it. Their ids share their first eight hex digits, and one of
  them published to TikTok under a handle its URLs carry.
* Two listed Instagram accounts have the same display name, and a third's name equals the label
  the second would get when told apart (``instagram Luna Bakes (2c222222)``).
* ``deleted`` and ``void`` posts hold live deliveries (the API doc's own example is a deleted post
  with a scheduled delivery); ``retry`` posts exist and ``by_status`` counts none of them.
* The ``failed`` counter lags: it says 100, and 130 posts are failed.
* Optionally, 120 scheduled posts share one ``created_at`` (a bulk import): more than a page.
* One posted post has an older ``pending`` copy (:func:`stale_copy`) that a test can serve to one
  walk, as if the post changed status between two walks.

The ground truth reads the raw wire-format posts directly and shares no code with the server.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from genviral_mcp.demo.emulator import summarize_scope

from support.common import instant as at
from support.common import iso

JsonObject = dict[str, Any]

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)

#: Listed by ``GET /accounts``: (id, platform, username, display name).
ACTIVE: tuple[tuple[str, str, str | None, str], ...] = (
    ("0a000000-aaaa-4aaa-8aaa-00000000000a", "tiktok", "bakery.one", "Bakery One"),
    ("0b000000-aaaa-4aaa-8aaa-00000000000b", "instagram", None, "Luna Bakes (2c222222)"),
    ("1b111111-aaaa-4aaa-8aaa-00000000001b", "instagram", None, "Luna Bakes"),
    ("2c222222-aaaa-4aaa-8aaa-00000000002c", "instagram", None, "Luna Bakes"),
    ("4e444444-aaaa-4aaa-8aaa-00000000004e", "youtube", "BakeryTV", "Bakery TV"),
)
ACTIVE_IDS = [account[0] for account in ACTIVE]
#: Still named by deliveries, missing from ``GET /accounts``: (id, platform).
OLD_TIKTOK = "3f1c9a20-aaaa-4aaa-8aaa-000000000001"
OLD_LINKEDIN = "3f1c9a20-bbbb-4bbb-8bbb-000000000002"
OLD_FACEBOOK = "3f1c9a20-cccc-4ccc-8ccc-000000000003"
MISSING = {OLD_TIKTOK: "tiktok", OLD_LINKEDIN: "linkedin", OLD_FACEBOOK: "facebook"}
OLD_HANDLE = "old.bakery"

TOKEN_ERROR = "401 Unauthorized: The token used in the request has expired. Reconnect LinkedIn."
ASPECT_ERROR = "(#36003) The aspect ratio is not supported. Supported ratios are 4:5 to 1.91:1."
PULL_ERROR = "video_pull_failed: TikTok could not download the video from the provided URL (HTTP 403)."
QUOTA_ERROR = "uploadLimitExceeded: The user has exceeded the number of videos they may upload."
FAILED_POSTS = 130
LAGGING_FAILED_COUNTER = 100
CROWD = 120
#: The posted post that one walk may see as an older pending copy.
CHANGED_POST = "c0ffee00-0000-4000-8000-000000000001"


def accounts_payload() -> list[JsonObject]:
    """What ``GET /accounts`` answers: the active accounts only."""
    return [
        {
            "id": account_id,
            "platform": platform,
            "type": "byo",
            "username": username,
            "display_name": name,
            "status": "active",
            "workspace_id": None,
        }
        for account_id, platform, username, name in ACTIVE
    ]


def _state(account_id: str, status: str, **fields: Any) -> JsonObject:
    return {
        "account_id": account_id,
        "status": status,
        "published_at": None,
        "error_message": None,
        "last_attempted_at": None,
        "published_url": None,
    } | fields


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.posts: list[JsonObject] = []
        self.serial = 0

    def post(
        self, status: str, scheduled: datetime, created: datetime, states: list[JsonObject], post_id: str = ""
    ) -> JsonObject:
        self.serial += 1
        post = {
            "id": post_id or f"{self.serial:08x}-d0c5-4000-8000-{self.rng.getrandbits(48):012x}",
            "caption": self.rng.choice(["Holiday drops 🎄", "Sourdough day 47", "Which one are you?"]),
            "status": status,
            "scheduled_at": iso(scheduled),
            "created_at": iso(min(created, NOW - timedelta(minutes=1))),
            "media": {"type": "video", "url": "https://cdn.example/v.mp4"},
            "music_url": None,
            "tiktok": None,
            "pinterest": None,
            "accounts": {"total": len(states), "states": states},
        }
        self.posts.append(post)
        return post

    def created_before(self, moment: datetime) -> datetime:
        """Created 5 minutes to 21 days before ``moment``, at a distinct millisecond."""
        minutes = self.rng.randrange(5, 21 * 24 * 60)
        return moment - timedelta(minutes=minutes, milliseconds=self.rng.randrange(1000))


def _url(account_id: str, index: int) -> str:
    if account_id == OLD_TIKTOK:
        return f"https://www.tiktok.com/@{OLD_HANDLE}/video/{7300000000000000000 + index}"
    if account_id == ACTIVE_IDS[0]:
        return f"https://www.tiktok.com/@bakery.one/video/{7400000000000000000 + index}"
    if account_id == ACTIVE_IDS[4]:
        return f"https://www.youtube.com/shorts/v{index:010d}"
    return f"https://www.instagram.com/p/C{index:010d}/"


def documented_posts(crowd: bool = False, seed: int = 5) -> list[JsonObject]:
    """The scope, newest created first (``crowd``: plus 120 scheduled posts created at one instant)."""
    build = _Builder(seed)
    rng = build.rng
    # Failed: 130, the counter says 100. The expired token sits on the missing LinkedIn account
    # (8 times) and on active ones; the old TikTok account's video pulls fail too.
    for index in range(FAILED_POSTS):
        when = NOW - timedelta(minutes=rng.randrange(60, 40 * 24 * 60))
        if index < 8:
            account, error = OLD_LINKEDIN, TOKEN_ERROR
        elif index < 14:
            account, error = OLD_TIKTOK, PULL_ERROR
        else:
            account = ACTIVE_IDS[index % len(ACTIVE_IDS)]
            error = (TOKEN_ERROR, ASPECT_ERROR, QUOTA_ERROR, PULL_ERROR)[index % 4]
        attempted = iso(when + timedelta(seconds=rng.randrange(5, 600)))
        states = [_state(account, "failed", error_message=error, last_attempted_at=attempted)]
        build.post("failed", when, build.created_before(when), states)
    # Retry: by_status has no bucket for them.
    for index in range(6):
        when = NOW - timedelta(minutes=rng.randrange(60, 5 * 24 * 60))
        account = (OLD_TIKTOK, ACTIVE_IDS[1], ACTIVE_IDS[2])[index % 3]
        states = [_state(account, "retry", error_message=ASPECT_ERROR), _state(ACTIVE_IDS[4], "posted")]
        states[1].update(
            published_at=iso(when + timedelta(seconds=30)), published_url=_url(ACTIVE_IDS[4], index)
        )
        build.post("retry", when, build.created_before(when), states)
    # Pending: some overdue, some young, some ahead.
    for index in range(12):
        offset = (-rng.randrange(40, 600), -rng.randrange(1, 20), rng.randrange(5, 600))[index % 3]
        when = NOW + timedelta(minutes=offset)
        account = ACTIVE_IDS[index % len(ACTIVE_IDS)]
        build.post("pending", when, build.created_before(when), [_state(account, "pending")])
    # Scheduled over the next week; a few go to the missing Facebook account.
    for index in range(40):
        when = NOW + timedelta(minutes=rng.randrange(10, 7 * 24 * 60))
        accounts = [ACTIVE_IDS[index % len(ACTIVE_IDS)]] + ([OLD_FACEBOOK] if index % 8 == 0 else [])
        build.post("scheduled", when, build.created_before(when), [_state(a, "scheduled") for a in accounts])
    soon = NOW + timedelta(hours=3)
    build.post(
        "scheduled",
        soon,
        NOW - timedelta(days=20),
        [_state(OLD_FACEBOOK, "scheduled"), _state(ACTIVE_IDS[0], "scheduled")],
    )
    # Partial.
    for index in range(5):
        when = NOW - timedelta(hours=rng.randrange(2, 200))
        states = [
            _state(
                ACTIVE_IDS[0],
                "posted",
                published_at=iso(when + timedelta(seconds=40)),
                published_url=_url(ACTIVE_IDS[0], 900 + index),
            ),
            _state(
                ACTIVE_IDS[2 + index % 2], "failed", error_message=ASPECT_ERROR, last_attempted_at=iso(when)
            ),
        ]
        build.post("partial", when, build.created_before(when), states)
    # Posted over 30 days; the old TikTok account published under its handle before it went.
    for index in range(60):
        when = NOW - timedelta(minutes=rng.randrange(30, 30 * 24 * 60))
        account = OLD_TIKTOK if index % 6 == 0 else ACTIVE_IDS[index % len(ACTIVE_IDS)]
        published = iso(when + timedelta(seconds=rng.randrange(20, 900)))
        states = [_state(account, "posted", published_at=published, published_url=_url(account, index))]
        build.post("posted", when, build.created_before(when), states)
    yesterday = NOW - timedelta(hours=20)
    build.post(
        "posted",
        yesterday,
        NOW - timedelta(days=2),
        [
            _state(
                ACTIVE_IDS[0],
                "posted",
                published_at=iso(yesterday + timedelta(seconds=50)),
                published_url=_url(ACTIVE_IDS[0], 999),
            )
        ],
        post_id=CHANGED_POST,
    )
    # Provider statuses with live deliveries, as in the API doc's example, and some without.
    build.post(
        "deleted",
        NOW + timedelta(hours=5),
        NOW - timedelta(days=9),
        [_state(ACTIVE_IDS[1], "deleted"), _state(ACTIVE_IDS[0], "scheduled")],
    )
    gone = NOW - timedelta(days=3)
    build.post(
        "deleted",
        gone,
        NOW - timedelta(days=12),
        [
            _state(ACTIVE_IDS[1], "deleted"),
            _state(OLD_LINKEDIN, "failed", error_message=TOKEN_ERROR, last_attempted_at=iso(gone)),
        ],
    )
    build.post(
        "void",
        gone,
        NOW - timedelta(days=30),
        [_state(ACTIVE_IDS[4], "void"), _state(ACTIVE_IDS[2], "retry", error_message=QUOTA_ERROR)],
    )
    for index in range(4):
        when = NOW - timedelta(days=10 + index)
        build.post(
            ("deleted", "void")[index % 2],
            when,
            build.created_before(when),
            [_state(ACTIVE_IDS[index], ("deleted", "void")[index % 2])],
        )
    # Drafts.
    for index in range(5):
        build.post(
            "draft",
            NOW + timedelta(days=3 + index),
            NOW - timedelta(days=index + 1),
            [_state(ACTIVE_IDS[index], "draft")],
        )
    if crowd:
        instant = NOW - timedelta(days=25)  # one bulk import, scheduled over the coming weeks
        for index in range(CROWD):
            when = NOW + timedelta(days=8 + index % 20, minutes=index)
            build.post("scheduled", when, instant, [_state(ACTIVE_IDS[index % len(ACTIVE_IDS)], "scheduled")])
    posts = build.posts
    posts.sort(key=lambda post: post["created_at"], reverse=True)
    return posts


def lagging_scope(posts: list[JsonObject]) -> JsonObject:
    """Genviral's counters for ``posts``, with the ``failed`` one lagging behind."""
    scope = summarize_scope(posts)
    scope["by_status"] = {**scope["by_status"], "failed": LAGGING_FAILED_COUNTER}
    return scope


def stale_copy(posts: list[JsonObject]) -> JsonObject:
    """:data:`CHANGED_POST` as a walk could have seen it just before it went out: pending, past due."""
    post = next(post for post in posts if post["id"] == CHANGED_POST)
    return post | {
        "status": "pending",
        "accounts": {"total": 1, "states": [_state(ACTIVE_IDS[0], "pending")]},
    }


# --- ground truth ------------------------------------------------------------------------

LIVE = ("failed", "partial", "retry", "pending", "scheduled")


@dataclass(frozen=True)
class Truth:
    posts: list[JsonObject]

    def deliveries(self) -> set[tuple[str, str]]:
        """(post id, account id) of every delivery in scope."""
        return {
            (post["id"], state["account_id"]) for post in self.posts for state in post["accounts"]["states"]
        }

    def attention(self) -> set[tuple[str, str]]:
        """Every delivery that needs a human, whatever its post's status."""
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
        """Posts due within ``hours`` with a delivery still to go out, whatever the post's status."""
        end = NOW + timedelta(hours=hours)
        return {
            post["id"]
            for post in self.posts
            if NOW < at(post["scheduled_at"]) <= end
            and any(state["status"] in ("pending", "scheduled") for state in post["accounts"]["states"])
        }

    def went_out(self, since: datetime, until: datetime) -> set[tuple[str, str]]:
        return {
            (post["id"], state["account_id"])
            for post in self.posts
            for state in post["accounts"]["states"]
            if state["status"] == "posted" and since <= at(state["published_at"]) <= until
        }

    def not_active(self) -> dict[str, int]:
        """Accounts the deliveries name that ``GET /accounts`` does not list -> their live deliveries."""
        counts: dict[str, int] = {}
        for post in self.posts:
            for state in post["accounts"]["states"]:
                if state["account_id"] not in ACTIVE_IDS:
                    counts.setdefault(state["account_id"], 0)
                    counts[state["account_id"]] += state["status"] in LIVE
        return counts

    def statuses(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for post in self.posts:
            counts[post["status"]] = counts.get(post["status"], 0) + 1
        return counts

    def created(self, post_id: str) -> str:
        created: str = next(post["created_at"] for post in self.posts if post["id"] == post_id)
        return created
