"""Fixtures only: the stand-in API on 127.0.0.1 and in-memory MCP clients in both protocol eras.

Constants and helpers live in ``support/common.py``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client

from genviral_mcp.config import Settings
from genviral_mcp.demo.emulator import PostsEmulator
from genviral_mcp.demo.sample_data import sample_posts
from genviral_mcp.query import WalkLimits
from genviral_mcp.retry import RetryPolicy
from genviral_mcp.server import TOOL_DEADLINE_SECONDS, build_server

from support.common import FAST_RETRY, KEY, KEYS, NOW, POST_COUNT, Connect, leaks
from support.standin import StandInApi, running


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
    """The stand-in, reset to the sample data set with no faults scripted, in a recording window of
    this test's own: ``api.base_url`` is this test's, and whatever a server of an earlier test still
    sends (a request in flight, a background fetch) is answered but never recorded as this test's.

    It first waits (briefly) for the previous test's connections to finish, so that the connection
    counters start from what this test opens.
    """
    deadline = time.monotonic() + 2.0
    while standin_server.open_connections and time.monotonic() < deadline:
        time.sleep(0.01)
    standin_server.open_window()
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
