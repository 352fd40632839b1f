"""How many delivery summaries run at once: per key and in all.

A summary is the one call whose cost grows with the scope: its survey keeps up to its memory
bound, and its analysis and shaping take a worker thread. So a hosted server bounds how many run
at once for one key and in total, and a call over either bound is refused at once, before anything
is fetched, with "busy, try again in N s": never left to hang. Over stdio one person runs them: a
call over the bound (never below 2, so a dashboard refresh beside an agent's call always runs)
waits for a place instead, as long as its deadline allows, and only then is told it is busy.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio

from genviral_mcp.client import key_digest
from genviral_mcp.config import ApiKey
from genviral_mcp.errors import GenviralError


@dataclass(frozen=True)
class SummaryLimits:
    """Summaries running at once: for any one key, and in all; and how long a call over either
    bound may wait for a place (0: refused at once)."""

    per_key: int
    total: int
    wait_seconds: float = 0.0


#: Hosted pass-through: one tenant runs at most 2 at once, a quarter of the 8; the rest are refused.
HOSTED = SummaryLimits(per_key=2, total=8)
#: Hosted with a held key: every caller shares the one key, so only the total bounds them.
HELD_KEY = SummaryLimits(per_key=8, total=8)
#: Over stdio: one person's agent and dashboard; a burst of 10 first calls (issue 17's own figure)
#: runs at once, and past that a call waits for a place.
SINGLE_KEY = SummaryLimits(per_key=10, total=10, wait_seconds=30.0)
#: Of a call's deadline, this much is kept for the summary itself when it waits for a place.
_RESERVE_SECONDS = 10.0


class SummaryBusy(GenviralError):
    """Too many summaries are running already: nothing was fetched."""


class SummaryGate:
    """Admits a summary while its key and the server are under their bounds.

    The "try again in N s" is when the oldest of the summaries in the way is expected to end,
    going by how long recent summaries took.
    """

    def __init__(
        self, limits: SummaryLimits = SINGLE_KEY, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = SummaryLimits(max(1, limits.per_key), max(1, limits.total), limits.wait_seconds)
        self._clock = clock
        #: Start times of the summaries running now, by key digest (a key without one is dropped).
        self._running: dict[bytes, list[float]] = {}
        self._freed = anyio.Event()
        #: A running average of how long a summary takes, for the hint.
        self.typical_seconds = 3.0

    @property
    def running(self) -> int:
        return sum(len(starts) for starts in self._running.values())

    @asynccontextmanager
    async def admitted(self, key: ApiKey) -> AsyncIterator[None]:
        """Hold a place for one summary of ``key``; raise :class:`SummaryBusy` when there is none,
        at once or (``wait_seconds``) once waiting for one has used what the deadline allows."""
        digest = key_digest(key)
        left = anyio.current_effective_deadline() - anyio.current_time() - _RESERVE_SECONDS
        with anyio.move_on_after(max(0.0, min(self.limits.wait_seconds, left))):
            while (refusal := self._refusal(digest)) is not None:
                await self._freed.wait()
        if refusal is not None:
            raise refusal
        started = self._clock()
        self._running.setdefault(digest, []).append(started)
        try:
            yield
        finally:
            starts = self._running[digest]
            starts.remove(started)
            if not starts:
                del self._running[digest]
            self.typical_seconds = 0.8 * self.typical_seconds + 0.2 * (self._clock() - started)
            self._freed.set()
            self._freed = anyio.Event()

    def _refusal(self, digest: bytes) -> SummaryBusy | None:
        mine = self._running.get(digest, [])
        if len(mine) >= self.limits.per_key:
            return SummaryBusy(
                f"genviral-mcp is busy: this key already has {len(mine)} delivery summaries running, the "
                f"most one key may run at once. Nothing was fetched. Try again in {self._wait(mine)} s."
            )
        if self.running >= self.limits.total:
            everyone = [start for starts in self._running.values() for start in starts]
            return SummaryBusy(
                f"genviral-mcp is busy: {len(everyone)} delivery summaries are running for its callers, the "
                f"most it runs at once. Nothing was fetched. Try again in {self._wait(everyone)} s."
            )
        return None

    def _wait(self, starts: list[float]) -> int:
        oldest = min(starts, default=self._clock())
        return max(1, math.ceil(self.typical_seconds - (self._clock() - oldest)))
