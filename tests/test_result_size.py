"""Every result has a size bound (issue 17): each list and map that upstream data sizes is capped
and says how many items it left out, and no result's text is over 200 KB.

A 6 MB upstream body once made a 3.5 MB ``list_posts`` text, 20,004 keys under ``scope`` and 40,000
accounts under one cause. ``benchmarks/tenants.py`` measures the issue's own cases; these run them
at a quarter of the size (still far past every cap), plus one case per cap. The in-memory client
checks every structured result against the tool's declared output schema.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from genviral_mcp.demo.emulator import PostsEmulator
from genviral_mcp.shaping import (
    ACCOUNTS_PER_ITEM,
    DELIVERIES_PER_POST,
    EXTRA_VALUES,
    MAX_RESULT_BYTES,
    SCOPE_FIELDS,
)

from support.common import KEY, KEYS, NOW, Connect, structured, text_of
from support.oversized import account_id, fanned_out_posts, oversized_cases, scope_counters, tree
from support.standin import StandInApi

pytestmark = pytest.mark.anyio


@pytest.fixture
def mode() -> str:
    return "legacy"


def left_out(value: Any) -> int:
    """The sum of every ``*left_out`` count in a result."""
    if isinstance(value, dict):
        return sum(
            item if "left_out" in str(key) and isinstance(item, int) else left_out(item)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return sum(left_out(item) for item in value)
    return 0


def serve(api: StandInApi, posts: list[dict[str, Any]], scope: dict[str, Any] | None = None) -> None:
    api.emulator = PostsEmulator(posts, KEYS, scope=scope if scope is not None else scope_counters(posts))


@pytest.mark.parametrize("case", range(6))
async def test_the_issues_oversized_scopes_give_bounded_results_that_count_what_they_left_out(
    connect: Connect, api: StandInApi, case: int
) -> None:
    oversized = oversized_cases(NOW, scale=0.25)[case]
    serve(api, oversized.posts, oversized.scope)
    async with connect() as client:
        for tool, args in oversized.calls:
            result = await client.call_tool(tool, args)
            body = structured(result)
            text = text_of(result)
            assert text == json.dumps(body, indent=2, ensure_ascii=False), "text is the structured content"
            assert len(text.encode()) <= MAX_RESULT_BYTES, f"{tool}: {len(text.encode()) // 1024} KB"
            assert left_out(body) > 0 or "cut_for_size" in body, f"{tool} {args}: says nothing was left out"


async def test_a_posts_deliveries_are_capped_problems_first(connect: Connect, api: StandInApi) -> None:
    posts = fanned_out_posts(NOW, 1, 120, status="posted")
    states = posts[0]["accounts"]["states"]
    for state in states[-20:]:  # the failures come last in the API's order
        state.update(status="failed", error_message="Board not found", published_url=None)
    posts[0]["status"] = "partial"
    serve(api, posts)
    async with connect() as client:
        concise = structured(await client.call_tool("list_posts", {}))["posts"][0]
        full = structured(await client.call_tool("list_posts", {"detail": "full"}))["posts"][0]
    assert len(concise["deliveries"]) == DELIVERIES_PER_POST and concise["deliveries_left_out"] == 70
    assert sum(line.startswith("failed") for line in concise["deliveries"].values()) == 20
    assert len(full["deliveries"]) == DELIVERIES_PER_POST and full["deliveries_left_out"] == 70
    assert sum(delivery["status"] == "failed" for delivery in full["deliveries"]) == 20


async def test_accounts_per_cause_upcoming_post_and_post_that_went_out_are_capped(
    connect: Connect, api: StandInApi
) -> None:
    posts = [
        *fanned_out_posts(NOW, 1, 300),
        *fanned_out_posts(NOW, 1, 300, status="scheduled"),
        *fanned_out_posts(NOW, 1, 300, status="posted"),
    ]
    serve(api, posts)
    async with connect() as client:
        summary = structured(await client.call_tool("get_delivery_summary", {}))
    cause = summary["needs_attention"]["causes"][0]
    assert len(cause["accounts"]) == ACCOUNTS_PER_ITEM and cause["accounts_left_out"] == 280
    assert cause["deliveries"] == 300, "the count is of all of them"
    upcoming = summary["upcoming"]["items"][0]
    assert len(upcoming["accounts"]) == ACCOUNTS_PER_ITEM and upcoming["accounts_left_out"] == 280
    went_out = summary["went_out"]["items"][0]
    assert len(went_out["urls"]) == ACCOUNTS_PER_ITEM and went_out["urls_left_out"] == 280
    assert summary["went_out"]["deliveries"] == 300


async def test_unknown_scope_fields_and_statuses_are_capped_and_counted(
    connect: Connect, api: StandInApi
) -> None:
    posts = fanned_out_posts(NOW, 2, 1)
    serve(api, posts, scope_counters(posts, extra_fields=100, statuses=50))
    async with connect() as client:
        for tool in ("list_posts", "get_delivery_summary"):
            scope = structured(await client.call_tool(tool, {}))["scope"]
            assert len(scope["posts_by_status"]) == SCOPE_FIELDS
            assert scope["statuses_left_out"] == 51 - SCOPE_FIELDS
            assert scope["posts_by_status"]["failed"] == 2, "the known statuses come first, verbatim"
            extra = scope["extra"]
            assert len(extra) <= EXTRA_VALUES + 1 and extra["items_left_out"] == 100 - (len(extra) - 1)


async def test_a_tree_of_unknown_fields_is_capped_and_says_so(connect: Connect, api: StandInApi) -> None:
    posts = fanned_out_posts(NOW, 2, 1)
    posts[0]["labels"] = [f"label {n}" for n in range(500)]
    posts[1]["insights"] = tree(10, 4)
    serve(api, posts)
    async with connect() as client:
        result = await client.call_tool("list_posts", {"detail": "full"})
    listed, nested = (post["extra"] for post in structured(result)["posts"])
    assert listed["labels"][-1] == "… 450 more items left out"
    assert nested["insights"]["items_left_out"] > 0

    def entries(value: Any) -> int:
        items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
        return sum(1 + entries(item) for item in items)

    assert entries(nested) <= EXTRA_VALUES + 10, "a tree's entries, its left-out counts included"
    assert len(text_of(result).encode()) < 20_000


async def test_a_full_views_caption_is_capped(connect: Connect, api: StandInApi) -> None:
    posts = fanned_out_posts(NOW, 1, 1)
    posts[0]["caption"] = "word " * 100_000
    serve(api, posts)
    async with connect() as client:
        caption = structured(await client.call_tool("list_posts", {"detail": "full"}))["posts"][0]["caption"]
    assert len(caption) < 10_100 and caption.endswith("(499999 chars)")


async def test_a_page_too_large_for_the_result_is_cut_and_next_page_reads_on_without_a_gap(
    connect: Connect, api: StandInApi
) -> None:
    """100 posts of 50 long failures each: about 1 MB as one page. Each result is cut to what fits,
    and following next_page from page to page shows every post exactly once."""
    posts = fanned_out_posts(NOW, 130, 50)
    for number, post in enumerate(posts):
        post["created_at"] = (NOW - timedelta(minutes=number // 3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        for state in post["accounts"]["states"]:
            state["error_message"] = (
                f"Upload rejected by the platform: {'reason ' * 25}({state['account_id']})"
            )
    serve(api, posts)
    seen: list[str] = []
    pages = 0
    args: dict[str, Any] = {"limit": 100}
    async with connect() as client:
        while True:
            result = await client.call_tool("list_posts", args)
            body = structured(result)
            assert len(text_of(result).encode()) <= MAX_RESULT_BYTES
            assert text_of(result) == json.dumps(body, indent=2, ensure_ascii=False)
            if pages == 0:
                assert "cut_for_size" in body and body["returned"] < 100, "the first page was cut to fit"
            seen += [post["id"] for post in body["posts"]]
            pages += 1
            if "next_page" not in body:
                break
            args = {key: value for key, value in body["next_page"].items() if key != "detail"}
            assert pages < 20
    assert sorted(seen) == sorted(post["id"] for post in posts), "no post skipped, none repeated"


async def test_a_summary_too_large_for_the_result_has_its_lists_cut_and_says_so(
    connect: Connect, api: StandInApi
) -> None:
    """100 distinct causes and 100 posts that went out, each on 20 accounts, asked with max_items=100."""
    posts = []
    for number in range(100):
        failed = fanned_out_posts(NOW, 1, 20)[0]
        failed["id"] = f"failed-{number}"
        for index, state in enumerate(failed["accounts"]["states"]):
            state["account_id"] = account_id(1000 * number + index)
            rule = "".join(chr(ord("k") + int(digit)) for digit in f"{number:03d}")  # distinct, no digits
            state["error_message"] = f"Rejected: rule {rule} {'x' * 100} applies here"
        posted = fanned_out_posts(NOW, 1, 20, status="posted")[0]
        posted["id"] = f"posted-{number}"
        for index, state in enumerate(posted["accounts"]["states"]):
            state["account_id"] = account_id(1000 * number + index)
            state["published_url"] = f"https://www.tiktok.com/@account{index}/video/{number}{'0' * 60}"
        posts += [failed, posted]
    serve(api, posts)
    async with connect() as client:
        result = await client.call_tool("get_delivery_summary", {"max_items": 100})
    body = structured(result)
    assert len(text_of(result).encode()) <= MAX_RESULT_BYTES
    assert text_of(result) == json.dumps(body, indent=2, ensure_ascii=False)
    assert "cut_for_size" in body, body.keys()
    shown = len(body["went_out"]["items"]) + body["went_out"].get("left_out", 0)
    assert shown == body["went_out"]["posts"] == 100, "what was cut is counted"
    causes = len(body["needs_attention"]["causes"]) + body["needs_attention"].get("causes_left_out", 0)
    assert causes == 100
    assert isinstance(body["next"], str) and "list_posts" in body["next"]
    assert KEY not in text_of(result)
