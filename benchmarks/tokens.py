"""Token budgets: what each host's model reads of list_posts(limit=100), against the raw API response,
and of a default get_delivery_summary, against its ceiling.

Run: .venv/bin/pip install -e '.[bench]' && .venv/bin/python benchmarks/tokens.py
     .venv/bin/python benchmarks/tokens.py --write-docs      # and write the table into the docs
     .venv/bin/python benchmarks/tokens.py --baseline main   # the summary beside another revision's

With ``--baseline``, the other revision's ``src/genviral_mcp`` is exported with ``git archive`` and its
default summary measured by the same interpreter (through ``PYTHONPATH``) on the same data, in the same
run; a revision without analytics is served none.

Counts tokens with the Claude tokenizer that shipped as ``anthropic/tokenizer.json`` in the
``anthropic`` package up to 0.38 (fetched once with ``pip download --no-deps`` into
``benchmarks/.cache``) loaded with ``tokenizers``. The data set is the project's sample workspace:
long and non-Latin captions, emoji, posts fanned out to 8 accounts, provider failures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
from mcp import Client
from tokenizers import Tokenizer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from revisions import exported

from genviral_mcp.config import Settings
from genviral_mcp.demo import sample_data
from genviral_mcp.demo.emulator import PostsEmulator
from genviral_mcp.demo.sample_data import sample_accounts, sample_posts
from genviral_mcp.server import build_server

from docblocks import write_block
from support.host_views import VIEWS

CACHE = ROOT / "benchmarks" / ".cache"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
KEY = "gva_live_bench.key"
TARGET = 0.35
SUMMARY_TARGET = 7000
#: The benchmark's workspace: larger than the demo's (DEMO_POST_COUNT), with some deleted/void posts.
POSTS = 300


def tokenizer() -> Tokenizer:
    path = CACHE / "tokenizer.json"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "anthropic==0.38.0",
                "-d",
                str(CACHE),
            ],
            check=True,
        )
        wheel = next(CACHE.glob("anthropic-0.38.0-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            path.write_bytes(archive.read("anthropic/tokenizer.json"))
    return Tokenizer.from_file(str(path))


def naive_trim(data: dict[str, Any]) -> dict[str, Any]:
    """The obvious baseline: drop nulls and cut captions to 80 characters."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    trimmed: dict[str, Any] = strip(data)
    for post in trimmed["posts"]:
        post["caption"] = post.get("caption", "")[:80]
    return trimmed


def emulator_with_everything() -> PostsEmulator:
    """The sample workspace, with account names and (where this revision has them) analytics."""
    posts = sample_posts(NOW, POSTS)
    emulator = PostsEmulator(posts, {KEY: "ok"}, accounts=sample_accounts())
    if hasattr(sample_data, "sample_analytics"):  # a baseline from before issue 20 has none
        emulator.analytics = sample_data.sample_analytics(posts, NOW)
        emulator.targets = sample_data.sample_targets()
        emulator.now = NOW
    return emulator


async def measure(summary_only: bool = False) -> list[tuple[str, str, int, int]]:
    emulator = emulator_with_everything()

    def handler(request: httpx.Request) -> httpx.Response:
        # Names and performance numbers cost tokens too: they are served, so they are counted.
        path, authorization = request.url.path, request.headers.get("authorization")
        if path.endswith("/accounts"):
            answer = emulator.handle_accounts(authorization)
        elif path.endswith("/analytics/summary/posts") and hasattr(emulator, "handle_analytics"):
            answer = emulator.handle_analytics(dict(request.url.params), authorization)
        elif path.endswith("/analytics/targets") and hasattr(emulator, "handle_targets"):
            answer = emulator.handle_targets(authorization)
        elif "/analytics/" in path:
            return httpx.Response(404, json={"ok": False, "code": 404, "message": "Not found"})
        else:
            answer = emulator.handle(dict(request.url.params), request.headers.get("authorization"))
        return httpx.Response(answer.status, content=answer.body, headers=dict(answer.headers))

    settings = Settings.from_env({"GENVIRAL_API_KEY": KEY})
    server = build_server(settings, transport=httpx.MockTransport(handler), clock=lambda: NOW)
    encode = tokenizer().encode

    def row(name: str, detail: str, text: str) -> tuple[str, str, int, int]:
        return (name, detail, len(encode(text).ids), len(text.encode()))

    raw = emulator.handle({"limit": "100"}, f"Bearer {KEY}").body.decode()
    naive = naive_trim(json.loads(raw)["data"])
    rows = [
        row("raw API response", "-", raw),
        row("naive trim, compact", "-", json.dumps(naive, ensure_ascii=False, separators=(",", ":"))),
        row("naive trim, pretty", "-", json.dumps(naive, ensure_ascii=False, indent=2)),
    ]
    async with Client(server) as client:
        for detail in () if summary_only else ("concise", "full"):
            result = await client.call_tool("list_posts", {"limit": 100, "detail": detail})
            assert not result.is_error
            for name, view in VIEWS.items():
                rows.append(row(name, detail, view(result)))
        summary = await client.call_tool("get_delivery_summary", {})
        assert not summary.is_error
        for name, view in VIEWS.items():
            rows.append(row(name, "summary", view(summary)))
        hour_ago = (NOW - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
        changes = await client.call_tool("get_delivery_summary", {"changed_since": hour_ago})
        assert not changes.is_error
        for name, view in VIEWS.items():  # what an hourly job reads (not the default's budget)
            rows.append(row(name, "changed_since 1 h", view(changes)))
    return rows


def baseline_summary(revision: str) -> tuple[str, list[tuple[str, str, int, int]]]:
    """The default summary's rows for ``revision``'s code, measured in a subprocess on the same data."""
    with exported(revision) as code:
        env = {**os.environ, "PYTHONPATH": code.pythonpath}
        out = subprocess.run(
            [sys.executable, __file__, "--summary-json"], check=True, capture_output=True, text=True, env=env
        ).stdout
    return code.name, [tuple(item) for item in json.loads(out)]


def table(rows: list[tuple[str, str, int, int]]) -> list[str]:
    """The table and the two verdicts against the targets, as Markdown lines."""
    raw = rows[0][2]
    lines = ["| view | detail | tokens | share of raw | bytes |", "|---|---|---:|---:|---:|"]
    for name, detail, tokens, size in rows:
        lines.append(f"| {name} | {detail} | {tokens:,} | {tokens / raw:.1%} | {size:,} |")
    worst = max(tokens for name, detail, tokens, _ in rows if detail == "concise")
    verdict = "PASS" if worst / raw <= TARGET else "FAIL"
    lines.append("")
    lines.append(
        f"- `list_posts(limit=100)`, worst concise view: {worst / raw:.1%} of raw "
        f"(target ≤ {TARGET:.0%}): {verdict}"
    )
    summary = max(tokens for name, detail, tokens, _ in rows if detail == "summary")
    verdict = "PASS" if summary <= SUMMARY_TARGET else "FAIL"
    lines.append(
        f"- default `get_delivery_summary`, worst view: {summary:,} tokens "
        f"(target ≤ {SUMMARY_TARGET:,}): {verdict}"
    )
    return lines


def docs_block(rows: list[tuple[str, str, int, int]]) -> str:
    """The table for docs/output-contract.md, saying what it measured and how to measure it again."""
    from genviral_mcp.demo import DEMO_POST_COUNT  # here: a --baseline revision need not have it

    moment = NOW.strftime("%Y-%m-%d %H:%M UTC")
    said = (
        f"Measured on the benchmark's {POSTS}-post workspace at {moment} (not the demo's "
        f"{DEMO_POST_COUNT}-post one), by `.venv/bin/python benchmarks/tokens.py --write-docs`:"
    )
    return "\n".join([said, "", *table(rows)]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="also measure this revision's default summary, side by side")
    parser.add_argument(
        "--write-docs", action="store_true", help="also write the table into docs/output-contract.md"
    )
    parser.add_argument("--summary-json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.summary_json:
        print(json.dumps(anyio.run(measure, True)[3:]))
        return
    baseline = baseline_summary(args.baseline) if args.baseline else None
    rows = anyio.run(measure)
    print(
        f"list_posts(limit=100) over the sample workspace ({POSTS} posts); tokens by the Claude tokenizer\n"
    )
    print("\n".join(table(rows)))
    if args.write_docs:
        page = write_block("measured", "tokens", docs_block(rows))
        print(f"\nwrote the table into {page.relative_to(ROOT)}")
    if baseline is not None:
        name, before = baseline
        after = {(view, detail): tokens for view, detail, tokens, _ in rows}
        print(f"\nget_delivery_summary: {name} beside this tree, same data, same run\n")
        print(f"| view | detail | {name} | this tree | change |")
        print("|---|---|---:|---:|---:|")
        for view, detail, tokens, _ in before:  # the baseline's summary rows, and changed_since if it had it
            now = after[(view, detail)]
            print(f"| {view} | {detail} | {tokens:,} | {now:,} | {now - tokens:+,} |")


if __name__ == "__main__":
    main()
