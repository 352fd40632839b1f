"""``genviral-mcp check``: is this set-up going to work? Answered for a person in a terminal.

It validates the configuration the way the server does, takes the default delivery summary
through the same client and code (a few requests), and prints a short status. On failure it
prints the message a tool call would give. Exit codes: 0 all good, 1 the API refused or failed,
2 the configuration is wrong. The key is never printed, and text from the API is cleaned of
control characters before it reaches the terminal.
"""

from __future__ import annotations

import io
import logging
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO

import anyio
import httpx2 as httpx

from genviral_mcp import __version__
from genviral_mcp.accounts import HEALTHY_CONNECTIONS, AccountDirectory
from genviral_mcp.analytics import AnalyticsDirectory
from genviral_mcp.client import PostsClient, build_http_client
from genviral_mcp.config import ApiKey, Settings
from genviral_mcp.demo import SAMPLE_NOTICE, demo_settings, demo_transport
from genviral_mcp.errors import ConfigurationError, GenviralError
from genviral_mcp.query import DEFAULT_HOURS_AHEAD, DEFAULT_MAX_ITEMS, SummaryRequest, WalkLimits
from genviral_mcp.sanitize import clean_text, plain_text
from genviral_mcp.shaping import delivery_summary_output
from genviral_mcp.survey import survey_with_analytics
from genviral_mcp.timestamps import utc_now

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_API, EXIT_CONFIG = 0, 1, 2
ATTENTION_SHOWN = 3
ERROR_CHARS = 110

Summary = dict[str, Any]

MISSING_KEY_HINT = (
    "In a terminal: export GENVIRAL_API_KEY=gva_live_... and run `genviral-mcp check` again.\n"
    "No key yet? `genviral-mcp check --demo` shows the built-in sample workspace."
)


def run_check(
    settings: Settings,
    *,
    demo: bool = False,
    out: TextIO | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> int:
    """Print the status of this set-up to ``out`` and return the exit code."""
    out = out if out is not None else _tolerant_stdout()
    now = clock()
    if demo:
        settings, transport = demo_settings(), demo_transport(lambda: now)

    def say(line: str = "") -> None:
        # The terminal boundary: whatever a line quotes from Genviral, no escape or control reaches it.
        print(plain_text(line), file=out)

    say(f"genviral-mcp {__version__} check" + (" (demo)" if demo else ""))
    say()
    try:
        key = settings.require_ready()
    except ConfigurationError as exc:
        for note in settings.key_notes():
            say(note)
        say(f"Configuration problem: {exc.message}")
        if settings.api_key is None and not settings.problem:
            say(MISSING_KEY_HINT)
        return EXIT_CONFIG
    for line in _configuration(settings, demo):
        say(line)
    started = time.perf_counter()
    try:
        summary, requests, failed = anyio.run(_summarise, settings, key, transport, now)
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
    say(f"API        OK: {settings.posts_url} answered {requests} requests in {elapsed_ms:.0f} ms")
    try:
        lines = _status(summary)
    except Exception as exc:  # whatever Genviral sent, a person gets a line, never a traceback
        logger.debug("check could not render the summary", exc_info=True)
        say(
            f"Summary    FAILED: genviral-mcp could not show it ({type(exc).__name__}). "
            "Run again with --log-level DEBUG and report it."
        )
        return EXIT_API
    for line in lines:
        say(line)
    say()
    if failed:
        say("Some requests failed: the summary above is incomplete. Run `genviral-mcp check` again.")
        return EXIT_API
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


async def _summarise(
    settings: Settings, key: ApiKey, transport: httpx.AsyncBaseTransport | None, now: datetime
) -> tuple[Summary, int, bool]:
    """The default ``get_delivery_summary``, through the server's own client and code: the same
    truth, with the number of requests it took and whether any failed."""
    request = SummaryRequest.from_arguments(DEFAULT_HOURS_AHEAD, None, None, DEFAULT_MAX_ITEMS, now)
    async with build_http_client(settings, transport) as http:
        client = PostsClient(http, settings)
        survey = await survey_with_analytics(
            client,
            AccountDirectory(),
            AnalyticsDirectory(),
            key,
            request.published_since,
            request.published_until,
            WalkLimits(),
        )
    failed = any(walk.error is not None for walk in survey.walks)
    return delivery_summary_output(survey, request, now).structured, survey.requests, failed


def _configuration(settings: Settings, demo: bool) -> list[str]:
    if demo:
        return ["Config     demo: built-in sample workspace, no key used"]
    return [
        "Config     OK: GENVIRAL_API_KEY is set (not shown)",
        *(f"           {note}" for note in settings.key_notes()),
        f"           base URL {settings.base_url}, timeout {settings.timeout:g} s",
    ]


def _plain(text: object, limit: int) -> str:
    return clean_text(str(text) if text is not None else "", limit)


def _status(summary: Summary) -> list[str]:
    scope = summary.get("scope", {})
    counts = ", ".join(
        f"{_plain(name, 20)} {count}" for name, count in scope.get("posts_by_status", {}).items()
    )
    lines = [
        f"Scope      {scope.get('total_posts', '?')} posts "
        f"({scope.get('not_yet_published_posts', '?')} not yet published, "
        f"{scope.get('published_posts', '?')} published)",
    ]
    if counts:
        lines.append(f"           by status: {counts}")
    lines.append(f"Coverage   {_plain(summary.get('coverage'), 200)}")
    lines += [f"           {_plain(problem, 300)}" for problem in summary.get("incomplete", [])]
    lines += ["", *_attention(summary.get("needs_attention", {})), *_upcoming(summary.get("upcoming", {}))]
    lines += _went_out(summary.get("went_out", {}))
    lines += _accounts(summary.get("accounts", {}))
    return lines


def _attention(attention: Summary) -> list[str]:
    if not attention.get("deliveries"):
        return ["Attention  none: no delivery in scope needs a human"]
    causes = attention.get("causes", [])
    total = len(causes) + attention.get("causes_left_out", 0)
    posts = attention.get("posts", "?")
    lines = [f"Attention  {attention['deliveries']} deliveries on {posts} posts, {total} causes"]
    for cause in causes[:ATTENTION_SHOWN]:
        accounts = _plain(", ".join(cause.get("accounts", [])), 80)
        lines.append(
            f"  {cause.get('deliveries', 0):>3} x {_plain(cause.get('cause'), ERROR_CHARS)} ({accounts})"
        )
        if cause.get("fix"):
            lines.append(f"        fix: {_plain(cause['fix'], ERROR_CHARS)}")
    more = total - min(len(causes), ATTENTION_SHOWN)
    if more > 0:
        lines.append(f"  ... {more} more {'cause' if more == 1 else 'causes'}, not shown here.")
    lines.append(
        '           Ask your agent "what needs my attention?" (get_delivery_summary) for all of them.'
    )
    return lines


def _upcoming(upcoming: Summary) -> list[str]:
    hours = upcoming.get("hours", DEFAULT_HOURS_AHEAD)
    items = upcoming.get("items", [])
    if not items:
        return [f"Upcoming   none in the next {hours} h"]
    first = items[0]
    who = _plain(", ".join(first.get("accounts", [])), 80)
    return [
        f"Upcoming   {upcoming.get('posts', '?')} in the next {hours} h, next at "
        f"{_plain(first.get('scheduled'), 40)} UTC ({who})"
    ]


def _went_out(went_out: Summary) -> list[str]:
    line = (
        f"Went out   {went_out.get('posts', 0)} posts ({went_out.get('deliveries', 0)} deliveries) "
        f"published {went_out.get('published_since')} to {went_out.get('published_until')} UTC"
    )
    return (
        [line]
        if went_out.get("complete", True)
        else [line, f"           {_plain(went_out.get('note'), 300)}"]
    )


def _accounts(accounts: Summary) -> list[str]:
    troubled = [
        f"{_plain(label, 60)} ({_plain(facts['connection'], 30)})"
        for label, facts in accounts.items()
        if facts.get("connection") and facts["connection"].lower() not in {*HEALTHY_CONNECTIONS, "unknown"}
    ]
    if not troubled:
        return []
    return [f"Accounts   not connected: {', '.join(troubled)}"]
