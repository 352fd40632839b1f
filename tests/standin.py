"""A stand-in Genviral API: a real HTTP server on 127.0.0.1 built from the endpoint contract.

It serves :class:`genviral_mcp.emulator.PostsEmulator` at ``/api/partner/v1/posts``, records
every request it gets, and can be scripted with faults that replace the next answers.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from genviral_mcp.emulator import PostsEmulator

POSTS_PATH = "/api/partner/v1/posts"

Fault = Callable[[BaseHTTPRequestHandler], None]


@dataclass(frozen=True)
class Recorded:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


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
        handler.wfile.write(payload)

    return fault


def stall(seconds: float) -> Fault:
    """A fault that says nothing for ``seconds``, then closes the connection."""

    def fault(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        handler.close_connection = True

    return fault


class StandInApi:
    def __init__(self, emulator: PostsEmulator) -> None:
        self.emulator = emulator
        self.requests: list[Recorded] = []
        self.faults: deque[Fault] = deque()
        self.latency = 0.0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/partner/v1"

    def start(self) -> StandInApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.faults.clear()
        self.latency = 0.0

    def script(self, *faults: Fault) -> None:
        """Answer the next requests with these faults, in order, then normally again."""
        with self._lock:
            self.faults.extend(faults)

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self.faults.popleft() if self.faults else None

    def _record(self, entry: Recorded) -> None:
        with self._lock:
            self.requests.append(entry)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                api._record(
                    Recorded(
                        parts.path,
                        dict(parse_qsl(parts.query)),
                        {k.lower(): v for k, v in self.headers.items()},
                    )
                )
                if api.latency:
                    time.sleep(api.latency)
                fault = api._next_fault()
                if fault is not None:
                    fault(self)
                    return
                if parts.path != POSTS_PATH:
                    respond(404, '{"ok": false, "code": 404, "message": "Not found"}')(self)
                    return
                answer = api.emulator.handle(dict(parse_qsl(parts.query)), self.headers.get("authorization"))
                respond(answer.status, answer.body, answer.headers.get("content-type", "application/json"))(
                    self
                )

        return Handler


@contextmanager
def running(emulator: PostsEmulator) -> Iterator[StandInApi]:
    api = StandInApi(emulator).start()
    try:
        yield api
    finally:
        api.stop()
