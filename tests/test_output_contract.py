"""The output contract: the facts that must survive in every host's view, paging end to end, the prompt."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp.types import CallToolResult

from genviral_mcp.sanitize import clean_text
from genviral_mcp.timestamps import minute

from support.common import Connect, by_status, structured, text_of
from support.host_views import VIEWS, embedded_json

pytestmark = pytest.mark.anyio


def _facts_from_raw(post: dict[str, Any]) -> dict[str, Any]:
    deliveries = {}
    for state in post["accounts"]["states"]:
        error = state["error_message"]
        deliveries[state["account_id"]] = {
            "status": state["status"],
            "url": state["published_url"],
            "error": clean_text(error, 60) if error else None,
        }
    return {
        "status": post["status"],
        "created": post["created_at"],
        "scheduled": minute(post["scheduled_at"]),
        "deliveries": deliveries,
    }


def _facts_from_concise(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    accounts = document["accounts"]
    facts = {}
    for post in document["posts"]:
        deliveries: dict[str, dict[str, Any]] = {}
        for status, entries in by_status(post["deliveries"]).items():
            for alias, value in entries.items():
                is_url = value.startswith("https://") and status in ("posted", "deleted")
                deliveries[accounts[alias]] = {
                    "status": status,
                    "url": value if is_url else None,
                    "error": clean_text(value, 60) if value and not is_url else None,
                }
        for alias, error in post.get("earlier_errors", {}).items():
            deliveries[accounts[alias]]["error"] = clean_text(error, 60)
        facts[post["id"]] = {
            "status": post["status"],
            "created": post["created"],
            "scheduled": post["scheduled"],
            "deliveries": deliveries,
        }
    return facts


def _facts_from_full(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    accounts = document["accounts"]
    facts = {}
    for post in document["posts"]:
        deliveries = {}
        for delivery in post["deliveries"]:
            error = delivery.get("error_message") or delivery.get("earlier_error")
            deliveries[accounts[delivery["account"]]] = {
                "status": delivery["status"],
                "url": delivery.get("published_url"),
                "error": clean_text(error, 60) if error else None,
            }
        facts[post["id"]] = {
            "status": post["status"],
            "created": post["created"],
            "scheduled": minute(post["scheduled"]),
            "deliveries": deliveries,
        }
    return facts


@pytest.mark.parametrize("detail", ["concise", "full"])
async def test_must_survive_facts_in_every_host_view(
    connect: Connect, sample: list[dict[str, Any]], detail: str
) -> None:
    async with connect() as client:
        result = await client.call_tool("list_posts", {"limit": 100, "detail": detail})
    body = structured(result)
    raw = {post["id"]: post for post in sample}
    expected = {post["id"]: _facts_from_raw(raw[post["id"]]) for post in body["posts"]}
    assert len(expected) >= 99
    extract = _facts_from_concise if detail == "concise" else _facts_from_full
    for name, view in VIEWS.items():
        rendered = view(result)
        assert extract(embedded_json(rendered)) == expected, f"{name} view lost a fact"
        for post_id in expected:
            assert post_id in rendered


#: Values passed on from Genviral as they are (settings, media, unknown fields): their keys are not ours.
PASSED_ON = {"extra", "media", "tiktok", "pinterest"}


def _our_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        keys = set(value)
        for key, item in value.items():
            if key not in PASSED_ON:
                keys |= _our_keys(item)
        return keys
    if isinstance(value, list):
        return set().union(*map(_our_keys, value)) if value else set()
    return set()


async def test_one_vocabulary_the_same_fact_has_the_same_name_in_every_view_and_tool(
    connect: Connect,
) -> None:
    """created, scheduled, published (and last_attempted): never a second, ``_at`` name for them."""
    async with connect() as client:
        concise = structured(await client.call_tool("list_posts", {"limit": 100, "status": "partial"}))
        full = structured(
            await client.call_tool("list_posts", {"limit": 100, "status": "partial", "detail": "full"})
        )
        summary = structured(await client.call_tool("get_delivery_summary", {"max_items": 100}))
    keys = _our_keys(concise) | _our_keys(full) | _our_keys(summary)
    assert not {key for key in keys if key.endswith("_at")}, keys
    assert {"created", "scheduled"} <= _our_keys(concise["posts"]) & _our_keys(full["posts"])
    assert {"published", "last_attempted"} <= _our_keys(full["posts"])
    assert {"created", "scheduled", "published"} <= _our_keys(summary)
    by_id = {post["id"]: post for post in full["posts"]}
    for post in concise["posts"]:  # the same fact: minutes in concise, the exact instant in full
        assert post["created"] == by_id[post["id"]]["created"]
        assert post["scheduled"] == minute(by_id[post["id"]]["scheduled"])


def _views_are_consistent(result: CallToolResult) -> None:
    assert text_of(result) == json.dumps(result.structured_content, indent=2, ensure_ascii=False)
    for view in VIEWS.values():
        assert embedded_json(view(result)) == result.structured_content


async def test_text_and_structured_content_carry_the_same_facts(connect: Connect) -> None:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("list_posts", {"limit": 30}),
        ("list_posts", {"limit": 5, "detail": "full"}),
        ("get_delivery_summary", {"max_items": 100}),
    ]
    async with connect() as client:
        for tool, args in calls:
            _views_are_consistent(await client.call_tool(tool, args))


async def test_openclaw_shows_the_structured_content_once(connect: Connect) -> None:
    async with connect() as client:
        result = await client.call_tool("list_posts", {"limit": 3})
    view = VIEWS["OpenClaw"](result)
    assert view.count('"posts": [') == 1
    assert view.endswith(text_of(result, 1)), "the next-page note is the only extra text"


@pytest.mark.parametrize("limit", [100, 25, 7])
async def test_paging_walks_more_than_250_posts_without_gaps_or_repeats(
    connect: Connect, sample: list[dict[str, Any]], limit: int
) -> None:
    assert len(sample) > 250
    seen: list[str] = []
    arguments: dict[str, Any] = {"limit": limit}
    async with connect() as client:
        for _ in range(200):
            result = await client.call_tool("list_posts", arguments)
            body = structured(result)
            seen += [post["id"] for post in body["posts"]]
            if "next_page" not in body:
                assert len(result.content) == 1
                break
            assert f"until={body['next_page']['until']}" in text_of(result, 1)
            arguments = body["next_page"]
    assert len(seen) == len(set(seen)), "a post was repeated"
    assert set(seen) == {post["id"] for post in sample}, "a post was skipped"


async def test_provider_errors_are_cleaned_and_shortened(connect: Connect) -> None:
    async with connect() as client:
        body = structured(await client.call_tool("list_posts", {"limit": 100}))
    errors = [
        value
        for post in body["posts"]
        for status, entries in by_status(post["deliveries"]).items()
        if status != "posted"
        for value in entries.values()
        if value and not value.startswith("https://")
    ]
    assert errors
    for error in errors:
        assert len(error) <= 200
        assert not any(ord(ch) < 32 for ch in error)
        assert "<html" not in error and "<body" not in error


async def test_delivery_report_prompt(connect: Connect) -> None:
    async with connect() as client:
        prompts = {prompt.name: prompt for prompt in (await client.list_prompts()).prompts}
        assert {arg.name for arg in prompts["delivery_report"].arguments or []} == {
            "published_since",
            "published_until",
            "hours_ahead",
        }
        plain = await client.get_prompt("delivery_report", {})
        windowed = await client.get_prompt("delivery_report", {"published_since": "2026-11-01T00:00:00Z"})
    text = plain.messages[0].content.text  # type: ignore[union-attr]
    assert "get_delivery_summary" in text and "list_posts" in text
    assert "published_since=2026-11-01T00:00:00.000Z" in windowed.messages[0].content.text  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "document",
    [
        {
            "a": [],
            "b": {},
            "c": 'x\u2028\x7f\x00\x1f"\\/é😀\n\t\b\f\r',
            "d": [1, {"e": None, "f": True}],
            "g": -3,
        },
        {"big": 10**20, "nested": [[[]]], "ключ": "值"},
        {"lone": "\ud800"},  # not encodable as UTF-8: the stdlib fallback still renders it
    ],
)
def test_text_rendering_matches_json_dumps(document: dict[str, Any]) -> None:
    from genviral_mcp.shaping import ToolOutput

    assert ToolOutput(document).text() == json.dumps(document, indent=2, ensure_ascii=False)


@settings(max_examples=300, derandomize=True, database=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300), st.integers(min_value=5, max_value=250))
def test_clean_text_fast_path_agrees_with_the_full_cleaning(text: str, limit: int) -> None:
    from genviral_mcp import sanitize

    slow = sanitize._cleaned(text[: 4 * limit + 64])
    expected = slow if len(slow) <= limit else slow[: limit - 1].rstrip() + "…"
    assert sanitize.clean_text(text, limit) == expected
