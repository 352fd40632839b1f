"""The installed ``genviral-mcp`` command, spawned over stdio, serving both tools."""

from __future__ import annotations

import subprocess
import sys

import pytest
from mcp import Client, StdioServerParameters

from support.common import KEY, SCRIPT
from support.standin import StandInApi

pytestmark = pytest.mark.anyio


def _params(api: StandInApi, *args: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=str(SCRIPT),
        args=list(args),
        env={"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": api.base_url},
    )


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_installed_command_serves_both_tools(api: StandInApi, mode: str) -> None:
    assert SCRIPT.exists(), "install the package first: pip install -e '.[test]'"
    async with Client(_params(api), mode=mode) as client:
        names = sorted(tool.name for tool in (await client.list_tools()).tools)
        posts = await client.call_tool("list_posts", {"limit": 3, "status": "posted"})
        summary = await client.call_tool("get_delivery_summary", {})
    assert names == ["get_delivery_summary", "list_posts"]
    assert not posts.is_error and posts.structured_content is not None
    assert {post["status"] for post in posts.structured_content["posts"]} == {"posted"}
    assert not summary.is_error and summary.structured_content is not None
    body = summary.structured_content
    assert body["scope"]["total_posts"] == 300
    assert body["coverage"].startswith("exact: every failed, partial, retry, pending and scheduled post")
    assert "incomplete" not in body


async def test_python_dash_m_works_too(api: StandInApi) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "genviral_mcp"],
        env={"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": api.base_url},
    )
    async with Client(params, mode="legacy") as client:
        result = await client.call_tool("list_posts", {"limit": 1})
    assert not result.is_error


def test_version_and_help() -> None:
    version = subprocess.run(
        [str(SCRIPT), "--version"], capture_output=True, text=True, timeout=30, check=True
    )
    assert version.stdout.startswith("genviral-mcp ")
    helptext = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True, timeout=30, check=True)
    assert "GENVIRAL_API_KEY" in helptext.stdout


def test_demo_over_http_is_refused_with_a_pointer() -> None:
    run = subprocess.run(
        [str(SCRIPT), "--demo", "--transport", "http", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 1
    assert "--demo serves over stdio only" in run.stderr and run.stdout == ""
