"""Enrichments fetched in the background, the same way for each: one fetch in flight per key and
subject, shared by every caller; the answer kept for a while; after a failure, no new attempt for a
while; and a call that needs it waits only briefly before answering without it.

An enrichment (``GET /accounts``, Genviral's analytics) only ever adds to a result. Its directory
subclasses :class:`Background`: ``async with`` it for the server's lifetime, and fetches run in its
own task group, so one that outlives the call that started it goes on for later calls, and is
cancelled at shutdown. Outside it (the ``check`` command), a fetch runs within the call and ends with
it. Each subject (a key scope's account list, a key's analytics for some dates) holds a
:class:`Refresh`: when it is due, its back-off and its fetch in flight.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import TypeVar

import anyio
from anyio.abc import TaskGroup

logger = logging.getLogger(__name__)

#: Once a call's posts are in, the longest it waits for an enrichment; after that it answers with
#: what it has and the fetch goes on for later calls.
ENRICHMENT_WAIT_SECONDS = 1.0

V = TypeVar("V")
D = TypeVar("D", bound="Background")


class FetchFailed(Exception):
    """An enrichment's fetch failed: ``reason`` is for the log (and, cleaned, for a result);
    ``definitive`` (a refusal that a retry in a minute would only repeat) keeps the failure as
    long as an answer would be kept."""

    def __init__(self, reason: str, *, definitive: bool = False, logged: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.definitive = definitive
        #: The fetch already logged why (at INFO): it is not logged again.
        self.logged = logged


@dataclass
class Flight:
    """One fetch in flight; every caller that needs it waits on ``done``."""

    requested_at: float
    done: anyio.Event = field(default_factory=anyio.Event)
    ok: bool = False


@dataclass
class Refresh:
    """One subject's fetching state: when to ask again, not before when after a failure, the fetch
    in flight, and the last failure (while no answer came since)."""

    #: When to ask again (``None`` before the first ask), and not before ``retry_at`` after a failure.
    due: float | None = None
    retry_at: float = -math.inf
    inflight: Flight | None = None
    failure: FetchFailed | None = None


@dataclass
class Background:
    """The task group enrichment fetches run in, and the single-flight, cache and back-off rules."""

    clock: Callable[[], float] = time.monotonic
    wait_seconds: float = ENRICHMENT_WAIT_SECONDS
    _group: TaskGroup | None = None
    _stack: AsyncExitStack | None = None

    async def __aenter__(self: D) -> D:
        self._stack = AsyncExitStack()
        self._group = await self._stack.enter_async_context(anyio.create_task_group())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        group, stack = self._group, self._stack
        self._group = self._stack = None
        if group is not None and stack is not None:
            group.cancel_scope.cancel()  # fetches in flight end here, before the HTTP client closes
            await stack.__aexit__(exc_type, exc, traceback)

    @property
    def running(self) -> bool:
        """Entered: fetches run in the directory's own group and outlive their call."""
        return self._group is not None

    @asynccontextmanager
    async def call_group(self) -> AsyncIterator[TaskGroup]:
        """Where a call starts fetches: the directory's group while it runs; outside it, a group
        that is cancelled when the call's block ends (a fetch then ends with its call)."""
        async with anyio.create_task_group() as local:
            try:
                yield self._group or local
            finally:
                local.cancel_scope.cancel()

    def start(
        self,
        refresh: Refresh,
        group: TaskGroup,
        fetch: Callable[[], Awaitable[V]],
        keep: Callable[[V, float], None],
        *,
        cache_seconds: float,
        retry_seconds: float,
        what: str,
    ) -> Flight | None:
        """The fetch in flight for this subject, started if there is none; ``None`` while backing off.

        ``fetch`` answers or raises (:class:`FetchFailed` for a failure it understood); the answer
        goes to ``keep(answer, requested_at)`` and is due again in ``cache_seconds``. A failure is
        logged at INFO under ``what``, and no fetch starts for ``retry_seconds`` (``cache_seconds``
        for a definitive one); an answer kept earlier stays.
        """
        if refresh.inflight is not None:
            return refresh.inflight
        if self.clock() < refresh.retry_at:
            return None
        flight = Flight(requested_at=self.clock())
        refresh.inflight = flight
        group.start_soon(self._run, refresh, flight, fetch, keep, cache_seconds, retry_seconds, what)
        return flight

    async def _run(
        self,
        refresh: Refresh,
        flight: Flight,
        fetch: Callable[[], Awaitable[V]],
        keep: Callable[[V, float], None],
        cache_seconds: float,
        retry_seconds: float,
        what: str,
    ) -> None:
        failure: FetchFailed | None = None
        answer: tuple[V] | None = None
        try:
            answer = (await fetch(),)
        except FetchFailed as exc:
            failure = exc
            if not exc.logged:
                logger.info("%s", exc.reason)
        except Exception as exc:  # an enrichment never fails a call, nor the server's task group
            failure = FetchFailed(f"{what} failed ({type(exc).__name__})")
            logger.info("%s failed (%s)", what, type(exc).__name__)
        finally:
            now = self.clock()
            if answer is not None:
                keep(answer[0], flight.requested_at)
                refresh.due = now + cache_seconds
                refresh.failure = None
                flight.ok = True
            else:
                failure = failure or FetchFailed(f"{what} was cancelled")
                refresh.failure = failure
                refresh.retry_at = now + (cache_seconds if failure.definitive else retry_seconds)
            refresh.inflight = None
            flight.done.set()

    async def wait(self, flight: Flight, deadline: float) -> bool:
        """Wait for ``flight`` until ``deadline`` (``anyio.current_time()``'s clock); ``True`` when
        it answered."""
        with anyio.move_on_after(max(0.0, deadline - anyio.current_time())):
            await flight.done.wait()
        return flight.ok
