"""Failures a tool reports to the model, each with a message that says what to do next.

Every message is short, names what went wrong, quotes third-party text only shortened and
cleaned, and never contains the API key.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"</?[A-Za-z!][^<>]{0,200}>")


def clean_text(text: str, limit: int) -> str:
    """Strip markup and control characters, collapse whitespace and cut at ``limit`` characters."""
    if text.isprintable() and "<" not in text and "  " not in text:
        flat = text.strip()  # already clean: no control, bidi or line-break characters, no markup
    else:
        flat = _SPACE.sub(" ", _CONTROL.sub(" ", _TAG.sub(" ", _ANSI.sub("", text)))).strip()
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rstrip() + "…"


def _pieces(secret: str) -> list[str]:
    return [piece for piece in (secret, secret.rpartition(".")[2]) if len(piece) >= 6]


def redact(text: str, secret: str) -> str:
    """Remove a secret, and its part after the last ``.``, from text an API may have echoed."""
    for piece in _pieces(secret):
        text = text.replace(piece, "[redacted]")
    return text


def redact_bytes(body: bytes, secret: str) -> bytes:
    """:func:`redact` for a raw body, before any of it is parsed, shortened or quoted."""
    for piece in _pieces(secret):
        body = body.replace(piece.encode(), b"[redacted]")
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
    at = datetime.now(timezone.utc) + timedelta(seconds=retry_after)
    return f"Genviral asked to wait {retry_after:.0f} s: try again after {at:%H:%M:%S} UTC."


def api_refusal(
    status: int, error_code: str | None, api_message: str | None, retry_after: float | None = None
) -> UpstreamError:
    """Turn a non-2xx or ``ok: false`` answer into an error that says what to do next."""
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
