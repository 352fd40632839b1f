"""A key scope with Genviral analytics built to exercise every matching rule, and the ground truth
of what each published delivery's numbers are, computed here from the raw wire data: nothing is
shared with the server's matching.

The window is 2026-11-27 00:00 to now (2026-11-28 12:00). In it:

* P1: tiktok @bakery.one, its row's permalink in other case, with a trailing slash, a query string
  and a fragment, and no ``genviralPostId`` (matched by permalink only); and a Pinterest delivery
  (never).
* P2: instagram @bakery.one, the row's permalink without the trailing slash and no
  ``genviralPostId`` (permalink only); the row has no saves and no engagement rate (unknown, not 0);
  and a LinkedIn delivery (never).
* P3: youtube @BakeryOneTV, its row on ``youtu.be`` (matched by post id and platform); and tiktok
  @bakery.three, not an analytics target (never).
* P4: two TikTok accounts, rows without permalinks told apart by ``accountIdentifier``.
* P5: two TikTok accounts, rows without permalinks or identifiers: ambiguous, both unknown.
* P6: one TikTok delivery, two rows with its permalink: ambiguous, unknown.
* P7: instagram @bakery.one, published ten minutes ago, no row yet: not yet.
* P8: an account Genviral's list does not name, a YouTube URL: platform from the host, matched by
  post id.
* P9: an account Genviral's list does not name, a TikTok URL with a tracked handle, no row: not yet.
* P10: tiktok @bakery.one, a row whose numbers are mostly junk: only its saves are known.
* P11: tiktok @bakery.two, a row without any number: unknown.
* P12: a Facebook delivery (never) and a failed TikTok one (not published: not counted).
* P13, published the evening before the window: its row is fetched (the day of margin) and ignored.
* P14: two TikTok deliveries that (an upstream glitch) carry the same published URL, and one row
  with it: the row fits both, so it is neither's: both unknown.

Beside them: rows for posts made outside Genviral (``genviralPostId: null``), enough to need a
second page, and a row naming P1 on a platform it was not published to.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from support.common import instant

JsonObject = dict[str, Any]

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
WINDOW = {"published_since": "2026-11-27", "max_items": 100}
SINCE = datetime(2026, 11, 27, tzinfo=timezone.utc)

T1 = "a1000000-0000-4000-8000-000000000001"
T2 = "a2000000-0000-4000-8000-000000000002"
T3 = "a3000000-0000-4000-8000-000000000003"
IG = "b4000000-0000-4000-8000-000000000004"
YT = "c5000000-0000-4000-8000-000000000005"
PI = "d6000000-0000-4000-8000-000000000006"
LI = "e7000000-0000-4000-8000-000000000007"
FB = "f8000000-0000-4000-8000-000000000008"
#: Not in Genviral's account list: known only by their published URLs.
YU = "09000000-0000-4000-8000-000000000009"
TU = "1a000000-0000-4000-8000-00000000000a"

#: (id, platform, username) of the listed accounts.
LISTED = (
    (T1, "tiktok", "bakery.one"),
    (T2, "tiktok", "bakery.two"),
    (T3, "tiktok", "bakery.three"),
    (IG, "instagram", "bakery.one"),
    (YT, "youtube", "BakeryOneTV"),
    (PI, "pinterest", "bakeryone"),
    (LI, "linkedin", "bakery-one"),
    (FB, "facebook", "BakeryOne"),
)
#: (platform, identifier) of the analytics targets: handles in whatever case Genviral keeps them.
TARGETS = (
    ("tiktok", "@Bakery.One"),
    ("tiktok", "@bakery.two"),
    ("instagram", "@bakery.one"),
    ("youtube", "@BakeryOneTV"),
    ("tiktok", "@bakery.gone"),
)
NO_ANALYTICS = {"pinterest", "linkedin", "facebook"}
METRICS = ("views", "likes", "comments", "shares", "saves")


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


def delivery(account: str, published: datetime | None, url: str | None, status: str = "posted") -> JsonObject:
    return {
        "account_id": account,
        "status": status,
        "published_at": iso(published) if published else None,
        "error_message": "Board not found" if status == "failed" else None,
        "last_attempted_at": iso(published) if published else None,
        "published_url": url,
    }


def post(post_id: str, published: datetime, *states: JsonObject) -> JsonObject:
    statuses = {state["status"] for state in states}
    return {
        "id": post_id,
        "caption": f"caption of {post_id}",
        "status": "posted" if statuses == {"posted"} else "partial",
        "scheduled_at": iso(published),
        "created_at": iso(published - timedelta(days=1)),
        "media": {"type": "video", "url": "https://cdn.example/v.mp4"},
        "music_url": None,
        "tiktok": None,
        "pinterest": None,
        "accounts": {"total": len(states), "states": list(states)},
    }


def tiktok(handle: str, number: int) -> str:
    return f"https://www.tiktok.com/@{handle}/video/{number}"


def row(
    name: str,
    published: datetime,
    *,
    platform: str,
    gid: str | None,
    permalink: str | None,
    account: str | None,
    metrics: JsonObject,
    rate: Any = None,
) -> JsonObject:
    document: JsonObject = {
        "id": f"row-{name}",
        "analyticsId": f"row-{name}",
        "platformPostId": f"pp-{name}",
        "genviralPostId": gid,
        "externalId": None,
        "publishedAt": iso(published),
        "caption": "",
        "permalink": permalink,
        "metrics": metrics,
        "platform": platform,
        "accountIdentifier": account,
        "accountDisplayName": account,
    }
    if rate is not None:
        document["engagementRate"] = rate
    return document


def full(views: int, likes: int, comments: int, shares: int, saves: int) -> JsonObject:
    return {"views": views, "likes": likes, "comments": comments, "shares": shares, "saves": saves}


def posts() -> list[JsonObject]:
    return [
        post(
            "P1",
            at(27, 9),
            delivery(T1, at(27, 9), tiktok("bakery.one", 7001)),
            delivery(PI, at(27, 9, 1), "https://www.pinterest.com/pin/8001/"),
        ),
        post(
            "P2",
            at(27, 10),
            delivery(IG, at(27, 10), "https://www.instagram.com/p/AbC123/"),
            delivery(LI, at(27, 10, 2), "https://www.linkedin.com/feed/update/urn:li:share:9002/"),
        ),
        post(
            "P3",
            at(27, 11),
            delivery(YT, at(27, 11), "https://www.youtube.com/shorts/Xy9Zz"),
            delivery(T3, at(27, 11, 3), tiktok("bakery.three", 7003)),
        ),
        post(
            "P4",
            at(27, 12),
            delivery(T1, at(27, 12), tiktok("bakery.one", 7004)),
            delivery(T2, at(27, 12, 1), tiktok("bakery.two", 7014)),
        ),
        post(
            "P5",
            at(27, 13),
            delivery(T1, at(27, 13), tiktok("bakery.one", 7005)),
            delivery(T2, at(27, 13, 1), tiktok("bakery.two", 7015)),
        ),
        post("P6", at(27, 14), delivery(T1, at(27, 14), tiktok("bakery.one", 7006))),
        post("P7", at(28, 11, 50), delivery(IG, at(28, 11, 50), "https://www.instagram.com/p/NeW777/")),
        post("P8", at(27, 15), delivery(YU, at(27, 15), "https://www.youtube.com/shorts/Unl8")),
        post("P9", at(28, 11), delivery(TU, at(28, 11), tiktok("bakery.gone", 7009))),
        post("P10", at(27, 16), delivery(T1, at(27, 16), tiktok("bakery.one", 7010))),
        post("P11", at(27, 17), delivery(T2, at(27, 17), tiktok("bakery.two", 7011))),
        post(
            "P12",
            at(27, 18),
            delivery(FB, at(27, 18), "https://www.facebook.com/BakeryOne/posts/9012"),
            delivery(T1, None, None, status="failed"),
        ),
        post("P13", at(26, 20), delivery(T1, at(26, 20), tiktok("bakery.one", 7013))),
        post(
            "P14",
            at(27, 19),
            delivery(T1, at(27, 19), tiktok("bakery.one", 7014)),
            delivery(T2, at(27, 19), tiktok("bakery.one", 7014)),
        ),
    ]


NATIVE_DAY = datetime(2026, 11, 27, tzinfo=timezone.utc)


def rows(natives: int = 150, native_day: datetime = NATIVE_DAY) -> list[JsonObject]:
    matching = [
        row(
            "r1",
            at(27, 9),
            platform="tiktok",
            gid=None,
            permalink="HTTPS://WWW.TikTok.COM/@bakery.one/video/7001/?lang=en#comments",
            account="@bakery.one",
            metrics=full(14210, 900, 51, 33, 120),
            rate=7.5,
        ),
        row(
            "r2",
            at(27, 10),
            platform="instagram",
            gid=None,
            permalink="https://www.instagram.com/p/AbC123",
            account="@bakery.one",
            metrics={"views": 3100, "likes": 210, "comments": 12, "shares": 4},
        ),
        row(
            "r3",
            at(27, 11),
            platform="youtube",
            gid="P3",
            permalink="https://youtu.be/Xy9Zz",
            account="@BakeryOneTV",
            metrics={"views": 500, "likes": 20, "comments": 3, "shares": 1},
            rate=4.8,
        ),
        row(
            "r4a",
            at(27, 12),
            platform="tiktok",
            gid="P4",
            permalink=None,
            account="@bakery.one",
            metrics=full(2200, 150, 9, 5, 30),
            rate=8.86,
        ),
        row(
            "r4b",
            at(27, 12),
            platform="tiktok",
            gid="P4",
            permalink=None,
            account="@Bakery.Two",
            metrics=full(800, 40, 2, 1, 6),
            rate=6.13,
        ),
        *[
            row(
                f"r5{side}",
                at(27, 13),
                platform="tiktok",
                gid="P5",
                permalink=None,
                account=None,
                metrics=full(100 * n, 10, 1, 1, 1),
                rate=2.0,
            )
            for n, side in ((1, "a"), (2, "b"))
        ],
        *[
            row(
                f"r6{side}",
                at(27, 14),
                platform="tiktok",
                gid="P6",
                permalink=tiktok("bakery.one", 7006),
                account="@bakery.one",
                metrics=full(300 * n, 10, 1, 1, 1),
                rate=3.0,
            )
            for n, side in ((1, "a"), (2, "b"))
        ],
        row(
            "r8",
            at(27, 15),
            platform="youtube",
            gid="P8",
            permalink="https://m.youtube.com/shorts/Unl8?feature=share",
            account="@unlisted.tv",
            metrics={"views": 90, "likes": 9, "comments": 0, "shares": 0},
            rate=10.0,
        ),
        row(
            "r10",
            at(27, 16),
            platform="tiktok",
            gid="P10",
            permalink=tiktok("bakery.one", 7010),
            account="@bakery.one",
            metrics={"views": "lots", "likes": -3, "comments": True, "shares": None, "saves": 4},
            rate="NaN",
        ),
        row(
            "r11",
            at(27, 17),
            platform="tiktok",
            gid="P11",
            permalink=tiktok("bakery.two", 7011),
            account="@bakery.two",
            metrics={},
        ),
        row(
            "r14",
            at(27, 19),
            platform="tiktok",
            gid="P14",
            permalink=tiktok("bakery.one", 7014),
            account="@bakery.one",
            metrics=full(4000, 1, 1, 1, 1),
            rate=1.0,
        ),
        row(
            "r13",
            at(26, 20),
            platform="tiktok",
            gid="P13",
            permalink=tiktok("bakery.one", 7013),
            account="@bakery.one",
            metrics=full(99999, 1, 1, 1, 1),
            rate=1.0,
        ),
        row(
            "r1-elsewhere",
            at(27, 9),
            platform="instagram",
            gid="P1",
            permalink="https://www.instagram.com/p/Other1/",
            account="@bakery.one",
            metrics=full(77777, 1, 1, 1, 1),
            rate=1.0,
        ),
    ]
    native = [
        row(
            f"n{index}",
            native_day + timedelta(minutes=5 * index),
            platform="tiktok",
            gid=None,
            permalink=tiktok("bakery.one", 100_000 + index),
            account="@bakery.one",
            metrics=full(50, 5, 0, 0, 0),
            rate=10.0,
        )
        for index in range(natives)
    ]
    return matching + native


def accounts() -> list[JsonObject]:
    return [
        {"id": i, "platform": p, "type": "hosted", "username": u, "display_name": u, "status": "active"}
        for i, p, u in LISTED
    ]


def targets() -> list[JsonObject]:
    return [
        {"id": f"target-{n}", "target_id": f"t{n}", "platform": p, "identifier": h, "display_name": h}
        for n, (p, h) in enumerate(TARGETS)
    ]


# --- ground truth ------------------------------------------------------------------------------


def _link(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return (parts.scheme.lower() + "://" + parts.netloc.lower() + parts.path).rstrip("/")


def _platform(account_id: str, url: str | None) -> str | None:
    for listed_id, platform, _ in LISTED:
        if listed_id == account_id:
            return platform
    host = urlsplit(url or "").hostname or ""
    for name in ("tiktok", "instagram", "youtube", "pinterest", "linkedin", "facebook"):
        if re.search(rf"(^|\.){name}\.com$", host):
            return name
    return None


def _handle(account_id: str, url: str | None) -> str | None:
    for listed_id, _, username in LISTED:
        if listed_id == account_id:
            return username.lower()
    found = re.match(r"https://www\.tiktok\.com/@([^/]+)/", url or "")
    return found.group(1).lower() if found else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _rate(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok and value >= 0 else None


@dataclass(frozen=True)
class Numbers:
    """A row's known numbers."""

    counts: dict[str, int]
    rate: float | None

    @classmethod
    def of(cls, document: JsonObject) -> Numbers:
        metrics = document.get("metrics") or {}
        counts = {name: value for name in METRICS if (value := _count(metrics.get(name))) is not None}
        return cls(counts, _rate(document.get("engagementRate")))

    def line(self) -> str:
        parts = [f"{value} {name if value != 1 else name[:-1]}" for name, value in self.counts.items()]
        if self.rate is not None:
            parts.append(f"{self.rate:g}% engagement")
        return ", ".join(parts)


@dataclass
class Truth:
    """Each published delivery in the window: its numbers, or "never", "not yet" or "unknown"."""

    posts: list[JsonObject]
    rows: list[JsonObject]
    #: Rows the server can have read: the newest 300 of the dates asked for.
    read: int = 300

    def published(self) -> list[tuple[JsonObject, JsonObject]]:
        return [
            (p, state)
            for p in self.posts
            for state in p["accounts"]["states"]
            if state["status"] == "posted" and SINCE <= instant(state["published_at"]) <= NOW
        ]

    def readable(self) -> list[JsonObject]:
        first, last = SINCE.date() - timedelta(days=1), NOW.date() + timedelta(days=1)
        chosen = [r for r in self.rows if first <= instant(r["publishedAt"]).date() <= last]
        chosen.sort(key=lambda r: (r["publishedAt"], r["id"]), reverse=True)
        return chosen[: self.read]

    def complete(self) -> bool:
        first, last = SINCE.date() - timedelta(days=1), NOW.date() + timedelta(days=1)
        return sum(1 for r in self.rows if first <= instant(r["publishedAt"]).date() <= last) <= self.read

    def fits(self, p: JsonObject, state: JsonObject, rows: list[JsonObject]) -> list[JsonObject]:
        link = _link(state["published_url"])
        by_link = [r for r in rows if link and _link(r.get("permalink")) == link]
        if by_link:
            return by_link
        platform = _platform(state["account_id"], state["published_url"])
        same = [r for r in rows if r.get("genviralPostId") == p["id"] and r.get("platform") == platform]
        sharing = {
            s["account_id"]
            for s in p["accounts"]["states"]
            if _platform(s["account_id"], s["published_url"]) == platform
        }
        if len(sharing) > 1:
            handle = _handle(state["account_id"], state["published_url"])
            named = [r for r in same if (r.get("accountIdentifier") or "").lstrip("@").lower() == handle]
            if not named and any(not r.get("accountIdentifier") or handle is None for r in same):
                return [{"id": "ambiguous"}, {"id": "ambiguous"}]  # rows that could be anyone's
            return named
        return same

    def outcomes(self) -> dict[tuple[str, str], Numbers | str]:
        rows = self.readable()
        published = self.published()
        fitted = {(p["id"], s["account_id"]): self.fits(p, s, rows) for p, s in published}
        uses = [r["id"] for fit in fitted.values() for r in fit]
        outcome: dict[tuple[str, str], Numbers | str] = {}
        for p, state in published:
            key = (p["id"], state["account_id"])
            fit = fitted[key]
            if len(fit) == 1 and uses.count(fit[0]["id"]) == 1:
                numbers = Numbers.of(fit[0])
                outcome[key] = numbers if numbers.counts or numbers.rate is not None else "unknown"
            elif fit:
                outcome[key] = "unknown"
            else:
                outcome[key] = self._without(state, rows)
        return outcome

    def _without(self, state: JsonObject, rows: list[JsonObject]) -> str:
        platform = _platform(state["account_id"], state["published_url"])
        if platform in NO_ANALYTICS:
            return "never"
        handle = _handle(state["account_id"], state["published_url"])
        if handle is None:
            return "unknown"  # whether an account known by no handle is tracked cannot be told
        tracked = any(p == platform and h.lstrip("@").lower() == handle for p, h in TARGETS)
        if not tracked:
            return "never"
        return "not yet" if self.complete() else "unknown"

    def totals(self, key_of: Any) -> dict[str, str]:
        """Totals lines, by ``key_of(account id)``: what by_account / by_platform must say."""
        groups: dict[str, list[Numbers]] = {}
        for (_, account_id), numbers in self.outcomes().items():
            if isinstance(numbers, Numbers):
                groups.setdefault(key_of(account_id), []).append(numbers)
        lines = {}
        for name, members in groups.items():

            def of(part: int) -> str:
                return "" if part == len(members) else f" ({part} of {len(members)})"  # noqa: B023

            parts = []
            for metric in METRICS:
                known = [m.counts[metric] for m in members if metric in m.counts]
                if known:
                    total = sum(known)
                    parts.append(f"{total} {metric if total != 1 else metric[:-1]}{of(len(known))}")
            rated = [m for m in members if m.rate is not None and "views" in m.counts]
            weight = sum(m.counts["views"] for m in rated)
            if rated and weight:
                rate = round(sum((m.rate or 0) * m.counts["views"] for m in rated) / weight, 2)
                parts.append(f"{rate:g}% engagement{of(len(rated))}")
            count = "1 post" if len(members) == 1 else f"{len(members)} posts"
            lines[name] = f"{count}: {', '.join(parts)}"
        return lines
