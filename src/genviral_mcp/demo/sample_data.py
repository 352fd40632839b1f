"""A realistic, deterministic sample workspace in the Posts API's exact wire format.

Used by the in-process emulator (``--demo``) and by the test suite's stand-in API, so both
exercise the same data: every status including ``deleted``/``void``, a post fanned out to
many accounts, provider errors (long ones too), stale errors on published deliveries, long
and non-Latin captions with emoji, and scheduled times relative to ``now`` so that
"upcoming" and "overdue" mean something.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

from genviral_mcp.models import JsonObject

#: (account id, platform, handle). The API only returns ids; the rest helps build URLs.
ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("0f4f54d4-8cce-4fb7-8c7b-befbcb8af812", "tiktok", "luna.bakes"),
    ("6b0c8c9c-55ac-4fcb-85ec-70b5a8b0d089", "instagram", "luna.bakes"),
    ("9d2e7a61-3f0b-4c1e-a7d4-52c8e1f0b3a9", "youtube", "LunaBakesTV"),
    ("c41a8f3e-9b27-4d6a-b1e5-7f03d2a6c8b4", "pinterest", "lunabakes"),
    ("2b7f1d90-6e4c-4a8b-9f35-d1c6e0a7b248", "linkedin", "luna-bakes-studio"),
    ("e8a3c5d7-1f9b-42e6-8d0a-b4f7c2e91d35", "facebook", "LunaBakesStudio"),
    ("5c9e2b14-a7d3-4f80-b6c1-3e8d9f2a7051", "tiktok", "luna.travels"),
    ("a1d4f7b2-8c3e-4b95-a0f6-2d7e9c1b4f83", "instagram", "luna.travels"),
)

#: Connection statuses as ``GET /accounts`` might give them: one account has lost its login.
DISCONNECTED_ACCOUNT_IDS = frozenset({"a1d4f7b2-8c3e-4b95-a0f6-2d7e9c1b4f83"})


def sample_accounts() -> list[JsonObject]:
    """``GET /accounts``'s list for the sample workspace, in the shape Genviral's CLI reads."""
    return [
        {
            "id": account_id,
            "platform": platform,
            "type": "hosted" if index % 3 else "byo",
            "username": handle,
            "display_name": handle.replace(".", " ").replace("-", " ").title(),
            "status": "disconnected" if account_id in DISCONNECTED_ACCOUNT_IDS else "connected",
        }
        for index, (account_id, platform, handle) in enumerate(ACCOUNTS)
    ]


CAPTIONS: tuple[str, ...] = (
    "Holiday drops start Monday! 🎄",
    "3 ingredients, 10 minutes, zero regrets. Save this for later 🍫",
    "Behind the scenes of our sourdough starter, day 47 🥖",
    "Which one are you? 1, 2 or 3? Comment below 👇",
    "We tested 12 viral cookie recipes so you don't have to. Here is the honest ranking, from the "
    "one that fell apart in the oven to the one we now bake every single weekend. Spoiler: brown "
    "butter changes everything, and chilling the dough overnight is not optional. Full recipe and "
    "timings in the comments, plus the one mistake that ruined batch number seven. #baking #cookies "
    "#recipe #foodtok #homebaker #dessert #chocolatechip #weekendbaking",
    "東京の朝ごはん巡り🍙 築地で食べた玉子焼きが最高でした。次はどこに行こう？",
    "رحلة إلى مراكش: أسواق، توابل، وغروب لا يُنسى 🌅",
    "Плюшки с корицей за 30 минут — проще не бывает! 🥐",
    "Morning light in Lisbon ☀️🇵🇹 #travel #portugal",
    "New class dates are live: laminated dough masterclass, Saturday 10am. Link in bio.",
    "🎉🎉🎉 100K! Thank you all 💛",
    "서울 카페 투어 ☕ 오늘은 성수동에서",
    "POV: you finally nailed the croissant lamination 🥐✨",
    "Our Q3 results: 4 new workshops, 2 new cities, and a cookbook on the way. Thank you to "
    "everyone who baked with us this year.",
    "",
)

#: Provider error texts as platforms phrase them (third-party text: treat as untrusted).
PROVIDER_ERRORS: dict[str, tuple[str, ...]] = {
    "tiktok": (
        "spam_risk_too_many_posts: The user has posted too many times in the last 24 hours.",
        "access_token_invalid: The access token is invalid or not found in the request. "
        "Reconnect the TikTok account.",
        "video_pull_failed: TikTok could not download the video from the provided URL (HTTP 403).",
    ),
    "instagram": (
        "(#36003) The aspect ratio is not supported. Supported ratios are 4:5 to 1.91:1.",
        "(#9007) Media ID is not available: the media is still being processed. Try again later.",
    ),
    "youtube": ("uploadLimitExceeded: The user has exceeded the number of videos they may upload.",),
    "pinterest": ("Board not found: 123456789012345678 (code 2)",),
    "linkedin": ("401 Unauthorized: The token used in the request has expired. Reconnect LinkedIn.",),
    "facebook": (
        "(#200) Permissions error: the page access token lacks pages_manage_posts.",
        # A long, noisy upstream body: HTML plus control characters, as some gateways return.
        "Upstream returned 502\r\n<html><head><title>502 Bad Gateway</title></head><body>\x00\x1b[31m"
        + "Bad gateway. " * 60
        + "</body></html>",
    ),
}

_CANONICAL_MIX: tuple[tuple[str, int], ...] = (
    ("posted", 38),
    ("scheduled", 14),
    ("pending", 9),
    ("failed", 8),
    ("partial", 8),
    ("retry", 5),
    ("draft", 8),
    ("deleted", 5),
    ("void", 3),
)


def _iso_ms(moment: datetime) -> str:
    """Format like the API: UTC, millisecond precision, ``Z`` suffix."""
    return (
        moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _iso_s(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _published_url(platform: str, handle: str, rng: random.Random) -> str:
    n = rng.randrange(10**18, 10**19)
    return {
        "tiktok": f"https://www.tiktok.com/@{handle}/video/{n}",
        "instagram": f"https://www.instagram.com/p/{uuid.UUID(int=rng.getrandbits(128)).hex[:11]}/",
        "youtube": f"https://www.youtube.com/shorts/{uuid.UUID(int=rng.getrandbits(128)).hex[:11]}",
        "pinterest": f"https://www.pinterest.com/pin/{n}/",
        "linkedin": f"https://www.linkedin.com/feed/update/urn:li:share:{n}/",
        "facebook": f"https://www.facebook.com/{handle}/posts/{n}",
    }[platform]


class _Builder:
    """Builds one post at a time from a seeded generator."""

    def __init__(self, now: datetime, rng: random.Random) -> None:
        self.now = now
        self.rng = rng

    def pick_accounts(self, fan_out: int) -> list[tuple[str, str, str]]:
        return self.rng.sample(list(ACCOUNTS), k=min(fan_out, len(ACCOUNTS)))

    def state(
        self, account: tuple[str, str, str], status: str, scheduled: datetime, *, stale_error: bool = False
    ) -> JsonObject:
        account_id, platform, handle = account
        rng = self.rng
        entry: JsonObject = {
            "account_id": account_id,
            "status": status,
            "published_at": None,
            "error_message": None,
            "last_attempted_at": None,
            "published_url": None,
        }
        if status == "posted":
            published = min(
                scheduled + timedelta(seconds=rng.randrange(20, 900)), self.now - timedelta(seconds=5)
            )
            entry["published_at"] = _iso_ms(published)
            entry["last_attempted_at"] = _iso_ms(published - timedelta(seconds=rng.randrange(2, 20)))
            entry["published_url"] = _published_url(platform, handle, rng)
            if stale_error:
                entry["error_message"] = rng.choice(PROVIDER_ERRORS[platform])
        elif status in ("failed", "retry"):
            entry["error_message"] = rng.choice(PROVIDER_ERRORS[platform])
            entry["last_attempted_at"] = _iso_ms(scheduled + timedelta(seconds=rng.randrange(5, 600)))
        elif status == "pending" and scheduled < self.now:
            entry["last_attempted_at"] = _iso_ms(scheduled + timedelta(seconds=rng.randrange(1, 60)))
        return entry

    def deliveries(
        self, status: str, accounts: list[tuple[str, str, str]], scheduled: datetime
    ) -> list[JsonObject]:
        rng = self.rng
        if status == "partial":
            n_ok = rng.randrange(1, len(accounts)) if len(accounts) > 1 else 0
            per = ["posted"] * n_ok + [rng.choice(["failed", "failed", "retry"])] * (len(accounts) - n_ok)
        elif status == "retry":
            per = ["retry"] + ["posted"] * (len(accounts) - 1)
        else:
            per = [status] * len(accounts)
        return [
            self.state(acc, s, scheduled, stale_error=(s == "posted" and rng.random() < 0.12))
            for acc, s in zip(accounts, per, strict=True)
        ]

    def scheduled_for(self, status: str, created: datetime) -> datetime:
        rng = self.rng
        if status == "scheduled":
            roll = rng.random()
            if roll < 0.15:  # overdue: scheduled hours ago, never picked up
                return self.now - timedelta(hours=rng.randrange(2, 30))
            return self.now + timedelta(minutes=rng.randrange(30, 14 * 24 * 60))
        if status == "pending":
            roll = rng.random()
            if roll < 0.4:  # young pending: TikTok's worker has not run yet
                return self.now - timedelta(minutes=rng.randrange(1, 5))
            if roll < 0.7:  # stuck pending
                return self.now - timedelta(hours=rng.randrange(1, 20))
            return self.now + timedelta(minutes=rng.randrange(5, 600))
        if status == "draft":
            return created + timedelta(days=rng.randrange(1, 20))
        return created + timedelta(minutes=rng.randrange(10, 3 * 24 * 60))

    def post(self, status: str, created: datetime, fan_out: int) -> JsonObject:
        rng = self.rng
        accounts = self.pick_accounts(fan_out)
        scheduled = self.scheduled_for(status, created)
        if status in ("posted", "failed", "partial", "retry", "deleted", "void"):
            scheduled = min(scheduled, self.now - timedelta(minutes=rng.randrange(10, 120)))
            if scheduled < created:  # went out between creation and now
                scheduled = created + (self.now - created) / 3
        media_type = rng.choice(["video", "video", "video", "image", "slideshow"])
        platforms = {platform for _, platform, _ in accounts}
        post: JsonObject = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "caption": rng.choice(CAPTIONS),
            "status": status,
            "scheduled_at": _iso_s(scheduled),
            "created_at": _iso_ms(created),
            "media": {
                "type": media_type,
                "url": f"https://cdn.genviral.example/media/{rng.getrandbits(48):012x}."
                + ("mp4" if media_type == "video" else "jpg"),
            },
            "music_url": (
                f"https://cdn.genviral.example/music/{rng.getrandbits(32):08x}.mp3"
                if rng.random() < 0.3
                else None
            ),
            "tiktok": (
                {
                    "privacy_level": "PUBLIC_TO_EVERYONE",
                    "disable_comment": False,
                    "disable_duet": rng.random() < 0.3,
                }
                if "tiktok" in platforms and rng.random() < 0.6
                else None
            ),
            "pinterest": (
                {"board_id": "123456789012345678", "title": "Weeknight bakes", "tags": ["baking", "dessert"]}
                if "pinterest" in platforms
                else None
            ),
            "accounts": {"total": len(accounts), "states": self.deliveries(status, accounts, scheduled)},
        }
        return post


def sample_posts(now: datetime, count: int = 200, seed: int = 7) -> list[JsonObject]:
    """Return ``count`` posts, newest first, created over the ~60 days before ``now``."""
    rng = random.Random(seed)
    builder = _Builder(now.astimezone(timezone.utc), rng)
    statuses = [s for s, w in _CANONICAL_MIX for _ in range(w)]
    span = timedelta(days=60).total_seconds()
    offsets = sorted((rng.uniform(60, span) for _ in range(count)), reverse=False)
    posts: list[JsonObject] = []
    for index, offset in enumerate(offsets):
        created = builder.now - timedelta(seconds=offset)
        created = created.replace(microsecond=(created.microsecond // 1000) * 1000)
        status = rng.choice(statuses)
        fan_out = len(ACCOUNTS) if index % 25 == 3 else rng.choice([1, 1, 2, 2, 3, 4])
        posts.append(builder.post(status, created, fan_out))
    _add_batch_twins(posts, rng)
    posts.sort(key=lambda p: p["created_at"], reverse=True)
    return posts


def _add_batch_twins(posts: list[JsonObject], rng: random.Random) -> None:
    """Give a few posts the exact ``created_at`` of another, as a batch insert would."""
    for index in range(10, len(posts) - 1, 37):
        posts[index + 1]["created_at"] = posts[index]["created_at"]
        rng.random()
