"""The key never comes out rebuilt or spelled otherwise (issue 17): redaction runs after cleaning.

Genviral may echo the key with something inside it: a zero-width space or a terminal escape (which
cleaning removes, rebuilding the key), or spelled with ``%XX``, ``\\uXXXX`` or an HTML character
reference. Each form goes into error messages, captions, URLs, account names and unknown fields, and
neither tool's result may hold any 8 characters in a row of the key's secret part.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import anyio
import pytest
from mcp.types import CallToolResult

from genviral_mcp.demo.emulator import PostsEmulator
from genviral_mcp.sanitize import bind_secret, clean_text, plain_text, redaction_scope
from genviral_mcp.workers import Workers

from support.common import KEY, KEYS, NOW, Connect
from support.standin import StandInApi, respond

pytestmark = pytest.mark.anyio

SECRET = KEY.rpartition(".")[2]
PUBLIC = KEY.rpartition(".")[0]


@pytest.fixture
def mode() -> str:
    """One era is enough: the key travels through the client and the shaping, not the protocol."""
    return "legacy"


def inside(secret: str, noise: str, at: int = 3) -> str:
    return secret[:at] + noise + secret[at:]


#: The key's secret part as an upstream might echo it: each one rebuilt by cleaning or read by anyone.
FORMS = {
    "zero-width space": inside(SECRET, "\u200b"),
    "soft hyphen and word joiner": inside(inside(SECRET, "\u2060", 10), "\u00ad"),
    "ANSI escape": inside(SECRET, "\x1b[31m"),
    "OSC hyperlink escape": inside(SECRET, "\x1b]8;;https://x.example\x07", 7),
    "\\u escape, as text": "\\u0053" + SECRET[1:],
    "\\x escape, as text": SECRET[:5] + "\\x54" + SECRET[6:],
    "percent-encoding": SECRET[:3] + "%52%45" + SECRET[5:],
    "percent-encoding, lower case": SECRET[:2] + "%43" + SECRET[3:].replace("-", "%2d", 1),
    "HTML character references": SECRET[:4] + "&#69;&#x54;" + SECRET[6:],
    "escape and zero-width together": "\\u0053\u200b" + SECRET[1:],
}


def shows_any_part_of_the_secret(text: str) -> bool:
    return any(SECRET[i : i + 8] in text for i in range(len(SECRET) - 7))


def rendered(result: CallToolResult) -> str:
    return result.model_dump_json(by_alias=True) + "".join(
        block.text for block in result.content if block.type == "text"
    )


def hostile_posts(secret: str) -> list[dict[str, Any]]:
    """A failed post, a published one and a scheduled one, with the key form everywhere a string goes."""
    key = f"{PUBLIC}.{secret}"
    created = (NOW - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def state(account: str, status: str, **fields: Any) -> dict[str, Any]:
        return {"account_id": account, "status": status, "diagnostics": {f"token {secret}": key}, **fields}

    return [
        {
            "id": "post-failed",
            "caption": f"Launch day! key={key} #ad",
            "status": "failed",
            "scheduled_at": (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "created_at": created,
            "media": {"type": "video", "url": f"https://cdn.example/v.mp4?token={secret}"},
            "tiktok": {"privacy": f"public {secret}"},
            "insights": {"note": f"invalid token {key}", "list": [secret, {"deep": key}]},
            "accounts": {
                "total": 2,
                "states": [
                    state("acct-1", "failed", error_message=f"invalid token {key} for this account"),
                    state("acct-2", "failed", error_message=f"failed: invalid token {secret}"),
                ],
            },
        },
        {
            "id": "post-posted",
            "caption": secret,
            "status": "posted",
            "scheduled_at": (NOW - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "created_at": (NOW - timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "accounts": {
                "total": 1,
                "states": [
                    state(
                        "acct-1",
                        "posted",
                        published_at=(NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                        published_url=f"https://www.tiktok.com/@luna/video/1?k={secret}",
                        error_message=f"earlier: {key}",
                    )
                ],
            },
        },
        {
            "id": "post-scheduled",
            "caption": f"{secret} {secret}",
            "status": "scheduled",
            "scheduled_at": (NOW + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "created_at": (NOW - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "accounts": {"total": 1, "states": [state("acct-2", "scheduled")]},
        },
    ]


def hostile_accounts(secret: str) -> list[dict[str, Any]]:
    return [
        {"id": "acct-1", "platform": "tiktok", "username": secret, "status": "connected"},
        {
            "id": "acct-2",
            "platform": f"x{secret}",
            "display_name": f"Shop {secret}",
            "status": f"expired {secret}",
        },
    ]


def hostile_scope(secret: str, posts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "total": len(posts),
        "pending": 1,
        "published": 1,
        "by_status": {"failed": 1, "posted": 1, "scheduled": 1, f"s{secret}": 0},
        f"echo_{secret}": 1,
    }


@pytest.mark.parametrize("form", list(FORMS))
async def test_no_cleaning_step_rebuilds_the_key_in_a_result(
    connect: Connect, api: StandInApi, form: str
) -> None:
    secret = FORMS[form]
    posts = hostile_posts(secret)
    api.emulator = PostsEmulator(
        posts, KEYS, scope=hostile_scope(secret, posts), accounts=hostile_accounts(secret)
    )
    async with connect() as client:
        results = [
            await client.call_tool("list_posts", {"limit": 10}),
            await client.call_tool("list_posts", {"limit": 10, "detail": "full"}),
            await client.call_tool("get_delivery_summary", {"max_items": 20}),
        ]
    for result in results:
        assert not result.is_error, result.content
        assert not shows_any_part_of_the_secret(rendered(result)), rendered(result)
    summary = json.dumps(results[2].structured_content)
    assert "[redacted]" in summary, "the key's places are marked, not silently dropped"


@pytest.mark.parametrize("form", list(FORMS))
async def test_an_error_message_that_echoes_the_key_in_any_form_is_redacted(
    connect: Connect, api: StandInApi, form: str
) -> None:
    message = f"API key {PUBLIC}.{FORMS[form]} was not accepted"
    body = json.dumps({"ok": False, "code": 401, "message": message, "error_code": "invalid_token"})
    api.script(respond(401, body))
    api.script_accounts(respond(401, body))
    async with connect() as client:
        result = await client.call_tool("list_posts", {})
    assert result.is_error
    assert not shows_any_part_of_the_secret(rendered(result)), rendered(result)
    assert "[redacted]" in rendered(result)


def test_cleaning_redacts_the_bound_key_before_it_cuts() -> None:
    """Unit level: the bound key goes after every cleaning step and before the cut, never after."""
    with redaction_scope():
        bind_secret(KEY)
        for secret in FORMS.values():
            for text in (f"x {secret} y", f"{'a' * 190} {PUBLIC}.{secret}"):
                for cleaned in (clean_text(text, 200), clean_text(text, 195), plain_text(text)):
                    assert not shows_any_part_of_the_secret(cleaned), (secret, cleaned)
    assert clean_text(f"x {SECRET}", 100) == f"x {SECRET}", "outside a call's scope nothing is bound"


async def test_the_calls_key_reaches_its_worker_threads_and_no_others() -> None:
    """anyio copies the context into a worker thread: the key bound in a call is redacted there too,
    and a call without it (another tenant's) does not see it."""
    workers = Workers(size=1)
    async with anyio.create_task_group() as group:
        workers.serve(group)
        with redaction_scope():
            bind_secret(KEY)
            in_worker = await workers.run(lambda: clean_text(FORMS["zero-width space"], 100))
            in_thread = await anyio.to_thread.run_sync(lambda: plain_text(FORMS["ANSI escape"]))
        with redaction_scope():
            other_call = await workers.run(lambda: clean_text(SECRET, 100))
        group.cancel_scope.cancel()
    assert in_worker == "[redacted]" and in_thread == "[redacted]"
    assert other_call == SECRET
