"""Settings: the key stays hidden, the base URL must be https unless it is loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from genviral_mcp.config import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    MAX_TIMEOUT,
    ApiKey,
    KeyOrigin,
    Settings,
    base_url_problem,
)
from genviral_mcp.errors import ConfigurationError

from support.common import KEY

SECRET = "gva_live_abc.very-secret-value"


def test_key_is_masked_in_repr_and_str() -> None:
    settings = Settings.from_env({"GENVIRAL_API_KEY": SECRET})
    for rendering in (
        repr(settings),
        str(settings),
        repr(settings.api_key),
        str(settings.api_key),
        f"{settings}",
    ):
        assert "very-secret" not in rendering
        assert "gva_live" not in rendering
    assert settings.require_ready().reveal() == SECRET


def test_defaults() -> None:
    settings = Settings.from_env({"GENVIRAL_API_KEY": "k"})
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.posts_url == f"{DEFAULT_BASE_URL}/posts"
    assert settings.timeout == DEFAULT_TIMEOUT


def test_flags_override_environment() -> None:
    env = {"GENVIRAL_API_KEY": "k", "GENVIRAL_BASE_URL": "https://a.example/v1", "GENVIRAL_TIMEOUT": "3"}
    settings = Settings.from_env(env, base_url="https://b.example/v1/", timeout="4")
    assert settings.posts_url == "https://b.example/v1/posts"
    assert settings.timeout == 4.0


def test_missing_key_says_where_to_put_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env({"GENVIRAL_API_KEY": "   "}).require_ready()
    assert "GENVIRAL_API_KEY" in caught.value.message
    assert "env" in caught.value.message


@pytest.mark.parametrize(
    "url",
    [
        "https://www.genviral.io/api/partner/v1",
        "http://127.0.0.1:8080/api",
        "http://127.8.9.10/api",
        "http://localhost:9000",
        "http://[::1]:9000/api",
    ],
)
def test_safe_base_urls(url: str) -> None:
    assert base_url_problem(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://www.genviral.io/api/partner/v1",
        "http://10.0.0.5/api",
        "ftp://example.com",
        "www.genviral.io",
        "",
    ],
)
def test_unsafe_base_urls_are_refused(url: str) -> None:
    settings = Settings.from_env({"GENVIRAL_API_KEY": "k", "GENVIRAL_BASE_URL": url or "nonsense"})
    with pytest.raises(ConfigurationError) as caught:
        settings.require_ready()
    assert "GENVIRAL_BASE_URL" in caught.value.message


def test_plain_http_refusal_explains_why() -> None:
    problem = base_url_problem("http://api.example.com/v1")
    assert problem is not None and "clear text" in problem and "https" in problem


@pytest.mark.parametrize("raw", ["abc", "-1", "0", "nan", "inf"])
def test_bad_timeout_is_reported(raw: str) -> None:
    settings = Settings.from_env({"GENVIRAL_API_KEY": "k", "GENVIRAL_TIMEOUT": raw})
    with pytest.raises(ConfigurationError, match="GENVIRAL_TIMEOUT"):
        settings.require_ready()


def test_timeout_is_capped() -> None:
    assert Settings.from_env({"GENVIRAL_TIMEOUT": "600"}).timeout == MAX_TIMEOUT


def test_api_key_wrapper_never_prints() -> None:
    key = ApiKey("abc")
    assert "abc" not in repr(key) and "abc" not in str(key) and "abc" not in f"{key!s}{key!r}"


def test_user_info_in_the_base_url_is_refused_without_echoing_it() -> None:
    """httpx would send user:password as Basic auth instead of the Bearer key (issue 11, item 11)."""
    settings = Settings.from_env(
        {"GENVIRAL_API_KEY": "k", "GENVIRAL_BASE_URL": "https://user:hunter2@www.genviral.io/api/partner/v1"}
    )
    assert settings.problem is not None
    assert "user name or password" in settings.problem and "www.genviral.io" in settings.problem
    assert "hunter2" not in settings.problem and "user:" not in settings.problem.replace("user:password", "")


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("${GENVIRAL_API_KEY}", "GENVIRAL_API_KEY"),
        ("${GENVIRAL_API_KEY:-}", "GENVIRAL_API_KEY"),
        ("$GENVIRAL_API_KEY", "GENVIRAL_API_KEY"),
        ('"${MY_GENVIRAL_KEY}"\n', "MY_GENVIRAL_KEY"),
    ],
)
def test_a_variable_reference_the_host_did_not_fill_in_is_named(raw: str, name: str) -> None:
    """Claude Code and OpenClaw pass an unset ``${VAR}`` on as text: say so, not "HTTP 401" later."""
    settings = Settings.from_env({"GENVIRAL_API_KEY": raw})
    with pytest.raises(ConfigurationError) as caught:
        settings.require_ready()
    assert f"GENVIRAL_API_KEY is the text ${{{name}}}, not a key" in caught.value.message
    assert f"{name} is not set where the host runs" in caught.value.message
    assert not settings.key_form_unexpected, "one message, not also 'does not look like a key'"


def test_a_key_with_a_dollar_inside_is_a_key() -> None:
    settings = Settings.from_env({"GENVIRAL_API_KEY": "gva_live_ab$c.def${x}"})
    assert settings.problem is None and settings.require_ready().reveal() == "gva_live_ab$c.def${x}"


def key_file(tmp_path: Path, content: bytes) -> str:
    path = tmp_path / "genviral-key"
    path.write_bytes(content)
    return str(path)


@pytest.mark.parametrize(
    "content", [KEY.encode() + b"\n", b"\xef\xbb\xbf" + KEY.encode() + b"\r\n", KEY.encode()]
)
def test_the_key_is_read_from_the_file_genviral_api_key_file_names(tmp_path: Path, content: bytes) -> None:
    """A host config then holds a path, never the key; the file's own line break says nothing."""
    settings = Settings.from_env({"GENVIRAL_API_KEY_FILE": key_file(tmp_path, content)})
    key = settings.require_ready()
    assert key.reveal() == KEY and key.origin is KeyOrigin.FILE
    assert settings.key_notes() == [] and settings.startup_notes() == []
    assert settings.with_key_origin(KeyOrigin.HOST).require_ready().origin is KeyOrigin.FILE, (
        "advice on a refused key names the file, wherever the variable was set"
    )


def test_a_key_file_pasted_wrong_is_cleaned_and_noted_without_the_key(tmp_path: Path) -> None:
    settings = Settings.from_env({"GENVIRAL_API_KEY_FILE": key_file(tmp_path, f'"Bearer {KEY}"\n'.encode())})
    assert settings.require_ready().reveal() == KEY
    [note] = settings.key_notes()
    assert note.startswith('The key in GENVIRAL_API_KEY_FILE had surrounding quotes and a "Bearer " prefix')
    assert KEY not in note


@pytest.mark.parametrize(
    ("make_path", "expected"),
    [
        (lambda tmp: str(tmp / "missing"), "which cannot be read (No such file or directory)"),
        (lambda tmp: "genviral-key", "which is not an absolute path"),
        (lambda tmp: key_file(tmp, b" \n"), "which is empty"),
        (lambda tmp: key_file(tmp, b"\xff\xfe" + KEY.encode()), "which is not text"),
        (lambda tmp: key_file(tmp, KEY.encode() * 100), "which is over 4096 bytes"),
        (lambda tmp: str(tmp), "which cannot be read (Is a directory)"),
        (
            lambda tmp: "${GENVIRAL_KEY_PATH}",
            "GENVIRAL_API_KEY_FILE is the text ${GENVIRAL_KEY_PATH}, not a path",
        ),
    ],
)
def test_a_key_file_that_cannot_serve_is_a_configuration_problem_naming_it(
    tmp_path: Path, make_path: Any, expected: str
) -> None:
    settings = Settings.from_env({"GENVIRAL_API_KEY_FILE": make_path(tmp_path)})
    with pytest.raises(ConfigurationError) as caught:
        settings.require_ready()
    assert "GENVIRAL_API_KEY_FILE" in caught.value.message and expected in caught.value.message
    assert KEY not in caught.value.message and "c4n4ry" not in caught.value.message


@pytest.mark.parametrize("pasted", [KEY, f"Bearer {KEY}", f'"{KEY}"'])
def test_a_key_pasted_where_the_key_file_goes_is_never_echoed(pasted: str) -> None:
    settings = Settings.from_env({"GENVIRAL_API_KEY_FILE": pasted})
    with pytest.raises(ConfigurationError, match="looks like a key, not the path of a file") as caught:
        settings.require_ready()
    assert KEY not in caught.value.message and "SECRET" not in caught.value.message
    assert settings.startup_notes() and not any("SECRET" in note for note in settings.startup_notes())


def test_a_key_and_a_key_file_together_are_a_problem(tmp_path: Path) -> None:
    """Which of two keys is meant cannot be guessed: a refusal would then point at the wrong one."""
    settings = Settings.from_env({"GENVIRAL_API_KEY": KEY, "GENVIRAL_API_KEY_FILE": key_file(tmp_path, b"x")})
    with pytest.raises(ConfigurationError, match="GENVIRAL_API_KEY and GENVIRAL_API_KEY_FILE are both set"):
        settings.require_ready()


def test_a_blank_key_file_variable_is_not_set() -> None:
    assert (
        Settings.from_env({"GENVIRAL_API_KEY": KEY, "GENVIRAL_API_KEY_FILE": " "}).require_ready().reveal()
        == KEY
    )
