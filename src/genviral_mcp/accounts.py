"""Account labels: each account named the same way in every result, in words a person knows.

The Posts API names accounts only by UUID. ``GET /accounts`` (known only from Genviral's CLI, so
an enrichment) gives platform and username, and a label becomes ``tiktok @luna.bakes``. Without
it a label is the id's first eight hex digits, ``account 0f4f54d4``; the full id is always in the
result's legend. Labels are derived from the account list alone (sorted by id, so a name clash
resolves the same way every time): the same list gives the same labels after a restart. Within a
process a named label, once given, is kept even if the list later changes or stops answering.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import anyio

from genviral_mcp.client import PostsClient
from genviral_mcp.config import ApiKey
from genviral_mcp.models import Account
from genviral_mcp.sanitize import clean_text

#: How long an account list is trusted before it is asked for again.
CACHE_SECONDS = 300.0
#: After a failed fetch, how long to wait before asking again (the previous list, if any, stays).
RETRY_AFTER_FAILURE_SECONDS = 60.0
#: Key scopes remembered at once (a hosted server sees many keys); the oldest is forgotten first.
MAX_SCOPES = 256
#: Connection statuses that mean "fine". Genviral does not document the values: any other
#: non-empty status is shown as a problem, verbatim.
HEALTHY_CONNECTIONS = frozenset({"connected", "active", "ok", "healthy", "valid", "enabled"})
NAME_CHARS = 40

T = TypeVar("T")


def id_label(account_id: str) -> str:
    short = clean_text(account_id.replace("-", "")[:8], 8)
    return f"account {short}"


def _named(account: Account) -> str | None:
    platform = clean_text(account.platform or "", 20).lower() or "account"
    if account.username:
        return f"{platform} @{clean_text(account.username.lstrip('@'), NAME_CHARS)}"
    if account.display_name:
        return f"{platform} {clean_text(account.display_name, NAME_CHARS)}"
    return None


def connection_problem(account: Account | None) -> str | None:
    """The account's status when it is not a healthy one, cleaned; ``None`` when fine or unknown."""
    if account is None or not account.status:
        return None
    status = clean_text(account.status, 40)
    return None if status.lower() in HEALTHY_CONNECTIONS else status


@dataclass
class ScopeAccounts:
    """One key scope's accounts and the labels given to them in this process."""

    by_id: dict[str, Account] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    #: When to ask for the list again (monotonic seconds); ``None`` before the first ask.
    due: float | None = None

    def update(self, accounts: list[Account]) -> None:
        self.by_id = {account.id: account for account in accounts}
        taken = set(self.labels.values())
        for account in sorted(accounts, key=lambda item: item.id):
            if account.id in self.labels:
                continue
            name = _named(account)
            if name is None:
                continue
            if name in taken:
                name = f"{name} ({id_label(account.id).removeprefix('account ')})"
            self.labels[account.id] = name
            taken.add(name)


class AccountLabels:
    """The labels one result uses, and its legend (label → id) of exactly those it used."""

    def __init__(self, scope: ScopeAccounts | None = None) -> None:
        self._scope = scope or ScopeAccounts()
        self._used: dict[str, str] = {}

    def __call__(self, account_id: str) -> str:
        label = self._scope.labels.get(account_id) or id_label(account_id)
        self._used[label] = account_id
        return label

    def account(self, account_id: str) -> Account | None:
        return self._scope.by_id.get(account_id)

    def known_ids(self) -> list[str]:
        return list(self._scope.by_id)

    def legend(self) -> dict[str, str]:
        """Label -> account id; the ids come from Genviral, so they are cleaned and capped."""
        return {label: clean_text(account_id, 80) for label, account_id in sorted(self._used.items())}


@dataclass
class AccountDirectory:
    """The account list of each key scope, fetched at most every :data:`CACHE_SECONDS`.

    Scopes are keyed by a SHA-256 digest of the key, so no key is held here.
    """

    clock: Callable[[], float] = time.monotonic
    _scopes: OrderedDict[str, ScopeAccounts] = field(default_factory=OrderedDict)

    def _scope(self, key: ApiKey) -> ScopeAccounts:
        digest = hashlib.sha256(key.reveal().encode()).hexdigest()
        scope = self._scopes.pop(digest, None) or ScopeAccounts()
        self._scopes[digest] = scope
        while len(self._scopes) > MAX_SCOPES:
            self._scopes.popitem(last=False)
        return scope

    async def labels(self, client: PostsClient, key: ApiKey) -> AccountLabels:
        """Labels for one result, refreshing the list when it is older than the cache allows.

        A failed refresh keeps the previous list; a failure is never the caller's problem.
        """
        scope = self._scope(key)
        now = self.clock()
        if scope.due is None or now >= scope.due:
            accounts = await client.fetch_accounts(key)
            if accounts is None:
                scope.due = now + RETRY_AFTER_FAILURE_SECONDS
            else:
                scope.due = now + CACHE_SECONDS
                scope.update(accounts)
        return AccountLabels(scope)

    async def alongside(
        self, client: PostsClient, key: ApiKey, work: Callable[[], Awaitable[T]]
    ) -> tuple[T, AccountLabels]:
        """Run ``work`` and the label lookup at once, so the names cost no extra wait.

        ``work``'s own exception is raised as it is (the lookup never raises).
        """
        found: list[AccountLabels] = []

        async def lookup() -> None:
            found.append(await self.labels(client, key))

        failure: Exception | None = None
        async with anyio.create_task_group() as group:
            group.start_soon(lookup)
            try:
                result = await work()
            except Exception as exc:
                failure = exc
                group.cancel_scope.cancel()
        if failure is not None:
            raise failure
        return result, found[0]
