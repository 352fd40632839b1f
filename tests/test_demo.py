"""``--demo``: both tools over the built-in sample workspace, through the real client code path."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx2 as httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult

from genviral_mcp.demo import (
    DEMO_BASE_URL,
    DEMO_KEY,
    DEMO_POST_COUNT,
    SAMPLE_NOTICE,
    demo_requested,
    demo_server,
    demo_settings,
    demo_transport,
)
from genviral_mcp.demo.sample_data import ACCOUNTS, DISCONNECTED_ACCOUNT_IDS, sample_posts
from genviral_mcp.server import build_server
from genviral_mcp.timestamps import parse_iso

from support.common import KEY, NOW, SCRIPT, error_text, instant, structured, text_of

pytestmark = pytest.mark.anyio


class CountingDemo:
    """The demo transport, counting the requests that reach it."""

    def __init__(self) -> None:
        self.inner = demo_transport(lambda: NOW)
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = self.inner.handler(request)
        assert isinstance(response, httpx.Response)
        return response


@pytest.fixture
def demo() -> CountingDemo:
    return CountingDemo()


@asynccontextmanager
async def demo_client(demo: CountingDemo, mode: str) -> AsyncIterator[Client]:
    server = demo_server(lambda: NOW, transport=demo.transport)
    async with Client(server, mode=mode) as client:
        yield client


def marked(result: CallToolResult) -> dict[str, Any]:
    """The structured content, checked to open with the sample-data notice in both views."""
    body = structured(result)
    assert next(iter(body)) == "sample_data"
    assert body["sample_data"] == SAMPLE_NOTICE
    text = text_of(result)
    assert text == json.dumps(body, indent=2, ensure_ascii=False)
    assert text.splitlines()[1].strip().startswith('"sample_data": "Demo workspace')
    return body


# --- the sample workspace itself -------------------------------------------------------------


def test_sample_workspace_has_what_the_issue_asks_for() -> None:
    posts = sample_posts(NOW, DEMO_POST_COUNT)
    assert len(posts) == 200
    statuses = Counter(post["status"] for post in posts)
    assert set(statuses) >= {"draft", "pending", "scheduled", "posted", "failed", "partial", "retry"}
    assert statuses["deleted"] and statuses["void"]
    states = [state for post in posts for state in post["accounts"]["states"]]
    assert len({state["account_id"] for state in states}) == len(ACCOUNTS) >= 6
    assert max(len(post["accounts"]["states"]) for post in posts) == len(ACCOUNTS)
    for post in posts:  # one delivery per account
        assert len({state["account_id"] for state in post["accounts"]["states"]}) == post["accounts"]["total"]
    errors = [state["error_message"] for state in states if state["status"] in ("failed", "retry")]
    assert errors and all(errors)
    assert any("Reconnect" in error for error in errors)
    assert any(state["status"] == "posted" and state["error_message"] for state in states), "stale errors"
    captions = [post["caption"] for post in posts]
    assert max(map(len, captions)) > 400
    for script in (r"[\u3040-\u30ff]", r"[\u0600-\u06ff]", r"[\u0400-\u04ff]", r"[\uac00-\ud7af]"):
        assert any(re.search(script, caption) for caption in captions), script
    waiting = [(post, parse_iso(post["scheduled_at"])) for post in posts if post["status"] == "scheduled"]
    assert any(when is not None and when > NOW for _, when in waiting), "upcoming"
    assert any(when is not None and when < NOW - timedelta(hours=1) for _, when in waiting), "overdue"
    created = Counter(post["created_at"] for post in posts)
    assert any(n > 1 for n in created.values()), "batch twins share one created_at"
    gone = [state for state in states if state["account_id"] in DISCONNECTED_ACCOUNT_IDS]
    assert any(state["status"] == "failed" and "(#190)" in state["error_message"] for state in gone)


def test_sample_workspace_is_deterministic_and_anchored_to_the_day() -> None:
    assert sample_posts(NOW, 50) == sample_posts(NOW, 50)
    month = timedelta(days=30)
    for now_post, later_post in zip(sample_posts(NOW, 50), sample_posts(NOW + month, 50), strict=True):
        assert later_post["id"] == now_post["id"]
        for field in ("created_at", "scheduled_at"):
            assert parse_iso(later_post[field]) == (parse_iso(now_post[field]) or NOW) + month


# --- the timeline: the same posts all day, their states moving with the clock ------------------

DAY = datetime(2026, 11, 28, tzinfo=timezone.utc)
#: Across one UTC day, and across its midnight into the next.
CLOCKS = [
    DAY + timedelta(hours=h, minutes=m) for h, m in ((0, 5), (6, 0), (12, 0), (23, 55), (24, 0), (24, 5))
]


def news(posts: list[dict[str, Any]], now: datetime) -> dict[str, int]:
    """What the issue asks the demo to have at any time of day, counted from the raw posts."""
    hour_ago, day = now - timedelta(hours=1), now.replace(hour=0, minute=0, second=0, microsecond=0)
    states = [state for post in posts for state in post["accounts"]["states"]]

    def at(value: str | None) -> datetime | None:
        return parse_iso(value) if value else None

    published = [at(state["published_at"]) for state in states if state["status"] == "posted"]
    failed = [at(state["last_attempted_at"]) for state in states if state["status"] in ("failed", "retry")]
    open_posts = [
        (post, instant(post["scheduled_at"]))
        for post in posts
        if post["status"] in ("scheduled", "pending")
        and any(state["status"] in ("scheduled", "pending") for state in post["accounts"]["states"])
    ]
    return {
        "due in the next 24 h": sum(now < due <= now + timedelta(hours=24) for _, due in open_posts),
        "failures in the last hour": sum(1 for moment in failed if moment and hour_ago <= moment <= now),
        "publications in the last hour": sum(
            1 for moment in published if moment and hour_ago <= moment <= now
        ),
        "publications yesterday": sum(1 for moment in published if moment and day - DAY_SPAN <= moment < day),
        "overdue posts": sum(due < now - timedelta(minutes=30) for _, due in open_posts),
        "retries": sum(post["status"] == "retry" for post in posts),
        "partials": sum(post["status"] == "partial" for post in posts),
    }


DAY_SPAN = timedelta(days=1)


def test_at_every_time_of_day_the_demo_has_news() -> None:
    """Every 5 minutes across a day and past its midnight: each kind of news is there."""
    for minutes in range(0, 24 * 60 + 60, 5):
        now = DAY + timedelta(minutes=minutes)
        posts = sample_posts(now, DEMO_POST_COUNT)
        assert len(posts) == DEMO_POST_COUNT
        found = news(posts, now)
        missing = [kind for kind, count in found.items() if not count]
        assert not missing, f"at {now:%Y-%m-%d %H:%M}: no {', '.join(missing)}"
        assert found["due in the next 24 h"] >= 10, f"at {now:%H:%M}: the evening's next day is not empty"
        stamps = [post["created_at"] for post in posts] + [
            state[field]
            for post in posts
            for state in post["accounts"]["states"]
            for field in ("published_at", "last_attempted_at")
            if state[field]
        ]
        assert all(instant(stamp) <= now for stamp in stamps), "nothing has happened in the future"


def test_ids_and_creation_instants_hold_all_day_while_states_move() -> None:
    morning, evening = (sample_posts(DAY + timedelta(hours=h), DEMO_POST_COUNT) for h in (0.1, 23.9))
    assert [(p["id"], p["created_at"]) for p in morning] == [(p["id"], p["created_at"]) for p in evening]
    moved = [m["id"] for m, e in zip(morning, evening, strict=True) if m["status"] != e["status"]]
    assert len(moved) > 30, "the day's posts went out or failed as the clock moved"
    assert all(instant(post["created_at"]) < DAY for post in morning), "all made before the day began"
    tomorrow = sample_posts(DAY + timedelta(days=1, hours=1), DEMO_POST_COUNT)
    assert [p["id"] for p in tomorrow] == [p["id"] for p in morning], "the next day: the same ids"
    assert all(
        instant(later["created_at"]) - instant(now["created_at"]) == DAY_SPAN
        for now, later in zip(morning, tomorrow, strict=True)
    ), "... each created a day later"


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_running_demo_follows_its_clock_through_the_day_and_past_midnight(mode: str) -> None:
    """One server, its clock moved across the day: each summary has last hour's news, yesterday's
    publications and what is due next; a post's created instant still finds it later that day."""
    clock = Clock(CLOCKS[0])
    seen: dict[str, str] = {}
    async with Client(demo_server(clock), mode=mode) as client:
        for now in CLOCKS:
            clock.now = now
            hour = {"published_since": (now - timedelta(hours=1)).isoformat()}
            last_hour = marked(await client.call_tool("get_delivery_summary", hour))
            day = now.replace(hour=0, minute=0)
            yesterday = {
                "published_since": (day - DAY_SPAN).isoformat(),
                "published_until": (day - timedelta(milliseconds=1)).isoformat(),
            }
            before = marked(await client.call_tool("get_delivery_summary", yesterday))
            assert last_hour["went_out"]["posts"] > 0, now
            assert max(cause["newest"] for cause in last_hour["needs_attention"]["causes"]) >= (
                f"{now - timedelta(hours=1):%Y-%m-%d %H:%M}"
            ), now
            assert last_hour["upcoming"]["posts"] > 0, now
            assert before["went_out"]["posts"] > 0, now
            for item in last_hour["went_out"]["items"]:
                seen.setdefault(item["id"], item["created"])
        clock.now = CLOCKS[3]  # back to 23:55 of the first day: what was seen that day is found again
        for post_id, created in seen.items():
            if instant(created) < DAY:
                found = marked(
                    await client.call_tool(
                        "list_posts", {"since": created, "until": created, "detail": "full"}
                    )
                )
                assert post_id in {post["id"] for post in found["posts"]}


async def test_a_post_goes_out_when_the_clock_passes_its_time(demo: CountingDemo) -> None:
    """The state is the clock's, at each request: scheduled before, published after."""
    clock = Clock(DAY + timedelta(hours=12))
    server = demo_server(clock, transport=demo_transport(clock))
    async with Client(server) as client:
        before = marked(await client.call_tool("list_posts", {"status": "scheduled", "limit": 100}))
        soon = min(
            (post for post in before["posts"] if post["scheduled"] > "2026-11-28 12:00"),
            key=lambda post: post["scheduled"],
        )
        clock.now = DAY + timedelta(hours=14)
        after = marked(
            await client.call_tool("list_posts", {"since": soon["created"], "until": soon["created"]})
        )
    [post] = [post for post in after["posts"] if post["id"] == soon["id"]]
    assert soon["scheduled"] <= "2026-11-28 13:00", "the pulse: something is due within the hour"
    assert post["status"] in ("posted", "partial", "failed", "retry"), post


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        (True, "", True),
        (False, "1", True),
        (False, "true", True),
        (False, " TRUE ", True),
        (False, "yes", True),
        (False, "on", True),
        (False, "", False),
        (False, "0", False),
        (False, "false", False),
    ],
)
def test_demo_is_requested_by_flag_or_environment(flag: bool, value: str, expected: bool) -> None:
    assert demo_requested(flag, {"GENVIRAL_DEMO": value}) is expected


def test_demo_settings_follow_the_configuration_rules() -> None:
    settings = demo_settings()
    assert settings.problem is None
    assert settings.base_url == DEMO_BASE_URL and DEMO_BASE_URL.startswith("https://")
    assert settings.require_ready().reveal() == DEMO_KEY


@pytest.mark.anyio
async def test_demo_transport_speaks_the_api_wire_format() -> None:
    async with httpx.AsyncClient(transport=demo_transport(lambda: NOW)) as http:
        ok = await http.get(f"{DEMO_BASE_URL}/posts", headers={"authorization": f"Bearer {DEMO_KEY}"})
        bad_since = await http.get(
            f"{DEMO_BASE_URL}/posts",
            params={"since": "yesterday"},
            headers={"authorization": f"Bearer {DEMO_KEY}"},
        )
        wrong_key = await http.get(f"{DEMO_BASE_URL}/posts", headers={"authorization": f"Bearer {KEY}"})
        accounts = await http.get(
            f"{DEMO_BASE_URL}/accounts", headers={"authorization": f"Bearer {DEMO_KEY}"}
        )
        anonymous = await http.get(f"{DEMO_BASE_URL}/accounts")
        elsewhere = await http.get(
            f"{DEMO_BASE_URL}/elsewhere", headers={"authorization": f"Bearer {DEMO_KEY}"}
        )
    body = ok.json()
    assert ok.status_code == 200 and body["ok"] is True and body["message"] == "Posts retrieved"
    assert body["data"]["summary"]["total"] == DEMO_POST_COUNT and len(body["data"]["posts"]) == 20
    assert (bad_since.status_code, bad_since.json()["error_code"]) == (400, "invalid_since")
    assert (wrong_key.status_code, wrong_key.json()["error_code"]) == (401, "invalid_token")
    listed = accounts.json()
    assert accounts.status_code == 200 and listed["ok"] is True
    # As Genviral's /accounts: only active accounts; the disconnected one is missing, not flagged.
    listed_ids = {account["id"] for account in listed["data"]["accounts"]}
    assert listed_ids == {account_id for account_id, _, _ in ACCOUNTS} - DISCONNECTED_ACCOUNT_IDS
    assert {account["status"] for account in listed["data"]["accounts"]} == {"active"}
    assert {"id", "platform", "type", "username", "display_name", "status"} <= set(
        listed["data"]["accounts"][0]
    )
    assert anonymous.status_code == 401
    assert elsewhere.status_code == 404


# --- both tools, in memory, both protocol eras -----------------------------------------------


async def test_demo_serves_both_tools_with_every_result_marked(demo: CountingDemo, mode: str) -> None:
    async with demo_client(demo, mode) as client:
        names = sorted(tool.name for tool in (await client.list_tools()).tools)
        assert "DEMO MODE" in (client.instructions or "")
        posts = marked(await client.call_tool("list_posts", {}))
        summary = marked(await client.call_tool("get_delivery_summary", {}))
    assert names == ["get_delivery_summary", "list_posts"]
    assert posts["returned"] == 20 and posts["scope"]["total_posts"] == DEMO_POST_COUNT
    active = {
        label for label, account_id in posts["accounts"].items() if account_id not in DISCONNECTED_ACCOUNT_IDS
    }
    assert active and all(" @" in label for label in active), "the demo serves active accounts' names"
    assert summary["coverage"].startswith("exact: every failed, partial, retry, pending and scheduled")
    assert summary["needs_attention"]["causes"] and summary["upcoming"]["items"]
    assert summary["went_out"]["items"] and summary["accounts"]
    # One posts request for list_posts; for the summary one walk per status (each under 100 posts)
    # and, since the sample holds deleted and void posts, one walk over all 200 (three pages). The
    # account list is fetched for list_posts and once more for the summary: it meets an account
    # the cached list does not show as active, and says so only from a list fetched after it began.
    # The summary also asks for the analytics of its window (one page) and the analytics targets;
    # the concise list_posts does not.
    paths = Counter(request.url.path.partition("/api/partner/v1/")[2] for request in demo.requests)
    assert paths == {"posts": 1 + 6 + 3, "accounts": 2, "analytics/summary/posts": 1, "analytics/targets": 1}
    assert all(request.headers["authorization"] == f"Bearer {DEMO_KEY}" for request in demo.requests)
    assert {request.url.host for request in demo.requests} == {"demo.genviral.invalid"}


async def test_demo_honours_status_filter_and_clamping(demo: CountingDemo, mode: str) -> None:
    async with demo_client(demo, mode) as client:
        failed = marked(await client.call_tool("list_posts", {"status": "failed", "limit": "5"}))
        most = marked(await client.call_tool("list_posts", {"limit": 500}))
        least = marked(await client.call_tool("list_posts", {"limit": -3}))
    assert failed["filters"] == {"limit": 5, "status": "failed", "detail": "concise"}
    assert failed["returned"] == 5 and {post["status"] for post in failed["posts"]} == {"failed"}
    assert most["filters"]["limit"] == 100 and most["returned"] <= 100
    assert least["filters"]["limit"] == 1 and least["returned"] == 1
    posts_requests = [request for request in demo.requests if request.url.path.endswith("/posts")]
    assert len(posts_requests) == 3 and posts_requests[1].url.params["limit"] == "100"


async def test_demo_honours_the_creation_time_window(demo: CountingDemo, mode: str) -> None:
    since, until = "2026-11-01T00:00:00Z", "2026-11-15T00:00:00"
    async with demo_client(demo, mode) as client:
        body = marked(await client.call_tool("list_posts", {"since": since, "until": until, "limit": 100}))
    created = [parse_iso(post["created"]) for post in body["posts"]]
    assert body["returned"] > 0 and None not in created
    assert all(instant(since) <= moment <= instant(until + "Z") for moment in created if moment)
    truth = [
        post["id"]
        for post in sample_posts(NOW, DEMO_POST_COUNT)
        if instant(since) <= instant(post["created_at"]) <= instant(until + "Z")
    ]
    assert [post["id"] for post in body["posts"]] == truth


async def test_demo_summary_honours_the_publish_time_window(demo: CountingDemo, mode: str) -> None:
    since, until = "2026-11-01T00:00:00Z", "2026-11-15T00:00:00"
    window = {"published_since": since, "published_until": until, "max_items": 100}
    async with demo_client(demo, mode) as client:
        summary = marked(await client.call_tool("get_delivery_summary", window))
    went_out = summary["went_out"]
    assert (went_out["published_since"], went_out["published_until"]) == (
        "2026-11-01 00:00",
        "2026-11-15 00:00",
    )
    assert went_out["complete"] is True
    start, end = instant(since), instant(until + "Z")
    truth = {
        post["id"]
        for post in sample_posts(NOW, DEMO_POST_COUNT)
        if post["status"] in ("posted", "partial", "retry", "failed", "pending", "scheduled")
        and any(
            state["status"] == "posted" and start <= instant(state["published_at"]) <= end
            for state in post["accounts"]["states"]
        )
    }
    assert truth and went_out["posts"] == len(truth)
    assert {item["id"] for item in went_out["items"]} == truth
    assert all("2026-11-01 00:00" <= item["published"] <= "2026-11-15 00:00" for item in went_out["items"])


async def test_demo_refuses_bad_timestamps_before_any_request(demo: CountingDemo, mode: str) -> None:
    async with demo_client(demo, mode) as client:
        bad = await client.call_tool("list_posts", {"since": "last tuesday"})
        backwards = await client.call_tool(
            "get_delivery_summary",
            {"published_since": "2026-11-20T00:00:00Z", "published_until": "2026-11-01T00:00:00Z"},
        )
        creation_window = await client.call_tool(
            "get_delivery_summary", {"since": "2026-11-01T00:00:00Z", "until": "2026-11-20T00:00:00Z"}
        )
    assert "`since`" in error_text(bad) and "2025-01-31T00:00:00Z" in error_text(bad)
    assert "`published_since`" in error_text(backwards) and "after `published_until`" in error_text(backwards)
    refused = error_text(creation_window)
    assert "Unknown arguments `since`, `until`" in refused and "list_posts" in refused
    assert bad.structured_content is None
    assert demo.requests == []


async def test_demo_pages_through_the_whole_workspace(demo: CountingDemo) -> None:
    seen: list[str] = []
    arguments: dict[str, Any] = {"limit": 60}
    async with demo_client(demo, "auto") as client:
        for _ in range(10):
            body = marked(await client.call_tool("list_posts", arguments))
            seen += [post["id"] for post in body["posts"]]
            if "next_page" not in body:
                break
            arguments = body["next_page"]
    assert len(seen) == len(set(seen)) == DEMO_POST_COUNT


async def test_results_outside_demo_mode_carry_no_notice(demo: CountingDemo) -> None:
    server = build_server(demo_settings(), transport=demo.transport, clock=lambda: NOW)
    async with Client(server) as client:
        body = structured(await client.call_tool("list_posts", {"limit": 1}))
        assert "DEMO" not in (client.instructions or "")
    assert "sample_data" not in body


# --- the installed command, over stdio, with no key anywhere ----------------------------------


@pytest.mark.parametrize(
    ("args", "env"),
    [(["--demo"], {}), ([], {"GENVIRAL_DEMO": "1"})],
    ids=["--demo", "GENVIRAL_DEMO=1"],
)
async def test_installed_command_serves_the_demo_without_a_key(args: list[str], env: dict[str, str]) -> None:
    assert SCRIPT.exists(), "install the package first: pip install -e '.[test]'"
    params = StdioServerParameters(command=str(SCRIPT), args=args, env=env)
    async with Client(params, mode="legacy") as client:
        posts = marked(await client.call_tool("list_posts", {"limit": 3, "status": "partial"}))
        summary = marked(await client.call_tool("get_delivery_summary", {"max_items": 3}))
    assert posts["returned"] == 3 and {post["status"] for post in posts["posts"]} == {"partial"}
    upcoming = summary["upcoming"]
    assert len(upcoming["items"]) == 3 and upcoming["left_out"] == upcoming["posts"] - 3
    assert len(summary["needs_attention"]["causes"]) == 3
    assert summary["next"] == {"get_delivery_summary": {"hours_ahead": 24, "max_items": 100}}


async def test_genviral_demo_now_stops_the_demos_clock_at_that_instant() -> None:
    """What scripts/generate_docs.py relies on: the server and the workspace both read the fixed instant."""
    env = {"GENVIRAL_DEMO_NOW": "2026-03-14T09:30:00Z"}
    params = StdioServerParameters(command=str(SCRIPT), args=["--demo"], env=env)
    async with Client(params, mode="legacy") as client:
        first = marked(await client.call_tool("get_delivery_summary", {"max_items": 3}))
        again = marked(await client.call_tool("get_delivery_summary", {"max_items": 3}))
    assert first["now"] == "2026-03-14 09:30 UTC" and first["as_of"] == "2026-03-14T09:15:00.000Z"
    assert first == again
    went_out = first["went_out"]
    assert went_out["items"] and all(item["published"] <= "2026-03-14 09:30" for item in went_out["items"])


def test_a_genviral_demo_now_that_is_not_an_instant_is_refused_by_name() -> None:
    done = subprocess.run(
        [str(SCRIPT), "check", "--demo"],
        env={"GENVIRAL_DEMO_NOW": "noon"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert "GENVIRAL_DEMO_NOW='noon' is not an ISO 8601 instant" in done.stderr
