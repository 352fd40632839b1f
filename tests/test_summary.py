"""get_delivery_summary: counters passed on untouched, attention, upcoming, windows, progress."""

from __future__ import annotations

from typing import Any

import pytest

from genviral_mcp.emulator import PostsEmulator
from genviral_mcp.summary import OVERDUE_AFTER
from genviral_mcp.timestamps import parse_iso

from conftest import KEY, NOW, Connect, structured
from standin import StandInApi

pytestmark = pytest.mark.anyio

#: The documentation's own example: by_status adds up to 195, total is 193. Passed on as is.
DOC_SCOPE = {
    "total": 193,
    "pending": 58,
    "published": 120,
    "by_status": {"draft": 15, "pending": 12, "scheduled": 46, "posted": 118, "failed": 4},
}


def _state(account: str, status: str, **extra: Any) -> dict[str, Any]:
    base = {
        "account_id": account,
        "status": status,
        "published_at": None,
        "error_message": None,
        "last_attempted_at": None,
        "published_url": None,
    }
    return base | extra


def _post(post_id: str, status: str, created: str, scheduled: str, *states: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": post_id,
        "caption": f"caption of {post_id}",
        "status": status,
        "scheduled_at": scheduled,
        "created_at": created,
        "media": {"type": "video", "url": "https://cdn.example/v.mp4"},
        "music_url": None,
        "tiktok": None,
        "pinterest": None,
        "accounts": {"total": len(states), "states": list(states)},
    }


HANDMADE = [
    _post("up-2", "scheduled", "2026-11-28T11:50:00.000Z", "2026-11-30T09:00:00Z", _state("A", "scheduled")),
    _post("up-1", "scheduled", "2026-11-28T11:40:00.000Z", "2026-11-28T18:00:00Z", _state("B", "scheduled")),
    _post("young", "pending", "2026-11-28T11:30:00.000Z", "2026-11-28T11:57:00Z", _state("A", "pending")),
    _post("stuck", "pending", "2026-11-28T08:00:00.000Z", "2026-11-28T09:00:00Z", _state("A", "pending")),
    _post(
        "stale-ok",
        "posted",
        "2026-11-27T10:00:00.000Z",
        "2026-11-27T12:00:00Z",
        _state(
            "A",
            "posted",
            published_url="https://www.tiktok.com/@a/video/1",
            error_message="spam_risk_too_many_posts (earlier attempt)",
        ),
    ),
    _post(
        "half",
        "partial",
        "2026-11-26T10:00:00.000Z",
        "2026-11-26T12:00:00Z",
        _state("A", "posted", published_url="https://www.tiktok.com/@a/video/2"),
        _state("B", "failed", error_message="Board not found", last_attempted_at="2026-11-26T12:01:00Z"),
    ),
    _post("gone", "deleted", "2026-11-25T10:00:00.000Z", "2026-11-25T12:00:00Z", _state("B", "deleted")),
    _post(
        "again",
        "retry",
        "2026-11-24T10:00:00.000Z",
        "2026-11-24T12:00:00Z",
        _state(
            "C",
            "retry",
            error_message="video_pull_failed\x00\x1b[31m HTTP 403",
            last_attempted_at="2026-11-24T12:02:00Z",
        ),
    ),
]


async def test_scope_counters_are_passed_on_exactly(connect: Connect, api: StandInApi) -> None:
    api.emulator = PostsEmulator(HANDMADE, {KEY: "ok"}, scope=DOC_SCOPE)
    async with connect() as client:
        body = structured(await client.call_tool("get_delivery_summary", {}))
    assert body["scope"] == DOC_SCOPE


async def test_attention_upcoming_and_counts(connect: Connect, api: StandInApi) -> None:
    api.emulator = PostsEmulator(HANDMADE, {KEY: "ok"})
    async with connect() as client:
        body = structured(await client.call_tool("get_delivery_summary", {}))
    assert body["now"] == "2026-11-28 12:00 UTC"
    assert body["window"]["posts_examined"] == len(HANDMADE)
    assert body["window"]["more_posts_in_window"] is False
    assert body["deliveries_by_status"] == {
        "scheduled": 2,
        "pending": 2,
        "posted": 2,
        "failed": 1,
        "deleted": 1,
        "retry": 1,
    }
    flagged = {item["post"]: item for item in body["needs_attention"]}
    assert set(flagged) == {"stuck", "half", "again"}
    assert body["needs_attention_deliveries"] == 3
    assert flagged["half"]["deliveries"] == {"failed": {"a2": "Board not found"}}, (
        "published account A is fine"
    )
    assert flagged["stuck"]["overdue_minutes"] == 180
    retry_error = next(iter(flagged["again"]["deliveries"]["retry"].values()))
    assert retry_error == "video_pull_failed HTTP 403", "control characters stripped"
    assert [item["post"] for item in body["needs_attention"]] == ["stuck", "half", "again"], "newest first"
    assert [item["post"] for item in body["upcoming"]] == ["up-1", "up-2"], "soonest first"


def test_overdue_threshold_is_documented_in_the_description() -> None:
    from genviral_mcp.server import SUMMARY_DESCRIPTION

    assert f"{int(OVERDUE_AFTER.total_seconds() // 60)} minutes" in SUMMARY_DESCRIPTION


async def test_default_window_is_the_newest_100_posts(connect: Connect, api: StandInApi) -> None:
    async with connect() as client:
        body = structured(await client.call_tool("get_delivery_summary", {}))
    assert body["window"]["posts_examined"] == 100
    assert body["window"]["more_posts_in_window"] is True
    assert len(api.requests) == 1


async def test_window_larger_than_a_page_is_walked_without_duplicates(
    connect: Connect, api: StandInApi, sample: list[dict[str, Any]]
) -> None:
    progress: list[tuple[float, float | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total))

    async with connect() as client:
        result = await client.call_tool(
            "get_delivery_summary", {"max_posts": 1000}, progress_callback=on_progress
        )
    body = structured(result)
    assert body["window"]["posts_examined"] == len(sample)
    assert body["window"]["more_posts_in_window"] is False
    assert sum(body["posts_by_status"].values()) == len(sample)
    assert len(api.requests) >= 3
    assert all(req.query["limit"] == "100" for req in api.requests)
    assert progress and progress[-1][0] == len(sample)


async def test_since_until_window(connect: Connect, sample: list[dict[str, Any]]) -> None:
    since, until = "2026-11-01T00:00:00Z", "2026-11-15T00:00:00Z"
    inside = [p for p in sample if parse_iso(since) <= parse_iso(p["created_at"]) <= parse_iso(until)]
    async with connect() as client:
        body = structured(
            await client.call_tool("get_delivery_summary", {"since": since, "until": until, "max_posts": 500})
        )
    assert body["window"]["since"] == "2026-11-01T00:00:00.000Z"
    assert body["window"]["posts_examined"] == len(inside)
    assert parse_iso(until) < NOW


async def test_max_posts_is_clamped(connect: Connect) -> None:
    async with connect() as client:
        body = structured(await client.call_tool("get_delivery_summary", {"max_posts": "5000"}))
        small = structured(await client.call_tool("get_delivery_summary", {"max_posts": 0}))
    assert body["window"]["max_posts"] == 1000
    assert small["window"]["max_posts"] == 1 and small["window"]["posts_examined"] == 1


async def test_summary_stops_paging_on_its_time_budget(
    connect: Connect, api: StandInApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    import genviral_mcp.server as server_module

    monkeypatch.setattr(server_module, "SUMMARY_PAGING_BUDGET_SECONDS", 0.15)
    api.latency = 0.1
    async with connect() as client:
        body = structured(await client.call_tool("get_delivery_summary", {"max_posts": 1000}))
    window = body["window"]
    assert window["stopped_on_time_budget"] is True and window["more_posts_in_window"] is True
    assert 100 <= window["posts_examined"] < 300
