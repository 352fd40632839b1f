"""The HTTP client for ``GET {base}/posts``: one request in, parsed API models or an error out."""

from __future__ import annotations

import logging
from http.cookiejar import CookieJar, DefaultCookiePolicy
from importlib.metadata import PackageNotFoundError, version

import httpx2 as httpx
from pydantic import ValidationError

from genviral_mcp.config import ApiKey, Settings
from genviral_mcp.errors import UpstreamError, api_refusal, clean_text, redact
from genviral_mcp.models import Envelope, PostsData
from genviral_mcp.query import PostsQuery

logger = logging.getLogger(__name__)

#: Larger bodies are refused: 100 posts with many accounts are well under 1 MB.
MAX_BODY_BYTES = 8 * 1024 * 1024


def user_agent() -> str:
    try:
        return f"genviral-mcp/{version('genviral-mcp')}"
    except PackageNotFoundError:  # running from a source tree
        return "genviral-mcp/0"


def build_http_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """One pooled client per process; ``transport`` lets ``--demo`` answer in-process.

    It keeps no cookies: a hosted server shares this client between callers with different keys,
    and a cookie set for one must never ride along on another's request.
    """
    return httpx.AsyncClient(
        transport=transport,
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        timeout=httpx.Timeout(settings.timeout, connect=min(settings.timeout, 5.0)),
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        headers={"user-agent": user_agent(), "accept": "application/json"},
        follow_redirects=False,
        trust_env=False,
    )


class PostsClient:
    """Fetches pages of posts; every failure becomes an :class:`UpstreamError`."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self._http = http
        self._url = settings.posts_url

    async def fetch(self, query: PostsQuery, key: ApiKey) -> PostsData:
        params = query.to_params()
        logger.debug("GET %s params=%s", self._url, params)
        try:
            response = await self._http.get(
                self._url, params=params, headers={"authorization": f"Bearer {key.reveal()}"}
            )
        except httpx.TimeoutException as exc:
            raise UpstreamError(
                "Genviral did not answer in time. Check your network, or raise GENVIRAL_TIMEOUT, "
                "then try again.",
                retryable=True,
            ) from exc
        except httpx.TransportError as exc:
            raise UpstreamError(
                f"Could not reach Genviral at {self._url} ({type(exc).__name__}). Check the network "
                "connection and GENVIRAL_BASE_URL, then try again.",
                retryable=True,
            ) from exc
        try:
            return parse_response(response.status_code, response.headers, response.content)
        except UpstreamError as exc:
            exc.message = redact(exc.message, key.reveal())
            exc.args = (exc.message,)
            raise


def _retry_after(headers: httpx.Headers) -> float | None:
    raw = headers.get("retry-after")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


def parse_response(status: int, headers: httpx.Headers, body: bytes) -> PostsData:
    """Check status, size, content type and envelope; return the data or raise."""
    if len(body) > MAX_BODY_BYTES:
        raise UpstreamError(
            f"Genviral's response was too large ({len(body) // 1024} KB, HTTP {status}). "
            "Try a smaller `limit`."
        )
    content_type = headers.get("content-type", "")
    envelope: Envelope | None = None
    if "json" in content_type.lower():
        try:
            envelope = Envelope.model_validate_json(body)
        except ValidationError:
            envelope = None
    if status >= 400:
        raise api_refusal(
            status,
            envelope.error_code if envelope else None,
            envelope.message if envelope else None,
            _retry_after(headers),
        )
    if envelope is not None and not envelope.ok:
        # A 2xx whose envelope says it failed: trust the envelope's own code when it has one.
        code = envelope.code if envelope.code and envelope.code >= 400 else 500
        raise api_refusal(code, envelope.error_code, envelope.message or "ok: false", _retry_after(headers))
    if envelope is None:
        kind = "not JSON" if "json" not in content_type.lower() else "not the expected JSON envelope"
        raise UpstreamError(
            f"Genviral answered HTTP {status} with a body that is {kind} "
            f"(content type {clean_text(content_type, 60) or 'missing'}). Try again later; if it persists, "
            "check GENVIRAL_BASE_URL.",
            status=status,
        )
    if envelope.data is None:
        raise UpstreamError(
            f"Genviral answered HTTP {status} without a `data` object. Try again later.", status=status
        )
    return envelope.data
