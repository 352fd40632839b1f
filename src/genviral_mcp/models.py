"""Pydantic models of the Posts API's wire format.

Lenient by design: statuses are open strings (the API passes provider statuses such as
``deleted`` and ``void`` through, and may add more), unknown fields are kept, and optional
fields may be missing or null. Only the envelope's shape is enforced.
"""

from __future__ import annotations

from typing import Any

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
