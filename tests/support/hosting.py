"""Run the installed ``genviral-mcp --transport http`` as a real process on a free 127.0.0.1 port."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from support.common import SCRIPT, free_port

#: A token that must never reach Genviral or a log.
TOKEN = "mcp-token-0123456789abcdef-canary"
JSONRPC_HEADERS = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25"}


def server_env(**env: str) -> dict[str, str]:
    """Only what the test names: a developer's own GENVIRAL_API_KEY must not leak in."""
    passed = {name: os.environ[name] for name in ("PYTHONPATH",) if name in os.environ}  # to test other code
    return {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/"), **passed, **env}


@dataclass
class Served:
    port: int
    process: subprocess.Popen[bytes]
    stderr_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def _wait_ready(served: Served, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise RuntimeError(f"server exited with {served.process.returncode}:\n{served.stderr()}")
        try:
            if httpx2.get(f"{served.origin}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not answer /healthz within {timeout} s:\n{served.stderr()}")


def _limit_files(files: int) -> Callable[[], None]:
    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))

    return limit


@contextmanager
def serving(env: dict[str, str], *args: str, file_limit: int | None = None) -> Iterator[Served]:
    """The server on a free port, its stderr kept in a file; stopped (SIGTERM) afterwards.

    ``file_limit`` sets the process's open-file limit, soft and hard, so that it cannot raise it."""
    port = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        stderr_path = Path(scratch) / "stderr.log"
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                [str(SCRIPT), "--transport", "http", "--port", str(port), *args],
                env=server_env(**env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                preexec_fn=_limit_files(file_limit) if file_limit else None,
            )
        served = Served(port, process, stderr_path)
        try:
            _wait_ready(served)
            yield served
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@asynccontextmanager
async def connect_http(
    url: str,
    mode: str,
    *,
    bearer: str | None = None,
    transport: httpx2.AsyncBaseTransport | None = None,
) -> AsyncIterator[Client]:
    """The SDK client over streamable HTTP, sending ``Authorization: Bearer`` when given."""
    headers = {"authorization": f"Bearer {bearer}"} if bearer else {}
    async with (
        httpx2.AsyncClient(headers=headers, transport=transport, timeout=30.0) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode) as client,
    ):
        yield client
