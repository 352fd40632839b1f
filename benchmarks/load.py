"""Load without amplification: N concurrent calls against a slow upstream, on production defaults.

    .venv/bin/python benchmarks/load.py                    # 200 calls, upstream answers in 3 s (~35 s)
    .venv/bin/python benchmarks/load.py --calls 100 --latency 1
    .venv/bin/python benchmarks/load.py --baseline 9455492 --write-docs   # beside a revision; docs' figures

Runs the stand-in API from the test suite on 127.0.0.1 and calls ``list_posts`` through an
in-memory MCP client, with the default RetryPolicy, GENVIRAL_TIMEOUT and 45 s tool deadline.
Reports how each call ended, how many requests reached the upstream, and call latencies. Each code
(``--baseline``'s ``src/genviral_mcp``, exported with ``git archive`` as ``benchmarks/tenants.py``
does, then this tree's) runs in a fresh process against a fresh stand-in in this process;
``--write-docs`` writes the table into docs/reliability.md (``measured:load``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "scripts"))

from revisions import Code, exported, this_tree

from docblocks import write_block

KEY = "gva_live_bench.secret-value"
#: The posts the stand-in serves (``sample_posts``), as the first line of the docs' block says.
POSTS = 50


# --- the child: one server, N calls --------------------------------------------------------------


def kind(result: Any) -> str:
    if not result.is_error:
        return "result"
    text = result.content[0].text if result.content and result.content[0].type == "text" else ""
    if "busy" in text:
        return "busy, try again"
    if "did not answer in time" in text:
        return '"did not answer in time"'
    return "error: " + text[:70]


def child(base_url: str, calls: int) -> None:
    """``calls`` concurrent ``list_posts``, in a fresh process running the code on PYTHONPATH."""
    import anyio
    from mcp import Client

    from genviral_mcp.config import Settings
    from genviral_mcp.server import build_server

    async def burst() -> list[tuple[float, str]]:
        settings = Settings.from_env({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": base_url})
        outcomes: list[tuple[float, str]] = []
        async with Client(build_server(settings)) as client:

            async def call() -> None:
                started = time.monotonic()
                result = await client.call_tool("list_posts", {"limit": 5})
                outcomes.append((time.monotonic() - started, kind(result)))

            async with anyio.create_task_group() as group:
                for _ in range(calls):
                    group.start_soon(call)
        return outcomes

    print(json.dumps(anyio.run(burst)))


# --- the parent: stand-in, figures ---------------------------------------------------------------


def measure(code: Code, calls: int, latency: float) -> dict[str, Any]:
    from genviral_mcp.demo.emulator import PLAN_OK, PostsEmulator
    from genviral_mcp.demo.sample_data import sample_posts

    from support.standin import running

    with running(PostsEmulator(sample_posts(datetime.now(timezone.utc), POSTS), {KEY: PLAN_OK})) as api:
        api.latency = latency
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([code.pythonpath, str(ROOT / "tests")])}
        started = time.monotonic()
        out = subprocess.run(
            [sys.executable, __file__, "--child", api.base_url, "--calls", str(calls)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        wall = time.monotonic() - started
        requests = len(api.requests)
    outcomes = [(float(seconds), str(ended)) for seconds, ended in json.loads(out.strip().splitlines()[-1])]
    counts: dict[str, int] = {}
    for _, ended in outcomes:
        counts[ended] = counts.get(ended, 0) + 1
    latencies = sorted(seconds for seconds, _ in outcomes)
    return {
        "code": code.name,
        "answered": len(outcomes),
        "counts": counts,
        "requests": requests,
        "p50": statistics.median(latencies),
        "p95": latencies[int(0.95 * (len(latencies) - 1))],
        "max": latencies[-1],
        "wall": wall,
    }


def report(figures: dict[str, Any], calls: int) -> str:
    ended = ", ".join(f"{n} {k}" for k, n in figures["counts"].items())
    return "\n".join(
        [
            f"{figures['code']}:",
            f"  answered: {figures['answered']} of {calls}: {ended}",
            f"  upstream requests: {figures['requests']} ({figures['requests'] / calls:.2f} per call)",
            f"  latency: p50 {figures['p50']:.1f} s, p95 {figures['p95']:.1f} s, max {figures['max']:.1f} s; "
            f"wall {figures['wall']:.1f} s",
        ]
    )


def docs_block(runs: list[dict[str, Any]], calls: int, latency: float, command: str) -> str:
    """The table for docs/reliability.md, its first line saying what was measured and how."""
    names = " against ".join(run["code"] for run in runs)
    said = (
        f"Measured on the load benchmark's {POSTS}-post workspace (`sample_posts`), {calls} concurrent "
        f"`list_posts(limit=5)`, the stand-in answering in {latency:g} s, production defaults, {names}, "
        f"on this 2-core machine shared with other work, by `{command}`:"
    )
    table = [
        "| code | answered | upstream requests | p50 / p95 / max latency |",
        "|---|---|---|---|",
        *(
            f"| {run['code']} | {', '.join(f'{n} {k}' for k, n in run['counts'].items())} "
            f"| {run['requests']} ({run['requests'] / calls:.2f} per call) "
            f"| {run['p50']:.1f} s / {run['p95']:.1f} s / {run['max']:.1f} s |"
            for run in runs
        ),
    ]
    return "\n".join([said, "", *table]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--latency", type=float, default=3.0, help="seconds the upstream takes per answer")
    parser.add_argument("--baseline", help="also measure this revision's code, first, side by side")
    parser.add_argument(
        "--write-docs", action="store_true", help="also write the table into docs/reliability.md"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.calls)
        return
    print(
        f"{args.calls} concurrent list_posts calls, upstream latency {args.latency:g} s, production defaults"
    )
    runs = []
    with contextlib.ExitStack() as stack:
        codes = [stack.enter_context(exported(args.baseline))] if args.baseline else []
        codes.append(this_tree())
        for code in codes:
            runs.append(measure(code, args.calls, args.latency))
            print(report(runs[-1], args.calls), flush=True)
    if args.write_docs:
        options = [
            *(["--baseline", args.baseline] if args.baseline else []),
            *(["--calls", str(args.calls)] if args.calls != 200 else []),
            *(["--latency", f"{args.latency:g}"] if args.latency != 3.0 else []),
        ]
        command = " ".join([".venv/bin/python benchmarks/load.py", *options, "--write-docs"])
        page = write_block("measured", "load", docs_block(runs, args.calls, args.latency, command))
        print(f"\nwrote the table into {page.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
