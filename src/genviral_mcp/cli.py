"""Command line: ``genviral-mcp`` serves MCP over stdio (``--transport http`` hosts it, see
http_app); ``genviral-mcp check`` checks the set-up.

Nothing here writes to stdout while serving: stdout is the JSON-RPC wire. Logs go to stderr.
Heavy imports (the MCP SDK, httpx2) wait until the arguments are parsed, so ``--help`` and
``--version`` answer at once.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from genviral_mcp import __version__

if TYPE_CHECKING:
    from datetime import datetime

    from genviral_mcp.config import Settings

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

USAGE = """\
genviral-mcp [--demo] [--base-url URL] [--timeout SECONDS] [--log-level LEVEL]
       genviral-mcp --transport http [--host HOST] [--port PORT] [--allowed-host HOST[:PORT]]
       genviral-mcp check [--demo] [--json] [--changed-since T] [--base-url URL] [--timeout SECONDS]
                          [--log-level LEVEL]
       genviral-mcp --help | --version"""

DESCRIPTION = """\
Read-only MCP server that shows an AI agent what happened to the posts it scheduled with
Genviral (TikTok, Instagram, YouTube, Pinterest, LinkedIn, Facebook).

With no command it serves MCP over stdio; your MCP host (Claude Desktop, Claude Code,
OpenClaw, Cursor) starts it. Tools:
  list_posts            posts, newest first, with each account's delivery: status,
                        published URL, error
  get_delivery_summary  scope counters, deliveries that need attention by cause,
                        upcoming posts, what went out and how it is doing"""

EPILOG = """\
environment:
  GENVIRAL_API_KEY    your Partner API key (gva_live_...); in a host config, put it in the
                      server's "env" block (hosts do not pass on your shell's variables), or
                      "${GENVIRAL_API_KEY}" where the host substitutes it (OpenClaw, Claude
                      Code's .mcp.json)
  GENVIRAL_API_KEY_FILE
                      instead of GENVIRAL_API_KEY: the absolute path of a file holding only
                      the key, so that no host config carries it (any host)
  GENVIRAL_BASE_URL   API base (default https://www.genviral.io/api/partner/v1); https only,
                      except a loopback host
  GENVIRAL_TIMEOUT    seconds for one HTTP attempt (default 10, at most 30)
  GENVIRAL_LOG_LEVEL  DEBUG, INFO, WARNING (default) or ERROR; logs go to stderr
  GENVIRAL_DEMO       1 or true: the same as --demo
  GENVIRAL_DEMO_NOW   with --demo: stop the demo's clock at this ISO 8601 instant (for
                      docs and tests; e.g. 2026-11-28T12:00:00Z)
  GENVIRAL_MCP_TOKEN  with --transport http and a held GENVIRAL_API_KEY: the bearer token
                      clients must send (required on a non-loopback address)
  GENVIRAL_MCP_ALLOWED_HOSTS
                      with --transport http: extra Host names to accept (comma-separated)

examples:
  genviral-mcp check --demo        see the sample workspace in a terminal, no key needed
  genviral-mcp --demo              serve the sample workspace to an MCP host
  GENVIRAL_API_KEY=gva_live_... genviral-mcp check
                                   check your key and set-up (exit 0 ok, 1 API, 2 config)
  genviral-mcp check --json --changed-since 2026-11-28T11:45:00.000Z
                                   for a script on a schedule: what changed since the last
                                   run's as_of, as one JSON object (exit 0 nothing needs
                                   attention, 1 something does, 2 config, 3 could not tell)
  genviral-mcp                     serve your Genviral posts (what a host runs)
  genviral-mcp --transport http    host it over streamable HTTP at http://127.0.0.1:8000/mcp

The key is never logged or printed. More: README.md, section "Install and run"."""

CHECK_DESCRIPTION = """\
Check the set-up from a terminal: validate the configuration, take the default delivery
summary through the Genviral API and print a short status: scope counters, coverage,
deliveries that need attention by cause, what goes out next, what went out, accounts not
active. The summary takes at least 9 requests: a page of /posts for each status it walks
(failed, partial, retry, pending, scheduled, posted), more for a status with 100 posts or
more or when Genviral counts posts with other statuses, and /accounts,
/analytics/summary/posts and /analytics/targets; "API OK" counts the /posts ones.
Exit codes: 0 all good, 1 the API refused or failed, 2 the configuration is wrong.

For scripts and cron: --json prints one JSON object on stdout, the summary's
structuredContent (the same facts as get_delivery_summary); messages go to stderr. With
--json the exit codes are:
  0  nothing needs attention, and coverage was exact
  1  something needs attention (whatever the coverage)
  2  configuration problem (or a bad --changed-since)
  3  Genviral unreachable or refusing, or coverage incomplete with nothing found
--changed-since T lists only what changed at or after T (failures, publications,
deliveries that became overdue, inactive accounts with news) and prints as_of: pass it
as T next time. The key is never printed."""


def _version_text() -> str:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    try:
        sdk = f"mcp {version('mcp')}, "
    except PackageNotFoundError:  # pragma: no cover - mcp is a dependency
        sdk = ""
    return f"genviral-mcp {__version__} ({sdk}Python {platform.python_version()})"


class _VersionAction(argparse.Action):
    """``--version``, with the version looked up only when asked (metadata lookups cost ms)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show the version and exit"
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        sys.stdout.write(_version_text() + "\n")  # where argparse's own version action writes
        parser.exit()


def _add_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """Options valid before and after ``check``; the subcommand's copy must not reset them."""

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--demo",
        action="store_true",
        default=default(False),
        help="Use the built-in sample workspace instead of your account (no key needed; also "
        "GENVIRAL_DEMO=1). Every result says it is sample data.",
    )
    parser.add_argument(
        "--base-url", metavar="URL", default=default(None), help="API base URL (overrides GENVIRAL_BASE_URL)."
    )
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        default=default(None),
        help="Seconds for one HTTP attempt (overrides GENVIRAL_TIMEOUT).",
    )
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        metavar="LEVEL",
        default=default(os.environ.get("GENVIRAL_LOG_LEVEL", "WARNING").upper()),
        help="DEBUG, INFO, WARNING or ERROR, on stderr (default WARNING, or GENVIRAL_LOG_LEVEL).",
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="genviral-mcp",
        usage=USAGE,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction)
    _add_options(parser, defaults=True)
    # prog: argparse would otherwise build the subcommand's name from the whole main usage text.
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND", prog="genviral-mcp")
    check = commands.add_parser(
        "check",
        usage="genviral-mcp check [--demo] [--json] [--changed-since T] [--base-url URL] "
        "[--timeout SECONDS] [--log-level LEVEL]",
        help="check the configuration, take the default delivery summary (at least 9 requests), "
        "print a short status and exit",
        description=CHECK_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_options(check, defaults=False)
    check.add_argument(
        "--json",
        action="store_true",
        help="Print one JSON object (the summary's structuredContent) on stdout, messages on stderr; "
        "exit 0/1/2/3 as above.",
    )
    check.add_argument(
        "--changed-since",
        metavar="T",
        help="Only what changed at or after T (ISO 8601; a date alone is that day's start, UTC). "
        "Pass the as_of of the previous run.",
    )
    parser.set_defaults(json=False, changed_since=None)
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
    words = list(sys.argv[1:] if argv is None else argv)
    args, unknown = parser.parse_known_args(words)
    if unknown:  # the parser that was reading them says so, with its own usage
        after_check = args.command == "check" and words.index(unknown[0]) > words.index("check")
        (check if after_check else parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


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
    from genviral_mcp.config import (
        KeyOrigin,
        Settings,  # imported late: --help/--version stay instant
    )
    from genviral_mcp.demo import demo_clock, demo_requested

    demo = demo_requested(args.demo, os.environ)
    settings = Settings.from_env(os.environ, base_url=args.base_url, timeout=args.timeout)
    try:
        clock = demo_clock(os.environ if demo else {})  # the real clock, unless the demo's is fixed
    except ValueError as exc:
        sys.exit(f"genviral-mcp: {exc}")
    if args.command == "check":
        raise SystemExit(
            check(
                settings.with_key_origin(KeyOrigin.SHELL),
                demo=demo,
                as_json=args.json,
                changed_since=args.changed_since,
                clock=clock,
            )
        )
    if args.transport == "http":
        if demo:
            sys.exit("genviral-mcp: --demo serves over stdio only; try `genviral-mcp check --demo`.")
        serve_http(settings.with_key_origin(KeyOrigin.SERVER), args)
        return
    # Started by hand, the key is the shell's; started by a host, it is what the host config passed.
    by_hand = sys.stdin is not None and sys.stdin.isatty()
    serve_stdio(
        settings.with_key_origin(KeyOrigin.SHELL if by_hand else KeyOrigin.HOST), demo=demo, clock=clock
    )


def check(
    settings: Settings,
    *,
    demo: bool,
    as_json: bool = False,
    changed_since: str | None = None,
    clock: Callable[[], datetime],
) -> int:
    from genviral_mcp.check import EXIT_API, EXIT_UNKNOWN, run_check

    try:
        code = run_check(settings, demo=demo, as_json=as_json, changed_since=changed_since, clock=clock)
        sys.stdout.flush()
    except BrokenPipeError:  # `genviral-mcp check | head`: the reader left before the end
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_UNKNOWN if as_json else EXIT_API
    return code


#: The exit status of a process stopped by SIGINT, as shells report it (128 + 2).
EXIT_INTERRUPTED = 130
TTY_NOTICE = (
    "genviral-mcp: serving MCP on stdin/stdout; it waits for an MCP host (Claude Desktop, Claude Code, "
    "OpenClaw, Cursor) to talk to it. Press Ctrl-C to stop. To look around from a terminal, try "
    "`genviral-mcp check --demo`."
)


def _stop_on_interrupt() -> None:
    """Ctrl-C ends the stdio server at once, with one line and status 130.

    Without this, Python's KeyboardInterrupt unwinds the event loop, which then waits for the thread
    blocked reading stdin: the server ran on until Enter or Ctrl-D, then printed a long traceback.
    Nothing is lost by leaving at once: the server holds no state, and every reply it has written is
    already flushed.
    """
    import signal

    def interrupted(signum: int, frame: object) -> None:
        logging.shutdown()
        try:
            os.write(sys.stderr.fileno(), b"genviral-mcp: interrupted (Ctrl-C); stopped.\n")
        finally:
            os._exit(EXIT_INTERRUPTED)

    signal.signal(signal.SIGINT, interrupted)


def serve_stdio(settings: Settings, *, demo: bool, clock: Callable[[], datetime]) -> None:
    """Serve MCP over stdio until the host closes stdin, then exit without interpreter teardown."""
    from genviral_mcp.process import exit_now, importing_quickly

    _stop_on_interrupt()
    if sys.stdin is not None and sys.stdin.isatty():
        from genviral_mcp.terminal import relay_terminal_stdin

        print(TTY_NOTICE, file=sys.stderr, flush=True)
        relay_terminal_stdin()  # what is typed still reaches the transport; non-JSON also gets a hint
    log = logging.getLogger("genviral_mcp")
    with importing_quickly():  # the SDK's imports and our tool registration: allocation-heavy
        from genviral_mcp.server import build_server

        if demo:
            from genviral_mcp.demo import demo_server

            log.info("Demo mode: serving the built-in sample workspace; GENVIRAL_API_KEY is not used.")
            server = demo_server(clock)
        else:
            for note in settings.startup_notes():
                log.warning("%s", note)
            server = build_server(settings)
    server.run("stdio")
    exit_now(0)  # after a clean shutdown only: skips ~200 ms of interpreter teardown


def serve_http(settings: Settings, args: argparse.Namespace) -> None:
    from genviral_mcp.config import KEY_FILE_VARIABLE
    from genviral_mcp.http_app import HttpOptions, StartupRefused, serve_http

    log = logging.getLogger("genviral_mcp")
    for note in settings.key_notes():
        log.warning("%s", note)
    held_key_unread = settings.api_key is None and settings.key_variable == KEY_FILE_VARIABLE
    if settings.problem and not held_key_unread:  # a key file it cannot read stops it below instead
        log.warning("Configuration problem: %s Tool calls will say what to fix.", settings.problem)
    options = HttpOptions.from_env(
        os.environ, host=args.host, port=args.port, allowed_hosts=args.allowed_host
    )
    try:
        serve_http(settings, options, args.log_level)
    except StartupRefused as exc:
        sys.exit(f"genviral-mcp: {exc}")
