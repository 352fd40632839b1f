"""CPU-heavy work off the event loop, in a bounded number of worker threads.

The event loop serves every caller at once, and a load balancer's health check with them. Parsing an
8 MB page, or analysing and shaping a summary over tens of thousands of deliveries, would hold it
for seconds: every other tenant would freeze. Such work runs here instead, in at most ``size``
threads at once (the GIL makes more pointless, and each holds a page or a survey in memory).

A worker thread cannot be cancelled. When a call's deadline passes while its work runs, the call
stops waiting and answers at once; the thread runs on until its (bounded) work ends, and keeps its
place in the bound until then, so abandoned work can never pile up threads. Work whose caller gave
up before a thread took it is skipped. The threads start from a copy of the caller's context, so
context variables (the call's key, for redaction) reach them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import anyio
import anyio.abc

T = TypeVar("T")

#: Threads running work at once: the machine's cores are shared with the loop, and a survey's
#: pages are parsed one per thread, so this also bounds the memory parsing holds at one time.
WORKER_THREADS = 2


class WorkerAbandoned(Exception):
    """The caller stopped waiting before a thread took the work: it was never run."""


@dataclass
class _Job(Generic[T]):
    func: Callable[[], T]
    abandoned: bool = False
    #: ``(result,)`` once ``func`` returned; ``error`` once it raised.
    outcome: tuple[T] | None = None
    error: BaseException | None = None

    def run(self) -> T:
        if self.abandoned:
            raise WorkerAbandoned
        return self.func()


class Workers:
    """At most ``size`` worker threads at once, each counted from admission until its thread ends.

    :meth:`run` needs the long-lived task group given to :meth:`serve` (the server's lifespan):
    the thread is awaited there, not in the caller's task, so a caller that gives up leaves the
    work, and its place, to end by themselves.
    """

    def __init__(self, size: int = WORKER_THREADS) -> None:
        self.size = size
        self._places = anyio.Semaphore(size)
        self._threads = anyio.CapacityLimiter(size)
        self._group: anyio.abc.TaskGroup | None = None
        #: Threads running now (those abandoned by their caller included), and at most at once.
        self.running = 0
        self.most_running = 0

    def serve(self, group: anyio.abc.TaskGroup) -> None:
        self._group = group

    async def run(self, func: Callable[[], T]) -> T:
        """``func()`` in a worker thread; waiting for a place and for the result are cancellable."""
        if self._group is None:  # not serving (a bare client, as ``check`` builds): run it here
            return func()
        job: _Job[T] = _Job(func)
        finished = anyio.Event()
        await self._places.acquire()
        try:
            self._group.start_soon(self._work, job, finished)
        except BaseException:
            self._places.release()
            raise
        try:
            await finished.wait()
        except BaseException:
            job.abandoned = True
            raise
        if job.error is not None:
            raise job.error
        if job.outcome is None:  # the server is shutting down: the thread was never started
            raise WorkerAbandoned
        return job.outcome[0]

    async def _work(self, job: _Job[T], finished: anyio.Event) -> None:
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            job.outcome = (await anyio.to_thread.run_sync(job.run, limiter=self._threads),)
        except WorkerAbandoned:
            pass
        except Exception as exc:
            job.error = exc
        finally:
            self.running -= 1
            self._places.release()
            finished.set()
