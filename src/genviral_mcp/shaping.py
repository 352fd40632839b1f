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
  (the full view keeps the API's exact timestamps). One name per fact in every view and both
  tools: ``created``, ``scheduled``, ``published``, ``last_attempted``.
* Accounts are named by stable labels (``tiktok @luna.bakes``, or ``account 0f4f54d4`` when
  Genviral's account list is unavailable: see :mod:`genviral_mcp.accounts`); ``accounts`` maps
  each label used to its account id.
* Every post a result mentions carries its exact ``created`` instant: ``list_posts`` with
  ``since`` and ``until`` both set to it and ``detail="full"`` returns that post in full.
* The scope counters are Genviral's own, verbatim, under names that say what they count:
  ``not_yet_published_posts`` is pending + scheduled posts, not the ``pending`` status.
* A concise post's ``deliveries`` maps each account's label to one line: its status, then the
  published URL (``posted``) or the error (failures), or the status alone when there is nothing
  more to say::

      {"pinterest @lunabakes": "failed: Board not found",
       "tiktok @luna.bakes": "posted https://www.tiktok.com/@luna.bakes/video/1",
       "youtube @LunaBakesTV": "scheduled"}

  An error left over from an earlier attempt on a published account goes under
  ``earlier_errors``: it did not fail. The full view lists each delivery as an object.
* Null and empty fields are dropped; captions are cut at a word boundary and say how long the
  full text is; provider error text is cleaned of control characters and shortened, and only
  ever appears as a data value.
* Every list and map that upstream data sizes is capped, and says how many items it left out
  (``deliveries_left_out``, ``accounts_left_out``, ``statuses_left_out``, ``items_left_out``...).
  The last guard is :data:`MAX_RESULT_BYTES` on the whole text: a page is cut to the posts that
  fit (``next_page`` then continues from the first one left out), a summary's lists are halved
  until it fits, and ``cut_for_size`` says what was cut.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic_core import PydanticSerializationError, to_json

from genviral_mcp.accounts import ACTIVITY_UNKNOWN, NAMES_PENDING, AccountLabels, Activity
from genviral_mcp.analysis import CauseGroup, Change, DeliveryFacts, Upcoming, WentOut, Windows, analyse
from genviral_mcp.analytics import METRICS, AnalyticsView, Availability, Row
from genviral_mcp.causes import DISCONNECTED_FIX
from genviral_mcp.cursor import news_cursor
from genviral_mcp.errors import GenviralError, UpstreamError
from genviral_mcp.models import Delivery, JsonObject, Post, ScopeSummary
from genviral_mcp.paging import Page, StatusWalk, split_page
from genviral_mcp.performance import (
    Performance,
    Ranked,
    Standing,
    assess,
    measure,
    metrics_line,
    top_and_bottom,
)
from genviral_mcp.query import DEFAULT_MAX_ITEMS, MAX_ITEMS, PostsQuery, SummaryRequest, posts_per_cause
from genviral_mcp.sanitize import IDENTIFIER_CHARS, clean_text, plain_text, untrusted
from genviral_mcp.survey import ATTENTION_WALKS, OtherStatuses, Survey
from genviral_mcp.timestamps import exact, minute, parse_iso

Detail = Literal["concise", "full"]

CAPTION_CHARS = 60
SUMMARY_CAPTION_CHARS = 40
#: What went out is identified by its links; a few words of caption are enough beside them.
WENT_OUT_CAPTION_CHARS = 24
ERROR_CHARS = 200
FULL_ERROR_CHARS = 500
#: Text from Genviral that is not an error message (URLs, timestamps, settings) is cut here.
VALUE_CHARS = 2000
#: Unknown fields in the full view: how deep and how many entries are passed on, per container and
#: per tree (a field, or a post's media, tiktok or pinterest settings).
EXTRA_DEPTH = 4
EXTRA_ITEMS = 50
EXTRA_VALUES = 100
#: Accounts listed in a summary; a scope rarely has more, and the rest are counted.
ACCOUNTS_CAP = 50
#: Deliveries shown per post (a post fans out to a handful of accounts): problems first, the rest counted.
DELIVERIES_PER_POST = 50
#: Accounts (or URLs) listed per cause, per upcoming post and per post that went out, in a summary.
ACCOUNTS_PER_ITEM = 20
#: Scope counters Genviral adds beyond the documented ones, and statuses in ``by_status``, passed on.
SCOPE_FIELDS = 20
#: A caption in the full view: longer than any platform allows (TikTok 4,000, YouTube 5,000).
FULL_CAPTION_CHARS = 10_000
#: The last guard on every result: its text is never larger than this.
MAX_RESULT_BYTES = 200 * 1024
POST_DETAILS = 'Any post above in full: list_posts with since and until both its "created", detail="full".'
#: Scope counters renamed so that none reads as something else (``pending`` is not the status).
COUNTER_NAMES = {
    "total": "total_posts",
    "pending": "not_yet_published_posts",
    "published": "published_posts",
    "by_status": "posts_by_status",
}


@dataclass(frozen=True)
class ToolOutput:
    """A successful result: the structured content and any extra one-line notes."""

    structured: JsonObject
    notes: tuple[str, ...] = ()
    _rendered: list[str] = field(default_factory=list, init=False, compare=False, repr=False)

    def text(self) -> str:
        """``json.dumps(structured, indent=2, ensure_ascii=False)``, byte for byte, in Rust.

        The stdlib's pretty-printer is pure Python and was half the cost of a call. Rendered once
        (where the result was shaped: a summary's in a worker thread), since the size guard needs it.
        """
        if not self._rendered:
            try:
                self._rendered.append(to_json(self.structured, indent=2).decode())
            except PydanticSerializationError:
                self._rendered.append(json.dumps(self.structured, indent=2, ensure_ascii=False))
        return self._rendered[0]

    def size(self) -> int:
        """The text's size in bytes, as it goes over the wire."""
        return len(self.text().encode())


def now_label(now: datetime) -> str:
    return now.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def shorten_caption(caption: str, limit: int, say_length: bool = True) -> str:
    """Cut at a word boundary and (``say_length``) say how long the whole caption is: a page of
    posts is read for its content, a summary's few words only name the post."""
    flat = " ".join(plain_text(caption).split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] if " " in flat[:limit] else flat[:limit]
    return f"{cut.rstrip(' ,.;:-')}…" + (f" ({len(flat)} chars)" if say_length else "")


def _compact(mapping: JsonObject) -> JsonObject:
    """Drop nulls and empty containers/strings."""
    return {key: value for key, value in mapping.items() if value not in (None, "", [], {})}


def _ident(value: str | None, default: str = "unknown") -> str:
    """An id, status or code from Genviral: cleaned and capped (hostile values have been 2,000 chars)."""
    return untrusted(value, IDENTIFIER_CHARS) or default


def _text(value: str | None, limit: int = VALUE_CHARS) -> str | None:
    return untrusted(value, limit)


def untrusted_value(value: Any, depth: int = 0, budget: list[int] | None = None) -> Any:
    """Any JSON value from Genviral, cleaned: strings via :func:`clean_text`, keys as identifiers,
    nesting, list lengths and the whole tree's size bounded (:data:`EXTRA_VALUES` entries, counted
    in ``budget``). Numbers, booleans and null pass as they are. A container that could not pass
    on everything says how much it left out: ``"items_left_out": n`` in an object, a last
    ``"… n more items left out"`` in a list."""
    budget = [EXTRA_VALUES] if budget is None else budget
    if isinstance(value, str):
        return clean_text(value, FULL_ERROR_CHARS)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN and Infinity are not JSON: a broken upstream's, and nothing to pass on
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return value
    if depth >= EXTRA_DEPTH:
        return "…"
    if isinstance(value, dict):
        shown: JsonObject = {}
        for key, item in value.items():
            if len(shown) >= EXTRA_ITEMS or budget[0] <= 0:
                break
            budget[0] -= 1
            shown[_ident(str(key), "?")] = untrusted_value(item, depth + 1, budget)
        if len(value) > len(shown):
            shown["items_left_out"] = len(value) - len(shown)
        return shown
    if isinstance(value, (list, tuple)):
        items: list[Any] = []
        for item in value:
            if len(items) >= EXTRA_ITEMS or budget[0] <= 0:
                break
            budget[0] -= 1
            items.append(untrusted_value(item, depth + 1, budget))
        if len(value) > len(items):
            items.append(f"… {len(value) - len(items)} more items left out")
        return items
    return clean_text(str(value), IDENTIFIER_CHARS)


def _extra(model: Any) -> JsonObject | None:
    """Fields Genviral sent that this server does not know, under their own key: they can never
    replace a computed one (a post-level ``deliveries``, a delivery-level ``account``)."""
    extra = model.model_extra
    return untrusted_value(extra) if extra else None


def scope_counters(scope: ScopeSummary) -> JsonObject:
    """The API's scope counters, exactly as given (never recomputed), under names that say what
    each counts. Fields of the summary this server does not know go under ``extra``, cleaned: they
    may be of any type, and must never pass for a counter. Past :data:`SCOPE_FIELDS` statuses in
    ``by_status``, the rest are counted in ``statuses_left_out`` (``extra`` counts its own)."""
    counters: JsonObject = {}
    statuses_left_out = 0
    for name in ScopeSummary.model_fields:
        value = getattr(scope, name)
        if name == "by_status" and isinstance(value, dict) and len(value) > SCOPE_FIELDS:
            statuses_left_out = len(value) - SCOPE_FIELDS
            value = dict(list(value.items())[:SCOPE_FIELDS])
        if value is not None:
            counters[COUNTER_NAMES[name]] = untrusted_value(value)
    if statuses_left_out:
        counters["statuses_left_out"] = statuses_left_out
    extra = _extra(scope)
    if extra:
        counters["extra"] = extra
    return counters


#: Which deliveries a capped post shows first: those that need a human, then those still waiting.
_SHOWN_FIRST = {"failed": 0, "partial": 0, "retry": 0, "pending": 1, "scheduled": 1}


def shown_deliveries(
    deliveries: list[Delivery], cap: int = DELIVERIES_PER_POST
) -> tuple[list[Delivery], int]:
    """At most ``cap`` of a post's deliveries, problems first (else in the API's order), and how
    many were left out."""
    if len(deliveries) <= cap:
        return deliveries, 0
    ranked = sorted(deliveries, key=lambda delivery: _SHOWN_FIRST.get(delivery.status or "", 2))
    return ranked[:cap], len(deliveries) - cap


def _delivery_value(delivery: Delivery) -> str:
    if delivery.status == "posted":
        return _text(delivery.published_url) or ""
    if delivery.error_message:
        return clean_text(delivery.error_message, ERROR_CHARS)
    return _text(delivery.published_url) or ""


def delivery_line(delivery: Delivery) -> str:
    """``posted https://…``, ``failed: <error>`` or just the status: one line, no nesting."""
    status = _ident(delivery.status)
    value = _delivery_value(delivery)
    if not value:
        return status
    return f"{status} {value}" if status == "posted" else f"{status}: {value}"


def flat_deliveries(deliveries: list[Delivery], alias: AccountLabels) -> dict[str, str]:
    """``{account: "status[ url | : error]"}``: one line per delivery when pretty-printed, one
    nesting level less than grouping by status (each level is indentation on every line)."""
    return {alias(delivery.account_id): delivery_line(delivery) for delivery in deliveries}


def concise_post(post: Post, alias: AccountLabels) -> JsonObject:
    """One post in the concise view; built key by key, since it runs for every post of a page."""
    shaped: JsonObject = {"id": _ident(post.id), "status": _ident(post.status)}
    created = _text(post.created_at, 40) if post.created_at else None
    if created:
        shaped["created"] = created  # exact: since = until = this finds the post
    scheduled = minute(post.scheduled_at) if post.scheduled_at else None
    if scheduled:
        shaped["scheduled"] = scheduled
    caption = shorten_caption(post.caption, CAPTION_CHARS) if post.caption else ""
    if caption:
        shaped["caption"] = caption
    deliveries, left_out = shown_deliveries(post.deliveries)
    if deliveries:
        shaped["deliveries"] = flat_deliveries(deliveries, alias)
        if left_out:
            shaped["deliveries_left_out"] = left_out
        earlier = {
            alias(delivery.account_id): clean_text(delivery.error_message, ERROR_CHARS)
            for delivery in deliveries
            if delivery.status == "posted" and delivery.error_message
        }
        if earlier:
            shaped["earlier_errors"] = earlier
    return shaped


def full_delivery(delivery: Delivery, alias: AccountLabels) -> JsonObject:
    error_key = "earlier_error" if delivery.status == "posted" else "error_message"
    error = clean_text(delivery.error_message, FULL_ERROR_CHARS) if delivery.error_message else None
    return _compact(
        {
            "account": alias(delivery.account_id),
            "status": _ident(delivery.status),
            "published": _text(delivery.published_at, 40),
            "published_url": _text(delivery.published_url),
            error_key: error,
            "last_attempted": _text(delivery.last_attempted_at, 40),
            "extra": _extra(delivery),
        }
    )


def full_post(post: Post, alias: AccountLabels) -> JsonObject:
    deliveries, left_out = shown_deliveries(post.deliveries)
    return _compact(
        {
            "id": _ident(post.id),
            "status": _ident(post.status),
            "created": _text(post.created_at, 40),
            "scheduled": _text(post.scheduled_at, 40),
            "caption": shorten_caption(post.caption, FULL_CAPTION_CHARS) if post.caption else None,
            "media": untrusted_value(post.media.model_dump(exclude_none=True)) if post.media else None,
            "music_url": _text(post.music_url),
            "tiktok": untrusted_value(post.tiktok),
            "pinterest": untrusted_value(post.pinterest),
            "deliveries": [full_delivery(delivery, alias) for delivery in deliveries],
            "deliveries_left_out": left_out or None,
            "extra": _extra(post),
        }
    )


def list_posts_output(
    page: Page,
    query: PostsQuery,
    detail: Detail,
    now: datetime,
    labels: AccountLabels,
    analytics: AnalyticsView | None = None,
) -> ToolOutput:
    """``list_posts``: the page, newest first, with filters, counts, scope counters and paging;
    cut to the posts that fit in :data:`MAX_RESULT_BYTES` when the whole page does not. With
    ``analytics`` (the full view), each published delivery carries its metrics where a row matches."""
    output = _list_posts_output(page, query, detail, now, labels.snapshot(), analytics)
    if output.size() <= MAX_RESULT_BYTES:
        return output
    fits, fitted = 0, output
    low, high = 1, len(page.posts) - 1  # the most posts that fit, by bisection
    while low <= high:
        count = (low + high) // 2
        posts, next_until = split_page(page.posts, count)
        cut = replace(page, posts=posts, next_until=next_until)
        attempt = _list_posts_output(cut, query, detail, now, labels.snapshot(), analytics)
        if attempt.size() <= MAX_RESULT_BYTES - 512:  # room for the note below
            fits, fitted, low = count, attempt, count + 1
        else:
            high = count - 1
    if not fits:
        raise ResultTooLarge(
            f"The first post on this page is too large to show within {MAX_RESULT_BYTES // 1024} KB"
            + (' in full: call list_posts again with detail="concise".' if detail == "full" else ".")
        )
    shown = len(fitted.structured["posts"])
    fitted.structured["cut_for_size"] = (
        f"Only the first {shown} of the {len(page.posts)} posts on this page fit in "
        f"{MAX_RESULT_BYTES // 1024} KB; next_page continues from the first one left out."
    )
    fitted._rendered.clear()
    return fitted


class ResultTooLarge(GenviralError):
    """Even cut to its smallest, a result would be larger than :data:`MAX_RESULT_BYTES`."""


def _list_posts_output(
    page: Page,
    query: PostsQuery,
    detail: Detail,
    now: datetime,
    labels: AccountLabels,
    analytics: AnalyticsView | None = None,
) -> ToolOutput:
    shape = concise_post if detail == "concise" else full_post
    posts = [shape(post, labels) for post in page.posts]
    note = _page_metrics(page.posts, posts, analytics, labels) if detail == "full" else None
    filters = {**query.describe(), "detail": detail}
    structured: JsonObject = {
        "now": now_label(now),
        "filters": filters,
        "returned": len(posts),
        "scope": scope_counters(page.scope),
        "accounts": labels.legend(),
        "posts": posts,
    }
    if note:
        structured["performance_note"] = note
    if not structured["accounts"]:
        del structured["accounts"]
    elif labels.names_pending:
        structured["accounts_note"] = NAMES_PENDING
    if page.crowded is not None:
        structured["same_instant"] = (
            f"Every post on this page was created at {exact(page.crowded)}, and more may share that "
            "instant: the API cannot page within one instant, so next_page continues before it. "
            f"list_posts with since and until both {exact(page.crowded)} and limit=100 shows up to 100 "
            "of them."
        )
    if page.overflow:
        structured["upstream_problem"] = (
            f"Genviral sent {page.overflow} more posts than were asked for; they were dropped unread. "
            "The page and next_page are still exact."
        )
    notes: tuple[str, ...] = ()
    if page.next_until is not None:
        next_args = {**filters, "until": exact(page.next_until)}
        structured["next_page"] = next_args
        notes = (
            f"More posts match. For the next page call list_posts with until={next_args['until']} "
            "and the same other arguments (see next_page).",
        )
    return ToolOutput(structured, notes)


# --- get_delivery_summary -------------------------------------------------------------------


def _post_refs(posts: list[Post], cap: int) -> dict[str, str]:
    """``{post id: exact created}``: enough to fetch each post in full with ``list_posts``."""
    return {_ident(post.id): _text(post.created_at, 40) or "" for post in posts[:cap]}


def _labels(account_ids: set[str] | list[str], labels: AccountLabels) -> list[str]:
    return sorted({labels(account_id) for account_id in account_ids})


def _capped(labels: list[str]) -> tuple[list[str], int | None]:
    """At most :data:`ACCOUNTS_PER_ITEM` labels, and how many were left out (``None``: none)."""
    return labels[:ACCOUNTS_PER_ITEM], max(0, len(labels) - ACCOUNTS_PER_ITEM) or None


def _cause_item(group: CauseGroup, labels: AccountLabels, cap: int) -> JsonObject:
    posts = list(group.posts.values())
    accounts, accounts_left_out = _capped(_labels(group.account_ids, labels))
    return _compact(
        {
            "cause": group.cause,
            "fix": group.fix,
            "deliveries": group.deliveries,
            "accounts": accounts,
            "accounts_left_out": accounts_left_out,
            "newest": minute(exact(group.newest)) if group.posts else None,
            "posts": _post_refs(posts, cap),
            "posts_left_out": max(0, len(posts) - cap) or None,
        }
    )


def _upcoming_item(item: Upcoming, labels: AccountLabels) -> JsonObject:
    post = item.post
    inactive = _labels(
        [delivery.account_id for delivery in item.deliveries if labels.inactive(delivery.account_id)], labels
    )
    warning = None
    if inactive:
        them = "it is" if len(inactive) == 1 else "they are"
        named, more = _capped(inactive)
        warning = (
            f"will not go out to {', '.join(named)}{f' and {more} more' if more else ''} unless {them} "
            "reconnected"
        )
    accounts, accounts_left_out = _capped(
        _labels([delivery.account_id for delivery in item.deliveries], labels)
    )
    return _compact(
        {
            "scheduled": minute(post.scheduled_at),
            "id": _ident(post.id),
            "created": _text(post.created_at, 40),
            "status": clean_text(post.status, 40) if post.status != "scheduled" and post.status else None,
            "accounts": accounts,
            "accounts_left_out": accounts_left_out,
            "warning": warning,
            "caption": shorten_caption(post.caption, SUMMARY_CAPTION_CHARS, say_length=False)
            if post.caption
            else None,
        }
    )


def _went_out_item(item: WentOut, labels: AccountLabels) -> JsonObject:
    post = item.post
    shown = item.deliveries[:ACCOUNTS_PER_ITEM]
    return _compact(
        {
            "published": minute(exact(item.published)),
            "id": _ident(post.id),
            "created": _text(post.created_at, 40),
            "urls": {labels(d.account_id): _text(d.published_url) or "" for d in shown},
            "urls_left_out": max(0, len(item.deliveries) - len(shown)) or None,
            "caption": shorten_caption(post.caption, WENT_OUT_CAPTION_CHARS, say_length=False)
            if post.caption
            else None,
        }
    )


def _stop_reason(walk: StatusWalk) -> str:
    return {
        "page_cap": f"the walk stops after {walk.requests} pages",
        "time_budget": "the walk ran out of time",
        "repeating": "Genviral sent the same posts again",
        "kept_cap": f"{walk.kept_cap}, to bound what one summary holds in memory",
        "read_cap": f"the walk read {walk.read_bytes // (1024 * 1024):,} MB, the most one walk reads",
    }.get(walk.stopped or "", "the walk stopped early")


def _walk_problem(walk: StatusWalk, name: str | None = None) -> list[str]:
    """Why a walk is incomplete, and the exact next call that shows what it left out."""
    name = name or walk.name
    status_arg = f'status="{walk.status}"' if walk.status else "no status"
    if walk.error is not None:
        return [
            f"{name}: {_error_text(walk.error)} Posts that were not read are missing above. Call "
            f"get_delivery_summary again; if it keeps failing, list_posts with {status_arg} reads them "
            "page by page."
        ]
    problems = [_crowd_problem(walk, name, crowd.instant, crowd.read) for crowd in walk.crowds]
    if walk.reached_end:
        return problems
    oldest = walk.oldest_examined
    expected = f" of {walk.expected}" if walk.expected is not None else ""
    older = (
        f" Next: list_posts with {status_arg} and until={exact(oldest)} shows the older ones."
        if oldest is not None
        else ""
    )
    return [
        *problems,
        f"{name}: examined the newest {walk.examined}{expected} posts by creation time "
        f"({_stop_reason(walk)}); older ones were not examined.{older}",
    ]


def _crowd_problem(walk: StatusWalk, name: str, instant: datetime, read: int) -> str:
    """A run of posts created at one instant, longer than a page: never skipped in silence."""
    moment = exact(instant)
    # Genviral's counter covers the whole scope: comparable only for a walk back from now.
    missing = (walk.expected or 0) - walk.examined if walk.reached_end and walk.until is None else 0
    counted = (
        f"; by Genviral's counter, {missing} posts were not examined"
        if missing > 0
        else "; any more created then were not examined"
    )
    status_arg = f'status="{walk.status}", ' if walk.status else ""
    return (
        f"{name}: {read} posts were created at the same instant {moment}, a full page: the API "
        f"cannot page within one instant{counted}. list_posts with {status_arg}since and until both "
        f"{moment} and limit=100 shows up to 100 of them."
    )


OTHER_STATUSES = "other statuses"


def _others_problem(others: OtherStatuses) -> list[str]:
    """What is known of posts with statuses no filter reaches, when it is not everything."""
    if others.expected is None:
        return [
            f"{OTHER_STATUSES}: {others.unknown_because}, so whether posts with statuses it does not "
            "count (deleted, void, …) hold deliveries that need attention or go out is unknown; none "
            "were examined. list_posts without a status lists every post."
        ]
    walk = others.walk
    if others.complete or walk is None:
        return []
    problems = _walk_problem(walk, OTHER_STATUSES)
    if walk.error is not None or walk.reached_end:
        return problems
    found = sum(others.found.values())
    oldest = walk.oldest_examined
    older = f" Next: list_posts with until={exact(oldest)} shows older posts." if oldest is not None else ""
    left = (
        f"{others.expected - found} were not examined"
        if found < others.expected
        else "older posts were not examined, so any the counters miss would be missing"
    )
    return [
        *problems[:-1],
        f"{OTHER_STATUSES}: Genviral's counters leave {_posts(others.expected)} with statuses they do not "
        f"count (deleted, void, …); a walk over every status examined the newest {walk.examined}"
        f"{f' of {walk.expected}' if walk.expected is not None else ''} posts ({_stop_reason(walk)}) "
        f"and found {found}: {left}.{older}",
    ]


def _posts(count: int) -> str:
    return f"{count} post" if count == 1 else f"{count} posts"


def _error_text(error: UpstreamError) -> str:
    return clean_text(error.message, 300)


def _went_out_section(
    facts: DeliveryFacts, survey: Survey, request: SummaryRequest, labels: AccountLabels
) -> JsonObject:
    cap = request.max_items
    section: JsonObject = {
        "published_since": minute(exact(request.published_since)),
        "published_until": minute(exact(request.published_until)),
        "posts": len(facts.went_out),
        "deliveries": facts.went_out_deliveries,
        "items": [_went_out_item(item, labels) for item in facts.went_out[:cap]],
        "left_out": max(0, len(facts.went_out) - cap) or None,
    }
    walks = [survey.walk(status) for status in ("posted", "partial", "retry")] + [survey.others.walk]
    unfinished = [walk for walk in walks if walk is not None and not walk.complete]
    section["complete"] = not unfinished
    posted = survey.walk("posted")
    if posted is not None and not posted.reached_end and posted.error is None and posted.oldest_examined:
        oldest = exact(posted.oldest_examined)
        section["looked_back_to"] = oldest
        section["note"] = (
            f"Only posted posts created since {oldest} were examined ({posted.examined} posts); a post "
            "created earlier and published in this window would be missing. list_posts with "
            f'status="posted" and until={oldest} pages further back.'
        )
    elif unfinished:
        section["note"] = "Some posts could not be examined: see incomplete."
    return _compact(section)


def _account_item(account_id: str, label: str, facts: DeliveryFacts, labels: AccountLabels) -> JsonObject:
    activity = facts.accounts[account_id]
    account = labels.account(account_id)
    platform = clean_text(account.platform, 20) if account and account.platform else None
    item: JsonObject = {"id": _ident(account_id)}
    if platform and not label.startswith(platform.lower() + " "):  # said once: the label starts with it
        item["platform"] = platform
    connection = labels.connection(account_id)
    if connection:
        item["connection"] = connection
    item["published_in_window"] = activity.published_in_window
    item["needs_attention"] = activity.needs_attention
    if activity.last_error:
        item["last_error"] = activity.last_error
    return item


def _accounts_section(facts: DeliveryFacts, labels: AccountLabels) -> tuple[JsonObject, int]:
    def has_problem(account_id: str) -> bool:
        return bool(facts.accounts[account_id].needs_attention or account_id in facts.inactive)

    ordered = sorted(facts.accounts, key=lambda account_id: (not has_problem(account_id), labels(account_id)))
    shown = {
        labels(account_id): _account_item(account_id, labels(account_id), facts, labels)
        for account_id in ordered[:ACCOUNTS_CAP]
    }
    return shown, max(0, len(ordered) - ACCOUNTS_CAP)


def _not_active(facts: DeliveryFacts, labels: AccountLabels) -> list[JsonObject]:
    """Each account Genviral's list says is not active, once: what it holds up and the fix (the
    accounts beyond :data:`ACCOUNTS_CAP` are counted in ``accounts_not_active_left_out``)."""
    ordered = sorted(facts.inactive.items(), key=lambda item: (-item[1].deliveries, labels(item[0])))
    return [
        {
            "account": labels(account_id),
            "condition": inactive.condition,
            "deliveries": inactive.deliveries,
            "fix": DISCONNECTED_FIX,
            **({"change": change_id(inactive.latest)} if inactive.latest else {}),
        }
        for account_id, inactive in ordered[:ACCOUNTS_CAP]
    ]


def _own_counts(survey: Survey) -> JsonObject:
    """Posts this tool counted where Genviral's counters are silent or differ: a count, or
    "at least N" when a bound cut the walk short."""
    counts = survey.own_counts()
    shown = sorted(counts, key=lambda status: -counts[status][0])[:SCOPE_FIELDS]  # hostile statuses: many
    counted: JsonObject = {
        _ident(status): count if exact_count else f"at least {count}"
        for status, (count, exact_count) in counts.items()
        if status in shown
    }
    if len(counts) > len(shown):
        counted["statuses_left_out"] = len(counts) - len(shown)
    return counted


def _coverage(survey: Survey, posts: int, exact_scope: bool, counts: JsonObject) -> str:
    if not exact_scope:
        return "incomplete: see incomplete"
    found = sum(survey.others.found.values())
    others = f", and the {found} with other statuses," if survey.others.walk else ""
    differ = []
    if any(status not in ("retry", *survey.others.found) for status in counts):
        differ.append("Genviral's counters differ from the posts found (see counted_by_this_tool)")
    if survey.others.walk is not None and found != survey.others.expected:
        differ.append(f"its counters imply {_posts(survey.others.expected or 0)} with other statuses")
    return (
        f"exact: every failed, partial, retry, pending and scheduled post in scope{others} was examined "
        f"({posts} posts, {survey.requests} requests)" + "".join(f"; {part}" for part in differ)
    )


def delivery_summary_output(survey: Survey, request: SummaryRequest, now: datetime) -> ToolOutput:
    """``get_delivery_summary``: the scope's counters, then each everyday question answered."""
    failures = [walk.error for walk in survey.all_walks() if walk.error is not None]
    if survey.scope is None:  # not one page was read: nothing to summarise
        raise failures[0] if failures else UpstreamError("Genviral returned nothing to summarise.")
    labels = survey.labels
    windows = Windows.asked(request, now)
    posts, briefs = survey.posts()
    facts = analyse(posts, windows, labels.inactive, labels.known_ids(), briefs)
    cap = request.max_items
    incomplete = [line for walk in survey.walks for line in _walk_problem(walk)]
    incomplete += _others_problem(survey.others)
    attention_walks = [survey.walk(status) for status in ATTENTION_WALKS]
    exact_scope = all(walk is not None and walk.complete for walk in attention_walks)
    exact_scope = exact_scope and survey.others.complete
    accounts, accounts_left_out = _accounts_section(facts, labels)
    counts = _own_counts(survey)
    cursor = news_cursor(survey, request.changed_since, now)
    structured: JsonObject = {
        "now": now_label(now),
        "as_of": exact(cursor.as_of),
        "as_of_note": cursor.note,
        "changed_since": exact(request.changed_since) if request.changed_since else None,
        "scope": scope_counters(survey.scope),
        "counted_by_this_tool": counts,
        "coverage": _coverage(survey, len(posts) + len(briefs), exact_scope, counts),
        "incomplete": incomplete,
        "needs_attention": _compact(
            {
                "deliveries": facts.attention_deliveries,
                "posts": facts.attention_posts,
                "causes": [_cause_item(group, labels, posts_per_cause(cap)) for group in facts.causes[:cap]],
                "causes_left_out": max(0, len(facts.causes) - cap) or None,
                "accounts_not_active": _not_active(facts, labels),
                "accounts_not_active_left_out": max(0, len(facts.inactive) - ACCOUNTS_CAP) or None,
                "older_deliveries": facts.older_deliveries or None,
                "older": _older(facts),
            }
        ),
        "upcoming": _compact(
            {
                "hours": request.hours_ahead,
                "through": minute(exact(windows.upcoming_until)),
                "posts": len(facts.upcoming),
                "items": [_upcoming_item(item, labels) for item in facts.upcoming[:cap]],
                "left_out": max(0, len(facts.upcoming) - cap) or None,
            }
        ),
        "went_out": _went_out_section(facts, survey, request, labels),
        "accounts": accounts,
        "accounts_left_out": accounts_left_out or None,
        "accounts_note": _accounts_note(facts, labels),
        "post_details": POST_DETAILS,
    }
    left_out = _anything_left_out(facts, cap)
    if request.changed_since is not None:
        left_out = _add_changes(structured, facts, labels, cap) or left_out
    if left_out and cap < MAX_ITEMS:
        structured["next"] = {"get_delivery_summary": request.arguments(max_items=MAX_ITEMS)}
    elif left_out:
        structured["next"] = (
            'Lists are capped at max_items=100. list_posts with a status (e.g. status="failed") pages '
            "through every post of that status."
        )
    structured = _compact(structured)
    structured = with_performance(structured, facts, survey.analytics, labels, cap)
    notes: tuple[str, ...] = ()
    if incomplete:
        notes = ("This summary is incomplete: see incomplete for what is missing and the next call.",)
    return fit_summary(ToolOutput(structured, notes))


def change_id(change: Change) -> str:
    """A change's stable identity: ``<instant> <post id> <account id>``, the same in every result
    that lists it (repeats are possible: see :mod:`genviral_mcp.cursor`)."""
    return f"{exact(change.moment)} {_ident(change.post_id)} {_ident(change.account_id)}"


def _add_changes(structured: JsonObject, facts: DeliveryFacts, labels: AccountLabels, cap: int) -> bool:
    """With ``changed_since``: each listed cause and publication carries its changes, ``{id: account}``
    (a cause's up to ``cap``, the rest counted). True when a cause left some out."""
    left_out = False
    for item, group in zip(structured["needs_attention"].get("causes", []), facts.causes, strict=False):
        item["changes"] = {change_id(change): labels(change.account_id) for change in group.changes[:cap]}
        if len(group.changes) > cap:
            item["changes_left_out"] = len(group.changes) - cap
            left_out = True
    for item, went in zip(structured["went_out"].get("items", []), facts.went_out, strict=False):
        changes = {}
        for delivery in went.deliveries[:ACCOUNTS_PER_ITEM]:
            moment = parse_iso(delivery.published_at)
            if moment is not None:
                change = Change(moment, went.post.id, delivery.account_id)
                changes[change_id(change)] = labels(delivery.account_id)
        item["changes"] = changes
    return left_out


def _older(facts: DeliveryFacts) -> str | None:
    """With ``changed_since``: what still needs attention but is not news, counted in one sentence."""
    parts = []
    if facts.older_deliveries:
        noun = "delivery" if facts.older_deliveries == 1 else "deliveries"
        verb = "needs" if facts.older_deliveries == 1 else "need"
        parts.append(
            f"{facts.older_deliveries} older {noun} on {_posts(facts.older_posts)} still {verb} attention"
        )
    if facts.older_inactive:
        one = facts.older_inactive == 1
        them = "account that is not active has" if one else "accounts that are not active have"
        parts.append(f"{facts.older_inactive} {them} nothing new")
    if not parts:
        return None
    return f"And {', and '.join(parts)}: not news, so not listed (see the summary without changed_since)."


#: A summary's lists the size guard may cut: where each is, and the count of what it left out.
_SUMMARY_LISTS: tuple[tuple[str | None, str, str], ...] = (
    ("needs_attention", "causes", "causes_left_out"),
    ("needs_attention", "accounts_not_active", "accounts_not_active_left_out"),
    ("upcoming", "items", "left_out"),
    ("went_out", "items", "left_out"),
    (None, "accounts", "accounts_left_out"),
    ("performance", "top", "top_left_out"),
    ("performance", "bottom", "bottom_left_out"),
    ("performance", "by_account", "accounts_left_out"),
)


def fit_summary(output: ToolOutput) -> ToolOutput:
    """The summary within :data:`MAX_RESULT_BYTES`: while it is larger, its largest list is halved
    (and its left-out count raised), and ``cut_for_size`` says which lists were cut."""
    if output.size() <= MAX_RESULT_BYTES:
        return output
    structured, cut = output.structured, {}
    while output.size() > MAX_RESULT_BYTES - 512:  # room for the note below
        sizes = []
        for section, name, _ in _SUMMARY_LISTS:
            holder = structured.get(section, {}) if section else structured
            if isinstance(holder, dict) and len(holder.get(name) or ()) > 1:
                sizes.append((len(to_json(holder[name])), section, name))
        if not sizes:
            raise ResultTooLarge(
                f"This summary would be larger than {MAX_RESULT_BYTES // 1024} KB even cut to one item per "
                'list. list_posts with a status (e.g. status="failed") reads those posts page by page.'
            )
        _, section, name = max(sizes, key=lambda size: size[0])
        holder = structured[section] if section else structured
        count_name = next(count for where, what, count in _SUMMARY_LISTS if (where, what) == (section, name))
        items = holder[name]
        keep = len(items) // 2
        holder[name] = dict(list(items.items())[:keep]) if isinstance(items, dict) else items[:keep]
        holder[count_name] = holder.get(count_name, 0) + len(items) - keep
        cut[f"{section}.{name}" if section else name] = keep
        output = ToolOutput(structured, output.notes)
    structured["cut_for_size"] = (
        f"To fit in {MAX_RESULT_BYTES // 1024} KB, lists were cut shorter than max_items: "
        + ", ".join(f"{where} to {count}" for where, count in cut.items())
        + "; each list's left-out count includes the rest."
    )
    structured["next"] = (
        'list_posts with a status (e.g. status="failed") pages through every post of that status.'
    )
    return ToolOutput(structured, output.notes)


def _accounts_note(facts: DeliveryFacts, labels: AccountLabels) -> str | None:
    if labels.names_pending:
        return f"{NAMES_PENDING} {ACTIVITY_UNKNOWN}"
    if any(labels.state(account_id) is Activity.UNKNOWN for account_id in facts.accounts):
        return ACTIVITY_UNKNOWN
    return None


def _anything_left_out(facts: DeliveryFacts, cap: int) -> bool:
    return (
        len(facts.causes) > cap
        or any(len(group.posts) > posts_per_cause(cap) for group in facts.causes[:cap])
        or len(facts.upcoming) > cap
        or len(facts.went_out) > cap
    )


# --- performance: Genviral's analytics beside delivery -------------------------------------------

#: Top and bottom posts by views in a default summary; ``max_items`` above the default lists that many.
RANKED_DEFAULT = 3
#: A URL in a ranked line: enough for any platform's post URL.
RANKED_URL_CHARS = 300
#: Accounts named in ``never_why`` before the rest are counted.
NAMED_UNTRACKED = 5
NOT_YET_AVAILABLE = (
    "Performance was not available yet: Genviral's analytics were slow to answer. A later call has it."
)
NO_ANSWER = "Genviral's analytics did not answer"


def performance_unavailable(view: AnalyticsView) -> str:
    """The one line a result carries when analytics did not come (our own words, never upstream's)."""
    if view.availability is Availability.PENDING:
        return NOT_YET_AVAILABLE
    return f"Performance was not available: {view.reason or NO_ANSWER}."


def metrics_object(row: Row) -> JsonObject:
    """A delivery's metrics in the full view: the numbers the row carries, and its ids to quote."""
    shaped: JsonObject = {name: getattr(row, name) for name in METRICS if getattr(row, name) is not None}
    if row.engagement is not None:
        shaped["engagement"] = row.engagement
    if row.analytics_id:
        shaped["analytics_id"] = _ident(row.analytics_id)
    if row.platform_post_id:
        shaped["platform_post_id"] = _ident(row.platform_post_id)
    return shaped


def _insert_after(mapping: JsonObject, anchor: str, additions: JsonObject) -> JsonObject:
    """``mapping`` with ``additions`` right after ``anchor`` (at the end when it is missing)."""
    if anchor not in mapping:
        return {**mapping, **additions}
    result: JsonObject = {}
    for key, value in mapping.items():
        result[key] = value
        if key == anchor:
            result.update(additions)
    return result


def _place(mapping: JsonObject, anchor: str, additions: JsonObject) -> None:
    """:func:`_insert_after`, in place (the dict is part of a result being built)."""
    placed = _insert_after(mapping, anchor, additions)
    mapping.clear()
    mapping.update(placed)


def _page_metrics(
    page_posts: list[Post], shaped: list[JsonObject], view: AnalyticsView | None, labels: AccountLabels
) -> str | None:
    """Put each measured delivery's metrics into the full view's deliveries; the note to add, if any."""
    published = any(d.status == "posted" for post in page_posts for d in post.deliveries)
    if view is None or view.availability is Availability.ABSENT or not published:
        return None
    if view.availability is not Availability.OK:
        return performance_unavailable(view)
    measures = measure([(post, post.deliveries) for post in page_posts], view, labels)
    for post, shaped_post in zip(page_posts, shaped, strict=True):
        shown, _ = shown_deliveries(post.deliveries)
        for delivery, entry in zip(shown, shaped_post.get("deliveries", []), strict=False):
            found = measures.get((post.id, delivery.account_id))
            if found is not None and found.standing is Standing.MEASURED and found.row is not None:
                _place(entry, "published_url", {"metrics": metrics_object(found.row)})
    return None


def with_performance(
    structured: JsonObject,
    facts: DeliveryFacts,
    view: AnalyticsView | None,
    labels: AccountLabels,
    cap: int,
) -> JsonObject:
    """The summary with performance beside delivery: each ``went_out`` item's measured deliveries get
    a ``metrics`` line, and a ``performance`` section follows ``went_out``. Without analytics (failed,
    refused, another shape, no rows, still on its way) the summary is as it was, plus one
    ``performance_note``; when the endpoint does not exist, or nothing went out, it is as it was."""
    if view is None or view.availability is Availability.ABSENT or not facts.went_out:
        return structured
    if view.availability is not Availability.OK:
        return _insert_after(structured, "went_out", {"performance_note": performance_unavailable(view)})
    performance = assess([(item.post, item.deliveries) for item in facts.went_out], view, labels)
    went_out = structured.get("went_out")
    if isinstance(went_out, dict):
        for item, shaped in zip(facts.went_out[:cap], went_out.get("items", []), strict=False):
            lines = {}
            for delivery in item.deliveries[:ACCOUNTS_PER_ITEM]:
                found = performance.measures.get((item.post.id, delivery.account_id))
                if found is not None and found.standing is Standing.MEASURED and found.row is not None:
                    lines[labels(delivery.account_id)] = metrics_line(found.row)
            if lines:
                _place(shaped, "urls_left_out" if "urls_left_out" in shaped else "urls", {"metrics": lines})
    section = performance_section(performance, view, labels, cap)
    return _insert_after(structured, "went_out", {"performance": section})


def _ranked_line(item: Ranked, labels: AccountLabels) -> str:
    """``45210 views, 6.4% engagement: tiktok @luna.bakes https://…``"""
    head = f"{item.views} views"
    if item.row.engagement is not None:
        head += f", {item.row.engagement:g}% engagement"
    where = untrusted(item.delivery.published_url, RANKED_URL_CHARS) or f"post {_ident(item.post.id)}"
    return f"{head}: {labels(item.delivery.account_id)} {where}"


def _by_views(totals: dict[str, Any]) -> list[str]:
    return sorted(totals, key=lambda name: (-totals[name].sums["views"], name))


def performance_section(
    performance: Performance, view: AnalyticsView, labels: AccountLabels, cap: int
) -> JsonObject:
    """Totals per platform and per account, the top and bottom posts by views, and the published
    deliveries without numbers: never, not yet, or unknown."""
    count = cap if cap > DEFAULT_MAX_ITEMS else min(RANKED_DEFAULT, cap)
    top, bottom = top_and_bottom(performance.ranked, count)
    accounts = _by_views(performance.by_account)
    left_out = max(0, len(accounts) - ACCOUNTS_CAP)
    groups: dict[str, JsonObject] = {}
    for name, counter in (
        ("never", performance.never),
        ("not_yet", performance.not_yet),
        ("unknown", performance.unknown),
    ):
        ordered = sorted(counter, key=lambda account_id: (-counter[account_id], labels(account_id)))
        groups[name] = {labels(account_id): counter[account_id] for account_id in ordered[:ACCOUNTS_CAP]}
        left_out += max(0, len(ordered) - ACCOUNTS_CAP)
    section: JsonObject = {
        "measured": performance.measured,
        "by_platform": _platform_lines(performance),
        "by_account": {
            labels(account_id): performance.by_account[account_id].line()
            for account_id in accounts[:ACCOUNTS_CAP]
        },
        "top": [_ranked_line(item, labels) for item in top],
        "bottom": [_ranked_line(item, labels) for item in bottom],
        **groups,
        "never_why": _never_why(performance, labels),
        "accounts_left_out": left_out or None,
        "note": _performance_note(performance, view),
    }
    return _compact(section)


def _platform_lines(performance: Performance) -> dict[str, str]:
    """Platform -> its totals line, most views first; platform names from Genviral are cleaned, and
    two that clean alike are still two lines."""
    lines: dict[str, str] = {}
    for platform in _by_views(performance.by_platform):
        name = clean_text(platform, 20) or "unknown"
        if name in lines:
            name = f"{name} #{len(lines) + 1}"
        lines[name] = performance.by_platform[platform].line()
    return lines


def _never_why(performance: Performance, labels: AccountLabels) -> str | None:
    parts = []
    platforms = sorted(clean_text(platform, 20) or "unknown" for platform in performance.never_platforms)
    if platforms:
        parts.append(f"{', '.join(platforms)}: no analytics in Genviral")
    untracked = sorted(labels(account_id) for account_id in performance.untracked)
    if untracked:
        named = ", ".join(untracked[:NAMED_UNTRACKED])
        more = f" and {len(untracked) - NAMED_UNTRACKED} more" if len(untracked) > NAMED_UNTRACKED else ""
        verb = "is not an analytics target" if len(untracked) == 1 else "are not analytics targets"
        parts.append(f"{named}{more} {verb} in Genviral (add it there to track it)")
    return "; ".join(parts) or None


def _performance_note(performance: Performance, view: AnalyticsView) -> str | None:
    notes = []
    if not view.complete:
        held = f"hold {view.total} rows" if view.total is not None else "hold more rows"
        notes.append(
            f"Genviral's analytics {held} for these dates and the newest {len(view.rows)} were read: "
            "deliveries under unknown may have numbers."
        )
    if view.targets is None and performance.unknown:
        notes.append(
            "Genviral's list of analytics targets could not be read: accounts without rows are under unknown."
        )
    return " ".join(notes) or None
