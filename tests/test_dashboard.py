"""The MCP App: the ``ui://`` view of ``get_delivery_summary``, served through the SDK's Apps extension.

What a browser sees of the view is in ``test_dashboard_browser.py``; here, what an MCP client
sees: the resource, its MIME type, the tool's ``_meta``, and that clients which did not negotiate
the extension get exactly the tools and results they got before the dashboard existed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.extension import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID, Apps

import genviral_mcp.server as server_module
from genviral_mcp.config import Settings
from genviral_mcp.dashboard import DASHBOARD_URI, MAX_HTML_BYTES, TOOL_META, dashboard_html
from genviral_mcp.server import build_server

from support.common import KEY, NOW
from support.hosting import Served, serving
from support.standin import StandInApi

pytestmark = pytest.mark.anyio

#: What an Apps host advertises (the ext-apps ``McpUiClientCapabilities``).
APPS_CLIENT = advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("get_delivery_summary", {}),
    ("list_posts", {"limit": 5, "status": "failed"}),
    ("list_posts", {"limit": 0, "status": "nonsense"}),  # an argument error, too
]


def served_html(contents: Any) -> str:
    assert len(contents) == 1
    (item,) = contents
    assert str(item.uri) == DASHBOARD_URI
    assert item.mime_type == APP_MIME_TYPE
    return str(item.text)


async def assert_resource_served(client: Client) -> None:
    listed = {str(resource.uri): resource for resource in (await client.list_resources()).resources}
    assert DASHBOARD_URI in listed
    assert listed[DASHBOARD_URI].mime_type == APP_MIME_TYPE
    html = served_html((await client.read_resource(DASHBOARD_URI)).contents)
    assert html == dashboard_html()
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert tools["get_delivery_summary"].meta == TOOL_META
    assert tools["get_delivery_summary"].meta["ui"]["resourceUri"] == DASHBOARD_URI
    assert tools["list_posts"].meta is None, "only the summary has a view"


@pytest.mark.parametrize("with_apps", [True, False], ids=["apps-client", "plain-client"])
async def test_resource_and_tool_meta_over_the_in_memory_client(mode: str, with_apps: bool) -> None:
    server = build_server(Settings.from_env({}))
    extensions = [APPS_CLIENT] if with_apps else None
    async with Client(server, mode=mode, extensions=extensions) as client:
        await assert_resource_served(client)
        capabilities = client.server_capabilities
        assert capabilities is not None
        if client.protocol_version == "2026-07-28":  # the era whose capabilities carry extensions
            assert capabilities.extensions is not None and EXTENSION_ID in capabilities.extensions


@pytest.fixture(scope="module")
def http_server(standin_server: StandInApi) -> Any:
    with serving({"GENVIRAL_BASE_URL": standin_server.shared_base_url}) as served:
        yield served


@pytest.mark.parametrize("http_mode", ["auto", "legacy"])
async def test_resource_and_tool_meta_over_http_hosting(http_server: Served, http_mode: str) -> None:
    """``--transport http`` serves the view like any other resource, with no key needed to read it."""
    async with Client(http_server.url, mode=http_mode, extensions=[APPS_CLIENT]) as client:
        await assert_resource_served(client)


async def test_resource_and_tool_meta_over_stdio() -> None:
    """The installed command, as a host starts it (``--demo``: no key), serves the same view."""
    script = Path(sys.executable).with_name("genviral-mcp")
    params = StdioServerParameters(command=str(script), args=["--demo"], env={})
    async with Client(params, mode="legacy", extensions=[APPS_CLIENT]) as client:
        await assert_resource_served(client)


def without_meta(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in tool.items() if key != "_meta"} for tool in tools]


async def what_a_client_sees(server: Any, mode: str, extensions: Any = None) -> dict[str, Any]:
    async with Client(server, mode=mode, extensions=extensions) as client:
        tools = [t.model_dump(by_alias=True, exclude_none=True) for t in (await client.list_tools()).tools]
        results = []
        for name, arguments in CALLS:
            result = await client.call_tool(name, arguments)
            results.append(result.model_dump(by_alias=True, exclude_none=True, exclude={"meta"}))
    return {"tools": tools, "results": results}


async def test_clients_without_the_extension_see_what_they_saw_before(
    api: StandInApi, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same tool definitions (bar the additive ``_meta``) and byte-identical results, with or
    without the dashboard, and whether or not the client negotiated Apps."""
    settings = Settings.from_env({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": api.base_url})
    now = lambda: NOW  # noqa: E731

    plain = await what_a_client_sees(build_server(settings, clock=now), mode)
    apps = await what_a_client_sees(build_server(settings, clock=now), mode, [APPS_CLIENT])
    monkeypatch.setattr(server_module, "dashboard_extension", Apps)  # an Apps extension with nothing in it
    monkeypatch.setattr(server_module, "DASHBOARD_META", None)
    before = await what_a_client_sees(build_server(settings, clock=now), mode)

    assert plain == apps
    assert plain["results"] == before["results"]
    assert without_meta(plain["tools"]) == before["tools"]
    assert [tool.get("_meta") for tool in plain["tools"]] == [None, TOOL_META]
    assert not plain["results"][0].get("isError") and plain["results"][2].get("isError")


def test_the_view_is_small_self_contained_and_writes_text_only() -> None:
    html = dashboard_html()
    size = len(html.encode("utf-8"))
    assert size <= MAX_HTML_BYTES, f"the view is {size} bytes, over the {MAX_HTML_BYTES}-byte budget"
    assert html.lower().startswith("<!doctype html>")
    # No external loads: nothing fetched by the document itself, so the host's default CSP holds.
    assert not re.search(r"""\b(src|href)\s*=\s*["']?(https?:)?//""", html, re.IGNORECASE)
    assert not re.search(r"@import|url\(|\bfetch\(|XMLHttpRequest|WebSocket|<link\b", html)
    assert html.count("<script") == 1 and "<script>" in html, "one inline script"
    # Untrusted text goes into the DOM as text: no HTML parsing sinks anywhere in the script.
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in html, sink
    # The iframe never navigates itself: links go through ui/open-link.
    assert "ui/open-link" in html and "preventDefault" in html
    assert not re.search(r"location\s*(\.href)?\s*=|location\.(assign|replace)\(|window\.open\(", html)


def test_the_view_is_packaged_in_the_wheel() -> None:
    """``dashboard.html`` ships inside the package (hatch includes non-Python files it finds)."""
    from importlib.resources import files

    assert files("genviral_mcp").joinpath("dashboard.html").is_file()
