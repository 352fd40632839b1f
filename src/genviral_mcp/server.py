"""The MCP server: two read-only tools over the Genviral Posts API.

Flow, one direction: tool arguments → :class:`PostsQuery` → :class:`PostsClient` → API models →
:mod:`genviral_mcp.shaping`. Every failure becomes an ``isError`` result that says what to do;
nothing raised inside a tool reaches the host as a crash or a protocol error.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any, Literal

import anyio
import httpx2 as httpx
from mcp import MCPError
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import (
    INVALID_PARAMS,
    CallToolResult,
    ContentBlock,
    InputRequiredResult,
    TextContent,
    ToolAnnotations,
)
from mcp.types import Tool as MCPTool
from pydantic import BeforeValidator, Field, ValidationError

from genviral_mcp import __version__
from genviral_mcp.accounts import AccountDirectory
from genviral_mcp.admission import SINGLE_KEY, SummaryGate, SummaryLimits
from genviral_mcp.analysis import kept_whole
from genviral_mcp.analytics import AnalyticsDirectory, Pending
from genviral_mcp.auth import KeySource, held_key
from genviral_mcp.client import OFF_LOOP_BYTES, PostsClient
from genviral_mcp.config import Settings
from genviral_mcp.connection import Connection
from genviral_mcp.dashboard import TOOL_META as DASHBOARD_META
from genviral_mcp.dashboard import dashboard_extension
from genviral_mcp.errors import GenviralError, InvalidArgument
from genviral_mcp.output_schema import LIST_POSTS_OUTPUT, SUMMARY_OUTPUT
from genviral_mcp.paging import Page, fetch_page
from genviral_mcp.performance import publish_window
from genviral_mcp.query import (
    DEFAULT_HOURS_AHEAD,
    DEFAULT_MAX_ITEMS,
    MAX_HOURS_AHEAD,
    MAX_ITEMS,
    POSTS_PER_CAUSE_RULE,
    FilterStatus,
    PostsQuery,
    SummaryRequest,
    WalkLimits,
    parse_timestamp,
)
from genviral_mcp.retry import RetryPolicy
from genviral_mcp.sanitize import bind_secret, clean_text, redact_bound, redaction_scope
from genviral_mcp.shaping import ToolOutput, delivery_summary_output, list_posts_output
from genviral_mcp.survey import survey_with_analytics
from genviral_mcp.timestamps import exact, utc_now
from genviral_mcp.workers import Workers

logger = logging.getLogger(__name__)

#: A whole tool call, retries and paging included, ends well inside a host's ~60 s limit.
TOOL_DEADLINE_SECONDS = 45.0
INSTRUCTIONS = (
    "Read-only view of the user's Genviral posts and their per-account delivery on TikTok, Instagram, "
    "YouTube, Pinterest, LinkedIn and Facebook. For what needs attention, what goes out next, what went "
    "out (by publish time) and how it is doing (views, engagement), and which accounts have problems, call "
    "get_delivery_summary: it covers the "
    "whole account scope. Use list_posts for posts by status or creation time, and for one post in full. "
    "Times are UTC."
)

LIST_POSTS_DESCRIPTION = """\
The API's own view: posts, newest CREATED first, with each account's delivery (status,
published URL, error). since/until filter on CREATION time (when the post was made in
Genviral), not on scheduled or publish time: for "what went out yesterday", "what goes out
next" or "what failed", call get_delivery_summary instead. Use list_posts to page through
posts of one status (status="failed"), posts created in a window, or one post in full:
since and until both set to the post's "created" value, with detail="full". Both bounds are
inclusive ISO 8601, UTC when no offset is given; a date alone covers that whole UTC day, and
filters shows the exact instants applied. next_page holds the exact arguments for the next
page. detail="full" adds whole captions, media and music URLs, TikTok/Pinterest settings,
every delivery timestamp, and each published delivery's metrics from Genviral's analytics."""

SUMMARY_DESCRIPTION = """\
Answers the everyday questions for the whole account scope, whatever the posts' creation
times: what needs attention (every failed, partial and retry delivery, and pending or
scheduled ones over 30 minutes late, grouped by cause with a fix where the cause is known);
what goes out in the next hours_ahead hours (default 24, up to 168); what went out, judged
by PUBLISH time, between published_since and published_until (default: the last 24 hours;
for "yesterday" pass its date as both: a date alone covers that whole UTC day), with the
published URLs and how they are doing (views, likes, comments, shares, saves, engagement
from Genviral's analytics: per post, per platform and account, top and bottom posts, and
which have no numbers yet); and each account's connection status, deliveries published in that window
and deliveries needing attention. Also Genviral's scope counters, verbatim. Each post comes
with its exact creation instant: list_posts(since=created, until=created, detail="full")
shows it in full.
On a schedule ("what changed since my last run?"), pass the previous result's as_of as
changed_since: needs_attention, went_out and accounts then list only what changed at or after
it, each change with a stable id, and count what is older; upcoming is unchanged. as_of is
this call's start minus 15 minutes: nothing is missed between two calls, and a change can be
reported twice."""


def _lenient_word(value: object) -> object:
    """Accept " Failed " for "failed", and "" for "not given": agents vary."""
    if isinstance(value, str):
        value = value.strip().lower()
        return value or None
    return value


StatusArg = Annotated[
    FilterStatus | None,
    BeforeValidator(_lenient_word),
    Field(description="Only posts with this status. Omit for all statuses (including deleted/void)."),
]
DetailArg = Annotated[
    Literal["concise", "full"],
    BeforeValidator(lambda value: _lenient_word(value) or "concise"),
    Field(description='"concise" (default) or "full".'),
]
SinceArg = Annotated[
    str | None,
    Field(
        description="Only posts CREATED at or after this time (not publish time), ISO 8601, UTC unless an "
        "offset is given, e.g. 2025-01-31T00:00:00Z. A date alone (2025-01-31) starts at 00:00:00.000 UTC."
    ),
]
UntilArg = Annotated[
    str | None,
    Field(
        description="Only posts CREATED at or before this time (not publish time), ISO 8601, UTC unless an "
        "offset is given, e.g. 2025-02-01T00:00:00Z. A date alone (2025-01-31) covers that whole day, "
        "through 23:59:59.999 UTC."
    ),
]
HoursAheadArg = Annotated[
    int,
    Field(
        description="What goes out next: posts scheduled within this many hours from now, 1-168. Default 24."
    ),
]
PublishedSinceArg = Annotated[
    str | None,
    Field(
        description="What went out: deliveries PUBLISHED at or after this time, ISO 8601 (UTC unless an "
        "offset is given; a date alone starts at 00:00 UTC). Default: 24 hours before published_until."
    ),
]
PublishedUntilArg = Annotated[
    str | None,
    Field(
        description="What went out: deliveries PUBLISHED at or before this time, ISO 8601 (a date alone "
        "covers that whole day, through 23:59:59.999 UTC). Default: now."
    ),
]
ChangedSinceArg = Annotated[
    str | None,
    Field(
        description="Only what changed at or after this time, ISO 8601 (UTC unless an offset is given; a "
        "date alone starts at 00:00 UTC): deliveries whose latest attempt failed, deliveries published, "
        "deliveries that became overdue, and inactive accounts with a delivery that failed or fell due. "
        "On a schedule, pass the previous result's as_of. Not with published_since/published_until."
    ),
]
MaxItemsArg = Annotated[
    int,
    Field(
        description=f"Most items per list (causes, upcoming, went out), 1-{MAX_ITEMS}, default "
        f"{DEFAULT_MAX_ITEMS}; and {POSTS_PER_CAUSE_RULE}. Whatever is left out is counted."
    ),
]


@dataclass(frozen=True)
class AppState:
    settings: Settings
    connection: Connection
    accounts: AccountDirectory
    walk_limits: WalkLimits
    #: Worker threads for CPU-heavy work (large bodies, a summary's analysis and shaping).
    workers: Workers
    #: How many summaries run at once, per key and in all.
    summaries: SummaryGate
    #: Genviral's post analytics per key (an enrichment, like the account list).
    analytics: AnalyticsDirectory

    @property
    def posts(self) -> PostsClient:
        return self.connection.posts


#: What to try after a call ran out of time, per tool: the advice must name that tool's own arguments.
NARROWER = {
    "list_posts": "Try again shortly, or narrow the request (a smaller limit, or a since/until window).",
    "get_delivery_summary": "Try again shortly; if it repeats, list_posts with a status (e.g. "
    'status="failed") reads those posts page by page.',
}


def success(output: ToolOutput, sample_notice: str | None = None) -> CallToolResult:
    """The result for the host; ``sample_notice`` (demo mode) becomes the first key, in both views."""
    if sample_notice is not None:
        output = replace(output, structured={"sample_data": sample_notice, **output.structured})
    blocks: list[ContentBlock] = [TextContent(type="text", text=output.text())]
    blocks += [TextContent(type="text", text=note) for note in output.notes]
    return CallToolResult(content=blocks, structured_content=output.structured)


def failure(message: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


async def run_tool(
    name: str,
    body: Callable[[], Awaitable[ToolOutput]],
    sample_notice: str | None = None,
    deadline: float = TOOL_DEADLINE_SECONDS,
) -> CallToolResult:
    """Run a tool body inside the deadline and turn every failure into an ``isError`` result.

    The call is a redaction scope: the body binds its key (``bind_secret``), and every string
    cleaned from then on, in any task or worker thread of this call, has that key redacted.
    """
    with redaction_scope():
        return await _run_tool(name, body, sample_notice, deadline)


async def _run_tool(
    name: str, body: Callable[[], Awaitable[ToolOutput]], sample_notice: str | None, deadline: float
) -> CallToolResult:
    try:
        with anyio.fail_after(deadline):
            return success(await body(), sample_notice)
    except GenviralError as exc:
        message = redact_bound(exc.message)
        logger.info("%s failed: %s", name, message)
        return failure(message)
    except TimeoutError:
        logger.warning("%s hit the %.0f s deadline", name, deadline)
        return failure(f"Genviral did not finish answering within {deadline:.0f} s. {NARROWER.get(name, '')}")
    except Exception:
        logger.exception("%s failed unexpectedly", name)
        return failure(
            f"genviral-mcp hit an internal error in {name}. Try again; if it repeats, check the server's "
            "log (stderr) and report it."
        )


def argument_problems(error: ValidationError) -> str:
    """A short message naming each bad argument, without echoing its (possibly huge) value."""
    parts = []
    for item in error.errors()[:3]:
        name = ".".join(str(part) for part in item["loc"]) or "arguments"
        parts.append(f"`{name}`: {item['msg']}")
    return "Invalid arguments: " + "; ".join(parts) + ". See the tool's input schema for the allowed values."


def unknown_arguments(tool: str, unknown: list[str], accepted: list[str]) -> str:
    """Name what was not understood (cleaned, since it is the caller's text) and what is."""
    names = ", ".join(f"`{clean_text(name, 40)}`" for name in unknown[:5])
    plural = "s" if len(unknown) > 1 else ""
    hint = (
        " Filters by status or creation time belong to list_posts."
        if tool == "get_delivery_summary" and {"status", "since", "until", "limit"} & set(unknown)
        else ""
    )
    return (
        f"Unknown argument{plural} {names} for {tool}: nothing was fetched. "
        f"Accepted arguments: {', '.join(accepted)}.{hint}"
    )


class GenviralServer(MCPServer[AppState]):
    """MCPServer with strict arguments: an unknown one is an error that names it, the schemas say
    ``additionalProperties: false``, validation errors read as short messages, and each tool
    declares the ``outputSchema`` its results follow."""

    output_schemas: dict[str, dict[str, Any]] = {}  # noqa: RUF012 (replaced per instance)
    _argument_names: dict[str, list[str]] | None = None

    async def list_tools(self) -> list[MCPTool]:
        tools = await super().list_tools()
        for tool in tools:
            tool.input_schema = {**tool.input_schema, "additionalProperties": False}
            tool.output_schema = self.output_schemas.get(tool.name, tool.output_schema)
        return tools

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        accepted = await self._accepted(name)
        unknown = sorted(set(arguments) - set(accepted)) if accepted is not None else []
        if unknown:
            raise ToolError(unknown_arguments(name, unknown, accepted or []))
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(argument_problems(exc.__cause__)) from exc.__cause__
            raise

    async def _accepted(self, name: str) -> list[str] | None:
        """The tool's argument names, in schema order; ``None`` for an unknown tool.

        Read from the schemas once: the tools are all registered before the first call.
        """
        if self._argument_names is None:
            self._argument_names = {
                tool.name: list(tool.input_schema.get("properties", {}))
                for tool in await super().list_tools()
            }
        return self._argument_names.get(name)


def build_server(
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], datetime] = utc_now,
    sample_notice: str | None = None,
    instructions_note: str = "",
    key_source: KeySource = held_key,
    retry: RetryPolicy | None = None,
    deadline: float = TOOL_DEADLINE_SECONDS,
    walk_limits: WalkLimits | None = None,
    per_key_connections: int | None = None,
    summary_limits: SummaryLimits = SINGLE_KEY,
) -> MCPServer[AppState]:
    """Create the server. ``transport`` replaces the network (``--demo``); ``clock``, ``retry`` and
    ``deadline`` (seconds per tool call, retries and paging included) are for tests.

    ``sample_notice`` (``--demo`` passes one) becomes the first key of every successful result, and
    ``instructions_note`` is added to the instructions: the server itself knows nothing of the demo.
    ``key_source`` picks each call's Genviral key: the held one, or (hosted pass-through) the caller's;
    ``per_key_connections`` bounds how many upstream requests one key may have in flight, and
    ``summary_limits`` how many summaries run at once, per key and in all.
    """

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
        workers = Workers()
        # The HTTP client opens on first use. Account-list fetches run in the directory's own task
        # group, so one can outlive the call that started it; it closes first, then the client.
        # The worker threads are awaited in a task group of their own (see workers.py).
        async with (
            Connection(settings, transport, retry, per_key_connections, workers) as connection,
            AccountDirectory() as accounts,
            AnalyticsDirectory() as analytics,
            anyio.create_task_group() as threads,
        ):
            workers.serve(threads)
            yield AppState(
                settings,
                connection,
                accounts,
                walk_limits or WalkLimits(),
                workers,
                SummaryGate(summary_limits),
                analytics,
            )
            threads.cancel_scope.cancel()

    server = GenviralServer(
        "genviral",
        title="Genviral posts",
        version=__version__,
        instructions=INSTRUCTIONS + instructions_note,
        lifespan=lifespan,
        log_level="WARNING",
        extensions=[dashboard_extension()],  # the MCP App view of get_delivery_summary
    )
    server.output_schemas = {"list_posts": LIST_POSTS_OUTPUT, "get_delivery_summary": SUMMARY_OUTPUT}
    read_only = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=True)

    @server.tool(title="List posts", description=LIST_POSTS_DESCRIPTION, annotations=read_only)
    async def list_posts(
        ctx: Context[AppState],
        status: StatusArg = None,
        limit: Annotated[
            int, Field(description="Posts per page, 1-100 (values outside are clamped). Default 20.")
        ] = 20,
        since: SinceArg = None,
        until: UntilArg = None,
        detail: DetailArg = "concise",
    ) -> CallToolResult:
        state = ctx.request_context.lifespan_context

        async def body() -> ToolOutput:
            key = key_source(state.settings, ctx.headers)
            bind_secret(key.reveal())
            query = PostsQuery.from_arguments(status, limit, since, until)
            metrics: list[tuple[Pending, float]] = []  # the full view's analytics, asked once its page is in

            async def page_and_metrics() -> Page:
                page = await fetch_page(state.posts, query, key)
                window = publish_window(page.posts) if detail == "full" else None
                if window is not None:
                    pending = state.analytics.begin(state.posts, key, *window)
                    metrics.append((pending, anyio.current_time()))
                return page

            page, labels = await state.accounts.alongside(
                state.posts, key, page_and_metrics, lambda page: page.posts
            )
            view = await metrics[0][0].settle(metrics[0][1]) if metrics else None
            now, snapshot = clock(), labels.snapshot()
            if page.body_bytes <= OFF_LOOP_BYTES:
                return list_posts_output(page, query, detail, now, snapshot, view)
            return await state.workers.run(
                lambda: list_posts_output(page, query, detail, now, snapshot, view)
            )

        return await run_tool("list_posts", body, sample_notice, deadline)

    @server.tool(
        title="Delivery summary", description=SUMMARY_DESCRIPTION, annotations=read_only, meta=DASHBOARD_META
    )
    async def get_delivery_summary(
        ctx: Context[AppState],
        hours_ahead: HoursAheadArg = DEFAULT_HOURS_AHEAD,
        published_since: PublishedSinceArg = None,
        published_until: PublishedUntilArg = None,
        max_items: MaxItemsArg = DEFAULT_MAX_ITEMS,
        changed_since: ChangedSinceArg = None,
    ) -> CallToolResult:
        state = ctx.request_context.lifespan_context

        async def progress(done: int, total: int) -> None:
            await ctx.report_progress(done, total, f"{done} of {total} status walks done")

        async def body() -> ToolOutput:
            key = key_source(state.settings, ctx.headers)
            bind_secret(key.reveal())
            now = clock()
            request = SummaryRequest.from_arguments(
                hours_ahead, published_since, published_until, max_items, now, changed_since
            )
            async with state.summaries.admitted(key):
                # Analytics for the publish window go alongside the walks (an enrichment, never waited
                # for long); the summary measures whatever went_out holds against them. With
                # changed_since, a post it cannot show is kept only as a brief (counted).
                survey = await survey_with_analytics(
                    state.posts,
                    state.accounts,
                    state.analytics,
                    key,
                    request.published_since,
                    request.published_until,
                    state.walk_limits,
                    progress,
                    kept_whole(request, now),
                )
                # The worker gets a snapshot: a later refresh of the account list must not change it.
                survey.labels = survey.labels.snapshot()
                return await state.workers.run(lambda: delivery_summary_output(survey, request, now))

        return await run_tool("get_delivery_summary", body, sample_notice, deadline)

    @server.prompt(
        title="Delivery report",
        description="A status report: what needs attention and why, what went out, what goes out next.",
    )
    def delivery_report(
        published_since: Annotated[
            str | None,
            Field(description="Report what went out from this time (ISO 8601). Default: 24 h ago."),
        ] = None,
        published_until: Annotated[
            str | None,
            Field(
                description="...until this time (ISO 8601; a date alone covers that whole day). Default: now."
            ),
        ] = None,
        hours_ahead: Annotated[
            str | None, Field(description="Report what goes out in the next N hours, 1-168. Default 24.")
        ] = None,
    ) -> str:
        return delivery_report_prompt(published_since, published_until, hours_ahead)

    return server


def delivery_report_prompt(
    published_since: str | None, published_until: str | None, hours_ahead: str | None
) -> str:
    """The ``delivery_report`` prompt's text, its arguments checked and written as plain text.

    A bad argument is a JSON-RPC invalid-params error naming it: a prompt has no ``isError``.
    """
    arguments: list[str] = []
    try:
        for name, value in (("published_since", published_since), ("published_until", published_until)):
            if value and value.strip():
                moment = parse_timestamp(name, value.strip(), end_of_day=name == "published_until")
                arguments.append(f"{name}={exact(moment)}")
        if hours_ahead and hours_ahead.strip():
            hours = int(hours_ahead.strip())
            if not 1 <= hours <= MAX_HOURS_AHEAD:
                raise ValueError
            arguments.append(f"hours_ahead={hours}")
    except InvalidArgument as exc:
        raise MCPError(code=INVALID_PARAMS, message=exc.message) from None
    except ValueError:
        raise MCPError(
            code=INVALID_PARAMS,
            message="Invalid `hours_ahead`: a whole number of hours from 1 to 168, e.g. 24.",
        ) from None
    call = "get_delivery_summary" + (" with " + ", ".join(arguments) if arguments else "")
    return (
        f"Write a short delivery status report on my Genviral posts. First call {call}. Report: what "
        "needs attention, one line per cause, with the accounts, how many posts, and the fix it suggests "
        "(say plainly when it suggests none); what went out in the window, with links, and how it is doing "
        "(views and engagement, where the summary has numbers; say which have none yet); what goes out "
        "next; and any account that is not connected. Where one post needs more context, call list_posts "
        'with since and until both set to its "created" value and detail="full". If the summary says it '
        "is incomplete or that lists were capped, say so. Keep it brief and quote post ids so I can find "
        "them."
    )
