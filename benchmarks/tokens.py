"""Token budgets: what each host's model reads of list_posts(limit=100), against the raw API response,
and of a default get_delivery_summary, against its ceiling.

Run: .venv/bin/pip install -e '.[bench]' && .venv/bin/python benchmarks/tokens.py

Counts tokens with the Claude tokenizer that shipped as ``anthropic/tokenizer.json`` in the
``anthropic`` package up to 0.38 (fetched once with ``pip download --no-deps`` into
``benchmarks/.cache``) loaded with ``tokenizers``. The data set is the project's sample workspace:
long and non-Latin captions, emoji, posts fanned out to 8 accounts, provider failures.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
from mcp import Client
from tokenizers import Tokenizer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from genviral_mcp.config import Settings
from genviral_mcp.demo.emulator import PostsEmulator
from genviral_mcp.demo.sample_data import sample_accounts, sample_analytics, sample_posts, sample_targets
from genviral_mcp.server import build_server

from support.host_views import VIEWS

CACHE = ROOT / "benchmarks" / ".cache"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
KEY = "gva_live_bench.key"
TARGET = 0.35
SUMMARY_TARGET = 7000


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

    trimmed = strip(data)
    for post in trimmed["posts"]:
        post["caption"] = post.get("caption", "")[:80]
    return trimmed


async def measure() -> list[tuple[str, str, int, int]]:
    posts = sample_posts(NOW, 300)
    emulator = PostsEmulator(
        posts,
        {KEY: "ok"},
        accounts=sample_accounts(),
        analytics=sample_analytics(posts, NOW),
        targets=sample_targets(),
        now=NOW,
    )

    def handler(request: httpx.Request) -> httpx.Response:
        # Names and performance numbers cost tokens too: they are served, so they are counted.
        if request.url.path.endswith("/accounts"):
            answer = emulator.handle_accounts(request.headers.get("authorization"))
        elif request.url.path.endswith("/analytics/summary/posts"):
            answer = emulator.handle_analytics(dict(request.url.params), request.headers.get("authorization"))
        elif request.url.path.endswith("/analytics/targets"):
            answer = emulator.handle_targets(request.headers.get("authorization"))
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
        for detail in ("concise", "full"):
            result = await client.call_tool("list_posts", {"limit": 100, "detail": detail})
            assert not result.is_error
            for name, view in VIEWS.items():
                rows.append(row(name, detail, view(result)))
        summary = await client.call_tool("get_delivery_summary", {})
        assert not summary.is_error
        for name, view in VIEWS.items():
            rows.append(row(name, "summary", view(summary)))
    return rows


def main() -> None:
    rows = anyio.run(measure)
    raw = rows[0][2]
    print("list_posts(limit=100) over the sample workspace (300 posts); tokens by the Claude tokenizer\n")
    print("| view | detail | tokens | share of raw | bytes |")
    print("|---|---|---:|---:|---:|")
    for name, detail, tokens, size in rows:
        print(f"| {name} | {detail} | {tokens:,} | {tokens / raw:.1%} | {size:,} |")
    worst = max(tokens for name, detail, tokens, _ in rows if detail == "concise")
    verdict = "PASS" if worst / raw <= TARGET else "FAIL"
    print(f"\nworst concise view: {worst / raw:.1%} of raw (target ≤ {TARGET:.0%}): {verdict}")
    summary = max(tokens for name, detail, tokens, _ in rows if detail == "summary")
    verdict = "PASS" if summary <= SUMMARY_TARGET else "FAIL"
    print(
        f"default get_delivery_summary, worst view: {summary:,} tokens "
        f"(target ≤ {SUMMARY_TARGET:,}): {verdict}"
    )


if __name__ == "__main__":
    main()
