"""The everyday questions on data shaped like Genviral's documented API (``support.documented``):
``/accounts`` lists active accounts only, provider statuses hold live deliveries, counters lag
or leave statuses out, and account ids share prefixes. Ground truth is computed by the test from
the raw posts; nothing here may say "exact" while it is wrong."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import anyio
import pytest
from mcp import Client

from genviral_mcp.demo.emulator import PostsEmulator
from genviral_mcp.query import WalkLimits

from support.common import KEYS, Connect, structured
from support.common import instant as at
from support.documented import (
    ACTIVE,
    ACTIVE_IDS,
    CHANGED_POST,
    CROWD,
    FAILED_POSTS,
    LAGGING_FAILED_COUNTER,
    MISSING,
    OLD_FACEBOOK,
    OLD_HANDLE,
    OLD_LINKEDIN,
    OLD_TIKTOK,
    TOKEN_ERROR,
    Truth,
    accounts_payload,
    documented_posts,
    lagging_scope,
    stale_copy,
)
from support.standin import Fault, StandInApi, respond, stall

pytestmark = pytest.mark.anyio

YESTERDAY = {"published_since": "2026-11-27T00:00:00Z", "published_until": "2026-11-27T23:59:59.999Z"}


def serve(api: StandInApi, posts: list[dict[str, Any]], scope: dict[str, Any] | None = None) -> Truth:
    api.emulator = PostsEmulator(posts, KEYS, scope=scope, accounts=accounts_payload())
    return Truth(posts)


@pytest.fixture
def truth(api: StandInApi) -> Truth:
    posts = documented_posts()
    return serve(api, posts, lagging_scope(posts))


async def summary(client: Client, **arguments: Any) -> dict[str, Any]:
    return structured(await client.call_tool("get_delivery_summary", arguments))


def ids_of(accounts: dict[str, Any]) -> dict[str, str]:
    return {label: facts["id"] for label, facts in accounts.items()}


async def every_delivery(client: Client, **arguments: Any) -> tuple[set[tuple[str, str]], dict[str, str]]:
    """(post id, account id) of every delivery list_posts shows, paging through the whole scope,
    each account identified through the legend; and the legend (label -> id) of every page."""
    seen: set[tuple[str, str]] = set()
    legend: dict[str, str] = {}
    call: dict[str, Any] = {"limit": 100, **arguments}
    while True:
        page = structured(await client.call_tool("list_posts", call))
        for label, account_id in page.get("accounts", {}).items():
            assert legend.setdefault(label, account_id) == account_id, f"{label} stands for two ids"
        for post in page["posts"]:
            seen |= {(post["id"], page["accounts"][label]) for label in post.get("deliveries", {})}
        if "next_page" not in page:
            return seen, legend
        call = page["next_page"]


# --- the six questions, exactly -----------------------------------------------------------------


async def test_what_needs_attention_counts_every_delivery_whatever_its_posts_status(
    connect: Connect, truth: Truth
) -> None:
    async with connect() as client:
        result = await summary(client, max_items=100)
    expected = truth.attention()
    attention = result["needs_attention"]
    assert attention["deliveries"] == len(expected), "failed and retry deliveries on deleted/void posts too"
    assert attention["posts"] == len({post for post, _ in expected})
    causes = attention["causes"]
    assert sum(cause["deliveries"] for cause in causes) == len(expected), "each delivery under one cause"
    accounts = ids_of(result["accounts"])
    for cause in causes:
        assert {accounts[label] for label in cause["accounts"]} <= {account for _, account in expected}
    assert result["coverage"].startswith("exact"), result.get("incomplete")


async def test_an_inactive_account_keeps_each_failures_own_cause(connect: Connect, truth: Truth) -> None:
    """The missing LinkedIn account's 9 expired-token failures are counted under that error, with
    the active accounts' ones, not swallowed by a catch-all "not connected" cause."""
    async with connect() as client:
        result = await summary(client, max_items=100)
    causes = {cause["cause"]: cause for cause in result["needs_attention"]["causes"]}
    on_token = {
        (post["id"], state["account_id"])
        for post in truth.posts
        for state in post["accounts"]["states"]
        if state["error_message"] == TOKEN_ERROR and state["status"] in ("failed", "partial", "retry")
    }
    token = causes[TOKEN_ERROR]
    assert token["deliveries"] == len(on_token)
    assert sum(1 for _, account in on_token if account == OLD_LINKEDIN) == 9
    assert (
        ids_of(result["accounts"])[next(a for a in token["accounts"] if "3f1c9a20-bbbb" in a)] == OLD_LINKEDIN
    )
    assert not [cause for cause in causes if "not connected" in cause or "not active" in cause]


@pytest.mark.parametrize("hours", [24, 168])
async def test_what_goes_out_next_includes_a_scheduled_delivery_on_a_deleted_post(
    connect: Connect, truth: Truth, hours: int
) -> None:
    async with connect() as client:
        result = await summary(client, hours_ahead=hours, max_items=100)
    upcoming = result["upcoming"]
    assert upcoming["posts"] == len(truth.upcoming(hours))
    assert {item["id"] for item in upcoming["items"]} == truth.upcoming(hours)
    deleted = [item for item in upcoming["items"] if item.get("status") == "deleted"]
    assert len(deleted) == 1, "the doc's own example: a deleted post with a scheduled delivery"
    labels = {facts["id"]: label for label, facts in result["accounts"].items()}
    assert deleted[0]["accounts"] == [labels[ACTIVE_IDS[0]]], "only where it has still to go out"


async def test_what_went_out_and_a_post_seen_by_two_walks(
    connect: Connect, api: StandInApi, truth: Truth
) -> None:
    """The pending walk sees an older copy of a post that went out yesterday (it changed status
    between the walks): the posted copy wins, so it went out and is not overdue."""
    old = stale_copy(truth.posts)
    swapped = [old if post["id"] == CHANGED_POST else post for post in truth.posts]
    pending = PostsEmulator(swapped, KEYS, scope=api.emulator.scope)
    api.script_matching(lambda query: query.get("status") == "pending", answer_from(pending))
    async with connect() as client:
        result = await summary(client, max_items=100, **YESTERDAY)
    assert len([r for r in api.requests if r.query.get("status") == "pending"]) == 1
    went_out = result["went_out"]
    expected = truth.went_out(at(YESTERDAY["published_since"]), at(YESTERDAY["published_until"]))
    assert (CHANGED_POST, ACTIVE_IDS[0]) in expected
    assert went_out["deliveries"] == len(expected) and went_out["complete"] is True
    accounts = ids_of(result["accounts"])
    assert {(item["id"], accounts[label]) for item in went_out["items"] for label in item["urls"]} == expected
    listed = {post for cause in result["needs_attention"]["causes"] for post in cause.get("posts", {})}
    assert CHANGED_POST not in listed
    assert result["needs_attention"]["deliveries"] == len(truth.attention())


def answer_from(emulator: PostsEmulator) -> Fault:
    """A scripted answer: what ``emulator`` says to the request."""

    def fault(handler: BaseHTTPRequestHandler) -> None:
        query = dict(parse_qsl(urlsplit(handler.path).query))
        answer = emulator.handle(query, handler.headers.get("authorization"))
        respond(answer.status, answer.body)(handler)

    return fault


# --- accounts as documented -----------------------------------------------------------------------


async def test_accounts_missing_from_the_list_are_said_to_be_not_active(
    connect: Connect, truth: Truth
) -> None:
    async with connect() as client:
        result = await summary(client, max_items=100)
    accounts = result["accounts"]
    by_id = {facts["id"]: (label, facts) for label, facts in accounts.items()}
    expected = truth.not_active()
    assert set(expected) == set(MISSING)
    for account_id in MISSING:  # the condition of the account, in accounts
        assert by_id[account_id][1]["connection"].startswith("not active")
    for account_id in ACTIVE_IDS:
        assert "connection" not in by_id[account_id][1], "active: nothing to say"
    # Once in needs_attention, with the deliveries it holds up and the fix.
    stated = {
        by_id_label(accounts, item["account"]): item
        for item in result["needs_attention"]["accounts_not_active"]
    }
    assert {account: item["deliveries"] for account, item in stated.items()} == expected
    assert all("Reconnect" in item["fix"] and "not active" in item["condition"] for item in stated.values())
    # On each upcoming item that targets one.
    facebook = by_id[OLD_FACEBOOK][0]
    targeting = [item for item in result["upcoming"]["items"] if facebook in item["accounts"]]
    assert targeting
    for item in result["upcoming"]["items"]:
        if facebook in item["accounts"]:
            assert item["warning"] == f"will not go out to {facebook} unless it is reconnected"
        else:
            assert "warning" not in item
    assert "accounts_note" not in result


def by_id_label(accounts: dict[str, Any], label: str) -> str:
    account_id: str = accounts[label]["id"]
    return account_id


async def test_not_active_is_said_only_from_a_list_fetched_after_the_call_began(
    connect: Connect, api: StandInApi, truth: Truth
) -> None:
    """A list cached by an earlier call is not enough to call an account inactive: the summary
    asks again once it meets one the list lacks (after list_posts cached it), and at once when the
    previous summary met one (here, after the LinkedIn account was reconnected)."""

    def not_active(result: dict[str, Any]) -> set[str]:
        return {
            result["accounts"][item["account"]]["id"]
            for item in result["needs_attention"]["accounts_not_active"]
        }

    async with connect() as client:
        structured(await client.call_tool("list_posts", {}))
        first = await summary(client)
        api.emulator.accounts = [
            *accounts_payload(),
            {"id": OLD_LINKEDIN, "platform": "linkedin", "username": "bakery-one", "status": "active"},
        ]
        second = await summary(client)
        structured(await client.call_tool("list_posts", {}))
    assert not_active(first) == set(MISSING)
    assert not_active(second) == {OLD_TIKTOK, OLD_FACEBOOK}
    linkedin = next(facts for facts in second["accounts"].values() if facts["id"] == OLD_LINKEDIN)
    assert "connection" not in linkedin, "active again"
    assert len(api.account_requests) == 3, "list_posts, then one refresh per summary"
    # The second summary asked at once (the first had met inactive accounts), not after its walks.
    paths = [request.path.rpartition("/")[2] for request in api.all_requests]
    third = [index for index, path in enumerate(paths) if path == "accounts"][2]
    assert "posts" in paths[third + 1 : -1], "the refresh ran beside the walks"


async def test_a_failed_refresh_means_unknown_never_inactive(
    connect: Connect, api: StandInApi, truth: Truth
) -> None:
    async with connect() as client:
        await summary(client)
        api.script_accounts(respond(500, '{"ok": false, "code": 500, "error_code": "accounts_failed"}'))
        result = await summary(client)
    assert len(api.account_requests) == 2
    assert "accounts_not_active" not in result["needs_attention"]
    for account_id in MISSING:
        facts = next(facts for facts in result["accounts"].values() if facts["id"] == account_id)
        assert facts["connection"] == "unknown", "never guessed"
    assert all("warning" not in item for item in result["upcoming"].get("items", []))
    assert "could not be checked" in result["accounts_note"]
    names = {facts["id"]: label for label, facts in result["accounts"].items()}
    assert names[ACTIVE_IDS[0]] == "tiktok @bakery.one", "names from the older list are kept"


async def test_when_the_account_list_fails_nothing_is_said_about_activity(
    connect: Connect, api: StandInApi, truth: Truth
) -> None:
    api.script_accounts(respond(500, '{"ok": false, "code": 500, "error_code": "accounts_failed"}'))
    async with connect() as client:
        result = await summary(client, max_items=100)
    assert "accounts_not_active" not in result["needs_attention"]
    assert all(facts["connection"] == "unknown" for facts in result["accounts"].values())
    assert "could not be checked" in result["accounts_note"]
    assert result["needs_attention"]["deliveries"] == len(truth.attention())


async def test_labels_are_unique_and_every_delivery_can_be_identified(connect: Connect, truth: Truth) -> None:
    async with connect() as client:
        seen, legend = await every_delivery(client)
        again = structured(await client.call_tool("list_posts", {"limit": 100}))["accounts"]
    async with connect() as restarted:
        after_restart = structured(await restarted.call_tool("list_posts", {"limit": 100}))["accounts"]
    assert seen == truth.deliveries(), "no delivery lost to a label shared by two accounts"
    assert len(set(legend.values())) == len(legend)
    names = {account_id: label for label, account_id in legend.items()}
    # Two missing accounts share their first 8 hex digits (with a third): each shows its whole id.
    assert names[OLD_LINKEDIN] == f"account {OLD_LINKEDIN}"
    assert names[OLD_FACEBOOK] == f"account {OLD_FACEBOOK}"
    # A missing account that published under a handle is named by it.
    assert names[OLD_TIKTOK] == f"tiktok @{OLD_HANDLE}"
    # Two Instagram accounts share a display name; a third is named like the second's
    # disambiguated label: three labels, none equal.
    luna = [names[account_id] for account_id, platform, _, _ in ACTIVE if platform == "instagram"]
    assert len(set(luna)) == 3 and "instagram Luna Bakes (2c222222)" in luna
    assert names[ACTIVE_IDS[2]] == "instagram Luna Bakes"
    for label, account_id in {**again, **after_restart}.items():
        assert legend[label] == account_id, "stable across calls and restarts"


async def test_a_handle_once_derived_is_kept_for_the_account(
    connect: Connect, api: StandInApi, truth: Truth
) -> None:
    async with connect() as client:
        posted = structured(await client.call_tool("list_posts", {"status": "posted", "limit": 100}))
        failed = structured(await client.call_tool("list_posts", {"status": "failed", "limit": 100}))
    assert posted["accounts"][f"tiktok @{OLD_HANDLE}"] == OLD_TIKTOK
    # Its failed deliveries carry no URL, so only the name kept from before can say who it is.
    assert failed["accounts"][f"tiktok @{OLD_HANDLE}"] == OLD_TIKTOK


async def test_without_a_published_url_a_missing_account_has_an_id_label(
    connect: Connect, api: StandInApi, truth: Truth
) -> None:
    async with connect() as client:
        failed = structured(await client.call_tool("list_posts", {"status": "failed", "limit": 100}))
    assert failed["accounts"][f"account {OLD_TIKTOK}"] == OLD_TIKTOK, "three accounts share 3f1c9a20"


# --- the /accounts fetch: single-flight, a bounded wait --------------------------------------------


async def test_concurrent_first_calls_share_one_accounts_fetch(
    connect: Connect, api: StandInApi, truth: Truth
) -> None:
    """Issue 17's figure: 10 concurrent first calls on one key make at most 2 ``GET /accounts``."""
    api.latency = 0.05
    async with connect() as client:
        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(client.call_tool, "list_posts", {"limit": 5})
        first = len(api.account_requests)
    async with connect() as client:
        results: list[dict[str, Any]] = []

        async def one() -> None:
            results.append(await summary(client))

        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(one)
    summaries = len(api.account_requests) - first
    print(f"\nGET /accounts, 10 concurrent first calls: list_posts {first}, summaries {summaries}")
    assert first == 1
    assert summaries <= 2
    assert all(len(result["needs_attention"]["accounts_not_active"]) == 3 for result in results)


def slow(seconds: float, then: Fault | None = None) -> Fault:
    """A fault that waits ``seconds``, then answers with ``then`` (or closes, like a hang)."""

    def fault(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        if then is not None:
            then(handler)

    return fault


async def test_a_hanging_account_list_delays_no_call_beyond_the_bound(
    connect: Connect, api: StandInApi, truth: Truth
) -> None:
    """Issue 17's figure: with ``/accounts`` hanging, 10 concurrent list_posts all answer within
    2 s, by id, saying the names were not available yet."""
    api.script_accounts(stall(8.0))
    async with connect() as client:
        elapsed: list[float] = []
        bodies: list[dict[str, Any]] = []

        async def one() -> None:
            started = time.monotonic()
            bodies.append(structured(await client.call_tool("list_posts", {"limit": 5})))
            elapsed.append(time.monotonic() - started)

        started = time.monotonic()
        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(one)
        wall = time.monotonic() - started
        shutdown = time.monotonic()
    closed = time.monotonic() - shutdown
    print(f"\n10 list_posts with /accounts hanging: slowest {max(elapsed):.2f} s, all done in {wall:.2f} s")
    assert wall < 2.0 - 0.3, elapsed
    assert len(api.account_requests) == 1
    assert all("not available yet" in body["accounts_note"] for body in bodies)
    assert all(label.startswith("account ") for body in bodies for label in body["accounts"])
    assert closed < 1.0, "shutdown does not wait for the hanging fetch"


async def test_the_wait_is_counted_from_the_posts_and_the_fetch_goes_on_for_later_calls(
    connect: Connect, api: StandInApi, truth: Truth
) -> None:
    accounts = api.emulator.handle_accounts(f"Bearer {next(iter(KEYS))}")
    api.script_accounts(slow(1.6, respond(accounts.status, accounts.body)))
    async with connect() as client:
        started = time.monotonic()
        first = structured(await client.call_tool("list_posts", {"limit": 5}))
        waited = time.monotonic() - started
        await anyio.sleep(1.0)
        second = structured(await client.call_tool("list_posts", {"limit": 5}))
    assert 1.0 <= waited < 1.0 + 0.3 + 0.3, waited
    assert "accounts_note" in first and "accounts_note" not in second
    assert all(" @" in label or "Luna" in label for label in second["accounts"])
    assert len(api.account_requests) == 1, "the first call's fetch, finished after it answered"


# --- coverage ------------------------------------------------------------------------------------


async def test_counters_are_verbatim_and_what_they_leave_out_is_counted_beside_them(
    connect: Connect, api: StandInApi, truth: Truth
) -> None:
    async with connect() as client:
        result = await summary(client, max_items=100)
    statuses = truth.statuses()
    assert result["scope"]["posts_by_status"]["failed"] == LAGGING_FAILED_COUNTER, "verbatim"
    counted = result["counted_by_this_tool"]
    assert counted == {
        "retry": statuses["retry"],
        "deleted": statuses["deleted"],
        "void": statuses["void"],
        "failed": FAILED_POSTS,
    }
    assert result["coverage"].startswith("exact") and "counted_by_this_tool" in result["coverage"]
    # The lagging counter also inflates what total - by_status - retry leaves: said, not hidden.
    others = statuses["deleted"] + statuses["void"]
    assert f"the {others} with other statuses" in result["coverage"]
    assert (
        f"imply {others + FAILED_POSTS - LAGGING_FAILED_COUNTER} posts with other statuses"
        in result["coverage"]
    )
    assert "incomplete" not in result
    # The lagging counter neither stopped the walk nor hid the 30 failed posts it does not count.
    failed = {post["id"] for post in truth.posts if post["status"] == "failed"}
    attention = {post for cause in result["needs_attention"]["causes"] for post in cause.get("posts", {})}
    assert len(failed) == FAILED_POSTS and result["needs_attention"]["posts"] == len(
        {post for post, _ in truth.attention()}
    )
    assert attention <= {post for post, _ in truth.attention()}


async def test_counters_that_do_not_add_up_leave_other_statuses_unknown(
    connect: Connect, api: StandInApi
) -> None:
    posts = documented_posts()
    scope = lagging_scope(posts) | {"total": 193}  # less than by_status adds up to, as in the API doc
    serve(api, posts, scope)
    async with connect() as client:
        result = await summary(client)
    assert result["coverage"].startswith("incomplete")
    (line,) = [line for line in result["incomplete"] if line.startswith("other statuses:")]
    assert "do not add up" in line and "unknown" in line and "193" in line
    assert all("status" in request.query for request in api.requests), "not walked: never guessed"
    assert "deleted" not in result["counted_by_this_tool"]


async def test_a_bounded_walk_over_every_status_says_how_many_were_not_examined(
    connect: Connect, api: StandInApi
) -> None:
    posts = documented_posts()
    truth = serve(api, posts)  # counters that add up
    others = sum(count for status, count in truth.statuses().items() if status in ("deleted", "void"))
    async with connect(walk_limits=WalkLimits(max_pages=1)) as client:
        result = await summary(client)
    (line,) = [line for line in result["incomplete"] if line.startswith("other statuses:")]
    newest = posts[:100]
    found = sum(1 for post in newest if post["status"] in ("deleted", "void"))
    assert found < others, "the bound must cut some off for this test to mean anything"
    assert f"leave {others} posts" in line and f"found {found}: {others - found} were not examined" in line
    counted = result["counted_by_this_tool"]
    assert all(
        str(value).startswith("at least") for key, value in counted.items() if key in ("deleted", "void")
    )
    assert result["coverage"].startswith("incomplete")


async def test_a_same_instant_run_longer_than_a_page_is_reported_never_skipped(
    connect: Connect, api: StandInApi
) -> None:
    posts = documented_posts(crowd=True)
    truth = serve(api, posts)
    async with connect() as client:
        result = await summary(client, hours_ahead=168)
    lines = [line for line in result["incomplete"] if "same instant" in line]
    scheduled = next(line for line in lines if line.startswith("scheduled:"))
    everything = next(line for line in lines if line.startswith("other statuses:"))
    assert "100 posts were created at the same instant" in scheduled
    assert (
        f"{CROWD - 100} posts were not examined" in scheduled
        and f"{CROWD - 100} posts were not" in everything
    )
    assert result["coverage"].startswith("incomplete")
    assert result["upcoming"]["posts"] == len(truth.upcoming(168)), "the run is scheduled beyond a week"


async def test_list_posts_says_when_a_page_is_one_instant_and_more_share_it(
    connect: Connect, api: StandInApi
) -> None:
    posts = [post for post in documented_posts(crowd=True) if post["status"] == "scheduled"]
    serve(api, posts)
    crowd_at = max(
        (post["created_at"] for post in posts),
        key=lambda created: sum(p["created_at"] == created for p in posts),
    )
    async with connect() as client:
        page = structured(
            await client.call_tool("list_posts", {"since": crowd_at, "until": crowd_at, "limit": 20})
        )
    assert page["returned"] == 20
    assert crowd_at in page["same_instant"] and "cannot page within one instant" in page["same_instant"]
    assert at(page["next_page"]["until"]) == at(crowd_at) - timedelta(milliseconds=1)


def test_the_fixture_is_what_it_claims() -> None:
    posts = documented_posts(crowd=True)
    truth = Truth(posts)
    assert json.dumps(accounts_payload()).count('"status": "active"') == len(ACTIVE)
    assert truth.statuses()["failed"] == FAILED_POSTS > LAGGING_FAILED_COUNTER
    assert max(sum(post["created_at"] == p["created_at"] for p in posts) for post in posts) == CROWD
    assert {account[:8] for account in MISSING} == {"3f1c9a20"}
    deleted_live = [
        post
        for post in posts
        if post["status"] in ("deleted", "void")
        and any(state["status"] in ("scheduled", "failed", "retry") for state in post["accounts"]["states"])
    ]
    assert len(deleted_live) == 3
