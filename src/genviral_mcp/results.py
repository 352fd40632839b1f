"""Agent-shaped results: the output contract of both tools.

Hosts show a result differently: Claude Desktop shows the text content, Claude Code only
``JSON.stringify(structuredContent)``, OpenClaw ``structuredContent`` pretty-printed followed by
any text block that is not byte-identical to that. So every result is built once as a plain
``dict`` (the ``structuredContent``), and its first text block is exactly
``json.dumps(structured, indent=2, ensure_ascii=False)``: the same facts in every view, and
OpenClaw drops the duplicate. A second, one-line text block appears only when there is a next
step to take (the next page).

The shape is designed for the pretty-printed view, where every key costs a line:

* ``now`` once, as ``YYYY-MM-DD HH:MM UTC``; every other time is ``YYYY-MM-DD HH:MM`` in UTC
  (the full view keeps the API's exact timestamps).
* ``accounts`` maps short aliases (``a1``, ``a2``...) to account ids, said once; deliveries use
  the alias.
* A concise post's ``deliveries`` groups accounts by status, and each account maps to its
  published URL (``posted``), its error message (failures), or ``""`` when there is nothing
  more to say: ``{"posted": {"a1": "https://..."}, "failed": {"a2": "Board not found"}}``.
  An error left over from an earlier attempt on a published account goes under
  ``earlier_errors``: it did not fail.
* Null and empty fields are dropped; captions are cut at a word boundary and say how long the
  full text is; provider error text is cleaned of control characters and shortened, and only
  ever appears as a data value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic_core import PydanticSerializationError, to_json

from genviral_mcp.errors import IDENTIFIER_CHARS, clean_text, plain_text, untrusted
from genviral_mcp.models import Delivery, Post, ScopeSummary
from genviral_mcp.pages import Page, Window
from genviral_mcp.query import PostsQuery
from genviral_mcp.summary import Attention, report
from genviral_mcp.timestamps import exact, minute

Detail = Literal["concise", "full"]
JsonObject = dict[str, Any]

CAPTION_CHARS = 80
SUMMARY_CAPTION_CHARS = 50
ERROR_CHARS = 200
FULL_ERROR_CHARS = 500
ATTENTION_CAP = 15
UPCOMING_CAP = 10
#: Text from Genviral that is not an error message (URLs, timestamps, settings) is cut here.
VALUE_CHARS = 2000
#: Unknown fields in the full view: how deep and how many entries are passed on.
EXTRA_DEPTH = 4
EXTRA_ITEMS = 50


@dataclass(frozen=True)
class ToolOutput:
    """A successful result: the structured content and any extra one-line notes."""

    structured: JsonObject
    notes: tuple[str, ...] = ()

    def text(self) -> str:
        """``json.dumps(structured, indent=2, ensure_ascii=False)``, byte for byte, in Rust.

        The stdlib's pretty-printer is pure Python and was half the cost of a call.
        """
        try:
            return to_json(self.structured, indent=2).decode()
        except PydanticSerializationError:
            return json.dumps(self.structured, indent=2, ensure_ascii=False)


def now_label(now: datetime) -> str:
    return now.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def shorten_caption(caption: str, limit: int) -> str:
    """Cut at a word boundary and say how long the whole caption is."""
    flat = " ".join(plain_text(caption).split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] if " " in flat[:limit] else flat[:limit]
    return f"{cut.rstrip(' ,.;:-')}… ({len(flat)} chars)"


def _compact(mapping: JsonObject) -> JsonObject:
    """Drop nulls and empty containers/strings."""
    return {key: value for key, value in mapping.items() if value not in (None, "", [], {})}


class AccountAliases:
    """Short, stable-within-a-result names for account ids."""

    def __init__(self) -> None:
        self._by_id: dict[str, str] = {}

    def __call__(self, account_id: str) -> str:
        alias = self._by_id.get(account_id)
        if alias is None:
            alias = self._by_id[account_id] = f"a{len(self._by_id) + 1}"
        return alias

    def legend(self) -> dict[str, str]:
        return {alias: _ident(account_id) for account_id, alias in self._by_id.items()}


def _ident(value: str | None, default: str = "unknown") -> str:
    """An id, status or code from Genviral: cleaned and capped (hostile values have been 2,000 chars)."""
    return untrusted(value, IDENTIFIER_CHARS) or default


def _text(value: str | None, limit: int = VALUE_CHARS) -> str | None:
    return untrusted(value, limit)


def untrusted_value(value: Any, depth: int = 0) -> Any:
    """Any JSON value from Genviral, cleaned: strings via :func:`clean_text`, keys as identifiers,
    nesting and list lengths bounded. Numbers, booleans and null pass as they are."""
    if isinstance(value, str):
        return clean_text(value, FULL_ERROR_CHARS)
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return value
    if depth >= EXTRA_DEPTH:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())[:EXTRA_ITEMS]
        return {_ident(str(key), "?"): untrusted_value(item, depth + 1) for key, item in items}
    if isinstance(value, (list, tuple)):
        return [untrusted_value(item, depth + 1) for item in value[:EXTRA_ITEMS]]
    return clean_text(str(value), IDENTIFIER_CHARS)


def _extra(model: Any) -> JsonObject | None:
    """Fields Genviral sent that this server does not know, under their own key: they can never
    replace a computed one (a post-level ``deliveries``, a delivery-level ``account``)."""
    extra = model.model_extra
    return untrusted_value(extra) if extra else None


def scope_counters(scope: ScopeSummary) -> JsonObject:
    """The API's scope counters, exactly as given (never recomputed); names and unknown fields cleaned."""
    counters: JsonObject = untrusted_value(scope.model_dump(exclude_none=True))
    return counters


def _delivery_value(delivery: Delivery) -> str:
    if delivery.status == "posted":
        return _text(delivery.published_url) or ""
    if delivery.error_message:
        return clean_text(delivery.error_message, ERROR_CHARS)
    return _text(delivery.published_url) or ""


def grouped_deliveries(deliveries: list[Delivery], alias: AccountAliases) -> dict[str, dict[str, str]]:
    """``{status: {alias: url | error | ""}}``: one line per delivery when pretty-printed."""
    grouped: dict[str, dict[str, str]] = {}
    for delivery in deliveries:
        grouped.setdefault(_ident(delivery.status), {})[alias(delivery.account_id)] = _delivery_value(
            delivery
        )
    return grouped


def concise_post(post: Post, alias: AccountAliases) -> JsonObject:
    """One post in the concise view; built key by key, since it runs for every post of a page."""
    shaped: JsonObject = {"id": _ident(post.id), "status": _ident(post.status)}
    for key, stamp in (("created", post.created_at), ("scheduled", post.scheduled_at)):
        if stamp:
            shaped[key] = minute(stamp)
    if post.media and post.media.type:
        shaped["media"] = _ident(post.media.type)
    caption = shorten_caption(post.caption, CAPTION_CHARS) if post.caption else ""
    if caption:
        shaped["caption"] = caption
    deliveries = post.deliveries
    if deliveries:
        shaped["deliveries"] = grouped_deliveries(deliveries, alias)
        earlier = {
            alias(delivery.account_id): clean_text(delivery.error_message, ERROR_CHARS)
            for delivery in deliveries
            if delivery.status == "posted" and delivery.error_message
        }
        if earlier:
            shaped["earlier_errors"] = earlier
    return shaped


def full_delivery(delivery: Delivery, alias: AccountAliases) -> JsonObject:
    error_key = "earlier_error" if delivery.status == "posted" else "error_message"
    error = clean_text(delivery.error_message, FULL_ERROR_CHARS) if delivery.error_message else None
    return _compact(
        {
            "account": alias(delivery.account_id),
            "status": _ident(delivery.status),
            "published_at": _text(delivery.published_at, 40),
            "published_url": _text(delivery.published_url),
            error_key: error,
            "last_attempted_at": _text(delivery.last_attempted_at, 40),
            "extra": _extra(delivery),
        }
    )


def full_post(post: Post, alias: AccountAliases) -> JsonObject:
    return _compact(
        {
            "id": _ident(post.id),
            "status": _ident(post.status),
            "created_at": _text(post.created_at, 40),
            "scheduled_at": _text(post.scheduled_at, 40),
            "caption": " ".join(plain_text(post.caption).split()) if post.caption else None,
            "media": untrusted_value(post.media.model_dump(exclude_none=True)) if post.media else None,
            "music_url": _text(post.music_url),
            "tiktok": untrusted_value(post.tiktok),
            "pinterest": untrusted_value(post.pinterest),
            "deliveries": [full_delivery(delivery, alias) for delivery in post.deliveries],
            "extra": _extra(post),
        }
    )


def list_posts_output(page: Page, query: PostsQuery, detail: Detail, now: datetime) -> ToolOutput:
    """``list_posts``: the page, newest first, with filters, counts, scope counters and paging."""
    alias = AccountAliases()
    shape = concise_post if detail == "concise" else full_post
    posts = [shape(post, alias) for post in page.posts]
    structured: JsonObject = {
        "now": now_label(now),
        "filters": query.describe(),
        "returned": len(posts),
        "scope": scope_counters(page.scope),
        "accounts": alias.legend(),
        "posts": posts,
    }
    if not structured["accounts"]:
        del structured["accounts"]
    if page.overflow:
        structured["upstream_problem"] = (
            f"Genviral sent {page.overflow} more posts than were asked for; they were dropped unread. "
            "The page and next_page are still exact."
        )
    notes: tuple[str, ...] = ()
    if page.next_until is not None:
        next_args = {**query.describe(), "until": exact(page.next_until)}
        structured["next_page"] = next_args
        notes = (
            f"More posts match. For the next page call list_posts with until={next_args['until']} "
            "and the same other arguments (see next_page).",
        )
    return ToolOutput(structured, notes)


def _attention_item(item: Attention, alias: AccountAliases) -> JsonObject:
    post = item.post
    return _compact(
        {
            "post": _ident(post.id),
            "status": _ident(post.status),
            "scheduled": minute(post.scheduled_at),
            "overdue_minutes": item.overdue_minutes,
            "caption": shorten_caption(post.caption, SUMMARY_CAPTION_CHARS) if post.caption else None,
            "deliveries": grouped_deliveries(item.deliveries, alias),
        }
    )


def _upcoming_item(post: Post, alias: AccountAliases) -> JsonObject:
    return _compact(
        {
            "post": _ident(post.id),
            "scheduled": minute(post.scheduled_at),
            "status": untrusted(post.status, IDENTIFIER_CHARS),
            "accounts": [alias(delivery.account_id) for delivery in post.deliveries],
            "caption": shorten_caption(post.caption, SUMMARY_CAPTION_CHARS) if post.caption else None,
        }
    )


def _window_label(query: PostsQuery, window: Window, max_posts: int) -> JsonObject:
    newest = window.posts[0].created_at if window.posts else None
    oldest = window.posts[-1].created_at if window.posts else None
    return _compact(
        {
            "since": exact(query.since) if query.since else None,
            "until": exact(query.until) if query.until else None,
            "status": query.status,
            "max_posts": max_posts,
            "posts_examined": len(window.posts),
            "newest_created": minute(newest),
            "oldest_created": minute(oldest),
            "more_posts_in_window": window.more,
            "stopped_on_time_budget": window.out_of_time or None,
        }
    )


def _counts(pairs: list[tuple[str, int]]) -> dict[str, int]:
    """Status counts keyed by cleaned status names (two dirty names that clean alike are added up)."""
    counts: dict[str, int] = {}
    for name, count in pairs:
        key = _ident(name)
        counts[key] = counts.get(key, 0) + count
    return counts


def delivery_summary_output(window: Window, query: PostsQuery, max_posts: int, now: datetime) -> ToolOutput:
    """``get_delivery_summary``: scope counters plus what the examined window says."""
    found = report(window.posts, now)
    alias = AccountAliases()
    attention = [_attention_item(item, alias) for item in found.attention[:ATTENTION_CAP]]
    upcoming = [_upcoming_item(post, alias) for post in found.upcoming[:UPCOMING_CAP]]
    structured = _compact(
        {
            "now": now_label(now),
            "scope": scope_counters(window.scope),
            "window": _window_label(query, window, max_posts),
            "posts_by_status": _counts(found.posts_by_status.most_common()),
            "deliveries_by_status": _counts(found.deliveries_by_status.most_common()),
            "needs_attention_deliveries": found.attention_deliveries,
            "needs_attention": attention,
            "needs_attention_posts_left_out": max(0, len(found.attention) - ATTENTION_CAP) or None,
            "upcoming": upcoming,
            "upcoming_left_out": max(0, len(found.upcoming) - UPCOMING_CAP) or None,
            "accounts": alias.legend(),
        }
    )
    notes: tuple[str, ...] = ()
    if window.more:
        notes = (
            f"Examined the newest {len(window.posts)} posts of the window; it holds more. Raise max_posts "
            "(up to 1000) or narrow since/until to cover the rest.",
        )
    return ToolOutput(structured, notes)
