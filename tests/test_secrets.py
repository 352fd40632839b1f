"""Secret hygiene: the canary key reaches no tool result, no stdout/stderr and no log record.

Every test in the suite already runs with DEBUG logging and a check that no log record holds
the key (``key_stays_out_of_logs`` in conftest). Here the key is pushed through every scenario
at once, including an API that echoes it back, with stdout and stderr captured as well.
The spawned server's stderr at DEBUG is checked in ``test_stdio_hygiene.py``.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from mcp.types import CallToolResult

from support.common import KEY, Connect, leaks
from support.faults import CASES, TIMEOUT
from support.standin import StandInApi, respond

pytestmark = pytest.mark.anyio

SECRET = KEY.rpartition(".")[2]


@pytest.fixture
def mode() -> str:
    """One era is enough here: the key travels through the HTTP client, not the protocol."""
    return "legacy"


def shows_any_part_of_the_key(text: str) -> bool:
    """True if the text holds the key, or any 8 characters in a row of its secret part."""
    return leaks(text) or any(SECRET[i : i + 8] in text for i in range(len(SECRET) - 7))


def rendered(result: CallToolResult) -> str:
    return result.model_dump_json(by_alias=True)


def echo_key(status: int, prefix: str = "") -> str:
    message = f"{prefix}API key {KEY} was not accepted"
    return json.dumps({"ok": False, "code": status, "message": message, "error_code": "invalid_token"})


@pytest.mark.parametrize("prefix_length", [0, 150, 175, 190])
async def test_an_api_that_echoes_the_key_never_gets_it_quoted(
    connect: Connect, api: StandInApi, prefix_length: int
) -> None:
    """Quoted API text is shortened; the key must be removed before it is cut, not after."""
    api.script(respond(401, echo_key(401, "x" * prefix_length)))
    async with connect() as client:
        result = await client.call_tool("list_posts", {})
    assert result.is_error
    assert not shows_any_part_of_the_key(rendered(result)), rendered(result)


async def test_the_key_goes_through_every_scenario_and_comes_out_nowhere(
    connect: Connect,
    api: StandInApi,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    results: list[CallToolResult] = []
    calls: list[tuple[str, dict[str, Any]]] = [
        ("list_posts", {"limit": 100, "detail": "full"}),
        ("get_delivery_summary", {"max_posts": 250}),
        ("list_posts", {"limit": "abc"}),
        ("list_posts", {"since": "\x00", "status": "nope"}),
        ("get_delivery_summary", {"since": "2026-01-01", "until": "2020-01-01"}),
    ]
    async with connect(GENVIRAL_TIMEOUT=str(TIMEOUT)) as client:
        for tool, args in calls:
            results.append(await client.call_tool(tool, args))
        for status in (400, 401, 402, 403, 500, 502):
            api.script(*[respond(status, echo_key(status))] * 3)
            results.append(await client.call_tool("list_posts", {}))
            api.reset()
        for case in CASES.values():
            api.script(*case.faults())
            results.append(await client.call_tool("list_posts", {}))
            api.reset()
        results.append(await client.call_tool("list_posts", {}))
    async with connect(GENVIRAL_API_KEY=KEY, GENVIRAL_BASE_URL="http://genviral.example/v1") as client:
        results.append(await client.call_tool("list_posts", {}))
    assert sum(r.is_error for r in results) >= 20 and not results[0].is_error
    for result in results:
        assert not shows_any_part_of_the_key(rendered(result)), rendered(result)
    out, err = capfd.readouterr()
    assert not shows_any_part_of_the_key(out + err)
    records = [logging.Formatter("%(name)s %(message)s").format(r) for r in caplog.records]
    assert not any(shows_any_part_of_the_key(text) for text in records)
    # The check above is meaningful: DEBUG records from our client and the HTTP stack were there.
    names = {record.name for record in caplog.records if record.levelno == logging.DEBUG}
    assert "genviral_mcp.client" in names and any(name.startswith("httpcore") for name in names)
    # No request header dump at all (advice that *mentions* the header, in backticks, is fine).
    header_dump = re.compile(r"Bearer [^`\s]|b?['\"]authorization['\"]", re.IGNORECASE)
    assert not any(header_dump.search(text) for text in records)
