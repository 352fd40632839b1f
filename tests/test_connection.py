"""The HTTP client is built on the first tool call, not at start-up, and closed when the server stops."""

from __future__ import annotations

import httpx2 as httpx
import pytest
from mcp import Client

from genviral_mcp.config import Settings
from genviral_mcp.connection import Connection
from genviral_mcp.server import build_server

from support.common import KEY
from support.standin import StandInApi

pytestmark = pytest.mark.anyio


class Recording(httpx.AsyncBaseTransport):
    """The real network transport, counting requests and noting when it is closed."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.requests = 0
        self.closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        self.closed = True
        await self._inner.aclose()


def _settings(api: StandInApi) -> Settings:
    return Settings.from_env({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": api.base_url})


async def test_opened_on_first_use_once_and_closed_on_exit(api: StandInApi) -> None:
    transport = Recording()
    async with Connection(_settings(api), transport) as connection:
        assert not connection.opened
        first = connection.posts
        assert connection.opened and connection.posts is first
    assert transport.closed


async def test_never_opened_means_nothing_to_close(api: StandInApi) -> None:
    transport = Recording()
    async with Connection(_settings(api), transport) as connection:
        pass
    assert not connection.opened and not transport.closed


async def test_server_opens_it_for_calls_only_and_closes_it_at_shutdown(api: StandInApi, mode: str) -> None:
    idle = Recording()
    async with Client(build_server(_settings(api), transport=idle), mode=mode) as client:
        await client.list_tools()
    assert idle.requests == 0 and not idle.closed  # start-up and tools/list never built a client

    busy = Recording()
    async with Client(build_server(_settings(api), transport=busy), mode=mode) as client:
        for _ in range(2):
            assert not (await client.call_tool("list_posts", {"limit": 2})).is_error
        assert not busy.closed
    # Two posts requests, and one for account names (it failed, so it is not asked again so soon).
    assert len(api.requests) == 2 and len(api.account_requests) == 1
    assert busy.requests == 3 and busy.closed
