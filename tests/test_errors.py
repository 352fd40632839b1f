"""Every failure is a short isError result that says what happened and what to do next."""

from __future__ import annotations

from typing import Any

import pytest

from support.common import KEY, SCHEDULER_KEY, UNPAID_KEY, Connect, error_text, free_port, structured
from support.standin import StandInApi, respond

pytestmark = pytest.mark.anyio

TOOLS: list[tuple[str, dict[str, Any]]] = [("list_posts", {}), ("get_delivery_summary", {})]


@pytest.mark.parametrize(("tool", "args"), TOOLS)
async def test_no_key_lists_tools_but_calls_explain_the_env_block(
    connect: Connect, api: StandInApi, tool: str, args: dict[str, object]
) -> None:
    async with connect(GENVIRAL_API_KEY="") as client:
        names = {t.name for t in (await client.list_tools()).tools}
        result = await client.call_tool(tool, args)
    assert names == {"list_posts", "get_delivery_summary"}
    text = error_text(result)
    assert "GENVIRAL_API_KEY" in text and "env" in text
    assert api.requests == []


async def test_plain_http_to_a_remote_host_is_refused_before_sending_the_key(
    connect: Connect, api: StandInApi
) -> None:
    async with connect(GENVIRAL_BASE_URL="http://api.genviral.example/api/partner/v1") as client:
        result = await client.call_tool("list_posts", {})
    text = error_text(result)
    assert "https" in text and "clear text" in text
    assert api.requests == []


@pytest.mark.parametrize(
    ("key", "fragments"),
    [
        ("wrong-key", ["HTTP 401", "invalid_token", "GENVIRAL_API_KEY", "API key not found"]),
        (UNPAID_KEY, ["HTTP 402", "subscription_required", "Creator, Professional or Business"]),
        (SCHEDULER_KEY, ["HTTP 403", "tier_not_allowed", "Scheduler"]),
    ],
)
async def test_auth_and_plan_refusals(connect: Connect, key: str, fragments: list[str]) -> None:
    async with connect(GENVIRAL_API_KEY=key) as client:
        for tool, args in TOOLS:
            text = error_text(await client.call_tool(tool, args))
            for fragment in fragments:
                assert fragment in text
            assert key not in text


ERROR_CASES = [
    pytest.param(
        respond(400, '{"ok":false,"code":400,"message":"Invalid since","error_code":"invalid_since"}'),
        ["HTTP 400", "invalid_since", "`since`", "ISO 8601"],
        id="400-invalid_since",
    ),
    pytest.param(
        respond(400, '{"ok":false,"code":400,"message":"Invalid until","error_code":"invalid_until"}'),
        ["HTTP 400", "invalid_until", "`until`"],
        id="400-invalid_until",
    ),
    pytest.param(
        respond(418, '{"ok":false,"code":418,"message":"I am a teapot","error_code":"teapot"}'),
        ["HTTP 418", "teapot"],
        id="other-status",
    ),
    pytest.param(
        respond(200, '{"ok":false,"code":409,"message":"Scope is being migrated","error_code":"scope_busy"}'),
        ["HTTP 409", "scope_busy", "Scope is being migrated"],
        id="200-ok-false",
    ),
    pytest.param(
        respond(200, '{"ok":false,"code":200,"message":"Nothing to see"}'),
        ["HTTP 200", "ok: false", "Nothing to see", "Try again"],
        id="200-ok-false-code-200",
    ),
    pytest.param(
        respond(200, "<html>maintenance</html>", "text/html"), ["not JSON", "HTTP 200"], id="200-html"
    ),
    pytest.param(
        respond(200, '{"ok": true, "data": {"po', "application/json"),
        ["not the expected"],
        id="truncated-json",
    ),
    pytest.param(respond(200, '{"ok": true}'), ["without a `data`"], id="no-data"),
    pytest.param(
        respond(200, '{"ok": true, "data": {"posts": "nope"}}'), ["not the expected"], id="wrong-shape"
    ),
    pytest.param(
        respond(404, "Not Found", "text/plain"), ["HTTP 404", "GENVIRAL_BASE_URL"], id="404-wrong-base-url"
    ),
]


@pytest.mark.parametrize(("fault", "fragments"), ERROR_CASES)
async def test_api_failures(connect: Connect, api: StandInApi, fault: object, fragments: list[str]) -> None:
    async with connect() as client:
        api.script(fault)  # type: ignore[arg-type]
        text = error_text(await client.call_tool("list_posts", {}))
        for fragment in fragments:
            assert fragment in text, text
        # The summary's walks run side by side: the fault ends one of them, and the result says
        # which, why, and what to call next, instead of hiding the rest behind an error.
        api.script(fault)  # type: ignore[arg-type]
        result = await client.call_tool("get_delivery_summary", {})
        body = structured(result)
        assert len(body["incomplete"]) == 1, body["incomplete"]
        problem = body["incomplete"][0]
        for fragment in fragments:
            assert fragment in problem, problem
        assert "Call get_delivery_summary again" in problem and KEY not in problem
        assert any("incomplete" in block.text for block in result.content[1:] if block.type == "text")
        structured(await client.call_tool("list_posts", {}))  # and the next call works
        assert "incomplete" not in structured(await client.call_tool("get_delivery_summary", {}))


async def test_api_failure_on_every_walk_is_an_error(connect: Connect, api: StandInApi) -> None:
    fault = respond(418, '{"ok":false,"code":418,"message":"I am a teapot","error_code":"teapot"}')
    async with connect() as client:
        api.script(*[fault] * 6)  # one per status walked; none is retried
        text = error_text(await client.call_tool("get_delivery_summary", {}))
        assert "HTTP 418" in text and "teapot" in text
        assert len(api.requests) == 6
        assert "incomplete" not in structured(await client.call_tool("get_delivery_summary", {}))


async def test_long_api_messages_are_quoted_shortened(connect: Connect, api: StandInApi) -> None:
    message = "database exploded " * 200
    fault = respond(500, f'{{"ok":false,"code":500,"message":"{message}","error_code":"list_failed"}}')
    api.script(fault, fault)  # list_failed is retried once
    async with connect() as client:
        text = error_text(await client.call_tool("list_posts", {}))
    assert "database exploded" in text and len(text) < 500


async def test_connection_refused(connect: Connect) -> None:
    async with connect(GENVIRAL_BASE_URL=f"http://127.0.0.1:{free_port()}/api/partner/v1") as client:
        text = error_text(await client.call_tool("list_posts", {}))
    assert "Could not reach Genviral" in text and "GENVIRAL_BASE_URL" in text


async def test_key_never_appears_in_any_error(connect: Connect, api: StandInApi) -> None:
    api.script(
        respond(401, f'{{"ok":false,"code":401,"message":"bad key {KEY}","error_code":"invalid_token"}}')
    )
    async with connect() as client:
        text = error_text(await client.call_tool("list_posts", {}))
    assert KEY not in text
