"""The ``outputSchema`` of each tool: what every successful ``structuredContent`` follows.

Written by hand rather than derived from models, because the results are plain dicts built for
the pretty-printed view (see :mod:`genviral_mcp.shaping`), with account labels and statuses as
keys. The descriptions are the place where a counter's meaning is pinned down for a model.
"""

from __future__ import annotations

from typing import Any

from genviral_mcp.query import POSTS_PER_CAUSE_RULE

JsonSchema = dict[str, Any]

_STRING: JsonSchema = {"type": "string"}
_INTEGER: JsonSchema = {"type": "integer"}
_STRING_MAP: JsonSchema = {"type": "object", "additionalProperties": _STRING}


def _object(properties: JsonSchema, required: tuple[str, ...] = (), description: str = "") -> JsonSchema:
    schema: JsonSchema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    if description:
        schema["description"] = description
    return schema


def _text(description: str) -> JsonSchema:
    return {"type": "string", "description": description}


def _count(description: str) -> JsonSchema:
    return {"type": "integer", "description": description}


_SAMPLE = _text("Present only in --demo: the data is a built-in sample, not the user's account.")
_NOW = _text("The moment the result describes, YYYY-MM-DD HH:MM UTC. Other times are UTC too.")
_CUT_FOR_SIZE = _text(
    "Present when the result was cut to fit 200 KB: what was cut, and how to read the rest."
)
_CHANGES: JsonSchema = {
    "type": "object",
    "additionalProperties": _STRING,
    "description": "Only with changed_since: each change listed here, as its stable id '<instant> <post id> "
    "<account id>' -> account label. The same change has the same id in every result: drop the ids "
    "already seen to drop repeats.",
}
_POST_REFS: JsonSchema = {
    "type": "object",
    "additionalProperties": _STRING,
    "description": "Post id -> its exact creation instant (pass it as both since and until to list_posts).",
}

SCOPE: JsonSchema = {
    "type": "object",
    "description": "Genviral's own scope-wide counters, verbatim (never recomputed).",
    "properties": {
        "total_posts": _count("Every post in the key's scope, all statuses."),
        "not_yet_published_posts": _count(
            "Posts not yet published: Genviral's 'pending' counter, which is pending + scheduled posts. "
            "It is NOT the number of posts with status pending (see posts_by_status)."
        ),
        "published_posts": _count("Posts published, as Genviral counts them."),
        "posts_by_status": {
            "type": "object",
            "additionalProperties": _INTEGER,
            "description": "Posts per lifecycle status (draft, pending, scheduled, posted, partial, failed).",
        },
        "extra": {
            "type": "object",
            "description": "Fields of Genviral's summary this server does not know, as sent (cleaned).",
        },
        "statuses_left_out": _count("Statuses in posts_by_status beyond the first 20, not passed on."),
    },
    "additionalProperties": False,
}

_METRIC_NAMES = "views, likes, comments, shares, saves, engagement"
_PERFORMANCE_NOTE = _text(
    "Present when Genviral's analytics were not available (refused for this key's plan, failed, "
    "another shape, no rows for these dates, or slow to answer): there are no performance numbers in "
    "this result, and everything else is as it is without them."
)
_METRICS_OBJECT = _object(
    {
        **{
            name: _count(f"{name.capitalize()}, as Genviral's analytics last counted them.")
            for name in (
                "views",
                "likes",
                "comments",
                "shares",
                "saves",
            )
        },
        "engagement": {"type": "number", "description": "Engagement rate, a percentage (6.42 means 6.42 %)."},
        "analytics_id": _text("The analytics row's id (analyticsId)."),
        "platform_post_id": _text("The platform's own id for the post."),
    },
    description="This delivery's numbers from Genviral's analytics (lifetime totals of the platform post, "
    "as Genviral last refreshed them), present when one analytics row matches it. Only the numbers the "
    "row carries: a missing one is unknown, never 0.",
)

_FULL_DELIVERY = _object(
    {
        "account": _text("Account label (see accounts)."),
        "status": _STRING,
        "published": _text("Exact instant it was published."),
        "published_url": _STRING,
        "metrics": _METRICS_OBJECT,
        "error_message": _text("Why it failed (cleaned, shortened)."),
        "earlier_error": _text("An old error on a delivery that published anyway: not a failure."),
        "last_attempted": _text("Exact instant of the latest attempt."),
        "extra": {"type": "object", "description": "Fields Genviral sent that this server does not know."},
    },
    ("account", "status"),
)
_DELIVERIES: JsonSchema = {
    "description": "Concise: {account: 'status[ url|: error]'}, one line each. Full: one object per "
    "delivery, with its exact instants.",
    "anyOf": [_STRING_MAP, {"type": "array", "items": _FULL_DELIVERY}],
}
_ACCOUNTS_NOTE = _text(
    "Present when account names were not available yet, or when whether an account is active in "
    "Genviral could not be checked (its connection is then 'unknown')."
)

_FILTERS = _object(
    {
        "status": _STRING,
        "limit": _INTEGER,
        "since": _STRING,
        "until": _STRING,
        "detail": {"type": "string", "enum": ["concise", "full"]},
    },
    ("limit", "detail"),
    "The arguments as applied: limit after clamping; since/until (creation times) as exact UTC instants, "
    "a date alone widened to its whole day.",
)

LIST_POSTS_OUTPUT: JsonSchema = _object(
    {
        "sample_data": _SAMPLE,
        "now": _NOW,
        "filters": _FILTERS,
        "returned": _count("Posts in this page."),
        "scope": SCOPE,
        "accounts": {**_STRING_MAP, "description": "Account label -> account id, for every label used."},
        "posts": {
            "type": "array",
            "description": "Newest created first. The same names in both views: created, scheduled, "
            "published (concise gives minutes, full the API's exact instants, except created: always exact).",
            "items": {
                "type": "object",
                "required": ["id", "status"],
                "properties": {
                    "id": _STRING,
                    "status": _STRING,
                    "created": _text(
                        "Exact creation instant in both views (since = until = this finds the post)."
                    ),
                    "scheduled": _text(
                        "When it is (or was) due: YYYY-MM-DD HH:MM in concise, the exact instant in full."
                    ),
                    "media": {},
                    "caption": _STRING,
                    "deliveries": _DELIVERIES,
                    "deliveries_left_out": _count(
                        "Deliveries beyond the first 50 (problems first), not shown."
                    ),
                    "earlier_errors": {
                        **_STRING_MAP,
                        "description": "Old errors on accounts that published anyway: not failures.",
                    },
                },
            },
        },
        "accounts_note": _ACCOUNTS_NOTE,
        "next_page": {**_FILTERS, "description": "The exact arguments for the next page."},
        "same_instant": _text(
            "Present when every post on the page was created at one instant and more may share it: "
            "the API cannot page within an instant; the text says how to see up to 100 of them."
        ),
        "performance_note": _PERFORMANCE_NOTE,
        "upstream_problem": _text("Present only when Genviral's answer was broken and was repaired."),
        "cut_for_size": _CUT_FOR_SIZE,
    },
    ("now", "filters", "returned", "scope", "posts"),
)

_CAUSE = _object(
    {
        "cause": _text("The error (normalised: the same error on many posts is one cause), or a state."),
        "fix": _text("What to do, when the cause is recognisable. Absent means: no known fix."),
        "deliveries": _count("Deliveries with this cause."),
        "accounts": {"type": "array", "items": _STRING},
        "accounts_left_out": _count("Accounts with this cause beyond the first 20, not listed."),
        "newest": _text("When it last happened."),
        "posts": _POST_REFS,
        "posts_left_out": _count(
            f"Posts with this cause not listed (see next). posts holds {POSTS_PER_CAUSE_RULE}."
        ),
        "changes": _CHANGES,
        "changes_left_out": _count("Changes with this cause beyond max_items, not listed (see next)."),
    },
    ("cause", "deliveries", "accounts"),
)

_MINUTE = 'YYYY-MM-DD HH:MM, UTC (list_posts with detail="full" gives the exact instant).'
_CREATED = _text("The post's exact creation instant (list_posts with since = until = this finds it).")

_UPCOMING_ITEM = _object(
    {
        "scheduled": _text("When it is due: " + _MINUTE),
        "id": _STRING,
        "created": _CREATED,
        "status": _text("The post's status, when it is not 'scheduled' (e.g. 'pending', 'deleted')."),
        "accounts": {"type": "array", "items": _STRING, "description": "Accounts it still has to go out to."},
        "accounts_left_out": _count("Accounts beyond the first 20, not listed."),
        "warning": _text("Accounts among them that are not active in Genviral: it will not go out there."),
        "caption": _STRING,
    },
    ("scheduled", "id"),
)

_WENT_OUT_ITEM = _object(
    {
        "published": _text("When its first delivery in the window was published: " + _MINUTE),
        "id": _STRING,
        "created": _CREATED,
        "urls": {**_STRING_MAP, "description": "Account label -> published URL."},
        "urls_left_out": _count("Deliveries published in the window beyond the first 20, not listed."),
        "metrics": {
            **_STRING_MAP,
            "description": "Account label -> how that delivery is doing, from Genviral's analytics: "
            f"'12400 views, 830 likes, 41 comments, 12 shares, 95 saves, 6.4% engagement' ({_METRIC_NAMES}; "
            "only what its analytics row carries: a missing number is unknown, never 0). Only deliveries "
            "one row matches; see performance for the others.",
        },
        "caption": _STRING,
        "changes": _CHANGES,
    },
    ("published", "id", "urls"),
)

_PER_ACCOUNT_COUNT: JsonSchema = {"type": "object", "additionalProperties": _INTEGER}
_TOTALS_MAP: JsonSchema = {"type": "object", "additionalProperties": _STRING}
_PERFORMANCE = _object(
    {
        "measured": _count("Deliveries published in the went_out window that have numbers."),
        "by_platform": {
            **_TOTALS_MAP,
            "description": "Platform -> totals over its measured deliveries: '3 posts: 45210 views, 2810 "
            "likes, 95 comments, 12 shares (2 of 3), 6.1% engagement'. '(2 of 3)': only 2 of the 3 carry "
            "that number; engagement is weighted by views. Most views first.",
        },
        "by_account": {**_TOTALS_MAP, "description": "Account label -> totals, as by_platform."},
        "top": {
            "type": "array",
            "items": _STRING,
            "description": "The deliveries with most views: 'views[, engagement]: account url'. 3 by "
            "default; max_items above 10 lists that many.",
        },
        "bottom": {
            "type": "array",
            "items": _STRING,
            "description": "The deliveries with fewest views (fewest first), none of them in top.",
        },
        "top_left_out": _count("Ranked deliveries cut from top to fit the size bound."),
        "bottom_left_out": _count("Ranked deliveries cut from bottom to fit the size bound."),
        "never": {
            **_PER_ACCOUNT_COUNT,
            "description": "Account label -> published deliveries that will never have numbers: "
            "Pinterest, LinkedIn and Facebook have no analytics, and an account that is not an analytics "
            "target in Genviral has none (see never_why).",
        },
        "never_why": _text("Why those have no numbers: the platforms, and the accounts not tracked."),
        "not_yet": {
            **_PER_ACCOUNT_COUNT,
            "description": "Account label -> published deliveries on tracked accounts whose analytics row "
            "has not appeared yet (TikTok drafts and new posts take time): ask again later.",
        },
        "unknown": {
            **_PER_ACCOUNT_COUNT,
            "description": "Account label -> published deliveries whose numbers are unknown: more than one "
            "analytics row fits (never guessed), not every row was read, or whether the account is "
            "tracked could not be told.",
        },
        "accounts_left_out": _count("Accounts beyond the first 50 per map, not listed."),
        "note": _text("Present when the numbers are incomplete, and why."),
    },
    ("measured",),
    "How what went out is doing, from Genviral's analytics (lifetime numbers per platform post, as "
    "Genviral last refreshed them), for the deliveries in went_out's window. A number that is missing is "
    "unknown, never 0.",
)

_ACCOUNT = _object(
    {
        "id": _STRING,
        "platform": _STRING,
        "connection": _text(
            "Present only when the account is not plainly active: Genviral's status for it when that "
            "is not a healthy one (e.g. 'paused'), 'not active (missing from Genviral's account "
            "list)', or 'unknown' when the list could not be checked (see accounts_note)."
        ),
        "published_in_window": _count("Deliveries published in the went_out window."),
        "needs_attention": _count("Deliveries needing attention now (failed, partial, retry or overdue)."),
        "last_error": _text("The newest error among those deliveries."),
    },
    ("id", "published_in_window", "needs_attention"),
)

SUMMARY_OUTPUT: JsonSchema = _object(
    {
        "sample_data": _SAMPLE,
        "now": _NOW,
        "as_of": _text(
            "Pass as changed_since next time (ISO 8601, ms, Z). It is this call's start minus 15 minutes "
            "(a failure's attempt is stamped when it starts, before it shows), and never before "
            "changed_since: nothing is missed between two calls, and a change near the boundary can be "
            "reported twice (drop repeats by their ids under changes)."
        ),
        "as_of_note": _text(
            "Present when as_of is not a safe cursor: a walk that can hold news stopped early (see "
            "incomplete). With changed_since, as_of then stays at changed_since and news may be incomplete."
        ),
        "changed_since": _text(
            "The changed_since applied, exact: needs_attention, went_out and accounts list only changes at "
            "or after it (upcoming is unchanged)."
        ),
        "scope": SCOPE,
        "counted_by_this_tool": {
            "type": "object",
            "additionalProperties": {"anyOf": [_INTEGER, _STRING]},
            "description": "Posts this tool counted itself, by status, where Genviral's counters are "
            "silent (retry, deleted, void, ...) or differ from the posts a complete walk found; "
            "'at least N' when a bound cut the walk short. Past 20 statuses, statuses_left_out counts "
            "the rest.",
        },
        "coverage": _text(
            "'exact' only when every post in scope that can need attention or go out was examined, "
            "including posts with statuses no filter reaches (deleted, void, ...); otherwise "
            "'incomplete', and incomplete says what was not examined and how many."
        ),
        "incomplete": {
            "type": "array",
            "items": _STRING,
            "description": "What could not be examined, why, and the exact next call. Absent when complete.",
        },
        "needs_attention": _object(
            {
                "deliveries": _count(
                    "Every delivery needing a human, in the whole scope (with changed_since: those that "
                    "became news since, by their latest attempt, or their grace end when overdue)."
                ),
                "posts": _count("Posts with at least one such delivery."),
                "causes": {"type": "array", "items": _CAUSE, "description": "Most deliveries first."},
                "causes_left_out": _INTEGER,
                "accounts_not_active": {
                    "type": "array",
                    "items": _object(
                        {
                            "account": _STRING,
                            "condition": _STRING,
                            "deliveries": _count(
                                "Its deliveries not gone out (failed, partial, retry, pending, scheduled); "
                                "failures are also counted under their own causes."
                            ),
                            "fix": _STRING,
                            "change": _text(
                                "Only with changed_since: the stable id of its newest delivery that failed "
                                "or fell due since then."
                            ),
                        },
                        ("account", "condition", "deliveries"),
                    ),
                    "description": "Accounts Genviral's account list says are not active (missing from "
                    "it, or listed with another status): nothing goes out to them until reconnected.",
                },
                "accounts_not_active_left_out": _INTEGER,
                "older_deliveries": _count(
                    "Only with changed_since: deliveries that still need attention but changed before it."
                ),
                "older": _text("Only with changed_since: what is still open but not news, counted."),
            },
            ("deliveries", "posts"),
        ),
        "upcoming": _object(
            {
                "hours": _INTEGER,
                "through": _STRING,
                "posts": _count("Posts scheduled from now through 'through', exactly."),
                "items": {"type": "array", "items": _UPCOMING_ITEM, "description": "Soonest first."},
                "left_out": _INTEGER,
            },
            ("hours", "posts"),
        ),
        "went_out": _object(
            {
                "published_since": _STRING,
                "published_until": _STRING,
                "posts": _count("Posts with a delivery published in the window."),
                "deliveries": _count("Deliveries published in the window."),
                "items": {"type": "array", "items": _WENT_OUT_ITEM, "description": "Newest first."},
                "left_out": _INTEGER,
                "complete": {"type": "boolean", "description": "False: see looked_back_to and note."},
                "looked_back_to": _text("The oldest creation time examined when the walk was bounded."),
                "note": _STRING,
            },
            ("published_since", "published_until", "posts", "complete"),
        ),
        "performance": _PERFORMANCE,
        "performance_note": _PERFORMANCE_NOTE,
        "accounts": {
            "type": "object",
            "additionalProperties": _ACCOUNT,
            "description": "Account label -> its facts; accounts with problems first. With changed_since, "
            "only accounts with news.",
        },
        "accounts_left_out": _INTEGER,
        "accounts_note": _ACCOUNTS_NOTE,
        "post_details": _STRING,
        "cut_for_size": _CUT_FOR_SIZE,
        "next": {
            "description": "The exact next call that shows what a cap left out.",
            "anyOf": [
                _object({"get_delivery_summary": {"type": "object"}}, ("get_delivery_summary",)),
                _STRING,
            ],
        },
    },
    ("now", "as_of", "scope", "coverage", "needs_attention", "upcoming", "went_out"),
)
