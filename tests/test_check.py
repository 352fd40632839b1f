"""``genviral-mcp check``: a readable status for a person, with exit codes 0 / 1 / 2."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

import anyio
import pytest
from mcp import Client

from genviral_mcp.check import EXIT_API, EXIT_CONFIG, EXIT_OK, run_check
from genviral_mcp.config import Settings
from genviral_mcp.demo import DEMO_POST_COUNT, SAMPLE_NOTICE, demo_server
from genviral_mcp.demo.emulator import PostsEmulator, summarize_scope
from genviral_mcp.demo.sample_data import sample_accounts, sample_posts

from support.common import KEY, KEYS, NOW, SCHEDULER_KEY, SCRIPT, UNPAID_KEY
from support.standin import StandInApi, respond

CANARIES = (KEY, "SECRET-canary", KEY.rpartition(".")[2])
#: The statuses a default summary walks (``partial`` once, for attention and publish time alike).
SUMMARY_WALKS = ("failed", "partial", "retry", "pending", "scheduled", "posted")


def check(env: dict[str, str], *, demo: bool = False) -> tuple[int, str]:
    out = io.StringIO()
    code = run_check(Settings.from_env(env), demo=demo, out=out, clock=lambda: NOW)
    text = out.getvalue()
    for canary in CANARIES:
        assert canary not in text
    return code, text


def run_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The installed command, with only the variables given (plus PATH, HOME)."""
    base = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    return subprocess.run(
        [str(SCRIPT), *args],
        env={**base, "PYTHONIOENCODING": "utf-8", **env},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def _pages(count: int) -> int:
    """Pages of 100 a walk over ``count`` posts reads: each later page repeats the boundary post
    (``until`` is inclusive), and the walk ends at the first short page."""
    return max(0, count - 1) // 99 + 1


def summary_requests(posts: Sequence[dict[str, Any]]) -> int:
    """The posts requests a default summary takes: one walk per status, and one over every status
    when the scope holds posts with statuses no filter reaches (deleted, void)."""
    counts = Counter(post["status"] for post in posts)
    others = any(status not in (*SUMMARY_WALKS, "draft") for status in counts)
    return sum(_pages(counts[status]) for status in SUMMARY_WALKS) + (_pages(len(posts)) if others else 0)


def demo_summary() -> dict[str, Any]:
    """The default get_delivery_summary of the demo workspace, through an MCP client."""

    async def call() -> dict[str, Any]:
        server = demo_server(lambda: NOW)
        async with Client(server) as client:
            result = await client.call_tool("get_delivery_summary", {})
        body: dict[str, Any] | None = result.structured_content
        assert not result.is_error and body is not None
        return body

    return anyio.run(call)


def test_demo_prints_a_sensible_status() -> None:
    code, text = check({}, demo=True)
    assert code == EXIT_OK
    assert "check (demo)" in text
    scope = summarize_scope(sample_posts(NOW, DEMO_POST_COUNT))
    assert f"200 posts ({scope['pending']} not yet published, {scope['published']} published)" in text
    [counts] = [line for line in text.splitlines() if "by status:" in line]
    assert all(f"{status} {n}" in counts for status, n in scope["by_status"].items())
    assert "Latest posts" not in text
    assert "Coverage   exact" in text
    assert "Attention" in text and "deliveries on" in text
    assert len([line for line in text.splitlines() if line.startswith("  ") and " x " in line]) == 3
    assert "Upcoming" in text and "Went out" in text
    assert SAMPLE_NOTICE in text


def test_an_account_listed_with_a_bad_status_is_named(api: StandInApi) -> None:
    """An account list that names a disconnected account (rather than leaving it out) is reported."""
    api.emulator = PostsEmulator(api.emulator.posts, KEYS, accounts=sample_accounts(listed_inactive=True))
    code, text = check({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": api.base_url})
    assert code == EXIT_OK, text
    assert "Accounts   not active: instagram @luna.travels (disconnected)" in text


def test_an_account_missing_from_the_list_is_named_once_and_whole() -> None:
    """The demo's disconnected account is missing from Genviral's list: "not active" once, the reason
    in full (it used to read ``not connected: … (not active (missing from Genv…)``)."""
    _, text = check({}, demo=True)
    [line] = [line for line in text.splitlines() if line.startswith("Accounts   ")]
    assert line == "Accounts   not active: account a1d4f7b2 (missing from Genviral's account list)"


def test_check_tells_the_same_truth_as_the_summary() -> None:
    _, text = check({}, demo=True)
    summary = demo_summary()
    attention, upcoming, went_out = summary["needs_attention"], summary["upcoming"], summary["went_out"]
    causes = len(attention["causes"]) + attention.get("causes_left_out", 0)
    assert f"Coverage   {summary['coverage']}" in text
    assert (
        f"Attention  {attention['deliveries']} deliveries on {attention['posts']} posts, {causes} causes"
        in text
    )
    for cause in attention["causes"][:3]:  # placeholders such as <id> included, as the summary says it
        assert f"{cause['deliveries']:>3} x {cause['cause'][:40]}" in text, cause["cause"]
    assert causes > 3 and f"  ... {causes - 3} more causes, not shown here." in text, (
        "the cap says what is left"
    )
    assert (
        f"Upcoming   {upcoming['posts']} in the next 24 h, next at {upcoming['items'][0]['scheduled']} UTC"
        in text
    )
    assert f"Went out   {went_out['posts']} posts ({went_out['deliveries']} deliveries)" in text


def test_good_key_against_the_api(api: StandInApi) -> None:
    code, text = check({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": api.base_url})
    assert code == EXIT_OK, text
    expected = summary_requests(api.emulator.posts)
    assert len(api.requests) == expected, "the default summary's walks, no more"
    assert len(api.account_requests) == 1, "account names: one attempt"
    assert {entry.query["limit"] for entry in api.requests} == {"100"}
    assert set(Counter(entry.query.get("status") for entry in api.requests)) == {*SUMMARY_WALKS, None}
    assert "GENVIRAL_API_KEY is set (not shown)" in text
    assert f"{api.base_url}/posts answered {expected} requests in" in text
    assert "300 posts" in text
    assert "Coverage   exact" in text
    assert "All good" in text
    assert SAMPLE_NOTICE not in text


def test_a_few_causes_are_all_listed_with_no_more_line(api: StandInApi) -> None:
    posted = [post for post in api.emulator.posts if post["status"] == "posted"]
    failed = [post for post in api.emulator.posts if post["status"] == "failed"]
    api.emulator.posts = posted[:3] + failed[:1]
    code, text = check({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": api.base_url})
    assert code == EXIT_OK and "Attention  " in text
    [header] = [line for line in text.splitlines() if line.startswith("Attention  ")]
    causes = int(header.rsplit(", ", 1)[1].removesuffix(" causes").removesuffix(" cause"))
    assert 1 <= causes <= 3
    assert len([line for line in text.splitlines() if line.startswith("  ") and " x " in line]) == causes
    assert "more cause" not in text


def test_a_quiet_workspace_says_nothing_needs_attention(api: StandInApi) -> None:
    api.emulator.posts = [post for post in api.emulator.posts if post["status"] == "posted"][:3]
    code, text = check({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": api.base_url})
    assert code == EXIT_OK
    assert "Attention  none" in text
    assert "Upcoming   none in the next 24 h" in text
    assert "Accounts   " not in text


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("gva_live_nope.SECRET-canary-other", "did not accept the API key (HTTP 401, invalid_token)"),
        (UNPAID_KEY, "needs an active Creator, Professional or Business plan (HTTP 402"),
        (SCHEDULER_KEY, "Scheduler tier, which cannot use the Partner API (HTTP 403, tier_not_allowed)"),
    ],
)
def test_api_refusals_exit_1_with_the_tool_message(api: StandInApi, key: str, expected: str) -> None:
    code, text = check({"GENVIRAL_API_KEY": key, "GENVIRAL_BASE_URL": api.base_url})
    assert code == EXIT_API
    assert expected in text
    assert "SECRET-canary-other" not in text


def test_an_echoed_key_is_redacted(api: StandInApi) -> None:
    api.script(respond(500, f'{{"ok": false, "code": 500, "message": "boom for {KEY}"}}'))
    code, text = check({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": api.base_url})
    assert code == EXIT_API
    assert "HTTP 500" in text and "[redacted]" in text


def test_an_unreachable_api_exits_1() -> None:
    code, text = check({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": "http://127.0.0.1:9/api/partner/v1"})
    assert code == EXIT_API
    assert "Could not reach Genviral" in text


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "GENVIRAL_API_KEY is not set"),
        ({"GENVIRAL_API_KEY": "  "}, "GENVIRAL_API_KEY is not set"),
        (
            {"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": "http://api.example.com/v1"},
            "plain http to api.example.com",
        ),
        ({"GENVIRAL_API_KEY": KEY, "GENVIRAL_TIMEOUT": "soon"}, "GENVIRAL_TIMEOUT must be a positive number"),
        (
            {"GENVIRAL_API_KEY_FILE": "/nonexistent/genviral-key"},
            "GENVIRAL_API_KEY_FILE names '/nonexistent/genviral-key', which cannot be read",
        ),
    ],
)
def test_configuration_problems_exit_2_before_any_request(
    api: StandInApi, env: dict[str, str], expected: str
) -> None:
    code, text = check(env)
    assert code == EXIT_CONFIG
    assert expected in text
    assert api.requests == []


def test_missing_key_says_how_to_set_it_in_a_terminal() -> None:
    _, text = check({})
    assert "export GENVIRAL_API_KEY=gva_live_..." in text
    assert "genviral-mcp check --demo" in text


# --- the installed command ---------------------------------------------------------------------


def test_command_check_demo_exits_0() -> None:
    done = run_command("check", "--demo", env={})
    assert done.returncode == 0, done.stderr
    assert "200 posts" in done.stdout and SAMPLE_NOTICE in done.stdout
    assert done.stderr == ""


def test_command_check_without_a_key_exits_2_naming_the_variable() -> None:
    done = run_command("check", env={})
    assert done.returncode == 2
    assert "GENVIRAL_API_KEY" in done.stdout


def test_command_check_with_a_bad_key_exits_1_with_the_401_message(api: StandInApi) -> None:
    bad = "gva_live_wrong.SECRET-canary-bad"
    done = run_command("check", env={"GENVIRAL_API_KEY": bad, "GENVIRAL_BASE_URL": api.base_url})
    assert done.returncode == 1
    assert "Genviral did not accept the API key (HTTP 401, invalid_token)" in done.stdout
    assert "Check GENVIRAL_API_KEY" in done.stdout
    assert "SECRET-canary-bad" not in done.stdout + done.stderr


def test_command_check_with_plain_http_elsewhere_exits_2() -> None:
    done = run_command(
        "check", "--base-url", "http://genviral.example/api/partner/v1", env={"GENVIRAL_API_KEY": KEY}
    )
    assert done.returncode == 2
    assert "clear text" in done.stdout
    assert "SECRET-canary" not in done.stdout + done.stderr


def test_command_check_with_a_good_key_never_prints_it(api: StandInApi) -> None:
    done = run_command(
        "--log-level", "DEBUG", "check", env={"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": api.base_url}
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for canary in CANARIES:
        assert canary not in done.stdout + done.stderr


# --- --help and --version ----------------------------------------------------------------------


def test_help_names_the_tools_variables_commands_and_examples() -> None:
    done = run_command("--help", env={})
    assert done.returncode == 0
    for needle in (
        "list_posts",
        "get_delivery_summary",
        "GENVIRAL_API_KEY",
        "GENVIRAL_BASE_URL",
        "GENVIRAL_TIMEOUT",
        "GENVIRAL_LOG_LEVEL",
        "GENVIRAL_DEMO",
        "check",
        "--demo",
        "genviral-mcp check --demo",
    ):
        assert needle in done.stdout, needle
    sub = run_command("check", "--help", env={})
    assert sub.returncode == 0
    assert "0 all good, 1 the API refused or failed, 2 the configuration" in sub.stdout


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["check", "--bogus"], "genviral-mcp check: error: unrecognized arguments: --bogus"),
        (["check", "--port", "8000"], "genviral-mcp check: error: unrecognized arguments: --port 8000"),
        (["check", "--timeout"], "genviral-mcp check: error: argument --timeout: expected one argument"),
        (["check", "--log-level", "loud"], "genviral-mcp check: error: argument --log-level: invalid choice"),
    ],
)
def test_a_bad_check_option_prints_checks_own_usage(args: list[str], error: str) -> None:
    done = run_command(*args, env={})
    assert done.returncode == 2 and done.stdout == ""
    usage, message = done.stderr.strip().splitlines()
    assert (
        usage == "usage: genviral-mcp check [--demo] [--json] [--changed-since T] [--base-url URL] "
        "[--timeout SECONDS] [--log-level LEVEL]"
    )
    assert message.startswith(error), message


def test_a_bad_option_before_any_command_prints_the_main_usage() -> None:
    done = run_command("--bogus", env={})
    assert done.returncode == 2
    assert done.stderr.startswith("usage: genviral-mcp [--demo]") and "--transport http" in done.stderr
    assert done.stderr.strip().endswith("genviral-mcp: error: unrecognized arguments: --bogus")


def test_version_names_the_sdk_and_python() -> None:
    done = run_command("--version", env={})
    assert done.returncode == 0
    assert done.stdout.startswith("genviral-mcp 0.")
    assert "mcp 2." in done.stdout and "Python 3." in done.stdout


def test_help_and_version_do_not_import_the_sdk() -> None:
    probe = (
        "import sys\n"
        "from genviral_mcp.cli import parse_args\n"
        "for argv in (['--help'], ['--version'], ['check', '--help']):\n"
        "    try:\n"
        "        parse_args(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = sorted(m for m in ('mcp', 'httpx2', 'pydantic', 'anyio') if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, check=True
    )
    assert "HEAVY []" in done.stderr
