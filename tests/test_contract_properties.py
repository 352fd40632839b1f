"""The output contract, for any upstream data: every successful result follows the tool's declared
``outputSchema``, every failure is a short clean ``isError``, and ``genviral-mcp check`` on the
same data never dies with a traceback.

Hypothesis builds hostile Posts API answers (extra fields of every JSON type in the summary, posts,
deliveries and media; empty, blank and markup-only errors; missing fields; duplicate ids;
out-of-range dates; huge numbers) and an in-process transport serves each one to the real server
through an MCP client, in both protocol eras. Each result is validated here with ``jsonschema``
against the schema the server declares, whatever the client library checks on its own. The runs are
derandomized with a fixed example budget, so every run sees the same cases.
"""

from __future__ import annotations

import io
import itertools
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx2 as httpx
import jsonschema  # type: ignore[import-untyped]  # (mcp depends on it; its stubs are not installed)
import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.types import CallToolResult

from genviral_mcp.check import EXIT_API, EXIT_OK, run_check
from genviral_mcp.config import ApiKey, Settings
from genviral_mcp.query import FILTER_STATUSES
from genviral_mcp.server import build_server

from support.common import FAST_RETRY, KEY, NOW

#: A fixed budget per property: together the properties below stay well under 30 s.
PROPERTIES = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
BASE_URL = "https://api.genviral.test/api/partner/v1"

JsonObject = dict[str, Any]

# --- Hostile upstream data ------------------------------------------------------------------------

hostile_text = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=2000, max_value=3000).map(lambda n: "x" * n),
    st.sampled_from(
        [
            "",
            " ",
            "<br>",
            "<br/> <p></p>",
            "\u200b",
            "\u200b \u2060\ufeff",
            "\x00\x1b[31m",
            "<script>alert(1)</script>",
            "NaN",
            "Request failed with status code 401",
            "(#36003) The aspect ratio is not supported.",
            "Media 3f1c9a20-1111-4fb7-8c7b-befbcb8af812 not found",
        ]
    ),
)
huge_ints = st.one_of(
    st.integers(min_value=-5, max_value=500),
    st.sampled_from([2**63, -(2**63) - 1, 10**30, -(10**30)]),
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    huge_ints,
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -0.0]),
    hostile_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def extras(known: set[str]) -> st.SearchStrategy[JsonObject]:
    """Fields this server does not know, of every JSON type (never one of the ``known`` names)."""
    return st.dictionaries(
        st.text(min_size=1, max_size=12).filter(lambda name: name not in known), json_values, max_size=3
    )


def _iso(moment: Any) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


timestamps = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "",
            "not a time",
            "0001-01-01T00:00:00Z",
            "0001-01-01T00:00:00.000Z",
            "0001-01-01T00:30:00+01:00",
            "1969-12-31T23:59:59.999Z",
            "9999-12-31T23:59:59.999Z",
            "9999-12-31T23:00:00-05:00",
            "2026-11-28",
        ]
    ),
    st.datetimes(
        min_value=NOW.replace(tzinfo=None) - timedelta(days=3),
        max_value=NOW.replace(tzinfo=None) + timedelta(days=3),
    ).map(_iso),
    st.datetimes().map(_iso),
)
#: Instants within 30 hours of now: what makes a post upcoming, overdue or just published.
#: (Sampled evenly: drawn as integers, most would land on now itself.)
near_now = st.sampled_from(range(-30 * 60, 30 * 60, 7)).map(
    lambda minutes: _iso(NOW + timedelta(minutes=minutes))
)
statuses = st.one_of(
    st.none(), st.sampled_from([*FILTER_STATUSES, "deleted", "void", "", "POSTED", "\u200b"])
)
account_ids = st.sampled_from(
    [
        "acc-1",
        "acc-2",
        "3f1c9a20-0000-4000-8000-000000000001",
        "3f1c9a20-0000-4000-8000-000000000002",
        "",
        "\u200b",
    ]
)
#: Mostly unique; one time in four from a small pool, so that ids repeat across posts.
unique_ids = st.uuids().map(str)
post_ids = st.one_of(
    unique_ids, unique_ids, unique_ids, st.sampled_from(["p1", "p2", "", "\u200b<br>", "x" * 500])
)
error_messages = st.one_of(st.none(), hostile_text)


def _with(
    extra: st.SearchStrategy[JsonObject], base: st.SearchStrategy[JsonObject]
) -> st.SearchStrategy[JsonObject]:
    return st.builds(lambda more, known: {**more, **known}, extra, base)


DELIVERY_FIELDS = {
    "account_id",
    "status",
    "published_at",
    "error_message",
    "last_attempted_at",
    "published_url",
}
deliveries = _with(
    extras(DELIVERY_FIELDS),
    st.fixed_dictionaries(
        {"account_id": account_ids},
        optional={
            "status": statuses,
            "published_at": timestamps,
            "error_message": error_messages,
            "last_attempted_at": timestamps,
            "published_url": st.one_of(st.none(), hostile_text, st.just("https://www.tiktok.com/@a/video/1")),
        },
    ),
)
media = st.one_of(
    st.none(),
    _with(
        extras({"type", "url"}),
        st.fixed_dictionaries(
            {},
            optional={"type": st.one_of(st.none(), hostile_text), "url": st.one_of(st.none(), hostile_text)},
        ),
    ),
)
settings_objects = st.one_of(st.none(), st.dictionaries(st.text(max_size=8), json_values, max_size=3))
POST_FIELDS = {
    "id",
    "caption",
    "status",
    "scheduled_at",
    "created_at",
    "media",
    "music_url",
    "tiktok",
    "pinterest",
    "accounts",
}
posts = _with(
    extras(POST_FIELDS),
    st.fixed_dictionaries(
        {"id": post_ids},
        optional={
            "caption": st.one_of(st.none(), hostile_text),
            "status": statuses,
            "scheduled_at": timestamps,
            "created_at": timestamps,
            "media": media,
            "music_url": st.one_of(st.none(), hostile_text),
            "tiktok": settings_objects,
            "pinterest": settings_objects,
            "accounts": st.one_of(
                st.none(),
                st.fixed_dictionaries(
                    {"states": st.lists(deliveries, max_size=4)},
                    optional={"total": st.one_of(st.none(), huge_ints)},
                ),
            ),
        },
    ),
)
#: One post for each part of a summary: (post statuses, delivery statuses, minutes from now of its
#: scheduled and publish times).
ROLES: dict[str, tuple[list[str], list[str], range]] = {
    "upcoming": (["scheduled", "pending"], ["scheduled", "pending"], range(10, 23 * 60, 7)),
    "overdue": (["pending", "scheduled"], ["pending", "scheduled"], range(-20 * 60, -31, 7)),
    "failed": (
        ["failed", "partial", "retry"],
        ["failed", "retry", "partial", "posted"],
        range(-30 * 60, 0, 7),
    ),
    "published": (["posted", "partial"], ["posted"], range(-23 * 60, 0, 7)),
    "provider status": (["deleted", "void"], ["scheduled", "deleted", "failed"], range(-30 * 60, 30 * 60, 7)),
}


def _near(minutes: range) -> st.SearchStrategy[str | None]:
    """Three times in four an instant ``minutes`` from now (sampled evenly), else any timestamp."""
    instant = st.sampled_from(minutes).map(lambda offset: _iso(NOW + timedelta(minutes=offset)))
    return st.one_of(instant, instant, instant, timestamps)


@st.composite
def plausible_post(draw: st.DrawFn, role: str) -> JsonObject:
    """A post that plays ``role`` in a summary, every field of it still free to be hostile."""
    post_statuses, delivery_statuses, minutes = ROLES[role]
    delivery = _with(
        extras(DELIVERY_FIELDS),
        st.fixed_dictionaries(
            {
                "account_id": account_ids,
                "status": st.sampled_from(delivery_statuses),
                "published_at": _near(minutes),
                "error_message": error_messages,
                "last_attempted_at": _near(minutes),
                "published_url": st.one_of(st.none(), hostile_text),
            }
        ),
    )
    post = {
        "id": draw(post_ids),
        "caption": draw(st.one_of(st.none(), hostile_text)),
        "status": draw(st.sampled_from(post_statuses)),
        "scheduled_at": draw(_near(minutes)),
        "created_at": draw(_near(range(-40 * 60, -30 * 60))),
        "media": draw(media),
        "accounts": {"states": draw(st.lists(delivery, min_size=1, max_size=3))},
    }
    return {**draw(extras(POST_FIELDS)), **post}


@st.composite
def scope_posts(draw: st.DrawFn) -> list[JsonObject]:
    """One post per role, then up to three anything-goes posts, in any order."""
    chosen = [draw(plausible_post(role)) for role in ROLES] + draw(st.lists(posts, max_size=3))
    return list(draw(st.permutations(chosen)))


counters = st.one_of(st.none(), huge_ints)
summaries = _with(
    extras({"total", "pending", "published", "by_status"}),
    st.fixed_dictionaries(
        {},
        optional={
            "total": counters,
            "pending": counters,
            "published": counters,
            "by_status": st.dictionaries(
                st.sampled_from([*FILTER_STATUSES, "deleted", "x" * 200, ""]), huge_ints, max_size=4
            ),
        },
    ),
)
with_posts = st.fixed_dictionaries(
    {"posts": st.one_of(scope_posts(), st.lists(posts, min_size=1, max_size=6))},
    optional={"summary": summaries},
)
envelopes = _with(
    extras({"ok", "code", "message", "data", "error_code"}),
    st.fixed_dictionaries(
        {
            "ok": st.just(True),
            "data": _with(
                extras({"summary", "posts"}),
                # Three answers in four hold posts; the fourth has a summary alone, or nothing.
                st.one_of(
                    with_posts,
                    with_posts,
                    with_posts,
                    st.fixed_dictionaries({}, optional={"summary": summaries}),
                ),
            ),
        },
        optional={"code": st.just(200), "message": hostile_text},
    ),
)
accounts_lists = st.one_of(
    st.none(),
    st.lists(
        _with(
            extras({"id", "platform", "type", "username", "display_name", "status"}),
            st.fixed_dictionaries(
                {"id": account_ids},
                optional={
                    "platform": st.one_of(
                        st.none(), st.sampled_from(["tiktok", "instagram", ""]), hostile_text
                    ),
                    "username": st.one_of(st.none(), hostile_text),
                    "display_name": st.one_of(st.none(), hostile_text),
                    "status": st.one_of(
                        st.none(), st.sampled_from(["active", "connected", "paused", ""]), hostile_text
                    ),
                },
            ),
        ),
        max_size=4,
    ),
)
list_arguments = st.fixed_dictionaries(
    {"limit": st.integers(min_value=1, max_value=8), "detail": st.sampled_from(["concise", "full"])},
    optional={"status": st.sampled_from(FILTER_STATUSES)},
)


# --- An upstream that answers with whatever the example holds -------------------------------------


@dataclass
class Upstream:
    """Serves the current example's answer for ``/posts`` (its status filter and limit applied, as
    the API would) and ``/accounts`` (404 when the example has no list)."""

    envelope: JsonObject = field(default_factory=lambda: {"ok": True, "data": {}})
    accounts: list[JsonObject] | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/accounts"):
            if self.accounts is None:
                return httpx.Response(404, json={"ok": False, "code": 404, "message": "Not found"})
            return self._json({"ok": True, "code": 200, "data": {"accounts": self.accounts}})
        envelope = json.loads(json.dumps(self.envelope))
        data = envelope.get("data")
        if isinstance(data, dict) and isinstance(data.get("posts"), list):
            status = request.url.params.get("status")
            chosen = [post for post in data["posts"] if status is None or post.get("status") == status]
            data["posts"] = chosen[: int(request.url.params.get("limit", "20"))]
        return self._json(envelope)

    @staticmethod
    def _json(document: JsonObject) -> httpx.Response:
        # json.dumps writes NaN and Infinity as bare words, as a broken upstream might.
        return httpx.Response(
            200, content=json.dumps(document).encode(), headers={"content-type": "application/json"}
        )


def follows_schema(schema: JsonObject, result: CallToolResult) -> None:
    """A success must validate against ``schema``; a failure must be short, clean and not internal."""
    if result.is_error:
        text = " ".join(block.text for block in result.content if block.type == "text")
        assert 0 < len(text) < 700 and "internal error" not in text and "Traceback" not in text, text
        return
    assert result.structured_content is not None
    jsonschema.validate(result.structured_content, schema)
    assert json.loads(result.content[0].text) == result.structured_content  # type: ignore[union-attr]


@dataclass
class Session:
    upstream: Upstream
    call: Callable[[str, dict[str, Any]], CallToolResult]
    schemas: dict[str, JsonObject]


@pytest.fixture(scope="module", params=["auto", "legacy"])
def session(request: pytest.FixtureRequest) -> Iterator[Session]:
    """One server and client per protocol era; each call gets a fresh key, so its account list is
    fetched (and labelled) afresh instead of coming from the cache."""
    upstream = Upstream()
    keys = (ApiKey(f"gva_live_property{n}.secret") for n in itertools.count())
    server = build_server(
        Settings.from_env({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": BASE_URL}),
        transport=httpx.MockTransport(upstream.handle),
        clock=lambda: NOW,
        retry=FAST_RETRY,
        key_source=lambda settings, headers: next(keys),
    )
    with (
        start_blocking_portal(backend="asyncio") as portal,
        portal.wrap_async_context_manager(Client(server, mode=request.param)) as client,
    ):
        tools = portal.call(client.list_tools).tools
        schemas = {tool.name: tool.output_schema or {} for tool in tools}
        yield Session(upstream, lambda name, args: portal.call(client.call_tool, name, args), schemas)


def test_the_validation_here_catches_a_result_that_breaks_its_schema() -> None:
    """The check the properties rely on fails a result its schema does not allow."""
    from genviral_mcp.output_schema import SUMMARY_OUTPUT

    broken = CallToolResult(content=[], structured_content={"now": "x"})
    with pytest.raises(jsonschema.ValidationError):
        follows_schema(SUMMARY_OUTPUT, broken)


@PROPERTIES
@given(envelope=envelopes, accounts=accounts_lists, arguments=list_arguments)
def test_every_result_follows_its_declared_schema_for_any_upstream_data(
    session: Session, envelope: JsonObject, accounts: list[JsonObject] | None, arguments: JsonObject
) -> None:
    session.upstream.envelope, session.upstream.accounts = envelope, accounts
    listed = session.call("list_posts", arguments)
    follows_schema(session.schemas["list_posts"], listed)
    summary = session.call("get_delivery_summary", {"max_items": 100})
    follows_schema(session.schemas["get_delivery_summary"], summary)
    for name, result in (("list_posts", listed), ("summary", summary)):
        event(f"{name}: " + (result.content[0].text[:50] if result.is_error else "result"))  # type: ignore[union-attr]
    if summary.structured_content is not None:
        attention = summary.structured_content["needs_attention"]
        event(f"summary with causes: {bool(attention.get('causes'))}")
        event(f"summary with upcoming: {bool(summary.structured_content['upcoming'].get('items'))}")
        event(f"summary with went_out: {bool(summary.structured_content['went_out'].get('items'))}")


@PROPERTIES
@given(envelope=envelopes, accounts=accounts_lists)
def test_check_never_dies_on_any_upstream_data(
    envelope: JsonObject, accounts: list[JsonObject] | None
) -> None:
    upstream = Upstream(envelope, accounts)
    out = io.StringIO()
    code = run_check(
        Settings.from_env({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": BASE_URL}),
        out=out,
        transport=httpx.MockTransport(upstream.handle),
        clock=lambda: NOW,
    )
    text = out.getvalue()
    assert code in (EXIT_OK, EXIT_API), text
    assert "Traceback" not in text and "internal error" not in text, text


# --- What the properties found, as plain cases ------------------------------------------------


def _envelope(posts: list[JsonObject], summary: JsonObject | None = None) -> JsonObject:
    return {"ok": True, "code": 200, "data": {"summary": summary or {"total": len(posts)}, "posts": posts}}


def _pending(post_id: str, created: str, scheduled: str, **delivery: Any) -> JsonObject:
    state = {"account_id": "acc-1", "status": "pending", **delivery}
    return {
        "id": post_id,
        "status": "pending",
        "created_at": created,
        "scheduled_at": scheduled,
        "accounts": {"states": [state]},
    }


def test_unknown_summary_fields_of_any_type_go_under_extra(session: Session) -> None:
    summary = {
        "total": 2,
        "by_status": {"failed": 1},
        "updated_at": "2026-11-28T00:00:00Z",
        "flags": [1, "<b>a</b>", None],
        "ratio": 0.5,
        "broken": math.nan,
        "nested": {"retry": 12},
    }
    session.upstream.envelope = _envelope([], summary)
    for tool in ("list_posts", "get_delivery_summary"):
        result = session.call(tool, {})
        follows_schema(session.schemas[tool], result)
        assert result.structured_content is not None
        assert result.structured_content["scope"] == {
            "total_posts": 2,
            "posts_by_status": {"failed": 1},
            "extra": {
                "updated_at": "2026-11-28T00:00:00Z",
                "flags": [1, "a", None],
                "ratio": 0.5,
                "broken": None,
                "nested": {"retry": 12},
            },
        }


def test_out_of_range_upstream_timestamps_are_unknown_never_an_internal_error(session: Session) -> None:
    posts = [
        _pending("far", "9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"),
        _pending(
            "early",
            "0001-01-01T00:00:00.000Z",
            "0001-01-01T00:00:00Z",
            last_attempted_at="0001-01-01T00:00:00Z",
        ),
        _pending(
            "shifted", "0001-01-01T00:30:00+01:00", "9999-12-31T23:00:00-05:00", published_at="0001-01-01"
        ),
    ]
    session.upstream.envelope = _envelope(posts, {"total": 3, "by_status": {"pending": 3}})
    listed = session.call("list_posts", {"limit": 2})
    follows_schema(session.schemas["list_posts"], listed)
    assert listed.structured_content is not None and listed.structured_content["returned"] == 2
    summary = session.call("get_delivery_summary", {})
    follows_schema(session.schemas["get_delivery_summary"], summary)
    assert summary.structured_content is not None
    assert summary.structured_content["upcoming"]["posts"] == 0, "an unknown time is not upcoming"
    assert summary.structured_content["needs_attention"]["deliveries"] == 0, "nor overdue"


def test_a_time_that_cleans_to_nothing_is_left_out_not_null(session: Session) -> None:
    session.upstream.envelope = _envelope([_pending("p", "\u200b", "<br>")])
    result = session.call("list_posts", {})
    follows_schema(session.schemas["list_posts"], result)
    assert result.structured_content is not None
    post = result.structured_content["posts"][0]
    assert "created" not in post and "scheduled" not in post
