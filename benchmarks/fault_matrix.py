"""The fault matrix on production defaults: each fault, its outcome, attempts and time to answer.

    .venv/bin/python benchmarks/fault_matrix.py            # GENVIRAL_TIMEOUT 10 s, ~70 s in all
    .venv/bin/python benchmarks/fault_matrix.py --timeout 2

Runs the stand-in API from the test suite on 127.0.0.1 and calls ``list_posts`` through an
in-memory MCP client, with the default RetryPolicy and the 45 s tool deadline.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import anyio
from mcp import Client

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from genviral_mcp.client import MAX_BODY_BYTES
from genviral_mcp.config import Settings
from genviral_mcp.demo.emulator import PLAN_OK, PostsEmulator
from genviral_mcp.demo.sample_data import sample_posts
from genviral_mcp.server import build_server

from support.standin import Fault, drip, huge, reset_mid_body, respond, running, stall

KEY = "gva_live_bench.secret-value"
VALID = json.dumps({"ok": True, "code": 200, "message": "Posts retrieved", "data": {"posts": []}})


def envelope(code: int, message: str, error_code: str | None = None) -> str:
    return json.dumps({"ok": False, "code": code, "message": message, "error_code": error_code})


#: name -> (a fault per attempt, how many to script)
FAULTS: dict[str, tuple[Callable[[], Fault], int]] = {
    "stall longer than the timeout": (lambda: stall(120.0), 3),
    "drip-fed body (1 byte / 0.2 s)": (lambda: drip(VALID, 0.2), 3),
    "429 with Retry-After: 120": (lambda: respond(429, envelope(429, "Slow down"), retry_after="120"), 1),
    "429 with Retry-After: 1, then OK": (
        lambda: respond(429, envelope(429, "Slow down"), retry_after="1"),
        1,
    ),
    "503 twice, then OK": (lambda: respond(503, envelope(503, "Unavailable")), 2),
    "502 with an HTML page": (lambda: respond(502, "<html><body>Bad gateway</body></html>", "text/html"), 3),
    "500 list_failed": (lambda: respond(500, envelope(500, "Failed", "list_failed")), 2),
    "truncated JSON": (lambda: respond(200, VALID[:30]), 1),
    "200 with ok: false": (lambda: respond(200, envelope(200, "Unavailable")), 1),
    "wrong content type": (lambda: respond(200, VALID, "text/plain"), 1),
    "huge body (declared)": (lambda: huge(MAX_BODY_BYTES + 1), 1),
    "huge body (streamed)": (lambda: huge(MAX_BODY_BYTES + 1_000_000, declare_length=False), 1),
    "reset mid-body": (lambda: reset_mid_body(VALID), 3),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def measure(base_url: str, attempt_timeout: str, before: Callable[[], None]) -> tuple[bool, float, str]:
    settings = Settings.from_env(
        {"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": base_url, "GENVIRAL_TIMEOUT": attempt_timeout}
    )
    async with Client(build_server(settings)) as client:
        before()
        started = time.monotonic()
        result = await client.call_tool("list_posts", {"limit": 5})
        elapsed = time.monotonic() - started
    text = result.content[0].text if result.is_error and result.content[0].type == "text" else ""
    return bool(result.is_error), elapsed, text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", default="10", help="GENVIRAL_TIMEOUT (default: the default, 10)")
    args = parser.parse_args()
    print(f"GENVIRAL_TIMEOUT={args.timeout}, default RetryPolicy, 45 s tool deadline\n")
    print("| fault | outcome | requests | seconds | message (start) |")
    print("|---|---|---|---|---|")
    with running(PostsEmulator(sample_posts(datetime.now(timezone.utc), 50), {KEY: PLAN_OK})) as api:
        for name, (make, count) in FAULTS.items():
            api.reset()

            def script(make: Callable[[], Fault] = make, count: int = count) -> None:
                api.script(*[make() for _ in range(count)])

            failed, elapsed, text = anyio.run(measure, api.base_url, args.timeout, script)
            row(name, failed, len(api.requests), elapsed, text)
        url = f"http://127.0.0.1:{free_port()}/api/partner/v1"
        failed, elapsed, text = anyio.run(measure, url, args.timeout, lambda: None)
        row("connection refused", failed, 0, elapsed, text)


def row(name: str, failed: bool, requests: int, elapsed: float, text: str) -> None:
    outcome = "isError" if failed else "success"
    print(f"| {name} | {outcome} | {requests} | {elapsed:.2f} | {text[:90]} |", flush=True)


if __name__ == "__main__":
    main()
