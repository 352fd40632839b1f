"""Argument hygiene: unknown arguments are refused by name, paging carries every argument, the
prompt checks and renders its arguments, and results follow each tool's outputSchema."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client, MCPError

from genviral_mcp.config import Settings
from genviral_mcp.demo.emulator import PostsEmulator
from genviral_mcp.server import build_server

from support.common import KEY, Connect, error_text, structured
from support.standin import StandInApi

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("tool", "arguments", "named", "accepted"),
    [
        ("list_posts", {"id": "1b9d6bcd"}, "`id`", "status, limit, since, until, detail"),
        ("get_delivery_summary", {"status": "failed"}, "`status`", "hours_ahead, published_since"),
        (
            "get_delivery_summary",
            {"since": "2026-11-01", "max_posts": 5},
            "`max_posts`, `since`",
            "max_items",
        ),
    ],
)
async def test_an_unknown_argument_is_an_error_naming_it(
    connect: Connect, api: StandInApi, tool: str, arguments: dict[str, Any], named: str, accepted: str
) -> None:
    async with connect() as client:
        text = error_text(await client.call_tool(tool, arguments))
    assert named in text and accepted in text and "nothing was fetched" in text
    assert api.all_requests == []


async def test_an_unknown_arguments_name_is_cleaned_and_capped(connect: Connect) -> None:
    async with connect() as client:
        text = error_text(await client.call_tool("list_posts", {"\x1b[31m<script>" + "x" * 500: 1}))
    assert "\x1b" not in text and len(text) < 400


async def test_next_page_carries_every_argument_detail_included(connect: Connect) -> None:
    async with connect() as client:
        first = structured(
            await client.call_tool("list_posts", {"limit": 3, "detail": "full", "status": "posted"})
        )
        assert first["filters"] == {"limit": 3, "status": "posted", "detail": "full"}
        assert first["next_page"]["detail"] == "full" and first["next_page"]["status"] == "posted"
        second = structured(await client.call_tool("list_posts", first["next_page"]))
    assert second["filters"]["detail"] == "full"
    assert isinstance(second["posts"][0]["deliveries"], list), "page 2 is full too"


async def test_the_prompt_renders_its_arguments_as_plain_text() -> None:
    async with Client(build_server(Settings.from_env({}))) as client:
        prompt = await client.get_prompt(
            "delivery_report", {"published_since": "2026-11-27", "published_until": "2026-11-27T23:59:59Z"}
        )
        plain = await client.get_prompt("delivery_report", {})
    text = prompt.messages[0].content.text  # type: ignore[union-attr]
    assert "get_delivery_summary with published_since=2026-11-27T00:00:00.000Z, published_until=" in text
    assert "{" not in text and "'" not in text.split("First call")[1].split(".")[0]
    assert "First call get_delivery_summary." in plain.messages[0].content.text  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("arguments", "named"),
    [({"published_since": "yesterday"}, "published_since"), ({"hours_ahead": "999"}, "hours_ahead")],
)
async def test_the_prompt_refuses_a_bad_argument_by_name(arguments: dict[str, str], named: str) -> None:
    async with Client(build_server(Settings.from_env({}))) as client:
        with pytest.raises(MCPError) as caught:
            await client.get_prompt("delivery_report", arguments)
    assert named in caught.value.message and "yesterday" not in caught.value.message


async def test_the_client_checks_results_against_the_output_schema(api: StandInApi) -> None:
    """The guard the whole suite relies on: mcp's Client validates every success result against
    the tool's outputSchema (jsonschema). A server whose schema disagrees with its results fails."""
    settings = Settings.from_env({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": api.base_url})
    server = build_server(settings)
    server.output_schemas = {  # type: ignore[attr-defined]
        "list_posts": {"type": "object", "required": ["not_a_key"], "properties": {}}
    }
    async with Client(server) as client:
        with pytest.raises(RuntimeError, match="Invalid structured content"):
            await client.call_tool("list_posts", {})


@pytest.mark.parametrize(
    ("tool", "named", "foreign"),
    [
        ("list_posts", "smaller limit", "max_items"),
        ("get_delivery_summary", "list_posts with a status", "limit"),
    ],
)
async def test_a_call_out_of_time_gets_advice_in_its_own_arguments(
    tool: str, named: str, foreign: str
) -> None:
    import anyio

    from genviral_mcp.server import run_tool

    async def slow() -> Any:
        await anyio.sleep(5)

    result = await run_tool(tool, slow, deadline=0.05)
    text = error_text(result)
    assert "within 0 s" in text and named in text
    assert "max_posts" not in text and foreign not in text, "advice in another tool's arguments"


# --- Dates as agents write them ---------------------------------------------------------------


def _posted(post_id: str, created: str, published: str) -> dict[str, Any]:
    state = {
        "account_id": "acc-1",
        "status": "posted",
        "published_at": published,
        "published_url": "https://x/1",
    }
    return {
        "id": post_id,
        "status": "posted",
        "created_at": created,
        "scheduled_at": published,
        "accounts": {"total": 1, "states": [state]},
    }


#: Posts created (and published an hour later) at the edges of 2026-11-20 and just outside it.
DAY_EDGES = [
    _posted("before", "2026-11-19T23:59:59.999Z", "2026-11-20T00:59:59.999Z"),
    _posted("first-ms", "2026-11-20T00:00:00.000Z", "2026-11-20T01:00:00.000Z"),
    _posted("noon", "2026-11-20T12:00:00.000Z", "2026-11-20T13:00:00.000Z"),
    _posted("last-ms", "2026-11-20T23:59:59.999Z", "2026-11-21T00:59:59.999Z"),
    _posted("after", "2026-11-21T00:00:00.000Z", "2026-11-21T01:00:00.000Z"),
]


async def test_a_date_alone_covers_the_whole_utc_day_in_list_posts(connect: Connect, api: StandInApi) -> None:
    api.emulator = PostsEmulator(DAY_EDGES, {KEY: "ok"})
    async with connect() as client:
        body = structured(
            await client.call_tool("list_posts", {"since": "2026-11-20", "until": "2026-11-20"})
        )
    assert [post["id"] for post in body["posts"]] == ["last-ms", "noon", "first-ms"]
    assert body["filters"]["since"] == "2026-11-20T00:00:00.000Z"
    assert body["filters"]["until"] == "2026-11-20T23:59:59.999Z", "the applied bound, exactly"
    assert api.requests[-1].query["until"] == "2026-11-20T23:59:59.999Z"


async def test_a_date_alone_covers_the_whole_utc_day_in_the_summary(
    connect: Connect, api: StandInApi
) -> None:
    api.emulator = PostsEmulator(DAY_EDGES, {KEY: "ok"})
    async with connect() as client:
        body = structured(
            await client.call_tool(
                "get_delivery_summary", {"published_since": "2026-11-20", "published_until": "2026-11-20"}
            )
        )
    went_out = body["went_out"]
    assert [item["id"] for item in went_out["items"]] == ["noon", "first-ms", "before"]
    assert (went_out["published_since"], went_out["published_until"]) == (
        "2026-11-20 00:00",
        "2026-11-20 23:59",
    )


async def test_the_prompt_reads_a_date_alone_as_the_whole_day() -> None:
    async with Client(build_server(Settings.from_env({}))) as client:
        prompt = await client.get_prompt(
            "delivery_report", {"published_since": "2026-11-27", "published_until": "2026-11-27"}
        )
    text = prompt.messages[0].content.text  # type: ignore[union-attr]
    assert "published_since=2026-11-27T00:00:00.000Z, published_until=2026-11-27T23:59:59.999Z" in text


@pytest.mark.parametrize(
    ("tool", "argument", "value"),
    [
        ("list_posts", "since", "0001-01-01"),
        ("list_posts", "until", "0001-01-01T00:00:00Z"),
        ("list_posts", "since", "1969-12-31T23:59:59.999Z"),
        ("list_posts", "until", "9999-12-31"),
        ("list_posts", "until", "9999-12-30T23:00:00-05:00"),
        ("get_delivery_summary", "published_since", "0001-01-01"),
        ("get_delivery_summary", "published_until", "0001-01-01"),
        ("get_delivery_summary", "published_until", "9999-12-31T23:59:59.999Z"),
        ("get_delivery_summary", "published_since", "0001-01-01T00:30:00+01:00"),
    ],
)
async def test_a_date_out_of_range_is_an_error_naming_the_argument(
    connect: Connect, api: StandInApi, tool: str, argument: str, value: str
) -> None:
    async with connect() as client:
        text = error_text(await client.call_tool(tool, {argument: value}))
    assert f"`{argument}`" in text and "1970-01-01 … 9999-12-30" in text and "internal error" not in text
    assert api.requests == []


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("list_posts", {"since": "1970-01-01", "until": "9999-12-30"}),
        ("get_delivery_summary", {"published_since": "1970-01-01", "published_until": "9999-12-30"}),
        ("get_delivery_summary", {"published_until": "1970-01-01"}),
    ],
)
async def test_the_ends_of_the_range_are_accepted(
    connect: Connect, tool: str, arguments: dict[str, str]
) -> None:
    async with connect() as client:
        structured(await client.call_tool(tool, arguments))
