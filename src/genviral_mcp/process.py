"""Start-up and exit shortcuts for the stdio entry point, each measured in ``benchmarks/bench.py``.

A desktop host starts every configured server at launch and restarts them often, so start-up
and exit are felt. Almost all of start-up is importing the SDK (about 580 modules), and most of
exit is the interpreter tearing those modules down again. Two safe shortcuts:

* :func:`importing_quickly`: no cyclic garbage collection while importing (the collector would
  walk the ever-growing heap of new classes again and again and find nothing to free), then
  ``gc.freeze()`` so later collections skip the import-time objects;
* :func:`exit_now`: after a *clean* shutdown, end the process without tearing the heap down.
  Everything a normal exit would still do is done first: ``atexit`` callbacks (which include
  ``logging.shutdown``, flushing the log handlers) and flushing stdout and stderr.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

#: The exit code CPython uses when flushing stdout or stderr fails at exit.
FLUSH_FAILED = 120


@contextmanager
def importing_quickly() -> Iterator[None]:
    """Run the heavy imports with the cyclic GC off, then freeze what they created."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.freeze()


def exit_now(code: int = 0) -> NoReturn:
    """End the process at once, after doing what a normal exit does before its teardown.

    Call it only once the server has shut down cleanly: ``MCPServer.run`` returns after its
    lifespan has exited (so the HTTP client is closed) and the stdio transport has written its
    last message. No other thread is left running at that point.
    """
    atexit._run_exitfuncs()  # logging.shutdown() among them: log handlers flushed and closed
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed or broken pipe: report it the way CPython would
            code = code or FLUSH_FAILED
    os._exit(code)
