"""The start-up and exit shortcuts are safe: nothing is lost, the exit code tells the truth.

The spawned servers run without ``PYTHONUNBUFFERED``, as a host starts them, so buffered output
really is buffered.
"""

from __future__ import annotations

import gc
import json
import os
import select
import subprocess
import sys
from typing import Any

import pytest

from support.common import KEY, SCRIPT
from support.standin import StandInApi

if sys.platform != "win32":
    import fcntl

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes, select and /bin/sh")

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "0"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def _env(api: StandInApi, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "GENVIRAL_API_KEY": KEY,
        "GENVIRAL_BASE_URL": api.base_url,
        **extra,
    }


def _spawn(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )


def _send(proc: subprocess.Popen[bytes], *messages: dict[str, Any]) -> None:
    assert proc.stdin is not None
    proc.stdin.write(b"".join(json.dumps(message).encode() + b"\n" for message in messages))
    proc.stdin.flush()


def _initialize(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdout is not None
    _send(proc, INITIALIZE)
    assert json.loads(proc.stdout.readline())["id"] == 1
    _send(proc, INITIALIZED)


def _list_posts(request_id: int, limit: int) -> dict[str, Any]:
    params = {"name": "list_posts", "arguments": {"limit": limit}}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def test_a_reply_still_being_written_at_eof_arrives_whole(api: StandInApi) -> None:
    """The reply overflows the pipe, so the server is mid-write when stdin closes and must finish first."""
    proc = _spawn(_env(api, GENVIRAL_LOG_LEVEL="DEBUG"))
    assert proc.stdout is not None
    pipe_size = 65536
    if hasattr(fcntl, "F_SETPIPE_SZ"):  # Linux: shrink the pipe so that any real reply overflows it
        pipe_size = fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, 4096)
    _initialize(proc)
    _send(proc, _list_posts(2, 100))
    assert select.select([proc.stdout], [], [], 20)[0], "no reply"  # now writing: blocked on the pipe
    out, err = proc.communicate(timeout=30)  # closes stdin, then reads everything
    assert out.endswith(b"\n") and len(out) > pipe_size
    replies = {message["id"]: message for message in map(json.loads, out.splitlines())}
    assert set(replies) == {2} and not replies[2]["result"].get("isError")
    assert proc.returncode == 0
    log = err.decode()
    # The lifespan closed the HTTP client before exit, and that last log line was flushed.
    assert "close.complete" in log  # httpcore2.connection, at DEBUG
    assert KEY not in log and "SECRET-canary" not in log


def test_a_reply_written_after_eof_is_delivered(api: StandInApi) -> None:
    """A call still waiting on the API when stdin closes gets its answer on the wire, then exit 0."""
    api.latency = 0.3
    proc = _spawn(_env(api))
    _initialize(proc)
    _send(proc, _list_posts(2, 5))
    out, _ = proc.communicate(timeout=30)
    replies = {message["id"]: message for message in map(json.loads, out.splitlines())}
    assert set(replies) == {2}
    assert proc.returncode == 0


def test_a_crash_still_exits_non_zero() -> None:
    """No stdin at all makes the SDK's transport raise: the shortcut must not turn that into 0."""
    done = subprocess.run(
        [str(SCRIPT)], stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=False
    )
    assert done.returncode == 0  # EOF at once is a normal, clean shutdown
    crash = subprocess.run(
        ["/bin/sh", "-c", f'exec "{SCRIPT}" <&-'], capture_output=True, text=True, timeout=30, check=False
    )
    assert crash.returncode != 0
    assert "Traceback" in crash.stderr


EXIT_NOW = """
import atexit, logging, sys
from genviral_mcp.process import exit_now
logging.basicConfig(stream=sys.stderr)
atexit.register(lambda: sys.stderr.write("atexit ran\\n"))
sys.stdout.write("buffered, never flushed")
logging.getLogger("t").warning("last log line")
exit_now(int(sys.argv[1]))
"""


def test_exit_now_does_what_a_normal_exit_does_first() -> None:
    done = subprocess.run(
        [sys.executable, "-c", EXIT_NOW, "3"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert done.stdout == "buffered, never flushed"
    assert "last log line" in done.stderr and "atexit ran" in done.stderr
    assert done.returncode == 3


def test_exit_now_reports_output_it_could_not_flush() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(0.5)\n" + EXIT_NOW, "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone: flushing stdout fails with a broken pipe
    assert proc.wait(30) == 120  # what CPython itself returns when it cannot flush at exit


def test_importing_quickly_restores_the_collector() -> None:
    from genviral_mcp.process import importing_quickly

    assert gc.isenabled()
    try:
        with importing_quickly():
            assert not gc.isenabled()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


IMPORTS = """
import json, sys
from genviral_mcp.cli import main
try:
    main(["--version"])
except SystemExit:
    pass
after_version = sorted(name for name in sys.modules if name.split(".")[0] in ("mcp", "httpx2", "pydantic"))
import genviral_mcp.server
ours = sorted(name for name in sys.modules if name.startswith("genviral_mcp"))
print(json.dumps([after_version, ours]))
"""


def test_start_up_imports_only_what_serving_needs() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORTS], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout.startswith("genviral-mcp ")
    after_version, ours = json.loads(done.stdout.splitlines()[-1])
    assert after_version == [], "--version must not import the SDK"
    assert "genviral_mcp.server" in ours
    for unneeded in ("demo", "demo.emulator", "demo.sample_data"):  # --demo and tests only
        assert f"genviral_mcp.{unneeded}" not in ours, "the server must not import the demo"
    for call_path in ("client", "models", "paging", "shaping"):  # plain imports: ~1 % of a cold start
        assert f"genviral_mcp.{call_path}" in ours
