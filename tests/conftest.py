"""Shared fixtures: the stand-in API on 127.0.0.1 and in-memory MCP clients in both protocol eras."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timezone
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult

from genviral_mcp.config import Settings
from genviral_mcp.demo.emulator import PLAN_OK, PLAN_SCHEDULER, PLAN_UNPAID, PostsEmulator
from genviral_mcp.demo.sample_data import sample_posts
from genviral_mcp.query import WalkLimits
from genviral_mcp.retry import RetryPolicy
from genviral_mcp.server import TOOL_DEADLINE_SECONDS, build_server

from standin import StandInApi, running

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
#: A canary: it must never show up in a result, a log or stdout.
KEY = "gva_live_c4n4ry0000.SECRET-canary-9f8e7d6c5b4a"
UNPAID_KEY = "gva_live_unpaid.secret"
SCHEDULER_KEY = "gva_live_scheduler.secret"
KEYS = {KEY: PLAN_OK, UNPAID_KEY: PLAN_UNPAID, SCHEDULER_KEY: PLAN_SCHEDULER}
POST_COUNT = 300

Connect = Callable[..., AbstractAsyncContextManager[Client]]
#: Retries as in production, but waiting milliseconds, so the suite stays fast.
FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05, reserve=0.1, min_attempt=0.1)


def leaks(text: str) -> bool:
    return KEY in text or KEY.rpartition(".")[2] in text


@pytest.fixture(autouse=True)
def key_stays_out_of_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test runs with DEBUG logging on, and the canary key must be in no log record."""
    caplog.set_level(logging.DEBUG)
    yield
    formatter = logging.Formatter("%(name)s %(message)s")
    for record in caplog.get_records("setup") + caplog.get_records("call"):
        assert not leaks(formatter.format(record)), f"key leaked in a log record from {record.name}"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sample() -> list[dict[str, Any]]:
    return sample_posts(NOW, POST_COUNT)


@pytest.fixture(scope="session")
def standin_server(sample: list[dict[str, Any]]) -> Iterator[StandInApi]:
    with running(PostsEmulator(sample, KEYS)) as api:
        yield api


@pytest.fixture
def api(standin_server: StandInApi, sample: list[dict[str, Any]]) -> StandInApi:
    """The stand-in, reset to the sample data set with no faults scripted.

    It first waits (briefly) for the previous test's connections to finish, so that a request
    still in flight from that test is not recorded as this test's.
    """
    deadline = time.monotonic() + 2.0
    while standin_server.open_connections and time.monotonic() < deadline:
        time.sleep(0.01)
    standin_server.reset()
    standin_server.emulator = PostsEmulator(sample, KEYS)
    return standin_server


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def connect(api: StandInApi, mode: str) -> Connect:
    """``async with connect(**env) as client``: a server on the stand-in, with env overrides
    (and, optionally, its retry policy and per-call deadline)."""

    @asynccontextmanager
    async def factory(
        retry: RetryPolicy = FAST_RETRY,
        deadline: float = TOOL_DEADLINE_SECONDS,
        walk_limits: WalkLimits | None = None,
        **env: str,
    ) -> AsyncIterator[Client]:
        settings = Settings.from_env({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": api.base_url, **env})
        server = build_server(
            settings, clock=lambda: NOW, retry=retry, deadline=deadline, walk_limits=walk_limits
        )
        async with Client(server, mode=mode) as client:
            yield client

    return factory


def structured(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def error_text(result: CallToolResult) -> str:
    """The text of an ``isError`` result, checked to be short and clean."""
    assert result.is_error, result.structured_content
    text = "\n".join(block.text for block in result.content if block.type == "text")
    assert len(text) < 700, text
    for forbidden in ("Traceback", "<html", "<!DOCTYPE", KEY, "SECRET-canary"):
        assert forbidden not in text
    return text


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def by_status(deliveries: dict[str, str]) -> dict[str, dict[str, str]]:
    """A concise post's ``{account: "status[ url|: error]"}`` regrouped as ``{status: {account: value}}``."""
    grouped: dict[str, dict[str, str]] = {}
    for account, line in deliveries.items():
        status, _, rest = line.partition(" ")
        if status.endswith(":"):
            status = status[:-1]
        grouped.setdefault(status, {})[account] = rest
    return grouped
