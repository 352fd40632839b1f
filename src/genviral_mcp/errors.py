"""Failures a tool reports to the model, each with a message that says what to do next.

Every message is short, names what went wrong, quotes third-party text only shortened and
cleaned, and never contains the API key.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone

#: Escape sequences a terminal acts on: CSI (colours, cursor moves), OSC (titles, hyperlinks), and
#: the two-character ones.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]{0,2000}(?:\x07|\x1b\\)?|[@-Z\\-_])")
#: Control characters, line/paragraph separators and odd spaces: become a space.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
#: Format characters (Unicode category Cf): soft hyphen, zero-width, bidi controls and isolates,
#: BOM, and the tag characters U+E0000-E007F that can spell out text no reader sees: removed.
#: (A final per-character check catches any that a newer Unicode version adds.)
_FORMAT = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e007f]"
)
_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"</?[A-Za-z!][^<>]{0,200}>")


def _scrub(text: str) -> str:
    """Remove format characters and turn controls into spaces (the per-character fallback)."""
    out = []
    for char in text:
        if char.isprintable():
            out.append(char)
            continue
        category = unicodedata.category(char)
        if category == "Cs":  # a lone surrogate from a half-cut emoji
            out.append("\ufffd")
        elif category in ("Co", "Cn"):  # private use, or newer than this Python's Unicode: visible
            out.append(char)
        elif category != "Cf":
            out.append(" ")
    return "".join(out)


def _unescaped(text: str) -> str:
    flat = _FORMAT.sub("", _CONTROL.sub(" ", _ANSI.sub("", text)))
    return flat if flat.isprintable() else _scrub(flat)


def plain_text(text: str) -> str:
    """``text`` with terminal escapes and format characters removed and controls made spaces.

    Nothing is shortened; :func:`clean_text` and :func:`untrusted` build on it.
    """
    return text if text.isprintable() else _unescaped(text)


def _cleaned(text: str) -> str:
    """The full cleaning, without the fast path: escapes, markup, controls, format characters."""
    return _SPACE.sub(" ", _TAG.sub(" ", _unescaped(text))).strip()


def clean_text(text: str, limit: int) -> str:
    """Strip markup, escapes, control and format characters, collapse whitespace, cut at ``limit``.

    The one function every string from Genviral goes through before it reaches a result, a log
    line, an error message or the terminal. Work is bounded: at most ``4 * limit + 64`` characters
    of the input are looked at.
    """
    if len(text) > 4 * limit + 64:
        text = text[: 4 * limit + 64]
    # Already clean (no control, format or line-break characters, no markup): only strip it.
    clean = text.isprintable() and "<" not in text and "  " not in text
    flat = text.strip() if clean else _cleaned(text)
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rstrip() + "…"


#: Identifiers and codes from Genviral (statuses, account ids, error codes) are cut here.
IDENTIFIER_CHARS = 80


def untrusted(text: str | None, limit: int = IDENTIFIER_CHARS) -> str | None:
    """:func:`clean_text` for an optional value; ``None`` and blank stay ``None``."""
    if text is None:
        return None
    return clean_text(text, limit) or None


def _pieces(secret: str) -> list[str]:
    return [piece for piece in (secret, secret.rpartition(".")[2]) if len(piece) >= 6]


def redact(text: str, secret: str) -> str:
    """Remove a secret, and its part after the last ``.``, from text an API may have echoed."""
    for piece in _pieces(secret):
        if piece in text:
            text = text.replace(piece, "[redacted]")
    return text


def _escaped_forms(piece: str) -> list[bytes]:
    """``piece`` as JSON may spell it with ``\\uXXXX`` escapes: every character escaped, lower and
    upper hex. (Mixed forms are caught after decoding, by :func:`redact` on each string.)"""
    return [
        "".join(f"\\u{ord(char):04x}" for char in piece).encode(),
        "".join(f"\\u{ord(char):04X}" for char in piece).encode(),
    ]


def redact_bytes(body: bytes, secret: str) -> bytes:
    """:func:`redact` for a raw body, before any of it is parsed, shortened or quoted."""
    for piece in _pieces(secret):
        for form in (piece.encode(), *_escaped_forms(piece)):
            if form in body:
                body = body.replace(form, b"[redacted]")
    return body


class GenviralError(Exception):
    """Base of every failure a tool turns into an ``isError`` result."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(GenviralError):
    """The server's own settings are missing or unsafe."""


class InvalidArgument(GenviralError):
    """A tool argument failed validation before any request was made."""

    def __init__(self, parameter: str, problem: str, example: str) -> None:
        super().__init__(f"Invalid `{parameter}`: {problem}. Example of a valid value: {example}.")
        self.parameter = parameter


class UpstreamError(GenviralError):
    """The request to Genviral failed: refused, errored, unreachable or unreadable."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.retryable = retryable
        self.retry_after = retry_after


def _label(status: int, error_code: str | None) -> str:
    return f"HTTP {status}, {error_code}" if error_code else f"HTTP {status}"


def _when(retry_after: float | None, default: str) -> str:
    """When to try again: the API's ``Retry-After`` as a wait and a UTC time, else ``default``."""
    if retry_after is None:
        return f"Try again in {default}."
    now = datetime.now(timezone.utc)
    at = now + timedelta(seconds=retry_after)
    # A wait that ends on another day names the day: "after 14:05:00 UTC" alone would be read as today.
    when = f"{at:%H:%M:%S} UTC" if at.date() == now.date() else f"{at:%Y-%m-%d %H:%M:%S} UTC"
    return f"Genviral asked to wait {retry_after:.0f} s: try again after {when}."


def api_refusal(
    status: int, error_code: str | None, api_message: str | None, retry_after: float | None = None
) -> UpstreamError:
    """Turn a non-2xx or ``ok: false`` answer into an error that says what to do next."""
    error_code = untrusted(error_code)
    label = _label(status, error_code)
    said = f' Genviral said: "{clean_text(api_message, 200)}".' if api_message else ""
    # 500 list_failed is retried too, but only once: see genviral_mcp.retry.LIST_FAILED_ATTEMPTS.
    retryable = status in (429, 502, 503, 504) or (status == 500 and error_code == "list_failed")
    if status == 400 and error_code in ("invalid_since", "invalid_until"):
        name = error_code.removeprefix("invalid_")
        text = (
            f"Genviral rejected `{name}` ({label}).{said} "
            f"Pass an ISO 8601 timestamp such as 2025-01-31T00:00:00Z."
        )
    elif status == 401:
        text = (
            f"Genviral did not accept the API key ({label}).{said} Check GENVIRAL_API_KEY in the "
            "`env` block of your MCP host config (for a hosted server in pass-through mode: the key sent "
            "as `Authorization: Bearer`): it must be a current Partner API key (gva_live_...). "
            "Generate a new key in Genviral if it was revoked."
        )
    elif status == 402:
        text = (
            f"The Genviral Partner API needs an active Creator, Professional or Business plan ({label})."
            f"{said} Renew or upgrade the subscription of the workspace that owns this key, then retry."
        )
    elif status == 403 and error_code == "tier_not_allowed":
        text = (
            f"This key's plan is on the Scheduler tier, which cannot use the Partner API ({label}).{said} "
            "Upgrade to a Creator, Professional or Business plan to use this server."
        )
    elif status == 403:
        text = f"Genviral refused access for this key ({label}).{said} Check the key's scope and plan."
    elif status == 404:
        text = (
            f"The Posts endpoint was not found ({label}). Check GENVIRAL_BASE_URL; the default is "
            "https://www.genviral.io/api/partner/v1."
        )
    elif status == 429:
        text = f"Genviral is rate limiting this key ({label}).{said} {_when(retry_after, 'a minute')}"
    elif status == 500 and error_code == "list_failed":
        text = f"Genviral failed to list posts on its side ({label}).{said} {_when(retry_after, 'a minute')}"
    elif status >= 500:
        text = f"Genviral's API is failing ({label}).{said} {_when(retry_after, 'a few minutes')}"
    else:
        text = f"Genviral rejected the request ({label}).{said}"
    return UpstreamError(
        text, status=status, error_code=error_code, retryable=retryable, retry_after=retry_after
    )
