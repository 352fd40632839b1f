"""list_posts through an in-memory MCP client, against the stand-in API over real HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from genviral_mcp import shaping
from genviral_mcp.demo.emulator import PostsEmulator

from support.common import KEY, NOW, Connect, by_status, dumps, error_text, instant, structured, text_of
from support.standin import StandInApi

pytestmark = pytest.mark.anyio


def _walk(value: Any) -> list[Any]:
    """Every value nested in a JSON document."""
    found = [value]
    if isinstance(value, dict):
        for inner in value.values():
            found += _walk(inner)
    elif isinstance(value, list):
        for inner in value:
            found += _walk(inner)
    return found


async def test_default_call_returns_newest_posts_with_filters_counts_and_scope(
    connect: Connect, api: StandInApi
) -> None:
    async with connect() as client:
        result = await client.call_tool("list_posts", {})
    body = structured(result)
    assert api.requests[-1].query == {"limit": "21"}, "one extra post tells where the next page starts"
    assert api.requests[-1].headers["authorization"] == f"Bearer {KEY}"
    assert body["now"] == "2026-11-28 12:00 UTC"
    assert body["filters"] == {"limit": 20, "detail": "concise"}
    assert body["returned"] == len(body["posts"]) == 20
    raw = json.loads(api.emulator.handle({"limit": "21"}, f"Bearer {KEY}").body)["data"]
    counters = raw["summary"]
    assert body["scope"] == {
        "total_posts": counters["total"],
        "not_yet_published_posts": counters["pending"],
        "published_posts": counters["published"],
        "posts_by_status": counters["by_status"],
    }, "the API's counters, verbatim, under names that cannot be misread"
    created = [instant(post["created"]) for post in body["posts"]]
    assert created == sorted(created, reverse=True)
    assert [post["id"] for post in body["posts"]] == [post["id"] for post in raw["posts"]][
        : len(body["posts"])
    ]
    assert None not in _walk(body) and "" not in _walk(body["posts"][0]["status"])


async def test_text_block_is_the_pretty_printed_structured_content(connect: Connect) -> None:
    async with connect() as client:
        result = await client.call_tool("list_posts", {"limit": 5})
    assert text_of(result) == json.dumps(result.structured_content, indent=2, ensure_ascii=False)


async def test_post_fields_and_deliveries(connect: Connect, sample: list[dict[str, Any]]) -> None:
    async with connect() as client:
        body = structured(await client.call_tool("list_posts", {"limit": 100}))
    by_id = {post["id"]: post for post in sample}
    accounts = body["accounts"]
    for post in body["posts"]:
        raw = by_id[post["id"]]
        assert post["status"] == raw["status"]
        assert post["created"] == raw["created_at"], "the exact instant, usable as since/until"
        assert post["scheduled"] == raw["scheduled_at"][:16].replace("T", " ")
        assert "media" not in post, "concise leaves the media type to the full view"
        seen = {}
        for status, entries in by_status(post["deliveries"]).items():
            for alias, value in entries.items():
                seen[accounts[alias]] = (status, value)
        for state in raw["accounts"]["states"]:
            status, value = seen[state["account_id"]]
            assert status == state["status"]
            if state["status"] == "posted":
                assert value == state["published_url"]
            elif state["error_message"]:
                assert value and value[:20] in " ".join(state["error_message"].split())


async def test_status_filter_and_lenient_limit(connect: Connect, api: StandInApi) -> None:
    async with connect() as client:
        body = structured(await client.call_tool("list_posts", {"status": "failed", "limit": "7"}))
    assert api.requests[-1].query == {"status": "failed", "limit": "8"}
    assert body["filters"] == {"status": "failed", "limit": 7, "detail": "concise"}
    assert body["posts"] and {post["status"] for post in body["posts"]} == {"failed"}


async def test_status_and_detail_are_case_insensitive(connect: Connect, api: StandInApi) -> None:
    async with connect() as client:
        body = structured(
            await client.call_tool("list_posts", {"status": " Posted ", "detail": "FULL", "limit": 2})
        )
        assert api.requests[-1].query["status"] == "posted"
        blank = structured(await client.call_tool("list_posts", {"status": "", "detail": "", "limit": 2}))
        assert "status" not in api.requests[-1].query
    assert isinstance(body["posts"][0]["deliveries"], list), "full: each delivery is an object"
    assert isinstance(blank["posts"][0]["deliveries"], dict), "concise: one line per account"


async def test_limit_outside_range_is_clamped_and_reported(connect: Connect, api: StandInApi) -> None:
    async with connect() as client:
        high = structured(await client.call_tool("list_posts", {"limit": 5000}))
        assert api.requests[-1].query["limit"] == "100"
        low = structured(await client.call_tool("list_posts", {"limit": -3}))
        assert api.requests[-1].query["limit"] == "2"
    assert high["filters"]["limit"] == 100 and low["filters"]["limit"] == 1


async def test_since_until_are_sent_as_utc(connect: Connect, api: StandInApi) -> None:
    async with connect() as client:
        body = structured(
            await client.call_tool(
                "list_posts",
                {"since": "2026-11-01T02:00:00+02:00", "until": "2026-11-20T00:00:00", "limit": 100},
            )
        )
    assert api.requests[-1].query["since"] == "2026-11-01T00:00:00.000Z"
    assert api.requests[-1].query["until"] == "2026-11-20T00:00:00.000Z"
    assert body["filters"]["since"] == "2026-11-01T00:00:00.000Z"
    for post in body["posts"]:
        assert "2026-11-01T00:00:00.000Z" <= post["created"] <= "2026-11-20T00:00:00.000Z"


async def test_bad_timestamp_is_an_error_and_no_request_is_made(connect: Connect, api: StandInApi) -> None:
    async with connect() as client:
        result = await client.call_tool("list_posts", {"until": "last tuesday"})
        reversed_window = await client.call_tool(
            "list_posts", {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}
        )
    text = error_text(result)
    assert "`until`" in text and "2025-01-31T00:00:00Z" in text
    assert "`since`" in error_text(reversed_window)
    assert api.requests == []


async def test_bad_argument_types_are_short_errors(connect: Connect, api: StandInApi) -> None:
    async with connect() as client:
        result = await client.call_tool("list_posts", {"limit": "lots", "status": "published"})
    text = error_text(result)
    assert "`limit`" in text and "`status`" in text
    assert "pydantic" not in text
    assert api.requests == []


async def test_unknown_statuses_and_fields_pass_through(connect: Connect, api: StandInApi) -> None:
    odd = {
        "id": "odd-1",
        "caption": "A post from the future",
        "status": "quarantined",
        "scheduled_at": "2026-11-27T10:00:00Z",
        "created_at": "2026-11-27T09:00:00.000Z",
        "media": {"type": "carousel", "url": "https://cdn.example/x", "frames": 3},
        "brand_new_field": {"x": 1},
        "accounts": {
            "total": 2,
            "states": [
                {
                    "account_id": "acc-1",
                    "status": "void",
                    "published_at": None,
                    "error_message": None,
                    "last_attempted_at": None,
                    "published_url": None,
                    "shadow": True,
                },
                {
                    "account_id": "acc-2",
                    "status": "deleted",
                    "published_at": "2026-11-27T10:01:00Z",
                    "error_message": None,
                    "last_attempted_at": None,
                    "published_url": "https://www.tiktok.com/@x/video/1",
                },
            ],
        },
    }
    api.emulator = PostsEmulator([odd], {KEY: "ok"})
    async with connect() as client:
        concise = structured(await client.call_tool("list_posts", {}))
        full = structured(await client.call_tool("list_posts", {"detail": "full"}))
    post = concise["posts"][0]
    assert post["status"] == "quarantined"
    assert by_status(post["deliveries"]) == {
        "void": {"account acc1": ""},
        "deleted": {"account acc2": "https://www.tiktok.com/@x/video/1"},
    }
    assert concise["accounts"] == {"account acc1": "acc-1", "account acc2": "acc-2"}
    full_post = full["posts"][0]
    assert full_post["extra"] == {"brand_new_field": {"x": 1}}, "unknown fields live under their own key"
    assert full_post["media"]["frames"] == 3
    assert full_post["deliveries"][0]["extra"] == {"shadow": True}


async def test_full_detail_adds_caption_media_settings_and_timestamps(
    connect: Connect, sample: list[dict[str, Any]]
) -> None:
    async with connect() as client:
        body = structured(await client.call_tool("list_posts", {"limit": 100, "detail": "full"}))
    by_id = {post["id"]: post for post in sample}
    for post in body["posts"]:
        raw = by_id[post["id"]]
        assert post.get("caption", "") == raw["caption"]
        assert post["media"] == raw["media"]
        assert post.get("music_url") == raw["music_url"]
        assert post.get("tiktok") == raw["tiktok"] and post.get("pinterest") == raw["pinterest"]
        assert post["created"] == raw["created_at"] and post["scheduled"] == raw["scheduled_at"]
        for delivery, state in zip(post["deliveries"], raw["accounts"]["states"], strict=True):
            assert body["accounts"][delivery["account"]] == state["account_id"]
            assert delivery.get("published") == state["published_at"]
            assert delivery.get("last_attempted") == state["last_attempted_at"]


async def test_published_account_with_old_error_is_not_a_failure(
    connect: Connect, sample: list[dict[str, Any]]
) -> None:
    stale = [
        post
        for post in sample
        if any(s["status"] == "posted" and s["error_message"] for s in post["accounts"]["states"])
    ]
    assert stale, "the sample must hold published deliveries with stale errors"
    async with connect() as client:
        body = structured(await client.call_tool("list_posts", {"limit": 100}))
    shown = [post for post in body["posts"] if post["id"] in {p["id"] for p in stale}]
    assert shown
    for post in shown:
        assert "earlier_errors" in post
        for alias in post["earlier_errors"]:
            assert post["deliveries"][alias].startswith("posted https://")


async def test_long_captions_are_cut_at_a_word_and_say_their_length(connect: Connect) -> None:
    async with connect() as client:
        body = structured(await client.call_tool("list_posts", {"limit": 100}))
    cut = [post["caption"] for post in body["posts"] if "chars)" in post.get("caption", "")]
    assert cut
    for caption in cut:
        shown, _, length = caption.rpartition("… (")
        assert len(shown) <= 60 and int(length.removesuffix(" chars)")) > 60


async def test_results_never_contain_the_key(connect: Connect) -> None:
    async with connect() as client:
        result = await client.call_tool("list_posts", {"limit": 100, "detail": "full"})
    assert KEY not in dumps(result.model_dump())
    assert NOW.year == 2026


@pytest.mark.parametrize("limit", [1, 5, 20])
async def test_exactly_limit_matching_posts_is_one_page_without_a_next_page(
    connect: Connect, api: StandInApi, sample: list[dict[str, Any]], limit: int
) -> None:
    """The server asks for limit + 1: getting only limit back means nothing more matches."""
    api.emulator = PostsEmulator(sample[:limit], {KEY: "ok"})
    async with connect() as client:
        result = await client.call_tool("list_posts", {"limit": limit})
        fewer = structured(await client.call_tool("list_posts", {"limit": limit + 1}))
    body = structured(result)
    assert body["returned"] == limit and "next_page" not in body
    assert len(result.content) == 1, "no 'More posts match' note"
    assert fewer["returned"] == limit and "next_page" not in fewer


async def test_one_more_than_limit_pages_to_exactly_the_rest(
    connect: Connect, api: StandInApi, sample: list[dict[str, Any]]
) -> None:
    api.emulator = PostsEmulator(sample[:6], {KEY: "ok"})
    async with connect() as client:
        first = structured(await client.call_tool("list_posts", {"limit": 5}))
        second = structured(await client.call_tool("list_posts", first["next_page"]))
    assert first["returned"] == 5 and second["returned"] == 1 and "next_page" not in second
    assert {post["id"] for post in first["posts"] + second["posts"]} == {post["id"] for post in sample[:6]}


async def test_the_shaping_docstrings_example_of_concise_deliveries_is_what_the_tool_gives(
    connect: Connect, api: StandInApi
) -> None:
    """The module docstring shows a concise post's deliveries: that example must be real output."""
    doc = shaping.__doc__ or ""
    example = json.loads(doc.split("more to say::", 1)[1].split("\n\n", 2)[1])
    handles = {"tiktok": "luna.bakes", "pinterest": "lunabakes", "youtube": "LunaBakesTV"}
    accounts = [
        {"id": f"id-{platform}", "platform": platform, "username": handle, "status": "active"}
        for platform, handle in handles.items()
    ]

    def state(platform: str, status: str, url: str | None = None, error: str | None = None) -> dict[str, Any]:
        return {
            "account_id": f"id-{platform}",
            "status": status,
            "published_at": "2026-11-27T10:01:00.000Z" if url else None,
            "error_message": error,
            "last_attempted_at": None,
            "published_url": url,
        }

    post = {
        "id": "doc-1",
        "caption": "Holiday drops start Monday!",
        "status": "partial",
        "scheduled_at": "2026-11-27T10:00:00Z",
        "created_at": "2026-11-27T09:00:00.000Z",
        "accounts": {
            "total": 3,
            "states": [
                state("tiktok", "posted", url=example["tiktok @luna.bakes"].removeprefix("posted ")),
                state("pinterest", "failed", error="Board not found"),
                state("youtube", "scheduled"),
            ],
        },
    }
    api.emulator = PostsEmulator([post], {KEY: "ok"}, accounts=accounts)
    async with connect() as client:
        body = structured(await client.call_tool("list_posts", {}))
    assert body["posts"][0]["deliveries"] == example
