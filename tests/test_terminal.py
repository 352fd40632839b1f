"""The stdio server started by hand in a terminal (issue 11, item 7): it says what it is waiting for,
and Ctrl-C stops it at once, with one line, status 130 and no traceback. A line typed that is not
JSON-RPC gets one line on stderr saying what this is and how to try it (issue 18); stdout stays the
JSON-RPC wire."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import time

import pytest

from genviral_mcp.terminal import looks_like_json_rpc

from support.common import KEY, SCRIPT


def _env() -> dict[str, str]:
    passed = {name: os.environ[name] for name in ("PATH", "HOME", "PYTHONPATH") if name in os.environ}
    return {**passed, "GENVIRAL_API_KEY": KEY}


def _read_until(fd: int, fragment: bytes, within: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + within
    os.set_blocking(fd, False)
    while fragment not in seen and time.monotonic() < deadline:
        try:
            seen += os.read(fd, 4096)
        except BlockingIOError:
            time.sleep(0.02)
    return seen


def test_a_terminal_gets_one_line_saying_what_the_server_waits_for() -> None:
    leader, follower = pty.openpty()
    env = _env()
    process = subprocess.Popen(
        [str(SCRIPT)], stdin=follower, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    os.close(follower)
    try:
        assert process.stderr is not None
        line = _read_until(process.stderr.fileno(), b"\n", within=20.0).decode()
    finally:
        process.kill()
        process.wait()
        if process.stderr is not None:
            process.stderr.close()
        os.close(leader)
    assert "waits for an MCP host" in line and "Ctrl-C" in line and "check --demo" in line, line


def test_ctrl_c_in_a_terminal_stops_the_stdio_server_at_once() -> None:
    leader, follower = pty.openpty()  # stdin is a terminal, as when someone runs it by hand
    err_read, err_write = os.pipe()
    env = _env()
    process = subprocess.Popen(
        [str(SCRIPT)], stdin=follower, stdout=subprocess.DEVNULL, stderr=err_write, env=env
    )
    os.close(follower)
    os.close(err_write)
    try:
        _read_until(err_read, b"check --demo", within=5.0)  # started (the line above)
        time.sleep(1.0)  # let it settle into reading stdin
        process.send_signal(signal.SIGINT)
        sent = time.monotonic()
        try:
            code = process.wait(timeout=3.0)
        except subprocess.TimeoutExpired:
            code = None
        elapsed = time.monotonic() - sent
        rest = _read_until(err_read, b"\0", within=0.3).decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)
        os.close(err_read)
    assert code == 130, f"exit status {code} after {elapsed:.1f} s; stderr: {rest[-2000:]}"
    assert elapsed < 1.0
    assert "Traceback" not in rest and "KeyboardInterrupt" not in rest, rest
    assert rest.strip().splitlines() == ["genviral-mcp: interrupted (Ctrl-C); stopped."], rest


def test_no_notice_when_a_host_runs_it() -> None:
    """Started by a host (stdin a pipe), the server says nothing at start-up; EOF ends it cleanly."""
    env = _env()
    done = subprocess.run([str(SCRIPT)], input=b"", capture_output=True, env=env, timeout=30)
    assert done.returncode == 0
    assert b"waits for an MCP host" not in done.stderr


PING = {"jsonrpc": "2.0", "id": 7, "method": "ping"}


def test_a_line_that_is_not_json_rpc_gets_a_hint_on_stderr_and_stdout_stays_clean() -> None:
    leader, follower = pty.openpty()
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    process = subprocess.Popen([str(SCRIPT)], stdin=follower, stdout=out_write, stderr=err_write, env=_env())
    for fd in (follower, out_write, err_write):
        os.close(fd)
    try:
        _read_until(err_read, b"check --demo", within=20.0)  # started: the notice
        os.write(leader, b"hello\n")
        hint = _read_until(err_read, b"\n", within=5.0).decode()
        os.write(leader, json.dumps(PING).encode() + b"\n")  # JSON-RPC still works, and gets no hint
        answer = _read_until(out_read, b"\n", within=5.0)
        os.write(leader, b"\x04")  # Ctrl-D at the start of a line: end of input
        code = process.wait(timeout=10)
        rest = _read_until(err_read, b"\0", within=0.3).decode()
        tail = _read_until(out_read, b"\0", within=0.3)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for fd in (leader, out_read, err_read):
            os.close(fd)
    assert hint.strip().splitlines() == [hint.strip()], "one line"
    assert "not MCP (JSON-RPC)" in hint and "MCP server for a host" in hint and "check --demo" in hint
    assert json.loads(answer) == {"jsonrpc": "2.0", "id": 7, "result": {}}
    assert tail == b"", "stdout carried nothing but the answer"
    assert "not MCP" not in rest, "no hint for a JSON-RPC line"
    assert code == 0, rest


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"hello", False),
        (b"help me", False),
        (b"{not json", False),
        (b'{"method": "ping"}', False),
        (b"[1, 2]", False),
        (b"", True),
        (b"   ", True),
        (json.dumps(PING).encode(), True),
        (b'[{"jsonrpc": "2.0", "method": "x"}]', True),
    ],
)
def test_what_counts_as_json_rpc(line: bytes, expected: bool) -> None:
    assert looks_like_json_rpc(line) is expected
