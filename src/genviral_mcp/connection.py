"""The HTTP client, built on the first tool call instead of at start-up, and closed at shutdown.

Building it sets up TLS, which on Linux loads the system's whole CA bundle: about 50 ms, a tenth
of a cold start (``benchmarks/bench.py``). A host starts the server at launch whether or not a
tool is ever called, so that cost waits for the first call, which is network-bound anyway.
"""

from __future__ import annotations

from types import TracebackType

import httpx2 as httpx

from genviral_mcp.client import PostsClient, Slots, build_http_client
from genviral_mcp.config import Settings
from genviral_mcp.retry import RetryPolicy
from genviral_mcp.workers import Workers


class Connection:
    """Owns the one pooled HTTP client: ``async with`` it for the server's lifetime."""

    def __init__(
        self,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        per_key: int | None = None,
        workers: Workers | None = None,
    ) -> None:
        self._settings = settings
        self._transport = transport
        self._retry = retry
        #: How many of the pool's slots one key may hold (``None``: all; see ``client.Slots``).
        self._per_key = per_key
        #: Where large bodies are decoded, off the event loop.
        self._workers = workers
        self._http: httpx.AsyncClient | None = None
        self._posts: PostsClient | None = None

    @property
    def posts(self) -> PostsClient:
        """The Posts API client, built on first use (no ``await`` here, so no race between calls)."""
        if self._posts is None:
            self._http = build_http_client(self._settings, self._transport)
            slots = Slots(per_key=self._per_key)
            self._posts = PostsClient(
                self._http, self._settings, self._retry, slots=slots, workers=self._workers
            )
        return self._posts

    @property
    def opened(self) -> bool:
        return self._http is not None

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
