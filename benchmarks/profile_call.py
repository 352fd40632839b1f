"""Where a ``list_posts(limit=100)`` call's time goes, stage by stage, beyond fetch and parse.

Run from the repository root::

    .venv/bin/python benchmarks/profile_call.py [--rounds 200] [--cprofile]

Each stage of one call is timed on its own, in-process, with its input computed once beforehand
(median of ``--rounds``): the HTTP fetch from the stand-in API (``tests/support/standin.py``), our parse
and shaping, and what the SDK does with the result before it reaches the wire. Then a few
alternatives the call path replaced are timed on the same data, as evidence for those changes.
Hot loops run faster than a real call (warm caches, no other work in between), so read the
figures as shares. ``--cprofile`` also profiles a spawned stdio server over 100 calls.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench

Stage = tuple[str, str, Callable[[], Any]]


def median_ms(action: Callable[[], Any], rounds: int) -> float:
    action()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def minute_by_parsing(value: str | None) -> str | None:
    """The alternative ``minute()`` replaced: parse every timestamp, then format it."""
    from genviral_mcp.timestamps import parse_iso

    moment = parse_iso(value)
    return moment.strftime("%Y-%m-%d %H:%M") if moment else value


def measure(base_url: str, rounds: int) -> None:
    import httpx2
    from mcp.server.runner import _dump_result
    from mcp_types import CallToolResult, ContentBlock, JSONRPCResponse, TextContent
    from mcp_types.methods import serialize_server_result

    from genviral_mcp.accounts import AccountLabels
    from genviral_mcp.client import parse_response
    from genviral_mcp.paging import Page, split_page
    from genviral_mcp.query import PostsQuery
    from genviral_mcp.server import success
    from genviral_mcp.shaping import list_posts_output
    from genviral_mcp.timestamps import minute

    http = httpx2.Client(headers={"authorization": f"Bearer {bench.KEY}"}, trust_env=False)
    url, params = f"{base_url}/posts", {"limit": "100"}
    response = http.get(url, params=params)
    body, headers = response.content, response.headers
    query = PostsQuery.from_arguments(None, 100, None, None)
    data = parse_response(200, headers, body)
    posts, next_until = split_page(data.posts, query.limit)
    page = Page(posts=posts, scope=data.summary, next_until=next_until)
    labels = AccountLabels()  # no account list: id labels, as when GET /accounts is unavailable
    output = list_posts_output(page, query, "concise", bench.NOW, labels)
    text = output.text()
    result = success(output)
    dumped = _dump_result(result)
    wire = serialize_server_result("tools/call", bench.HANDSHAKE, dumped)
    line = JSONRPCResponse(jsonrpc="2.0", id=1, result=wire).model_dump_json(
        by_alias=True, exclude_unset=True
    )
    stamps = [stamp for post in data.posts for stamp in (post.created_at, post.scheduled_at)]

    def result_model() -> CallToolResult:
        blocks: list[ContentBlock] = [TextContent(type="text", text=text)]
        blocks += [TextContent(type="text", text=note) for note in output.notes]
        return CallToolResult(content=blocks, structured_content=output.structured)

    stages: list[Stage] = [
        ("floor", "HTTP GET from the stand-in (httpx2, keep-alive)", lambda: http.get(url, params=params)),
        ("floor", "`json.loads` of the body", lambda: json.loads(body)),
        (
            "ours",
            "`parse_response`: envelope + post models (pydantic)",
            lambda: parse_response(200, headers, body),
        ),
        (
            "ours",
            "`split_page` (the tail of a full page)",
            lambda: split_page(data.posts, query.limit),
        ),
        (
            "ours",
            "`list_posts_output`: shaping 100 posts",
            lambda: list_posts_output(page, query, "concise", bench.NOW, labels),
        ),
        ("ours", "`ToolOutput.text()`: pretty JSON by `pydantic_core`", output.text),
        ("ours", "`success()` minus `text()`: the `CallToolResult` model", result_model),
        ("SDK", "`_dump_result`: `CallToolResult.model_dump(mode=json)`", lambda: _dump_result(result)),
        (
            "SDK",
            "`serialize_server_result`: validate + dump against the version surface",
            lambda: serialize_server_result("tools/call", bench.HANDSHAKE, dumped),
        ),
        (
            "SDK",
            "JSON-RPC response `model_dump_json` (stdio writer)",
            lambda: JSONRPCResponse(jsonrpc="2.0", id=1, result=wire).model_dump_json(
                by_alias=True, exclude_unset=True
            ),
        ),
    ]
    what_if: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        (
            "text block: `pydantic_core` (now) vs the stdlib's `json.dumps(indent=2)`",
            output.text,
            lambda: json.dumps(output.structured, indent=2, ensure_ascii=False),
        ),
        (
            "200 × `minute()`: read off the API's UTC form (now) vs parse + strftime",
            lambda: [minute(stamp) for stamp in stamps],
            lambda: [minute_by_parsing(stamp) for stamp in stamps],
        ),
    ]
    structured = json.dumps(output.structured, ensure_ascii=False, separators=(",", ":"))
    print(
        f"sizes: API body {len(body) / 1024:.0f} KB; "
        f"structuredContent {len(structured.encode()) / 1024:.0f} KB compact; "
        f"text block {len(text.encode()) / 1024:.0f} KB; "
        f"JSON-RPC line {len(line.encode()) / 1024:.0f} KB\n"
    )
    print("| who | stage | median |\n|---|---|---|")
    totals: dict[str, float] = {}
    for who, label, action in stages:
        spent = median_ms(action, rounds)
        totals[who] = totals.get(who, 0.0) + spent
        print(f"| {who} | {label} | {spent:.2f} ms |")
    for who, spent in totals.items():
        print(f"| **{who}** | total | **{spent:.2f} ms** |")
    print("\n| alternative | now | instead |\n|---|---|---|")
    for label, now, then in what_if:
        print(f"| {label} | {median_ms(now, rounds):.2f} ms | {median_ms(then, rounds):.2f} ms |")
    http.close()


def cprofile(base_url: str, calls: int) -> None:
    """Profile a spawned stdio server over ``calls`` calls (``run("stdio")`` returns, then the dump)."""
    import pstats
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "server.prof"
        serve = (
            "import cProfile, os, sys\n"
            "from genviral_mcp.config import Settings\n"
            "from genviral_mcp.server import build_server\n"
            "server = build_server(Settings.from_env(os.environ))\n"
            "cProfile.run('server.run(\"stdio\")', sys.argv[1])\n"
        )
        session = bench.Session([bench.PYTHON, "-c", serve, str(out)], bench.server_env(base_url))
        session.initialize()
        for _ in range(calls):
            session.write(bench.tool_call(session, "list_posts", {"limit": 100}))
            bench.check_result(session.read())
        session.close()
        stats = pstats.Stats(str(out))
        stats.sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--cprofile", action="store_true", help="also profile a spawned server")
    args = parser.parse_args()
    with bench.standin_process() as base_url:
        measure(base_url, args.rounds)
        if args.cprofile:
            cprofile(base_url, 100)


if __name__ == "__main__":
    main()
