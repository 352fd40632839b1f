"""Upstream requests per tool call: what one call sends to Genviral, by endpoint, on a fresh server
(nothing cached) and again at once (the enrichments cached).

Run: .venv/bin/python benchmarks/upstream_requests.py

The data is the token benchmark's: the sample workspace (300 posts) with account names and
analytics served (``tokens.emulator_with_everything``), at the benchmark's fixed clock.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
from mcp import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tokens import KEY, NOW, emulator_with_everything

from genviral_mcp.config import Settings
from genviral_mcp.server import build_server

ENDPOINTS = ("posts", "accounts", "analytics/targets", "analytics/summary/posts")
CALLS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("get_delivery_summary (default: the last 24 h)", "get_delivery_summary", {}),
    (
        "get_delivery_summary (yesterday)",
        "get_delivery_summary",
        {"published_since": "2026-11-27", "published_until": "2026-11-27"},
    ),
    ('list_posts(limit=100, detail="full")', "list_posts", {"limit": 100, "detail": "full"}),
    (
        'list_posts(limit=20, detail="full", until=2026-11-01)',
        "list_posts",
        {"detail": "full", "until": "2026-11-01"},
    ),
    ("list_posts(limit=100) (concise)", "list_posts", {"limit": 100}),
)


async def count(tool: str, arguments: dict[str, Any]) -> tuple[Counter[str], Counter[str]]:
    """Requests by endpoint for the call on a fresh server, and for the same call repeated at once."""
    emulator = emulator_with_everything()
    seen: Counter[str] = Counter()

    def handler(request: httpx.Request) -> httpx.Response:
        path, authorization = request.url.path.rpartition("/v1/")[2], request.headers.get("authorization")
        seen[path] += 1
        if path == "accounts":
            answer = emulator.handle_accounts(authorization)
        elif path == "analytics/summary/posts":
            answer = emulator.handle_analytics(dict(request.url.params), authorization)
        elif path == "analytics/targets":
            answer = emulator.handle_targets(authorization)
        else:
            answer = emulator.handle(dict(request.url.params), authorization)
        return httpx.Response(answer.status, content=answer.body, headers=dict(answer.headers))

    settings = Settings.from_env({"GENVIRAL_API_KEY": KEY})
    server = build_server(settings, transport=httpx.MockTransport(handler), clock=lambda: NOW)
    async with Client(server) as client:
        assert not (await client.call_tool(tool, arguments)).is_error
        first = Counter(seen)
        seen.clear()
        assert not (await client.call_tool(tool, arguments)).is_error
    return first, Counter(seen)


def cells(counts: Counter[str]) -> str:
    return (
        " | ".join(str(counts.get(endpoint, 0)) for endpoint in ENDPOINTS) + f" | **{sum(counts.values())}**"
    )


async def main() -> None:
    print("Upstream requests per call, by endpoint (sample workspace, 300 posts)\n")
    print("| call | | " + " | ".join(f"`{endpoint}`" for endpoint in ENDPOINTS) + " | all |")
    print("|---|---|" + "---:|" * (len(ENDPOINTS) + 1))
    for name, tool, arguments in CALLS:
        first, again = await count(tool, arguments)
        print(f"| {name} | uncached | {cells(first)} |")
        print(f"| | again at once | {cells(again)} |")


if __name__ == "__main__":
    anyio.run(main)
