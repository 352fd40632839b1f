"""Where start-up goes: ``python -X importtime`` of the stdio path, summed by top-level package.

Run from the repository root::

    .venv/bin/python benchmarks/importcost.py [--runs 5] [--top 15]

It imports what ``genviral-mcp`` imports before serving (``genviral_mcp.cli``, then
``genviral_mcp.server``) in a fresh interpreter, several times, and prints the median self time
per top-level package and per module of ours. Times under ``-X importtime`` run slower than
real, so read them as shares, not as absolute start-up times.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from collections import defaultdict

STDIO_PATH = "import genviral_mcp.cli; import genviral_mcp.server"


def one_run() -> dict[str, int]:
    """Self time in microseconds per module, from one fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", STDIO_PATH], capture_output=True, text=True, check=True
    )
    times: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = line.removeprefix("import time:").split("|")
        times[name.strip()] = int(self_us)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    runs = [one_run() for _ in range(args.runs)]
    packages: dict[str, list[int]] = defaultdict(list)
    ours: dict[str, list[int]] = defaultdict(list)
    for times in runs:
        per_package: dict[str, int] = defaultdict(int)
        for name, self_us in times.items():
            per_package[name.split(".")[0]] += self_us
            if name.startswith("genviral_mcp"):
                ours[name].append(self_us)
        for package, package_us in per_package.items():
            packages[package].append(package_us)
    total = statistics.median(sum(times.values()) for times in runs)
    count = statistics.median(len(times) for times in runs)
    print(f"{count:.0f} modules, {total / 1000:.0f} ms of import self time (median of {args.runs} runs)\n")
    print("| package | self time | share |\n|---|---|---|")
    ranked = sorted(packages.items(), key=lambda item: -statistics.median(item[1]))
    for package, values in ranked[: args.top]:
        median = statistics.median(values)
        print(f"| `{package}` | {median / 1000:.1f} ms | {median / total:.0%} |")
    print("\n| our module | self time |\n|---|---|")
    for name, values in sorted(ours.items(), key=lambda item: -statistics.median(item[1])):
        print(f"| `{name}` | {statistics.median(values) / 1000:.1f} ms |")
    print(f"| **all of ours** | {sum(statistics.median(v) for v in ours.values()) / 1000:.1f} ms |")


if __name__ == "__main__":
    main()
