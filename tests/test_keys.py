"""Keys pasted wrong (issue 18): a ``Bearer `` prefix, quotes, whitespace and line breaks are taken off,
and ``check`` and the start-up log say so in one line without showing the key; a key that does not
look like one is warned about; a missing key is named; a refused key's advice names where it came from."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest
from mcp import Client

from genviral_mcp.check import EXIT_API, EXIT_OK, run_check
from genviral_mcp.config import KEY_FORMS, KeyOrigin, Settings, normalise_key
from genviral_mcp.demo import demo_settings
from genviral_mcp.server import build_server

from support.common import FAST_RETRY, KEY, NOW, SCRIPT, error_text, leaks
from support.hosting import connect_http, serving
from support.standin import StandInApi

WRONG = "gva_live_nobody.SECRET-canary-wrong"


@pytest.mark.parametrize(
    ("raw", "removed"),
    [
        (KEY, []),
        (f"Bearer {KEY}", ['a "Bearer " prefix']),
        (f"bearer   {KEY}", ['a "Bearer " prefix']),
        (f"Authorization: Bearer {KEY}", ['a "Bearer " prefix']),
        (f'"{KEY}"', ["surrounding quotes"]),
        (f"'{KEY}'", ["surrounding quotes"]),
        (f"\u201c{KEY}\u201d", ["surrounding quotes"]),
        (f"{KEY}\n", ["whitespace or a line break around it"]),
        (f"  {KEY}\r\n", ["whitespace or a line break around it"]),
        (f"\ufeff{KEY}", ["whitespace or a line break around it"]),
        (
            f'"Bearer {KEY}"\n',
            ["whitespace or a line break around it", "surrounding quotes", 'a "Bearer " prefix'],
        ),
        (f'Bearer "{KEY}"', ['a "Bearer " prefix', "surrounding quotes"]),
        (f"Bearer Bearer {KEY}", ['a "Bearer " prefix']),
        (KEY[:20] + "\n" + KEY[20:], ["spaces or line breaks inside it"]),
    ],
)
def test_what_cannot_be_part_of_a_key_is_taken_off(raw: str, removed: list[str]) -> None:
    assert normalise_key(raw) == (KEY, removed)


def test_the_settings_send_the_clean_key_and_say_what_was_removed_in_one_line() -> None:
    settings = Settings.from_env({"GENVIRAL_API_KEY": f' "Bearer {KEY}"\n'})
    assert settings.require_ready().reveal() == KEY
    [note] = settings.key_notes()
    assert note.startswith("GENVIRAL_API_KEY had ") and "removed" in note and "\n" not in note
    assert 'a "Bearer " prefix' in note and "surrounding quotes" in note
    assert not leaks(note)
    assert Settings.from_env({"GENVIRAL_API_KEY": KEY}).key_notes() == []
    assert Settings.from_env({"GENVIRAL_API_KEY": "  "}).key_notes() == [], "blank is simply missing"


@pytest.mark.parametrize("key", ["sk_live_51Habc.secret", "c4n4ry-SECRET-canary", "gva_demo_x"])
def test_a_key_of_another_form_gets_a_warning_naming_the_expected_one(key: str) -> None:
    [warning] = Settings.from_env({"GENVIRAL_API_KEY": key}).key_notes()
    assert all(form in warning for form in KEY_FORMS) and key not in warning
    assert Settings.from_env({"GENVIRAL_API_KEY": "gva_test_abc.def"}).key_notes() == []


def test_the_demo_key_is_exempt() -> None:
    assert demo_settings().key_notes() == []


def check(env: dict[str, str]) -> tuple[int, str]:
    out = io.StringIO()
    code = run_check(Settings.from_env(env), out=out, clock=lambda: NOW)
    return code, out.getvalue()


def test_check_sends_the_clean_key_and_says_so(api: StandInApi) -> None:
    code, text = check({"GENVIRAL_API_KEY": f"Bearer {KEY}\n", "GENVIRAL_BASE_URL": api.base_url})
    assert code == EXIT_OK, text
    assert {entry.headers["authorization"] for entry in api.all_requests} == {f"Bearer {KEY}"}
    notes = [line for line in text.splitlines() if "GENVIRAL_API_KEY had" in line]
    assert len(notes) == 1 and 'a "Bearer " prefix' in notes[0] and "line break" in notes[0]
    assert not leaks(text)


def test_check_warns_about_a_key_of_another_form(api: StandInApi) -> None:
    code, text = check({"GENVIRAL_API_KEY": "sk_live_other.SECRET", "GENVIRAL_BASE_URL": api.base_url})
    assert code == EXIT_API
    assert "does not look like a Genviral Partner API key" in text and "gva_live_..." in text
    assert "SECRET" not in text


# --- where the key came from, in the advice on a refused key -------------------------------------


async def refused(api: StandInApi, origin: KeyOrigin | None) -> str:
    settings = Settings.from_env({"GENVIRAL_API_KEY": WRONG, "GENVIRAL_BASE_URL": api.base_url})
    if origin is not None:
        settings = settings.with_key_origin(origin)
    async with Client(build_server(settings, clock=lambda: NOW, retry=FAST_RETRY)) as client:
        return error_text(await client.call_tool("list_posts", {}))


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("origin", "named", "not_named"),
    [
        (KeyOrigin.HOST, "`env` block of this server's entry in your MCP host config", "export"),
        (KeyOrigin.SHELL, "export GENVIRAL_API_KEY=", "`env` block"),
        (KeyOrigin.SERVER, "environment of this hosted genviral-mcp server", "`env` block"),
        (None, "Check the Genviral API key this server uses", "`env` block"),
    ],
)
async def test_the_advice_on_a_refused_key_names_where_it_came_from(
    api: StandInApi, origin: KeyOrigin | None, named: str, not_named: str
) -> None:
    text = await refused(api, origin)
    assert "HTTP 401" in text and named in text and not_named not in text
    assert "SECRET-canary-wrong" not in text


@pytest.mark.anyio
async def test_the_advice_on_a_refused_key_from_a_key_file_names_the_file(
    api: StandInApi, tmp_path: Path
) -> None:
    """The host config then holds only a path: the advice points at the file, not at the `env` block."""
    key_file = tmp_path / "genviral-key"
    key_file.write_text(WRONG + "\n", encoding="utf-8")
    settings = Settings.from_env({"GENVIRAL_API_KEY_FILE": str(key_file), "GENVIRAL_BASE_URL": api.base_url})
    settings = settings.with_key_origin(KeyOrigin.HOST)
    async with Client(build_server(settings, clock=lambda: NOW, retry=FAST_RETRY)) as client:
        text = error_text(await client.call_tool("list_posts", {}))
    assert "HTTP 401" in text and "the file GENVIRAL_API_KEY_FILE names" in text and "`env` block" not in text
    assert "SECRET-canary-wrong" not in text


def _run(*args: str, env: dict[str, str], stdin: int | None = None) -> subprocess.CompletedProcess[str]:
    base = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    return subprocess.run(
        [str(SCRIPT), *args],
        env={**base, **env},
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_check_command_names_the_shell_for_a_refused_key(api: StandInApi) -> None:
    done = _run("check", env={"GENVIRAL_API_KEY": WRONG, "GENVIRAL_BASE_URL": api.base_url})
    assert done.returncode == 1
    assert "Check GENVIRAL_API_KEY in the environment genviral-mcp ran in" in done.stdout
    assert "`env` block" not in done.stdout


@pytest.mark.anyio
async def test_a_hosted_callers_refused_key_is_named_as_its_authorization_header(api: StandInApi) -> None:
    with serving({"GENVIRAL_BASE_URL": api.base_url}) as served:
        async with connect_http(served.url, "legacy", bearer=f'"{WRONG}"') as client:  # quoted, too
            text = error_text(await client.call_tool("list_posts", {}))
    assert "HTTP 401" in text and "sent as `Authorization: Bearer`" in text
    assert {entry.headers["authorization"] for entry in api.requests} == {f"Bearer {WRONG}"}


# --- the start-up log --------------------------------------------------------------------------------


def _started(env: dict[str, str]) -> str:
    """The stdio server's stderr from start to a clean end (stdin closed at once)."""
    done = _run(env=env, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    return done.stderr


def test_the_start_up_log_says_what_was_taken_off_the_key_in_one_line(api: StandInApi) -> None:
    stderr = _started({"GENVIRAL_API_KEY": f"'Bearer {KEY}'\n", "GENVIRAL_BASE_URL": api.base_url})
    [line] = [line for line in stderr.splitlines() if "GENVIRAL_API_KEY had" in line]
    assert "surrounding quotes" in line and 'a "Bearer " prefix' in line
    assert not leaks(stderr)


def test_the_start_up_log_names_a_missing_key() -> None:
    stderr = _started({})
    assert "GENVIRAL_API_KEY is not set" in stderr, stderr


def test_the_start_up_log_warns_about_a_key_of_another_form() -> None:
    stderr = _started({"GENVIRAL_API_KEY": "sk_live_other.SECRET"})
    assert "does not look like a Genviral Partner API key" in stderr and "SECRET" not in stderr
