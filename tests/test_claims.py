"""The docs' behaviour claims, read from the docs and checked against what the code does.

Each test parses the sentence a user reads (README.md, docs/, ``--help``, a tool's schema) and
compares it with the behaviour measured at the stand-in API, so changing one without the other fails.
"""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import anyio
import pytest
from mcp import Client

from genviral_mcp.check import EXIT_API, EXIT_OK, run_check
from genviral_mcp.config import Settings
from genviral_mcp.server import build_server
from genviral_mcp.survey import ATTENTION_WALKS, PUBLISHED_WALKS

from support.common import FAST_RETRY, KEY, NOW, SCRIPT, structured
from support.standin import API_PATH, StandInApi, respond
from support.timeline import ACTIVE_A, failed

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
HOSTS_DOC = (ROOT / "docs" / "hosts.md").read_text(encoding="utf-8")
TOOLS_DOC = (ROOT / "docs" / "tools.md").read_text(encoding="utf-8")

#: "at least 9 requests", wherever check's cost is stated.
AT_LEAST = re.compile(r"at least (\d+)\s+requests")
#: The README's list of what the summary walks and calls, in its check section.
WALKS_SENTENCE = re.compile(r"one page of `/posts` for each status it walks \(([^)]*)\)")
ENRICHMENTS_SENTENCE = re.compile(r"as enrichments, (.*?)\. Its `API OK`", re.S)
#: "max_items // 8 example posts per cause, at least 1 (1 at the default 10, 2 at 20, 12 at 100)".
PER_CAUSE = re.compile(r"max_items // (\d+) example posts per cause, at least (\d+) \(([^)]*)\)")


def section(text: str, heading: str) -> str:
    """The Markdown section under ``heading`` (up to the next heading of any level)."""
    start = text.index(heading)
    following = re.search(r"^#{1,6} ", text[start + len(heading) :], flags=re.M)
    return text[start : start + len(heading) + following.start()] if following else text[start:]


def help_text(*args: str) -> str:
    done = subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, encoding="utf-8", timeout=60, check=True
    )
    return " ".join(done.stdout.split())  # argparse wraps lines: the sentence, on one line


def settings(api: StandInApi, key: str = KEY) -> Settings:
    return Settings.from_env({"GENVIRAL_API_KEY": key, "GENVIRAL_BASE_URL": api.base_url})


@asynccontextmanager
async def client(api: StandInApi) -> AsyncIterator[Client]:
    async with Client(build_server(settings(api), clock=lambda: NOW, retry=FAST_RETRY)) as connected:
        yield connected


def check(api: StandInApi, key: str = KEY) -> tuple[int, str]:
    out = io.StringIO()
    code = run_check(settings(api, key), out=out, clock=lambda: NOW)
    return code, out.getvalue()


def relative(path: str) -> str:
    """``/api/partner/v1/posts`` (or ``{base}/posts``) -> ``/posts``."""
    return path.removeprefix(API_PATH).removeprefix("{base}")


# --- check: what it says it costs --------------------------------------------------------------


def stated_minimum() -> int:
    """The one minimum every place states for ``check``: the README, docs/hosts.md and ``--help``."""
    places = {
        "README.md": section(README, "## Troubleshooting: `genviral-mcp check`"),
        "docs/hosts.md": section(HOSTS_DOC, "## Checking a set-up: `genviral-mcp check`"),
        "genviral-mcp --help": help_text("--help"),
        "genviral-mcp check --help": help_text("check", "--help"),
    }
    stated = {place: [int(n) for n in AT_LEAST.findall(text)] for place, text in places.items()}
    assert all(stated.values()), f"each place states the minimum: {stated}"
    numbers = {n for found in stated.values() for n in found}
    assert len(numbers) == 1, f"one minimum everywhere: {stated}"
    return numbers.pop()


def test_check_takes_the_requests_the_docs_state(api: StandInApi) -> None:
    """A workspace with under 100 posts of each status and no other statuses: one request per walk
    and one per enrichment, exactly the stated minimum; the README names the walks and endpoints."""
    api.emulator.posts = [post for post in api.emulator.posts if post["status"] in {"failed", "posted"}][:60]
    code, text = check(api)
    assert code in (EXIT_OK, EXIT_API), text
    assert len(api.all_requests) == stated_minimum(), [entry.path for entry in api.all_requests]
    (walks,) = WALKS_SENTENCE.findall(README)
    assert re.findall(r"`(\w+)`", walks) == [*ATTENTION_WALKS, *PUBLISHED_WALKS]
    assert sorted(entry.query.get("status", "") for entry in api.requests) == sorted(
        [*ATTENTION_WALKS, *PUBLISHED_WALKS]
    )
    (enrichments,) = ENRICHMENTS_SENTENCE.findall(README)
    others = {relative(entry.path) for entry in api.all_requests} - {"/posts"}
    assert set(re.findall(r"`(/[\w/]+)`", enrichments)) == others
    assert f"answered {len(api.requests)} requests" in text, "API OK counts the /posts requests"


def test_a_refused_key_costs_the_same_minimum(api: StandInApi) -> None:
    """A 401 stops each walk at its first page; the enrichments ask once each: the minimum again."""
    code, text = check(api, "gva_live_nope.refused")
    assert code == EXIT_API and "HTTP 401" in text
    assert len(api.all_requests) == stated_minimum()


def test_a_status_past_one_page_takes_more_than_the_minimum(api: StandInApi) -> None:
    """The stand-in's 300 posts: more pages, and a walk over every status (deleted, void): "at least"."""
    check(api)
    assert len(api.all_requests) > stated_minimum()
    assert any("status" not in entry.query for entry in api.requests), "the walk over every status"


# --- the endpoints the README names ------------------------------------------------------------


def readme_endpoints() -> set[str]:
    """Every ``GET /…`` the README's opening names, and every ``{base}/…`` its configuration table names."""
    opening = README[: README.index("\n## ")]
    named = {relative(path) for path in re.findall(r"`GET (/[\w/]+)`", opening)}
    [base_row] = [line for line in README.splitlines() if line.startswith("| `GENVIRAL_BASE_URL`")]
    in_table = {relative(path) for path in re.findall(r"`(\{base\}/[\w/]+)`", base_row)}
    assert named == in_table, "the opening and the configuration table name the same endpoints"
    return named


@pytest.mark.anyio
async def test_the_readme_names_every_endpoint_called(api: StandInApi) -> None:
    async with client(api) as connected:
        assert not (await connected.call_tool("list_posts", {"detail": "full"})).is_error
        assert not (await connected.call_tool("get_delivery_summary", {})).is_error
    code, _ = await anyio.to_thread.run_sync(check, api)
    assert code == EXIT_OK
    assert {relative(entry.path) for entry in api.all_requests} == readme_endpoints()


@pytest.mark.anyio
async def test_enrichments_never_fail_a_call(api: StandInApi) -> None:
    """The README: everything beside /posts is an enrichment that never fails a call."""
    broken = respond(500, '{"ok": false, "code": 500, "message": "down"}')
    api.script_accounts(*[broken] * 20)
    api.script_analytics(*[broken] * 20)
    api.script_targets(*[broken] * 20)
    assert re.search(r"as enrichments that never fail a call", README[: README.index("\n## ")])
    async with client(api) as connected:
        for tool, arguments in (("list_posts", {"detail": "full"}), ("get_delivery_summary", {})):
            result = await connected.call_tool(tool, arguments)
            assert not result.is_error, (tool, result)
    code, _ = await anyio.to_thread.run_sync(check, api)
    assert code == EXIT_OK
    assert api.account_requests and api.analytics_requests and api.target_requests, "each was asked"


# --- posts per cause ---------------------------------------------------------------------------


def stated_rule(text: str) -> tuple[int, int, dict[int, int]]:
    """``(divisor, at least, {max_items: posts})`` from the rule's sentence."""
    (found,) = PER_CAUSE.findall(text)
    divisor, least, examples = found
    pairs = {int(m): int(n) for n, m in re.findall(r"(\d+) at (?:the default )?(\d+)", examples)}
    return int(divisor), int(least), pairs


@pytest.mark.anyio
async def test_posts_per_cause_is_what_the_schema_and_docs_say(api: StandInApi) -> None:
    """Twenty failures with one error give a cause with more posts than any cap: each summary lists
    exactly the stated number and counts the rest."""
    attempted = NOW - timedelta(hours=3)
    api.emulator.posts = [
        failed(f"post-{n:02d}", ACTIVE_A, attempted - timedelta(minutes=n), "Board not found: 42")
        for n in range(20)
    ]
    async with client(api) as connected:
        tools = {tool.name: tool for tool in (await connected.list_tools()).tools}
        summary_tool = tools["get_delivery_summary"]
        description = summary_tool.input_schema["properties"]["max_items"]["description"]
        rule = stated_rule(description)
        assert stated_rule(TOOLS_DOC) == rule, "docs/tools.md states the schema's rule"
        output_schema = summary_tool.output_schema
        assert output_schema is not None
        cause_schema = output_schema["properties"]["needs_attention"]["properties"]["causes"]
        assert stated_rule(cause_schema["items"]["properties"]["posts_left_out"]["description"]) == rule
        divisor, least, examples = rule
        assert examples, "the rule gives examples"
        for max_items in sorted({*examples, 1, 8, 16, 50}):
            expected = max(least, max_items // divisor)
            assert examples.get(max_items, expected) == expected, f"the example for {max_items}"
            result = await connected.call_tool("get_delivery_summary", {"max_items": max_items})
            [cause] = structured(result)["needs_attention"]["causes"]
            assert len(cause["posts"]) == expected, max_items
            assert cause["posts_left_out"] == 20 - expected, max_items


# --- numbers, defaults, variables and flags ----------------------------------------------------


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} minutes"


def stated_numbers() -> list[tuple[str, str, str]]:
    """``(doc, phrase built from the code's constant, what it is)``: each phrase must be in its doc."""
    from genviral_mcp import accounts, admission, analytics, client, enrichment, query, retry, server, shaping
    from genviral_mcp.analysis import OVERDUE_AFTER
    from genviral_mcp.demo import DEMO_POST_COUNT
    from genviral_mcp.demo.sample_data import ACCOUNTS, DISCONNECTED_ACCOUNT_IDS

    words = dict(enumerate(("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")))
    platforms = {platform for _, platform, _ in ACCOUNTS}
    limits = query.WalkLimits()
    walks = len(ATTENTION_WALKS) + len(PUBLISHED_WALKS) + 1  # and the walk over every status
    overdue = f"{OVERDUE_AFTER.total_seconds() / 60:g} minutes late"
    return [
        (
            "README.md",
            f"sample workspace of {DEMO_POST_COUNT} posts in every status, on {words[len(ACCOUNTS)]} "
            f"accounts and {words[len(platforms)]} platforms ({words[len(DISCONNECTED_ACCOUNT_IDS)]} of "
            "them disconnected",
            "the demo workspace",
        ),
        ("README.md", f"tool call ends within {server.TOOL_DEADLINE_SECONDS:g} s", "the call deadline"),
        ("docs/reliability.md", f"answers within {server.TOOL_DEADLINE_SECONDS:g} s", "the call deadline"),
        ("README.md", f"scheduled ones over {overdue}", "when a delivery is overdue"),
        ("README.md", f"up to {query.MAX_HOURS_AHEAD // 24} days", "hours_ahead's bound"),
        ("README.md", f"in the next {query.DEFAULT_HOURS_AHEAD} hours", "hours_ahead's default"),
        (
            "docs/tools.md",
            f"({limits.max_pages} pages of {client_page()}, "
            f"or {limits.max_pages_counted} with `changed_since`",
            "a walk",
        ),
        (
            "docs/tools.md",
            f"{limits.max_read_bytes // 2**20} MB read; {limits.budget_seconds:g} s;",
            "a walk",
        ),
        (
            "docs/automation.md",
            f"back {limits.max_pages_counted} pages of {client_page()}: about "
            f"{limits.max_pages_counted * (client_page() - 1):,} posts",
            "a walk with changed_since",
        ),
        (
            "docs/tools.md",
            f"{limits.max_kept_posts:,} posts, {limits.max_kept_deliveries:,} deliveries",
            "memory",
        ),
        (
            "docs/tools.md",
            f"{limits.max_kept_bytes // 2**20} MB of posts in all, in {walks} equal shares",
            "memory",
        ),
        (
            "docs/tools.md",
            f"at most {admission.HOSTED.per_key} summaries at once per key ({admission.HOSTED.total} in all)",
            "admission",
        ),
        ("docs/tools.md", f"at most {analytics.MAX_PAGES} pages of 100 rows", "analytics pages"),
        (
            "docs/tools.md",
            f"(rows {_minutes(analytics.ROWS_CACHE_SECONDS)} per date range, targets "
            f"{_minutes(analytics.TARGETS_CACHE_SECONDS)})",
            "analytics caches",
        ),
        (
            "docs/tools.md",
            f"asked for again after {_minutes(accounts.CACHE_SECONDS)}",
            "the account list's cache",
        ),
        ("docs/tools.md", f"at most {enrichment.ENRICHMENT_WAIT_SECONDS:g} s once", "the enrichments' wait"),
        ("docs/tools.md", f"No result is over {shaping.MAX_RESULT_BYTES // 1024} KB", "the result bound"),
        ("docs/tools.md", f"at most {shaping.DELIVERIES_PER_POST} deliveries", "deliveries per post"),
        ("docs/reliability.md", f"over {client.MAX_BODY_BYTES // 2**20} MB are refused", "the body bound"),
        ("docs/reliability.md", f"at most {client.MAX_CONNECTIONS} connections", "the pool"),
        ("docs/reliability.md", f"up to {retry.RetryPolicy().max_attempts} attempts", "retries"),
        (
            "docs/reliability.md",
            f"of up to {retry.RetryPolicy().max_retry_after:g} s is waited out",
            "Retry-After",
        ),
        (
            "docs/reliability.md",
            f"500 `list_failed` is retried {'once' if retry.LIST_FAILED_ATTEMPTS == 2 else 'more'}",
            "list_failed",
        ),
    ]


def client_page() -> int:
    """A walk's page: the API's largest ``limit``."""
    from genviral_mcp.query import MAX_LIMIT

    return MAX_LIMIT


def test_each_stated_number_is_the_codes() -> None:
    missing = [
        (doc, phrase, what)
        for doc, phrase, what in stated_numbers()
        if phrase not in " ".join((ROOT / doc).read_text(encoding="utf-8").split())
    ]
    assert not missing, f"the docs no longer state these as the code has them: {missing}"


def test_the_configuration_table_is_what_the_code_reads() -> None:
    """Every variable in the README's table is honoured, with the default the table gives; the flags it
    names override them; ``--help`` names the same variables."""
    rows = {
        name: (meaning, default)
        for name, meaning, default in re.findall(
            r"^\| `(GENVIRAL_\w+)` \| (.*) \| (.*) \|$", README, flags=re.M
        )
    }
    assert set(rows) == {
        "GENVIRAL_API_KEY",
        "GENVIRAL_API_KEY_FILE",
        "GENVIRAL_BASE_URL",
        "GENVIRAL_TIMEOUT",
        "GENVIRAL_LOG_LEVEL",
        "GENVIRAL_DEMO",
    }
    help_text_ = help_text("--help")
    assert all(name in help_text_ for name in rows), "--help names every variable"
    defaults = Settings.from_env({})
    assert rows["GENVIRAL_BASE_URL"][1] == f"`{defaults.base_url}`"
    assert rows["GENVIRAL_TIMEOUT"][1] == f"`{defaults.timeout:g}`"
    (cap,) = re.findall(r"capped at (\d+)", rows["GENVIRAL_TIMEOUT"][0])
    assert Settings.from_env({"GENVIRAL_TIMEOUT": "1000"}).timeout == float(cap)
    assert f"default {defaults.timeout:g}, at most {cap}" in help_text_
    assert Settings.from_env({"GENVIRAL_TIMEOUT": "7"}).timeout == 7
    assert (
        Settings.from_env({"GENVIRAL_BASE_URL": "http://127.0.0.1:9/v1"}).base_url == "http://127.0.0.1:9/v1"
    )
    assert Settings.from_env({"GENVIRAL_API_KEY": KEY}).require_ready().reveal() == KEY
    from genviral_mcp.cli import parse_args
    from genviral_mcp.demo import demo_requested

    assert rows["GENVIRAL_LOG_LEVEL"][1] == "`WARNING`" and parse_args([]).log_level == "WARNING"
    assert rows["GENVIRAL_DEMO"][1] == "off" and not demo_requested(False, {})
    assert all(demo_requested(False, {"GENVIRAL_DEMO": value}) for value in ("1", "true"))
    (flags,) = re.findall(r"^((?:`--[\w-]+`(?:, | and )?)+) override the variables", README, flags=re.M)
    parsed = parse_args(
        ["--base-url", "http://127.0.0.1:9/v1", "--timeout", "3", "--log-level", "debug", "--demo"]
    )
    assert re.findall(r"`(--[\w-]+)`", flags) == ["--base-url", "--timeout", "--log-level", "--demo"]
    from genviral_mcp.http_app import DEFAULT_HOST, DEFAULT_PORT

    served = parse_args(["--transport", "http"])
    assert (served.host, served.port) == (DEFAULT_HOST, DEFAULT_PORT)
    assert "serves stateless streamable HTTP at `/mcp`" in README
    assert f"over streamable HTTP at http://{DEFAULT_HOST}:{DEFAULT_PORT}/mcp" in help_text_
    assert f"(default {DEFAULT_HOST})" in help_text_ and f"(default {DEFAULT_PORT})" in help_text_
    assert (parsed.base_url, parsed.timeout, parsed.log_level, parsed.demo) == (
        "http://127.0.0.1:9/v1",
        "3",
        "DEBUG",
        True,
    )
