"""``genviral-mcp check``: is this set-up going to work? Answered for a person in a terminal.

It validates the configuration the way the server does, calls the API once through the same
client, and prints a short status. On failure it prints the message a tool call would give.
Exit codes: 0 all good, 1 the API refused or failed, 2 the configuration is wrong. The key is
never printed, and text from the API is cleaned of control characters before it reaches the
terminal.
"""

from __future__ import annotations

import io
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TextIO

import anyio
import httpx2 as httpx

from genviral_mcp import __version__
from genviral_mcp.client import PostsClient, build_http_client
from genviral_mcp.config import ApiKey, Settings
from genviral_mcp.demo import SAMPLE_NOTICE, demo_settings, demo_transport
from genviral_mcp.errors import ConfigurationError, GenviralError, clean_text
from genviral_mcp.models import Post, PostsData
from genviral_mcp.query import MAX_LIMIT, PostsQuery
from genviral_mcp.summary import WAITING_STATUSES, Attention, DeliveryReport, report
from genviral_mcp.timestamps import minute

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_API, EXIT_CONFIG = 0, 1, 2
LATEST_SHOWN = 5
ATTENTION_SHOWN = 3
CAPTION_CHARS = 60
ERROR_CHARS = 110

MISSING_KEY_HINT = (
    "In a terminal: export GENVIRAL_API_KEY=gva_live_... and run `genviral-mcp check` again.\n"
    "No key yet? `genviral-mcp check --demo` shows the built-in sample workspace."
)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def run_check(
    settings: Settings,
    *,
    demo: bool = False,
    out: TextIO | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], datetime] = _now,
) -> int:
    """Print the status of this set-up to ``out`` and return the exit code."""
    out = out if out is not None else _tolerant_stdout()
    now = clock()
    if demo:
        settings, transport = demo_settings(), demo_transport(now)

    def say(line: str = "") -> None:
        print(line, file=out)

    say(f"genviral-mcp {__version__} check" + (" (demo)" if demo else ""))
    say()
    try:
        key = settings.require_ready()
    except ConfigurationError as exc:
        say(f"Configuration problem: {exc.message}")
        if settings.api_key is None and not settings.problem:
            say(MISSING_KEY_HINT)
        return EXIT_CONFIG
    for line in _configuration(settings, demo):
        say(line)
    started = time.perf_counter()
    try:
        data = anyio.run(_fetch, settings, key, transport)
    except GenviralError as exc:
        say(f"API        FAILED: {exc.message}")
        return EXIT_API
    except Exception as exc:
        logger.debug("check failed unexpectedly", exc_info=True)
        say(
            f"API        FAILED: genviral-mcp hit an internal error ({type(exc).__name__}). "
            "Run again with --log-level DEBUG and report it."
        )
        return EXIT_API
    elapsed_ms = (time.perf_counter() - started) * 1000
    say(f"API        OK: {settings.posts_url} answered in {elapsed_ms:.0f} ms")
    for line in _status(data, report(data.posts, now)):
        say(line)
    say()
    if demo:
        say(f"Sample data: {SAMPLE_NOTICE}")
        say("For your own posts: set GENVIRAL_API_KEY and run `genviral-mcp check` without --demo.")
    else:
        say("All good: this key can read its posts. Add genviral-mcp to your MCP host (see the README).")
    return EXIT_OK


def _tolerant_stdout() -> TextIO:
    """A console that cannot show a caption's script gets ``?`` instead of a crash."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")
    return sys.stdout


async def _fetch(settings: Settings, key: ApiKey, transport: httpx.AsyncBaseTransport | None) -> PostsData:
    """One request for the newest 100 posts (the most one call returns), through the server's client."""
    async with build_http_client(settings, transport) as http:
        return await PostsClient(http, settings).fetch(PostsQuery(limit=MAX_LIMIT), key)


def _configuration(settings: Settings, demo: bool) -> list[str]:
    if demo:
        return ["Config     demo: built-in sample workspace, no key used"]
    return [
        "Config     OK: GENVIRAL_API_KEY is set (not shown)",
        f"           base URL {settings.base_url}, timeout {settings.timeout:g} s",
    ]


def _plain(text: str | None, limit: int) -> str:
    return clean_text(text or "", limit)


def _status(data: PostsData, found: DeliveryReport) -> list[str]:
    scope = data.summary
    counts = ", ".join(f"{_plain(name, 20)} {count}" for name, count in scope.by_status.items())
    lines = [
        f"Scope      {scope.total if scope.total is not None else '?'} posts "
        f"({scope.pending if scope.pending is not None else '?'} pending, "
        f"{scope.published if scope.published is not None else '?'} published)",
    ]
    if counts:
        lines.append(f"           by status: {counts}")
    lines += ["", "Latest posts"]
    lines += [_post_line(post) for post in data.posts[:LATEST_SHOWN]] or ["  (none yet)"]
    lines += ["", *_attention(found, len(data.posts))]
    if found.upcoming:
        first = found.upcoming[0]
        lines.append(f"Upcoming   {len(found.upcoming)} scheduled, next at {minute(first.scheduled_at)} UTC")
    return lines


def _post_line(post: Post) -> str:
    count = len(post.deliveries)
    accounts = f"{count} account{'' if count == 1 else 's'}"
    caption = _plain(post.caption, CAPTION_CHARS) or "(no caption)"
    created = minute(post.created_at) or "?"
    return f"  {created:<16}  {_plain(post.status, 12) or '?':<10} {accounts:<11} {caption}"


def _attention(found: DeliveryReport, examined: int) -> list[str]:
    if not found.attention:
        return [f"Attention  none: no delivery among the latest {examined} posts needs a human"]
    kinds: Counter[str] = Counter()
    for item in found.attention:
        for delivery in item.deliveries:
            kinds["overdue" if delivery.status in WAITING_STATUSES else delivery.status or "?"] += 1
    summary = ", ".join(f"{_plain(kind, 20)} {count}" for kind, count in kinds.most_common())
    lines = [
        f"Attention  {found.attention_deliveries} deliveries on {len(found.attention)} of the latest "
        f"{examined} posts ({summary})"
    ]
    lines += [_attention_line(item) for item in found.attention[:ATTENTION_SHOWN]]
    lines.append('           Ask your agent "which posts need attention?" (get_delivery_summary).')
    return lines


def _attention_line(item: Attention) -> str:
    errors = [delivery.error_message for delivery in item.deliveries if delivery.error_message]
    if errors:
        why = _plain(errors[0], ERROR_CHARS)
    else:
        why = f"still waiting {item.overdue_minutes} min after its scheduled time"
    return f"  {item.post.id[:8]}  {_plain(item.post.status, 12) or '?':<10} {why}"
