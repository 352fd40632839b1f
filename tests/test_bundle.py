"""The MCP bundle (``manifest.json``, ``.mcpbignore``): right wiring, and tools that match the server.

After a deliberate change to a tool's name or description, regenerate the manifest's list with
``UPDATE_SNAPSHOTS=1 pytest tests/test_bundle.py`` and review the diff. ``npx -y
@anthropic-ai/mcpb validate manifest.json`` checks the schema itself (it needs the npm registry,
so it is not part of this offline suite).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from genviral_mcp import __version__
from genviral_mcp.config import Settings
from genviral_mcp.demo import SAMPLE_NOTICE, demo_requested
from genviral_mcp.server import build_server

ROOT = Path(__file__).resolve().parent.parent
MANIFEST_PATH = ROOT / "manifest.json"
MANIFEST: dict[str, Any] = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
SERVER = MANIFEST["server"]


def pyproject_value(key: str) -> str:
    found = re.search(rf'^{key} = "([^"]+)"', PYPROJECT, re.MULTILINE)
    assert found, key
    return found.group(1)


def host_substitution(user_config: dict[str, str | bool], dirname: str) -> dict[str, Any]:
    """``mcp_config`` as Claude Desktop fills it in: booleans become "true"/"false" (mcpb's rule)."""
    values = {"__dirname": dirname}
    for key, spec in MANIFEST["user_config"].items():
        value = user_config.get(key, spec.get("default"))
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        values[f"user_config.{key}"] = text

    def fill(text: str) -> str:
        for name, value in values.items():
            text = text.replace("${" + name + "}", value)
        assert "${" not in text, text
        return text

    config = SERVER["mcp_config"]
    return {
        "command": config["command"],
        "args": [fill(arg) for arg in config["args"]],
        "env": {name: fill(value) for name, value in config["env"].items()},
    }


def first_sentence(description: str) -> str:
    return " ".join(description.split()).split(". ")[0].rstrip(".") + "."


def test_manifest_identity_matches_the_package() -> None:
    assert MANIFEST["manifest_version"] == "0.4"
    assert MANIFEST["name"] == pyproject_value("name") == "genviral-mcp"
    assert MANIFEST["version"] == __version__
    assert MANIFEST["license"] == pyproject_value("license")
    assert MANIFEST["author"]["name"]
    assert MANIFEST["description"] and len(MANIFEST["description"]) < 200


def test_server_is_a_uv_project_run_from_the_bundle_directory() -> None:
    assert SERVER["type"] == "uv"
    entry = SERVER["entry_point"]
    assert (ROOT / entry).is_file()
    assert SERVER["mcp_config"]["command"] == "uv"
    assert SERVER["mcp_config"]["args"] == ["run", "--directory", "${__dirname}", entry]


def test_user_config_key_is_sensitive_and_required_and_demo_is_an_optional_switch() -> None:
    key, demo = MANIFEST["user_config"]["api_key"], MANIFEST["user_config"]["demo"]
    assert (key["type"], key["sensitive"], key["required"]) == ("string", True, True)
    assert (demo["type"], demo["required"], demo["default"]) == ("boolean", False, False)
    assert set(MANIFEST["user_config"]) == {"api_key", "demo"}
    for spec in MANIFEST["user_config"].values():
        assert spec["title"] and spec["description"]


@pytest.mark.parametrize("demo", [False, True])
def test_user_config_reaches_the_server_as_its_environment(demo: bool) -> None:
    filled = host_substitution({"api_key": "gva_live_abc.secret", "demo": demo}, "/opt/bundle")
    assert filled["args"] == ["run", "--directory", "/opt/bundle", SERVER["entry_point"]]
    assert filled["env"] == {"GENVIRAL_API_KEY": "gva_live_abc.secret", "GENVIRAL_DEMO": str(demo).lower()}
    assert demo_requested(False, filled["env"]) is demo
    assert Settings.from_env(filled["env"]).require_ready().reveal() == "gva_live_abc.secret"


def test_compatibility_is_set() -> None:
    compatibility = MANIFEST["compatibility"]
    assert set(compatibility["platforms"]) == {"darwin", "win32", "linux"}
    assert compatibility["runtimes"] == {"python": pyproject_value("requires-python")}


@pytest.mark.anyio
async def test_manifest_tools_match_what_the_server_lists() -> None:
    async with Client(build_server(Settings.from_env({}))) as client:
        tools = (await client.list_tools()).tools
    listed = [{"name": tool.name, "description": first_sentence(tool.description or "")} for tool in tools]
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        MANIFEST["tools"] = listed
        MANIFEST_PATH.write_text(json.dumps(MANIFEST, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert MANIFEST["tools"] == listed, "run UPDATE_SNAPSHOTS=1 pytest tests/test_bundle.py and review"


def test_ignore_file_keeps_only_what_uv_needs() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".mcpbignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "/*", "ignore every top-level entry, then let back in only what is needed"
    kept = {line.removeprefix("!/") for line in lines if line.startswith("!/")}
    readme = pyproject_value("readme")
    assert kept == {"manifest.json", "pyproject.toml", readme, "LICENSE", "src"}
    assert all((ROOT / name).exists() for name in kept)
    assert {"__pycache__", "*.pyc"} <= set(lines)
    assert pyproject_value("path") == "src/genviral_mcp/__init__.py", "the version file must be in src"


@pytest.mark.anyio
async def test_entry_point_runs_as_a_file_the_way_the_bundle_starts_it() -> None:
    """``uv run <entry_point>`` runs the file as a script, not as ``-m``; it must still work."""
    filled = host_substitution({"api_key": "anything", "demo": True}, str(ROOT))
    script = Path(filled["args"][2]) / filled["args"][3]
    params = StdioServerParameters(command=sys.executable, args=[str(script)], env=filled["env"], cwd="/")
    async with Client(params, mode="legacy") as client:
        names = sorted(tool.name for tool in (await client.list_tools()).tools)
        result = await client.call_tool("get_delivery_summary", {"max_items": 20})
    assert names == sorted(tool["name"] for tool in MANIFEST["tools"])
    assert result.structured_content is not None
    assert result.structured_content["sample_data"] == SAMPLE_NOTICE
