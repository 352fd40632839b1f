"""A stand-in Genviral API: a real HTTP server on 127.0.0.1 built from the endpoint contract.

It serves :class:`genviral_mcp.demo.emulator.PostsEmulator` at ``/api/partner/v1/posts`` (and
``/accounts``, ``/analytics/summary/posts`` and ``/analytics/targets``), records every request it
gets, counts the connections it holds, and can be scripted with faults that replace the next
answers of one endpoint (wrong answers, stalls, drip-fed, huge or broken bodies).

**Recording windows.** One stand-in serves the whole session, and a request from an earlier test can
still arrive after the next test has begun: a cancelled ``/accounts`` fetch whose bytes sit in the
listen backlog (the connection is not counted until the server thread accepts it), or an
enrichment a server lets finish in the background. :meth:`StandInApi.open_window` gives each test
its own base URL, ``…/w/<token>/api/partner/v1``. A request under an older window's prefix is
answered normally, but it is not recorded and consumes no scripted fault: it can never be counted
as the current test's. Requests under :attr:`StandInApi.shared_base_url` (no prefix; for servers
that outlive one test, such as module-scoped ones) are recorded in whatever window is open.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from genviral_mcp.demo.emulator import PostsEmulator

API_PATH = "/api/partner/v1"
POSTS_PATH = f"{API_PATH}/posts"
ACCOUNTS_PATH = f"{API_PATH}/accounts"
ANALYTICS_PATH = f"{API_PATH}/analytics/summary/posts"
TARGETS_PATH = f"{API_PATH}/analytics/targets"
#: A window's requests are under ``/w/<token>``; tokens never repeat within a process.
WINDOW_PREFIX = "/w/"
_tokens = count(1)

Fault = Callable[[BaseHTTPRequestHandler], None]


@dataclass(frozen=True)
class Recorded:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


def split_window(raw_path: str) -> tuple[str | None, str]:
    """``("<token>", "/api/…")`` for a windowed path, ``(None, path)`` for a shared one."""
    if raw_path.startswith(WINDOW_PREFIX):
        token, slash, rest = raw_path[len(WINDOW_PREFIX) :].partition("/")
        return token, slash + rest
    return None, raw_path


def respond(status: int, body: bytes | str, content_type: str = "application/json", **headers: str) -> Fault:
    """A fault that answers with exactly this status, body and headers."""
    payload = body.encode() if isinstance(body, str) else body

    def fault(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("content-type", content_type)
        handler.send_header("content-length", str(len(payload)))
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.end_headers()
        try:
            handler.wfile.write(payload)
        except OSError:  # the client stopped reading: fine
            handler.close_connection = True

    return fault


def peer_closed(handler: BaseHTTPRequestHandler) -> bool:
    """True once the client has dropped the connection (readable, but nothing to read)."""
    sock = handler.connection
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def stall(seconds: float, dropped: threading.Event | None = None) -> Fault:
    """A fault that says nothing for ``seconds``, then closes the connection.

    It stops early if the client drops the connection, and then sets ``dropped``.
    """

    def fault(handler: BaseHTTPRequestHandler) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if peer_closed(handler):
                if dropped is not None:
                    dropped.set()
                break
            time.sleep(0.01)
        handler.close_connection = True

    return fault


def _head(
    handler: BaseHTTPRequestHandler, length: int | None, content_type: str = "application/json"
) -> None:
    handler.send_response(200)
    handler.send_header("content-type", content_type)
    if length is None:
        handler.send_header("connection", "close")  # the body ends when the connection does
    else:
        handler.send_header("content-length", str(length))
    handler.end_headers()
    handler.close_connection = True


def drip(body: bytes | str, interval: float, dropped: threading.Event | None = None) -> Fault:
    """A 200 whose body arrives one byte every ``interval`` seconds: each read is quick, the
    whole is not. Sets ``dropped`` when the client hangs up before the end."""
    payload = body.encode() if isinstance(body, str) else body

    def fault(handler: BaseHTTPRequestHandler) -> None:
        _head(handler, len(payload))
        try:
            for i in range(len(payload)):
                if peer_closed(handler):
                    raise ConnectionResetError
                handler.wfile.write(payload[i : i + 1])
                time.sleep(interval)
        except OSError:
            if dropped is not None:
                dropped.set()

    return fault


def reset_mid_body(body: bytes | str) -> Fault:
    """A 200 that sends half its declared body, then resets the connection (TCP RST)."""
    payload = body.encode() if isinstance(body, str) else body

    def fault(handler: BaseHTTPRequestHandler) -> None:
        _head(handler, len(payload))
        handler.wfile.write(payload[: len(payload) // 2])
        time.sleep(0.05)  # let the half arrive before the reset
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()

    return fault


def huge(size: int, declare_length: bool = True) -> Fault:
    """A 200 "JSON" body of ``size`` bytes, with a Content-Length or (``False``) without one."""

    def fault(handler: BaseHTTPRequestHandler) -> None:
        _head(handler, size if declare_length else None)
        chunk = b" " * 65536
        sent = 0
        try:
            while sent < size:
                handler.wfile.write(chunk[: size - sent])
                sent += len(chunk)
        except OSError:  # refused part-way: expected
            pass

    return fault


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # bursts of concurrent connects must not overflow the backlog


class StandInApi:
    def __init__(self, emulator: PostsEmulator, port: int = 0) -> None:
        self.emulator = emulator
        #: Every request of the open window; ``requests`` is those for posts, ``account_requests``
        #: those for accounts.
        self.all_requests: list[Recorded] = []
        #: Requests that arrived under an earlier window's prefix: answered, never recorded above.
        self.late_requests: list[Recorded] = []
        #: The open window's token; ``None`` until :meth:`open_window` (then base_url is the shared one).
        self.window: str | None = None
        self.faults: deque[Fault] = deque()
        self.account_faults: deque[Fault] = deque()
        self.analytics_faults: deque[Fault] = deque()
        self.target_faults: deque[Fault] = deque()
        self.matching_faults: list[tuple[Callable[[dict[str, str]], bool], Fault]] = []
        self.latency = 0.0
        #: Connections accepted in all, open now, and open at most at once.
        self.connections = self.open_connections = self.peak_connections = 0
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", port), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def shared_base_url(self) -> str:
        """The base URL outside any window: for servers that outlive one test."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{API_PATH}"

    @property
    def base_url(self) -> str:
        """The open window's base URL (the shared one when no window is open)."""
        if self.window is None:
            return self.shared_base_url
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{WINDOW_PREFIX}{self.window}{API_PATH}"

    def open_window(self) -> str:
        """Start a fresh recording window (and :meth:`reset`): what earlier windows' servers send from
        now on is answered but never recorded, and takes no scripted fault."""
        with self._lock:
            self.window = f"t{next(_tokens)}"
        self.reset()
        return self.window

    def start(self) -> StandInApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def requests(self) -> list[Recorded]:
        return [entry for entry in self.all_requests if entry.path == POSTS_PATH]

    @property
    def account_requests(self) -> list[Recorded]:
        return [entry for entry in self.all_requests if entry.path == ACCOUNTS_PATH]

    @property
    def analytics_requests(self) -> list[Recorded]:
        return [entry for entry in self.all_requests if entry.path == ANALYTICS_PATH]

    @property
    def target_requests(self) -> list[Recorded]:
        return [entry for entry in self.all_requests if entry.path == TARGETS_PATH]

    def reset(self) -> None:
        with self._lock:
            self.all_requests.clear()
            self.late_requests.clear()
            self.faults.clear()
            self.account_faults.clear()
            self.analytics_faults.clear()
            self.target_faults.clear()
            self.matching_faults.clear()
            self.connections = 0
            self.peak_connections = self.open_connections
        self.latency = 0.0

    def _count(self, delta: int) -> None:
        with self._lock:
            self.open_connections += delta
            if delta > 0:
                self.connections += 1
                self.peak_connections = max(self.peak_connections, self.open_connections)

    def script(self, *faults: Fault) -> None:
        """Answer the next posts requests with these faults, in order, then normally again."""
        with self._lock:
            self.faults.extend(faults)

    def script_matching(self, match: Callable[[dict[str, str]], bool], fault: Fault) -> None:
        """Answer the first posts request whose query ``match`` accepts with ``fault``."""
        with self._lock:
            self.matching_faults.append((match, fault))

    def script_accounts(self, *faults: Fault) -> None:
        """Answer the next accounts requests with these faults."""
        with self._lock:
            self.account_faults.extend(faults)

    def script_analytics(self, *faults: Fault) -> None:
        """Answer the next analytics requests (``/analytics/summary/posts``) with these faults."""
        with self._lock:
            self.analytics_faults.extend(faults)

    def script_targets(self, *faults: Fault) -> None:
        """Answer the next ``/analytics/targets`` requests with these faults."""
        with self._lock:
            self.target_faults.extend(faults)

    def _next_fault(self, path: str, query: dict[str, str]) -> Fault | None:
        queues = {
            POSTS_PATH: self.faults,
            ACCOUNTS_PATH: self.account_faults,
            ANALYTICS_PATH: self.analytics_faults,
            TARGETS_PATH: self.target_faults,
        }
        queue = queues.get(path)
        if queue is None:
            return None
        with self._lock:
            if path == POSTS_PATH:
                for index, (match, fault) in enumerate(self.matching_faults):
                    if match(query):
                        del self.matching_faults[index]
                        return fault
            return queue.popleft() if queue else None

    def _record(self, token: str | None, entry: Recorded) -> bool:
        """Record ``entry`` in the open window; ``False`` (kept apart) when it belongs to an older one."""
        with self._lock:
            current = token is None or token == self.window
            (self.all_requests if current else self.late_requests).append(entry)
            return current

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: with Nagle on, the body waits for a
            # delayed ACK (~40 ms) on every kept-alive request.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                api._count(+1)

            def finish(self) -> None:
                try:
                    super().finish()
                except OSError:
                    pass
                finally:
                    api._count(-1)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                token, path = split_window(parts.path)
                query = dict(parse_qsl(parts.query))
                current = api._record(
                    token, Recorded(path, query, {k.lower(): v for k, v in self.headers.items()})
                )
                if api.latency:
                    time.sleep(api.latency)
                fault = api._next_fault(path, query) if current else None
                if fault is not None:
                    fault(self)
                    return
                authorization = self.headers.get("authorization")
                if path == POSTS_PATH:
                    answer = api.emulator.handle(query, authorization)
                elif path == ACCOUNTS_PATH:
                    answer = api.emulator.handle_accounts(authorization)
                elif path == ANALYTICS_PATH:
                    answer = api.emulator.handle_analytics(query, authorization)
                elif path == TARGETS_PATH:
                    answer = api.emulator.handle_targets(authorization)
                else:
                    respond(404, '{"ok": false, "code": 404, "message": "Not found"}')(self)
                    return
                respond(answer.status, answer.body, answer.headers.get("content-type", "application/json"))(
                    self
                )

        return Handler


@contextmanager
def running(emulator: PostsEmulator, port: int = 0) -> Iterator[StandInApi]:
    api = StandInApi(emulator, port).start()
    try:
        yield api
    finally:
        api.stop()
