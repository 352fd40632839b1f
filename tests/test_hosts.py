"""Every host snippet: the right command, arguments and ``env``, accepted by our CLI, shown verbatim.

The snippets live in ``examples/hosts/`` (and ``claude_desktop_config.example.json``); docs/hosts.md
must show each one exactly, and the README may show only lines and blocks from them, so the docs
cannot drift from what is tested here. The entries with
an absolute path are also started, as written, with the placeholder path swapped for the
installed script.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from genviral_mcp.cli import parse_args
from genviral_mcp.demo import SAMPLE_NOTICE, demo_requested

from support.common import KEY, SCRIPT, error_text
from support.standin import StandInApi

ROOT = Path(__file__).resolve().parent.parent
HOSTS = ROOT / "examples" / "hosts"
README = (ROOT / "README.md").read_text(encoding="utf-8")
HOSTS_DOC = (ROOT / "docs" / "hosts.md").read_text(encoding="utf-8")

ABSOLUTE = "/ABSOLUTE/PATH/TO/genviral-mcp/.venv/bin/genviral-mcp"
KEY_PLACEHOLDER = "gva_live_YOUR_PUBLIC_ID.YOUR_SECRET"
#: Where the host substitutes ``${VAR}`` (OpenClaw, Claude Code's ``.mcp.json``), the entry names the
#: variable and the key stays out of the config file.
KEY_REFERENCE = "${GENVIRAL_API_KEY}"
#: Or, in any host, the entry names a file that holds the key (no host config carries it then).
KEY_FILE_PLACEHOLDER = "/ABSOLUTE/PATH/TO/genviral-key"
SUBSTITUTING = {
    "examples/hosts/claude-code-project.mcp.json",
    "examples/hosts/openclaw.json",
    "examples/hosts/openclaw.sh",
}

JSON_SNIPPETS = {
    "claude_desktop_config.example.json": ("mcpServers",),
    "examples/hosts/claude-desktop-demo.json": ("mcpServers",),
    "examples/hosts/claude-desktop-uvx.json": ("mcpServers",),
    "examples/hosts/claude-desktop-uvx-demo.json": ("mcpServers",),
    "examples/hosts/claude-code-project.mcp.json": ("mcpServers",),
    "examples/hosts/cursor.json": ("mcpServers",),
    "examples/hosts/openclaw.json": ("mcp", "servers"),
}


@dataclass(frozen=True)
class Entry:
    """One server entry, as a host would start it."""

    source: str
    name: str
    command: str
    args: tuple[str, ...]
    env: dict[str, str]

    @property
    def demo(self) -> bool:
        return "--demo" in self.args

    @property
    def cli_args(self) -> list[str]:
        """What reaches ``genviral-mcp`` itself."""
        if self.command == "uvx":
            assert self.args[0] == "genviral-mcp", self
            return list(self.args[1:])
        return list(self.args)


def json_entries(relative: str) -> list[Entry]:
    data: Any = json.loads((ROOT / relative).read_text(encoding="utf-8"))
    for key in JSON_SNIPPETS[relative]:
        data = data[key]
    assert isinstance(data, dict) and data
    entries = []
    for name, server in data.items():
        assert set(server) <= {"command", "args", "env"}, f"{relative}: unexpected keys in {name}"
        entries.append(
            Entry(relative, name, server["command"], tuple(server.get("args", [])), server.get("env", {}))
        )
    return entries


def claude_code_entries() -> list[Entry]:
    """Each ``claude mcp add`` line, read the way Claude Code reads it."""
    entries = []
    for line in (HOSTS / "claude-code.sh").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        words = shlex.split(line)
        assert words[:3] == ["claude", "mcp", "add"], line
        split = words.index("--")
        options, (name,), launch = words[3 : split - 1], words[split - 1 : split], words[split + 1 :]
        assert not name.startswith("-"), "the name comes right before --, after every option"
        pairs = dict(zip(options[::2], options[1::2], strict=True))
        assert set(pairs) <= {"--transport", "--env", "--scope"}, line
        assert pairs["--transport"] == "stdio" and pairs["--scope"] == "user"
        env = dict([pairs["--env"].split("=", 1)]) if "--env" in pairs else {}
        entries.append(Entry("examples/hosts/claude-code.sh", name, launch[0], tuple(launch[1:]), env))
    return entries


def openclaw_entries() -> list[Entry]:
    """Each ``openclaw mcp set NAME JSON`` line, read the way OpenClaw reads it."""
    entries = []
    for line in (HOSTS / "openclaw.sh").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        words = shlex.split(line)
        assert words[:3] == ["openclaw", "mcp", "set"] and len(words) == 5, line
        server = json.loads(words[4])
        assert set(server) <= {"command", "args", "env"}, line
        entries.append(
            Entry(
                "examples/hosts/openclaw.sh",
                words[3],
                server["command"],
                tuple(server.get("args", [])),
                server.get("env", {}),
            )
        )
    return entries


ALL_ENTRIES = (
    [entry for name in JSON_SNIPPETS for entry in json_entries(name)]
    + claude_code_entries()
    + openclaw_entries()
)
SHELL_SNIPPETS = ("examples/hosts/claude-code.sh", "examples/hosts/openclaw.sh")


def entry_id(entry: Entry) -> str:
    return f"{entry.source}:{entry.name}:{entry.command}"


def test_every_snippet_file_is_covered() -> None:
    files = {f"examples/hosts/{path.name}" for path in HOSTS.iterdir()}
    assert files == {name for name in JSON_SNIPPETS if name.startswith("examples/")} | set(SHELL_SNIPPETS)
    assert len(ALL_ENTRIES) == 13


@pytest.mark.parametrize("entry", ALL_ENTRIES, ids=entry_id)
def test_entry_runs_genviral_mcp_with_arguments_it_accepts(entry: Entry) -> None:
    assert entry.command in (ABSOLUTE, "uvx"), "an absolute path to the installed script, or uvx"
    args = parse_args(entry.cli_args)
    assert args.command is None, "hosts start the server, not check"
    assert demo_requested(args.demo, entry.env) is entry.demo


@pytest.mark.parametrize("entry", ALL_ENTRIES, ids=entry_id)
def test_entry_env_holds_the_key_placeholder_or_nothing_for_the_demo(entry: Entry) -> None:
    if entry.demo:
        assert entry.env == {}, "the demo needs no key"
        assert entry.name == "genviral-demo"
    else:
        key = KEY_REFERENCE if entry.source in SUBSTITUTING else KEY_PLACEHOLDER
        assert entry.env in ({"GENVIRAL_API_KEY": key}, {"GENVIRAL_API_KEY_FILE": KEY_FILE_PLACEHOLDER}), (
            "a reference where the host substitutes one, or a key file"
        )
        assert entry.name == "genviral"


def test_claude_desktop_example_is_the_issue_2_entry() -> None:
    (entry,) = json_entries("claude_desktop_config.example.json")
    assert (entry.name, entry.command, entry.args) == ("genviral", ABSOLUTE, ())
    assert entry.env == {"GENVIRAL_API_KEY": KEY_PLACEHOLDER}


def test_each_host_has_a_demo_variant_where_the_readme_offers_one() -> None:
    by_source: dict[str, set[bool]] = {}
    for entry in ALL_ENTRIES:
        by_source.setdefault(entry.source.rsplit("-demo", 1)[0].removesuffix(".json"), set()).add(entry.demo)
    assert by_source["examples/hosts/claude-desktop-uvx"] == {False, True}
    assert by_source["examples/hosts/claude-code.sh"] == {False, True}
    assert by_source["examples/hosts/openclaw.sh"] == {False, True}
    assert True in by_source["examples/hosts/claude-desktop"]


@pytest.mark.parametrize("relative", SHELL_SNIPPETS)
def test_host_commands_are_valid_shell(relative: str) -> None:
    subprocess.run(["bash", "-n", str(ROOT / relative)], check=True, timeout=10)


@pytest.mark.parametrize("relative", [*JSON_SNIPPETS, *SHELL_SNIPPETS])
def test_hosts_doc_shows_each_snippet_verbatim(relative: str) -> None:
    text = (ROOT / relative).read_text(encoding="utf-8").strip()
    fence = "bash" if relative.endswith(".sh") else "json"
    assert f"```{fence}\n{text}\n```" in HOSTS_DOC, f"docs/hosts.md must show {relative} verbatim"


def test_readme_shows_only_tested_snippets() -> None:
    """The README's short host section shows whole tested snippets or tested lines, no other."""
    snippets = [(ROOT / relative).read_text(encoding="utf-8").strip() for relative in JSON_SNIPPETS]
    commands = [line for relative in SHELL_SNIPPETS for line in (ROOT / relative).read_text().splitlines()]
    blocks = re.findall(r"```(json|bash)\n(.*?)\n```", README, flags=re.S)
    json_blocks = [body for fence, body in blocks if fence == "json" and "mcpServers" in body]
    assert json_blocks, "the README shows host snippets"
    assert all(body in snippets for body in json_blocks), "a README host snippet that no test checks"
    host_lines = [line for _, body in blocks for line in body.splitlines() if line.startswith(HOST_COMMANDS)]
    assert host_lines, "the README shows host commands"
    assert all(line in commands for line in host_lines), "a README command that no test checks"


HOST_COMMANDS = ("claude mcp add", "openclaw mcp set")


@pytest.mark.parametrize(
    ("host", "source"),
    [
        ("Claude Desktop", "examples/hosts/claude-desktop-demo.json"),
        ("Claude Code", "examples/hosts/claude-code.sh"),
        ("OpenClaw", "examples/hosts/openclaw.sh"),
    ],
)
def test_readme_shows_the_demo_line_for_each_host(host: str, source: str) -> None:
    """The README pitches the demo: each host it names gets the demo entry, verbatim from its tested file."""
    [demo] = [entry for entry in ALL_ENTRIES if entry.source == source and entry.demo]
    text = (ROOT / source).read_text(encoding="utf-8")
    if source.endswith(".json"):
        assert f"```json\n{text.strip()}\n```" in README, host
    else:
        [line] = [line for line in text.splitlines() if line.startswith(HOST_COMMANDS) and "--demo" in line]
        assert f"\n{line}\n" in README, host
    assert demo.args[-1] == "--demo" and demo.env == {}


def test_readme_says_where_the_key_lives_for_each_host() -> None:
    """No substitution in Claude Desktop (say so, and point at the bundle); a reference elsewhere."""
    section = README[README.index("## Connect your host") : README.index("## Tools")]
    assert "Claude Desktop substitutes no variables" in section
    assert "MCP bundle" in section and "sensitive" in section
    assert "`${GENVIRAL_API_KEY}`" in section and "~/.openclaw/.env" in section
    assert (
        "`GENVIRAL_API_KEY_FILE`" in section
        and f'"GENVIRAL_API_KEY_FILE": "{KEY_FILE_PLACEHOLDER}"' in section
    )


def test_hosts_doc_names_where_each_config_lives() -> None:
    for place in (
        "~/Library/Application Support/Claude/claude_desktop_config.json",
        r"%APPDATA%\Claude\claude_desktop_config.json",
        "~/.config/Claude/claude_desktop_config.json",
        "~/.openclaw/openclaw.json",
        "~/.cursor/mcp.json",
        ".cursor/mcp.json",
    ):
        assert place in HOSTS_DOC, place
    assert re.search(r"spawn \S+ ENOENT", HOSTS_DOC), "say why an absolute path matters"
    assert re.search(r"spawn \S+ ENOENT", README), "the README says why an absolute path matters too"


# --- the absolute-path entries, started as written ----------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("demo", "key"),
    [(False, KEY_PLACEHOLDER), (False, KEY_REFERENCE), (False, KEY_FILE_PLACEHOLDER), (True, None)],
    ids=["with-key", "env-backed", "key-file", "demo"],
)
async def test_absolute_path_entry_starts_and_answers(
    api: StandInApi, tmp_path: Path, demo: bool, key: str | None
) -> None:
    entry = next(
        e
        for e in ALL_ENTRIES
        if e.command == ABSOLUTE
        and e.demo is demo
        and (e.env.get("GENVIRAL_API_KEY") or e.env.get("GENVIRAL_API_KEY_FILE")) == key
    )
    env = dict(entry.env)
    if "GENVIRAL_API_KEY_FILE" in env:  # the placeholder path is a real file holding the key here
        key_file = tmp_path / "genviral-key"
        key_file.write_text(KEY + "\n", encoding="utf-8")
        env.update(GENVIRAL_API_KEY_FILE=str(key_file), GENVIRAL_BASE_URL=api.base_url)
    elif not demo:  # the placeholder, or the host's substitution of the reference, is a real key here
        env.update(GENVIRAL_API_KEY=KEY, GENVIRAL_BASE_URL=api.base_url)
    params = StdioServerParameters(command=str(SCRIPT), args=list(entry.args), env=env)
    async with Client(params, mode="legacy") as client:
        result = await client.call_tool("list_posts", {"limit": 2})
    assert not result.is_error and result.structured_content is not None
    assert (result.structured_content.get("sample_data") == SAMPLE_NOTICE) is demo
    assert (len(api.requests) == 0) is demo
    assert all(request.headers["authorization"] == f"Bearer {KEY}" for request in api.requests)


@pytest.mark.anyio
async def test_an_env_backed_entry_the_host_did_not_fill_in_says_so(api: StandInApi) -> None:
    """The entry started exactly as written (the host had no GENVIRAL_API_KEY to substitute): each
    call names the variable, and nothing is sent to Genviral."""
    entry = next(e for e in ALL_ENTRIES if e.command == ABSOLUTE and KEY_REFERENCE in e.env.values())
    env = {**entry.env, "GENVIRAL_BASE_URL": api.base_url}
    params = StdioServerParameters(command=str(SCRIPT), args=list(entry.args), env=env)
    async with Client(params, mode="legacy") as client:
        result = await client.call_tool("list_posts", {"limit": 2})
    assert result.is_error
    quoted = "GENVIRAL_API_KEY is the text ${GENVIRAL_API_KEY}"
    assert f"{quoted}, not a key" in error_text(result)
    assert f"`{quoted}`" in " ".join(README.split()), "the README's troubleshooting quotes it"
    assert api.all_requests == []
