"""Command line: ``genviral-mcp`` serves MCP over stdio.

Nothing here writes to stdout while serving: stdout is the JSON-RPC wire. Logs go to stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from genviral_mcp import __version__

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="genviral-mcp",
        description=(
            "MCP server (stdio) with two read-only tools, list_posts and get_delivery_summary, over the "
            "Genviral Partner API. Configure it with environment variables: GENVIRAL_API_KEY (required "
            "for real data), GENVIRAL_BASE_URL, GENVIRAL_TIMEOUT, GENVIRAL_LOG_LEVEL."
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
    return parser.parse_args(argv)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=level if level in LOG_LEVELS else "WARNING",
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    configure_logging(args.log_level)
    from genviral_mcp.startup import exit_now, importing_quickly

    with importing_quickly():  # imported late: --help/--version stay instant
        from genviral_mcp.config import Settings
        from genviral_mcp.server import build_server

    settings = Settings.from_env(os.environ, base_url=args.base_url, timeout=args.timeout)
    if settings.problem or settings.api_key is None:
        logging.getLogger("genviral_mcp").warning(
            "Starting without a usable configuration; tool calls will say what to fix."
        )
    build_server(settings).run("stdio")
    exit_now(0)  # after a clean shutdown only: skips ~200 ms of interpreter teardown
