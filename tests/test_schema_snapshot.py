"""What agents see of each tool is snapshotted: a change to it must be a reviewed diff.

Regenerate after a deliberate change with ``UPDATE_SNAPSHOTS=1 pytest tests/test_schema_snapshot.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from mcp import Client

from genviral_mcp.config import Settings
from genviral_mcp.server import build_server

pytestmark = pytest.mark.anyio

SNAPSHOT = Path(__file__).parent / "snapshots" / "tools.json"


async def test_tool_definitions_match_the_snapshot() -> None:
    async with Client(build_server(Settings.from_env({}))) as client:
        tools = (await client.list_tools()).tools
    current = [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in tools]
    rendered = json.dumps(current, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(rendered, encoding="utf-8")
    assert rendered == SNAPSHOT.read_text(encoding="utf-8"), (
        "Tool definitions changed. If intended, run UPDATE_SNAPSHOTS=1 pytest tests/test_schema_snapshot.py "
        "and review the diff."
    )


async def test_schema_essentials() -> None:
    async with Client(build_server(Settings.from_env({}))) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    listing = tools["list_posts"]
    props = listing.input_schema["properties"]
    assert set(props) == {"status", "limit", "since", "until", "detail"}
    status_enum = props["status"]["anyOf"][0]["enum"]
    assert status_enum == ["draft", "pending", "scheduled", "posted", "failed", "partial", "retry"]
    assert props["limit"]["default"] == 20
    assert listing.description is not None
    assert "CREATION time" in listing.description and "get_delivery_summary" in listing.description
    assert "CREATED" in props["since"]["description"] and "CREATED" in props["until"]["description"]
    summary = tools["get_delivery_summary"]
    assert set(summary.input_schema["properties"]) == {
        "hours_ahead",
        "published_since",
        "published_until",
        "max_items",
        "changed_since",
    }
    assert summary.description is not None
    assert "PUBLISH" in summary.description and "list_posts" in summary.description
    changed = summary.input_schema["properties"]["changed_since"]
    assert "as_of" in changed["description"] and "published_since" in changed["description"]
    assert "as_of" in summary.description and "15 minutes" in summary.description
    output = summary.output_schema or {}
    assert "as_of" in output["required"]
    assert "15 minutes" in output["properties"]["as_of"]["description"]
    for tool in tools.values():
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
        assert tool.input_schema["additionalProperties"] is False
        assert tool.output_schema is not None and tool.output_schema["type"] == "object"


def test_no_description_routes_a_publish_question_to_creation_time() -> None:
    """An example in a description must not lead to a wrong query: "yesterday" and "next 24 h"
    are publish and schedule times, so list_posts must route them away."""
    from genviral_mcp.server import LIST_POSTS_DESCRIPTION, SUMMARY_DESCRIPTION

    listing = " ".join(LIST_POSTS_DESCRIPTION.split())
    assert (
        'for "what went out yesterday", "what goes out next" or "what failed", call get_delivery_summary'
        in (listing)
    )
    assert "yesterday" in SUMMARY_DESCRIPTION and "published_since" in SUMMARY_DESCRIPTION
