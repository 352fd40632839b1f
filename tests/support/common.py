"""Constants and helpers the tests share: the fixed clock, the canary key, result readers."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.types import CallToolResult

from genviral_mcp.demo.emulator import PLAN_OK, PLAN_SCHEDULER, PLAN_UNPAID
from genviral_mcp.retry import RetryPolicy
from genviral_mcp.timestamps import parse_iso

#: The installed console script, as hosts start it.
SCRIPT = Path(sys.executable).with_name("genviral-mcp")

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
#: A canary: it must never show up in a result, a log or stdout.
KEY = "gva_live_c4n4ry0000.SECRET-canary-9f8e7d6c5b4a"
UNPAID_KEY = "gva_live_unpaid.secret"
SCHEDULER_KEY = "gva_live_scheduler.secret"
KEYS = {KEY: PLAN_OK, UNPAID_KEY: PLAN_UNPAID, SCHEDULER_KEY: PLAN_SCHEDULER}
POST_COUNT = 300

Connect = Callable[..., AbstractAsyncContextManager[Client]]
#: Retries as in production, but waiting milliseconds, so the suite stays fast.
FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05, reserve=0.1, min_attempt=0.1)


def leaks(text: str) -> bool:
    return KEY in text or KEY.rpartition(".")[2] in text


def free_port() -> int:
    """A 127.0.0.1 port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def text_of(result: CallToolResult, index: int = 0) -> str:
    """The text of content block ``index`` (every result of ours is made of text blocks)."""
    block = result.content[index]
    assert block.type == "text", block
    return block.text


def structured(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    body: dict[str, Any] | None = result.structured_content
    assert body is not None
    return body


def iso(moment: datetime) -> str:
    """``moment`` in the API's form: UTC, milliseconds, ``Z``."""
    return (
        moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def instant(value: str) -> datetime:
    """An API or result timestamp that must be there, as an aware datetime."""
    moment = parse_iso(value)
    assert moment is not None, value
    return moment


def error_text(result: CallToolResult) -> str:
    """The text of an ``isError`` result, checked to be short and clean."""
    assert result.is_error, result.structured_content
    text = "\n".join(block.text for block in result.content if block.type == "text")
    assert len(text) < 700, text
    for forbidden in ("Traceback", "<html", "<!DOCTYPE", KEY, "SECRET-canary"):
        assert forbidden not in text
    return text


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def by_status(deliveries: dict[str, str]) -> dict[str, dict[str, str]]:
    """A concise post's ``{account: "status[ url|: error]"}`` regrouped as ``{status: {account: value}}``."""
    grouped: dict[str, dict[str, str]] = {}
    for account, line in deliveries.items():
        status, _, rest = line.partition(" ")
        if status.endswith(":"):
            status = status[:-1]
        grouped.setdefault(status, {})[account] = rest
    return grouped
