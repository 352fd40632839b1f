"""The installed server over raw stdio pipes, driven through warnings, errors and DEBUG logging.

Every line it writes to stdout must be a JSON-RPC message; the key must be on neither stream;
and a ``notifications/cancelled`` on the wire must drop the upstream request.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import threading
import time
from typing import Any

import pytest

from support.common import KEY, SCRIPT, leaks
from support.standin import StandInApi, respond, stall

LEGACY = "2025-11-25"
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "0"},
    "io.modelcontextprotocol/clientCapabilities": {},
}


class RawServer:
    """The server as a subprocess; stdout and stderr are drained by threads so DEBUG logs never
    fill a pipe, and every stdout line is kept for inspection."""

    def __init__(self, env: dict[str, str]) -> None:
        base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
        self.proc = subprocess.Popen(
            [str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**base, "PYTHONWARNINGS": "always", **env},
        )
        self.lines: list[bytes] = []
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.stderr = b""
        self._threads = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        self._next_id = 0

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            with contextlib.suppress(ValueError):  # reported by the test, which checks every line
                self.messages.put(json.loads(line))

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        self.stderr = self.proc.stderr.read()

    def send(self, message: dict[str, Any] | bytes) -> None:
        assert self.proc.stdin is not None
        data = message if isinstance(message, bytes) else json.dumps(message).encode() + b"\n"
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def request(self, method: str, params: dict[str, Any] | None = None, wait: bool = True) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self._next_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return self.response(self._next_id) if wait else self._next_id

    def response(self, request_id: int, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            message = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            if message.get("id") == request_id and "method" not in message:
                return message

    def call(self, name: str, arguments: Any, meta: dict[str, Any] | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"name": name, "arguments": arguments}
        if meta:
            params["_meta"] = meta
        reply: dict[str, Any] = self.request("tools/call", params)
        return reply

    def close(self) -> tuple[list[bytes], str]:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(15)
        finally:
            self.proc.kill()
        for thread in self._threads:
            thread.join(5)
        return self.lines, self.stderr.decode(errors="replace")


def handshake(server: RawServer) -> None:
    init = server.request(
        "initialize",
        {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
    )
    assert init["result"]["protocolVersion"] == LEGACY
    server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})


def assert_only_json_rpc(lines: list[bytes]) -> None:
    assert lines, "the server wrote nothing"
    for line in lines:
        message = json.loads(line)  # raises on anything that is not JSON
        assert isinstance(message, dict) and message.get("jsonrpc") == "2.0", line[:200]
        assert "id" in message or "method" in message, line[:200]


def result_text(response: dict[str, Any]) -> str:
    return " ".join(block.get("text", "") for block in response["result"]["content"])


@pytest.mark.skipif(not SCRIPT.exists(), reason="install the package first: pip install -e '.[test]'")
def test_stdout_carries_only_json_rpc_through_errors_faults_and_debug_logs(api: StandInApi) -> None:
    server = RawServer(
        {
            "GENVIRAL_API_KEY": KEY,
            "GENVIRAL_BASE_URL": api.base_url,
            "GENVIRAL_LOG_LEVEL": "DEBUG",
            "GENVIRAL_TIMEOUT": "1",
        }
    )
    try:
        handshake(server)
        tools = server.request("tools/list")["result"]["tools"]
        assert {tool["name"] for tool in tools} == {"list_posts", "get_delivery_summary"}
        ok = server.call("list_posts", {"limit": 2})
        assert not ok["result"].get("isError") and len(ok["result"]["structuredContent"]["posts"]) == 2
        bad = server.call("list_posts", {"limit": "many", "since": "\x00\u202e<b>", "zzz": None})
        assert bad["result"]["isError"] and "`zzz`" in result_text(bad)
        assert server.call("list_posts", {"limit": "many", "since": "\x00\u202e<b>"})["result"]["isError"]
        assert server.call("get_delivery_summary", {"max_items": [1], "published_since": 7})["result"][
            "isError"
        ]
        assert server.call("get_delivery_summary", {"max_posts": 5})["result"]["isError"]
        # Every attempt of every walk (6 statuses, 3 attempts each) fails: nothing read, an isError.
        before = len(api.requests)
        api.script(*[respond(502, "<html><body>Bad gateway</body></html>", "text/html")] * 18)
        gateway = server.call("get_delivery_summary", {})
        assert gateway["result"]["isError"] and "HTTP 502" in result_text(gateway)
        assert len(api.requests) - before == 18 and not api.faults
        api.script(respond(200, "not json", "application/json"))
        assert server.call("list_posts", {})["result"]["isError"]
        assert server.call("no_such_tool", {})["result"]["isError"]
        assert "error" in server.request("no/such/method", {})
        server.send(b"this is not json\n")
        server.send(b'{"jsonrpc": "2.0", "id": 99, "method": "tools/call", "params": "nope"}\n')
        server.send(b"\n")

        # Cancel over the wire: the stalled upstream request is dropped, and the next call works.
        dropped = threading.Event()
        api.script(stall(10.0, dropped))
        before = len(api.requests)
        pending = server.request("tools/call", {"name": "list_posts", "arguments": {}}, wait=False)
        deadline = time.monotonic() + 5
        while len(api.requests) == before and time.monotonic() < deadline:
            time.sleep(0.01)
        server.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": pending}})
        assert dropped.wait(3.0), "the upstream request outlived its cancellation"
        after = server.call("list_posts", {"limit": 1})
        assert not after["result"].get("isError")
        assert server.request("ping")["result"] == {}
    finally:
        lines, stderr = server.close()
    assert_only_json_rpc(lines)
    assert not any(json.loads(line).get("id") == pending for line in lines), "a cancelled call was answered"
    assert " DEBUG " in stderr and "genviral_mcp.client" in stderr, "DEBUG logging was not exercised"
    assert not leaks(b"".join(lines).decode() + stderr)
    assert "Traceback" not in stderr


@pytest.mark.skipif(not SCRIPT.exists(), reason="install the package first: pip install -e '.[test]'")
def test_stdout_stays_clean_when_misconfigured(api: StandInApi) -> None:
    """No key and a bad timeout: the server warns on stderr, starts, and answers isError (here in
    the 2026-07-28 era, where each request carries its version; the test above is handshake-era)."""
    server = RawServer({"GENVIRAL_TIMEOUT": "soon", "GENVIRAL_LOG_LEVEL": "DEBUG"})
    try:
        discover = server.request("server/discover", {"_meta": MODERN_META})
        assert "2026-07-28" in discover["result"]["supportedVersions"]
        modern = server.call("list_posts", {}, meta=MODERN_META)
        assert modern["result"]["isError"] and "GENVIRAL_TIMEOUT" in result_text(modern)
        summary = server.call("get_delivery_summary", {"max_posts": "1e999"}, meta=MODERN_META)
        assert summary["result"]["isError"]
        assert "error" in server.request("tools/list", {})  # no version in _meta: a protocol error
    finally:
        lines, stderr = server.close()
    assert_only_json_rpc(lines)
    assert "WARNING" in stderr and "Configuration problem: GENVIRAL_TIMEOUT" in stderr
    assert api.requests == []
