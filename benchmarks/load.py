"""Load without amplification: N concurrent calls against a slow upstream, on production defaults.

    .venv/bin/python benchmarks/load.py                    # 200 calls, upstream answers in 3 s (~35 s)
    .venv/bin/python benchmarks/load.py --calls 100 --latency 1

Runs the stand-in API from the test suite on 127.0.0.1 and calls ``list_posts`` through an
in-memory MCP client, with the default RetryPolicy, GENVIRAL_TIMEOUT and 45 s tool deadline.
Reports how each call ended, how many requests reached the upstream, and call latencies.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import anyio
from mcp import Client
from mcp.types import CallToolResult

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from genviral_mcp.config import Settings
from genviral_mcp.demo.emulator import PLAN_OK, PostsEmulator
from genviral_mcp.demo.sample_data import sample_posts
from genviral_mcp.server import build_server

from support.standin import running

KEY = "gva_live_bench.secret-value"


async def burst(base_url: str, calls: int) -> list[tuple[float, CallToolResult]]:
    settings = Settings.from_env({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": base_url})
    outcomes: list[tuple[float, CallToolResult]] = []
    async with Client(build_server(settings)) as client:

        async def call() -> None:
            started = time.monotonic()
            result = await client.call_tool("list_posts", {"limit": 5})
            outcomes.append((time.monotonic() - started, result))

        async with anyio.create_task_group() as group:
            for _ in range(calls):
                group.start_soon(call)
    return outcomes


def kind(result: CallToolResult) -> str:
    if not result.is_error:
        return "result"
    text = result.content[0].text if result.content and result.content[0].type == "text" else ""
    if "busy" in text:
        return "busy, try again"
    return "error: " + text[:70]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--latency", type=float, default=3.0, help="seconds the upstream takes per answer")
    args = parser.parse_args()
    with running(PostsEmulator(sample_posts(datetime.now(timezone.utc), 50), {KEY: PLAN_OK})) as api:
        api.latency = args.latency
        started = time.monotonic()
        outcomes = anyio.run(burst, api.base_url, args.calls)
        wall = time.monotonic() - started
        requests = len(api.requests)
    counts: dict[str, int] = {}
    for _, result in outcomes:
        counts[kind(result)] = counts.get(kind(result), 0) + 1
    latencies = sorted(elapsed for elapsed, _ in outcomes)
    print(
        f"{args.calls} concurrent list_posts calls, upstream latency {args.latency:g} s, production defaults"
    )
    print(f"  answered: {len(outcomes)} of {args.calls}: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    print(f"  upstream requests: {requests} ({requests / args.calls:.2f} per call)")
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(
        f"  latency: p50 {statistics.median(latencies):.1f} s, p95 {p95:.1f} s, max {latencies[-1]:.1f} s; "
        f"wall {wall:.1f} s"
    )


if __name__ == "__main__":
    main()
