"""Fuzzed arguments for both tools: the server never crashes and never answers with a protocol
error. Every call ends in a result or a short, clean ``isError``.

Hypothesis runs derandomized with a fixed example budget, so CI sees the same cases every run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.types import CallToolResult

from genviral_mcp.config import Settings
from genviral_mcp.demo.emulator import PostsEmulator
from genviral_mcp.query import FILTER_STATUSES
from genviral_mcp.server import build_server

from support.common import FAST_RETRY, KEY, KEYS, NOW
from support.standin import StandInApi

CallTool = Callable[[str, dict[str, Any]], CallToolResult]

FUZZ = settings(
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

huge_numbers = st.one_of(
    st.integers(),
    st.sampled_from([10**18, -(10**18), 10**100, -(10**100), 2**63, 2**64 + 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 5e-324, math.inf, -math.inf, math.nan]),
)
numbers_as_strings = huge_numbers.map(str) | st.sampled_from(
    ["20", " 7 ", "1e2", "0x10", "1_000", "٣", "20.5"]
)
strings = st.one_of(
    st.text(),  # unicode, NUL and other control characters included
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20).map(lambda s: s * 5000),
    st.sampled_from(["", "\x00", "\u202e\u2066", "<script>x</script>", "2025-01-31T00:00:00Z\x00"]),
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from([*FILTER_STATUSES, "deleted", "POSTED", "concise", "full"]),
)
scalars = st.one_of(st.none(), st.booleans(), huge_numbers, numbers_as_strings, strings)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=5), scalars, max_size=3),
)
extra_keys = st.dictionaries(st.text(max_size=30), values, max_size=3)


def arguments(*names: str) -> st.SearchStrategy[dict[str, Any]]:
    known = st.fixed_dictionaries({}, optional={name: values for name in names})
    return st.builds(lambda extra, chosen: {**extra, **chosen}, extra_keys, known)


@pytest.fixture(scope="module", params=["auto", "legacy"])
def call_tool(
    request: pytest.FixtureRequest, standin_server: StandInApi, sample: list[dict[str, Any]]
) -> Iterator[CallTool]:
    """One server and session for every example: a crash would end them for all that follow."""
    standin_server.reset()
    standin_server.emulator = PostsEmulator(sample, KEYS)
    config = Settings.from_env({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": standin_server.shared_base_url})
    server = build_server(config, clock=lambda: NOW, retry=FAST_RETRY)
    with (
        start_blocking_portal(backend="asyncio") as portal,
        portal.wrap_async_context_manager(Client(server, mode=request.param)) as client,
    ):
        yield lambda name, args: portal.call(client.call_tool, name, args)


def check(result: CallToolResult) -> None:
    """A result with content, or a short, clean error that is not the internal-error fallback."""
    event("isError" if result.is_error else "result")
    if result.is_error:
        text = " ".join(block.text for block in result.content if block.type == "text")
        assert 0 < len(text) < 700, text[:300]
        assert "Traceback" not in text and "internal error" not in text, text
        assert "\x00" not in text and "<script" not in text, text
    else:
        assert result.structured_content is not None


@FUZZ
@given(args=arguments("status", "limit", "since", "until", "detail"))
def test_list_posts_survives_any_arguments(call_tool: CallTool, args: dict[str, Any]) -> None:
    check(call_tool("list_posts", args))


@FUZZ
@given(args=arguments("since", "until", "max_posts"))
def test_get_delivery_summary_survives_any_arguments(call_tool: CallTool, args: dict[str, Any]) -> None:
    check(call_tool("get_delivery_summary", args))


def test_the_server_still_answers_after_the_fuzzing(call_tool: CallTool) -> None:
    result = call_tool("list_posts", {"limit": 3})
    assert not result.is_error and result.structured_content is not None
    assert len(result.structured_content["posts"]) == 3
