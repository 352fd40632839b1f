"""What the tools say on data shaped like Genviral's documented API, against ground truth: one line
per defect of issue 16 (accounts missing from /accounts, colliding labels, deleted/void posts with
live deliveries, lagging and missing counters, a same-instant run, a post seen by two walks).

Run: .venv/bin/python benchmarks/documented_api.py

It reads results only through the MCP client, so the same script runs against an older checkout
of the package (``PYTHONPATH=<its src>``) to show the "before".
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
from mcp import Client

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from genviral_mcp.config import Settings
from genviral_mcp.demo.emulator import PostsEmulator
from genviral_mcp.demo.sample_data import sample_accounts, sample_posts
from genviral_mcp.server import build_server

from support.documented import (
    ACTIVE,
    CHANGED_POST,
    MISSING,
    NOW,
    OLD_FACEBOOK,
    OLD_LINKEDIN,
    TOKEN_ERROR,
    Truth,
    accounts_payload,
    documented_posts,
    lagging_scope,
    stale_copy,
)

KEY = "gva_live_bench.key"
Json = dict[str, Any]


def transport(emulator: PostsEmulator, pending: PostsEmulator | None = None) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        authorization = request.headers.get("authorization")
        params = dict(request.url.params)
        if request.url.path.endswith("/accounts"):
            answer = emulator.handle_accounts(authorization)
        elif pending is not None and params.get("status") == "pending":
            answer = pending.handle(params, authorization)
        else:
            answer = emulator.handle(params, authorization)
        return httpx.Response(answer.status, content=answer.body, headers=dict(answer.headers))

    return httpx.MockTransport(handler)


async def call(mock: httpx.MockTransport, calls: list[tuple[str, Json]]) -> list[Json]:
    server = build_server(Settings.from_env({"GENVIRAL_API_KEY": KEY}), transport=mock, clock=lambda: NOW)
    out: list[Json] = []
    async with Client(server) as client:
        for name, arguments in calls:
            result = await client.call_tool(name, arguments)
            assert not result.is_error, result.content
            out.append(result.structured_content or {})
    return out


async def every_delivery(mock: httpx.MockTransport) -> tuple[set[tuple[str, str]], dict[str, set[str]]]:
    """Deliveries list_posts shows over the whole scope, identified through each page's legend."""
    server = build_server(Settings.from_env({"GENVIRAL_API_KEY": KEY}), transport=mock, clock=lambda: NOW)
    seen: set[tuple[str, str]] = set()
    legend: dict[str, set[str]] = {}
    arguments: Json = {"limit": 100}
    async with Client(server) as client:
        while True:
            page = (await client.call_tool("list_posts", arguments)).structured_content or {}
            for label, account_id in page.get("accounts", {}).items():
                legend.setdefault(label, set()).add(account_id)
            for post in page["posts"]:
                seen |= {(post["id"], page["accounts"][label]) for label in post.get("deliveries", {})}
            if "next_page" not in page:
                return seen, legend
            arguments = page["next_page"]


def report(name: str, truth: str, said: str) -> None:
    print(f"- {name}\n    truth: {truth}\n    said:  {said}")


def account_line(summary: Json, account_id: str) -> str:
    for label, facts in summary.get("accounts", {}).items():
        if facts.get("id") == account_id:
            return f"{label!r} connection={facts.get('connection')!r}"
    return "(not listed)"


def live_on(posts: list[Json], account_id: str, status: str) -> int:
    return sum(
        1
        for p in posts
        for s in p["accounts"]["states"]
        if s["account_id"] == account_id and s["status"] == status
    )


async def main() -> None:
    posts = documented_posts()
    truth = Truth(posts)
    emulator = PostsEmulator(posts, {KEY: "ok"}, scope=lagging_scope(posts), accounts=accounts_payload())
    mock = transport(emulator)
    day = {"max_items": 100}
    week = {"max_items": 100, "hours_ahead": 168}
    summary, summary_week = await call(mock, [("get_delivery_summary", day), ("get_delivery_summary", week)])
    attention = summary["needs_attention"]

    not_active = [(item["account"], item["deliveries"]) for item in attention.get("accounts_not_active", [])]
    report(
        "accounts missing from /accounts (3 with live deliveries)",
        ", ".join(f"{MISSING[a]} {a[:13]}… {n} live" for a, n in truth.not_active().items()),
        "; ".join(account_line(summary, account_id) for account_id in MISSING)
        + f"; accounts_not_active={not_active}",
    )
    facebook = next((label for label, f in summary["accounts"].items() if f.get("id") == OLD_FACEBOOK), "?")
    items = summary_week["upcoming"].get("items", [])
    targeting = [item for item in items if facebook in item.get("accounts", [])]
    warned = sum("warning" in item for item in targeting)
    report(
        "upcoming posts to an inactive account",
        f"{live_on(posts, OLD_FACEBOOK, 'scheduled')} scheduled to the missing Facebook account",
        f"{len(targeting)} upcoming items target it (168 h), {warned} carry a warning",
    )
    _, legend = await every_delivery(mock)
    shared = sorted(label for label, ids in legend.items() if len(ids) > 1)
    linkedin = next((label for label, ids in legend.items() if OLD_LINKEDIN in ids), "?")
    report(
        "colliding fallback labels (LinkedIn and Facebook ids share 3f1c9a20)",
        f"{len(truth.deliveries())} deliveries, each on one account",
        f"labels standing for two ids in list_posts: {shared or 'none'}; LinkedIn's label: {linkedin!r}",
    )
    instagram_ids = {a for a, platform, _, _ in ACTIVE if platform == "instagram"}
    instagram = sorted(label for label, ids in legend.items() if ids & instagram_ids)
    report(
        "a disambiguated label equal to another account's name",
        "3 Instagram accounts, 3 labels",
        f"{instagram}",
    )
    on_token = sum(
        1
        for p in posts
        for s in p["accounts"]["states"]
        if s["error_message"] == TOKEN_ERROR and s["status"] == "failed"
    )
    token: dict[str, Any] = next(
        (c for c in attention["causes"] if c["cause"].startswith("401 Unauthorized")), {}
    )
    report(
        "an inactive account swallowing causes (expired token)",
        f"{on_token} failed deliveries carry the expired-token error",
        f"its cause counts {token.get('deliveries')}",
    )
    report(
        "deleted/void posts with live deliveries",
        f"attention {len(truth.attention())} deliveries; upcoming(24 h) {len(truth.upcoming(24))} posts",
        f"attention {attention['deliveries']}; upcoming {summary['upcoming']['posts']}; "
        f"coverage {summary['coverage'][:60]!r}",
    )
    failed = sum(1 for p in posts if p["status"] == "failed")
    counted = summary.get("counted_by_this_tool")
    report(
        "lagging counter (failed: counter 100)",
        f"{failed} failed posts; {len({p for p, _ in truth.attention()})} posts need attention",
        f"posts needing attention {attention['posts']}; counted_by_this_tool={counted}",
    )
    report(
        "retry (and deleted, void) not in by_status",
        ", ".join(f"{status} {truth.statuses()[status]}" for status in ("retry", "deleted", "void")),
        f"posts_by_status={summary['scope']['posts_by_status']}; counted_by_this_tool={counted}",
    )
    crowd_posts = documented_posts(crowd=True)
    crowd_truth = Truth(crowd_posts)
    crowd_mock = transport(PostsEmulator(crowd_posts, {KEY: "ok"}, accounts=accounts_payload()))
    [crowd] = await call(crowd_mock, [("get_delivery_summary", {"hours_ahead": 168})])
    scheduled = sum(1 for p in crowd_posts if p["status"] == "scheduled")
    crowd_lines = [line[:110] for line in crowd.get("incomplete", []) if "instant" in line]
    report(
        "120 scheduled posts sharing one created_at",
        f"{scheduled} scheduled posts; upcoming(168 h) {len(crowd_truth.upcoming(168))}",
        f"coverage {crowd['coverage'][:50]!r}; incomplete: {crowd_lines}",
    )
    swapped = [stale_copy(posts) if p["id"] == CHANGED_POST else p for p in posts]
    pending = PostsEmulator(swapped, {KEY: "ok"}, scope=lagging_scope(posts))
    window = {
        "max_items": 100,
        "published_since": "2026-11-27T00:00:00Z",
        "published_until": "2026-11-28T00:00:00Z",
    }
    [dedupe] = await call(transport(emulator, pending), [("get_delivery_summary", window)])
    published = next(
        s["published_at"] for p in posts if p["id"] == CHANGED_POST for s in p["accounts"]["states"]
    )
    went_out = any(item["id"] == CHANGED_POST for item in dedupe["went_out"].get("items", []))
    overdue = any(CHANGED_POST in cause.get("posts", {}) for cause in dedupe["needs_attention"]["causes"])
    report(
        "a post seen by two walks (pending copy, then posted)",
        f"it went out at {published}",
        f"in went_out: {went_out}; flagged as overdue: {overdue}",
    )
    await demo_aspect_ratio()


async def demo_aspect_ratio() -> None:
    """The issue's own example: the demo's aspect-ratio cause."""
    posts = sample_posts(NOW)
    aspect = "(#36003)"
    carrying = sum(
        1
        for p in posts
        for s in p["accounts"]["states"]
        if s["status"] in ("failed", "partial", "retry") and (s["error_message"] or "").startswith(aspect)
    )
    emulator = PostsEmulator(posts, {KEY: "ok"}, accounts=sample_accounts())
    [summary] = await call(transport(emulator), [("get_delivery_summary", {"max_items": 100})])
    cause: dict[str, Any] = next(
        (c for c in summary["needs_attention"]["causes"] if c["cause"].startswith(aspect)), {}
    )
    report(
        "demo: aspect-ratio cause",
        f"{carrying} deliveries carry it",
        f"its cause counts {cause.get('deliveries')}",
    )


if __name__ == "__main__":
    anyio.run(main)
