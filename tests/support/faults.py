"""The upstream faults every tool must survive, with what each call must say and how many
attempts the retry policy allows: run by ``test_faults.py`` and, key in hand, ``test_secrets.py``."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from genviral_mcp.client import MAX_BODY_BYTES

from support.common import FAST_RETRY
from support.standin import Fault, drip, huge, reset_mid_body, respond, stall

#: GENVIRAL_TIMEOUT in this file: the most one attempt may take.
TIMEOUT = 0.3
ATTEMPTS = FAST_RETRY.max_attempts
#: Each fault goes through both tools, one per protocol era (the faults are in the HTTP layer).
TOOLS_AND_ERAS = [("list_posts", {"limit": 5}, "auto"), ("get_delivery_summary", {"max_items": 5}, "legacy")]
#: The statuses a summary walks, each on its own, side by side.
SUMMARY_WALKS = ("failed", "partial", "retry", "pending", "scheduled", "posted")
#: A valid, complete answer: only the way it is delivered is at fault.
VALID = json.dumps({"ok": True, "code": 200, "message": "Posts retrieved", "data": {"posts": []}})
HTML_502 = "<!DOCTYPE html><html><head><title>502</title></head><body>" + "<p>Bad gateway</p>" * 300


def envelope(code: int, message: str, error_code: str | None = None) -> str:
    body: dict[str, Any] = {"ok": False, "code": code, "message": message}
    if error_code:
        body["error_code"] = error_code
    return json.dumps(body)


@dataclass
class Case:
    """A fault scripted ``attempts`` times: once per attempt the client is expected to make."""

    make: Any  # () -> Fault, fresh per scripting
    fragments: list[str]
    attempts: int = 1
    within: float = 1.0
    #: GENVIRAL_TIMEOUT for the case: short where the timeout is what is tested, long where it is not
    #: (8 MB through 127.0.0.1 took over 0.3 s on a loaded machine, and the retry then got a valid page).
    timeout: float = TIMEOUT
    dropped: threading.Event = field(default_factory=threading.Event)

    def faults(self) -> list[Fault]:
        return [self.make(self.dropped) for _ in range(self.attempts)]


def gave_up(attempts: int) -> str:
    return f"Gave up after {attempts} attempts"


CASES = {
    "stall": Case(
        lambda dropped: stall(5.0, dropped),
        ["did not answer in time", "GENVIRAL_TIMEOUT", gave_up(ATTEMPTS)],
        ATTEMPTS,
        within=ATTEMPTS * TIMEOUT + 0.7,
    ),
    "drip-fed-body": Case(
        lambda dropped: drip(VALID, interval=0.02, dropped=dropped),  # each byte is quick, the whole is not
        ["did not answer in time", gave_up(ATTEMPTS)],
        ATTEMPTS,
        within=ATTEMPTS * TIMEOUT + 0.7,
    ),
    "429-retry-after": Case(
        lambda _: respond(429, envelope(429, "Too many requests", "rate_limited"), retry_after="120"),
        ["HTTP 429", "rate_limited", "rate limiting", "wait 120 s", "try again after"],
    ),
    "502-html": Case(
        lambda _: respond(502, HTML_502, "text/html"),
        ["HTTP 502", "Try again", gave_up(ATTEMPTS)],
        ATTEMPTS,
    ),
    "500-list_failed": Case(
        lambda _: respond(500, envelope(500, "Failed to list posts", "list_failed")),
        ["HTTP 500", "list_failed", "Failed to list posts", "Try again", gave_up(2)],
        2,
    ),
    "truncated-json": Case(
        lambda _: respond(200, VALID[: len(VALID) // 2]),
        ["HTTP 200", "not the expected JSON envelope", "GENVIRAL_BASE_URL"],
    ),
    "200-ok-false": Case(
        lambda _: respond(200, envelope(200, "Posts are unavailable")),
        ["HTTP 200", "ok: false", "Posts are unavailable", "Try again"],
    ),
    "wrong-content-type": Case(
        lambda _: respond(200, VALID, "text/plain; charset=utf-8"),
        ["HTTP 200", "not JSON", "text/plain"],
    ),
    "huge-body-declared": Case(
        lambda _: huge(MAX_BODY_BYTES + 1),
        ["too large", "HTTP 200", "smaller `limit`"],
        within=3.0,
        timeout=5.0,
    ),
    "huge-body-streamed": Case(
        lambda _: huge(MAX_BODY_BYTES + 1_000_000, declare_length=False),
        ["too large", "HTTP 200", "smaller `limit`"],
        within=3.0,
        timeout=5.0,
    ),
    "reset-mid-body": Case(
        lambda _: reset_mid_body(VALID),
        ["broke off", "Try again", gave_up(ATTEMPTS)],
        ATTEMPTS,
    ),
}
