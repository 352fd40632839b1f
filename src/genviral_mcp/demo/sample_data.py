"""A realistic, deterministic sample workspace in the Posts API's exact wire format, on a timeline.

Used by the in-process emulator (``--demo``) and by the test suite's stand-in API, so both exercise the
same data: every status including ``deleted``/``void``, a post fanned out to every account, provider
errors as platforms phrase them (long ones too), stale errors on published deliveries, long and
non-Latin captions with emoji, and batch twins that share one ``created_at``.

**A timeline anchored to the UTC day.** :func:`workspace` plans every post relative to the UTC
midnight of a day: ids, creation instants and schedules are the same on every start that day (and
every post was created before that midnight, so none appears or vanishes during the day).
:meth:`Workspace.at` then evaluates each delivery against a clock: scheduled until it is due, pending
while the worker runs, then posted, failed or retrying, as planned. A ``--demo`` that runs for hours
moves with the real clock, and at any hour of the day it has:

* posts due in the next 24 hours;
* publications and failures in the last hour: a post goes out every 40 minutes and another one fails
  every 40 minutes, 20 minutes apart, from 70 minutes before the day's midnight to 30 minutes after the
  next one, each within 6 minutes of its slot;
* publications yesterday: a post every two hours through the previous day (and, for the evening's
  next 24 hours, a post every two hours through the next day);
* overdue posts (one never picked up, one stuck in pending), retries that fail again, and partials.

Past the next midnight a running demo moves on to that day's plan: the same ids, each instant a day
later. :func:`sample_posts` is a workspace as it stands at ``now``: the test suite's fixed data set.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from genviral_mcp.models import JsonObject

#: (account id, platform, handle). The API only returns ids; the rest helps build URLs.
Account = tuple[str, str, str]
ACCOUNTS: tuple[Account, ...] = (
    ("0f4f54d4-8cce-4fb7-8c7b-befbcb8af812", "tiktok", "luna.bakes"),
    ("6b0c8c9c-55ac-4fcb-85ec-70b5a8b0d089", "instagram", "luna.bakes"),
    ("9d2e7a61-3f0b-4c1e-a7d4-52c8e1f0b3a9", "youtube", "LunaBakesTV"),
    ("c41a8f3e-9b27-4d6a-b1e5-7f03d2a6c8b4", "pinterest", "lunabakes"),
    ("2b7f1d90-6e4c-4a8b-9f35-d1c6e0a7b248", "linkedin", "luna-bakes-studio"),
    ("e8a3c5d7-1f9b-42e6-8d0a-b4f7c2e91d35", "facebook", "LunaBakesStudio"),
    ("5c9e2b14-a7d3-4f80-b6c1-3e8d9f2a7051", "tiktok", "luna.travels"),
    ("a1d4f7b2-8c3e-4b95-a0f6-2d7e9c1b4f83", "instagram", "luna.travels"),
)

#: An account that lost its login four days before the anchor: Genviral's ``/accounts`` lists only
#: active accounts, so it is missing there, and everything due to it since then fails.
DISCONNECTED_ACCOUNT_IDS = frozenset({"a1d4f7b2-8c3e-4b95-a0f6-2d7e9c1b4f83"})
DISCONNECTED_SINCE = -timedelta(days=4)
#: What Instagram's Graph API answers for a login that is gone (error 190).
DISCONNECTED_ERROR = (
    "(#190) Error validating access token: The session has been invalidated because the user changed "
    "their password or Facebook has changed the session for security reasons."
)
CONNECTED = tuple(account for account in ACCOUNTS if account[0] not in DISCONNECTED_ACCOUNT_IDS)


def sample_accounts(listed_inactive: bool = False) -> list[JsonObject]:
    """``GET /accounts``'s list for the sample workspace, as Genviral documents it: only active
    accounts. ``listed_inactive`` also lists the disconnected one, with ``status: "disconnected"``
    (the other shape an account list may take; tests of that path use it)."""
    return [
        {
            "id": account_id,
            "platform": platform,
            "type": "hosted" if index % 3 else "byo",
            "username": handle,
            "display_name": handle.replace(".", " ").replace("-", " ").title(),
            "status": "disconnected" if account_id in DISCONNECTED_ACCOUNT_IDS else "active",
        }
        for index, (account_id, platform, handle) in enumerate(ACCOUNTS)
        if listed_inactive or account_id not in DISCONNECTED_ACCOUNT_IDS
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

#: The history's status mix (weights), spread over the 60 days before the anchor.
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
HISTORY_DAYS = 60

#: The pulse of recent news: a post goes out every PULSE from PULSE_FROM to PULSE_UNTIL (relative
#: to the anchor); a failure slot every PULSE too, half a pulse later.
PULSE = timedelta(minutes=40)
PULSE_FROM = -timedelta(minutes=70)
PULSE_UNTIL = timedelta(days=1, minutes=30)
#: The worker publishes or fails a due delivery within this many seconds of its scheduled time.
WORKER_SECONDS = (60, 360)
#: A retry is attempted again this often, this many times, and then given up (failed).
RETRY_EVERY = timedelta(minutes=90)
RETRY_ATTEMPTS = 3
#: Yesterday: a post every two hours, from 23:20 before the anchor; tomorrow: from 01:00 after the
#: next midnight.
YESTERDAY_POSTS = 11
TOMORROW_POSTS = 12
#: When a picked-up delivery records its first attempt, after it fell due.
PICKED_UP = timedelta(seconds=20)

#: What a planned delivery does once it falls due.
PUBLISH, FAIL, RETRY, WAIT, STUCK = "publish", "fail", "retry", "wait", "stuck"


def _iso_ms(moment: datetime) -> str:
    """Format like the API: UTC, millisecond precision, ``Z`` suffix."""
    return (
        moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _iso_s(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=(moment.microsecond // 1000) * 1000)


def anchor_of(now: datetime) -> datetime:
    """The UTC midnight that starts ``now``'s day: what a workspace is planned around."""
    return now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class DeliveryPlan:
    """One account's delivery of a post: what happens to it once it falls due, and when.

    ``outcome`` is :data:`PUBLISH`, :data:`FAIL`, :data:`RETRY` (attempts at ``done`` and each of
    ``retries``; failed after the last one when ``gives_up``), :data:`WAIT` (never picked up),
    :data:`STUCK` (picked up, never finished), or a status shown as it is (``draft``, ``deleted``).
    """

    account: Account
    outcome: str
    due: datetime
    done: datetime
    error: str | None = None
    url: str | None = None
    retries: tuple[datetime, ...] = ()
    gives_up: bool = False

    def state(self, now: datetime) -> JsonObject:
        """The delivery as the API shows it at ``now``."""
        status, published, error, attempted, url = "scheduled", None, None, None, None
        if self.outcome not in (PUBLISH, FAIL, RETRY, WAIT, STUCK):
            status = self.outcome
        elif now >= self.due and self.outcome != WAIT:
            status = "pending"
            if now >= self.due + PICKED_UP:
                attempted = self.due + PICKED_UP
            if self.outcome == PUBLISH and now >= self.done:
                status, published, url = "posted", self.done, self.url
                attempted, error = self.done - timedelta(seconds=8), self.error  # an earlier attempt's
            elif self.outcome == FAIL and now >= self.done:
                status, error, attempted = "failed", self.error, self.done
            elif self.outcome == RETRY and now >= self.done:
                attempts = [moment for moment in (self.done, *self.retries) if moment <= now]
                given_up = self.gives_up and len(attempts) == 1 + len(self.retries)
                status, error, attempted = ("failed" if given_up else "retry"), self.error, attempts[-1]
        return {
            "account_id": self.account[0],
            "status": status,
            "published_at": _iso_ms(published) if published else None,
            "error_message": error,
            "last_attempted_at": _iso_ms(attempted) if attempted else None,
            "published_url": url,
        }


def post_status(statuses: list[str]) -> str:
    """A post's status from its deliveries' (a fixed status such as ``draft`` is kept as it is)."""
    if all(status == "scheduled" for status in statuses):
        return "scheduled"
    if any(status in ("scheduled", "pending") for status in statuses):
        return "pending"
    if "retry" in statuses:
        return "retry"
    if set(statuses) == {"posted"}:
        return "posted"
    return "partial" if "posted" in statuses else "failed"


@dataclass(frozen=True)
class PlannedPost:
    """A post's fixed facts (id, instants, content) and its deliveries' plans."""

    id: str
    created: datetime
    scheduled: datetime
    content: JsonObject
    deliveries: tuple[DeliveryPlan, ...]
    fixed_status: str | None = None

    def at(self, now: datetime) -> JsonObject:
        """The post in the API's wire format, as it stands at ``now``."""
        states = [delivery.state(now) for delivery in self.deliveries]
        return {
            "id": self.id,
            "caption": self.content["caption"],
            "status": self.fixed_status or post_status([state["status"] for state in states]),
            "scheduled_at": _iso_s(self.scheduled),
            "created_at": _iso_ms(self.created),
            "media": dict(self.content["media"]),
            "music_url": self.content["music_url"],
            "tiktok": self.content["tiktok"] and dict(self.content["tiktok"]),
            "pinterest": self.content["pinterest"] and dict(self.content["pinterest"]),
            "accounts": {"total": len(states), "states": states},
        }


@dataclass(frozen=True)
class Workspace:
    """Every planned post of one anchor day, newest created first."""

    anchor: datetime
    posts: tuple[PlannedPost, ...]

    def at(self, now: datetime) -> list[JsonObject]:
        return [post.at(now) for post in self.posts]


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


class _Planner:
    """Plans posts from one seeded generator, relative to the anchor."""

    def __init__(self, anchor: datetime, rng: random.Random) -> None:
        self.anchor = anchor
        self.rng = rng
        self.disconnected_at = anchor + DISCONNECTED_SINCE

    def seconds(self, low: int, high: int) -> timedelta:
        return timedelta(seconds=self.rng.randrange(low, high))

    def delivery(
        self, account: Account, outcome: str, due: datetime, *, stale_error: bool = False
    ) -> DeliveryPlan:
        """One delivery's plan; on the disconnected account, whatever falls due after it lost its
        login fails with the platform's session error."""
        rng = self.rng
        platform, handle = account[1], account[2]
        worker = self.seconds(*WORKER_SECONDS)
        if (
            account[0] in DISCONNECTED_ACCOUNT_IDS
            and due >= self.disconnected_at
            and outcome in (PUBLISH, RETRY)
        ):
            return DeliveryPlan(account, FAIL, due, due + worker, DISCONNECTED_ERROR)
        if outcome == PUBLISH:
            error = rng.choice(PROVIDER_ERRORS[platform]) if stale_error else None
            return DeliveryPlan(
                account, PUBLISH, due, due + worker, error, _published_url(platform, handle, rng)
            )
        if outcome in (FAIL, RETRY):
            error = rng.choice(PROVIDER_ERRORS[platform])
            return DeliveryPlan(account, outcome, due, due + worker, error)
        return DeliveryPlan(account, outcome, due, due)

    def retry(self, account: Account, due: datetime, attempts: int) -> DeliveryPlan:
        """A delivery retried ``attempts`` times, ``RETRY_EVERY`` apart, then given up."""
        plan = self.delivery(account, RETRY, due)
        if plan.outcome != RETRY:
            return plan
        later = tuple(plan.done + RETRY_EVERY * n for n in range(1, attempts))
        return replace(plan, retries=later, gives_up=True)

    def content(self, accounts: list[Account]) -> JsonObject:
        rng = self.rng
        media_type = rng.choice(["video", "video", "video", "image", "slideshow"])
        platforms = {platform for _, platform, _ in accounts}
        return {
            "caption": rng.choice(CAPTIONS),
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
        }

    def post(
        self,
        created: datetime,
        scheduled: datetime,
        deliveries: list[DeliveryPlan],
        fixed_status: str | None = None,
    ) -> PlannedPost:
        accounts = [delivery.account for delivery in deliveries]
        return PlannedPost(
            id=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            created=_ms(created),
            scheduled=scheduled.replace(microsecond=0),
            content=self.content(accounts),
            deliveries=tuple(deliveries),
            fixed_status=fixed_status,
        )

    def accounts(self, fan_out: int, pool: tuple[Account, ...] = ACCOUNTS) -> list[Account]:
        return self.rng.sample(list(pool), k=min(fan_out, len(pool)))

    def spare(self, plans: list[DeliveryPlan]) -> Account:
        """An account the post does not deliver to yet."""
        taken = {plan.account for plan in plans}
        return self.rng.choice([account for account in ACCOUNTS if account not in taken])

    def created_before(self, due: datetime) -> datetime:
        """Made between 20 minutes and three days before it was due, and before the anchor."""
        return min(due, self.anchor) - self.seconds(20 * 60, 3 * 24 * 3600)

    # --- the recent timeline -----------------------------------------------------------------

    def overdue(self) -> list[PlannedPost]:
        """Due hours before the anchor and never done: overdue all day."""
        never_picked = self.anchor - timedelta(hours=3, minutes=10)
        stuck = self.anchor - timedelta(hours=20)
        waiting = self.accounts(2, CONNECTED)
        return [
            self.post(
                self.created_before(never_picked),
                never_picked,
                [self.delivery(account, WAIT, never_picked) for account in waiting],
            ),
            self.post(self.created_before(stuck), stuck, [self.delivery(ACCOUNTS[0], STUCK, stuck)]),
        ]

    def yesterday(self) -> list[PlannedPost]:
        """A post every two hours through the day before the anchor; one of them partial."""
        posts = []
        for index in range(YESTERDAY_POSTS):
            due = self.anchor - timedelta(hours=23, minutes=20) + timedelta(hours=2) * index
            accounts = self.accounts(self.rng.choice([1, 2, 2, 3]), CONNECTED)
            plans = [
                self.delivery(account, PUBLISH, due, stale_error=self.rng.random() < 0.12)
                for account in accounts
            ]
            if index == 4:  # partial: one more account, which fails
                plans.append(self.delivery(self.spare(plans), FAIL, due))
            posts.append(self.post(self.created_before(due), due, plans))
        return posts

    def tomorrow(self) -> list[PlannedPost]:
        """A post every two hours through the day after the anchor: late in the day, the next 24
        hours still hold more than the pulse's last slots."""
        posts = []
        for index in range(TOMORROW_POSTS):
            due = self.anchor + timedelta(days=1, hours=1) + timedelta(hours=2) * index
            accounts = self.accounts(self.rng.choice([1, 2, 2, 3]), ACCOUNTS)
            posts.append(
                self.post(self.created_before(due), due, [self.delivery(a, PUBLISH, due) for a in accounts])
            )
        return posts

    def pulse(self) -> list[PlannedPost]:
        """A publication every PULSE; every fourth slot partial, one slot fanned out to every account."""
        posts = []
        due, slot = self.anchor + PULSE_FROM, 0
        while due <= self.anchor + PULSE_UNTIL:
            fan_out = [1, 2, 1, 1][slot % 4]
            plans = [
                self.delivery(account, PUBLISH, due, stale_error=slot % 4 == 3)
                for account in self.accounts(fan_out, CONNECTED)
            ]
            if slot % 4 == 2:  # partial: one more account, which fails
                plans.append(self.delivery(self.spare(plans), FAIL, due))
            if slot == 13:  # one post to every account (the disconnected one fails)
                plans = [self.delivery(account, PUBLISH, due) for account in ACCOUNTS]
            posts.append(self.post(self.created_before(due), due, plans))
            due, slot = due + PULSE, slot + 1
        return posts

    def failures(self) -> list[PlannedPost]:
        """A failure every PULSE, half a pulse after the publications: failed posts, and retries that
        fail again every RETRY_EVERY before they are given up."""
        posts = []
        due, slot = self.anchor + PULSE_FROM + PULSE / 2, 0
        while due <= self.anchor + PULSE_UNTIL:
            kind = slot % 3
            if kind == 0:
                plans = [self.delivery(account, FAIL, due) for account in self.accounts(1)]
            elif kind == 1:
                first, *others = self.accounts(self.rng.choice([1, 2]), CONNECTED)
                plans = [self.retry(first, due, RETRY_ATTEMPTS)]
                plans += [self.delivery(account, PUBLISH, due) for account in others]
            else:
                plans = [self.delivery(account, FAIL, due) for account in self.accounts(2)]
            posts.append(self.post(self.created_before(due), due, plans))
            due, slot = due + PULSE, slot + 1
        return posts

    # --- the history ---------------------------------------------------------------------------

    def history(self, count: int) -> list[PlannedPost]:
        """``count`` posts created over the 60 days before the anchor, in the canonical status mix."""
        rng = self.rng
        statuses = _mix(count, rng)
        span = timedelta(days=HISTORY_DAYS).total_seconds()
        offsets = sorted(rng.uniform(60, span) for _ in range(count))
        posts = []
        for index, (offset, status) in enumerate(zip(offsets, statuses, strict=True)):
            created = self.anchor - timedelta(seconds=offset)
            fan_out = len(ACCOUNTS) if index % 25 == 3 else rng.choice([1, 1, 2, 2, 3, 4])
            posts.append(self.past_post(status, created, fan_out))
        return posts

    def past_post(self, status: str, created: datetime, fan_out: int) -> PlannedPost:
        rng = self.rng
        if status == "partial":
            fan_out = max(fan_out, 2)
        accounts = self.accounts(fan_out)
        due = self.history_due(status, created)
        if status in ("draft", "deleted", "void"):
            return self.post(created, due, [self.delivery(a, status, due) for a in accounts], status)
        if status == "scheduled":
            outcome = WAIT if due < self.anchor else PUBLISH
            plans = [self.delivery(account, outcome, due) for account in accounts]
        elif status == "pending":
            outcome = STUCK if due < self.anchor else PUBLISH
            plans = [self.delivery(account, outcome, due) for account in accounts]
        elif status == "partial":
            published = rng.randrange(1, len(accounts))
            plans = [self.delivery(a, PUBLISH, due) for a in accounts[:published]]
            plans += [self.delivery(a, FAIL, due) for a in accounts[published:]]
        elif status == "retry":
            plans = [self.delivery(accounts[0], RETRY, due)]  # waiting for its next attempt
            plans += [self.delivery(a, PUBLISH, due, stale_error=rng.random() < 0.12) for a in accounts[1:]]
        else:
            outcome = FAIL if status == "failed" else PUBLISH
            plans = [self.delivery(a, outcome, due, stale_error=rng.random() < 0.12) for a in accounts]
        return self.post(created, due, plans)

    def history_due(self, status: str, created: datetime) -> datetime:
        rng = self.rng
        anchor = self.anchor
        if status == "scheduled":
            if rng.random() < 0.15:  # overdue: due hours ago, never picked up
                return anchor - timedelta(hours=rng.randrange(2, 30))
            return anchor + timedelta(minutes=rng.randrange(30, 14 * 24 * 60))
        if status == "pending":
            if rng.random() < 0.3:  # stuck pending
                return anchor - timedelta(hours=rng.randrange(1, 20))
            return anchor + timedelta(minutes=rng.randrange(5, 600))
        if status == "draft":
            return created + timedelta(days=rng.randrange(1, 20))
        due = created + timedelta(minutes=rng.randrange(10, 3 * 24 * 60))
        due = min(due, anchor - timedelta(minutes=rng.randrange(10, 120)))
        if due < created:  # went out between creation and the anchor
            due = created + (anchor - created) / 3
        return due


def _mix(count: int, rng: random.Random) -> list[str]:
    """``count`` statuses in the canonical proportions (every one at least once), shuffled."""
    total = sum(weight for _, weight in _CANONICAL_MIX)
    shares = {status: max(1, count * weight // total) for status, weight in _CANONICAL_MIX}
    while sum(shares.values()) < count:
        shares["posted"] += 1
    while sum(shares.values()) > count and shares["posted"] > 1:
        shares["posted"] -= 1
    statuses = [status for status, share in shares.items() for _ in range(share)][:count]
    rng.shuffle(statuses)
    return statuses


@lru_cache(maxsize=8)
def workspace(anchor: datetime, count: int = 200, seed: int = 7) -> Workspace:
    """The plan of ``count`` posts around ``anchor`` (a UTC midnight), newest created first.

    The recent timeline (about 100 posts: the pulse, the failures, yesterday, tomorrow and the
    overdue ones) comes first; the rest is history. With fewer than that, only the first ``count`` are kept.
    """
    planner = _Planner(anchor, random.Random(seed))
    recent = (
        planner.overdue() + planner.yesterday() + planner.pulse() + planner.failures() + planner.tomorrow()
    )
    history = planner.history(max(0, count - len(recent)))
    _add_batch_twins(history)
    posts = sorted((recent + history)[:count], key=lambda post: post.created, reverse=True)
    return Workspace(anchor, tuple(posts))


def sample_posts(now: datetime, count: int = 200, seed: int = 7) -> list[JsonObject]:
    """``count`` posts, newest created first, as the day's workspace stands at ``now``."""
    return workspace(anchor_of(now), count, seed).at(now.astimezone(timezone.utc))


def _add_batch_twins(posts: list[PlannedPost]) -> None:
    """Give a few posts the exact creation instant of another, as a batch insert would."""
    posts.sort(key=lambda post: post.created, reverse=True)
    for index in range(10, len(posts) - 1, 37):
        posts[index + 1] = replace(posts[index + 1], created=posts[index].created)


# --- analytics -------------------------------------------------------------------------------------

#: The accounts Genviral's analytics track (``GET /analytics/targets``): TikTok, Instagram and YouTube
#: only, and not every one of those: ``tiktok @luna.travels`` is not a target, so it never has numbers.
#: The disconnected Instagram account is still tracked: analytics follow a handle, not a login.
ANALYTICS_TARGETS: tuple[Account, ...] = (ACCOUNTS[0], ACCOUNTS[1], ACCOUNTS[2], ACCOUNTS[7])
#: How long after publication a platform's row first appears in Genviral's analytics.
ROW_DELAY = {
    "tiktok": timedelta(hours=2),
    "instagram": timedelta(minutes=30),
    "youtube": timedelta(minutes=45),
}
#: A TikTok uploaded as a draft (``MEDIA_UPLOAD``) has a row only once the person publishes it in
#: TikTok: about one in five here, half a day later.
DRAFT_SHARE = 0.2
DRAFT_DELAY = timedelta(hours=12)
#: Posts the accounts published outside Genviral: a row each, with ``genviralPostId: null``.
NATIVE_EVERY = timedelta(days=3)


def sample_targets() -> list[JsonObject]:
    """``GET /analytics/targets``'s list for the sample workspace."""
    return [
        {
            "id": str(uuid.UUID(int=random.Random(f"target:{account_id}").getrandbits(128), version=4)),
            "target_id": f"{platform}:{handle.lower()}",
            "platform": platform,
            "identifier": f"@{handle}",
            "display_name": handle.replace(".", " ").title(),
        }
        for account_id, platform, handle in ANALYTICS_TARGETS
    ]


def _numbers(rng: random.Random, platform: str, age: timedelta) -> JsonObject:
    """Plausible numbers for a post of this age: views climb towards a peak (seeded per post) over
    the first days; the other counts are fixed shares of the views."""
    peak = rng.lognormvariate(8.3, 1.1)
    hours = max(0.0, age.total_seconds() / 3600)
    views = round(peak * (1 - 2.718281828 ** (-hours / 20)))
    shares = {
        "likes": rng.uniform(0.03, 0.1),
        "comments": rng.uniform(0.002, 0.012),
        "shares": rng.uniform(0.001, 0.01),
        "saves": rng.uniform(0.002, 0.02),
    }
    metrics: JsonObject = {"views": views}
    metrics |= {name: round(views * share) for name, share in shares.items()}
    if platform == "youtube":
        del metrics["saves"]  # YouTube does not report saves: unknown, never 0
    engaged = sum(value for name, value in metrics.items() if name != "views")
    rate = round(engaged / views * 100, 2) if views else None
    return {"metrics": metrics, "engagementRate": rate}


def _permalink(platform: str, url: str, rng: random.Random) -> str | None:
    """The row's permalink as analytics spell it, which is not always the published URL: TikTok adds
    a query string (and sometimes has none), Instagram drops the trailing slash, YouTube's host has no
    ``www`` (so those rows match by post id and platform instead)."""
    if platform == "tiktok":
        return None if rng.random() < 0.25 else url + "?is_from_webapp=1&sender_device=pc"
    if platform == "instagram":
        return url.rstrip("/")
    if platform == "youtube":
        return url.replace("https://www.youtube.com/", "https://youtube.com/")
    return url


def _row(
    account: Account, seed: str, published: datetime, now: datetime, post: JsonObject | None, url: str | None
) -> JsonObject:
    _, platform, handle = account
    rng = random.Random(seed)
    analytics_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    native = _published_url(platform, handle, rng)
    return {
        "id": analytics_id,
        "analyticsId": analytics_id,
        "platformPostId": (url or native).rstrip("/").rsplit("/", 1)[-1],
        "genviralPostId": post["id"] if post else None,
        "externalId": None,
        "publishedAt": _iso_ms(published + timedelta(seconds=rng.randrange(0, 30))),
        "caption": (post or {}).get("caption") or "",
        "permalink": _permalink(platform, url, rng) if url else native,
        "thumbnailUrl": f"https://cdn.genviral.example/thumbs/{analytics_id[:12]}.jpg",
        "durationSeconds": rng.randrange(7, 90),
        **_numbers(rng, platform, now - published),
        "platform": platform,
        "accountIdentifier": f"@{handle}",
        "accountDisplayName": handle.replace(".", " ").title(),
        "accountAvatarUrl": f"https://cdn.genviral.example/avatars/{handle}.jpg",
    }


def sample_analytics(posts: list[JsonObject], now: datetime) -> list[JsonObject]:
    """``GET /analytics/summary/posts``'s rows for ``posts`` as they stand at ``now``: one per
    published delivery on a tracked account whose row has appeared (numbers seeded by post and
    account, growing with age), and rows for posts made outside Genviral (``genviralPostId: null``)."""
    tracked = {account[0]: account for account in ANALYTICS_TARGETS}
    rows = []
    for post in posts:
        for state in post["accounts"]["states"]:
            account = tracked.get(state["account_id"])
            published = _parse(state.get("published_at"))
            if account is None or state["status"] != "posted" or published is None:
                continue
            seed = f"{post['id']}:{account[0]}"
            delay = ROW_DELAY[account[1]]
            if account[1] == "tiktok" and random.Random(f"draft:{seed}").random() < DRAFT_SHARE:
                delay = DRAFT_DELAY
            if now - published >= delay:
                rows.append(_row(account, seed, published, now, post, state.get("published_url")))
    anchor = anchor_of(now)
    for index, account in enumerate(ANALYTICS_TARGETS):
        moment = anchor - timedelta(days=HISTORY_DAYS) + timedelta(hours=7 + 5 * index)
        while moment <= now - ROW_DELAY[account[1]]:
            rows.append(_row(account, f"native:{account[0]}:{_iso_s(moment)}", moment, now, None, None))
            moment += NATIVE_EVERY
    rows.sort(key=lambda row: (row["publishedAt"], row["id"]), reverse=True)
    return rows


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
