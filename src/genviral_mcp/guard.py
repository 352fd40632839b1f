"""Hosted mode under hostile clients: connections that never finish a request are closed.

uvicorn (like most ASGI servers) times out a connection only between requests: one that connects
and sends nothing, or drips its request head a byte at a time, is kept for ever, and ~1,000 of them
exhaust the process's file limit so that no one else gets in. Hypercorn's ``read_timeout`` is per
read (a drip beats it) and Granian leaves silent connections open (field notes); none of them caps
open connections. So this module adds, on top of uvicorn's own HTTP/1.1 protocol (h11):

* **a deadline for the request head:** a connection must deliver a complete request head within
  ``HEAD_TIMEOUT`` seconds of opening (bytes arriving do not extend it), and the next one within
  ``idle + HEAD_TIMEOUT`` of the previous response;
* **a cap on open connections** derived from the file limit: at the cap a new connection closes the
  one that has waited longest without sending a request, so fresh clients always get in;
* **the file limit itself** raised from soft to hard at start, and logged.

The request *body* has its own deadline in ``http_app.Gate``, which reads it before the app does.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger(__name__)

#: Seconds a client has to send a complete request head.
HEAD_TIMEOUT = 10.0
#: File descriptors kept back from the connection cap: the listening socket, logs, the upstream pool
#: (20), and accept bursts: asyncio accepts up to ``ACCEPT_BACKLOG`` connections per wake-up and sets
#: them up (where the cap is enforced) an iteration or two later, so up to ``ACCEPT_BURSTS`` bursts
#: can be open before the first is counted. Running out of files would pause accepting for 1 s.
RESERVED_FILES = 96
ACCEPT_BACKLOG = 128
ACCEPT_BURSTS = 4
#: Never more open connections than this, however high the file limit.
MAX_OPEN_CONNECTIONS = 4096


def raise_file_limit() -> int:
    """Raise the soft limit on open files to the hard one; return the limit now in force."""
    if sys.platform == "win32":  # pragma: no cover - no RLIMIT_NOFILE there
        return MAX_OPEN_CONNECTIONS + RESERVED_FILES + ACCEPT_BACKLOG
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return int(wanted)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ValueError, OSError):
        return int(soft)
    return int(wanted)


def connection_cap(file_limit: int) -> int:
    return max(16, min(MAX_OPEN_CONNECTIONS, file_limit - RESERVED_FILES - ACCEPT_BURSTS * ACCEPT_BACKLOG))


@dataclass
class Registry:
    """The open connections of one server, and which of them are waiting for a request head."""

    cap: int
    idle_seconds: float
    head_timeout: float = HEAD_TIMEOUT
    open: int = 0
    closed_for_time: int = 0
    evicted: int = 0

    def __post_init__(self) -> None:
        #: Connections waiting for a request head, oldest first.
        self.waiting: OrderedDict[int, GuardedProtocol] = OrderedDict()


class GuardedProtocol(H11Protocol):
    """uvicorn's h11 protocol with a request-head deadline and a cap on open connections."""

    registry: Registry

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        registry = self.registry
        registry.open += 1
        if registry.open > registry.cap and not self._evict_one():
            self.transport.close()  # every connection is busy with a request: refuse this one
            return
        self._await_head(registry.head_timeout)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._head_timer is not None and self.conn.their_state is not h11.IDLE:
            self._head_arrived()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._await_head(self.registry.idle_seconds + self.registry.head_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._head_arrived()
        self.registry.open -= 1

    def _await_head(self, seconds: float) -> None:
        self._head_arrived()
        self.registry.waiting[id(self)] = self
        self._head_timer = self.loop.call_later(seconds, self._head_timed_out)

    def _head_arrived(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self.registry.waiting.pop(id(self), None)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        self.registry.waiting.pop(id(self), None)
        if not self.transport.is_closing():
            self.registry.closed_for_time += 1
            logger.debug("closing a connection that sent no complete request head in time")
            self.transport.close()

    def _evict_one(self) -> bool:
        """Close the connection that has waited longest for a request head (not this one)."""
        registry = self.registry
        for key, victim in registry.waiting.items():
            if victim is not self:
                del registry.waiting[key]
                victim._head_arrived()
                victim.transport.close()
                registry.evicted += 1
                return True
        return False


def guarded_protocol(
    cap: int, idle_seconds: float, head_timeout: float = HEAD_TIMEOUT
) -> type[GuardedProtocol]:
    """A protocol class for ``uvicorn.Config(http=...)`` with its own registry."""
    registry = Registry(cap=cap, idle_seconds=idle_seconds, head_timeout=head_timeout)
    return type("GuardedProtocol", (GuardedProtocol,), {"registry": registry})
