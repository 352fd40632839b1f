"""Side-by-side benchmark: genviral-mcp against the plain SDK server, and its calls against the HTTP floor.

Run from the repository root (after ``pip install -e '.[dev]'``)::

    .venv/bin/python benchmarks/bench.py
    .venv/bin/python benchmarks/bench.py --write-docs   # and write the table into benchmarks/README.md

Every figure is a ratio against a baseline measured in the same run, with the runs alternated
(A, B, A, B, ...) so that load from other processes hits both sides alike:

* cold start: spawn → ``initialize`` answered → ``tools/list`` answered, over raw JSON-RPC on
  pipes (no client library in the way), for the installed ``genviral-mcp`` console script and for
  ``benchmarks/baseline_server.py`` (the SDK's minimal one-tool server), both run by the same
  interpreter;
* exit: stdin closed → process gone;
* peak RSS (``VmHWM``) just before stdin is closed;
* per call: ``list_posts(limit=100)`` over stdio against the stand-in API (``tests/support/standin.py``)
  in its own process, against the floor: a plain ``httpx2`` GET of the same URL plus
  ``json.loads``, on one keep-alive client;
* concurrency: 50 ``list_posts`` calls written at once on one stdio session, against a stand-in
  that takes 100 ms per answer.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
SCRIPT = Path(PYTHON).with_name("genviral-mcp")
OURS = [str(SCRIPT)]
BASELINE = [PYTHON, str(HERE / "baseline_server.py")]

sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(HERE))

from revisions import this_tree

from docblocks import write_block

KEY = "gva_live_bench0000.SECRET-bench"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
POST_COUNT = 300
HANDSHAKE = "2025-11-25"

JsonObject = dict[str, Any]


# --- statistics ------------------------------------------------------------------------------------


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Stat:
    median: float
    p25: float
    p75: float
    p95: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Stat:
        return cls(
            statistics.median(values), quantile(values, 0.25), quantile(values, 0.75), quantile(values, 0.95)
        )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"


def spread_ms(stat: Stat) -> str:
    return f"{ms(stat.median)} ({stat.p25 * 1000:.1f}–{stat.p75 * 1000:.1f})"


def spread_mb(stat: Stat) -> str:
    return f"{stat.median / 1024:.1f} MB ({stat.p25 / 1024:.1f}–{stat.p75 / 1024:.1f})"


# --- the stand-in API, in its own process ----------------------------------------------------------


def load_standin() -> Any:
    """``tests/support/standin.py``, imported by path: the benchmark and the tests share one stand-in."""
    spec = importlib.util.spec_from_file_location("standin", ROOT / "tests" / "support" / "standin.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["standin"] = module
    spec.loader.exec_module(module)
    return module


def serve_standin(latency: float) -> None:
    """``bench.py --standin SECONDS``: print the base URL, serve until stdin closes."""
    from genviral_mcp.demo.emulator import PLAN_OK, PostsEmulator
    from genviral_mcp.demo.sample_data import sample_posts

    standin = load_standin()
    api = standin.StandInApi(PostsEmulator(sample_posts(NOW, POST_COUNT), {KEY: PLAN_OK})).start()
    api.latency = latency
    print(api.base_url, flush=True)
    sys.stdin.read()
    api.stop()


@contextmanager
def standin_process(latency: float = 0.0) -> Iterator[str]:
    """The stand-in runs in its own process so it never competes with the timed client for a GIL."""
    proc = subprocess.Popen(
        [PYTHON, __file__, "--standin", str(latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        yield proc.stdout.readline().strip()
    finally:
        proc.stdin.close()
        proc.wait(10)


# --- raw JSON-RPC over pipes -----------------------------------------------------------------------


def server_env(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENVIRAL_")}
    env.update(GENVIRAL_API_KEY=KEY, GENVIRAL_BASE_URL=base_url)
    return env


class Session:
    """A spawned stdio server spoken to with raw JSON-RPC lines."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, env=env
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in = self.proc.stdin
        self._out = self.proc.stdout
        self._next_id = 0
        self.initialized = 0.0

    def write(self, *messages: JsonObject) -> None:
        self._in.write(b"".join(json.dumps(m).encode() + b"\n" for m in messages))
        self._in.flush()

    def read(self) -> JsonObject:
        line = self._out.readline()
        if not line:
            raise RuntimeError(f"server closed stdout; stderr: {self.stderr_text()[-2000:]}")
        message: JsonObject = json.loads(line)
        return message

    def request(self, method: str, params: JsonObject) -> JsonObject:
        self._next_id += 1
        return {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params}

    def call(self, method: str, params: JsonObject) -> JsonObject:
        self.write(self.request(method, params))
        return self.read()

    def initialize(self) -> None:
        client = {"name": "bench", "version": "0"}
        self.call("initialize", {"protocolVersion": HANDSHAKE, "capabilities": {}, "clientInfo": client})
        self.initialized = time.perf_counter() - self.started
        self.write({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def peak_rss_kb(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))

    def cpu_seconds(self) -> float:
        """User + system CPU time so far, all threads (10 ms ticks): steadier than wall time under load."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> float:
        """Close stdin; seconds until the process is gone. Fails on a non-zero exit code."""
        started = time.perf_counter()
        self._in.close()
        code = self.proc.wait(30)
        gone = time.perf_counter() - started
        self._out.close()
        if code != 0:
            raise RuntimeError(f"server exited with {code}; stderr: {self.stderr_text()[-2000:]}")
        return gone

    def stderr_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")


def tool_call(session: Session, name: str, arguments: JsonObject) -> JsonObject:
    return session.request("tools/call", {"name": name, "arguments": arguments})


def check_result(reply: JsonObject) -> None:
    result = reply.get("result")
    if not isinstance(result, dict) or result.get("isError"):
        raise RuntimeError(f"tool call failed: {json.dumps(reply)[:500]}")


# --- measurements ----------------------------------------------------------------------------------


@dataclass
class ColdStart:
    initialize: float
    tools_list: float
    cpu: float
    rss_kb: int
    exit: float


def cold_start(command: list[str], env: dict[str, str]) -> ColdStart:
    session = Session(command, env)
    session.initialize()
    tools = session.call("tools/list", {})
    listed = time.perf_counter() - session.started
    assert tools["result"]["tools"], tools
    cpu, rss = session.cpu_seconds(), session.peak_rss_kb()
    return ColdStart(session.initialized, listed, cpu, rss, session.close())


def alternate(runs: int, sides: Mapping[str, Callable[[], Any]]) -> dict[str, list[Any]]:
    """Run each side ``runs`` times, interleaved: A, B, A, B, ..."""
    results: dict[str, list[Any]] = {name: [] for name in sides}
    for _ in range(runs):
        for name, run in sides.items():
            results[name].append(run())
    return results


def floor_client(base_url: str) -> Callable[[], None]:
    """The floor: one plain ``httpx2`` GET of the URL ``list_posts(limit=100)`` fetches, and its JSON."""
    import httpx2

    client = httpx2.Client(headers={"authorization": f"Bearer {KEY}"}, trust_env=False)
    url = f"{base_url}/posts"

    def fetch() -> None:
        response = client.get(url, params={"limit": "100"})
        response.raise_for_status()
        data = json.loads(response.content)
        assert len(data["data"]["posts"]) == 100

    return fetch


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


@dataclass
class CallTimes:
    ours: list[float]
    floor: list[float]
    echo: list[float]
    rss_kb: int
    exit: float


#: The baseline echoes this much text, twice on the wire (text block + structured result): a reply
#: about as large as ``list_posts(limit=100)``'s, to show what the SDK alone costs for that size.
ECHO_TEXT = "x" * 45_000


def per_call(base_url: str, env: dict[str, str], calls: int) -> CallTimes:
    ours = Session(OURS, env)
    ours.initialize()
    baseline = Session(BASELINE, env)
    baseline.initialize()
    floor = floor_client(base_url)

    def list_posts() -> None:
        ours.write(tool_call(ours, "list_posts", {"limit": 100}))
        check_result(ours.read())

    def echo() -> None:
        baseline.write(tool_call(baseline, "echo", {"text": ECHO_TEXT}))
        check_result(baseline.read())

    sides = {"ours": list_posts, "floor": floor, "echo": echo}
    alternate(10, sides)  # warm up: connections, first-call paths
    times = alternate(calls, {name: partial(timed, run) for name, run in sides.items()})
    rss = ours.peak_rss_kb()
    baseline.close()
    return CallTimes(times["ours"], times["floor"], times["echo"], rss, ours.close())


BURST = 50
BURST_ARGUMENTS: dict[str, JsonObject] = {"list_posts()": {}, "list_posts(limit=100)": {"limit": 100}}


def concurrent_calls(env: dict[str, str], rounds: int) -> dict[str, list[float]]:
    """``BURST`` calls written at once on one session; seconds until the last answer arrives."""
    session = Session(OURS, env)
    session.initialize()
    session.write(tool_call(session, "list_posts", {}))
    check_result(session.read())

    def burst(arguments: JsonObject) -> float:
        started = time.perf_counter()
        session.write(*(tool_call(session, "list_posts", arguments) for _ in range(BURST)))
        for _ in range(BURST):
            check_result(session.read())
        return time.perf_counter() - started

    durations = alternate(rounds, {name: partial(burst, args) for name, args in BURST_ARGUMENTS.items()})
    session.close()
    return durations


# --- report ----------------------------------------------------------------------------------------


@dataclass
class Row:
    metric: str
    ours: str
    reference: str = ""
    ratio: str = ""
    target: str = ""
    passed: bool | None = None

    def cells(self) -> list[str]:
        verdict = {True: "PASS", False: "FAIL", None: "info"}[self.passed]
        return [self.metric, self.ours, self.reference, self.ratio, self.target, verdict]


def table(rows: list[Row]) -> str:
    header = ["metric", "genviral-mcp", "baseline / floor", "ratio", "target", "result"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def compare(
    metric: str,
    ours: Stat,
    ref: Stat,
    limit: float | None,
    fmt: Callable[[Stat], str],
    paired: float | None = None,
) -> Row:
    """A row whose target (if any) is the ratio of the medians; ``paired`` is shown beside it."""
    ratio = ours.median / ref.median
    shown = f"{ratio:.2f}×" + (f" (paired {paired:.2f}×)" if paired is not None else "")
    if limit is None:
        return Row(metric, fmt(ours), fmt(ref), shown)
    return Row(metric, fmt(ours), fmt(ref), shown, f"≤ {limit:.2f}×", ratio <= limit)


def within(metric: str, ours: Stat, limit: float, ref: Stat | None = None) -> Row:
    """A row whose target is an absolute time for the median."""
    ratio = f"{ours.median / ref.median:.2f}×" if ref else ""
    return Row(
        metric, spread_ms(ours), spread_ms(ref) if ref else "", ratio, f"≤ {ms(limit)}", ours.median <= limit
    )


def build_rows(
    starts: dict[str, list[ColdStart]], calls: CallTimes, bursts: dict[str, list[float]]
) -> list[Row]:
    def stat(side: str, field: str) -> Stat:
        return Stat.of([getattr(run, field) for run in starts[side]])

    def both(field: str) -> tuple[Stat, Stat]:
        return stat("ours", field), stat("baseline", field)

    def paired(field: str) -> float:
        """Median of the per-pair ratios: each run against the baseline run right next to it."""
        pairs = zip(starts["ours"], starts["baseline"], strict=True)
        return statistics.median(float(getattr(ours, field) / getattr(base, field)) for ours, base in pairs)

    call_ours, call_floor, echo = Stat.of(calls.ours), Stat.of(calls.floor), Stat.of(calls.echo)
    idle_rss = stat("baseline", "rss_kb").median
    (default_name, default_burst), (full_name, full_burst) = bursts.items()
    return [
        compare(
            "cold start → `initialize` answered", *both("initialize"), 0.9, spread_ms, paired("initialize")
        ),
        compare(
            "cold start → `tools/list` answered", *both("tools_list"), 0.9, spread_ms, paired("tools_list")
        ),
        compare(
            "CPU time (user + sys) until `tools/list` answered", *both("cpu"), None, spread_ms, paired("cpu")
        ),
        within("exit: stdin closed → process gone", *both("exit")[:1], 0.050, both("exit")[1]),
        within("exit after the per-call session (HTTP connection open)", Stat.of([calls.exit]), 0.050),
        compare("peak RSS after start + `tools/list`", *both("rss_kb"), 1.1, spread_mb),
        Row(
            f"peak RSS after {len(calls.ours) + 10} `list_posts(limit=100)` calls (baseline idle)",
            f"{calls.rss_kb / 1024:.1f} MB",
            f"{idle_rss / 1024:.1f} MB",
            f"{calls.rss_kb / idle_rss:.2f}×",
        ),
        compare(
            "per call `list_posts(limit=100)` p50 (floor: GET + `json.loads`)",
            call_ours,
            call_floor,
            2.0,
            spread_ms,
        ),
        Row(
            "per call `list_posts(limit=100)` p95",
            ms(call_ours.p95),
            ms(call_floor.p95),
            f"{call_ours.p95 / call_floor.p95:.2f}×",
        ),
        Row("per call beyond the floor (p50 difference)", ms(call_ours.median - call_floor.median)),
        Row(
            "SDK alone: baseline `echo` of a reply as large (2 × 45 KB) p50",
            "",
            spread_ms(echo),
        ),
        within(
            f"{BURST} concurrent `{default_name}`, stand-in answers in 100 ms", Stat.of(default_burst), 0.5
        ),
        Row(
            f"{BURST} concurrent `{full_name}`, stand-in answers in 100 ms",
            spread_ms(Stat.of(full_burst)),
        ),
    ]


def docs_block(report: str, rows: list[Row], command: str) -> str:
    """The table for benchmarks/README.md, its first line saying what was measured and how."""
    said = (
        f"Measured on the benchmark's {POST_COUNT}-post workspace (the stand-in API in its own process), "
        f"{this_tree().name} side by side with the SDK's minimal server and the HTTP floor, on this "
        f"{os.cpu_count()}-core machine shared with other work, by `{command}`:"
    )
    failed = [row.metric for row in rows if row.passed is False]
    verdict = (
        "Targets not met in this run: " + "; ".join(failed) + "."
        if failed
        else "Every target met in this run."
    )
    return "\n".join([said, "", report, "", verdict]) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--starts", type=int, default=30, help="cold starts of each server (default 30)")
    parser.add_argument("--calls", type=int, default=200, help="timed calls of each kind (default 200)")
    parser.add_argument("--bursts", type=int, default=5, help="rounds of 50 concurrent calls (default 5)")
    parser.add_argument("--out", type=Path, help="also write the table to this markdown file")
    parser.add_argument(
        "--write-docs", action="store_true", help="also write the table into benchmarks/README.md"
    )
    parser.add_argument("--standin", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.standin is not None:
        serve_standin(args.standin)
        return 0
    if not SCRIPT.exists():
        parser.error(f"{SCRIPT} not found: run pip install -e '.[dev]' first")
    # An installed package ships compiled bytecode; make sure ours is current, like the SDK's is.
    compileall.compile_dir(ROOT / "src" / "genviral_mcp", quiet=1)

    with standin_process() as base_url:
        env = server_env(base_url)
        sides = {"ours": partial(cold_start, OURS, env), "baseline": partial(cold_start, BASELINE, env)}
        alternate(2, sides)  # warm up the file cache
        print(f"cold starts: {args.starts} of each, alternated ...", file=sys.stderr)
        starts = alternate(args.starts, sides)
        print(f"calls: {args.calls} of each, alternated ...", file=sys.stderr)
        calls = per_call(base_url, env, args.calls)
    with standin_process(latency=0.1) as slow_url:
        print(f"concurrency: {args.bursts} rounds of {BURST} calls of each kind ...", file=sys.stderr)
        bursts = concurrent_calls(server_env(slow_url), args.bursts)

    rows = build_rows(starts, calls, bursts)
    report = "\n".join(
        [
            table(rows),
            "",
            f"Medians (p25–p75). {args.starts} cold starts and {args.calls} calls of each side, "
            f"{args.bursts} bursts of each kind, alternated; Python {sys.version.split()[0]}, "
            f"{os.cpu_count()} CPUs. genviral-mcp = the `{SCRIPT.name}` console script, "
            "baseline = `python benchmarks/baseline_server.py`, same interpreter.",
        ]
    )
    print(report)
    if args.out:
        args.out.write_text(report + "\n")
    if args.write_docs:
        defaults = {"starts": 30, "calls": 200, "bursts": 5}
        options = [
            f"--{name} {getattr(args, name)}"
            for name, default in defaults.items()
            if getattr(args, name) != default
        ]
        command = " ".join([".venv/bin/python benchmarks/bench.py", *options, "--write-docs"])
        page = write_block("measured", "bench", docs_block(report, rows, command))
        print(f"\nwrote the table into {page.relative_to(ROOT)}", file=sys.stderr)
    return 0 if all(row.passed is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
