"""Write every sample output in README.md and docs/*.md from ``--demo``, with the demo's clock stopped
at :data:`DEMO_NOW`, into the ``<!-- generated:NAME -->`` blocks (see ``docblocks.py``).

Run:  .venv/bin/python scripts/generate_docs.py           # rewrite the blocks
      .venv/bin/python scripts/generate_docs.py --check   # exit 1 with a diff if a block is stale

The tools are called through an in-memory MCP client on the demo server (``demo_server``), so a
sample is the ``structuredContent`` the model is handed; ``check --demo`` and the automation recipe
run as commands, with ``GENVIRAL_DEMO_NOW`` set. Long results are shortened by :func:`shorten`,
one rule for every sample, and each block says so.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.types import CallToolResult

from genviral_mcp.demo import DEMO_POST_COUNT, demo_clock, demo_server
from genviral_mcp.timestamps import read_iso

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docblocks import ROOT, blocks, replace_body

#: The instant every sample shows: mid-day, with news in the last hour, failures and posts to come.
DEMO_NOW = "2026-11-28T12:00:00Z"
REGENERATE = ".venv/bin/python scripts/generate_docs.py"
#: The shortening rule, applied by :func:`shorten` and stated in every block it shortened.
ITEMS = 2
CUT = "…"
#: The maps :func:`shorten` cuts: those whose keys are data (account labels, ids), not field names.
DATA_MAPS = (
    "accounts", "by_account", "by_platform", "changes", "deliveries", "earlier_errors", "metrics", "never",
    "not_yet", "posts", "unknown", "urls",
)  # fmt: skip
SHORTENED = (
    f"shortened by the script: every list cut to its first {ITEMS} items and every map named "
    + ", ".join(f"`{name}`" for name in DATA_MAPS)
    + f' to its first {ITEMS} entries; `"{CUT}"` marks each cut'
)
LINES = 6


def when() -> str:
    """:data:`DEMO_NOW` as the results write "now"."""
    moment = read_iso(DEMO_NOW)
    assert moment is not None
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def shorten(value: Any, key: str = "") -> Any:
    """``value`` with every list cut to :data:`ITEMS` items and every data map to :data:`ITEMS` entries."""
    if isinstance(value, list):
        kept = [shorten(item) for item in value[:ITEMS]]
        return [*kept, CUT] if len(value) > ITEMS else kept
    if isinstance(value, dict):
        entries = list(value.items())
        if key in DATA_MAPS and len(entries) > ITEMS:
            return {**{k: shorten(v, k) for k, v in entries[:ITEMS]}, CUT: CUT}
        return {k: shorten(v, k) for k, v in entries}
    return value


def fixed_clock() -> Callable[[], Any]:
    return demo_clock({"GENVIRAL_DEMO_NOW": DEMO_NOW})


def demo_env() -> dict[str, str]:
    return {**os.environ, "GENVIRAL_DEMO_NOW": DEMO_NOW, "LANG": "C.UTF-8"}


def json_block(data: Any) -> str:
    return "```json\n" + json.dumps(data, indent=2, ensure_ascii=False) + "\n```\n"


def tool_sample(tool: str, arguments: dict[str, Any], result: CallToolResult) -> str:
    """The call, its ``structuredContent`` shortened, and any text block after the JSON one."""
    assert not result.is_error, result.content
    full = result.structured_content
    short = shorten(full)
    said = f"`{tool}({json.dumps(arguments)})` on `--demo` at {when()} ({DEMO_POST_COUNT} posts): "
    said += "its `structuredContent`, which is also its first text block"
    said += f", {SHORTENED}:\n\n" if short != full else ":\n\n"
    notes = [block.text for block in result.content[1:] if block.type == "text"]
    tail = "".join(f"\nThen a second text block:\n\n```text\n{note}\n```\n" for note in notes)
    return said + json_block(short) + tail


#: name -> (tool, arguments): the tool samples, all taken from one server at DEMO_NOW.
TOOL_SAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "summary-example": ("get_delivery_summary", {"max_items": 2}),
    "list-posts-example": ("list_posts", {"status": "partial", "limit": 1}),
    "changed-since-example": (
        "get_delivery_summary",
        {"changed_since": "2026-11-28T11:00:00Z", "max_items": 2},
    ),
}


async def tool_samples() -> dict[str, str]:
    made = {}
    async with Client(demo_server(fixed_clock())) as client:
        for name, (tool, arguments) in TOOL_SAMPLES.items():
            made[name] = tool_sample(tool, arguments, await client.call_tool(tool, arguments))
    return made


def command(*args: str) -> str:
    """What ``genviral-mcp ARGS`` prints on stdout with the demo's clock stopped."""
    done = subprocess.run(
        [sys.executable, "-m", "genviral_mcp", *args],
        env=demo_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    return done.stdout


def check_sample() -> str:
    """``check --demo``'s terminal output; the request time, the one figure that varies, as `…`."""
    out = re.sub(r"(answered \d+ requests in )\d+( ms)", rf"\g<1>{CUT}\g<2>", command("check", "--demo"))
    return (
        f"`GENVIRAL_DEMO_NOW={DEMO_NOW} genviral-mcp check --demo`, as the script runs it (the time the "
        f"requests took varies from run to run, so it is shown as `{CUT}`):\n\n```text\n{out}```\n"
    )


def recipe_run() -> str:
    """docs/automation.md's Python recipe, run once on the demo, its cursor an hour before DEMO_NOW."""
    page = (ROOT / "docs" / "automation.md").read_text(encoding="utf-8")
    recipe = re.search(r"<!-- recipe: python -->\n```python\n(.*?)\n```\n", page, re.S)
    assert recipe is not None, "docs/automation.md has no Python recipe"
    as_of = "2026-11-28T11:00:00.000Z"
    with tempfile.TemporaryDirectory(prefix="genviral-docs-") as scratch:
        script, state, server = (Path(scratch) / name for name in ("news.py", "state.json", "server"))
        script.write_text(recipe[1] + "\n", encoding="utf-8")
        state.write_text(json.dumps({"as_of": as_of, "seen": []}), encoding="utf-8")
        # The recipe hands the server only its key; this wrapper stops the demo's clock.
        server.write_text(
            f'#!/bin/sh\nGENVIRAL_DEMO_NOW={DEMO_NOW} exec "{sys.executable}" -m genviral_mcp "$@"\n'
        )
        server.chmod(0o755)
        env = {**demo_env(), "GENVIRAL_NEWS_STATE": str(state), "GENVIRAL_MCP": str(server)}
        done = subprocess.run(
            [sys.executable, str(script), "--demo"],
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
            check=True,
        )
    lines = done.stdout.splitlines()
    said = f"The first run on `--demo` at {when()}, its cursor an hour earlier ({as_of})"
    if len(lines) > LINES:  # the shortening rule for terminal output: the first lines, then a count
        lines = [*lines[:LINES], f"{CUT} ({len(lines) - LINES} more lines)"]
        said += f", cut by the script to its first {LINES} lines; `{CUT}` marks the cut"
    return said + ":\n\n```text\n" + "\n".join(lines) + "\n```\n"


def samples() -> dict[str, str]:
    made = anyio.run(tool_samples)
    made["check-demo"] = check_sample()
    made["automation-run"] = recipe_run()
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a block is stale")
    args = parser.parse_args()
    present = blocks("generated")
    made = samples()
    missing, unknown = sorted(set(made) - set(present)), sorted(set(present) - set(made))
    if missing or unknown:
        sys.exit(
            f"generated blocks without a page: {missing}; pages' blocks this script cannot make: {unknown}"
        )
    stale = []
    for page in sorted({page for page, _ in present.values()}):
        old = page.read_text(encoding="utf-8")
        new = old
        for name, (where, _) in present.items():
            if where == page:
                new = replace_body(new, "generated", name, made[name])
        if new == old:
            continue
        stale.append(page)
        if args.check:
            shown = str(page.relative_to(ROOT))
            sys.stdout.writelines(
                difflib.unified_diff(old.splitlines(True), new.splitlines(True), shown, shown)
            )
        else:
            page.write_text(new, encoding="utf-8")
            print(f"rewrote {page.relative_to(ROOT)}")
    if args.check and stale:
        sys.exit(
            f"\nThe sample output above is stale in {', '.join(str(p.relative_to(ROOT)) for p in stale)}. "
            f"If the change is intended, regenerate the docs with `{REGENERATE}` and review the diff."
        )


if __name__ == "__main__":
    main()
