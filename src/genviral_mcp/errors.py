"""Failures a tool reports to the model, each with a message that says what to do next.

Every message is short, names what went wrong, quotes third-party text only shortened and
cleaned (:mod:`genviral_mcp.sanitize`), and never contains the API key.

The classes::

    GenviralError            every failure a tool turns into an ``isError`` result
    ├── ConfigurationError   the server's own settings are missing or unsafe
    ├── InvalidArgument      a tool argument failed validation before any request was made
    └── UpstreamError        the request to Genviral was refused, failed, or came back unreadable
        └── Busy             (client.py) no connection came free in time: nothing was sent

:func:`api_refusal` turns an HTTP refusal into an :class:`UpstreamError` from one table of messages
keyed by ``(status, error_code)``; :func:`envelope_failure` does the same for a 2xx answer whose
envelope says ``ok: false``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from genviral_mcp.retry import refusal_retryable
from genviral_mcp.sanitize import clean_text, untrusted


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


def _said(api_message: str | None) -> str:
    """What Genviral said, quoted shortened and cleaned; empty when it said nothing."""
    return f' Genviral said: "{clean_text(api_message, 200)}".' if api_message else ""


def _when(retry_after: float | None, default: str) -> str:
    """When to try again: the API's ``Retry-After`` as a wait and a UTC time, else ``default``."""
    if retry_after is None:
        return f"Try again in {default}."
    now = datetime.now(timezone.utc)
    at = now + timedelta(seconds=retry_after)
    # A wait that ends on another day names the day: "after 14:05:00 UTC" alone would be read as today.
    when = f"{at:%H:%M:%S} UTC" if at.date() == now.date() else f"{at:%Y-%m-%d %H:%M:%S} UTC"
    return f"Genviral asked to wait {retry_after:.0f} s: try again after {when}."


def _key_advice(where: str) -> str:
    return (
        f"{where}: it must be a current Partner API key (gva_live_...). Generate a new key in Genviral "
        "if it was revoked."
    )


#: Where to look for a refused key, by where it came from (``config.KeyOrigin``'s values).
KEY_ORIGINS = {
    "shell": "Check GENVIRAL_API_KEY in the environment genviral-mcp ran in (e.g. `export "
    "GENVIRAL_API_KEY=gva_live_...` in your shell)",
    "host": "Check GENVIRAL_API_KEY in the `env` block of this server's entry in your MCP host config",
    "server": "Check GENVIRAL_API_KEY in the environment of this hosted genviral-mcp server",
    "header": "Check the key this request sent as `Authorization: Bearer` (the headers of this server's "
    "entry in your MCP client)",
    "file": "Check the key in the file GENVIRAL_API_KEY_FILE names (only the key, gva_live_..., in it)",
}
#: When the server does not know where the key came from.
_KEY_ADVICE = _key_advice(
    "Check the Genviral API key this server uses (GENVIRAL_API_KEY; for a hosted server that passes "
    "each caller's key through: the key sent as `Authorization: Bearer`)"
)


def name_key_origin(error: GenviralError, origin: str | None) -> None:
    """A refused key's advice names where the key came from, when that is known (else it stays generic)."""
    where = KEY_ORIGINS.get(origin or "")
    if where and isinstance(error, UpstreamError) and error.status == 401:
        error.message = error.message.replace(_KEY_ADVICE, _key_advice(where))
        error.args = (error.message,)


_TIMESTAMP_ADVICE = "Pass an ISO 8601 timestamp such as 2025-01-31T00:00:00Z."

#: The message for each refusal, keyed by ``(status, error_code)``; ``error_code`` ``None`` is the
#: status's message for any other code. ``{label}`` is "HTTP 401, invalid_token", ``{said}`` what
#: Genviral said, ``{when}`` when to try again (the ``Retry-After``, else the default wait beside).
#: A status not here: 5xx read as "failing", anything else as "rejected".
REFUSALS: dict[tuple[int, str | None], tuple[str, str]] = {
    (400, "invalid_since"): (f"Genviral rejected `since` ({{label}}).{{said}} {_TIMESTAMP_ADVICE}", ""),
    (400, "invalid_until"): (f"Genviral rejected `until` ({{label}}).{{said}} {_TIMESTAMP_ADVICE}", ""),
    (401, None): (f"Genviral did not accept the API key ({{label}}).{{said}} {_KEY_ADVICE}", ""),
    (402, None): (
        "The Genviral Partner API needs an active Creator, Professional or Business plan ({label}).{said} "
        "Renew or upgrade the subscription of the workspace that owns this key, then retry.",
        "",
    ),
    (403, "tier_not_allowed"): (
        "This key's plan is on the Scheduler tier, which cannot use the Partner API ({label}).{said} "
        "Upgrade to a Creator, Professional or Business plan to use this server.",
        "",
    ),
    (403, None): (
        "Genviral refused access for this key ({label}).{said} Check the key's scope and plan.",
        "",
    ),
    (404, None): (
        "The Posts endpoint was not found ({label}). Check GENVIRAL_BASE_URL; the default is "
        "https://www.genviral.io/api/partner/v1.",
        "",
    ),
    (429, None): ("Genviral is rate limiting this key ({label}).{said} {when}", "a minute"),
    (500, "list_failed"): ("Genviral failed to list posts on its side ({label}).{said} {when}", "a minute"),
}
_FAILING = ("Genviral's API is failing ({label}).{said} {when}", "a few minutes")
_REJECTED = ("Genviral rejected the request ({label}).{said}", "")


def api_refusal(
    status: int, error_code: str | None, api_message: str | None, retry_after: float | None = None
) -> UpstreamError:
    """Turn a refusal (a non-2xx answer, or an ``ok: false`` one naming an error status) into an
    error that says what to do next; whether it is retried is :mod:`genviral_mcp.retry`'s call."""
    error_code = untrusted(error_code)
    template, wait = (
        REFUSALS.get((status, error_code))
        or REFUSALS.get((status, None))
        or (_FAILING if status >= 500 else _REJECTED)
    )
    text = template.format(
        label=_label(status, error_code),
        said=_said(api_message),
        when=_when(retry_after, wait) if wait else "",
    )
    return UpstreamError(
        text,
        status=status,
        error_code=error_code,
        retryable=refusal_retryable(status, error_code),
        retry_after=retry_after,
    )


def envelope_failure(
    status: int,
    envelope_code: int | None,
    error_code: str | None,
    api_message: str | None,
    retry_after: float | None,
) -> UpstreamError:
    """A 2xx answer whose envelope says ``ok: false``: the envelope's own ``code`` is trusted when it
    is an error status; otherwise it is reported as what it is, not as an HTTP error."""
    if envelope_code and envelope_code >= 400:
        return api_refusal(envelope_code, error_code, api_message or "ok: false", retry_after)
    code = untrusted(error_code, 60)
    return UpstreamError(
        f"Genviral answered HTTP {status}{f', {code}' if code else ''} but reported a failure "
        f"(ok: false).{_said(api_message)} Try again in a minute.",
        status=status,
        error_code=code,
    )
