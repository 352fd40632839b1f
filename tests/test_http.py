"""``genviral-mcp --transport http``: real server processes, the SDK client over HTTP in both eras.

The servers run against the stand-in API on 127.0.0.1. The pass-through server runs at DEBUG so
that the last test can check that no key reached its log, access log included.
"""

from __future__ import annotations

import copy
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, MCPError

from genviral_mcp.demo.emulator import PLAN_OK, EmulatedResponse, PostsEmulator
from genviral_mcp.demo.sample_data import sample_posts

from support.common import KEY, NOW, SCRIPT, dumps, text_of
from support.hosting import JSONRPC_HEADERS, TOKEN, Served, connect_http, server_env, serving
from support.standin import StandInApi, respond

pytestmark = pytest.mark.anyio

LB_HOST = "lb.test"
MODES = ["auto", "legacy"]


@pytest.fixture(scope="module")
def open_server(standin_server: StandInApi) -> Iterator[Served]:
    """Pass-through mode (no held key), logging at DEBUG, also answering to the name ``lb.test``."""
    env = {"GENVIRAL_BASE_URL": standin_server.shared_base_url, "GENVIRAL_LOG_LEVEL": "DEBUG"}
    with serving(env, "--allowed-host", LB_HOST) as served:
        yield served


@pytest.fixture(scope="module")
def second_server(standin_server: StandInApi) -> Iterator[Served]:
    with serving({"GENVIRAL_BASE_URL": standin_server.shared_base_url}, "--allowed-host", LB_HOST) as served:
        yield served


@pytest.fixture(scope="module")
def held_server(standin_server: StandInApi) -> Iterator[Served]:
    env = {
        "GENVIRAL_BASE_URL": standin_server.shared_base_url,
        "GENVIRAL_API_KEY": KEY,
        "GENVIRAL_MCP_TOKEN": TOKEN,
        "GENVIRAL_LOG_LEVEL": "DEBUG",
    }
    with serving(env) as served:
        yield served


def strings(value: Any) -> set[str]:
    """Every string in a JSON document: facts to look for, whatever the result's shape."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*map(strings, value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*map(strings, value)) if value else set()
    return set()


def result_strings(result: Any) -> set[str]:
    assert not result.is_error, result.content
    return strings(result.structured_content) | {block.text for block in result.content}


# --- pass-through mode ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_tools_list_needs_no_key_and_a_call_without_one_says_how_to_send_it(
    open_server: Served, api: StandInApi, mode: str
) -> None:
    async with Client(open_server.url, mode=mode) as client:
        names = sorted(tool.name for tool in (await client.list_tools()).tools)
        result = await client.call_tool("list_posts", {"limit": 3})
    assert names == ["get_delivery_summary", "list_posts"]
    assert result.is_error
    text = text_of(result)
    assert "Authorization: Bearer" in text and '"headers"' in text and "mcp-remote" in text
    assert api.requests == [], "no request reaches Genviral without a key"


@pytest.mark.parametrize("mode", MODES)
async def test_pass_through_sends_the_callers_key_upstream(
    open_server: Served, api: StandInApi, mode: str
) -> None:
    async with connect_http(open_server.url, mode, bearer=KEY) as client:
        posts = await client.call_tool("list_posts", {"limit": 3, "status": "posted"})
        summary = await client.call_tool("get_delivery_summary", {"max_items": 50})
    assert "posted" in result_strings(posts)
    assert not summary.is_error
    assert {r.headers["authorization"] for r in api.all_requests} == {f"Bearer {KEY}"}
    # list_posts, then the summary's walks (posted takes 2 pages; 4 over every status, for the
    # sample's deleted and void posts).
    assert len(api.requests) == 1 + 7 + 4


async def test_a_key_genviral_refuses_is_an_error_result(open_server: Served, api: StandInApi) -> None:
    async with connect_http(open_server.url, "legacy", bearer="gva_live_nobody.wrong") as client:
        result = await client.call_tool("list_posts", {})
    assert result.is_error and "401" in text_of(result)


@dataclass
class Tenants(PostsEmulator):
    """Sixteen keys, each with its own posts; records how many requests overlapped."""

    by_key: dict[str, PostsEmulator] = field(default_factory=dict)
    delay: float = 0.2
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, query: Mapping[str, str], authorization: str | None) -> EmulatedResponse:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(self.delay)
        with self.lock:
            self.in_flight -= 1
        token = (authorization or "").removeprefix("Bearer ")
        tenant = self.by_key.get(token)
        return tenant.handle(query, authorization) if tenant else super().handle(query, authorization)


def tenant_posts(index: int) -> list[dict[str, Any]]:
    posts = copy.deepcopy(sample_posts(NOW, 4))
    for number, post in enumerate(posts):
        post["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"tenant-{index}/post-{number}"))
    return posts


async def test_sixteen_concurrent_clients_each_see_only_their_own_posts(
    open_server: Served, api: StandInApi
) -> None:
    keys = [f"gva_live_tenant{i:02d}.secret-{uuid.uuid4().hex}" for i in range(16)]
    data = {key: tenant_posts(i) for i, key in enumerate(keys)}
    tenants = Tenants([], {}, by_key={key: PostsEmulator(data[key], {key: PLAN_OK}) for key in keys})
    api.emulator = tenants
    every_id = {post["id"] for posts in data.values() for post in posts}
    seen: dict[str, set[str]] = {}

    async def one(i: int, key: str) -> None:
        mode = MODES[i % 2]  # both protocol eras at once
        async with connect_http(open_server.url, mode, bearer=key) as client:
            seen[key] = result_strings(await client.call_tool("list_posts", {"limit": 10}))

    async with anyio.create_task_group() as group:
        for i, key in enumerate(keys):
            group.start_soon(one, i, key)

    for key in keys:
        own = {post["id"] for post in data[key]}
        assert seen[key] & every_id == own, "each client sees all of its posts and no one else's"
    assert {r.headers["authorization"] for r in api.requests} == {f"Bearer {key}" for key in keys}
    assert tenants.most_in_flight > 1, "the calls really overlapped"


async def test_a_cookie_set_for_one_caller_never_rides_along_on_anothers_request(
    open_server: Served, api: StandInApi
) -> None:
    answer = api.emulator.handle({"limit": "2"}, f"Bearer {KEY}")
    api.script(respond(200, answer.body, set_cookie="session=for-caller-a; Path=/"))
    other = "gva_live_other.secret"
    api.emulator = PostsEmulator(api.emulator.posts, {KEY: PLAN_OK, other: PLAN_OK})
    async with connect_http(open_server.url, "legacy", bearer=KEY) as first:
        assert not (await first.call_tool("list_posts", {"limit": 1})).is_error
    async with connect_http(open_server.url, "legacy", bearer=other) as second:
        assert not (await second.call_tool("list_posts", {"limit": 1})).is_error
    assert [r.headers.get("cookie") for r in api.requests] == [None, None]


# --- held-key mode -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_held_key_mode_accepts_the_token_and_sends_only_the_held_key_upstream(
    held_server: Served, api: StandInApi, mode: str
) -> None:
    async with connect_http(held_server.url, mode, bearer=TOKEN) as client:
        result = await client.call_tool("list_posts", {"limit": 2})
    assert not result.is_error
    assert [r.headers["authorization"] for r in api.requests] == [f"Bearer {KEY}"]
    assert TOKEN not in dumps([r.headers for r in api.requests])


@pytest.mark.parametrize(
    "headers", [{}, {"authorization": "Bearer wrong-token"}, {"authorization": TOKEN}, {"authorization": KEY}]
)
def test_held_key_mode_answers_401_without_the_right_token(
    held_server: Served, headers: dict[str, str]
) -> None:
    response = httpx2.post(
        held_server.url,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={**JSONRPC_HEADERS, **headers},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert httpx2.get(f"{held_server.origin}/healthz").status_code == 200, "health checks need no token"


async def test_held_key_mode_sdk_client_with_a_wrong_token_fails(held_server: Served) -> None:
    with pytest.raises(Exception) as caught:  # the SDK wraps the 401 in task-group exception groups
        async with connect_http(held_server.url, "legacy", bearer="wrong") as client:
            await client.list_tools()
    assert any(isinstance(leaf, MCPError) for leaf in leaves(caught.value)), caught.value


def leaves(error: BaseException) -> list[BaseException]:
    inner = getattr(error, "exceptions", None)
    return [leaf for child in inner for leaf in leaves(child)] if inner else [error]


def test_held_key_on_a_public_address_without_a_token_refuses_to_start(standin_server: StandInApi) -> None:
    env = server_env(GENVIRAL_API_KEY=KEY, GENVIRAL_BASE_URL=standin_server.shared_base_url)
    done = subprocess.run(
        [str(SCRIPT), "--transport", "http", "--host", "0.0.0.0", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "refusing to serve on 0.0.0.0:1" in done.stderr and "GENVIRAL_MCP_TOKEN" in done.stderr
    assert KEY not in done.stderr + done.stdout and "Traceback" not in done.stderr


def test_a_held_key_file_that_cannot_be_read_refuses_to_start_and_says_only_that() -> None:
    env = server_env(GENVIRAL_API_KEY_FILE="/nonexistent/genviral-key", GENVIRAL_MCP_TOKEN="t" * 40)
    done = subprocess.run(
        [str(SCRIPT), "--transport", "http", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "GENVIRAL_API_KEY_FILE names '/nonexistent/genviral-key', which cannot be read" in done.stderr
    assert "Tool calls will say" not in done.stderr, "it does not start, so no tool call says anything"
    assert "Traceback" not in done.stderr


# --- safe defaults -------------------------------------------------------------------------------


def test_healthz(open_server: Served) -> None:
    response = httpx2.get(f"{open_server.origin}/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert httpx2.head(f"{open_server.origin}/healthz").status_code == 200
    probe = httpx2.get(f"{open_server.origin}/healthz", headers={"host": "10.0.0.7:8000"})
    assert probe.status_code == 200, "load balancers probe by IP: no Host check here"


@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT"])
def test_mcp_takes_post_only(open_server: Served, method: str) -> None:
    """Stateless: no GET stream to hold open, no session to DELETE."""
    response = httpx2.request(method, open_server.url, headers=JSONRPC_HEADERS, timeout=5.0)
    assert response.status_code == 405 and response.headers["allow"] == "POST"


def _post(served: Served, **headers: str) -> httpx2.Response:
    return httpx2.post(
        served.url,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={**JSONRPC_HEADERS, **headers},
    )


def test_host_and_origin_checks_refuse_dns_rebinding(open_server: Served) -> None:
    port = open_server.port
    assert _post(open_server).status_code == 200
    assert _post(open_server, host=f"localhost:{port}").status_code == 200
    assert _post(open_server, host=LB_HOST).status_code == 200, "--allowed-host adds a name"
    assert _post(open_server, origin=f"http://127.0.0.1:{port}").status_code == 200
    assert _post(open_server, host="evil.example").status_code == 421
    assert _post(open_server, host=f"evil.example:{port}").status_code == 421
    assert _post(open_server, host=f"127.0.0.1:{port + 1}").status_code == 421, "the port is checked"
    assert _post(open_server, origin="http://evil.example").status_code == 403
    assert _post(open_server, origin=f"http://evil.example:{port}").status_code == 403


def test_oversized_request_bodies_are_refused(open_server: Served) -> None:
    padding = "x" * 100_000
    big = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": {"padding": padding}}}
    response = httpx2.post(open_server.url, json=big, headers=JSONRPC_HEADERS)
    assert response.status_code == 413
    assert _post(open_server).status_code == 200


def test_sigterm_lets_a_call_in_flight_finish(api: StandInApi) -> None:
    """A replica taken out of rotation stops accepting but answers what it already took."""
    api.latency = 0.5
    with serving({"GENVIRAL_BASE_URL": api.base_url}) as served:
        call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_posts"}}
        answer: list[httpx2.Response] = []
        headers = {**JSONRPC_HEADERS, "authorization": f"Bearer {KEY}"}
        sender = threading.Thread(
            target=lambda: answer.append(httpx2.post(served.url, json=call, headers=headers, timeout=30))
        )
        sender.start()
        deadline = time.monotonic() + 10
        while not api.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        served.process.terminate()
        sender.join(30)
        served.process.wait(30)
    assert answer and answer[0].status_code == 200
    assert answer[0].json()["result"].get("isError") is not True


# --- no session state: one client, two server processes -------------------------------------------


class RoundRobin(httpx2.AsyncBaseTransport):
    """A toy load balancer: each request goes to the next port, keeping the Host the client used."""

    def __init__(self, ports: list[int]) -> None:
        self._ports = ports
        self._inner = httpx2.AsyncHTTPTransport()
        self.sent: list[int] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = self._ports[len(self.sent) % len(self._ports)]
        self.sent.append(port)
        request.url = request.url.copy_with(host="127.0.0.1", port=port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.mark.parametrize("mode", MODES)
async def test_consecutive_requests_alternating_between_two_servers_just_work(
    open_server: Served, second_server: Served, api: StandInApi, mode: str
) -> None:
    balancer = RoundRobin([open_server.port, second_server.port])
    async with connect_http(f"http://{LB_HOST}/mcp", mode, bearer=KEY, transport=balancer) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        first = await client.call_tool("list_posts", {"limit": 2})
        second = await client.call_tool("list_posts", {"limit": 2, "status": "failed"})
        summary = await client.call_tool("get_delivery_summary", {})
    assert names == {"list_posts", "get_delivery_summary"}
    assert not first.is_error and not second.is_error and not summary.is_error
    assert "failed" in result_strings(second)
    assert balancer.sent.count(open_server.port) >= 2 and balancer.sent.count(second_server.port) >= 2


# --- keys stay out of logs (keep last: it reads everything the servers logged) ---------------------


async def test_no_key_or_token_in_server_logs(open_server: Served, held_server: Served) -> None:
    async with connect_http(open_server.url, "auto", bearer=KEY) as client:
        assert (await client.call_tool("list_posts", {"limit": 1})).is_error is False
    async with connect_http(held_server.url, "legacy", bearer=TOKEN) as client:
        assert (await client.call_tool("list_posts", {"limit": 1})).is_error is False
    await anyio.sleep(0.3)  # let the access-log lines land
    for served in (open_server, held_server):
        log = served.stderr()
        assert '"POST /mcp HTTP/1.1" 200' in log and "DEBUG" in log, "the log really was verbose"
        for secret in (KEY, KEY.rpartition(".")[2], TOKEN):
            assert secret not in log
