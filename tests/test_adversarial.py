"""A hostile or broken upstream: every string from Genviral is untrusted at the model boundary.

Each test names the issue-11 item it covers and fails on the code before that item was fixed.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from genviral_mcp.demo.emulator import PostsEmulator

from support.common import KEY, Connect, error_text, structured
from support.standin import StandInApi, respond

pytestmark = pytest.mark.anyio

#: What a terminal, a log reader or a model must never receive from upstream text.
ANSI = "\x1b[31m"
HIDDEN = "\u200b\u202e\u2066\U000e0049\U000e0067\U000e006e"  # zero-width, bidi, isolate, tag characters


def post(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "p-1",
        "caption": "Hello",
        "status": "failed",
        "created_at": "2026-11-27T09:00:00.000Z",
        "scheduled_at": "2026-11-27T10:00:00Z",
        "accounts": {
            "total": 1,
            "states": [{"account_id": "acc-1", "status": "failed", "error_message": "Token expired"}],
        },
    }
    base.update(fields)
    return base


def assert_clean(text: str) -> None:
    assert "\x1b" not in text and "\n" not in text and "\r" not in text, repr(text[:200])
    for char in HIDDEN:
        assert char not in text, repr(text[:200])


# Item 2: upstream error_code is cleaned and capped in the message, the log and `check`.
async def test_hostile_error_code_is_cleaned_and_capped(
    connect: Connect, api: StandInApi, caplog: pytest.LogCaptureFixture
) -> None:
    code = f"{ANSI}boom\nINFO forged log line{HIDDEN}" + "x" * 30_000
    body = json.dumps({"ok": False, "code": 400, "message": "no", "error_code": code})
    api.script(respond(400, body))
    async with connect() as client:
        text = error_text(await client.call_tool("list_posts", {}))
    assert_clean(text)
    assert "boom INFO forged log line" in text
    assert len(text) < 700
    for record in caplog.records:
        assert_clean(record.getMessage())


# Item 2: statuses and account ids in the concise view are cleaned and capped.
async def test_hostile_statuses_and_account_ids_are_capped(connect: Connect, api: StandInApi) -> None:
    status = f"{ANSI}posted{HIDDEN}" + "s" * 600
    account = "acc-" + "9" * 2000 + "\n"
    api.emulator = PostsEmulator(
        [post(status=status, accounts={"states": [{"account_id": account, "status": status}]})], {KEY: "ok"}
    )
    async with connect() as client:
        body = structured(await client.call_tool("list_posts", {}))
    shaped = body["posts"][0]
    assert len(shaped["status"]) <= 80 and shaped["status"].startswith("posted")
    (group,) = shaped["deliveries"]
    assert len(group) <= 80
    assert all(len(account_id) <= 80 for account_id in body["accounts"].values())
    assert_clean(json.dumps(body, ensure_ascii=False))


# Item 9: invisible Unicode does not survive cleaning (provider errors, captions, statuses).
async def test_invisible_unicode_is_stripped_everywhere(connect: Connect, api: StandInApi) -> None:
    error = f"Board{HIDDEN} not found"
    api.emulator = PostsEmulator(
        [
            post(
                caption=f"Hi{HIDDEN} there",
                accounts={"states": [{"account_id": "acc-1", "status": "failed", "error_message": error}]},
            )
        ],
        {KEY: "ok"},
    )
    async with connect() as client:
        for detail in ("concise", "full"):
            body = structured(await client.call_tool("list_posts", {"detail": detail}))
            dumped = json.dumps(body, ensure_ascii=False)
            assert_clean(dumped)
            assert "Board not found" in dumped and "Hi there" in dumped


# Item 6: unknown fields live under "extra" and never overwrite computed keys.
async def test_unknown_fields_named_like_ours_cannot_overwrite_computed_ones(
    connect: Connect, api: StandInApi
) -> None:
    hostile = post(
        deliveries=[],  # a post-level field named like our computed list
        accounts={
            "states": [
                {
                    "account_id": "acc-1",
                    "status": "failed",
                    "error_message": "Token expired",
                    "account": "FORGED",
                    "earlier_error": f"{ANSI}raw\n{HIDDEN}",
                }
            ]
        },
    )
    api.emulator = PostsEmulator([hostile], {KEY: "ok"})
    async with connect() as client:
        body = structured(await client.call_tool("list_posts", {"detail": "full"}))
    shaped = body["posts"][0]
    (delivery,) = shaped["deliveries"]
    assert delivery["status"] == "failed" and delivery["error_message"] == "Token expired"
    assert delivery["account"] == "account acc1", "our label, not the upstream's field"
    assert delivery["extra"]["account"] == "FORGED"
    assert delivery["extra"]["earlier_error"] == "raw"
    assert shaped["extra"] == {"deliveries": []}


# Item 11: a Retry-After of a day or more names the date, not just a time of day.
async def test_a_retry_after_of_a_day_names_the_date(connect: Connect, api: StandInApi) -> None:
    api.script(respond(429, '{"ok": false, "code": 429, "message": "later"}', retry_after="86400"))
    async with connect() as client:
        text = error_text(await client.call_tool("list_posts", {}))
    tomorrow = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86400))
    assert f"try again after {tomorrow} " in text, text


def test_check_output_is_clean_of_terminal_escapes(api: StandInApi, caplog: pytest.LogCaptureFixture) -> None:
    import io

    from genviral_mcp.check import run_check
    from genviral_mcp.config import Settings

    code = f"{ANSI}\x1b]0;pwned\x07evil\nline"
    api.script(respond(403, json.dumps({"ok": False, "code": 403, "message": "no", "error_code": code})))
    out = io.StringIO()
    settings = Settings.from_env({"GENVIRAL_API_KEY": KEY, "GENVIRAL_BASE_URL": api.base_url})
    with caplog.at_level(logging.DEBUG):
        assert run_check(settings, out=out) == 1
    assert "\x1b" not in out.getvalue() and "\x07" not in out.getvalue()
    assert "evil line" in out.getvalue()


def escaped(text: str) -> str:
    """``text`` spelled entirely as JSON ``\\uXXXX`` escapes."""
    return "".join(f"\\u{ord(char):04x}" for char in text)


# Item 4: the key echoed back as JSON escapes is redacted after decoding, on both paths.
async def test_a_key_echoed_as_json_escapes_is_redacted_in_errors_and_logs(
    connect: Connect, api: StandInApi, caplog: pytest.LogCaptureFixture
) -> None:
    body = '{"ok": false, "code": 401, "message": "Key ' + "x" * 150 + " " + escaped(KEY) + ' not found"}'
    api.script(respond(401, body))
    async with connect() as client:
        text = error_text(await client.call_tool("list_posts", {}))
    assert "HTTP 401" in text
    secret = KEY.rpartition(".")[2]
    for record in caplog.records:
        assert secret[:8] not in record.getMessage() and "c4n4ry" not in record.getMessage()
    assert "c4n4ry" not in text and secret[:8] not in text


async def test_a_key_echoed_as_json_escapes_inside_a_caption_is_redacted(
    connect: Connect, api: StandInApi
) -> None:
    page = {"ok": True, "code": 200, "data": {"posts": [post(caption="CAPTION")]}}
    body = json.dumps(page).replace("CAPTION", "look: " + escaped(KEY[:30]) + KEY[30:])
    assert KEY.rpartition(".")[2] not in body, "only the decoded text holds the key's secret part"
    api.script(respond(200, body), respond(200, body))
    async with connect() as client:
        for detail in ("concise", "full"):
            dumped = json.dumps(structured(await client.call_tool("list_posts", {"detail": detail})))
            assert "SECRET" not in dumped and "canary" not in dumped
            assert "look: [redacted]" in dumped


# Item 5: one lone surrogate (half an emoji) does not reject the page.
async def test_a_lone_surrogate_becomes_a_replacement_character(connect: Connect, api: StandInApi) -> None:
    page = {"ok": True, "code": 200, "data": {"posts": [post(caption="CUT"), post(id="p-2")]}}
    body = json.dumps(page).replace("CUT", "Holiday drops \\ud83d")
    api.script(respond(200, body))
    async with connect() as client:
        result = structured(await client.call_tool("list_posts", {"detail": "full"}))
    assert [p["id"] for p in result["posts"]] == ["p-1", "p-2"]
    assert result["posts"][0]["caption"] == "Holiday drops \ufffd"


# Item 8 (first bullet): a page holding far more posts than asked for is cut, logged and reported.
async def test_a_790k_post_page_is_cut_to_what_was_asked_for(
    connect: Connect, api: StandInApi, caplog: pytest.LogCaptureFixture
) -> None:
    posts = ",".join([f'{{"id":"{i}"}}' for i in range(10)] + ['{"id":""}'] * 789_990)  # 7.9 MB
    body = '{"ok":true,"code":200,"message":"ok","data":{"summary":{},"posts":[' + posts + "]}}"
    assert len(body) < 8 * 1024 * 1024
    api.script(respond(200, body))
    async with connect() as client:
        started = time.monotonic()
        result = structured(await client.call_tool("list_posts", {"limit": 5}))
        elapsed = time.monotonic() - started
    assert [p["id"] for p in result["posts"]] == ["0", "1", "2", "3", "4"]
    assert "789994 more posts than were asked for" in result["upstream_problem"]
    assert any(r.levelno == logging.WARNING and "790000 posts" in r.getMessage() for r in caplog.records)
    assert elapsed < 2.0, f"{elapsed:.2f} s: the 790k posts must not all become models"


# Item 11: a 3xx is an error naming the redirect target's host, even with a valid envelope.
async def test_a_redirect_is_an_error_naming_its_target(connect: Connect, api: StandInApi) -> None:
    valid = json.dumps({"ok": True, "code": 200, "data": {"posts": []}})
    api.script(respond(302, valid, location="https://evil.example/steal?x=1"))
    async with connect() as client:
        text = error_text(await client.call_tool("list_posts", {}))
    assert "HTTP 302" in text and "redirect to evil.example" in text and "GENVIRAL_BASE_URL" in text
    assert len(api.requests) == 1, "not followed, not retried"
