"""Hosted mode under heavy tenants (issue 17): one tenant's failures never spend another's retries.

Retry budgets are per key, with a larger global one that protects Genviral.
"""

from __future__ import annotations

from typing import Any

import pytest

from genviral_mcp.client import PostsClient, RetryBudgets, build_http_client
from genviral_mcp.config import ApiKey, Settings
from genviral_mcp.demo.emulator import PLAN_OK
from genviral_mcp.errors import UpstreamError
from genviral_mcp.query import PostsQuery

from support.common import FAST_RETRY
from support.heavy import Refusing, Tenants
from support.standin import StandInApi

pytestmark = pytest.mark.anyio

TENANT_A = "gva_live_tenantA0001.SECRET-heavy-tenant-a"
TENANT_B = "gva_live_tenantB0002.SECRET-light-tenant-b"


@pytest.fixture
def mode() -> str:
    return "auto"


# --- retry budgets per key -----------------------------------------------------------------------


def _requests_of(api: StandInApi, key: str) -> int:
    return sum(1 for request in api.requests if request.headers.get("authorization") == f"Bearer {key}")


async def test_one_keys_429s_never_spend_another_keys_retries(
    api: StandInApi, sample: list[dict[str, Any]]
) -> None:
    """Tenant A's key always gets 429 (8 calls, retried until its own budget stops them); tenant B's
    first attempts then get a 503, and its retries still happen: B's 3 calls all succeed. On one
    shared budget, A left too few tokens and B's calls failed on the 503."""
    keys = {TENANT_A: PLAN_OK, TENANT_B: PLAN_OK}
    api.emulator = Tenants(
        sample,
        keys,
        by_key={
            TENANT_A: Refusing(sample, keys, statuses=(429,)),
            TENANT_B: Refusing(sample, keys, statuses=(503, 200)),
        },
    )
    settings = Settings.from_env({"GENVIRAL_BASE_URL": api.base_url})
    async with build_http_client(settings) as http:
        client = PostsClient(http, settings, FAST_RETRY)
        for _ in range(8):
            with pytest.raises(UpstreamError, match="HTTP 429"):
                await client.fetch(PostsQuery(limit=1), ApiKey(TENANT_A))
        for _ in range(3):
            data = await client.fetch(PostsQuery(limit=1), ApiKey(TENANT_B))
            assert data.posts
    assert _requests_of(api, TENANT_A) > 8, "A's own calls were retried while its own budget lasted"
    assert _requests_of(api, TENANT_B) == 6, "each of B's calls: a 503, then a retry that succeeded"


def test_a_keys_failures_spend_the_global_budget_only_while_it_may_retry() -> None:
    """One tenant failing without end cannot exhaust the global budget; several at once can (that
    is Genviral failing, and the global budget's job is to stop retries then)."""
    budgets = RetryBudgets()
    alone = b"a" * 32
    for _ in range(1000):
        budgets.failed(alone, 503)
    assert not budgets.allows_retry(alone), "its own retries stopped"
    assert budgets.allows_retry(b"b" * 32), "and everyone else's did not"
    for key in range(10):
        for _ in range(10):
            budgets.failed(bytes([key]) * 32, 503)
    assert not budgets.allows_retry(b"c" * 32), "ten keys failing at once stop retries for all"
    for _ in range(1000):
        budgets.succeeded(b"c" * 32)
    assert budgets.allows_retry(b"c" * 32), "and successes bring them back"


def test_429s_never_touch_the_global_budget() -> None:
    budgets = RetryBudgets()
    for key in range(100):
        for _ in range(20):
            budgets.failed(bytes([key]) * 32, 429)
    assert budgets.shared.tokens == budgets.shared.max_tokens
    assert budgets.allows_retry(b"x" * 32)


def test_rotating_keys_cannot_grow_the_per_key_state() -> None:
    budgets = RetryBudgets(max_keys=64)
    for number in range(10_000):
        digest = number.to_bytes(32, "big")
        budgets.failed(digest, 503)
        budgets.allows_retry(digest)
    assert budgets.keys == 64


async def test_a_failing_upstream_still_sees_few_extra_requests_from_many_keys(api: StandInApi) -> None:
    """The global budget still protects Genviral: 10 keys, 20 calls each, every answer a 503."""
    keys = {f"gva_live_k{n:02d}.secret-{n}": PLAN_OK for n in range(10)}
    api.emulator = Tenants([], keys, by_key={key: Refusing([], keys, statuses=(503,)) for key in keys})
    settings = Settings.from_env({"GENVIRAL_BASE_URL": api.base_url})
    async with build_http_client(settings) as http:
        client = PostsClient(http, settings, FAST_RETRY)
        for _ in range(20):
            for key in keys:
                with pytest.raises(UpstreamError, match="HTTP 503"):
                    await client.fetch(PostsQuery(limit=1), ApiKey(key))
    assert len(api.requests) <= 1.3 * 200, len(api.requests)
