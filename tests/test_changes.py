"""``get_delivery_summary(changed_since=…)`` and ``as_of`` (issue 19): "what changed since my last run?"
in one call, with a cursor that misses nothing between two runs.

The scope is built around an injected clock (``support/timeline.py``), and the ground truth of each
call is computed from the raw posts by the issue's own definition.
"""

from __future__ import annotations

import re
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from mcp import Client

from genviral_mcp.accounts import AccountDirectory
from genviral_mcp.analysis import kept_whole
from genviral_mcp.client import PostsClient, build_http_client
from genviral_mcp.config import ApiKey, Settings
from genviral_mcp.cursor import AS_OF_MARGIN
from genviral_mcp.demo import demo_server
from genviral_mcp.demo.emulator import PostsEmulator
from genviral_mcp.demo.sample_data import DISCONNECTED_ACCOUNT_IDS, sample_accounts, sample_posts
from genviral_mcp.query import SummaryRequest, WalkLimits
from genviral_mcp.server import build_server
from genviral_mcp.shaping import delivery_summary_output
from genviral_mcp.survey import survey_scope
from genviral_mcp.timestamps import exact

from support.common import FAST_RETRY, KEY, KEYS, NOW, Connect, error_text, iso, structured
from support.standin import Fault, StandInApi, respond
from support.timeline import (
    ACTIVE_A,
    ACTIVE_B,
    ACTIVE_D,
    GONE_C,
    GONE_E,
    accounts_payload,
    failed,
    listed_changes,
    news_workspace,
    old_publications,
    post,
    published,
    state,
    truth,
    waiting,
)

pytestmark = pytest.mark.anyio

AS_OF_FORM = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
HOUR = timedelta(hours=1)
GONE = {GONE_C, GONE_E}


@dataclass
class Clock:
    """The server's clock, moved by the test."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


Summon = Callable[..., Any]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def news(api: StandInApi) -> list[dict[str, Any]]:
    """The stand-in serves the news workspace at NOW, with the list of active accounts."""
    posts = news_workspace(NOW)
    api.emulator = PostsEmulator(posts, KEYS, accounts=accounts_payload())
    return posts


@pytest.fixture
def summon(api: StandInApi, mode: str, clock: Clock) -> Summon:
    """``async with summon() as call``: ``await call(**arguments)`` is a summary's structured content."""

    @asynccontextmanager
    async def factory(walk_limits: WalkLimits | None = None) -> AsyncIterator[Any]:
        settings = Settings.from_env({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": api.base_url})
        server = build_server(settings, clock=clock, retry=FAST_RETRY, walk_limits=walk_limits)
        async with Client(server, mode=mode) as client:

            async def call(**arguments: Any) -> dict[str, Any]:
                return structured(await client.call_tool("get_delivery_summary", arguments))

            yield call

    return factory


def account_ids(summary: dict[str, Any]) -> set[str]:
    return {facts["id"] for facts in summary.get("accounts", {}).values()}


# --- what is news, what is counted ----------------------------------------------------------------


async def test_the_first_call_lists_exactly_the_news_and_the_next_only_what_is_new(
    api: StandInApi, news: list[dict[str, Any]], summon: Summon, clock: Clock
) -> None:
    since = NOW - HOUR
    expected = truth(news, since, NOW, GONE)
    async with summon() as call:
        first = await call(changed_since=exact(since))
        assert first["changed_since"] == exact(since)
        assert first["as_of"] == exact(NOW - AS_OF_MARGIN) == "2026-11-28T11:45:00.000Z"
        attention, went = listed_changes(first)
        assert attention == expected.attention and len(attention) == 6, "failures, retry, overdue, partial"
        assert went == expected.published and len(went) == 2, "20 minutes ago, and the partial's"
        assert first["needs_attention"]["deliveries"] == len(expected.attention)
        assert first["needs_attention"]["older_deliveries"] == expected.older == 4
        assert first["needs_attention"]["older"] == (
            "And 4 older deliveries on 4 posts still need attention, and 1 account that is not active has "
            "nothing new: not news, so not listed (see the summary without changed_since)."
        )
        [gone] = first["needs_attention"]["accounts_not_active"]
        assert gone["change"] in attention and GONE_C in gone["change"], "C failed since; E only long ago"
        assert account_ids(first) == {ACTIVE_A, ACTIVE_B, ACTIVE_D, GONE_C}
        assert [item["id"] for item in first["upcoming"]["items"]] == ["upcoming"], "the future, as it is"
        assert first["went_out"]["published_since"] == "2026-11-28 11:00"
        assert "as_of_note" not in first

        # An hour later, one new failure: the next call, from the first one's as_of, lists only it.
        clock.now = NOW + HOUR
        fresh = failed("fresh", ACTIVE_B, clock.now - timedelta(minutes=10), "spam_risk_too_many_posts")
        api.emulator.posts = [*news, fresh]
        second = await call(changed_since=first["as_of"])
    attention, went = listed_changes(second)
    assert attention == {f"{iso(clock.now - timedelta(minutes=10))} fresh {ACTIVE_B}"}
    assert went == set()
    assert second["needs_attention"]["deliveries"] == 1
    assert second["needs_attention"]["older_deliveries"] == expected.older + len(expected.attention)
    assert "accounts_not_active" not in second["needs_attention"]
    assert "2 accounts that are not active have nothing new" in second["needs_attention"]["older"]
    assert account_ids(second) == {ACTIVE_B}
    assert second["as_of"] == exact(clock.now - AS_OF_MARGIN)


async def test_without_changed_since_everything_open_is_listed_and_as_of_is_given(
    news: list[dict[str, Any]], summon: Summon
) -> None:
    expected = truth(news, NOW - HOUR, NOW, GONE)
    async with summon() as call:
        body = await call()
    assert body["as_of"] == "2026-11-28T11:45:00.000Z" and AS_OF_FORM.fullmatch(body["as_of"])
    assert body["needs_attention"]["deliveries"] == len(expected.attention) + expected.older
    assert "older" not in body["needs_attention"] and "changed_since" not in body
    assert all("changes" not in cause for cause in body["needs_attention"]["causes"]), "no ids: tokens"
    assert {facts["id"] for facts in body["accounts"].values()} >= {
        ACTIVE_A,
        ACTIVE_B,
        ACTIVE_D,
        GONE_C,
        GONE_E,
    }


async def test_each_change_carries_a_stable_id_with_its_account(
    news: list[dict[str, Any]], summon: Summon, clock: Clock
) -> None:
    """The same change has the same id in two calls (the overlap of the margin), so repeats drop."""
    async with summon() as call:
        first = await call(changed_since=exact(NOW - HOUR))
        clock.now = NOW + timedelta(minutes=10)  # a run 10 minutes later repeats what is 20-25 min old
        second = await call(changed_since=exact(NOW - timedelta(minutes=26)))
    ids = {
        change: account
        for cause in first["needs_attention"]["causes"]
        for change, account in cause["changes"].items()
    }
    again = {
        change: account
        for cause in second["needs_attention"]["causes"]
        for change, account in cause["changes"].items()
    }
    assert again and set(again) < set(ids)
    assert all(ids[change] == account for change, account in again.items())
    labels = {label: facts["id"] for label, facts in first["accounts"].items()}
    for change, account in ids.items():
        moment, post_id, account_id = change.split(" ")
        assert AS_OF_FORM.fullmatch(moment) and labels[account] == account_id
        assert post_id in {item["id"] for item in news}


# --- the boundaries ----------------------------------------------------------------------------


async def test_a_change_exactly_at_changed_since_is_news_and_one_a_millisecond_earlier_is_not(
    api: StandInApi, summon: Summon, clock: Clock
) -> None:
    since = NOW - timedelta(minutes=5)
    just = since - timedelta(milliseconds=1)
    clock.now = NOW
    posts = [
        failed("fail-at", ACTIVE_A, since, "e"),
        failed("fail-before", ACTIVE_A, just, "e"),
        published("went-at", ACTIVE_B, since, created=NOW - timedelta(days=2)),
        published("went-before", ACTIVE_B, just, created=NOW - timedelta(days=2)),
        waiting("late-at", ACTIVE_D, since - timedelta(minutes=30)),  # grace ends exactly at since
        waiting("late-before", ACTIVE_D, just - timedelta(minutes=30)),
        waiting("due-gone", GONE_C, since),  # due at since on an inactive account, not yet overdue
        waiting("due-gone-early", GONE_E, NOW - timedelta(hours=3), status="scheduled"),  # overdue long ago
        waiting("future-gone", GONE_E, NOW + HOUR, status="scheduled"),  # not due yet: upcoming, not news
    ]
    api.emulator = PostsEmulator(posts, KEYS, accounts=accounts_payload())
    async with summon() as call:
        body = await call(changed_since=exact(since))
    attention, went = listed_changes(body)
    assert attention == {f"{iso(since)} fail-at {ACTIVE_A}", f"{iso(since)} late-at {ACTIVE_D}"}
    assert went == {f"{iso(since)} went-at {ACTIVE_B}"}
    assert body["needs_attention"]["older_deliveries"] == 3, "fail-before, late-before, due-gone-early"
    [gone] = body["needs_attention"]["accounts_not_active"]
    assert gone["change"] == f"{iso(since + timedelta(minutes=30))} due-gone {GONE_C}"
    assert body["as_of"] == exact(since), "never before changed_since: the cursor does not move back"


async def test_a_post_created_already_late_is_news_from_its_creation(api: StandInApi, summon: Summon) -> None:
    """Created 10 minutes ago, due two hours ago: it never showed before, so it cannot be older news."""
    late = post(
        "made-late",
        "pending",
        NOW - timedelta(minutes=10),
        NOW - timedelta(hours=2),
        state(ACTIVE_A, "pending"),
    )
    api.emulator = PostsEmulator([late], KEYS, accounts=accounts_payload())
    async with summon() as call:
        body = await call(changed_since=exact(NOW - timedelta(minutes=20)))
    attention, _ = listed_changes(body)
    assert attention == {f"{iso(NOW - timedelta(minutes=10))} made-late {ACTIVE_A}"}


# --- a change while the survey is in flight --------------------------------------------------------


def answer_then(
    api: StandInApi, before: Callable[[], None] = lambda: None, after: Callable[[], None] = lambda: None
) -> Fault:
    """Answer as the stand-in would, with ``before`` run first and ``after`` once answered."""

    def fault(handler: BaseHTTPRequestHandler) -> None:
        before()
        query = dict(parse_qsl(urlsplit(handler.path).query))
        answer = api.emulator.handle(query, handler.headers.get("authorization"))
        respond(answer.status, answer.body)(handler)
        after()

    return fault


async def test_a_change_during_the_survey_is_reported_by_the_next_call(
    api: StandInApi, news: list[dict[str, Any]], summon: Summon
) -> None:
    """A pending post fails between the failed walk's page and the pending walk's: neither walk sees
    it. The next call, from this one's as_of, reports it: its attempt started 10 minutes before it
    showed, within the margin."""
    young = waiting("in-flight", ACTIVE_A, NOW - timedelta(minutes=12))
    api.emulator.posts = [*news, young]
    failed_read = threading.Event()

    def fail_it() -> None:
        assert failed_read.wait(5), "the failed walk's page comes first"
        young["status"] = "failed"
        young["accounts"]["states"][0].update(
            status="failed",
            error_message="video_pull_failed",
            last_attempted_at=iso(NOW - timedelta(minutes=10)),
        )

    api.script_matching(
        lambda query: query.get("status") == "failed", answer_then(api, after=failed_read.set)
    )
    api.script_matching(lambda query: query.get("status") == "pending", answer_then(api, before=fail_it))
    async with summon() as call:
        first = await call(changed_since=exact(NOW - HOUR))
        second = await call(changed_since=first["as_of"])
    assert young["status"] == "failed", "the change happened during the first survey"
    assert "in-flight" not in str(first), "no walk saw it"
    assert "as_of_note" not in first and first["as_of"] == "2026-11-28T11:45:00.000Z"
    attention, _ = listed_changes(second)
    assert f"{iso(NOW - timedelta(minutes=10))} in-flight {ACTIVE_A}" in attention


# --- as_of does not move when a walk that can hold news stops ---------------------------------


def scheduled_at_one_instant(count: int) -> list[dict[str, Any]]:
    created = NOW - timedelta(days=1)
    return [
        post(f"batch-{index}", "scheduled", created, NOW + timedelta(days=2), state(ACTIVE_A, "scheduled"))
        for index in range(count)
    ]


def posted_posts(count: int) -> list[dict[str, Any]]:
    return old_publications(count, ACTIVE_A, NOW)


TEAPOT = respond(418, '{"ok": false, "code": 418, "message": "teapot"}')


@pytest.mark.parametrize("status", ["failed", "partial", "retry", "pending", "scheduled", "posted"])
async def test_a_news_walk_that_fails_holds_as_of_back(
    api: StandInApi, news: list[dict[str, Any]], summon: Summon, status: str
) -> None:
    api.script_matching(lambda query: query.get("status") == status, TEAPOT)
    since = exact(NOW - HOUR)
    async with summon() as call:
        held = await call(changed_since=since)
        default = await call()
    assert held["as_of"] == since
    assert held["as_of_note"].startswith(f"News may be incomplete: the {status} walk stopped early")
    assert any(line.startswith(f"{status}:") for line in held["incomplete"])
    assert default["as_of"] == "2026-11-28T11:45:00.000Z" and "as_of_note" not in default, "complete again"


async def test_without_changed_since_a_stopped_walk_says_as_of_is_not_a_safe_cursor(
    api: StandInApi, news: list[dict[str, Any]], summon: Summon
) -> None:
    api.script_matching(lambda query: query.get("status") == "retry", TEAPOT)
    async with summon() as call:
        body = await call()
    assert body["as_of"] == "2026-11-28T11:45:00.000Z"
    assert body["as_of_note"].startswith("as_of is not a safe cursor: the retry walk stopped early")


@pytest.mark.parametrize(
    ("extra", "limits", "walk"),
    [
        # Old posted posts are only counted (briefs): their walk pages to max_pages_counted.
        (posted_posts(120), WalkLimits(max_pages_counted=1), "posted"),  # the page cap
        (posted_posts(30), WalkLimits(max_counted_posts=70), "posted"),  # the survey's memory share
        (posted_posts(30), WalkLimits(max_kept_bytes=7 * 8_000), "posted"),  # briefs' bytes count too
        (posted_posts(250), WalkLimits(max_read_bytes=1), "posted"),  # upstream bytes read
        (scheduled_at_one_instant(120), None, "scheduled"),  # a run of posts at one instant
    ],
    ids=["page cap", "kept cap", "kept bytes", "bytes read", "same instant"],
)
async def test_a_bound_on_a_news_walk_holds_as_of_back(
    api: StandInApi,
    news: list[dict[str, Any]],
    summon: Summon,
    extra: list[dict[str, Any]],
    limits: WalkLimits | None,
    walk: str,
) -> None:
    api.emulator.posts = [*news, *extra]
    since = exact(NOW - HOUR)
    async with summon(walk_limits=limits) as call:
        body = await call(changed_since=since)
    assert body["as_of"] == since
    assert f"the {walk} walk stopped early" in body["as_of_note"]


# --- a large scope: most posts only counted, so the walks reach the end ----------------------------


def old_failures(count: int, account: str) -> list[dict[str, Any]]:
    """Failures two days and more ago: old news, counted and never listed."""
    return [
        failed(f"old-{account[:4]}-{index}", account, NOW - timedelta(days=2, minutes=index), "e")
        for index in range(count)
    ]


def large_scope(posted: int, failures: int = 1_500) -> list[dict[str, Any]]:
    """The news workspace, ``posted`` old posted posts, ``failures`` old failures (a fifth of them
    on GONE_C, which also has news), and 40 scheduled posts: 10 due within hours_ahead, 30 later."""
    upcoming = [
        waiting(f"soon-{index}", ACTIVE_D, NOW + timedelta(hours=1, minutes=index), status="scheduled")
        for index in range(10)
    ]
    later = [
        waiting(f"later-{index}", ACTIVE_D, NOW + timedelta(days=3, minutes=index), status="scheduled")
        for index in range(30)
    ]
    old = [*old_failures(failures - failures // 5, ACTIVE_B), *old_failures(failures // 5, GONE_C)]
    return [*news_workspace(NOW), *posted_posts(posted), *old, *upcoming, *later]


def live_deliveries(posts: list[dict[str, Any]], account: str) -> int:
    """Deliveries of ``account`` that have not gone out (failed, partial, retry, pending, scheduled)."""
    live = {"failed", "partial", "retry", "pending", "scheduled"}
    return sum(
        1
        for item in posts
        for entry in item["accounts"]["states"]
        if entry["account_id"] == account and entry["status"] in live
    )


@pytest.mark.parametrize("mode", ["auto"])
async def test_on_a_large_scope_as_of_moves_and_the_news_and_counts_are_exact(
    api: StandInApi, summon: Summon
) -> None:
    """3,000 posted posts and 1,500 failed ones: past the 1,000 a walk keeps whole, so before this
    change the posted and failed walks stopped at their page cap every time and as_of never moved.
    Now the posts a run with changed_since cannot show are only counted, and the walks reach the end."""
    posts = large_scope(3_000)
    api.emulator = PostsEmulator(posts, KEYS, accounts=accounts_payload())
    since = NOW - HOUR
    expected = truth(posts, since, NOW, GONE)
    async with summon() as call:
        body = await call(changed_since=exact(since), max_items=100)
        default = await call()
    assert body["as_of"] == exact(NOW - AS_OF_MARGIN) and "as_of_note" not in body
    assert "incomplete" not in body and body["coverage"].startswith("exact: ")
    assert f"({len(posts)} posts, " in body["coverage"], "every post examined, each once"
    attention, went = listed_changes(body)
    assert attention == expected.attention and went == expected.published, "exactly the news"
    assert body["needs_attention"]["deliveries"] == len(expected.attention)
    assert body["needs_attention"]["older_deliveries"] == expected.older == 4 + 1_500
    assert body["needs_attention"]["older"].startswith(f"And {expected.older} older deliveries on 1504 posts")
    assert body["went_out"]["posts"] == 2 and body["went_out"]["complete"] is True
    assert "looked_back_to" not in body["went_out"] and "note" not in body["went_out"]
    [gone] = body["needs_attention"]["accounts_not_active"]
    assert gone["deliveries"] == live_deliveries(posts, GONE_C) == 301, "counted from the briefs too"
    assert body["upcoming"]["posts"] == 10 + 1
    retries = sum(1 for item in posts if item["status"] == "retry")
    assert body["counted_by_this_tool"] == {"retry": retries} == default["counted_by_this_tool"]
    # Without changed_since every post is kept whole, as before: the posted walk stops at 1,000.
    assert default["went_out"]["looked_back_to"] and "as_of_note" in default
    [posted] = [line for line in default["incomplete"] if line.startswith("posted:")]
    assert posted.startswith(
        "posted: examined the newest 991 of 3002 posts by creation time (the walk stops after 10"
    )


@pytest.mark.parametrize("mode", ["auto"])
async def test_beyond_the_counted_page_cap_as_of_still_stays_and_says_so(
    api: StandInApi, summon: Summon
) -> None:
    """5,100 posted posts: past the 50 pages a walk of counted posts reads, as_of stays."""
    posts = large_scope(5_100)
    api.emulator = PostsEmulator(posts, KEYS, accounts=accounts_payload())
    since = exact(NOW - HOUR)
    async with summon() as call:
        body = await call(changed_since=since)
    assert body["as_of"] == since
    assert body["as_of_note"].startswith("News may be incomplete: the posted walk stopped early")
    [posted] = [line for line in body["incomplete"] if line.startswith("posted:")]
    found = re.match(
        r"posted: examined the newest (\d+) of 5102 posts by creation time .the walk stops after 50 pages",
        posted,
    )
    assert found and int(found[1]) > 4_900, posted  # 50 pages of 100, each repeating its boundary post
    assert body["went_out"]["looked_back_to"] and f"({found[1]} posts)" in body["went_out"]["note"]
    assert body["needs_attention"]["older_deliveries"] == 1_504, "the failed walk still reached the end"


@pytest.mark.parametrize("hours", [1, 6, 30, 24 * 5])
async def test_briefs_change_nothing_a_summary_says(api: StandInApi, hours: int) -> None:
    """On a scope every walk reads whole, a survey that keeps what it cannot show as briefs gives
    the very same result as one that keeps every post: the sample workspace (its inactive account,
    retries, partials, overdue posts) beside the news workspace, 300 old posted and 250 old failed
    posts, at several changed_since."""
    posts = [*sample_posts(NOW, 300), *large_scope(300, failures=250)]  # the walk over every status: 10 pages
    api.emulator = PostsEmulator(posts, KEYS, accounts=[*sample_accounts(), *accounts_payload()])
    request = SummaryRequest.from_arguments(24, None, None, 100, NOW, exact(NOW - timedelta(hours=hours)))
    settings = Settings.from_env({"GENVIRAL_BASE_URL": api.base_url})
    results = []
    async with build_http_client(settings) as http:
        client = PostsClient(http, settings, FAST_RETRY)
        for shown_only in (None, kept_whole(request, NOW)):
            survey = await survey_scope(
                client, AccountDirectory(), ApiKey(KEY), NOW, WalkLimits(), shown=shown_only
            )
            briefs = sum(len(walk.briefs) for walk in survey.all_walks())
            results.append((delivery_summary_output(survey, request, NOW), briefs))
    (whole, none), (briefed, briefs) = results
    assert none == 0 and briefs > 150, "many posts were only counted"
    assert "incomplete" not in whole.structured, whole.structured["incomplete"]
    assert briefed == whole


async def test_the_time_budget_holds_as_of_back(api: StandInApi, summon: Summon) -> None:
    api.emulator = PostsEmulator(posted_posts(250), KEYS)
    api.latency = 0.1
    since = exact(NOW - HOUR)
    async with summon(walk_limits=WalkLimits(budget_seconds=0.15)) as call:
        body = await call(changed_since=since)
    assert body["as_of"] == since and "posted walk stopped early" in body["as_of_note"]


async def test_the_walk_over_other_statuses_does_not_hold_as_of_back(
    api: StandInApi, news: list[dict[str, Any]], summon: Summon
) -> None:
    """Deleted posts exist, so every status is walked; that walk failing is said, not held against as_of."""
    gone = post(
        "gone", "deleted", NOW - timedelta(days=9), NOW - timedelta(days=8), state(ACTIVE_A, "deleted")
    )
    api.emulator.posts = [*news, gone]
    api.script_matching(lambda query: "status" not in query, TEAPOT)
    async with summon() as call:
        body = await call(changed_since=exact(NOW - HOUR))
    assert any(line.startswith("other statuses:") for line in body["incomplete"])
    assert body["as_of"] == "2026-11-28T11:45:00.000Z" and "as_of_note" not in body


# --- arguments -----------------------------------------------------------------------------------


@pytest.mark.parametrize("other", ["published_since", "published_until"])
async def test_changed_since_with_a_publish_window_is_an_error_naming_both(
    connect: Connect, api: StandInApi, other: str
) -> None:
    async with connect() as client:
        result = await client.call_tool(
            "get_delivery_summary", {"changed_since": "2026-11-28T11:00:00Z", other: "2026-11-27"}
        )
    text = error_text(result)
    assert "`changed_since`" in text and f"`{other}`" in text and "Choose one" in text
    assert api.all_requests == []


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("yesterday", "not an ISO 8601 timestamp"),
        ("2026-11-28T13:00:00Z", "it is after now (2026-11-28T13:00:00.000Z > 2026-11-28T12:00:00.000Z)"),
        ("0001-01-01T00:00:00Z", "outside 1970-01-01"),
    ],
)
async def test_a_bad_changed_since_is_refused_by_name(
    connect: Connect, api: StandInApi, value: str, problem: str
) -> None:
    async with connect() as client:
        result = await client.call_tool("get_delivery_summary", {"changed_since": value})
    text = error_text(result)
    assert text.startswith("Invalid `changed_since`:") and problem in text
    assert api.all_requests == []


async def test_a_date_alone_is_that_days_start_and_combines_with_the_other_arguments(
    news: list[dict[str, Any]], summon: Summon
) -> None:
    async with summon() as call:
        body = await call(changed_since="2026-11-28", hours_ahead=5, max_items=1)
    assert body["changed_since"] == "2026-11-28T00:00:00.000Z"
    assert body["upcoming"]["hours"] == 5
    [cause] = body["needs_attention"]["causes"]
    assert len(cause["changes"]) == 1
    assert body["needs_attention"]["causes_left_out"] >= 1
    assert body["next"] == {
        "get_delivery_summary": {
            "hours_ahead": 5,
            "changed_since": "2026-11-28T00:00:00.000Z",
            "max_items": 100,
        }
    }


# --- the demo ------------------------------------------------------------------------------------


@pytest.mark.parametrize("time_of_day", ["00:05", "06:00", "12:00", "23:55"])
async def test_the_demo_has_news_in_the_last_hour_and_a_cursor_at_any_time_of_day(time_of_day: str) -> None:
    hour, minute = map(int, time_of_day.split(":"))
    clock = Clock(NOW.replace(hour=hour, minute=minute))
    gone = set(DISCONNECTED_ACCOUNT_IDS)
    async with Client(demo_server(clock)) as client:
        first = structured(
            await client.call_tool(
                "get_delivery_summary", {"changed_since": exact(clock.now - HOUR), "max_items": 100}
            )
        )
        expected = truth(sample_posts(clock.now), clock.now - HOUR, clock.now, gone)
        attention, went = listed_changes(first)
        assert attention == expected.attention and attention, "failures in the last hour"
        assert went == expected.published and went, "publications in the last hour"
        start, clock.now = clock.now, clock.now + HOUR
        second = structured(
            await client.call_tool(
                "get_delivery_summary", {"changed_since": first["as_of"], "max_items": 100}
            )
        )
    expected = truth(sample_posts(clock.now), start - AS_OF_MARGIN, clock.now, gone)
    attention, went = listed_changes(second)
    assert attention == expected.attention and went == expected.published
    if clock.now.date() == start.date():  # past midnight the demo plays the next day's plan instead
        # What the first call listed in its last 15 minutes comes again.
        assert {change for change in listed_changes(first)[0] if change >= first["as_of"]} <= attention
