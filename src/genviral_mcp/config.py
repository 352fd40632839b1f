"""Settings from the environment (CLI flags may override), with the key kept out of sight.

A missing key or an unsafe base URL does not stop the server from starting: the host should
still list the tools. Each tool call checks :meth:`Settings.require_ready` and reports the
problem as an ``isError`` result instead; :meth:`Settings.startup_notes` is what the start-up log
and ``check`` say about it.

A key pasted wrong (``Bearer gva_live_…``, in quotes, with a trailing newline) would be sent as
``Bearer Bearer …`` and refused: :func:`normalise_key` takes off what cannot be part of a key, and
the notes say so without showing the key. Each key also records where it came from
(:class:`KeyOrigin`), so that a refusal's advice can name that place.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum
from urllib.parse import urlsplit

from genviral_mcp.errors import ConfigurationError

DEFAULT_BASE_URL = "https://www.genviral.io/api/partner/v1"
#: One HTTP attempt. Small enough that a retry still fits inside a host's ~60 s tool limit.
DEFAULT_TIMEOUT = 10.0
#: The most a single attempt may be given, however GENVIRAL_TIMEOUT is set.
MAX_TIMEOUT = 30.0


#: What a Genviral Partner API key starts with (``gva_live_<public_id>.<secret>``).
KEY_FORMS = ("gva_live_", "gva_test_")


class KeyOrigin(Enum):
    """Where a key came from, when the server knows: advice on a refused key names that place."""

    SHELL = "shell"  # the environment `genviral-mcp check` (or a server started by hand) runs in
    HOST = "host"  # the environment an MCP host started this stdio server with: its config's env block
    SERVER = "server"  # the environment of a hosted (HTTP) server holding one key
    HEADER = "header"  # a hosted caller's own key, from its request's Authorization header
    FILE = "file"  # the file GENVIRAL_API_KEY_FILE names, wherever the variable came from


class ApiKey:
    """A secret whose ``repr``/``str`` never show it. Call :meth:`reveal` only to send it."""

    __slots__ = ("_value", "origin")

    def __init__(self, value: str, origin: KeyOrigin | None = None) -> None:
        self._value = value
        self.origin = origin

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
            "text. Use https (plain http is allowed only for a loopback host: 127.0.0.0/8, ::1, localhost)."
        )
    return None


_QUOTES = {'"': '"', "'": "'", "`": "`", "\u201c": "\u201d", "\u2018": "\u2019", "\u00ab": "\u00bb"}
_SCHEME = re.compile(r"(?:authorization\s*:\s*)?bearer(?:\s+|$)", re.IGNORECASE)
#: Invisible characters a copy from a web page or a PDF brings along.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_BLANK = re.compile(f"[\\s{_INVISIBLE}]+")


#: A variable reference the host was meant to fill in (``${GENVIRAL_API_KEY}``, ``${VAR:-…}``, ``$VAR``):
#: Claude Code and OpenClaw pass it on as text when the variable is not set where they run.
_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}?")


def unsubstituted_key(key: str, variable: str = "GENVIRAL_API_KEY", what: str = "a key") -> str | None:
    """What to do when the "key" is a variable reference the host did not substitute; else ``None``."""
    match = _REFERENCE.fullmatch(key)
    if match is None:
        return None
    name = match.group(1)
    return (
        f"{variable} is the text ${{{name}}}, not {what}: your MCP host was meant to fill in the "
        f"variable {name} and did not, because {name} is not set where the host runs. Set it there "
        "(OpenClaw: its environment or ~/.openclaw/.env; Claude Code: export it before starting claude), "
        "then restart the host or start a new session."
    )


#: The variable naming a file that holds the key: a host config then carries a path, never the key.
KEY_FILE_VARIABLE = "GENVIRAL_API_KEY_FILE"
#: A key is under 100 bytes; a larger file is not a key file (and is never read whole).
MAX_KEY_FILE_BYTES = 4096


def read_key_file(path_text: str) -> tuple[str, str | None]:
    """The text of the key file ``path_text`` names, or a problem saying what to fix.

    The problem names the variable and the path, never what the file holds. A path must be absolute
    (``~`` is expanded): hosts start servers in a directory of their own choosing.
    """
    unset = unsubstituted_key(path_text, KEY_FILE_VARIABLE, "a path")
    if unset:
        return "", unset
    if "gva_" in path_text:  # a key pasted where its path goes: never echo it
        return "", (
            f"{KEY_FILE_VARIABLE} holds what looks like a key, not the path of a file (it is not shown). "
            f"Put the key in GENVIRAL_API_KEY, or in a file whose absolute path goes in {KEY_FILE_VARIABLE}."
        )
    path = os.path.expanduser(path_text)
    where = f"{KEY_FILE_VARIABLE} names {path_text!r}"
    if not os.path.isabs(path):
        return "", f"{where}, which is not an absolute path: give the whole path to the key file."
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        return "", f"{where}, which cannot be read ({exc.strerror or type(exc).__name__}). Check the path."
    if len(data) > MAX_KEY_FILE_BYTES:
        return (
            "",
            f"{where}, which is over {MAX_KEY_FILE_BYTES} bytes: not a key file. Put only the key in it.",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "", f"{where}, which is not text. Put only the key in it (gva_live_...)."
    if not text.strip():
        return "", f"{where}, which is empty. Put your key in it (gva_live_...)."
    return text, None


def normalise_key(raw: str) -> tuple[str, list[str]]:
    """The key with what cannot be part of one taken off, and what that was, in words.

    Taken off, in any order and nesting: whitespace and line breaks around it, surrounding quotes,
    a ``Bearer `` (or ``Authorization: Bearer``) prefix; then whitespace inside it (no key has any).
    The words never quote the key.
    """
    removed: list[str] = []
    key = raw
    while True:
        before = key
        trimmed = key.strip().strip(_INVISIBLE).strip()
        if trimmed != key:
            key = trimmed
            _note(removed, "whitespace or a line break around it")
        if len(key) >= 2 and _QUOTES.get(key[0]) == key[-1]:
            key = key[1:-1]
            _note(removed, "surrounding quotes")
        match = _SCHEME.match(key)
        if match:
            key = key[match.end() :]
            _note(removed, 'a "Bearer " prefix')
        if key == before:
            break
    inner = _BLANK.sub("", key)
    if inner != key:
        key = inner
        _note(removed, "spaces or line breaks inside it")
    return key, removed


def _note(removed: list[str], what: str) -> None:
    if what not in removed:
        removed.append(what)


def _and(words: tuple[str, ...]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


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


def _raw_key(environ: Mapping[str, str], flag: str | None) -> tuple[str, str, str | None]:
    """The key as given, the variable it came from, and a problem with where it came from."""
    if flag is not None:
        return flag, "GENVIRAL_API_KEY", None
    direct = environ.get("GENVIRAL_API_KEY", "")
    path = environ.get(KEY_FILE_VARIABLE, "").strip()
    if not path:
        return direct, "GENVIRAL_API_KEY", None
    if direct.strip():
        return (
            "",
            KEY_FILE_VARIABLE,
            (
                f"GENVIRAL_API_KEY and {KEY_FILE_VARIABLE} are both set: keep one (the file keeps the key "
                "out of your host config)."
            ),
        )
    text, problem = read_key_file(path)
    return text, KEY_FILE_VARIABLE, problem


@dataclass(frozen=True)
class Settings:
    api_key: ApiKey | None
    base_url: str = DEFAULT_BASE_URL
    timeout: float = DEFAULT_TIMEOUT
    problem: str | None = None
    #: What :func:`normalise_key` took off the key, in words (empty: it was clean).
    key_cleaned: tuple[str, ...] = ()
    #: The key does not start with one of :data:`KEY_FORMS` (the demo's own key is exempt).
    key_form_unexpected: bool = False
    #: The variable the key came from, for the notes: GENVIRAL_API_KEY or GENVIRAL_API_KEY_FILE.
    key_variable: str = "GENVIRAL_API_KEY"

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: str | None = None,
    ) -> Settings:
        """Read ``GENVIRAL_*`` variables; explicit arguments (CLI flags) win. The key comes from
        GENVIRAL_API_KEY or from the file GENVIRAL_API_KEY_FILE names; both set is a problem."""
        raw, variable, key_problem = _raw_key(environ, api_key)
        key, removed = normalise_key(raw)
        if variable == KEY_FILE_VARIABLE:  # a file ends with a line break: nothing to say about it
            removed = [what for what in removed if what != "whitespace or a line break around it"]
        url = (base_url or environ.get("GENVIRAL_BASE_URL", "") or DEFAULT_BASE_URL).strip().rstrip("/")
        seconds, timeout_problem = _parse_timeout(
            timeout if timeout is not None else environ.get("GENVIRAL_TIMEOUT")
        )
        unset = unsubstituted_key(key, variable)
        origin = KeyOrigin.FILE if variable == KEY_FILE_VARIABLE else None
        return cls(
            api_key=ApiKey(key, origin) if key else None,
            base_url=url,
            timeout=seconds,
            problem=base_url_problem(url) or timeout_problem or key_problem or unset,
            key_cleaned=tuple(removed) if raw.strip() else (),
            key_form_unexpected=bool(key) and not key.startswith(KEY_FORMS) and not unset,
            key_variable=variable,
        )

    def with_key_origin(self, origin: KeyOrigin) -> Settings:
        """The same settings, their key marked as coming from ``origin`` (a key file stays the origin)."""
        if self.api_key is None or self.api_key.origin is KeyOrigin.FILE:
            return self
        return replace(self, api_key=ApiKey(self.api_key.reveal(), origin))

    def key_notes(self) -> list[str]:
        """One line each: what was taken off the key, and whether it looks like a key at all."""
        notes = []
        if self.key_cleaned:
            notes.append(
                f"{self._key_name} had {_and(self.key_cleaned)}: removed (the key itself is not shown)."
            )
        if self.key_form_unexpected:
            notes.append(
                f"{self._key_name} does not look like a Genviral Partner API key, which starts with "
                f"{' or '.join(form + '...' for form in KEY_FORMS)}; it is used as it is, and Genviral "
                "will say if it refuses it."
            )
        return notes

    @property
    def _key_name(self) -> str:
        return (
            "The key in GENVIRAL_API_KEY_FILE"
            if self.key_variable == KEY_FILE_VARIABLE
            else self.key_variable
        )

    def startup_notes(self) -> list[str]:
        """What the server's start-up log says about this configuration (nothing when all is well)."""
        notes = self.key_notes()
        if self.problem:
            notes.append(
                f"Configuration problem: {self.problem} Starting anyway; each tool call will say so."
            )
        elif self.api_key is None:
            notes.append(
                "GENVIRAL_API_KEY is not set: starting anyway, so the host can list the tools; each tool "
                "call will say how to set it (in the `env` block of this server's entry in your MCP host "
                "config)."
            )
        return notes

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
