"""Pydantic models of the Posts API's wire format.

Lenient by design: statuses are open strings (the API passes provider statuses such as
``deleted`` and ``void`` through, and may add more), unknown fields are kept, and optional
fields may be missing or null. Only the envelope's shape is enforced.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

#: A decoded JSON object, as the API sends it and as results are built.
JsonObject = dict[str, Any]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Delivery(_Open):
    """One account's delivery state for a post."""

    account_id: str
    status: str | None = None
    published_at: str | None = None
    error_message: str | None = None
    last_attempted_at: str | None = None
    published_url: str | None = None


class Accounts(_Open):
    total: int | None = None
    states: list[Delivery] = Field(default_factory=list)


class Media(_Open):
    type: str | None = None
    url: str | None = None


class Post(_Open):
    id: str
    caption: str | None = None
    status: str | None = None
    scheduled_at: str | None = None
    created_at: str | None = None
    media: Media | None = None
    music_url: str | None = None
    tiktok: dict[str, Any] | None = None
    pinterest: dict[str, Any] | None = None
    accounts: Accounts | None = None

    @property
    def deliveries(self) -> list[Delivery]:
        return self.accounts.states if self.accounts else []


class Trace(NamedTuple):
    """One delivery of a :class:`Brief`: whose it is, its status, and where it went out (an account
    missing from Genviral's list is named by the handle in its newest published URL)."""

    account_id: str
    status: str | None
    published_at: str | None
    published_url: str | None


#: What a :class:`Brief` and each of its traces cost in memory besides their strings, measured with
#: ``sys.getsizeof`` (a slotted dataclass of 5 fields, a tuple, a 4-field named tuple, a datetime).
_BRIEF_BYTES, _TRACE_BYTES = 200, 80


@dataclass(frozen=True, slots=True)
class Brief:
    """A post a summary counts but never shows, reduced to what counting it needs: a few hundred
    bytes instead of the whole post (its caption, media, errors and the body it came in).

    With ``changed_since`` most posts of a large scope are old news: they add to counters (older
    deliveries, an inactive account's deliveries, the posts found per status) and name accounts,
    and that is all. ``latest`` is its newest delivery timestamp, for telling two copies of one
    post apart (the survey keeps the most advanced)."""

    id: str
    status: str | None
    scheduled_at: str | None
    latest: datetime
    deliveries: tuple[Trace, ...]

    @classmethod
    def of(cls, post: Post, latest: datetime) -> Brief:
        traces = tuple(
            Trace(
                delivery.account_id,
                _shared(delivery.status),
                delivery.published_at,
                delivery.published_url,
            )
            for delivery in post.deliveries
        )
        return cls(post.id, _shared(post.status), post.scheduled_at, latest, traces)

    @property
    def size(self) -> int:
        """Bytes it holds, roughly: its objects and its strings (what the survey's allowance counts)."""
        strings = [self.id, self.scheduled_at]
        for trace in self.deliveries:
            strings += (trace.account_id, trace.published_at, trace.published_url)
        return (
            _BRIEF_BYTES
            + _TRACE_BYTES * len(self.deliveries)
            + sum(sys.getsizeof(text) for text in strings if text is not None)
        )


#: Statuses repeat on every post: a brief holds one shared string for each of these (never
#: ``sys.intern``: a hostile upstream's made-up statuses must not outlive the call).
_STATUSES = {
    status: status
    for status in ("draft", "pending", "scheduled", "posted", "partial", "failed", "retry", "deleted", "void")
}


def _shared(status: str | None) -> str | None:
    return _STATUSES.get(status, status) if status is not None else None


class ScopeSummary(_Open):
    """Scope-wide counters, passed on exactly as the API gives them."""

    total: int | None = None
    pending: int | None = None
    published: int | None = None
    by_status: dict[str, int] = Field(default_factory=dict)


class PostsData(_Open):
    summary: ScopeSummary = Field(default_factory=ScopeSummary)
    posts: list[Post] = Field(default_factory=list)
    #: Posts beyond what was asked for that a broken upstream sent, and that were dropped unread.
    _overflow: int = PrivateAttr(default=0)
    #: The size of the body this page came in: what keeping its posts costs, roughly.
    _body_bytes: int = PrivateAttr(default=0)

    @property
    def overflow(self) -> int:
        return self._overflow

    @property
    def body_bytes(self) -> int:
        return self._body_bytes


class Status(_Open):
    """Every response's outer shape, whatever its ``data``."""

    ok: bool
    code: int | None = None
    message: str | None = None
    error_code: str | None = None


class Envelope(Status):
    """A Posts response; ``data`` is present when ``ok``."""

    data: PostsData | None = None


class Account(_Open):
    """One connected account, from ``GET /accounts`` (undocumented: an enrichment only)."""

    id: str
    platform: str | None = None
    type: str | None = None
    username: str | None = None
    display_name: str | None = None
    status: str | None = None


class AccountsData(_Open):
    accounts: list[Account]


class AccountsEnvelope(_Open):
    ok: bool
    data: AccountsData | None = None
