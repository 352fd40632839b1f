"""The delivery dashboard: an MCP App (``io.modelcontextprotocol/ui``) view of ``get_delivery_summary``.

A host that speaks MCP Apps reads :data:`DASHBOARD_URI` (an HTML document served as
``text/html;profile=mcp-app``), renders it in a sandboxed iframe beside the answer and hands it the
tool's result over ``postMessage``. The view (``dashboard.html``, one self-contained file with
inline CSS and JS, no build step) draws the summary's ``structuredContent``; its refresh button
calls the tool again through the host.

Everything here is additive: the tool's text and structured results are the same for every
client, and a host without Apps support ignores the tool's ``_meta`` and never reads the resource.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from mcp.server.apps import Apps

#: The ``ui://`` resource the summary tool points at.
DASHBOARD_URI = "ui://genviral/delivery-dashboard.html"
#: The view must stay small enough to ship inside every ``resources/read``.
MAX_HTML_BYTES = 40 * 1024

#: ``_meta`` for ``get_delivery_summary``: ``ui.resourceUri`` as the Apps spec has it, plus the
#: flat ``ui/resourceUri`` key that hosts built before the spec's 2026-01-26 revision still read
#: (the ext-apps package's own ``registerAppTool`` writes both).
TOOL_META: dict[str, Any] = {"ui": {"resourceUri": DASHBOARD_URI}, "ui/resourceUri": DASHBOARD_URI}


def dashboard_html() -> str:
    """The view's HTML document, as packaged beside this module."""
    return files("genviral_mcp").joinpath("dashboard.html").read_text(encoding="utf-8")


def dashboard_extension() -> Apps:
    """The Apps extension for ``MCPServer(extensions=[...])``: it serves the view's resource.

    The tool itself is registered by the server as usual, with :data:`TOOL_META`; the
    extension contributes the resource and advertises ``io.modelcontextprotocol/ui``.
    """
    apps = Apps()
    apps.add_html_resource(
        DASHBOARD_URI,
        dashboard_html(),
        name="delivery-dashboard",
        title="Delivery dashboard",
        description="Interactive view of get_delivery_summary: scope, what needs attention, what is "
        "next and what went out. Rendered by hosts that support MCP Apps.",
        prefers_border=True,
    )
    return apps
