"""Hosting configuration without a server: key sources, startup refusals, Host/Origin allow-lists."""

from __future__ import annotations

import pytest

from genviral_mcp.auth import bearer_token, caller_key, held_key
from genviral_mcp.config import Settings
from genviral_mcp.errors import ConfigurationError
from genviral_mcp.http_app import HttpOptions, StartupRefused, check_startup, transport_security

from support.common import KEY

HELD = Settings.from_env({"GENVIRAL_API_KEY": KEY})
PASS_THROUGH = Settings.from_env({})


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer   abc  ", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("abc", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


def test_caller_key_is_the_requests_bearer_and_held_key_ignores_it() -> None:
    assert caller_key(PASS_THROUGH, {"authorization": "Bearer gva_live_x.y"}).reveal() == "gva_live_x.y"
    assert held_key(HELD, {"authorization": "Bearer someone-else"}).reveal() == KEY


@pytest.mark.parametrize("headers", [None, {}, {"authorization": "Basic abc"}])
def test_caller_key_missing_says_how_to_send_it(headers: dict[str, str] | None) -> None:
    with pytest.raises(ConfigurationError, match="Authorization: Bearer") as caught:
        caller_key(PASS_THROUGH, headers)
    assert "headers" in caught.value.message and "mcp-remote" in caught.value.message


def test_caller_key_refuses_an_unsafe_base_url_before_reading_the_key() -> None:
    unsafe = Settings.from_env({"GENVIRAL_BASE_URL": "http://api.example.com"})
    with pytest.raises(ConfigurationError, match="clear text"):
        caller_key(unsafe, {"authorization": "Bearer gva_live_x.y"})


def test_options_from_env_merge_flags_and_variable() -> None:
    options = HttpOptions.from_env(
        {"GENVIRAL_MCP_TOKEN": "  t0ken  ", "GENVIRAL_MCP_ALLOWED_HOSTS": "A.example, b.example:8443,,"},
        host="0.0.0.0",
        port=9000,
        allowed_hosts=["c.example", "a.example"],
    )
    assert options == HttpOptions("0.0.0.0", 9000, "t0ken", ("c.example", "a.example", "b.example:8443"))
    assert HttpOptions.from_env({"GENVIRAL_MCP_TOKEN": " "}).token is None


@pytest.mark.parametrize(
    ("settings", "options", "refusal"),
    [
        (HELD, HttpOptions("0.0.0.0"), "refusing to serve on 0.0.0.0:8000"),
        (HELD, HttpOptions("192.168.1.5", 8080), "refusing to serve on 192.168.1.5:8080"),
        (HELD, HttpOptions("::"), "refusing to serve on :::8000"),
        (PASS_THROUGH, HttpOptions(token="secret-token"), "GENVIRAL_MCP_TOKEN is set but GENVIRAL_API_KEY"),
        (HELD, HttpOptions(token="has space"), "printable ASCII"),
        (HELD, HttpOptions(token="tab\there"), "printable ASCII"),
        (HELD, HttpOptions(token="jeton-é"), "printable ASCII"),
        (HELD, HttpOptions("0.0.0.0", token="x" * 31), "31 characters, too short"),
        (HELD, HttpOptions("10.0.0.7", token="tok"), "token_urlsafe"),
    ],
)
def test_startup_refusals(settings: Settings, options: HttpOptions, refusal: str) -> None:
    with pytest.raises(StartupRefused, match=refusal.replace("(", r"\(")):
        check_startup(settings, options)


@pytest.mark.parametrize("token", [None, "t" * 40])
def test_a_held_key_file_that_cannot_be_read_refuses_to_start(token: str | None) -> None:
    """Not pass-through instead: callers would then send their token as a Genviral key."""
    settings = Settings.from_env({"GENVIRAL_API_KEY_FILE": "/nonexistent/genviral-key"})
    with pytest.raises(StartupRefused, match="GENVIRAL_API_KEY_FILE names '/nonexistent/genviral-key'"):
        check_startup(settings, HttpOptions(token=token))


def test_startup_allowed_and_warned() -> None:
    assert check_startup(PASS_THROUGH, HttpOptions()) == []
    long_token = "t" * 32
    assert check_startup(HELD, HttpOptions("0.0.0.0", token=long_token, allowed_hosts=("mcp.example",))) == []
    assert check_startup(HELD, HttpOptions("127.0.0.1", token="short")) == [], "loopback: any token"
    (loopback_held,) = check_startup(HELD, HttpOptions("127.0.0.1"))
    assert "without GENVIRAL_MCP_TOKEN" in loopback_held
    (wildcard,) = check_startup(PASS_THROUGH, HttpOptions("0.0.0.0"))
    assert "--allowed-host" in wildcard
    (unchecked,) = check_startup(PASS_THROUGH, HttpOptions("0.0.0.0", allowed_hosts=("*",)))
    assert "DNS-rebinding" in unchecked


def test_loopback_bind_accepts_loopback_names_on_its_port_only() -> None:
    security = transport_security(HttpOptions("127.0.0.1", 8000))
    assert security.enable_dns_rebinding_protection
    assert security.allowed_hosts == ["127.0.0.1:8000", "localhost:8000", "[::1]:8000"]
    assert "http://localhost:8000" in security.allowed_origins
    assert "https://127.0.0.1:8000" in security.allowed_origins
    assert not any(h.endswith(":*") for h in security.allowed_hosts)


def test_allowed_hosts_add_names_with_or_without_a_port() -> None:
    security = transport_security(
        HttpOptions("0.0.0.0", 8000, allowed_hosts=("mcp.example.com", "lb.internal:8443"))
    )
    assert security.allowed_hosts == [
        "127.0.0.1:8000",
        "localhost:8000",
        "[::1]:8000",
        "mcp.example.com",
        "mcp.example.com:*",
        "lb.internal:8443",
    ]
    assert "https://mcp.example.com" in security.allowed_origins


def test_specific_addresses_accept_themselves() -> None:
    assert transport_security(HttpOptions("10.0.0.7", 80)).allowed_hosts == ["10.0.0.7:80"]
    assert transport_security(HttpOptions("::1", 80)).allowed_hosts == [
        "127.0.0.1:80",
        "localhost:80",
        "[::1]:80",
    ]


def test_star_turns_the_check_off() -> None:
    assert not transport_security(HttpOptions(allowed_hosts=("*",))).enable_dns_rebinding_protection


@pytest.mark.parametrize(
    "entry", ["https://mcp.example.com", "mcp.example.com/mcp", "host:port", "user@host", ":80"]
)
def test_malformed_allowed_hosts_are_refused(entry: str) -> None:
    with pytest.raises(StartupRefused, match="--allowed-host takes a host name"):
        transport_security(HttpOptions(allowed_hosts=(entry,)))
