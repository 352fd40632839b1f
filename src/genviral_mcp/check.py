"""``genviral-mcp check``: is this set-up going to work? Answered for a person in a terminal, or
(``--json``) for a script.

It validates the configuration the way the server does, takes the default delivery summary
through the same client and code (a few requests), and prints a short status. On failure it
prints the message a tool call would give. Exit codes: 0 all good, 1 the API refused or failed,
2 the configuration is wrong. The key is never printed, and text from the API is cleaned of
control characters before it reaches the terminal.

``--json`` prints the summary's ``structuredContent`` as one JSON object on stdout (messages go
to stderr) and exits with a code a script can branch on: 0 nothing needs attention and coverage
was exact, 1 something needs attention, 2 a configuration problem, 3 Genviral unreachable or
refusing, or coverage incomplete with nothing found. ``--changed-since T`` (either mode) applies
``get_delivery_summary``'s ``changed_since`` and says the ``as_of`` to pass next time.
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
from genviral_mcp.analysis import kept_whole
from genviral_mcp.analytics import AnalyticsDirectory
from genviral_mcp.client import PostsClient, build_http_client
from genviral_mcp.config import ApiKey, Settings
from genviral_mcp.demo import SAMPLE_NOTICE, demo_settings, demo_transport
from genviral_mcp.errors import ConfigurationError, GenviralError, InvalidArgument
from genviral_mcp.query import DEFAULT_HOURS_AHEAD, DEFAULT_MAX_ITEMS, SummaryRequest, WalkLimits
from genviral_mcp.sanitize import bind_secret, plain_text, redaction_scope
from genviral_mcp.shaping import ToolOutput, delivery_summary_output
from genviral_mcp.survey import survey_with_analytics
from genviral_mcp.timestamps import utc_now

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_API, EXIT_CONFIG = 0, 1, 2
#: ``check --json``: 0 nothing needs attention (coverage exact), 1 something needs attention,
#: 2 configuration (as above), 3 Genviral unreachable or refusing, or coverage incomplete with
#: nothing found: the script cannot tell.
EXIT_ATTENTION, EXIT_UNKNOWN = 1, 3
ATTENTION_SHOWN = 3
ERROR_CHARS = 110
#: Why an account is not active, in its line: room for "missing from Genviral's account list".
CONNECTION_CHARS = 60
NOT_ACTIVE = "not active"

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
    as_json: bool = False,
    changed_since: str | None = None,
    err: TextIO | None = None,
) -> int:
    """Print the status of this set-up to ``out`` (``as_json``: the summary as one JSON object, and
    every message to ``err``) and return the exit code."""
    now = clock()
    if demo:
        settings, transport = demo_settings(), demo_transport(lambda: now)
    if as_json:
        out = out if out is not None else _utf8_stdout()
        return _check_json(settings, demo, out, err or sys.stderr, transport, now, changed_since)
    out = out if out is not None else _tolerant_stdout()

    def say(line: str = "") -> None:
        # The terminal boundary: whatever a line quotes from Genviral, no escape or control reaches it.
        print(plain_text(line), file=out)

    say(f"genviral-mcp {__version__} check" + (" (demo)" if demo else ""))
    say()
    try:
        key = settings.require_ready()
    except ConfigurationError as exc:
        return _configuration_problem(settings, exc, say)
    for line in _configuration(settings, demo):
        say(line)
    try:
        request = summary_request(now, changed_since)
    except InvalidArgument as exc:
        say(exc.message)
        return EXIT_CONFIG
    with redaction_scope():  # whatever Genviral echoes of the key, spelled any way, is redacted
        if not demo:  # the demo's key is no secret, and its last part is a word ("workspace")
            bind_secret(key.reveal())
        return _check_api(settings, key, transport, now, request, demo, say)


def _check_api(
    settings: Settings,
    key: ApiKey,
    transport: httpx.AsyncBaseTransport | None,
    now: datetime,
    request: SummaryRequest,
    demo: bool,
    say: Callable[[str], None],
) -> int:
    started = time.perf_counter()
    try:
        output, requests, failed = anyio.run(_summarise, settings, key, transport, now, request)
        summary = output.structured
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
    say("")
    if failed:
        say("Some requests failed: the summary above is incomplete. Run `genviral-mcp check` again.")
        return EXIT_API
    if demo:
        say(f"Sample data: {SAMPLE_NOTICE}")
        say("For your own posts: set GENVIRAL_API_KEY and run `genviral-mcp check` without --demo.")
    else:
        say("All good: this key can read its posts. Add genviral-mcp to your MCP host (see the README).")
    return EXIT_OK


def _check_json(
    settings: Settings,
    demo: bool,
    out: TextIO,
    err: TextIO,
    transport: httpx.AsyncBaseTransport | None,
    now: datetime,
    changed_since: str | None,
) -> int:
    """``check --json``: the summary's ``structuredContent`` on ``out``, exactly the text a tool call
    gives (and ``sample_data`` first in the demo), nothing else; every message goes to ``err``."""

    def warn(line: str) -> None:
        print(plain_text(line), file=err)

    try:
        key = settings.require_ready()
    except ConfigurationError as exc:
        return _configuration_problem(settings, exc, warn)
    for note in settings.key_notes():
        warn(note)
    try:
        request = summary_request(now, changed_since)
    except InvalidArgument as exc:
        warn(exc.message)
        return EXIT_CONFIG
    with redaction_scope():
        if not demo:
            bind_secret(key.reveal())
        try:
            output, _, _ = anyio.run(_summarise, settings, key, transport, now, request)
        except GenviralError as exc:
            warn(f"Genviral FAILED: {exc.message}")
            return EXIT_UNKNOWN
        except Exception as exc:
            logger.debug("check failed unexpectedly", exc_info=True)
            warn(
                f"genviral-mcp hit an internal error ({type(exc).__name__}). Run again with --log-level "
                "DEBUG and report it."
            )
            return EXIT_UNKNOWN
    if demo:
        output = ToolOutput({"sample_data": SAMPLE_NOTICE, **output.structured})
    out.write(output.text() + "\n")
    out.flush()
    return json_exit_code(output.structured)


def json_exit_code(summary: Summary) -> int:
    """``check --json``'s exit code for a summary: something needs attention (1) whatever the
    coverage; else 0 when coverage was exact, 3 when it was not (nothing found is no all-clear)."""
    attention = summary.get("needs_attention", {})
    if attention.get("deliveries") or attention.get("accounts_not_active"):
        return EXIT_ATTENTION
    return EXIT_OK if str(summary.get("coverage", "")).startswith("exact") else EXIT_UNKNOWN


def summary_request(now: datetime, changed_since: str | None) -> SummaryRequest:
    """The default summary's request, with ``changed_since`` when given (refused by name when bad)."""
    return SummaryRequest.from_arguments(
        DEFAULT_HOURS_AHEAD, None, None, DEFAULT_MAX_ITEMS, now, changed_since=changed_since
    )


def _tolerant_stdout() -> TextIO:
    """A console that cannot show a caption's script gets ``?`` instead of a crash."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")
    return sys.stdout


def _utf8_stdout() -> TextIO:
    """JSON is UTF-8 (RFC 8259), whatever the console's encoding: a script reads it, not a person."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8", errors="strict")
    return sys.stdout


async def _summarise(
    settings: Settings,
    key: ApiKey,
    transport: httpx.AsyncBaseTransport | None,
    now: datetime,
    request: SummaryRequest,
) -> tuple[ToolOutput, int, bool]:
    """``get_delivery_summary`` (the default one, or with ``changed_since``), through the server's
    own client and code: the same truth, with the number of requests it took and whether any
    failed."""
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
            shown=kept_whole(request, now),
        )
    failed = any(walk.error is not None for walk in survey.walks)
    return delivery_summary_output(survey, request, now), survey.requests, failed


def _configuration_problem(settings: Settings, exc: ConfigurationError, say: Callable[[str], None]) -> int:
    """What is wrong with the set-up (and how to set a missing key), then :data:`EXIT_CONFIG`."""
    for note in settings.key_notes():
        say(note)
    say(f"Configuration problem: {exc.message}")
    if settings.api_key is None and not settings.problem:
        say(MISSING_KEY_HINT)
    return EXIT_CONFIG


def _configuration(settings: Settings, demo: bool) -> list[str]:
    if demo:
        return ["Config     demo: built-in sample workspace, no key used"]
    return [
        "Config     OK: GENVIRAL_API_KEY is set (not shown)",
        *(f"           {note}" for note in settings.key_notes()),
        f"           base URL {settings.base_url}, timeout {settings.timeout:g} s",
    ]


def _plain(text: object, limit: int) -> str:
    """A summary's text on one line, cut at ``limit``. The summary cleaned it already (markup
    included), and every printed line goes through :func:`plain_text`: stripping markup again would
    erase the summary's own placeholders (``<id>``, ``<url>``)."""
    flat = " ".join(plain_text(str(text) if text is not None else "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


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
    since = summary.get("changed_since")
    lines += _cursor(summary) if since else []
    lines += [
        "",
        *_attention(summary.get("needs_attention", {}), since),
        *_upcoming(summary.get("upcoming", {})),
    ]
    lines += _went_out(summary.get("went_out", {}))
    lines += _accounts(summary.get("accounts", {}))
    return lines


def _cursor(summary: Summary) -> list[str]:
    """With ``--changed-since``: the window, and the ``as_of`` to pass next time."""
    lines = [
        f"Changes    since {_plain(summary.get('changed_since'), 40)}",
        f"As of      {_plain(summary.get('as_of'), 40)} (pass it as --changed-since next time)",
    ]
    if summary.get("as_of_note"):
        lines.append(f"           {_plain(summary['as_of_note'], 300)}")
    return lines


def _attention(attention: Summary, since: str | None = None) -> list[str]:
    older = [f"           {_plain(attention['older'], 300)}"] if attention.get("older") else []
    if not attention.get("deliveries"):
        if since:
            return [f"Attention  nothing new since {_plain(since, 40)}", *older]
        return ["Attention  none: no delivery in scope needs a human"]
    causes = attention.get("causes", [])
    total = len(causes) + attention.get("causes_left_out", 0)
    posts = attention.get("posts", "?")
    new = "new " if since else ""
    lines = [f"Attention  {attention['deliveries']} {new}deliveries on {posts} posts, {total} causes"]
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
    lines += older
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
    """Accounts that cannot take deliveries, each with why: ``not active`` is said once, in the label."""
    troubled = [
        f"{_plain(label, 60)} ({_plain(_why_not_active(facts['connection']), CONNECTION_CHARS)})"
        for label, facts in accounts.items()
        if facts.get("connection") and facts["connection"].lower() not in {*HEALTHY_CONNECTIONS, "unknown"}
    ]
    if not troubled:
        return []
    return [f"Accounts   not active: {', '.join(troubled)}"]


def _why_not_active(connection: object) -> str:
    """``not active (missing from …)`` -> ``missing from …``; Genviral's own status as it is."""
    text = str(connection).strip()
    if text.lower().startswith(NOT_ACTIVE):
        text = text[len(NOT_ACTIVE) :].strip().removeprefix(":").strip()
        if text.startswith("(") and text.endswith(")"):
            text = text[1:-1]
    return text or "not active"
