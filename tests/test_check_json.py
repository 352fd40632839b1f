"""``genviral-mcp check --json`` and ``--changed-since`` (issue 19): the summary's facts for a script,
with exit codes it can branch on (0 nothing needs attention, 1 something does, 2 configuration,
3 Genviral unreachable or refusing, or coverage incomplete with nothing found)."""

from __future__ import annotations

import io
import json
import os
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import jsonschema  # type: ignore[import-untyped]  # (mcp depends on it; its stubs are not installed)
import pytest
from mcp import Client

from genviral_mcp.check import EXIT_ATTENTION, EXIT_CONFIG, EXIT_OK, EXIT_UNKNOWN, run_check
from genviral_mcp.config import Settings
from genviral_mcp.demo import SAMPLE_NOTICE, demo_server
from genviral_mcp.demo.emulator import PostsEmulator
from genviral_mcp.output_schema import SUMMARY_OUTPUT
from genviral_mcp.timestamps import exact

from support.common import KEY, KEYS, NOW, SCRIPT
from support.standin import StandInApi, respond
from support.timeline import ACTIVE_A, accounts_payload, failed, news_workspace, published

SECRET = KEY.rpartition(".")[2]
TEAPOT = respond(418, '{"ok": false, "code": 418, "message": "teapot"}')


def check_json(
    env: dict[str, str], *, demo: bool = False, changed_since: str | None = None
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_check(
        Settings.from_env(env),
        demo=demo,
        out=out,
        err=err,
        clock=lambda: NOW,
        as_json=True,
        changed_since=changed_since,
    )
    return code, out.getvalue(), err.getvalue()


def check_plain(env: dict[str, str], *, changed_since: str | None = None) -> tuple[int, str]:
    out = io.StringIO()
    code = run_check(Settings.from_env(env), out=out, clock=lambda: NOW, changed_since=changed_since)
    return code, out.getvalue()


def summary_of(stdout: str) -> dict[str, Any]:
    """Exactly one JSON object, which follows the summary's output schema."""
    summary: dict[str, Any] = json.loads(stdout)
    jsonschema.validate(summary, SUMMARY_OUTPUT)
    return summary


def tool_result(arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """What get_delivery_summary gives over the demo at NOW: its text, and its structured content."""

    async def call() -> tuple[str, dict[str, Any]]:
        async with Client(demo_server(lambda: NOW)) as client:
            result = await client.call_tool("get_delivery_summary", arguments)
        block = result.content[0]
        assert not result.is_error and result.structured_content is not None and block.type == "text"
        return block.text, result.structured_content

    return anyio.run(call)


def env_for(api: StandInApi) -> dict[str, str]:
    return {"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": api.base_url}


def quiet(api: StandInApi) -> None:
    """Only posts that went out long ago: nothing needs attention."""
    api.emulator = PostsEmulator(
        [
            published(f"old-{n}", ACTIVE_A, NOW - timedelta(days=3, hours=n), NOW - timedelta(days=4))
            for n in range(3)
        ],
        KEYS,
        accounts=accounts_payload(),
    )


def news(api: StandInApi) -> None:
    api.emulator = PostsEmulator(news_workspace(NOW), KEYS, accounts=accounts_payload())


# --- the same facts as the summary -----------------------------------------------------------


@pytest.mark.parametrize("changed_since", [None, exact(NOW - timedelta(hours=1))])
def test_json_is_the_summarys_text_and_follows_its_output_schema(changed_since: str | None) -> None:
    code, stdout, stderr = check_json({}, demo=True, changed_since=changed_since)
    text, content = tool_result({"changed_since": changed_since} if changed_since else {})
    assert stdout == text + "\n", "one JSON object, byte for byte the tool's text, and nothing else"
    assert summary_of(stdout) == content
    assert content["sample_data"] == SAMPLE_NOTICE
    assert stderr == ""
    assert code == EXIT_ATTENTION, "the demo always has something needing attention"


# --- exit codes -----------------------------------------------------------------------------


def test_exit_0_when_nothing_needs_attention_and_coverage_is_exact(api: StandInApi) -> None:
    quiet(api)
    code, stdout, stderr = check_json(env_for(api))
    summary = summary_of(stdout)
    assert code == EXIT_OK == 0
    assert summary["coverage"].startswith("exact") and summary["needs_attention"]["deliveries"] == 0
    assert stderr == ""


def test_exit_0_when_nothing_is_new_even_with_older_problems(api: StandInApi) -> None:
    news(api)
    code, stdout, _ = check_json(env_for(api), changed_since=exact(NOW - timedelta(minutes=10)))
    summary = summary_of(stdout)
    assert code == EXIT_OK
    assert (
        summary["needs_attention"]["deliveries"] == 0 and summary["needs_attention"]["older_deliveries"] > 0
    )


@pytest.mark.parametrize("changed_since", [None, exact(NOW - timedelta(hours=1))])
def test_exit_1_when_something_needs_attention(api: StandInApi, changed_since: str | None) -> None:
    news(api)
    code, stdout, _ = check_json(env_for(api), changed_since=changed_since)
    assert code == EXIT_ATTENTION == 1
    assert summary_of(stdout)["needs_attention"]["deliveries"] > 0


def test_exit_1_whatever_the_coverage(api: StandInApi) -> None:
    news(api)
    api.script_matching(lambda query: query.get("status") == "scheduled", TEAPOT)
    code, stdout, _ = check_json(env_for(api))
    summary = summary_of(stdout)
    assert code == EXIT_ATTENTION
    assert summary["coverage"].startswith("incomplete")


def test_exit_1_for_an_inactive_account_alone(api: StandInApi) -> None:
    """An account with a new failure, not active in Genviral: listed under needs_attention."""
    api.emulator = PostsEmulator(
        [failed("gone", "cccccccc-0000-4000-8000-00000000000c", NOW - timedelta(days=2), "(#190) token")],
        KEYS,
        accounts=accounts_payload(),
    )
    code, stdout, _ = check_json(env_for(api), changed_since=exact(NOW - timedelta(hours=1)))
    summary = summary_of(stdout)
    assert (
        summary["needs_attention"]["deliveries"] == 0
        and "accounts_not_active" not in summary["needs_attention"]
    )
    assert code == EXIT_OK, "its failure is days old: nothing new"
    code, stdout, _ = check_json(env_for(api))
    assert summary_of(stdout)["needs_attention"]["accounts_not_active"] and code == EXIT_ATTENTION


@pytest.mark.parametrize(
    ("env", "changed_since", "message"),
    [
        ({}, None, "GENVIRAL_API_KEY is not set"),
        (
            {"GENVIRAL_API_KEY": KEY, "GENVIRAL_TIMEOUT": "soon"},
            None,
            "GENVIRAL_TIMEOUT must be a positive number",
        ),
        ({"GENVIRAL_API_KEY": KEY}, "last tuesday", "Invalid `changed_since`: not an ISO 8601 timestamp"),
        ({"GENVIRAL_API_KEY": KEY}, "2026-11-29", "Invalid `changed_since`: it is after now"),
    ],
)
def test_exit_2_for_a_configuration_problem_with_nothing_on_stdout(
    api: StandInApi, env: dict[str, str], changed_since: str | None, message: str
) -> None:
    code, stdout, stderr = check_json({**env, "GENVIRAL_BASE_URL": api.base_url}, changed_since=changed_since)
    assert code == EXIT_CONFIG == 2
    assert stdout == "" and message in stderr
    assert api.requests == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": "http://127.0.0.1:9/api/partner/v1"},
            "Could not reach Genviral",
        ),
        ({"GENVIRAL_API_KEY": "gva_live_nope.wrong-key-0000"}, "did not accept the API key (HTTP 401"),
    ],
    ids=["unreachable", "refusing"],
)
def test_exit_3_when_genviral_is_unreachable_or_refusing(
    api: StandInApi, env: dict[str, str], message: str
) -> None:
    code, stdout, stderr = check_json({"GENVIRAL_BASE_URL": api.base_url, **env})
    assert code == EXIT_UNKNOWN == 3
    assert stdout == "" and message in stderr


def test_exit_3_when_coverage_is_incomplete_and_nothing_was_found(api: StandInApi) -> None:
    quiet(api)
    api.script_matching(lambda query: query.get("status") == "pending", TEAPOT)
    code, stdout, _ = check_json(env_for(api))
    summary = summary_of(stdout)
    assert code == EXIT_UNKNOWN
    assert summary["coverage"].startswith("incomplete") and summary["needs_attention"]["deliveries"] == 0


def test_warnings_go_to_stderr_and_stdout_stays_one_json_object(api: StandInApi) -> None:
    quiet(api)
    code, stdout, stderr = check_json({**env_for(api), "GENVIRAL_API_KEY": f'"Bearer {KEY}"'})
    assert code == EXIT_OK
    assert summary_of(stdout)["coverage"].startswith("exact")
    assert "GENVIRAL_API_KEY had" in stderr and "removed" in stderr
    assert SECRET not in stdout + stderr


# --- --changed-since in plain mode, and the key ---------------------------------------------------


def test_plain_check_with_changed_since_prints_as_of_and_what_is_new(api: StandInApi) -> None:
    news(api)
    code, text = check_plain(env_for(api), changed_since=exact(NOW - timedelta(hours=1)))
    assert code == EXIT_OK, "plain check keeps its codes: the set-up works"
    assert "Changes    since 2026-11-28T11:00:00.000Z\n" in text
    assert "As of      2026-11-28T11:45:00.000Z (pass it as --changed-since next time)\n" in text
    assert "Attention  6 new deliveries on 6 posts" in text
    assert "And 4 older deliveries on 4 posts still need attention" in text
    code, text = check_plain(env_for(api), changed_since=exact(NOW - timedelta(minutes=5)))
    assert "Attention  nothing new since 2026-11-28T11:55:00.000Z" in text


def test_a_key_echoed_in_any_spelling_is_redacted_in_both_modes(api: StandInApi) -> None:
    """The client redacts the key as sent; what it cannot see (the key percent-encoded in an account's
    name or an error message) is redacted once cleaned, because check binds the key as the server does."""
    spelled = SECRET[:3] + "%52%45" + SECRET[5:]
    accounts = accounts_payload()
    accounts[0]["username"] = spelled  # ACTIVE_A, named in the plain status's cause line
    api.emulator = PostsEmulator(
        [failed("leaky", ACTIVE_A, NOW - timedelta(minutes=20), f"token {spelled} was refused")],
        KEYS,
        accounts=accounts,
    )
    _, text = check_plain(env_for(api))
    _, stdout, stderr = check_json(env_for(api))
    for output in (text, stdout, stderr):
        assert not any(SECRET[i : i + 8] in output for i in range(len(SECRET) - 7)), output
    assert "(tiktok @[redacted])" in text
    assert "token [redacted] was refused" in stdout


# --- the installed command ---------------------------------------------------------------------


def run_command(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    return subprocess.run(
        [str(SCRIPT), *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def test_the_command_prints_one_json_object_and_nothing_else() -> None:
    since = exact(datetime.now(NOW.tzinfo) - timedelta(hours=1))
    done = run_command("check", "--demo", "--json", "--changed-since", since)
    assert done.returncode in (EXIT_OK, EXIT_ATTENTION), done.stderr
    summary = summary_of(done.stdout)
    assert summary["changed_since"] == since and summary["as_of"] > since
    assert done.stderr == ""


def test_the_command_in_plain_mode_prints_as_of() -> None:
    done = run_command("check", "--demo", "--changed-since", "2026-01-01")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Changes    since 2026-01-01T00:00:00.000Z" in done.stdout
    assert "(pass it as --changed-since next time)" in done.stdout


def test_help_documents_the_json_exit_codes() -> None:
    sub = run_command("check", "--help")
    flat = " ".join(sub.stdout.split())
    for line in (
        "0 nothing needs attention, and coverage was exact",
        "1 something needs attention (whatever the coverage)",
        "2 configuration problem",
        "3 Genviral unreachable or refusing, or coverage incomplete with nothing found",
        "--changed-since T",
    ):
        assert line in flat, line
    main = run_command("--help")
    assert "check --json --changed-since" in main.stdout


def test_the_readme_documents_both_sets_of_exit_codes() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.partition("## Troubleshooting: `genviral-mcp check`")[2].partition("\n## ")[0]
    for row in (
        "| 0 | `All good",
        "| 1 | `API FAILED:`",
        "| 2 | `Configuration problem:`",
        "| 0 | nothing needs attention, and coverage was exact |",
        "| 1 | something needs attention (whatever the coverage) |",
        "| 2 | a configuration problem",
        "| 3 | Genviral unreachable or refusing",
        "`--changed-since T`",
    ):
        assert row in section, row
