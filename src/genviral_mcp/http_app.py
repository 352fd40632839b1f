"""Streamable HTTP hosting: ``POST /mcp`` (stateless, JSON responses) and ``GET /healthz``.

Stateless means every request stands alone, so any number of identical replicas can sit behind
a load balancer without session affinity. Two key modes:

- **pass-through** (no ``GENVIRAL_API_KEY``): each request's ``Authorization: Bearer`` is that
  caller's Genviral key, used for that request's upstream call only (:func:`keys.caller_key`);
- **held key** (``GENVIRAL_API_KEY`` set): callers prove themselves with ``GENVIRAL_MCP_TOKEN``
  instead, and the server refuses to start off loopback without one.

Host/Origin checks (the SDK's DNS-rebinding protection) and a request-body limit are always on.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from genviral_mcp.admission import HELD_KEY, HOSTED
from genviral_mcp.auth import bearer_token, caller_key, held_key
from genviral_mcp.config import KEY_FILE_VARIABLE, Settings, is_loopback_host
from genviral_mcp.server import TOOL_DEADLINE_SECONDS, build_server

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
HEALTH_PATH = "/healthz"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
#: A tools/call for these tools is well under 1 KB; initialize with rich capabilities a few KB.
MAX_REQUEST_BODY_BYTES = 64 * 1024
#: Longer than the usual load-balancer idle timeout (60 s), so the LB never reuses a closed socket.
#: (At the connection cap, the longest-idle connection is closed first: see ``guard``.)
KEEP_ALIVE_SECONDS = 75
#: Seconds a client has to send its whole request body (at most 64 KiB) once its head has arrived.
BODY_TIMEOUT = 10.0
#: Pass-through mode: one caller's key may hold at most this many of the 20 upstream connections
#: (``client.MAX_CONNECTIONS``), so one busy tenant cannot starve the rest.
PER_KEY_CONNECTIONS = 5
#: On SIGTERM, in-flight tool calls (each bounded by the tool deadline) get time to finish.
GRACEFUL_SHUTDOWN_SECONDS = int(TOOL_DEADLINE_SECONDS) + 5
_WILDCARD_BINDS = ("0.0.0.0", "::", "")  # noqa: S104 - recognising the wildcard, not binding to it
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
#: Off loopback, GENVIRAL_MCP_TOKEN must be at least this long (``secrets.token_urlsafe(32)`` gives 43).
MIN_TOKEN_CHARS = 32
MAKE_TOKEN = "GENVIRAL_MCP_TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"  # noqa: S105 - a recipe, not a secret
#: ``--allowed-host *`` turns the Host/Origin check off.
ANY_HOST = "*"


class StartupRefused(Exception):
    """The configuration is unsafe or contradictory; the message says how to fix it."""


@dataclass(frozen=True)
class HttpOptions:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    #: ``GENVIRAL_MCP_TOKEN``: what callers send in held-key mode.
    token: str | None = None
    #: Extra Host values to accept (``--allowed-host`` / ``GENVIRAL_MCP_ALLOWED_HOSTS``).
    allowed_hosts: tuple[str, ...] = ()

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        allowed_hosts: Sequence[str] = (),
    ) -> HttpOptions:
        token = environ.get("GENVIRAL_MCP_TOKEN", "").strip() or None
        listed = environ.get("GENVIRAL_MCP_ALLOWED_HOSTS", "").split(",")
        extra = tuple(dict.fromkeys(h.strip().lower() for h in [*allowed_hosts, *listed] if h.strip()))
        return cls(host=host, port=port, token=token, allowed_hosts=extra)


def check_startup(settings: Settings, options: HttpOptions) -> list[str]:
    """Raise :class:`StartupRefused` for an unsafe configuration; return warnings for a risky one."""
    where = f"{options.host}:{options.port}"
    token = options.token
    if token is not None and not (token.isascii() and token.isprintable() and " " not in token):
        raise StartupRefused("GENVIRAL_MCP_TOKEN must be printable ASCII without spaces.")
    if token is not None and len(token) < MIN_TOKEN_CHARS and not is_loopback_host(options.host):
        raise StartupRefused(
            f"refusing to serve on {where}: GENVIRAL_MCP_TOKEN is {len(token)} characters, too short to "
            f"guard a reachable address. Use at least {MIN_TOKEN_CHARS} random characters, e.g. "
            f"{MAKE_TOKEN}"
        )
    if settings.api_key is None and settings.key_variable == KEY_FILE_VARIABLE:
        # Serving on would pass callers' keys through, a mode the operator did not choose.
        raise StartupRefused(
            f"{settings.problem} A hosted server does not start without the key it is to hold."
        )
    if settings.api_key is None and token is not None:
        raise StartupRefused(
            "GENVIRAL_MCP_TOKEN is set but GENVIRAL_API_KEY is not. Without a held key the server passes "
            "each caller's own Genviral key through in the Authorization header, which then cannot also "
            "carry a server token. Set GENVIRAL_API_KEY (held-key mode, callers send the token), or unset "
            "GENVIRAL_MCP_TOKEN (pass-through mode, callers send their Genviral key)."
        )
    warnings = []
    if settings.api_key is not None and options.token is None:
        if not is_loopback_host(options.host):
            raise StartupRefused(
                f"refusing to serve on {where}: GENVIRAL_API_KEY is set, so anyone who can reach this "
                "address could use that key. Set GENVIRAL_MCP_TOKEN to a long random secret (callers then "
                "send `Authorization: Bearer <token>`), or unset GENVIRAL_API_KEY so that each caller sends "
                "its own Genviral key, or bind to 127.0.0.1."
            )
        warnings.append(
            f"Serving the held GENVIRAL_API_KEY on {where} without GENVIRAL_MCP_TOKEN: any local process "
            "can use it. Set GENVIRAL_MCP_TOKEN on a shared machine."
        )
    if ANY_HOST in options.allowed_hosts:
        warnings.append("Host/Origin checks are off (--allowed-host '*'): no DNS-rebinding protection.")
    elif options.host in _WILDCARD_BINDS and not options.allowed_hosts:
        warnings.append(
            f"Bound to {options.host or 'all addresses'}, but only loopback Host headers are accepted: "
            "add the name clients use (e.g. --allowed-host mcp.example.com) or they get HTTP 421."
        )
    return warnings


def _host_entries(entry: str) -> list[str]:
    """``name`` accepts the name on any port; ``name:port`` only that port."""
    parts = urlsplit(f"//{entry}")
    try:
        has_port = parts.port is not None
    except ValueError:  # a port that is not a number in 0-65535
        has_port, parts = False, urlsplit("")
    if not parts.hostname or parts.path or parts.query or parts.fragment or parts.username is not None:
        raise StartupRefused(
            f"--allowed-host takes a host name with an optional port, such as mcp.example.com or "
            f"mcp.example.com:8443; got {entry!r}."
        )
    return [entry] if has_port else [entry, f"{entry}:*"]


def _bound_names(host: str) -> Iterable[str]:
    if host in _WILDCARD_BINDS:
        return _LOOPBACK_NAMES
    name = f"[{host}]" if ":" in host else host.lower()
    if is_loopback_host(host):
        return dict.fromkeys([*_LOOPBACK_NAMES, name])
    return [name]


def transport_security(options: HttpOptions) -> TransportSecuritySettings:
    """Accept the bound address (with its port) and the configured names; refuse other Hosts/Origins."""
    if ANY_HOST in options.allowed_hosts:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    hosts = [f"{name}:{options.port}" for name in _bound_names(options.host)]
    for entry in options.allowed_hosts:
        hosts += _host_entries(entry)
    origins = [f"{scheme}://{host}" for host in hosts for scheme in ("http", "https")]
    return TransportSecuritySettings(allowed_hosts=hosts, allowed_origins=origins)


class ThrottledWarning:
    """One WARNING line per ``every`` seconds for a kind of client misbehaviour, then a count.

    Anyone who can reach the port can make these happen, so each must not cost a log line: the first
    is logged, the rest of the minute is counted and reported with the next one logged.
    """

    def __init__(self, message: str, every: float = 60.0) -> None:
        self._message = message
        self._every = every
        self._next = 0.0
        self._held = 0

    def __call__(self) -> None:
        now = time.monotonic()
        if now < self._next:
            self._held += 1
            return
        more = f" ({self._held} more since the last such line)" if self._held else ""
        self._held, self._next = 0, now + self._every
        logger.warning("%s%s", self._message, more)


class Gate:
    """ASGI middleware in front of the SDK's app: the token check (held-key mode), POST-only ``/mcp``,
    and the request body read within ``BODY_TIMEOUT`` before the app sees it.

    A stateless server never sends server-initiated messages, so a GET stream would sit idle until
    the load balancer cut it, and there is no session for DELETE to end: both get 405, which the
    transport spec allows. The health check passes untouched. A client that sends its body too
    slowly gets 408 and the connection is closed; one that hangs up mid-body is logged as one
    WARNING line.
    """

    def __init__(self, app: ASGIApp, token: str | None, body_timeout: float = BODY_TIMEOUT) -> None:
        self.app = app
        self._digest = _digest(token) if token is not None else None
        self._body_timeout = body_timeout
        self._hung_up = ThrottledWarning(
            "A client hung up before sending its whole request; nothing was done."
        )
        self._too_slow = ThrottledWarning(
            f"A client took over {body_timeout:.0f} s to send its request body; closed."
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self._refusal(scope) if scope["type"] == "http" else None
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if scope["type"] != "http" or scope["path"] != MCP_PATH:
            await self.app(scope, receive, send)
            return
        body = await self._read_body(scope, receive, send)
        if body is None:
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read_body(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The whole body, or ``None`` after answering 408/413 or when the client left."""
        chunks: list[bytes] = []
        size = 0
        with anyio.move_on_after(self._body_timeout):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    self._hung_up()
                    return None
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > MAX_REQUEST_BODY_BYTES:
                    too_big = PlainTextResponse(
                        "Payload Too Large", status_code=413, headers={"connection": "close"}
                    )
                    await too_big(scope, receive, send)
                    return None
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
        self._too_slow()
        timeout = PlainTextResponse("Request Timeout", status_code=408, headers={"connection": "close"})
        await timeout(scope, receive, send)
        return None

    def _refusal(self, scope: Scope) -> Response | None:
        if scope["path"] == HEALTH_PATH:
            return None
        authorization = Headers(scope=scope).get("authorization")
        presented = bearer_token(authorization)
        if self._digest is None and authorization is not None and presented is None:
            # Pass-through: a header that cannot carry a Genviral key (e.g. not ASCII) is refused here,
            # rather than failing deep in the upstream call.
            return _unauthorized(
                "invalid_request",
                "The Authorization header must be `Bearer <your Genviral API key>`, in printable ASCII.",
            )
        # Digests have one length, so the comparison time says nothing about the token.
        if self._digest is not None and (
            presented is None or not hmac.compare_digest(_digest(presented), self._digest)
        ):
            return _unauthorized(
                "invalid_token",
                "Send this server's token as `Authorization: Bearer <token>` (GENVIRAL_MCP_TOKEN on the "
                "server).",
            )
        if scope["path"] == MCP_PATH and scope["method"] != "POST":
            return PlainTextResponse(
                "Method Not Allowed: this stateless MCP endpoint takes POST only.",
                status_code=405,
                headers={"allow": "POST"},
            )
        return None


def _unauthorized(error: str, description: str) -> Response:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=401,
        headers={"www-authenticate": 'Bearer realm="genviral-mcp"'},
    )


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def healthz(_: Request) -> Response:
    """Liveness for load balancers: no auth, no upstream call (Genviral being down is not ours to fix)."""
    return JSONResponse({"status": "ok"})


def build_app(settings: Settings, options: HttpOptions) -> Starlette:
    """The ASGI app, or :class:`StartupRefused`. The SDK enters the server's lifespan once per app, so
    all requests share one upstream HTTP client, with the stdio path's timeouts, retries and deadline."""
    for warning in check_startup(settings, options):
        logger.warning("%s", warning)
    passing_through = settings.api_key is None
    server = build_server(
        settings,
        key_source=caller_key if passing_through else held_key,
        per_key_connections=PER_KEY_CONNECTIONS if passing_through else None,
        summary_limits=HOSTED if passing_through else HELD_KEY,
    )
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        json_response=True,
        stateless_http=True,
        max_request_body_size=MAX_REQUEST_BODY_BYTES,
        transport_security=transport_security(options),
        host=options.host,
    )
    app.router.routes.append(Route(HEALTH_PATH, healthz, methods=["GET"]))
    app.add_middleware(Gate, token=options.token)
    return app


def describe(settings: Settings, options: HttpOptions) -> str:
    host = f"[{options.host}]" if ":" in options.host else options.host
    if settings.api_key is None:
        keys = "each request's Authorization header carries the caller's Genviral key"
    elif options.token is None:
        keys = "held GENVIRAL_API_KEY, no token"
    else:
        keys = "held GENVIRAL_API_KEY, callers send GENVIRAL_MCP_TOKEN"
    url = f"http://{host}:{options.port}{MCP_PATH}"
    return f"genviral-mcp: starting MCP at {url} ({keys}); health check at {HEALTH_PATH}"


class QueryStringFilter(logging.Filter):
    """Keep query strings out of uvicorn's access log: a token sent as ``?token=`` must not be logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].partition("?")[0], *args[3:])
        return True


def serve_http(settings: Settings, options: HttpOptions, log_level: str) -> None:
    """Run until SIGINT/SIGTERM. Raises :class:`StartupRefused` before binding anything."""
    import uvicorn  # imported late: the stdio path never needs it

    from genviral_mcp.guard import (
        ACCEPT_BACKLOG,
        HEAD_TIMEOUT,
        connection_cap,
        guarded_protocol,
        raise_file_limit,
    )

    app = build_app(settings, options)
    files = raise_file_limit()
    cap = connection_cap(files)
    # One start-up line says it all, at any log level: where, which key mode, and the limits in force.
    limits = (
        f"open-file limit {files}, at most {cap} connections (the longest idle is closed first), "
        f"request head within {HEAD_TIMEOUT:.0f} s, body within {BODY_TIMEOUT:.0f} s"
    )
    print(f"{describe(settings, options)}; {limits}", file=sys.stderr, flush=True)
    logging.getLogger("uvicorn.access").addFilter(QueryStringFilter())
    config = uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        http=guarded_protocol(cap, KEEP_ALIVE_SECONDS),
        backlog=ACCEPT_BACKLOG,
        log_config=None,  # keep our stderr logging; uvicorn's default sends access logs to stdout
        log_level=log_level.lower(),
        server_header=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    uvicorn.Server(config).run()
