"""The HTTP client for ``GET {base}/posts``: one request in, parsed API models or an error out."""

from __future__ import annotations

import logging
from http.cookiejar import CookieJar, DefaultCookiePolicy

import anyio
import httpx2 as httpx
from pydantic import ValidationError

from genviral_mcp import __version__
from genviral_mcp.config import ApiKey, Settings
from genviral_mcp.errors import UpstreamError, api_refusal, clean_text, redact, redact_bytes
from genviral_mcp.models import Account, AccountsEnvelope, Envelope, PostsData
from genviral_mcp.query import PostsQuery
from genviral_mcp.retry import RetryPolicy, parse_retry_after

logger = logging.getLogger(__name__)

#: Larger bodies are refused: 100 posts with many accounts are well under 1 MB.
MAX_BODY_BYTES = 8 * 1024 * 1024
#: Of an error or non-JSON answer only this much is read: enough for an envelope, never a whole page.
MAX_ERROR_BODY_BYTES = 64 * 1024
#: Connections to the API; a desktop agent rarely runs more than a few calls at once.
MAX_CONNECTIONS = 20
#: ``GET /accounts`` is an enrichment: one short attempt, never a retry, never a reason to fail.
ACCOUNTS_TIMEOUT_SECONDS = 5.0


def user_agent() -> str:
    return f"genviral-mcp/{__version__}"


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
        limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=10),
        headers={"user-agent": user_agent(), "accept": "application/json"},
        follow_redirects=False,
        trust_env=False,
    )


class BodyTooLarge(Exception):
    def __init__(self, size: int, status: int) -> None:
        super().__init__(size, status)
        self.size = size
        self.status = status


async def read_body(response: httpx.Response) -> bytes:
    """The body, streamed and bounded: a JSON success up to ``MAX_BODY_BYTES`` (else
    :class:`BodyTooLarge`), anything else only its first ``MAX_ERROR_BODY_BYTES``."""
    wanted = response.is_success and "json" in response.headers.get("content-type", "").lower()
    cap = MAX_BODY_BYTES if wanted else MAX_ERROR_BODY_BYTES
    declared = response.headers.get("content-length", "")
    if wanted and declared.isascii() and declared.isdigit() and len(declared) < 19 and int(declared) > cap:
        raise BodyTooLarge(int(declared), response.status_code)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            if wanted:
                raise BodyTooLarge(size, response.status_code)
            break
    return b"".join(chunks)[:cap]


class PostsClient:
    """Fetches pages of posts, retrying what is safe to retry; every failure becomes an
    :class:`UpstreamError`.

    Retries stay inside the caller's deadline: the nearest enclosing anyio cancel scope
    (``run_tool``'s ``fail_after``). Each attempt is also bounded as a whole, by
    ``GENVIRAL_TIMEOUT``: httpx's own read timeout is per chunk, so a drip-fed body beats it.
    """

    def __init__(self, http: httpx.AsyncClient, settings: Settings, retry: RetryPolicy | None = None) -> None:
        self._http = http
        self._url = settings.posts_url
        self._accounts_url = settings.accounts_url
        self._timeout = settings.timeout
        self._retry = retry or RetryPolicy()

    async def fetch(self, query: PostsQuery, key: ApiKey) -> PostsData:
        params = query.to_params()
        started = anyio.current_time()
        attempt = 0
        while True:
            attempt += 1
            remaining = anyio.current_effective_deadline() - anyio.current_time() - self._retry.reserve
            try:
                return await self._attempt(params, key, min(self._timeout, max(remaining, 0.0)))
            except UpstreamError as exc:
                exc.message = redact(exc.message, key.reveal())
                remaining = anyio.current_effective_deadline() - anyio.current_time()
                wait = self._retry.delay(exc, attempt, remaining)
                if wait is None:
                    raise _gave_up(exc, attempt, anyio.current_time() - started) from exc
                logger.info("attempt %d failed (%s); retrying in %.2f s", attempt, exc.message, wait)
                await anyio.sleep(wait)

    async def fetch_accounts(self, key: ApiKey) -> list[Account] | None:
        """The scope's connected accounts, or ``None`` when ``GET /accounts`` fails in any way.

        Undocumented in the API reference, so it only ever enriches a result: one attempt, bounded
        by :data:`ACCOUNTS_TIMEOUT_SECONDS`, and every failure is logged at INFO and swallowed.
        """
        budget = min(self._timeout, ACCOUNTS_TIMEOUT_SECONDS)
        headers = {"authorization": f"Bearer {key.reveal()}"}
        try:
            with anyio.fail_after(budget):
                async with self._http.stream("GET", self._accounts_url, headers=headers) as response:
                    body = await read_body(response)
            if not response.is_success:
                logger.info("GET /accounts answered HTTP %d; showing account ids only", response.status_code)
                return None
            envelope = AccountsEnvelope.model_validate_json(redact_bytes(body, key.reveal()))
        except (httpx.HTTPError, TimeoutError, BodyTooLarge, ValidationError, ValueError) as exc:
            logger.info("GET /accounts failed (%s); showing account ids only", type(exc).__name__)
            return None
        if not envelope.ok or envelope.data is None:
            logger.info("GET /accounts answered without accounts; showing account ids only")
            return None
        return envelope.data.accounts

    async def _attempt(self, params: dict[str, str], key: ApiKey, budget: float) -> PostsData:
        logger.debug("GET %s params=%s", self._url, params)
        headers = {"authorization": f"Bearer {key.reveal()}"}
        try:
            with anyio.fail_after(budget):
                async with self._http.stream("GET", self._url, params=params, headers=headers) as response:
                    body = await read_body(response)
        except (httpx.TimeoutException, TimeoutError) as exc:
            hint = (
                "Check your network, or raise GENVIRAL_TIMEOUT, then try again."
                if budget >= self._timeout
                else "That was all the time left for this call: try again, or narrow the request."
            )
            raise UpstreamError(
                f"Genviral did not answer in time (within {budget:.1f} s). {hint}", retryable=True
            ) from exc
        except (httpx.ConnectError, httpx.UnsupportedProtocol, httpx.ProxyError) as exc:
            raise UpstreamError(
                f"Could not reach Genviral at {self._url} ({type(exc).__name__}). Check the network "
                "connection and GENVIRAL_BASE_URL, then try again.",
                retryable=True,
            ) from exc
        except httpx.TransportError as exc:
            raise UpstreamError(
                f"The connection to Genviral broke off before the answer was complete "
                f"({type(exc).__name__}). Try again; if it keeps happening, check the network.",
                retryable=True,
            ) from exc
        except httpx.DecodingError as exc:
            raise UpstreamError(
                "Genviral's answer could not be decoded (bad compression). Try again later."
            ) from exc
        except BodyTooLarge as exc:
            raise UpstreamError(
                f"Genviral's response was too large (at least {exc.size // 1024} KB, HTTP {exc.status}; "
                f"the limit is {MAX_BODY_BYTES // 1024} KB). Try a smaller `limit`."
            ) from exc
        # The key goes before any of the body can be quoted: shortened, it would escape redact().
        return parse_response(response.status_code, response.headers, redact_bytes(body, key.reveal()))


def _gave_up(error: UpstreamError, attempts: int, elapsed: float) -> UpstreamError:
    """The last error, saying how many attempts were made when there were several."""
    if attempts > 1:
        error.message += f" (Gave up after {attempts} attempts in {elapsed:.1f} s.)"
    error.args = (error.message,)
    return error


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
            parse_retry_after(headers.get("retry-after")),
        )
    if envelope is not None and not envelope.ok:
        # A 2xx whose envelope says it failed: trust the envelope's own code when it is an error code.
        if envelope.code and envelope.code >= 400:
            raise api_refusal(
                envelope.code,
                envelope.error_code,
                envelope.message or "ok: false",
                parse_retry_after(headers.get("retry-after")),
            )
        said = f' Genviral said: "{clean_text(envelope.message, 200)}".' if envelope.message else ""
        code = f", {clean_text(envelope.error_code, 60)}" if envelope.error_code else ""
        raise UpstreamError(
            f"Genviral answered HTTP {status}{code} but reported a failure (ok: false).{said} "
            "Try again in a minute.",
            status=status,
            error_code=envelope.error_code,
        )
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
