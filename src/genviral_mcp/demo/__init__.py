"""``--demo``: the real server and client over a built-in sample workspace, with no account.

Nothing is faked above the HTTP layer. An in-process transport answers every request with
:class:`~genviral_mcp.demo.emulator.PostsEmulator` (the API's wire format, filters, clamping,
timestamp validation and refusals) over :func:`~genviral_mcp.demo.sample_data.sample_posts`, so
the tools, paging, summary and error handling run exactly as against Genviral. The workspace is
planned around the UTC day and evaluated against the clock at each request: ids and creation
instants hold all day, while posts fall due, go out and fail as time passes (``GENVIRAL_DEMO_NOW``
stops that clock at one instant, for the generated docs and for tests). The demo uses its own
key and an ``https`` base URL, so no configuration rule is bypassed, and the user's
``GENVIRAL_API_KEY`` is never read, let alone sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from genviral_mcp.config import Settings
from genviral_mcp.timestamps import read_iso, utc_now

# httpx2 and the server load in demo_transport and demo_server only: the CLI reads
# demo_requested at every start.
if TYPE_CHECKING:
    import httpx2 as httpx
    from mcp.server import MCPServer

    from genviral_mcp.server import AppState

#: Not a secret: it only opens the built-in sample workspace, in this process.
DEMO_KEY = "gva_demo_sample.workspace"
#: ``.invalid`` can never resolve (RFC 2606): nothing leaves the process even if wiring broke.
DEMO_BASE_URL = "https://demo.genviral.invalid/api/partner/v1"
DEMO_POST_COUNT = 200

#: The first key of every successful demo result, so no one mistakes it for their account.
SAMPLE_NOTICE = "Demo workspace from genviral-mcp --demo, not your Genviral account."
DEMO_INSTRUCTIONS = (
    " DEMO MODE: this server serves a built-in sample workspace (genviral-mcp --demo), not the "
    "user's Genviral account. Say so whenever you report its posts or numbers."
)

_TRUE = frozenset({"1", "true", "yes", "on"})


def demo_requested(flag: bool, environ: Mapping[str, str]) -> bool:
    """``--demo``, or ``GENVIRAL_DEMO`` set to 1/true/yes/on (an MCP bundle passes "true"/"false")."""
    return flag or environ.get("GENVIRAL_DEMO", "").strip().lower() in _TRUE


def demo_clock(environ: Mapping[str, str]) -> Callable[[], datetime]:
    """The demo's clock: the real one, or the instant ``GENVIRAL_DEMO_NOW`` names (ISO 8601, UTC
    unless an offset is given), which never moves. For docs/tests: the generated samples in the
    docs (``scripts/generate_docs.py``) are the demo at one instant, byte for byte, on any day.

    Raises ``ValueError`` saying what is wrong with a value that is not an instant."""
    text = environ.get("GENVIRAL_DEMO_NOW", "").strip()
    if not text:
        return utc_now
    fixed = read_iso(text)
    if fixed is None:
        raise ValueError(
            f"GENVIRAL_DEMO_NOW={text!r} is not an ISO 8601 instant (for example 2026-11-28T12:00:00Z)."
        )
    return lambda: fixed


def demo_settings() -> Settings:
    """The demo's own key (not a Partner API key's form: exempt from that warning) and base URL."""
    settings = Settings.from_env({"GENVIRAL_API_KEY": DEMO_KEY, "GENVIRAL_BASE_URL": DEMO_BASE_URL})
    return replace(settings, key_form_unexpected=False)


def demo_transport(
    clock: Callable[[], datetime] = utc_now, count: int = DEMO_POST_COUNT
) -> httpx.MockTransport:
    """An in-process Posts API over ``count`` sample posts, each request answered from the
    workspace as it stands at ``clock()`` (tests pass a fixed clock)."""
    from urllib.parse import urlsplit

    import httpx2 as httpx

    from genviral_mcp.demo.emulator import PLAN_OK, PostsEmulator
    from genviral_mcp.demo.sample_data import sample_accounts, sample_analytics, sample_posts, sample_targets

    emulator = PostsEmulator(
        [], {DEMO_KEY: PLAN_OK}, accounts=sample_accounts(), analytics=[], targets=sample_targets()
    )
    base_path = urlsplit(DEMO_BASE_URL).path

    def handle(request: httpx.Request) -> httpx.Response:
        authorization = request.headers.get("authorization")
        path = request.url.path.removeprefix(base_path) if request.method == "GET" else ""
        if path == "/posts":
            emulator.posts = sample_posts(clock(), count)
            answer = emulator.handle(dict(request.url.params), authorization)
        elif path == "/accounts":
            answer = emulator.handle_accounts(authorization)
        elif path == "/analytics/summary/posts":
            # The numbers as they stand now: rows appear after a while and views grow with age.
            now = clock()
            emulator.analytics, emulator.now = sample_analytics(sample_posts(now, count), now), now
            answer = emulator.handle_analytics(dict(request.url.params), authorization)
        elif path == "/analytics/targets":
            answer = emulator.handle_targets(authorization)
        else:
            return httpx.Response(404, json={"ok": False, "code": 404, "message": "Not found"})
        return httpx.Response(answer.status, content=answer.body, headers=dict(answer.headers))

    return httpx.MockTransport(handle)


def demo_server(
    clock: Callable[[], datetime] = utc_now, *, transport: httpx.AsyncBaseTransport | None = None
) -> MCPServer[AppState]:
    """The real server over the sample workspace, every result marked as sample data and the
    instructions saying so. Results and the workspace follow ``clock`` (tests fix it); ``transport``
    is for tests too."""
    from genviral_mcp.server import build_server

    return build_server(
        demo_settings(),
        transport=transport or demo_transport(clock),
        clock=clock,
        sample_notice=SAMPLE_NOTICE,
        instructions_note=DEMO_INSTRUCTIONS,
    )
