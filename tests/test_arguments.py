"""Argument hygiene: unknown arguments are refused by name, paging carries every argument, the
prompt checks and renders its arguments, and results follow each tool's outputSchema."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client, MCPError

from genviral_mcp.config import Settings
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
