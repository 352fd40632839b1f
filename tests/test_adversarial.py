"""A hostile or broken upstream: every string from Genviral is untrusted at the model boundary.

Each test names the issue-11 item it covers and fails on the code before that item was fixed.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from genviral_mcp.emulator import PostsEmulator

from conftest import KEY, Connect, error_text, structured
from standin import StandInApi, respond

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
    assert delivery["account"] == "a1"
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
