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
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic_core import PydanticSerializationError, to_json

from genviral_mcp.accounts import AccountLabels, connection_problem
from genviral_mcp.analysis import CauseGroup, DeliveryFacts, WentOut, Windows, analyse
from genviral_mcp.errors import UpstreamError
from genviral_mcp.models import Delivery, JsonObject, Post, ScopeSummary
from genviral_mcp.paging import Page, StatusWalk
from genviral_mcp.query import MAX_ITEMS, PostsQuery, SummaryRequest
from genviral_mcp.sanitize import IDENTIFIER_CHARS, clean_text, plain_text, untrusted
from genviral_mcp.survey import ATTENTION_WALKS, Survey
from genviral_mcp.timestamps import exact, minute

Detail = Literal["concise", "full"]

CAPTION_CHARS = 60
SUMMARY_CAPTION_CHARS = 40
#: What went out is identified by its links; a few words of caption are enough beside them.
WENT_OUT_CAPTION_CHARS = 24
ERROR_CHARS = 200
FULL_ERROR_CHARS = 500
#: Text from Genviral that is not an error message (URLs, timestamps, settings) is cut here.
VALUE_CHARS = 2000
#: Unknown fields in the full view: how deep and how many entries are passed on.
EXTRA_DEPTH = 4
EXTRA_ITEMS = 50
#: Accounts listed in a summary; a scope rarely has more, and the rest are counted.
ACCOUNTS_CAP = 50
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
    """The API's scope counters, exactly as given (never recomputed), under names that say what
    each counts; names and unknown fields cleaned."""
    return {
        COUNTER_NAMES.get(name, clean_text(name, 40)): untrusted_value(value)
        for name, value in scope.model_dump(exclude_none=True).items()
    }


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
    if post.created_at:
        shaped["created"] = _text(post.created_at, 40)  # exact: since = until = this finds the post
    if post.scheduled_at:
        shaped["scheduled"] = minute(post.scheduled_at)
    caption = shorten_caption(post.caption, CAPTION_CHARS) if post.caption else ""
    if caption:
        shaped["caption"] = caption
    deliveries = post.deliveries
    if deliveries:
        shaped["deliveries"] = flat_deliveries(deliveries, alias)
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
    return _compact(
        {
            "id": _ident(post.id),
            "status": _ident(post.status),
            "created": _text(post.created_at, 40),
            "scheduled": _text(post.scheduled_at, 40),
            "caption": " ".join(plain_text(post.caption).split()) if post.caption else None,
            "media": untrusted_value(post.media.model_dump(exclude_none=True)) if post.media else None,
            "music_url": _text(post.music_url),
            "tiktok": untrusted_value(post.tiktok),
            "pinterest": untrusted_value(post.pinterest),
            "deliveries": [full_delivery(delivery, alias) for delivery in post.deliveries],
            "extra": _extra(post),
        }
    )


def list_posts_output(
    page: Page, query: PostsQuery, detail: Detail, now: datetime, labels: AccountLabels
) -> ToolOutput:
    """``list_posts``: the page, newest first, with filters, counts, scope counters and paging."""
    shape = concise_post if detail == "concise" else full_post
    posts = [shape(post, labels) for post in page.posts]
    filters = {**query.describe(), "detail": detail}
    structured: JsonObject = {
        "now": now_label(now),
        "filters": filters,
        "returned": len(posts),
        "scope": scope_counters(page.scope),
        "accounts": labels.legend(),
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


def _cause_item(group: CauseGroup, labels: AccountLabels, cap: int) -> JsonObject:
    posts = list(group.posts.values())
    return _compact(
        {
            "cause": group.cause,
            "fix": group.fix,
            "deliveries": group.deliveries,
            "accounts": _labels(group.account_ids, labels),
            "newest": minute(exact(group.newest)) if group.posts else None,
            "posts": _post_refs(posts, cap),
            "posts_left_out": max(0, len(posts) - cap) or None,
        }
    )


def _upcoming_item(post: Post, labels: AccountLabels) -> JsonObject:
    return _compact(
        {
            "scheduled": minute(post.scheduled_at),
            "id": _ident(post.id),
            "created": _text(post.created_at, 40),
            "status": clean_text(post.status, 40) if post.status != "scheduled" and post.status else None,
            "accounts": _labels([delivery.account_id for delivery in post.deliveries], labels),
            "caption": shorten_caption(post.caption, SUMMARY_CAPTION_CHARS, say_length=False)
            if post.caption
            else None,
        }
    )


def _went_out_item(item: WentOut, labels: AccountLabels) -> JsonObject:
    post = item.post
    return _compact(
        {
            "published": minute(exact(item.published)),
            "id": _ident(post.id),
            "created": _text(post.created_at, 40),
            "urls": {labels(d.account_id): _text(d.published_url) or "" for d in item.deliveries},
            "caption": shorten_caption(post.caption, WENT_OUT_CAPTION_CHARS, say_length=False)
            if post.caption
            else None,
        }
    )


def _walk_problem(walk: StatusWalk) -> str:
    """Why a walk is incomplete, and the exact next call that shows what it left out."""
    if walk.error is not None:
        return (
            f"{walk.status}: {_error_text(walk.error)} Posts with this status that were not read are "
            "missing above. Call get_delivery_summary again; if it keeps failing, "
            f'list_posts with status="{walk.status}" reads them page by page.'
        )
    reason = {
        "page_cap": f"the walk stops after {walk.requests} pages",
        "time_budget": "the walk ran out of time",
        "repeating": "Genviral sent the same posts again",
    }.get(walk.stopped or "", "the walk stopped early")
    oldest = walk.oldest_created
    expected = f" of {walk.expected}" if walk.expected is not None else ""
    older = (
        f' Next: list_posts with status="{walk.status}" and until={exact(oldest)} shows the older ones.'
        if oldest is not None
        else ""
    )
    return (
        f"{walk.status}: examined the newest {len(walk.posts)}{expected} posts by creation time ({reason});"
        f" older ones were not examined.{older}"
    )


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
    walks = [survey.walk(status) for status in ("posted", "partial", "retry")]
    unfinished = [walk for walk in walks if walk is not None and not walk.complete]
    section["complete"] = not unfinished
    posted = survey.walk("posted")
    if posted is not None and not posted.complete and posted.error is None and posted.oldest_created:
        oldest = exact(posted.oldest_created)
        section["looked_back_to"] = oldest
        section["note"] = (
            f"Only posted posts created since {oldest} were examined ({len(posted.posts)} posts); a post "
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
    if account and account.status:
        item["connection"] = clean_text(account.status, 40)
    item["published_in_window"] = activity.published_in_window
    item["needs_attention"] = activity.needs_attention
    if activity.last_error:
        item["last_error"] = activity.last_error
    return item


def _accounts_section(facts: DeliveryFacts, labels: AccountLabels) -> tuple[JsonObject, int]:
    def has_problem(account_id: str) -> bool:
        return bool(
            facts.accounts[account_id].needs_attention or connection_problem(labels.account(account_id))
        )

    ordered = sorted(facts.accounts, key=lambda account_id: (not has_problem(account_id), labels(account_id)))
    shown = {
        labels(account_id): _account_item(account_id, labels(account_id), facts, labels)
        for account_id in ordered[:ACCOUNTS_CAP]
    }
    return shown, max(0, len(ordered) - ACCOUNTS_CAP)


def delivery_summary_output(survey: Survey, request: SummaryRequest, now: datetime) -> ToolOutput:
    """``get_delivery_summary``: the scope's counters, then each everyday question answered."""
    failures = [walk.error for walk in survey.walks if walk.error is not None]
    if survey.scope is None:  # not one page was read: nothing to summarise
        raise failures[0] if failures else UpstreamError("Genviral returned nothing to summarise.")
    labels = survey.labels
    windows = Windows(now, request.upcoming_until(now), request.published_since, request.published_until)
    posts = survey.posts()
    facts = analyse(
        posts,
        windows,
        lambda account_id: connection_problem(labels.account(account_id)),
        labels.known_ids(),
    )
    cap = request.max_items
    incomplete = [_walk_problem(walk) for walk in survey.walks if not walk.complete]
    attention_walks = [survey.walk(status) for status in ATTENTION_WALKS]
    exact_scope = all(walk is not None and walk.complete for walk in attention_walks)
    accounts, accounts_left_out = _accounts_section(facts, labels)
    structured: JsonObject = {
        "now": now_label(now),
        "scope": scope_counters(survey.scope),
        "coverage": (
            f"exact: every failed, partial, retry, pending and scheduled post in scope was examined "
            f"({len(posts)} posts, {survey.requests} requests)"
            if exact_scope
            else "incomplete: see incomplete"
        ),
        "incomplete": incomplete,
        "needs_attention": _compact(
            {
                "deliveries": facts.attention_deliveries,
                "posts": facts.attention_posts,
                "causes": [_cause_item(group, labels, posts_per_cause(cap)) for group in facts.causes[:cap]],
                "causes_left_out": max(0, len(facts.causes) - cap) or None,
            }
        ),
        "upcoming": _compact(
            {
                "hours": request.hours_ahead,
                "through": minute(exact(windows.upcoming_until)),
                "posts": len(facts.upcoming),
                "items": [_upcoming_item(post, labels) for post in facts.upcoming[:cap]],
                "left_out": max(0, len(facts.upcoming) - cap) or None,
            }
        ),
        "went_out": _went_out_section(facts, survey, request, labels),
        "accounts": accounts,
        "accounts_left_out": accounts_left_out or None,
        "post_details": POST_DETAILS,
    }
    left_out = _anything_left_out(facts, cap)
    if left_out and cap < MAX_ITEMS:
        structured["next"] = {"get_delivery_summary": request.arguments(max_items=MAX_ITEMS)}
    elif left_out:
        structured["next"] = (
            'Lists are capped at max_items=100. list_posts with a status (e.g. status="failed") pages '
            "through every post of that status."
        )
    structured = _compact(structured)
    notes: tuple[str, ...] = ()
    if incomplete:
        notes = ("This summary is incomplete: see incomplete for what is missing and the next call.",)
    return ToolOutput(structured, notes)


def posts_per_cause(max_items: int) -> int:
    """Example posts listed per cause: one by default (the count says how many there are, and
    ``next`` lists more), an eighth of ``max_items`` when more are asked for."""
    return max(1, max_items // 8)


def _anything_left_out(facts: DeliveryFacts, cap: int) -> bool:
    return (
        len(facts.causes) > cap
        or any(len(group.posts) > posts_per_cause(cap) for group in facts.causes[:cap])
        or len(facts.upcoming) > cap
        or len(facts.went_out) > cap
    )
