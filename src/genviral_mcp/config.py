"""Settings from the environment (CLI flags may override), with the key kept out of sight.

A missing key or an unsafe base URL does not stop the server from starting: the host should
still list the tools. Each tool call checks :meth:`Settings.require_ready` and reports the
problem as an ``isError`` result instead.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from genviral_mcp.errors import ConfigurationError

DEFAULT_BASE_URL = "https://www.genviral.io/api/partner/v1"
#: One HTTP attempt. Small enough that a retry still fits inside a host's ~60 s tool limit.
DEFAULT_TIMEOUT = 10.0
#: The most a single attempt may be given, however GENVIRAL_TIMEOUT is set.
MAX_TIMEOUT = 30.0


class ApiKey:
    """A secret whose ``repr``/``str`` never show it. Call :meth:`reveal` only to send it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "ApiKey('********')"

    __str__ = __repr__


def is_loopback_host(host: str) -> bool:
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def base_url_problem(url: str) -> str | None:
    """Why ``url`` must not receive the key, or ``None`` when it is safe."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        # httpx would send these as Basic auth instead of the Bearer key: a misleading 401 at best.
        host = parts.netloc.rpartition("@")[2]
        return (
            f"GENVIRAL_BASE_URL must not carry a user name or password (user:password@{host}); the key "
            f"goes in GENVIRAL_API_KEY. Use a plain URL such as {DEFAULT_BASE_URL}."
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"GENVIRAL_BASE_URL must be an absolute https URL such as {DEFAULT_BASE_URL}; got {url!r}."
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return (
            f"GENVIRAL_BASE_URL uses plain http to {parts.hostname}, which would send the API key in clear "
            "text. Use https (plain http is allowed only for 127.0.0.1, ::1 or localhost)."
        )
    return None


def _parse_timeout(raw: str | None) -> tuple[float, str | None]:
    if raw is None or not raw.strip():
        return DEFAULT_TIMEOUT, None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        return DEFAULT_TIMEOUT, f"GENVIRAL_TIMEOUT must be a positive number of seconds; got {raw!r}."
    return min(value, MAX_TIMEOUT), None


@dataclass(frozen=True)
class Settings:
    api_key: ApiKey | None
    base_url: str = DEFAULT_BASE_URL
    timeout: float = DEFAULT_TIMEOUT
    problem: str | None = None

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: str | None = None,
    ) -> Settings:
        """Read ``GENVIRAL_*`` variables; explicit arguments (CLI flags) win."""
        key = (api_key if api_key is not None else environ.get("GENVIRAL_API_KEY", "")).strip()
        url = (base_url or environ.get("GENVIRAL_BASE_URL", "") or DEFAULT_BASE_URL).strip().rstrip("/")
        seconds, timeout_problem = _parse_timeout(
            timeout if timeout is not None else environ.get("GENVIRAL_TIMEOUT")
        )
        return cls(
            api_key=ApiKey(key) if key else None,
            base_url=url,
            timeout=seconds,
            problem=base_url_problem(url) or timeout_problem,
        )

    @property
    def posts_url(self) -> str:
        return f"{self.base_url}/posts"

    @property
    def accounts_url(self) -> str:
        return f"{self.base_url}/accounts"

    def require_ready(self) -> ApiKey:
        """The key to send, or a :class:`ConfigurationError` saying what to fix."""
        if self.problem:
            raise ConfigurationError(self.problem)
        if self.api_key is None:
            raise ConfigurationError(
                "GENVIRAL_API_KEY is not set. Add it to the `env` block of this server's entry in your "
                'MCP host config, e.g. "env": {"GENVIRAL_API_KEY": "gva_live_..."}, then restart the host.'
            )
        return self.api_key
