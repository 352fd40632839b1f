"""The stdio server run by hand in a terminal: what it says to the person typing.

A host talks JSON-RPC on stdin; a person who starts ``genviral-mcp`` in a terminal and types ``help``
got no answer at all. :func:`relay_terminal_stdin` puts a pipe between the terminal and the
transport: every line passes through unchanged (the transport still sees exactly what was typed),
and a line that is not JSON-RPC also gets one line on stderr saying what this server is and how to
try it. Stdout stays the JSON-RPC wire, untouched. Only the public stdio transport is used: the pipe
is simply fd 0.
"""

from __future__ import annotations

import json
import os
import threading
import time

TTY_HINT = (
    "genviral-mcp: that line is not MCP (JSON-RPC). This is an MCP server for a host such as Claude "
    "Desktop, Claude Code, OpenClaw or Cursor, which starts it and talks to it. To try it from a "
    "terminal: `genviral-mcp check --demo`. Ctrl-C stops it."
)
#: A paste of many lines gets one hint, not one per line.
HINT_EVERY_SECONDS = 3.0


def looks_like_json_rpc(line: bytes) -> bool:
    """A JSON-RPC message (or a batch of them); a blank line counts as nothing to answer."""
    text = line.strip()
    if not text:
        return True
    try:
        value = json.loads(text)
    except ValueError:
        return False
    messages = value if isinstance(value, list) and value else [value]
    return all(isinstance(message, dict) and "jsonrpc" in message for message in messages)


def relay_terminal_stdin(hint_fd: int = 2) -> threading.Thread:
    """Put a pipe in front of the terminal on fd 0, relayed line by line by a daemon thread."""
    terminal = os.dup(0)
    read_end, write_end = os.pipe()
    os.dup2(read_end, 0)
    os.close(read_end)
    relay = threading.Thread(
        target=_relay, args=(terminal, write_end, hint_fd), name="genviral-mcp terminal", daemon=True
    )
    relay.start()
    return relay


def _relay(source: int, sink: int, hint_fd: int) -> None:
    """Copy ``source`` to ``sink`` until EOF (Ctrl-D), hinting on stderr at lines that are not JSON-RPC."""
    hinted_at = -HINT_EVERY_SECONDS
    pending = b""
    try:
        while chunk := os.read(source, 65536):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if not looks_like_json_rpc(line) and time.monotonic() - hinted_at >= HINT_EVERY_SECONDS:
                    hinted_at = time.monotonic()
                    _write_all(hint_fd, TTY_HINT.encode() + b"\n")
                _write_all(sink, line + b"\n")
        if pending:
            _write_all(sink, pending)
    except OSError:  # the transport closed its end, or the terminal went away: nothing left to relay
        pass
    finally:
        os.close(sink)
        os.close(source)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
