"""docs/automation.md's recipes, run verbatim against ``genviral-mcp --demo``: each run twice, to show
the cursor works (the second run repeats nothing the first printed), and once on a failure, which keeps
the cursor where it was.

The demo follows the real clock and has failures and publications in the last hour at any time of day,
so the first run (which looks back one hour) always has news to print.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from genviral_mcp.timestamps import parse_iso

DOC = Path(__file__).resolve().parent.parent / "docs" / "automation.md"
BIN = Path(sys.executable).parent
AS_OF = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def recipe(name: str) -> str:
    """The fenced block right after ``<!-- recipe: name -->``, exactly as the page shows it."""
    _, marker, after = DOC.read_text(encoding="utf-8").partition(f"<!-- recipe: {name} -->")
    assert marker, f"docs/automation.md has no {name} recipe"
    block = re.match(r"\s*```\w*\n(.*?)\n```\n", after, re.S)
    assert block is not None
    return block.group(1) + "\n"


def environment(home: Path, state: Path, **extra: str) -> dict[str, str]:
    """A cron-like environment: this venv's scripts on PATH (``genviral-mcp``), a home of its own."""
    path = os.pathsep.join([str(BIN), os.environ.get("PATH", "")])
    return {"PATH": path, "HOME": str(home), "GENVIRAL_NEWS_STATE": str(state), "LANG": "C.UTF-8", **extra}


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, env=env, capture_output=True, text=True, encoding="utf-8", timeout=120, check=False
    )


def near_now_minus_15(as_of: str) -> bool:
    moment = parse_iso(as_of)
    expected = datetime.now(timezone.utc) - timedelta(minutes=15)
    return (
        AS_OF.fullmatch(as_of) is not None
        and moment is not None
        and abs(moment - expected) < timedelta(minutes=2)
    )


def test_the_python_recipe_prints_each_change_once(tmp_path: Path) -> None:
    script = tmp_path / "genviral_news.py"
    script.write_text(recipe("python"), encoding="utf-8")
    state = tmp_path / "state.json"
    env = environment(tmp_path, state)

    first = run([sys.executable, str(script), "--demo"], env)
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""
    lines = first.stdout.splitlines()
    assert any(" NEEDS ATTENTION " in line for line in lines), first.stdout
    assert any(" PUBLISHED https" in line or " PUBLISHED " in line for line in lines), first.stdout
    saved = json.loads(state.read_text())
    assert near_now_minus_15(saved["as_of"])
    assert all(change >= saved["as_of"] for change in saved["seen"])

    second = run([sys.executable, str(script), "--demo"], env)
    assert second.returncode == 0, second.stderr
    assert not set(second.stdout.splitlines()) & set(lines), "a change printed twice"
    assert json.loads(state.read_text())["as_of"] >= saved["as_of"]

    # A failing call (no key, no demo) says why, and keeps the cursor where it was.
    kept = state.read_text()
    failing = run([sys.executable, str(script)], env)
    assert failing.returncode == 1 and "genviral: " in failing.stderr and "GENVIRAL_API_KEY" in failing.stderr
    assert failing.stdout == "" and state.read_text() == kept


def test_the_shell_recipe_with_check_json_and_jq_prints_each_change_once(tmp_path: Path) -> None:
    assert shutil.which("jq"), "the shell recipe needs jq: apt-get install jq (.ci/run installs it)"
    script = tmp_path / "genviral-news.sh"
    script.write_text(recipe("shell"), encoding="utf-8")
    state = tmp_path / "state"
    env = environment(tmp_path, state)

    first = run(["sh", str(script), "--demo"], env)
    assert first.returncode == 1, first.stdout + first.stderr  # 1: something new needs attention
    assert first.stderr == ""
    lines = first.stdout.splitlines()
    assert any(" NEEDS ATTENTION " in line for line in lines), first.stdout
    assert any(" PUBLISHED " in line for line in lines), first.stdout
    as_of = (state / "as_of").read_text().strip()
    assert near_now_minus_15(as_of)
    seen = (state / "seen").read_text().splitlines()
    assert all(change >= as_of for change in seen), "the ids that may come again, no older"

    second = run(["sh", str(script), "--demo"], env)
    assert second.returncode in (0, 1), second.stderr
    assert second.stderr == ""
    assert not set(second.stdout.splitlines()) & set(lines), "a change printed twice"
    assert (state / "as_of").read_text().strip() >= as_of

    # check exits 2 without a key: nothing on stdout, the message on stderr, the cursor kept.
    kept = (state / "as_of").read_text()
    failing = run(["sh", str(script)], env)
    assert failing.returncode == 2 and "GENVIRAL_API_KEY" in failing.stderr
    assert failing.stdout == "" and (state / "as_of").read_text() == kept


@pytest.mark.parametrize("name", ["python", "shell"])
def test_each_recipe_is_a_complete_script(name: str) -> None:
    """What the page shows is what runs: no elided lines, no placeholders."""
    text = recipe(name)
    assert "..." not in text.replace("gva_live_...", "")
    assert "changed_since" in text or "--changed-since" in text
