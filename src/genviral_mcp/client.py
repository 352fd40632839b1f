"""The HTTP client for Genviral's Partner API: bounded GETs in, decoded envelopes or errors out.

:class:`ApiClient` is the generic machinery any endpoint reuses (``get_json`` performs one bounded
GET of a path and returns the decoded envelope); :class:`PostsClient` adds ``GET {base}/posts``
parsed into API models. What every request goes through:

* **Slots, not the pool's own queue.** At most ``MAX_CONNECTIONS`` requests are in flight, and one
  key holds at most ``per_key`` of them (hosted pass-through: one tenant cannot take the whole
  pool). Waiting for a slot happens *before* an attempt's timer starts, so it neither eats into
  ``GENVIRAL_TIMEOUT`` nor triggers a retry; it is bounded only by the call's deadline, and a call
  that cannot get a slot in time is told "busy, try again in N s".
* **Retry budgets** in the spirit of gRPC's retry throttling: every failed attempt spends a
  token, every success earns back a tenth of one, and retries stop while fewer than half the
  tokens are left: past a first burst of 15, a failing upstream sees about 10 % extra requests.
  Each key has its own budget, so one tenant's 429s and failures never spend another's retries;
  a larger global budget protects Genviral when many keys fail at once (see :class:`RetryBudgets`).
* **Bounded replies:** bodies are streamed with a cap; a redirect is an error naming its target
  host (it is never followed: the key would go along).
* **Decoding:** the key is removed from the raw body, and again from every decoded string (a JSON
  ``\\uXXXX`` escape can spell it), before anything is shortened or quoted. A lone surrogate (half
  an emoji cut by a JavaScript backend) becomes U+FFFD instead of failing the page. A body over
  ``OFF_LOOP_BYTES`` is decoded in a worker thread (:mod:`genviral_mcp.workers`), its posts
  validated one at a time, so that the event loop, serving every other caller, is never held for
  long.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import anyio
import httpx2 as httpx
from pydantic import ValidationError

from genviral_mcp import __version__
from genviral_mcp.config import ApiKey, Settings
from genviral_mcp.errors import UpstreamError, api_refusal, envelope_failure, name_key_origin
from genviral_mcp.models import Account, AccountsEnvelope, Envelope, Post, PostsData, Status
from genviral_mcp.query import PostsQuery
from genviral_mcp.retry import RetryPolicy, parse_retry_after
from genviral_mcp.sanitize import clean_text, redact, redact_bytes, untrusted
from genviral_mcp.workers import Workers

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Larger bodies are refused: 100 posts with many accounts are well under 1 MB.
MAX_BODY_BYTES = 8 * 1024 * 1024
#: Of an error or non-JSON answer only this much is read: enough for an envelope, never a whole page.
MAX_ERROR_BODY_BYTES = 64 * 1024
#: Requests in flight to the API at once (the HTTP pool has as many connections).
MAX_CONNECTIONS = 20
#: Bodies up to this size are parsed straight into models (unless they escape ASCII); larger ones are
#: decoded leniently first, and a page is cut to what was asked for before any model is built.
FAST_PARSE_BYTES = 256 * 1024
#: ``GET /accounts`` is an enrichment: one short attempt, never a retry, never a reason to fail.
ACCOUNTS_TIMEOUT_SECONDS = 5.0
#: Bodies larger than this are decoded in a worker thread: a 100-post page of an ordinary scope is
#: well under it, and a page of large posts takes the loop for a quarter of a second or more.
OFF_LOOP_BYTES = FAST_PARSE_BYTES
#: Keys whose retry budgets are remembered at once; the least recently used is forgotten first, so
#: rotating keys cannot grow memory (a forgotten key starts again with a full budget).
MAX_BUDGET_KEYS = 1024


def key_digest(key: ApiKey) -> bytes:
    """What per-key state is keyed by: a SHA-256 digest, so that no key is held."""
    return hashlib.sha256(key.reveal().encode("utf-8", "surrogatepass")).digest()


def user_agent() -> str:
    return f"genviral-mcp/{__version__}"


def build_http_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """One pooled client per process; ``transport`` lets ``--demo`` answer in-process.

    It keeps no cookies: a hosted server shares this client between callers with different keys,
    and a cookie set for one must never ride along on another's request. Its pool timeout is
    generous because :class:`Slots` already keeps requests to the pool's size.
    """
    return httpx.AsyncClient(
        transport=transport,
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        timeout=httpx.Timeout(settings.timeout, connect=min(settings.timeout, 5.0), pool=None),
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


# --- Slots: the pool, shared fairly between keys -------------------------------------------------


class Busy(UpstreamError):
    """No slot came free in the time this call had left: nothing was sent."""


class Slots:
    """At most ``total`` requests in flight, and at most ``per_key`` of them for any one key.

    Waiters are served first come, first served (anyio semaphores are fair).
    """

    def __init__(self, total: int = MAX_CONNECTIONS, per_key: int | None = None) -> None:
        self.total = total
        self.per_key = max(1, min(per_key or total, total))
        self._all = anyio.Semaphore(total)
        self._keys: dict[bytes, tuple[anyio.Semaphore, int]] = {}
        self.waiting = 0
        #: A running average of how long one request holds its slot, for the "try again in N s" hint.
        self.hold_seconds = 1.0

    @asynccontextmanager
    async def slot(self, key: ApiKey) -> AsyncIterator[None]:
        digest = key_digest(key)
        mine, users = self._keys.get(digest) or (anyio.Semaphore(self.per_key), 0)
        self._keys[digest] = (mine, users + 1)
        self.waiting += 1
        queued = True
        try:
            async with mine, self._all:
                self.waiting -= 1
                queued = False
                started = anyio.current_time()
                try:
                    yield
                finally:
                    self.hold_seconds = 0.8 * self.hold_seconds + 0.2 * (anyio.current_time() - started)
        finally:
            if queued:
                self.waiting -= 1
            sem, users = self._keys[digest]
            if users <= 1:
                del self._keys[digest]
            else:
                self._keys[digest] = (sem, users - 1)

    def busy_error(self) -> Busy:
        rounds = math.ceil((self.waiting + 1) / self.total)
        wait = max(1, math.ceil(rounds * self.hold_seconds))
        return Busy(
            f"genviral-mcp is busy: {self.total} requests to Genviral are in flight and {self.waiting} "
            f"more are waiting, so this call could not be sent in the time it had. Nothing was sent. "
            f"Try again in {wait} s."
        )


# --- The retry budget ---------------------------------------------------------------------------


class RetryBudget:
    """gRPC-style retry throttling: ``tokens`` start full; each failed attempt costs one, each
    success earns ``ratio`` back; a retry is allowed only while more than half are left.

    So a burst of up to ``max_tokens / 2`` failed attempts (one summary's concurrent walks all
    failing, say) is retried as usual; past that, while the upstream keeps failing, retries stop,
    and they come back at about one per ten successes.
    """

    def __init__(self, max_tokens: float = 30.0, ratio: float = 0.1) -> None:
        self.max_tokens = max_tokens
        self.ratio = ratio
        self.tokens = max_tokens

    def failed(self) -> None:
        self.tokens = max(0.0, self.tokens - 1.0)

    def succeeded(self) -> None:
        self.tokens = min(self.max_tokens, self.tokens + self.ratio)

    def allows_retry(self) -> bool:
        return self.tokens > self.max_tokens / 2


class RetryBudgets:
    """A :class:`RetryBudget` per key, and a larger global one that protects Genviral.

    A retry needs both to allow it. A key's failed attempt spends its own budget, and the global
    one only while that key may still retry (its failures can then add retries): once a key's own
    retries have stopped, its failures cost no one else. A 429 ("rate limiting this key") never
    spends the global budget. So one tenant can spend at most about a third of the global budget,
    which stops retries only when several keys fail at once, as when Genviral itself is down.
    Per-key state is an LRU of at most ``max_keys`` key digests.
    """

    def __init__(
        self,
        per_key_tokens: float = 30.0,
        global_tokens: float = 100.0,
        ratio: float = 0.1,
        max_keys: int = MAX_BUDGET_KEYS,
    ) -> None:
        self.per_key_tokens = per_key_tokens
        self.ratio = ratio
        self.max_keys = max_keys
        self.shared = RetryBudget(global_tokens, ratio)
        self._keys: OrderedDict[bytes, RetryBudget] = OrderedDict()

    def of(self, digest: bytes) -> RetryBudget:
        """The key's budget (made full when new), marked as the most recently used."""
        budget = self._keys.pop(digest, None) or RetryBudget(self.per_key_tokens, self.ratio)
        self._keys[digest] = budget
        while len(self._keys) > self.max_keys:
            self._keys.popitem(last=False)
        return budget

    def failed(self, digest: bytes, status: int | None = None) -> None:
        own = self.of(digest)
        if own.allows_retry() and status != 429:
            self.shared.failed()
        own.failed()

    def succeeded(self, digest: bytes) -> None:
        self.of(digest).succeeded()
        self.shared.succeeded()

    def allows_retry(self, digest: bytes) -> bool:
        return self.of(digest).allows_retry() and self.shared.allows_retry()

    @property
    def keys(self) -> int:
        return len(self._keys)


# --- Decoding -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One HTTP answer: status, headers and the bounded body with the key already removed."""

    status: int
    headers: httpx.Headers
    body: bytes
    url: str


def _repair(value: Any, secret: str) -> Any:
    """Every decoded string with lone surrogates made U+FFFD and the key removed."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: pairs are kept, halves become U+FFFD
            value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return redact(value, secret) if secret else value
    if isinstance(value, list):
        return [_repair(item, secret) for item in value]
    if isinstance(value, dict):
        return {_repair(key, secret): _repair(item, secret) for key, item in value.items()}
    return value


def lenient_json(body: bytes, secret: str = "", limit: int | None = None) -> tuple[Any, int]:
    """Decode JSON leniently (bad UTF-8 and lone surrogates become U+FFFD), cut ``data.posts`` to
    ``limit``, and redact every string; also return how many posts were cut off.

    Only a body with ``\\u`` escapes needs the string-by-string pass: without escapes there is no
    lone surrogate, and the raw body was already redacted. Raises ``ValueError`` when the body is
    not JSON (or is nested too deeply to be an envelope).
    """
    try:
        document = json.loads(body.decode("utf-8", errors="replace"))
        dropped = cut_posts(document, limit)  # before the pass below: it costs per string
        return (_repair(document, secret) if b"\\u" in body else document), dropped
    except RecursionError as exc:
        raise ValueError("nested too deeply") from exc


def cut_posts(document: Any, limit: int | None) -> int:
    """Cut ``data.posts`` to ``limit`` in a decoded envelope; return how many posts were dropped."""
    if limit is None or not isinstance(document, dict):
        return 0
    data = document.get("data")
    posts = data.get("posts") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(posts, list) or len(posts) <= limit:
        return 0
    data["posts"] = posts[:limit]
    return len(posts) - limit


#: A ``\\uXXXX`` escape of a printable ASCII character: JSON encoders never need one, and the key
#: is ASCII, so a body with one may spell the key in a form the raw redaction missed.
_ESCAPED_ASCII = re.compile(rb"\\u00[2-7][0-9a-fA-F]")


def decode_envelope(body: bytes, secret: str = "", limit: int | None = None) -> tuple[Envelope | None, int]:
    """The envelope (``None`` when the body is not one) and how many surplus posts were dropped.

    Small bodies go straight into the models unless they escape a printable ASCII character (which
    could spell the key); anything else, and anything the models reject (a lone surrogate), is
    decoded leniently, redacted string by string, and its page cut to ``limit`` posts *before* any
    model is built (790,000 tiny posts must not become 790,000 models).
    """
    if len(body) <= FAST_PARSE_BYTES and not _ESCAPED_ASCII.search(body):
        try:
            envelope = Envelope.model_validate_json(body)
        except ValidationError:
            pass  # maybe salvageable: the lenient path decides
        else:
            if limit is None or envelope.data is None or len(envelope.data.posts) <= limit:
                return envelope, 0
    try:
        document, dropped = lenient_json(body, secret, limit)
    except ValueError:
        return None, 0
    try:
        return validate_envelope(document), dropped
    except ValidationError:
        return None, dropped


def validate_envelope(document: Any) -> Envelope:
    """``Envelope.model_validate``, the posts one at a time: in a worker thread, each post is a
    moment where the event loop can take the GIL back (a page of 100,000 deliveries validated in
    one call held it for 0.28 s). Raises ``ValidationError`` as the one call would."""
    data = document.get("data") if isinstance(document, dict) else None
    posts = data.get("posts") if isinstance(data, dict) else None
    if not isinstance(posts, list) or len(posts) < 2:
        return Envelope.model_validate(document)
    envelope = Envelope.model_validate({**document, "data": {**data, "posts": []}})  # type: ignore[dict-item]
    if envelope.data is None:  # data was not an object
        return envelope
    validated = [Post.model_validate(post) for post in posts]
    return envelope.model_copy(update={"data": envelope.data.model_copy(update={"posts": validated})})


def _redirect_error(reply: Reply) -> UpstreamError:
    location = reply.headers.get("location", "")
    target = urlsplit(urljoin(reply.url, location)).hostname if location else None
    where = f"to {untrusted(target) or '?'}" if location else "without a target"
    return UpstreamError(
        f"Genviral answered HTTP {reply.status}, a redirect {where}, which genviral-mcp does not follow "
        "(the API key would go along). Check GENVIRAL_BASE_URL: it should be the API's own address, "
        "such as https://www.genviral.io/api/partner/v1.",
        status=reply.status,
    )


def check_envelope(reply: Reply, envelope: Status | None) -> None:
    """Raise the right :class:`UpstreamError` for a refusal, a redirect or an ``ok: false`` answer."""
    status, headers = reply.status, reply.headers
    if 300 <= status < 400:
        raise _redirect_error(reply)
    if status >= 400:
        raise api_refusal(
            status,
            envelope.error_code if envelope else None,
            envelope.message if envelope else None,
            parse_retry_after(headers.get("retry-after")),
        )
    if status < 200:
        raise UpstreamError(f"Genviral answered HTTP {status}, which is not an answer. Try again later.")
    if envelope is not None and not envelope.ok:
        raise envelope_failure(
            status,
            envelope.code,
            envelope.error_code,
            envelope.message,
            parse_retry_after(headers.get("retry-after")),
        )
    if envelope is None:
        content_type = headers.get("content-type", "")
        kind = "not JSON" if "json" not in content_type.lower() else "not the expected JSON envelope"
        raise UpstreamError(
            f"Genviral answered HTTP {status} with a body that is {kind} "
            f"(content type {clean_text(content_type, 60) or 'missing'}). Try again later; if it persists, "
            "check GENVIRAL_BASE_URL.",
            status=status,
        )


def _is_json(reply: Reply) -> bool:
    return "json" in reply.headers.get("content-type", "").lower()


def parse_response(
    status: int, headers: httpx.Headers, body: bytes, secret: str = "", limit: int | None = None
) -> PostsData:
    """Check status, content type and envelope; return the data or raise.

    ``body`` is already bounded: :func:`read_body` refuses a success over ``MAX_BODY_BYTES``."""
    reply = Reply(status, headers, body, "")
    envelope, dropped = decode_envelope(body, secret, limit) if _is_json(reply) else (None, 0)
    check_envelope(reply, envelope)
    assert envelope is not None
    if envelope.data is None:
        raise UpstreamError(
            f"Genviral answered HTTP {status} without a `data` object. Try again later.", status=status
        )
    data = envelope.data
    if dropped:
        logger.warning(
            "Genviral sent %d posts for a request of %d; only the first %d were read",
            (limit or 0) + dropped,
            limit,
            limit,
        )
        data = data.model_copy()
        data._overflow = dropped
    data._body_bytes = len(body)
    return data


# --- The client ---------------------------------------------------------------------------------


class ApiClient:
    """Bounded GETs of ``{base}/<path>``, retrying what is safe to retry; every failure becomes an
    :class:`UpstreamError`.

    Retries stay inside the caller's deadline: the nearest enclosing anyio cancel scope
    (``run_tool``'s ``fail_after``). Each attempt is also bounded as a whole, by
    ``GENVIRAL_TIMEOUT``: httpx's own read timeout is per chunk, so a drip-fed body beats it.
    Waiting for a slot is not part of an attempt (see :class:`Slots`).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: Settings,
        retry: RetryPolicy | None = None,
        *,
        slots: Slots | None = None,
        budgets: RetryBudgets | None = None,
        workers: Workers | None = None,
    ) -> None:
        self._http = http
        self._base = settings.base_url
        self._timeout = settings.timeout
        self._retry = retry or RetryPolicy()
        self.slots = slots or Slots()
        self.budgets = budgets or RetryBudgets()
        #: Where large bodies are decoded; ``None`` decodes every body on the loop (``check``).
        self.workers = workers

    async def request(
        self,
        path: str,
        params: Mapping[str, str],
        key: ApiKey,
        parse: Callable[[Reply], T],
        *,
        retry: bool = True,
    ) -> T:
        """GET ``{base}/{path}`` and ``parse`` the reply, retrying (when ``retry``) what is retryable."""
        url = f"{self._base}/{path.lstrip('/')}"
        started = anyio.current_time()
        digest = key_digest(key)
        attempt = 0
        while True:
            attempt += 1
            try:
                result = await self._parsed(parse, await self._attempt(url, params, key))
            except Busy:
                raise
            except UpstreamError as exc:
                exc.message = redact(exc.message, key.reveal())
                name_key_origin(exc, key.origin.value if key.origin else None)
                if exc.retryable and retry:  # one-shot enrichments do not spend the retry budget
                    self.budgets.failed(digest, exc.status)
                wait = self._retry.delay(exc, attempt, self._remaining()) if retry else None
                if wait is not None and not self.budgets.allows_retry(digest):
                    logger.info("attempt %d failed (%s); retry budget spent", attempt, exc.message)
                    wait = None
                if wait is None:
                    raise _gave_up(exc, attempt, anyio.current_time() - started) from exc
                logger.info("attempt %d failed (%s); retrying in %.2f s", attempt, exc.message, wait)
                await anyio.sleep(wait)
            else:
                self.budgets.succeeded(digest)
                return result

    async def _parsed(self, parse: Callable[[Reply], T], reply: Reply) -> T:
        """``parse(reply)``: on the loop for a small body, in a worker thread for a large one."""
        if self.workers is None or len(reply.body) <= OFF_LOOP_BYTES:
            return parse(reply)
        return await self.workers.run(lambda: parse(reply))

    async def get_json(
        self, path: str, key: ApiKey, params: Mapping[str, str] | None = None, *, retry: bool = False
    ) -> dict[str, Any]:
        """One bounded GET of ``{base}/{path}`` (no retry unless asked): the decoded envelope.

        Every string in it is redacted and leniently decoded; refusals, redirects, ``ok: false`` and
        bodies that are not an envelope raise :class:`UpstreamError`.
        """
        secret = key.reveal()

        def parse(reply: Reply) -> dict[str, Any]:
            document: Any = None
            status: Status | None = None
            if _is_json(reply):
                try:
                    document, _ = lenient_json(reply.body, secret)
                    status = Status.model_validate(document)
                except (ValueError, ValidationError):
                    status = None
            check_envelope(reply, status)
            assert isinstance(document, dict)
            return document

        return await self.request(path, params or {}, key, parse, retry=retry)

    def _remaining(self) -> float:
        return anyio.current_effective_deadline() - anyio.current_time()

    async def _attempt(self, url: str, params: Mapping[str, str], key: ApiKey) -> Reply:
        """Wait for a slot (bounded by the call's deadline, not by the attempt timer), then send."""
        wait_budget = self._remaining() - self._retry.reserve - self._retry.min_attempt
        async with AsyncExitStack() as stack:
            acquired = False
            with anyio.move_on_after(max(wait_budget, 0.0)):
                await stack.enter_async_context(self.slots.slot(key))
                acquired = True
            if not acquired:
                raise self.slots.busy_error()
            return await self._send(url, params, key)

    async def _send(self, url: str, params: Mapping[str, str], key: ApiKey) -> Reply:
        budget = min(self._timeout, max(self._remaining() - self._retry.reserve, 0.0))
        logger.debug("GET %s params=%s", url, dict(params))
        headers = {"authorization": f"Bearer {key.reveal()}"}
        try:
            with anyio.fail_after(budget):
                async with self._http.stream("GET", url, params=params, headers=headers) as response:
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
                f"Could not reach Genviral at {url} ({type(exc).__name__}). Check the network "
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
        return Reply(response.status_code, response.headers, redact_bytes(body, key.reveal()), url)


class PostsClient(ApiClient):
    """Pages of posts from ``GET {base}/posts``, and the enrichment ``GET {base}/accounts``."""

    async def fetch_accounts(self, key: ApiKey) -> list[Account] | None:
        """The scope's connected accounts, or ``None`` when ``GET /accounts`` fails in any way.

        Undocumented in the API reference, so it only ever enriches a result: one attempt (through
        the same slots, bounds, redaction and decoding as every request), bounded by
        :data:`ACCOUNTS_TIMEOUT_SECONDS`, and every failure is logged at INFO and swallowed.
        """
        budget = min(self._timeout, ACCOUNTS_TIMEOUT_SECONDS)
        document: dict[str, Any] | None = None
        try:
            with anyio.move_on_after(budget):
                document = await self.get_json("accounts", key)
        except UpstreamError as exc:
            if exc.status is not None:  # the refusal's wording is about posts: the status says enough
                logger.info("GET /accounts answered HTTP %d; showing account ids only", exc.status)
            else:
                logger.info("GET /accounts failed (%s); showing account ids only", exc.message)
            return None
        if document is None:
            logger.info("GET /accounts did not answer within %.0f s; showing account ids only", budget)
            return None
        try:
            envelope = AccountsEnvelope.model_validate(document)
        except ValidationError:
            logger.info("GET /accounts answered another shape; showing account ids only")
            return None
        if envelope.data is None:  # ``ok: false`` was already raised by check_envelope
            logger.info("GET /accounts answered without accounts; showing account ids only")
            return None
        return envelope.data.accounts

    async def fetch(self, query: PostsQuery, key: ApiKey) -> PostsData:
        secret = key.reveal()

        def parse(reply: Reply) -> PostsData:
            return parse_response(reply.status, reply.headers, reply.body, secret, query.limit)

        return await self.request("posts", query.to_params(), key, parse)


def _gave_up(error: UpstreamError, attempts: int, elapsed: float) -> UpstreamError:
    """The last error, saying how many attempts were made when there were several."""
    if attempts > 1:
        error.message += f" (Gave up after {attempts} attempts in {elapsed:.1f} s.)"
    error.args = (error.message,)
    return error
