"""``get_delivery_summary(changed_since=…)`` on large scopes (issue 19's follow-up): does ``as_of`` move,
and at what cost, before and after, side by side in one run.

    .venv/bin/python benchmarks/cursor_scale.py                    # main vs this tree
    .venv/bin/python benchmarks/cursor_scale.py --baseline HEAD~3 --latency 0.1
    .venv/bin/python benchmarks/cursor_scale.py --no-baseline
    .venv/bin/python benchmarks/cursor_scale.py --baseline 974ce6b --write-docs   # write its table

Each scope is the test suite's news workspace (``tests/support/timeline.py``: news in the last hour),
``N`` old posted posts (500, 2,000, 4,500, 5,000), 300 old failures and 40 scheduled posts. For each
scope and each code (the baseline revision's ``src/genviral_mcp``, exported with ``git archive`` as
``benchmarks/tenants.py`` does, and this tree's), a fresh process runs the server in memory against
the stand-in API, served by this process on 127.0.0.1, and makes one call with ``changed_since`` an
hour ago, as an hourly job does. Reported: whether ``as_of`` moved (to now minus 15 minutes) or
stayed at ``changed_since``, the posts requests made, the call's wall time, and the server process's
RSS growth (its peak during the call minus its RSS before it; the stand-in's memory is not in it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "scripts"))

from revisions import Code, exported, this_tree
from tenants import rss_kb

from docblocks import write_block
from support.common import KEY, KEYS, NOW
from support.timeline import (
    ACTIVE_A,
    ACTIVE_B,
    ACTIVE_D,
    accounts_payload,
    failed,
    news_workspace,
    old_publications,
    waiting,
)

SCALES = (500, 2_000, 4_500, 5_000)
FAILURES = 300
CHANGED_SINCE = NOW - timedelta(hours=1)
MOVED = "2026-11-28T11:45:00.000Z"  # NOW minus the 15-minute margin


def scope(posted: int) -> list[dict[str, Any]]:
    """The news workspace, ``posted`` old posted posts, old failures and scheduled posts."""
    old = old_publications(posted, ACTIVE_A, NOW)
    failures = [
        failed(f"old-{index}", ACTIVE_B, NOW - timedelta(days=2, minutes=index), "spam_risk_too_many_posts")
        for index in range(FAILURES)
    ]
    scheduled = [
        waiting(f"next-{index}", ACTIVE_D, NOW + timedelta(hours=1, minutes=30 * index), status="scheduled")
        for index in range(40)
    ]
    return [*news_workspace(NOW), *old, *failures, *scheduled]


# --- the child: one server, one call -------------------------------------------------------------


def child(base_url: str) -> None:
    """One call with changed_since, in a fresh process running the code on PYTHONPATH."""
    import anyio
    from mcp import Client

    from genviral_mcp.config import Settings
    from genviral_mcp.server import build_server
    from genviral_mcp.timestamps import exact

    async def call() -> dict[str, Any]:
        settings = Settings.from_env({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": base_url})
        server = build_server(settings, clock=lambda: NOW)
        async with Client(server) as client:
            before = rss_kb(os.getpid())
            started = time.perf_counter()
            result = await client.call_tool("get_delivery_summary", {"changed_since": exact(CHANGED_SINCE)})
            seconds = time.perf_counter() - started
            body = result.structured_content or {}
            return {
                "seconds": seconds,
                "as_of": body.get("as_of"),
                "note": body.get("as_of_note"),
                "rss_before_kb": before,
                "rss_peak_kb": rss_kb(os.getpid(), "VmHWM"),
                "error": result.is_error,
            }

    print(json.dumps(anyio.run(call)))


# --- the parent: scopes, stand-in, table -------------------------------------------------------


def measure(code: Code, posted: int, latency: float) -> dict[str, Any]:
    from genviral_mcp.demo.emulator import PostsEmulator

    from support.standin import running

    with running(PostsEmulator(scope(posted), KEYS, accounts=accounts_payload())) as api:
        api.open_window()
        api.latency = latency
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([code.pythonpath, str(ROOT / "tests")])}
        out = subprocess.run(
            [sys.executable, __file__, "--child", api.base_url],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        figures: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        figures["requests"] = len(api.requests)
    return figures


def outcome_of(figures: dict[str, Any]) -> str:
    if figures["error"]:
        return "an error"
    if figures["as_of"] == MOVED:
        return "as_of moved"
    stopped = re.search(r"the (.+?) walks? stopped early", figures["note"] or "")
    return f"as_of stayed ({stopped[1] if stopped else figures['note']} stopped)"


def growth_mb(figures: dict[str, Any]) -> float:
    return float(figures["rss_peak_kb"] - figures["rss_before_kb"]) / 1024


def line(code: Code, posted: int, figures: dict[str, Any]) -> str:
    return (
        f"{posted:>6,} posted | {code.name:<22} | {outcome_of(figures):<30} "
        f"| {figures['requests']:>3} requests | "
        f"{figures['seconds']:6.2f} s | RSS +{growth_mb(figures):5.1f} MB"
    )


def docs_block(rows: list[tuple[int, Code, dict[str, Any]]], command: str, latency: float) -> str:
    """The table for benchmarks/README.md, its first line saying what was measured and how."""
    names = " against ".join(dict.fromkeys(code.name for _, code, _ in rows))
    said = (
        "Measured on the test scenario's news workspace (`tests/support/timeline.py`) plus N old posted "
        f"posts, {FAILURES:,} old failures and 40 scheduled posts, {names}, stand-in latency {latency:g} s "
        "a request, "
        f"on this 2-core machine shared with other work, by `{command}`:"
    )
    table = [
        "| posted posts | code | `as_of` | posts requests | wall time | RSS growth |",
        "|---:|---|---|---:|---:|---:|",
        *(
            f"| {posted:,} | {code.name} | {outcome_of(figures)} | {figures['requests']} "
            f"| {figures['seconds']:.2f} s | +{growth_mb(figures):.1f} MB |"
            for posted, code, figures in rows
        ),
    ]
    return "\n".join([said, "", *table]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="the revision to compare with (default main)")
    parser.add_argument("--no-baseline", action="store_true", help="measure this tree only")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the stand-in waits per request")
    parser.add_argument(
        "--write-docs", action="store_true", help="also write the table into benchmarks/README.md"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    with contextlib.ExitStack() as stack:
        codes = [] if args.no_baseline else [stack.enter_context(exported(args.baseline))]
        codes.append(this_tree())
        print(
            f"changed_since = 1 h ago; scope = news + N posted + {FAILURES:,} failed + 40 scheduled; "
            f"stand-in latency {args.latency} s per request"
        )
        rows = []
        for posted in SCALES:
            for code in codes:
                figures = measure(code, posted, args.latency)
                rows.append((posted, code, figures))
                print(line(code, posted, figures), flush=True)
    if args.write_docs:
        baseline = "--no-baseline" if args.no_baseline else f"--baseline {args.baseline}"
        latency = f" --latency {args.latency:g}" if args.latency else ""
        command = f".venv/bin/python benchmarks/cursor_scale.py {baseline}{latency} --write-docs"
        page = write_block("measured", "cursor-scale", docs_block(rows, command, args.latency))
        print(f"\nwrote the table into {page.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
