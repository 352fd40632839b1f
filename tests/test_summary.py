"""get_delivery_summary: counters passed on untouched, each section on handmade posts, bounds, partials."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from genviral_mcp.analysis import OVERDUE_AFTER
from genviral_mcp.demo.emulator import PostsEmulator

from support.common import KEY, Connect, error_text, structured, text_of
from support.standin import Fault, StandInApi, respond

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
            published_at="2026-11-27T12:01:00.000Z",
            error_message="spam_risk_too_many_posts (earlier attempt)",
        ),
    ),
    _post(
        "half",
        "partial",
        "2026-11-26T10:00:00.000Z",
        "2026-11-26T12:00:00Z",
        _state(
            "A",
            "posted",
            published_url="https://www.tiktok.com/@a/video/2",
            published_at="2026-11-26T12:00:30Z",
        ),
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


def scheduled_posts(count: int) -> list[dict[str, Any]]:
    """``count`` scheduled posts created at distinct instants over November, all due on 1 December."""
    return [
        _post(
            f"s{index:03d}",
            "scheduled",
            f"2026-11-{1 + index % 27:02d}T10:{index % 60:02d}:00.000Z",
            "2026-12-01T10:00:00Z",
        )
        for index in range(count)
    ]


async def test_scope_counters_are_passed_on_exactly_under_names_that_cannot_be_misread(
    connect: Connect, api: StandInApi
) -> None:
    api.emulator = PostsEmulator(HANDMADE, {KEY: "ok"}, scope=DOC_SCOPE)
    async with connect() as client:
        body = structured(await client.call_tool("get_delivery_summary", {}))
        listed = structured(await client.call_tool("list_posts", {}))
    expected = {
        "total_posts": 193,
        "not_yet_published_posts": 58,
        "published_posts": 120,
        "posts_by_status": DOC_SCOPE["by_status"],
    }
    assert body["scope"] == expected and listed["scope"] == expected
    assert "pending" not in body["scope"], "58 must not read as the pending status (12)"


async def test_attention_upcoming_and_went_out_on_handmade_posts(connect: Connect, api: StandInApi) -> None:
    api.emulator = PostsEmulator(HANDMADE, {KEY: "ok"})
    async with connect() as client:
        body = structured(
            await client.call_tool(
                "get_delivery_summary", {"hours_ahead": 48, "published_since": "2026-11-26T00:00:00Z"}
            )
        )
    assert body["now"] == "2026-11-28 12:00 UTC"
    causes = {cause["cause"]: cause for cause in body["needs_attention"]["causes"]}
    assert set(causes) == {
        "still waiting more than 30 minutes after its scheduled time",
        "Board not found",
        "video_pull_failed HTTP 403",
    }, "control characters stripped; published account A with its old error is fine"
    assert body["needs_attention"] == body["needs_attention"] | {"deliveries": 3, "posts": 3}
    assert list(causes["Board not found"]["posts"]) == ["half"]
    assert causes["Board not found"]["accounts"] == ["account B"]
    assert [item["id"] for item in body["upcoming"]["items"]] == ["up-1", "up-2"], "soonest first"
    assert [item["id"] for item in body["went_out"]["items"]] == ["stale-ok", "half"], "newest first"
    assert body["went_out"]["items"][0]["urls"] == {"account A": "https://www.tiktok.com/@a/video/1"}


def test_overdue_threshold_is_documented_in_the_description() -> None:
    from genviral_mcp.server import SUMMARY_DESCRIPTION

    assert f"{int(OVERDUE_AFTER.total_seconds() // 60)} minutes" in SUMMARY_DESCRIPTION


async def test_hours_and_max_items_are_clamped(connect: Connect) -> None:
    async with connect() as client:
        wide = structured(
            await client.call_tool("get_delivery_summary", {"hours_ahead": "500", "max_items": 999})
        )
        narrow = structured(
            await client.call_tool("get_delivery_summary", {"hours_ahead": 0, "max_items": 0})
        )
    assert wide["upcoming"]["hours"] == 168 and narrow["upcoming"]["hours"] == 1
    assert len(narrow["needs_attention"]["causes"]) == 1


async def test_a_publish_window_backwards_is_refused_before_any_request(
    connect: Connect, api: StandInApi
) -> None:
    async with connect() as client:
        result = await client.call_tool(
            "get_delivery_summary",
            {"published_since": "2026-11-28T00:00:00Z", "published_until": "2026-11-27T00:00:00Z"},
        )
    assert "published_since" in error_text(result)
    assert api.all_requests == []


async def test_a_later_page_failing_leaves_a_partial_summary_naming_the_next_call(
    connect: Connect, api: StandInApi
) -> None:
    """The scheduled walk's second page fails: the rest is still answered, and the result says
    what is missing and what to call next."""
    posts = scheduled_posts(150) + HANDMADE
    api.emulator = PostsEmulator(posts, {KEY: "ok"})
    refusal = respond(418, '{"ok": false, "code": 418, "message": "teapot"}')
    api.script_matching(lambda query: query.get("status") == "scheduled" and "until" in query, refusal)
    async with connect() as client:
        result = await client.call_tool("get_delivery_summary", {"hours_ahead": 168})
        body = structured(result)
        again = structured(await client.call_tool("get_delivery_summary", {"hours_ahead": 168}))
    assert body["coverage"].startswith("incomplete")
    assert len(body["incomplete"]) == 1 and body["incomplete"][0].startswith("scheduled: ")
    assert "HTTP 418" in body["incomplete"][0] and "Call get_delivery_summary again" in body["incomplete"][0]
    assert any("incomplete" in text_of(result, i) for i in range(1, len(result.content)))
    assert body["upcoming"]["posts"] == 100, "the first page (98 generated, up-1 and up-2) was kept"
    assert "Board not found" in {cause["cause"] for cause in body["needs_attention"]["causes"]}
    assert "incomplete" not in again and again["coverage"].startswith("exact")
    assert again["upcoming"]["posts"] == 150 + 2


async def test_every_walk_failing_is_an_error(connect: Connect, api: StandInApi) -> None:
    refusal = respond(402, '{"ok": false, "code": 402, "error_code": "subscription_required"}')
    api.script(*([refusal] * 6))
    async with connect() as client:
        result = await client.call_tool("get_delivery_summary", {})
    assert "subscription" in error_text(result).lower() or "plan" in error_text(result)


async def test_an_upstream_that_ignores_until_stops_the_walk(connect: Connect, api: StandInApi) -> None:
    """The same newest page for every ``until``: each walk stops once nothing new arrives."""
    emulator = PostsEmulator(scheduled_posts(150), {KEY: "ok"}, scope={"by_status": {"scheduled": 150}})
    original = emulator.handle
    emulator.handle = lambda query, authorization: original(  # type: ignore[method-assign]
        {k: v for k, v in query.items() if k != "until"}, authorization
    )
    api.emulator = emulator
    async with connect() as client:
        body = structured(await client.call_tool("get_delivery_summary", {}))
    scheduled = [request for request in api.requests if request.query.get("status") == "scheduled"]
    assert len(scheduled) == 3, "one page, then two that brought nothing new"
    assert any(line.startswith("scheduled:") and "same posts again" in line for line in body["incomplete"])


async def test_walks_stop_at_the_page_cap(connect: Connect, api: StandInApi) -> None:
    from genviral_mcp.query import WalkLimits

    api.emulator = PostsEmulator(scheduled_posts(150) + HANDMADE, {KEY: "ok"})
    async with connect(walk_limits=WalkLimits(max_pages=1)) as client:
        body = structured(await client.call_tool("get_delivery_summary", {}))
    assert all(int(request.query["limit"]) == 100 for request in api.requests)
    # One page per status, and one over every status: the counters leave one post ("gone",
    # deleted) that no status filter reaches.
    assert len(api.requests) == 7
    assert body["coverage"].startswith("incomplete")
    scheduled, others = body["incomplete"]
    assert (
        scheduled.startswith("scheduled: examined the newest 100 of 152 posts")
        and "stops after 1 pages" in scheduled
    )
    assert others.startswith("other statuses: Genviral's counters leave 1 post with statuses they do not")
    assert "examined the newest 100 of 158 posts" in others and "found 1:" in others
    assert body["counted_by_this_tool"] == {"retry": 1, "deleted": "at least 1"}


async def test_summary_stops_paging_on_its_time_budget(connect: Connect, api: StandInApi) -> None:
    from genviral_mcp.query import WalkLimits

    api.emulator = PostsEmulator(scheduled_posts(350), {KEY: "ok"})
    api.latency = 0.1
    async with connect(walk_limits=WalkLimits(budget_seconds=0.15)) as client:
        body = structured(await client.call_tool("get_delivery_summary", {}))
    line = next(line for line in body["incomplete"] if line.startswith("scheduled:"))
    assert "ran out of time" in line and "until=" in line


async def test_the_summary_reports_progress_as_each_walk_ends(connect: Connect) -> None:
    seen: list[tuple[float, float | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total))

    async with connect() as client:
        structured(await client.call_tool("get_delivery_summary", {}, progress_callback=on_progress))
    # Six status walks, then (the sample holds deleted and void posts) one over every status.
    assert [done for done, _ in seen] == [1, 2, 3, 4, 5, 6, 7]
    assert {total for _, total in seen} <= {6, 7} and seen[-1] == (7, 7)


async def test_when_the_retry_walk_reads_nothing_the_counters_come_from_another_walk(
    connect: Connect, api: StandInApi
) -> None:
    """The retry walk's count is part of the other-statuses arithmetic. When it fails before reading
    a page while the other walks are still on their way, their counters are waited for: "Genviral sent
    no total_posts counter" would be false (it was a race that extra concurrent requests made likely)."""

    def late(seconds: float) -> Fault:
        def fault(handler: BaseHTTPRequestHandler) -> None:
            time.sleep(seconds)
            query = dict(parse_qsl(urlsplit(handler.path).query))
            answer = api.emulator.handle(query, handler.headers.get("authorization"))
            respond(answer.status, answer.body)(handler)

        return fault

    api.script_matching(lambda query: query.get("status") == "retry", respond(404, '{"ok": false}'))
    for status in ("failed", "partial", "pending", "scheduled", "posted"):
        api.script_matching(lambda query, status=status: query.get("status") == status, late(0.4))  # type: ignore[misc]
    async with connect() as client:
        body = structured(await client.call_tool("get_delivery_summary", {}))
    assert [line.split(":")[0] for line in body["incomplete"]] == ["retry"], body["incomplete"]
