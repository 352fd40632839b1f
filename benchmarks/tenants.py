"""Hosted pass-through mode under heavy tenants (issue 17): what one tenant's data and failures do to
another's calls, each scenario run side by side against a baseline revision's code in one run.

    .venv/bin/python benchmarks/tenants.py                      # all four scenarios, main vs this tree
    .venv/bin/python benchmarks/tenants.py --only heavy --baseline HEAD~5
    .venv/bin/python benchmarks/tenants.py --no-baseline        # this tree only
    .venv/bin/python benchmarks/tenants.py --baseline 6dc88bb --write-docs   # and write the docs' figures

``--write-docs`` (all four scenarios, with a baseline) writes the tables into benchmarks/README.md
(``measured:tenants``) and their figures into docs/hosting.md (``measured:tenants-hosting``) and
docs/reliability.md (``measured:tenants-reliability``).

Every server is a real ``genviral-mcp --transport http`` process in pass-through mode on 127.0.0.1,
against the test suite's stand-in API (``tests/support/standin.py``) in this process. The baseline
is another revision's ``src/genviral_mcp`` (``--baseline``, default ``main``), exported with
``git archive`` and run by the same interpreter through ``PYTHONPATH``.

Scenarios (the issue's figures):

* **heavy**: tenant A's ``get_delivery_summary`` walks a scope of full 8 MB pages of large posts
  (``tests/support/heavy.py``, served by a process of its own); meanwhile tenant B calls
  ``list_posts(limit=5)`` every 0.5 s and a load balancer polls ``/healthz`` every 0.1 s. Worst
  ``/healthz``, B's p95, how A's call ended, and the server's RSS growth (peak minus before).
* **retries**: tenant A's key always gets 429 (8 concurrent calls); then tenant B, whose every
  first attempt gets a 503 and the retry a 200, makes 3 calls.
* **accounts**: 10 concurrent first calls on one key, counting ``GET /accounts``; then, on a new
  key, ``/accounts`` hangs and 10 concurrent ``list_posts`` are timed.
* **sizes**: the result-size table (``tests/support/oversized.py``): each result's text size and
  what the result says it left out.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import anyio
import httpx2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from revisions import Code, exported, this_tree

from genviral_mcp.demo.emulator import PLAN_OK, PostsEmulator
from genviral_mcp.demo.sample_data import sample_accounts, sample_posts

from docblocks import write_block
from support.heavy import Refusing, Tenants, heavy_upstream
from support.hosting import JSONRPC_HEADERS, Served, serving
from support.oversized import oversized_cases
from support.standin import StandInApi, running, stall

KEY_A = "gva_live_tenantA0001.SECRET-heavy-tenant-a"
KEY_B = "gva_live_tenantB0002.SECRET-light-tenant-b"
KEY_C = "gva_live_tenantC0003.SECRET-accounts-c"
KEY_D = "gva_live_tenantD0004.SECRET-accounts-d"
#: How long the heavy scenario may run before its measurements stop (the tool deadline is 45 s; the
#: baseline's summary has taken over 2 minutes). A request still unanswered then counts as it stands.
HEAVY_SECONDS = 180.0


@contextlib.contextmanager
def server(code: Code, base_url: str) -> Iterator[Served]:
    env = {"GENVIRAL_BASE_URL": base_url, "PYTHONPATH": code.pythonpath}
    with serving(env) as served:
        yield served


def rss_kb(pid: int, field_name: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


@dataclass
class Call:
    seconds: float
    outcome: str
    text_bytes: int = 0
    structured: dict[str, Any] | None = None


async def call_tool(
    http: httpx2.AsyncClient, served: Served, key: str, name: str, args: dict[str, Any]
) -> Call:
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": args}}
    headers = {**JSONRPC_HEADERS, "authorization": f"Bearer {key}"}
    started = time.monotonic()
    try:
        response = await http.post(served.url, json=request, headers=headers, timeout=300.0)
    except httpx2.HTTPError as exc:
        return Call(time.monotonic() - started, f"HTTP failure: {type(exc).__name__}")
    seconds = time.monotonic() - started
    if response.status_code != 200:
        return Call(seconds, f"HTTP {response.status_code}")
    result = response.json().get("result", {})
    text = "".join(block.get("text", "") for block in result.get("content", [])[:1])
    if result.get("isError"):
        return Call(seconds, "isError: " + text[:110], len(text.encode()))
    structured = result.get("structuredContent") or {}
    outcome = "partial (says what it left out)" if structured.get("incomplete") else "complete"
    return Call(seconds, outcome, len(text.encode()), structured)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)] if ordered else math.nan


# --- heavy ---------------------------------------------------------------------------------------


@dataclass
class HeavyRun:
    code: str
    summary: Call | None = None
    healthz: list[float] = field(default_factory=list)
    tenant_b: list[Call] = field(default_factory=list)
    rss_before_mb: float = 0.0
    rss_peak_mb: float = 0.0
    pages: int = 0
    page_mb: float = 0.0


async def heavy_run(code: Code) -> HeavyRun:
    run = HeavyRun(code.name)
    with heavy_upstream(KEY_A, [KEY_B]) as upstream, server(code, upstream.base_url) as served:
        pid = served.process.pid
        async with httpx2.AsyncClient() as http:
            await call_tool(http, served, KEY_B, "list_posts", {"limit": 5})  # warm: the client is built
            run.rss_before_mb = rss_kb(pid) / 1024
            done = anyio.Event()

            async def tenant_a() -> None:
                started = time.monotonic()
                try:
                    run.summary = await call_tool(http, served, KEY_A, "get_delivery_summary", {})
                finally:
                    run.summary = run.summary or Call(time.monotonic() - started, "no answer yet")
                await anyio.sleep(1.0)
                done.set()

            async def health() -> None:
                while not done.is_set():
                    started = time.monotonic()
                    try:
                        with contextlib.suppress(httpx2.HTTPError):
                            await http.get(f"{served.origin}/healthz", timeout=300.0)
                    finally:  # one still waiting when the measurement stops counts as it stands
                        run.healthz.append(time.monotonic() - started)
                    await anyio.sleep(0.1)

            async def tenant_b() -> None:
                async with anyio.create_task_group() as calls:
                    while not done.is_set():

                        async def one() -> None:
                            started = time.monotonic()
                            call = Call(math.nan, "no answer yet")
                            try:
                                call = await call_tool(http, served, KEY_B, "list_posts", {"limit": 5})
                            finally:
                                call.seconds = (
                                    time.monotonic() - started if math.isnan(call.seconds) else call.seconds
                                )
                                run.tenant_b.append(call)

                        calls.start_soon(one)
                        await anyio.sleep(0.5)

            async def memory() -> None:
                while not done.is_set():
                    run.rss_peak_mb = max(run.rss_peak_mb, rss_kb(pid) / 1024)
                    await anyio.sleep(0.05)

            with anyio.move_on_after(HEAVY_SECONDS):
                async with anyio.create_task_group() as group:
                    for job in (tenant_a, health, tenant_b, memory):
                        group.start_soon(job)
            run.rss_peak_mb = max(run.rss_peak_mb, rss_kb(pid, "VmHWM") / 1024)
        run.pages, size = upstream.stats()
    run.page_mb = size / max(1, run.pages) / 1e6
    return run


def heavy_table(runs: list[HeavyRun]) -> list[str]:
    lines = [
        "| code | A's summary | A's wall time | pages read (MB each) | worst `/healthz` | B's calls "
        "| B's p95 | B's worst | RSS growth |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        summary = run.summary or Call(math.nan, "no answer yet")
        ok_b = sum(
            1 for call in run.tenant_b if call.outcome in ("complete", "partial (says what it left out)")
        )
        b_seconds = [call.seconds for call in run.tenant_b]
        lines.append(
            f"| {run.code} | {summary.outcome} | {summary.seconds:.1f} s | {run.pages} ({run.page_mb:.1f}) "
            f"| {max(run.healthz, default=math.nan):.2f} s | {ok_b} of {len(run.tenant_b)} answered "
            f"| {p95(b_seconds):.2f} s | {max(b_seconds, default=math.nan):.2f} s "
            f"| {run.rss_peak_mb - run.rss_before_mb:,.0f} MB |"
        )
    last = runs[-1]
    b_p95 = p95([call.seconds for call in last.tenant_b])
    ended = (
        last.summary is not None and last.summary.outcome != "no answer yet" and last.summary.seconds <= 46.0
    )
    checks = [
        ("worst /healthz <= 1 s", max(last.healthz, default=math.inf) <= 1.0),
        ("B's p95 <= 2 s", b_p95 <= 2.0),
        ("A's call ends by its 45 s deadline", ended),
        ("RSS growth <= 1 GB", last.rss_peak_mb - last.rss_before_mb <= 1024),
    ]
    lines.append("")
    lines.append(
        "Targets (this tree): " + "; ".join(f"{name}: {'PASS' if ok else 'FAIL'}" for name, ok in checks)
    )
    return lines


# --- retries -------------------------------------------------------------------------------------


def refusing(posts: list[dict[str, Any]]) -> Tenants:
    """A's key always gets 429; B's requests get 503, 200, 503, 200...: each first attempt fails."""
    keys = {KEY_A: PLAN_OK, KEY_B: PLAN_OK}
    return Tenants(
        posts,
        keys,
        by_key={
            KEY_A: Refusing(posts, keys, statuses=(429,)),
            KEY_B: Refusing(posts, keys, statuses=(503, 200)),
        },
    )


async def retries_run(code: Code, api: StandInApi, posts: list[dict[str, Any]]) -> list[str]:
    with server(code, api.base_url) as served:
        api.reset()
        api.emulator = refusing(posts)
        async with httpx2.AsyncClient() as http:
            results_a: list[Call] = []

            async def a_call() -> None:
                results_a.append(await call_tool(http, served, KEY_A, "list_posts", {"limit": 5}))

            async with anyio.create_task_group() as group:
                for _ in range(8):
                    group.start_soon(a_call)
            a_requests = sum(1 for r in api.requests if r.headers.get("authorization") == f"Bearer {KEY_A}")
            results_b = [await call_tool(http, served, KEY_B, "list_posts", {"limit": 5}) for _ in range(3)]
    b_ok = sum(1 for call in results_b if call.outcome == "complete")
    b_requests = sum(1 for r in api.requests if r.headers.get("authorization") == f"Bearer {KEY_B}")
    a_errors = sum(1 for call in results_a if call.outcome.startswith("isError"))
    failed = next((call.outcome for call in results_b if call.outcome != "complete"), "")
    return [
        f"| {code.name} | {a_errors} of 8 isError | {a_requests} | {b_ok} of 3 | {b_requests} "
        f"| {failed[:90]} |"
    ]


# --- accounts ------------------------------------------------------------------------------------


async def accounts_run(code: Code, api: StandInApi) -> list[str]:
    with server(code, api.base_url) as served:
        api.reset()
        async with httpx2.AsyncClient() as http:
            async with anyio.create_task_group() as group:
                for _ in range(10):
                    group.start_soon(call_tool, http, served, KEY_C, "list_posts", {"limit": 5})
            fetches = sum(
                1 for r in api.account_requests if r.headers.get("authorization") == f"Bearer {KEY_C}"
            )
            api.script_accounts(*[stall(8.0) for _ in range(10)])
            calls: list[Call] = []

            async def one() -> None:
                calls.append(await call_tool(http, served, KEY_D, "list_posts", {"limit": 5}))

            async with anyio.create_task_group() as group:
                for _ in range(10):
                    group.start_soon(one)
            hanging = sum(
                1 for r in api.account_requests if r.headers.get("authorization") == f"Bearer {KEY_D}"
            )
    slowest = max(call.seconds for call in calls)
    answered = sum(1 for call in calls if call.outcome == "complete")
    return [
        f"| {code.name} | {fetches} | {hanging} | {answered} of 10 | {slowest:.2f} s "
        f"| {'PASS' if fetches <= 2 and slowest <= 2.0 else 'FAIL'} |"
    ]


# --- sizes ---------------------------------------------------------------------------------------


def left_out(value: Any, path: str = "") -> dict[str, int]:
    """Every ``*left_out`` count in a result, by where it is (``[]`` for any list item; summed)."""
    found: dict[str, int] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "left_out" in str(key) and isinstance(item, int):
                found[where] = found.get(where, 0) + item
            else:
                for name, count in left_out(item, where).items():
                    found[name] = found.get(name, 0) + count
    elif isinstance(value, list):
        for item in value:
            for name, count in left_out(item, f"{path}[]").items():
                found[name] = found.get(name, 0) + count
    return found


def largest(value: Any, path: str = "") -> tuple[int, str]:
    """The largest list or map in a result: its length, and where it is."""
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = [("[]", item) for item in value]
    else:
        return 0, path
    best = (len(items), path or "(top)")
    for key, item in items:
        where = f"{path}{key}" if key == "[]" else (f"{path}.{key}" if path else str(key))
        best = max(best, largest(item, where))
    return best


async def sizes_run(code: Code, api: StandInApi, keys: dict[str, str]) -> dict[tuple[str, str], Call]:
    measured: dict[tuple[str, str], Call] = {}
    with server(code, api.base_url) as served:
        async with httpx2.AsyncClient() as http:
            for case in oversized_cases(datetime.now(timezone.utc)):
                for name, args in case.calls:
                    call = await call_tool(http, served, keys[case.name], name, args)
                    measured[(case.name, f"{name}({', '.join(f'{k}={v!r}' for k, v in args.items())})")] = (
                        call
                    )
    return measured


def sizes_table(runs: list[tuple[Code, dict[tuple[str, str], Call]]]) -> list[str]:
    names = " | ".join(f"{code.name}: text, largest list or map" for code, _ in runs)
    lines = [
        f"| upstream scope | call | {names} | what the result says it left out |",
        "|---|---|" + "---:|" * len(runs) + "---|",
    ]
    worst = 0
    for case_call in runs[-1][1]:
        cells = []
        for _, measured in runs:
            call = measured.get(case_call)
            if call is None or not call.structured:
                cells.append(
                    "-" if call is None else f"{call.text_bytes / 1024:,.0f} KB ({call.outcome[:40]})"
                )
                continue
            size, where = largest(call.structured)
            cells.append(f"{call.text_bytes / 1024:,.0f} KB, {size:,} (`{where}`)")
        last = runs[-1][1][case_call]
        worst = max(worst, last.text_bytes)
        counts = ", ".join(f"{k} {v:,}" for k, v in left_out(last.structured).items()) or "-"
        if last.structured and "cut_for_size" in last.structured:
            shown = last.structured.get("returned")
            cut = f"page cut to {shown} posts" if shown is not None else "lists halved"
            counts += f"; cut to fit: {cut}"
        lines.append(f"| {case_call[0]} | `{case_call[1]}` | {' | '.join(cells)} | {counts} |")
    lines.append("")
    verdict = "PASS" if worst <= 200 * 1024 else "FAIL"
    lines.append(f"Target (this tree): every result <= 200 KB: {verdict} (largest {worst / 1024:,.0f} KB)")
    return lines


def largest_results(runs: list[tuple[Code, dict[tuple[str, str], Call]]]) -> str:
    """One sentence: each code's largest result text, and the target."""
    sizes = [(code.name, max(call.text_bytes for call in measured.values())) for code, measured in runs]
    said = "; ".join(f"{name}: {size / 1024:,.0f} KB" for name, size in sizes)
    verdict = "PASS" if sizes[-1][1] <= 200 * 1024 else "FAIL"
    return (
        f"Largest result text from a 3-5 MB upstream body (`tests/support/oversized.py`), {said} "
        f"(target for this tree: every result <= 200 KB: {verdict})."
    )


def write_docs(first: str, heavy: list[str], retries: list[str], sizes: str, everything: list[str]) -> None:
    """The tables into benchmarks/README.md, the figures the hosting and reliability pages quote."""
    pages = [
        write_block("measured", "tenants", "\n".join([first, "", *everything]).rstrip() + "\n"),
        write_block(
            "measured", "tenants-hosting", "\n".join([first, "", *heavy, "", *retries, "", sizes]) + "\n"
        ),
        write_block("measured", "tenants-reliability", "\n".join([first, "", sizes]) + "\n"),
    ]
    print("\nwrote " + ", ".join(str(page.relative_to(ROOT)) for page in pages))


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="main", help="the revision to compare with (default main)")
    parser.add_argument("--no-baseline", action="store_true", help="measure this tree only")
    parser.add_argument("--only", choices=["heavy", "retries", "accounts", "sizes"], action="append")
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="also write the figures into benchmarks/README.md, docs/hosting.md and docs/reliability.md",
    )
    args = parser.parse_args()
    if args.write_docs and (args.only or args.no_baseline):
        parser.error("--write-docs needs every scenario and a baseline")
    scenarios = args.only or ["heavy", "retries", "accounts", "sizes"]
    now = datetime.now(timezone.utc)
    ordinary = sample_posts(now, 50)
    size_keys = {
        case.name: f"gva_live_size{n:04d}.SECRET-size-{n}" for n, case in enumerate(oversized_cases(now))
    }
    by_key: dict[str, PostsEmulator] = {}
    for case in oversized_cases(now):
        by_key[size_keys[case.name]] = PostsEmulator(
            case.posts, {size_keys[case.name]: PLAN_OK}, scope=case.scope
        )
    keys = {KEY_B: PLAN_OK, KEY_C: PLAN_OK, KEY_D: PLAN_OK}
    tenants = Tenants(ordinary, keys, accounts=sample_accounts(), by_key=by_key)
    out: list[str] = []
    with contextlib.ExitStack() as stack:
        codes = [] if args.no_baseline else [stack.enter_context(exported(args.baseline))]
        codes.append(this_tree())
        api = stack.enter_context(running(tenants))
        if "heavy" in scenarios:
            runs = [anyio.run(heavy_run, code) for code in codes]
            heavy = heavy_table(runs)
            out += ["## A heavy tenant's summary beside a light tenant", "", *heavy, ""]
            print("\n".join(out), flush=True)
        if "retries" in scenarios:
            saved = api.emulator
            lines = [
                "## Retry budgets: A's key always gets 429, B's first attempts get 503",
                "",
                "| code | A's 8 calls | A's upstream requests | B's calls that succeed "
                "| B's upstream requests | B's failure |",
                "|---|---|---:|---:|---:|---|",
            ]
            for code in codes:
                lines += anyio.run(retries_run, code, api, ordinary)
            lines += ["", "Target (this tree): B's 3 calls all succeed"]
            retries = lines[2:]
            api.emulator = saved
            out += [*lines, ""]
            print("\n".join(lines), flush=True)
        if "accounts" in scenarios:
            lines = [
                "## `/accounts`: 10 concurrent first calls; then `/accounts` hangs",
                "",
                "| code | `GET /accounts` for 10 first calls | with it hanging: fetches "
                "| `list_posts` answered | slowest | target |",
                "|---|---:|---:|---:|---:|---|",
            ]
            for code in codes:
                lines += anyio.run(accounts_run, code, api)
            lines += ["", "Targets: <= 2 `GET /accounts`; with it hanging, every `list_posts` within 2 s"]
            out += [*lines, ""]
            print("\n".join(lines), flush=True)
        if "sizes" in scenarios:
            measured = [(code, anyio.run(sizes_run, code, api, size_keys)) for code in codes]
            lines = ["## Result sizes", "", *sizes_table(measured)]
            out += [*lines, ""]
            print("\n".join(lines), flush=True)
        if args.write_docs:
            first = (
                f"Measured on the tenant scenarios (`tests/support/heavy.py`, `tests/support/oversized.py`): "
                f"{codes[0].name} before, {codes[-1].name} now, every server a real process in pass-through "
                "mode on 127.0.0.1, on this 2-core machine shared with other work, by "
                f"`.venv/bin/python benchmarks/tenants.py --baseline {args.baseline} --write-docs`:"
            )
            everything = [line.replace("## ", "#### ", 1) if line.startswith("## ") else line for line in out]
            write_docs(first, heavy, retries, largest_results(measured), everything)


if __name__ == "__main__":
    main()
