"""Command line: ``genviral-mcp`` serves MCP over stdio; ``--transport http`` hosts it (see http_app).

Nothing here writes to stdout while serving: stdout is the JSON-RPC wire. Logs go to stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from genviral_mcp import __version__

if TYPE_CHECKING:
    from genviral_mcp.config import Settings

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="genviral-mcp",
        description=(
            "MCP server (stdio by default) with two read-only tools, list_posts and "
            "get_delivery_summary, over the Genviral Partner API. Configure it with environment "
            "variables: GENVIRAL_API_KEY (required for real data), GENVIRAL_BASE_URL, GENVIRAL_TIMEOUT, "
            "GENVIRAL_LOG_LEVEL; over HTTP also GENVIRAL_MCP_TOKEN and GENVIRAL_MCP_ALLOWED_HOSTS."
        ),
    )
    parser.add_argument("--version", action="version", version=f"genviral-mcp {__version__}")
    parser.add_argument("--base-url", help="API base URL (overrides GENVIRAL_BASE_URL).")
    parser.add_argument("--timeout", help="Seconds for one HTTP attempt (overrides GENVIRAL_TIMEOUT).")
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default=os.environ.get("GENVIRAL_LOG_LEVEL", "WARNING").upper(),
        help="Logging level on stderr (default WARNING, or GENVIRAL_LOG_LEVEL).",
    )
    http = parser.add_argument_group("hosting over streamable HTTP (--transport http)")
    http.add_argument("--transport", choices=("stdio", "http"), default="stdio", help="Default stdio.")
    http.add_argument("--host", default="127.0.0.1", help="Address to bind (default 127.0.0.1).")
    http.add_argument("--port", type=_port, default=8000, help="Port to bind (default 8000).")
    http.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="Also accept this Host header, e.g. the load balancer's name (repeatable; "
        "GENVIRAL_MCP_ALLOWED_HOSTS, comma-separated).",
    )
    return parser.parse_args(argv)


def _port(raw: str) -> int:
    port = int(raw)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 1-65535, got {port}")
    return port


def configure_logging(level: str) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=level if level in LOG_LEVELS else "WARNING",
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    configure_logging(args.log_level)
    from genviral_mcp.config import Settings  # imported late: --help/--version stay instant
    from genviral_mcp.server import build_server

    settings = Settings.from_env(os.environ, base_url=args.base_url, timeout=args.timeout)
    if settings.problem or (settings.api_key is None and args.transport == "stdio"):
        logging.getLogger("genviral_mcp").warning(
            "Starting without a usable configuration; tool calls will say what to fix."
        )
    if args.transport == "http":
        serve_http(settings, args)
    else:
        build_server(settings).run("stdio")


def serve_http(settings: Settings, args: argparse.Namespace) -> None:
    from genviral_mcp.http_app import HttpOptions, StartupRefused, serve

    options = HttpOptions.from_env(
        os.environ, host=args.host, port=args.port, allowed_hosts=args.allowed_host
    )
    try:
        serve(settings, options, args.log_level)
    except StartupRefused as exc:
        sys.exit(f"genviral-mcp: {exc}")
