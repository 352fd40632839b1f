"""Account labels and conditions: each account named the same way in every result, in words a person
knows, and said to be inactive only when Genviral's own account list says so.

The Posts API names accounts only by UUID. ``GET /accounts`` (an enrichment) lists the key scope's
**active** accounts with their platform and username, and a label becomes ``tiktok @luna.bakes``.
An account it does not list is not active in Genviral (disconnected, paused, revoked or removed),
yet old deliveries still point at it: such an account is named from a published URL that carries
its handle (``https://www.tiktok.com/@luna.bakes/video/…`` gives ``tiktok @luna.bakes``), or else by
the id's first eight hex digits, ``account 0f4f54d4`` (the whole id when another account in scope
shares those eight). The full id is always in the result's legend.

Labels are unique by construction: no label ever stands for two account ids. They are given from
the account list in id order (so the same list gives the same labels after a restart) and, within a
process, a name once given is kept, even if the list later changes or stops answering; an id label
gives way to a name as soon as one is known.

The list is fetched in the background, one fetch in flight per key scope, shared by every caller
(see :class:`AccountDirectory`); a call never waits for it more than :data:`ENRICHMENT_WAIT_SECONDS`
once its own posts are in.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeVar

import anyio
from anyio.abc import TaskGroup

from genviral_mcp.client import PostsClient
from genviral_mcp.config import ApiKey
from genviral_mcp.enrichment import ENRICHMENT_WAIT_SECONDS as ENRICHMENT_WAIT_SECONDS
from genviral_mcp.enrichment import Background, FetchFailed, Flight, Refresh
from genviral_mcp.models import Account, Brief, Post
from genviral_mcp.sanitize import clean_text

logger = logging.getLogger(__name__)

#: How long an account list is trusted for names before it is asked for again.
CACHE_SECONDS = 300.0
#: After a failed fetch, how long to wait before asking again (the previous list, if any, stays).
RETRY_AFTER_FAILURE_SECONDS = 60.0
#: Key scopes remembered at once (a hosted server sees many keys); the oldest is forgotten first.
MAX_SCOPES = 256
#: Account ids one scope remembers labels for. Past it (a hostile upstream inventing ids), a new
#: id gets its whole-id label, unique without being remembered.
MAX_LABELS = 10_000
#: Connection statuses that mean "fine" (Genviral documents ``active``; ``connected`` and the rest
#: are spellings seen elsewhere). Any other non-empty status is shown as a problem, verbatim.
HEALTHY_CONNECTIONS = frozenset({"connected", "active", "ok", "healthy", "valid", "enabled"})
NAME_CHARS = 40
ID_CHARS = 80

#: How a missing account's condition reads, in ``accounts`` and in ``needs_attention``.
NOT_LISTED = (
    "not active: missing from Genviral's list of active accounts (disconnected, paused, revoked or removed)"
)
#: What a result says when the names were still on their way.
NAMES_PENDING = (
    "Account names were not available yet (Genviral's account list is slow to answer): accounts are "
    "shown by id. A later call has them."
)
ACTIVITY_UNKNOWN = (
    "Whether an account whose connection is unknown is active in Genviral could not be checked: its "
    "account list did not answer in time."
)

#: Published URLs that carry the account's handle: ``(platform, pattern)``, the handle in group 1.
_HANDLE_URLS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("tiktok", re.compile(r"https?://(?:www\.|m\.)?tiktok\.com/@([A-Za-z0-9._]{2,40})(?:[/?#]|$)", re.I)),
    (
        "instagram",
        re.compile(r"https?://(?:www\.)?instagram\.com/([A-Za-z0-9._]{1,30})/(?:p|reel|reels|tv)/", re.I),
    ),
    (
        "facebook",
        re.compile(
            r"https?://(?:www\.|m\.|web\.)?facebook\.com/([A-Za-z0-9.]{5,50})/(?:posts|videos|photos)/", re.I
        ),
    ),
)
#: First path segments that are a site's own pages, never an account's handle.
_NOT_HANDLES = frozenset(
    {"p", "reel", "reels", "tv", "explore", "stories", "watch", "groups", "pages", "share"}
)

T = TypeVar("T")


class Activity(Enum):
    """What Genviral's account list says about one account, for one result."""

    ACTIVE = "active"
    #: Absent from a list fetched after the call began: not active in Genviral.
    NOT_LISTED = "not listed"
    #: Listed with a status that is not a healthy one (``paused``, ``disconnected``, …).
    UNHEALTHY = "unhealthy"
    #: No list, or only one older than the call that a refresh could not replace: never guessed.
    UNKNOWN = "unknown"


def _prefix(account_id: str) -> str:
    return account_id.replace("-", "")[:8].lower()


def id_label(account_id: str, whole: bool = False) -> str:
    """``account 0f4f54d4``; with ``whole``, the whole id (when another account shares its start)."""
    if whole:
        return f"account {clean_text(account_id, ID_CHARS)}"
    return f"account {clean_text(account_id.replace('-', '')[:8], 8)}"


def _named(account: Account) -> str | None:
    platform = clean_text(account.platform or "", 20).lower() or "account"
    if account.username:
        username = clean_text(account.username.lstrip("@"), NAME_CHARS)
        if username:
            return f"{platform} @{username}"
    if account.display_name:
        name = clean_text(account.display_name, NAME_CHARS)
        if name:
            return f"{platform} {name}"
    return None


def handle_label(url: str | None) -> str | None:
    """``tiktok @handle`` from a published URL that names the account, else ``None``."""
    if not url:
        return None
    for platform, pattern in _HANDLE_URLS:
        match = pattern.match(url.strip())
        if match is not None:
            handle = match.group(1)
            if handle.lower() in _NOT_HANDLES or handle.isdigit():
                return None
            return f"{platform} @{handle}"
    return None


def is_healthy(account: Account) -> bool:
    """Listed, with no status or a healthy one (the list holds only active accounts)."""
    return not account.status or clean_text(account.status, 40).lower() in HEALTHY_CONNECTIONS


def connection_problem(account: Account | None) -> str | None:
    """The account's status when it is not a healthy one, cleaned; ``None`` when fine or unknown."""
    if account is None or is_healthy(account):
        return None
    return clean_text(account.status or "", 40)


@dataclass
class AccountLabels:
    """One result's view of the accounts: plain values, copied from the directory when the result
    is built, so it can be read anywhere (a worker thread included) without reaching back.

    ``names`` maps account id to label (unique by construction); ``accounts`` is the account list
    as last fetched (empty when unavailable); ``activity`` holds what the list says of each account
    judged for this result. The legend (label → id) records exactly the labels the result used.
    """

    names: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    activity: dict[str, Activity] = field(default_factory=dict)
    #: True when the account list was still on its way: the labels are ids, for now.
    names_pending: bool = False
    _used: dict[str, str] = field(default_factory=dict)

    def __call__(self, account_id: str) -> str:
        label = self.names.get(account_id) or id_label(account_id, whole=True)
        owner = self._used.setdefault(label, account_id)
        if owner != account_id:  # two hostile ids that clean to the same text: still two labels
            label = f"{label} #{len(self._used) + 1}"
            self._used[label] = account_id
        return label

    def account(self, account_id: str) -> Account | None:
        return self.accounts.get(account_id)

    def known_ids(self) -> list[str]:
        return list(self.accounts)

    def state(self, account_id: str) -> Activity:
        return self.activity.get(account_id, Activity.UNKNOWN)

    def inactive(self, account_id: str) -> str | None:
        """Why the account cannot take deliveries, when Genviral's list says so; else ``None``."""
        state = self.state(account_id)
        if state is Activity.NOT_LISTED:
            return NOT_LISTED
        if state is Activity.UNHEALTHY:
            return f"not active: Genviral says {connection_problem(self.account(account_id))}"
        return None

    def connection(self, account_id: str) -> str | None:
        """The account's connection as a summary shows it: only what is not plain "active" (the
        status of every account Genviral lists), so ``None`` for a healthy one."""
        state = self.state(account_id)
        if state is Activity.NOT_LISTED:
            return "not active (missing from Genviral's account list)"
        if state is Activity.UNKNOWN:
            return "unknown"
        return connection_problem(self.account(account_id))

    def legend(self) -> dict[str, str]:
        """Label -> account id; the ids come from Genviral, so they are cleaned and capped."""
        return {label: clean_text(account_id, ID_CHARS) for label, account_id in sorted(self._used.items())}

    def snapshot(self) -> AccountLabels:
        """A copy of every field for a worker thread (or another attempt at the same result): no
        later change to this one, from the event loop or another result's labelling, reaches it."""
        return AccountLabels(
            names=dict(self.names),
            accounts=dict(self.accounts),
            activity=dict(self.activity),
            names_pending=self.names_pending,
            _used=dict(self._used),
        )


@dataclass
class ScopeAccounts(Refresh):
    """One key scope's account list and the labels given to its accounts in this process (and,
    as a :class:`~genviral_mcp.enrichment.Refresh`, when to ask for the list again)."""

    #: The last list fetched, by id; ``None`` before any fetch succeeded.
    listed: dict[str, Account] | None = None
    #: When the fetch that brought ``listed`` was sent (the clock of the directory).
    listed_at: float = -math.inf
    #: Account id -> label given in this process; ``owners`` is the reverse (labels are unique).
    labels: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    #: Ids whose label is a name (kept for the process); the others have an id label, until named.
    named: set[str] = field(default_factory=set)
    #: 8-hex prefix -> the ids known in this scope that start with it (``known`` in all).
    prefixes: dict[str, set[str]] = field(default_factory=dict)
    known: int = 0
    #: Ids the last summary found missing from the list or listed as unhealthy: a later summary
    #: asks for a fresh list at once, so it can say so again without waiting.
    suspects: set[str] = field(default_factory=set)

    # --- labels -----------------------------------------------------------------------------

    def _free(self, label: str, account_id: str) -> bool:
        return self.owners.get(label, account_id) == account_id

    def _unique(self, label: str, account_id: str) -> str:
        """``label``, or failing that the first free of ``label (0f4f54d4)``, ``label (<whole id>)``, …"""
        whole = f"{label} ({clean_text(account_id, ID_CHARS)})"
        for candidate in (label, f"{label} ({clean_text(_prefix(account_id), 8)})", whole):
            if self._free(candidate, account_id):
                return candidate
        number = 2
        while not self._free(f"{whole} #{number}", account_id):
            number += 1
        return f"{whole} #{number}"

    def _give(self, account_id: str, label: str, named: bool) -> None:
        old = self.labels.get(account_id)
        if old is not None and self.owners.get(old) == account_id:
            del self.owners[old]
        self.labels[account_id] = label
        self.owners[label] = account_id
        if named:
            self.named.add(account_id)

    def _know(self, account_id: str) -> None:
        if self.known < MAX_LABELS and account_id not in self.prefixes.get(_prefix(account_id), ()):
            self.prefixes.setdefault(_prefix(account_id), set()).add(account_id)
            self.known += 1

    def label(self, account_id: str) -> str:
        """The label given to ``account_id``, or (past :data:`MAX_LABELS`) its whole-id label."""
        return self.labels.get(account_id) or id_label(account_id, whole=True)

    def _name_all(self, names: dict[str, str]) -> None:
        """Give each id its name (id order): plain where free, then the rest disambiguated, each
        checked against every label already given, so no two ids ever share one."""
        waiting = []
        for account_id in sorted(names):
            if account_id in self.named:
                continue
            if len(self.labels) >= MAX_LABELS and account_id not in self.labels:
                continue
            if self._free(names[account_id], account_id):
                self._give(account_id, names[account_id], named=True)
            else:
                waiting.append(account_id)
        for account_id in waiting:
            if len(self.labels) >= MAX_LABELS:
                break
            self._give(account_id, self._unique(names[account_id], account_id), named=True)

    def apply(self, accounts: list[Account], requested_at: float) -> None:
        """Take a fetched list: it names its accounts (names already given are kept)."""
        self.listed = {account.id: account for account in accounts}
        self.listed_at = requested_at
        for account_id in self.listed:
            self._know(account_id)
        names = {account.id: name for account in accounts if (name := _named(account)) is not None}
        self._name_all(names)

    def register(self, posts: Iterable[Post | Brief]) -> list[str]:
        """Label every account the posts' deliveries name, and return those ids (first seen first).

        An account missing from the list in hand is named by a handle from its newest published URL
        that carries one (kept for the process, like every name); any account still without a name
        has an id label, the whole id once another account known in this scope shares its first 8
        hex digits.
        """
        ids: dict[str, None] = {}
        handles: dict[str, tuple[str, str]] = {}  # id -> (published_at, label), newest kept
        for post in posts:
            for delivery in post.deliveries:
                ids.setdefault(delivery.account_id, None)
                missing = self.listed is not None and delivery.account_id not in self.listed
                label = handle_label(delivery.published_url) if missing else None
                if label is not None and delivery.account_id not in self.named:
                    stamp = delivery.published_at or ""
                    if stamp >= handles.get(delivery.account_id, ("", ""))[0]:
                        handles[delivery.account_id] = (stamp, label)
        for account_id in ids:
            self._know(account_id)
        self._name_all({account_id: label for account_id, (_, label) in handles.items()})
        starts = {_prefix(account_id) for account_id in ids}
        sharing = [known for start in starts for known in self.prefixes.get(start, ())]
        for account_id in dict.fromkeys([*ids, *(self.listed or {}), *sharing]):
            if account_id in self.named or (account_id not in self.labels and len(self.labels) >= MAX_LABELS):
                continue
            # An id label follows the rule as the scope grows: once another account shares its
            # first 8 hex digits, it becomes the whole id (and stays so).
            whole = len(self.prefixes.get(_prefix(account_id), ())) > 1
            label = self._unique(id_label(account_id, whole), account_id)
            if self.labels.get(account_id) != label:
                self._give(account_id, label, named=False)
        return list(ids)

    # --- activity ---------------------------------------------------------------------------

    def doubtful(self, account_ids: Iterable[str]) -> set[str]:
        """Ids the list in hand does not show as healthy: missing, or listed with another status."""
        if self.listed is None:
            return set()
        return {
            account_id
            for account_id in account_ids
            if account_id not in self.listed or not is_healthy(self.listed[account_id])
        }

    def judge(self, account_ids: Iterable[str], started: float) -> dict[str, Activity]:
        """What the list says of each account: "not active" only from a list fetched after
        ``started`` (the call's start); from an older one, or none, it is unknown."""
        fresh = self.listed is not None and self.listed_at >= started
        judged: dict[str, Activity] = {}
        for account_id in account_ids:
            account = self.listed.get(account_id) if self.listed is not None else None
            if account is not None and is_healthy(account):
                judged[account_id] = Activity.ACTIVE
            elif not fresh:
                judged[account_id] = Activity.UNKNOWN
            else:
                judged[account_id] = Activity.NOT_LISTED if account is None else Activity.UNHEALTHY
        return judged


@dataclass
class AccountDirectory(Background):
    """The account list of each key scope, shared by every call with that key.

    ``GET /accounts`` is sent when a call finds the list older than :data:`CACHE_SECONDS` (or
    missing), and when a summary meets an account the list in hand does not show as active and
    that list was fetched before the summary began; never again within
    :data:`RETRY_AFTER_FAILURE_SECONDS` of a failure, and never twice at once for one scope:
    concurrent callers share the fetch in flight. Scopes are keyed by a SHA-256 digest of the
    key, so no key is held here once a fetch ends.

    ``async with`` it for the server's lifetime: fetches then run in its own task group, so one
    that outlives the call that started it goes on for later calls, and is cancelled at shutdown.
    Outside it (the ``check`` command), a fetch runs within the call and ends with it. (The
    mechanics are :class:`~genviral_mcp.enrichment.Background`'s, shared with analytics.)
    """

    _scopes: OrderedDict[str, ScopeAccounts] = field(default_factory=OrderedDict)

    def _scope(self, key: ApiKey) -> ScopeAccounts:
        digest = hashlib.sha256(key.reveal().encode()).hexdigest()
        scope = self._scopes.pop(digest, None) or ScopeAccounts()
        self._scopes[digest] = scope
        while len(self._scopes) > MAX_SCOPES:
            self._scopes.popitem(last=False)
        return scope

    def _start(
        self, scope: ScopeAccounts, client: PostsClient, key: ApiKey, group: TaskGroup
    ) -> Flight | None:
        """The fetch in flight for this scope, started if there is none; ``None`` while backing off."""

        async def fetch() -> list[Account]:
            accounts = await client.fetch_accounts(key)
            if accounts is None:  # fetch_accounts logged why
                raise FetchFailed("GET /accounts failed", logged=True)
            return accounts

        return self.start(
            scope,
            group,
            fetch,
            scope.apply,
            cache_seconds=CACHE_SECONDS,
            retry_seconds=RETRY_AFTER_FAILURE_SECONDS,
            what="GET /accounts",
        )

    async def alongside(
        self,
        client: PostsClient,
        key: ApiKey,
        work: Callable[[], Awaitable[T]],
        posts_of: Callable[[T], Iterable[Post | Brief]],
        activity: bool = False,
    ) -> tuple[T, AccountLabels]:
        """Run ``work`` while the account list is fetched (when needed), then label its posts.

        With ``activity`` (a summary), accounts are also judged active or not, from a list fetched
        after this call began. ``work``'s own exception is raised as it is (the lookup never raises).
        """
        scope = self._scope(key)
        started = self.clock()
        failure: Exception | None = None
        async with self.call_group() as group:
            if (
                scope.due is None
                or started >= scope.due
                or (activity and scope.suspects and scope.listed_at < started)
            ):
                self._start(scope, client, key, group)
            try:
                result = await work()
                posts = list(posts_of(result))
                labels = await self._settle(scope, client, key, group, posts, started, activity)
            except Exception as exc:
                failure = exc
        if failure is not None:
            raise failure
        return result, labels

    async def _settle(
        self,
        scope: ScopeAccounts,
        client: PostsClient,
        key: ApiKey,
        group: TaskGroup,
        posts: list[Post | Brief],
        started: float,
        activity: bool,
    ) -> AccountLabels:
        """Wait (at most :attr:`wait_seconds` from now) for the list this result needs, then copy
        out what the result uses: names, and with ``activity`` what the list says of each account."""
        account_ids = {delivery.account_id for post in posts for delivery in post.deliveries}
        deadline = anyio.current_time() + self.wait_seconds
        while True:
            stale = scope.listed is not None and scope.listed_at < started
            doubtful = stale and bool(scope.doubtful({*account_ids, *(scope.listed or {})}))
            if not (scope.listed is None or (activity and doubtful)):
                break
            fetch = self._start(scope, client, key, group)
            if fetch is None:  # backing off after a failure: names or activity stay unknown
                break
            if not await self.wait(fetch, deadline):  # still on its way, or failed
                break
        used = scope.register(posts)
        labels = AccountLabels(
            names={account_id: scope.label(account_id) for account_id in [*used, *(scope.listed or {})]},
            accounts=dict(scope.listed or {}),
            names_pending=scope.listed is None and scope.inflight is not None,
        )
        if activity:
            labels.activity = scope.judge([*used, *(scope.listed or {})], started)
            scope.suspects = scope.doubtful({*account_ids, *(scope.listed or {})})
        return labels
