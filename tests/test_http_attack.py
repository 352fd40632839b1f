"""Hosted mode under hostile clients (issue 11, items 1, 10 and 11), against the real server process.

Every attack runs on 127.0.0.1 only, with bounded counts and time, and cleans up after itself.
"""

from __future__ import annotations

import contextlib
import resource
import selectors
import socket
import time
from collections.abc import Iterator

import httpx2
import pytest

from support.hosting import JSONRPC_HEADERS, Served, serving
from support.standin import StandInApi

IDLE = 1100
SLOW_HEADERS = 200
SLOW_BODIES = 50
FILE_LIMIT = 1024
TOOLS_LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}


@pytest.fixture
def limited_server(standin_server: StandInApi) -> Iterator[Served]:
    """Pass-through mode, limited to 1,024 open files (soft and hard: it cannot raise them)."""
    with serving({"GENVIRAL_BASE_URL": standin_server.shared_base_url}, file_limit=FILE_LIMIT) as served:
        yield served


def _enough_files_here(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted and hard >= wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    elif soft < wanted:
        pytest.skip(f"this test opens {wanted} sockets; the file limit here is {hard}")


def _open(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setblocking(False)
    return sock


def _closed_by_peer(sock: socket.socket) -> bool:
    try:
        return sock.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


@pytest.mark.attack
def test_idle_and_slow_clients_cannot_take_the_server_offline(limited_server: Served) -> None:
    """1,100 idle connections, 200 slow-header and 50 slow-body clients against a server limited to
    1,024 files: tools/list still answers in under 1 s, and every attack connection is closed
    within 15 s."""
    _enough_files_here(IDLE + SLOW_HEADERS + SLOW_BODIES + 200)
    port = limited_server.port
    head = f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode()
    body_head = head + b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
    attack: dict[socket.socket, str] = {}
    opened_at: dict[socket.socket, float] = {}
    lifetimes: list[float] = []
    started = time.monotonic()
    try:
        for kind, count, first in (
            ("idle", IDLE, b""),
            ("slow head", SLOW_HEADERS, head),
            ("slow body", SLOW_BODIES, body_head),
        ):
            for _ in range(count):
                sock = _open(port)
                opened_at[sock] = time.monotonic()
                if first:
                    sock.send(first)
                attack[sock] = kind
        last_opened = time.monotonic()
        opened = last_opened - started

        asked = time.monotonic()
        response = httpx2.post(limited_server.url, json=TOOLS_LIST, headers=JSONRPC_HEADERS, timeout=5.0)
        answered = time.monotonic() - asked
        assert response.status_code == 200, response.text
        assert {tool["name"] for tool in response.json()["result"]["tools"]} == {
            "list_posts",
            "get_delivery_summary",
        }
        assert "out of system resource" not in limited_server.stderr(), "ran out of files: accepts paused"
        assert answered < 1.0, f"tools/list took {answered:.2f} s under attack"

        selector = selectors.DefaultSelector()
        for sock in attack:
            selector.register(sock, selectors.EVENT_READ)
        open_ones = set(attack)
        last_drip = 0.0
        while open_ones and time.monotonic() - last_opened < 15.0:
            if time.monotonic() - last_drip >= 1.0:  # a byte a second: no read ever waits long
                last_drip = time.monotonic()
                for sock in list(open_ones):
                    if attack[sock] != "idle":
                        with contextlib.suppress(OSError):
                            sock.send(b"x")
            for key, _ in selector.select(timeout=0.2):
                ready = key.fileobj
                assert isinstance(ready, socket.socket)
                if _closed_by_peer(ready):
                    lifetimes.append(time.monotonic() - opened_at[ready])
                    selector.unregister(ready)
                    open_ones.discard(ready)
        all_closed = time.monotonic() - started
        left = {kind: sum(1 for s in open_ones if attack[s] == kind) for kind in set(attack.values())}
        assert not open_ones, f"still open 15 s after the last was opened: {left}"
        assert max(lifetimes) < 15.0, f"a connection lived {max(lifetimes):.1f} s"
        print(
            f"\nopened {len(attack)} attack connections in {opened:.1f} s; tools/list answered in "
            f"{answered * 1000:.0f} ms; every attack connection closed within {max(lifetimes):.1f} s of "
            f"opening (all closed {all_closed:.1f} s after the first was opened)"
        )
        assert httpx2.get(f"{limited_server.origin}/healthz", timeout=2.0).status_code == 200
    finally:
        for sock in attack:
            sock.close()


def _raw(served: Served, data: bytes, then_close: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        sock.sendall(data)
        if then_close:
            return b""
        return sock.recv(65536)


def _wait_for_log(served: Served, fragment: str, within: float = 3.0) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if fragment in served.stderr():
            break
        time.sleep(0.05)
    return served.stderr()


@pytest.fixture(scope="module")
def info_server(standin_server: StandInApi) -> Iterator[Served]:
    env = {"GENVIRAL_BASE_URL": standin_server.shared_base_url, "GENVIRAL_LOG_LEVEL": "INFO"}
    with serving(env) as served:
        yield served


def test_aborted_uploads_are_one_warning_line_without_a_traceback(info_server: Served) -> None:
    head = (
        f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{info_server.port}\r\nContent-Type: application/json\r\n"
        'Accept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{"jsonrpc"'
    ).encode()
    for _ in range(3):
        _raw(info_server, head)
    log = _wait_for_log(info_server, "hung up")
    time.sleep(0.3)
    log = info_server.stderr()
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]
    assert log.count("WARNING") == 1, "one line, not one per client: anyone can do this"
    assert "open-file limit" in log, "the limit in force is logged at start"


def test_a_non_ascii_bearer_gets_a_clean_401(info_server: Served) -> None:
    response = httpx2.post(
        info_server.url,
        json=TOOLS_LIST,
        headers=[
            *((k.encode(), v.encode()) for k, v in JSONRPC_HEADERS.items()),
            (b"authorization", b"Bearer gva_live_\xe9t\xe9.secret"),
        ],
    )
    assert response.status_code == 401, response.text
    assert "printable ASCII" in response.json()["error_description"]
    assert "Traceback" not in info_server.stderr() and "internal error" not in info_server.stderr()


def test_query_strings_are_never_logged(info_server: Served) -> None:
    secret = "qs-token-0123456789-canary"
    httpx2.get(f"{info_server.origin}/healthz?token={secret}")
    httpx2.post(f"{info_server.url}?key={secret}", json=TOOLS_LIST, headers=JSONRPC_HEADERS)
    log = _wait_for_log(info_server, "/healthz")
    assert "/healthz" in log, "the access log is on at INFO"
    assert secret not in log
