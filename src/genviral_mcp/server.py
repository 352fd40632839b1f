"""The MCP server: two read-only tools over the Genviral Posts API.

Flow, one direction: tool arguments → :class:`PostsQuery` → :class:`PostsClient` → API models →
:mod:`genviral_mcp.results`. Every failure becomes an ``isError`` result that says what to do;
nothing raised inside a tool reaches the host as a crash or a protocol error.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any, Literal

import anyio
import httpx2 as httpx
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ContentBlock, InputRequiredResult, TextContent, ToolAnnotations
from pydantic import BeforeValidator, Field, ValidationError

from genviral_mcp import __version__
from genviral_mcp.config import Settings
from genviral_mcp.connection import Connection
from genviral_mcp.dashboard import TOOL_META as DASHBOARD_META
from genviral_mcp.dashboard import dashboard_extension
from genviral_mcp.demo import DEMO_INSTRUCTIONS, SAMPLE_NOTICE
from genviral_mcp.errors import GenviralError
from genviral_mcp.keys import KeySource, held_key
from genviral_mcp.query import FilterStatus, PostsQuery
from genviral_mcp.retry import RetryPolicy

if TYPE_CHECKING:  # the call path (pages, results, client, models) loads on the first call
    from genviral_mcp.client import PostsClient
    from genviral_mcp.results import ToolOutput

logger = logging.getLogger(__name__)

#: A whole tool call, retries and paging included, ends well inside a host's ~60 s limit.
TOOL_DEADLINE_SECONDS = 45.0
#: The summary stops paging after this long and reports what it covered.
SUMMARY_PAGING_BUDGET_SECONDS = 30.0
MAX_SUMMARY_POSTS = 1000

INSTRUCTIONS = (
    "Read-only view of the user's Genviral posts and their per-account delivery on TikTok, Instagram, "
    "YouTube, Pinterest, LinkedIn and Facebook. Start with get_delivery_summary for 'how are my posts "
    "doing?'; use list_posts to see specific posts. Times are UTC."
)

LIST_POSTS_DESCRIPTION = """\
List posts, newest first, with each account's delivery: status, published URL, error.
Use it for "show my failed posts", "what went out yesterday?", or a post's details. For an
overview ("how are my posts doing?", "anything need attention?"), call get_delivery_summary.
since/until filter on creation time, not on scheduled time; both are inclusive ISO 8601,
read as UTC when no offset is given. When more posts match, the result's next_page holds
the exact arguments for the next page. detail="full" adds whole captions, media and music
URLs, TikTok/Pinterest settings and every delivery timestamp."""

SUMMARY_DESCRIPTION = """\
Summarize delivery health: the scope's counters (as Genviral reports them), deliveries by
status, deliveries that need a human (failed, partial, retry, or pending/scheduled more than
30 minutes past their time), and upcoming scheduled posts. Covers the newest max_posts posts
created in since/until (creation time, not schedule time; default: the newest 100 posts).
Use list_posts for the full list of posts or one post's details."""


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
    Field(description="Only posts created at or after this time, ISO 8601, e.g. 2025-01-31T00:00:00Z."),
]
UntilArg = Annotated[
    str | None,
    Field(description="Only posts created at or before this time, ISO 8601, e.g. 2025-02-01T00:00:00Z."),
]


@dataclass(frozen=True)
class AppState:
    settings: Settings
    connection: Connection

    @property
    def posts(self) -> PostsClient:
        return self.connection.posts


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
    """Run a tool body inside the deadline and turn every failure into an ``isError`` result."""
    try:
        with anyio.fail_after(deadline):
            return success(await body(), sample_notice)
    except GenviralError as exc:
        logger.info("%s failed: %s", name, exc.message)
        return failure(exc.message)
    except TimeoutError:
        logger.warning("%s hit the %.0f s deadline", name, deadline)
        return failure(
            f"Genviral did not finish answering within {deadline:.0f} s. Try again shortly, "
            "or narrow the request (smaller limit or max_posts, or a since/until window)."
        )
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


class GenviralServer(MCPServer[AppState]):
    """MCPServer whose argument-validation errors read as short, actionable messages."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(argument_problems(exc.__cause__)) from exc.__cause__
            raise


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def build_server(
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], datetime] = utc_now,
    demo: bool = False,
    key_source: KeySource = held_key,
    retry: RetryPolicy | None = None,
    deadline: float = TOOL_DEADLINE_SECONDS,
) -> MCPServer[AppState]:
    """Create the server. ``transport`` replaces the network (``--demo``); ``clock``, ``retry`` and
    ``deadline`` (seconds per tool call, retries and paging included) are for tests.

    ``demo`` marks every successful result as sample data and says so in the instructions.
    ``key_source`` picks each call's Genviral key: the held one, or (hosted pass-through) the caller's.
    """
    sample_notice = SAMPLE_NOTICE if demo else None

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
        async with Connection(settings, transport, retry) as connection:  # the HTTP client opens on first use
            yield AppState(settings=settings, connection=connection)

    server = GenviralServer(
        "genviral",
        title="Genviral posts",
        version=__version__,
        instructions=INSTRUCTIONS + (DEMO_INSTRUCTIONS if demo else ""),
        lifespan=lifespan,
        log_level="WARNING",
        extensions=[dashboard_extension()],  # the MCP App view of get_delivery_summary
    )
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
            from genviral_mcp.pages import fetch_page
            from genviral_mcp.results import list_posts_output

            key = key_source(state.settings, ctx.headers)
            query = PostsQuery.from_arguments(status, limit, since, until)
            page = await fetch_page(state.posts, query, key)
            return list_posts_output(page, query, detail, clock())

        return await run_tool("list_posts", body, sample_notice, deadline)

    @server.tool(
        title="Delivery summary", description=SUMMARY_DESCRIPTION, annotations=read_only, meta=DASHBOARD_META
    )
    async def get_delivery_summary(
        ctx: Context[AppState],
        since: SinceArg = None,
        until: UntilArg = None,
        max_posts: Annotated[
            int,
            Field(description="How many of the newest posts in the window to examine, 1-1000. Default 100."),
        ] = 100,
    ) -> CallToolResult:
        state = ctx.request_context.lifespan_context
        bound = max(1, min(MAX_SUMMARY_POSTS, max_posts))

        async def progress(done: int, total: int) -> None:
            await ctx.report_progress(done, total, f"examined {done} of up to {total} posts")

        async def body() -> ToolOutput:
            from genviral_mcp.pages import walk_window
            from genviral_mcp.results import delivery_summary_output

            key = key_source(state.settings, ctx.headers)
            query = PostsQuery.from_arguments(None, bound, since, until)
            window = await walk_window(
                state.posts,
                query,
                key,
                bound,
                budget_seconds=SUMMARY_PAGING_BUDGET_SECONDS,
                progress=progress,
            )
            return delivery_summary_output(window, query, bound, clock())

        return await run_tool("get_delivery_summary", body, sample_notice, deadline)

    @server.prompt(
        title="Delivery report",
        description="A status report on recent posts: what went out, what failed and why, what is next.",
    )
    def delivery_report(
        since: Annotated[str | None, Field(description="Window start (creation time, ISO 8601).")] = None,
        until: Annotated[str | None, Field(description="Window end (creation time, ISO 8601).")] = None,
    ) -> str:
        return delivery_report_prompt(since, until)

    return server


def delivery_report_prompt(since: str | None, until: str | None) -> str:
    """The ``delivery_report`` prompt's text: summary first, details only where needed."""
    window = {key: value for key, value in (("since", since), ("until", until)) if value}
    call = f"get_delivery_summary with {window}" if window else "get_delivery_summary (newest 100 posts)"
    return (
        f"Write a short delivery status report on my Genviral posts. First call {call}. Report: how many "
        "posts and deliveries went out, failed or are waiting; each post that needs attention, with the "
        "account, the error in plain words and a suggested fix (reconnect an account, fix media, retry "
        "later); and what is scheduled next. Where a failure needs more context, call list_posts for that "
        'post\'s window with detail="full". If the summary says the window holds more posts than it '
        "examined, say so. Keep it brief, group by problem, and quote post ids so I can find them."
    )
