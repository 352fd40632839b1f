"""Where a tool call's Genviral key comes from.

Over stdio, and over HTTP with a held key, it is the server's own ``GENVIRAL_API_KEY``. A hosted
server without one passes each caller's key through: it is read from that request's
``Authorization: Bearer`` header, handed down as an argument for that one upstream call, and never
stored, so no other request can see it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from genviral_mcp.config import ApiKey, KeyOrigin, Settings, normalise_key
from genviral_mcp.errors import ConfigurationError

#: ``(settings, request headers or None) -> key``; raises :class:`ConfigurationError` when there is none.
KeySource = Callable[[Settings, Mapping[str, str] | None], ApiKey]

MISSING_CALLER_KEY = (
    "This hosted genviral-mcp server uses each caller's own Genviral API key, and this request carried "
    "none. Send it as the HTTP header `Authorization: Bearer gva_live_...`: in an OpenClaw remote server "
    'entry, add "headers": {"Authorization": "Bearer gva_live_..."}; with mcp-remote, add '
    '--header "Authorization: Bearer ${GENVIRAL_API_KEY}" and put the key in the `env` block.'
)


_BEARER = re.compile(r"\s*bearer\s", re.IGNORECASE)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value, or ``None`` for anything else
    (including a token that is not printable ASCII, which no key or server token ever is)."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    usable = token.isascii() and token.isprintable() and " " not in token
    return token if scheme.lower() == "bearer" and token and usable else None


def held_key(settings: Settings, headers: Mapping[str, str] | None) -> ApiKey:
    """The server's own key; request headers are ignored (in held-key mode they carry the server token)."""
    return settings.require_ready()


def caller_key(settings: Settings, headers: Mapping[str, str] | None) -> ApiKey:
    """The key this request carries, checked against the same base-URL safety rule as a held key."""
    if settings.problem:
        raise ConfigurationError(settings.problem)
    authorization = (headers.get("authorization") if headers is not None else None) or ""
    # A key pasted wrong into the header (`Bearer "gva_live_..."`, `Bearer Bearer ...`) is cleaned
    # as GENVIRAL_API_KEY is: nothing that can be part of a key is taken off.
    cleaned = normalise_key(authorization)[0] if _BEARER.match(authorization) else ""
    token = bearer_token(f"Bearer {cleaned}") if cleaned else None
    if token is None:
        raise ConfigurationError(MISSING_CALLER_KEY)
    return ApiKey(token, KeyOrigin.HEADER)
