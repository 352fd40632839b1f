"""Wall time and upstream requests of a default ``get_delivery_summary``, side by side with its
baselines, against the stand-in API (``tests/support/standin.py``, real HTTP on 127.0.0.1) answering
every request in 150 ms.

Run from the repository root (after ``pip install -e '.[dev]'``)::

    .venv/bin/python benchmarks/summary_latency.py
    .venv/bin/python benchmarks/summary_latency.py --write-docs   # and write the table into its README

Three ways to read the same scope, alternated run by run so machine load hits each alike:

* **concurrent** (what the server does): one walk per status, all at once, plus ``/accounts``;
* **sequential**: the very same walks awaited one after another: the whole-scope answer without
  concurrency;
* **old default**: the summary before the everyday-questions issue, one page of the newest 100
  posts by creation time; fast, but it misses whatever was created earlier (not an answer).

The scope is the test scenario (``tests/support/scenario.py``): at most 130 posts in any one status.
A last row reads the sample workspace (300 posts, some ``deleted`` and ``void``) the concurrent way:
the counters say posts exist that no status filter reaches, so the summary also walks every status
once the ``retry`` walk has ended, page after page (issue 16).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))

from genviral_mcp.accounts import AccountDirectory
from genviral_mcp.client import PostsClient, build_http_client
from genviral_mcp.config import ApiKey, Settings
from genviral_mcp.demo.emulator import PostsEmulator
from genviral_mcp.demo.sample_data import sample_accounts, sample_posts
from genviral_mcp.paging import walk_status
from genviral_mcp.query import MAX_LIMIT, PostsQuery, WalkLimits
from genviral_mcp.survey import ATTENTION_WALKS, PUBLISHED_WALKS, survey_scope

from docblocks import write_block
from support.scenario import NOW, accounts_payload, scenario_posts
from support.standin import StandInApi, running

KEY = "gva_live_bench0000.SECRET-bench"
LATENCY = 0.15
RUNS = 7
#: The last row's workspace: the benchmarks' 300 sample posts, more than the demo's 200.
POSTS = 300


Way = Callable[[PostsClient, ApiKey], Awaitable[object]]


async def concurrent(client: PostsClient, key: ApiKey) -> object:
    return await survey_scope(client, AccountDirectory(), key, NOW, WalkLimits())


async def sequential(client: PostsClient, key: ApiKey) -> object:
    await client.fetch_accounts(key)
    for status in ATTENTION_WALKS:
        await walk_status(client, key, status, WalkLimits())
    for status in PUBLISHED_WALKS:
        await walk_status(client, key, status, WalkLimits(), until=NOW)
    return None


async def old_default(client: PostsClient, key: ApiKey) -> object:
    return await client.fetch(PostsQuery(limit=MAX_LIMIT), key)


def measure(api: StandInApi, settings: Settings, way: Way) -> tuple[float, int]:
    async def run() -> float:
        async with build_http_client(settings) as http:
            client = PostsClient(http, settings)
            started = time.perf_counter()
            await way(client, settings.require_ready())
            return time.perf_counter() - started

    api.reset()
    api.latency = LATENCY  # reset() clears it
    elapsed = anyio.run(run)
    return elapsed, len(api.all_requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--write-docs", action="store_true", help="also write the table into benchmarks/README.md"
    )
    args = parser.parse_args()
    emulator = PostsEmulator(scenario_posts(), {KEY: "ok"}, accounts=accounts_payload())
    ways: dict[str, Way] = {"concurrent": concurrent, "sequential": sequential, "old default": old_default}
    times: dict[str, list[float]] = {name: [] for name in ways}
    requests: dict[str, int] = {}
    with running(emulator) as api:
        settings = Settings.from_env({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": api.base_url})
        for _ in range(RUNS):
            for name, way in ways.items():
                elapsed, count = measure(api, settings, way)
                times[name].append(elapsed)
                requests[name] = count
    lines = [
        "| way | median wall time | in round trips | upstream requests | whole scope? |",
        "|---|---:|---:|---:|---|",
    ]
    for name in ways:
        median = statistics.median(times[name])
        whole = "no" if name == "old default" else "yes"
        lines.append(
            f"| {name} | {median * 1000:.0f} ms | {median / LATENCY:.1f} | {requests[name]} | {whole} |"
        )
    sample = PostsEmulator(sample_posts(NOW, POSTS), {KEY: "ok"}, accounts=sample_accounts())
    with running(sample) as api:
        settings = Settings.from_env({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": api.base_url})
        runs = [measure(api, settings, concurrent) for _ in range(RUNS)]
    median = statistics.median(elapsed for elapsed, _ in runs)
    lines.append(
        f"| concurrent, on the {POSTS}-post workspace (deleted/void: + a walk over every status) "
        f"| {median * 1000:.0f} ms | {median / LATENCY:.1f} | {runs[-1][1]} | yes |"
    )
    ours = statistics.median(times["concurrent"]) / LATENCY
    verdict = "PASS" if ours <= 3 else "FAIL"
    lines += ["", f"Concurrent: {ours:.1f} round trips (target ≤ 3, on the scenario): {verdict}"]
    print(f"default summary walks over the scenario scope, {LATENCY * 1000:.0f} ms a request, {RUNS} runs\n")
    print("\n".join(lines))
    if args.write_docs:
        said = (
            "Measured on the test scenario (`tests/support/scenario.py`, at most 130 posts in a status) "
            f"and, in the last row, the benchmark's {POSTS}-post workspace; the stand-in at "
            f"{LATENCY * 1000:.0f} ms a request, median of {RUNS} runs, by "
            "`.venv/bin/python benchmarks/summary_latency.py --write-docs`:"
        )
        page = write_block("measured", "summary-latency", "\n".join([said, "", *lines]) + "\n")
        print(f"\nwrote the table into {page.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
