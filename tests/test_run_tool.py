"""``run_tool``'s last two safety nets (issue 11's weak spots): the call deadline and the catch-all.

The client keeps every wait inside the deadline, so the deadline branch is reached here by a tool
body that outlives it; the catch-all is reached through the real server, by a failure no tool
expects (the clock breaking).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

import anyio
import pytest
from mcp import Client

from genviral_mcp.config import Settings
from genviral_mcp.server import build_server, run_tool
from genviral_mcp.shaping import ToolOutput

from support.common import FAST_RETRY, KEY, error_text
from support.standin import StandInApi

pytestmark = pytest.mark.anyio


async def test_a_body_that_outlives_the_deadline_is_an_error_result() -> None:
    async def slow() -> ToolOutput:
        await anyio.sleep(5)
        return ToolOutput({})

    started = time.monotonic()
    result = await run_tool("list_posts", slow, deadline=0.2)
    assert time.monotonic() - started < 0.2 + 0.3
    text = error_text(result)
    assert "did not finish answering within" in text and "Try again" in text


async def test_an_unexpected_failure_is_an_error_result_and_one_logged_traceback(
    api: StandInApi, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_clock() -> datetime:
        raise RuntimeError("clock is broken: do not show this to the model")

    settings = Settings.from_env({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": api.base_url})
    server = build_server(settings, clock=broken_clock, retry=FAST_RETRY)
    async with Client(server) as client:
        result = await client.call_tool("list_posts", {"limit": 1})
    text = error_text(result)
    assert "internal error in list_posts" in text and "stderr" in text
    assert "clock is broken" not in text
    logged = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "genviral_mcp.server"]
    assert len(logged) == 1 and logged[0].exc_info is not None
