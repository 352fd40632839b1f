"""What each MCP host shows the model for a tool result (from the field notes).

* Claude Desktop: the text content blocks.
* Claude Code: only ``JSON.stringify(structuredContent)`` when structured content is present.
* OpenClaw: ``structuredContent:`` and the pretty-printed JSON (indent 2), then every text block that
  is not byte-identical to ``JSON.stringify(structuredContent, null, 2)``.
"""

from __future__ import annotations

import json
from typing import Any

from mcp.types import CallToolResult


def _texts(result: CallToolResult) -> list[str]:
    return [block.text for block in result.content if block.type == "text"]


def claude_desktop(result: CallToolResult) -> str:
    return "\n".join(_texts(result))


def claude_code(result: CallToolResult) -> str:
    if result.structured_content is None or result.is_error:
        return "\n".join(_texts(result))
    return json.dumps(result.structured_content, ensure_ascii=False, separators=(",", ":"))


def openclaw(result: CallToolResult) -> str:
    if result.structured_content is None:
        return "\n".join(_texts(result))
    pretty = json.dumps(result.structured_content, indent=2, ensure_ascii=False)
    return "\n".join(["structuredContent:\n" + pretty] + [text for text in _texts(result) if text != pretty])


VIEWS = {"Claude Desktop": claude_desktop, "Claude Code": claude_code, "OpenClaw": openclaw}


def embedded_json(view: str) -> dict[str, Any]:
    """The JSON document a view carries (each of our views starts with exactly one)."""
    start = view.index("{")
    document, _ = json.JSONDecoder().raw_decode(view[start:])
    assert isinstance(document, dict)
    return document
