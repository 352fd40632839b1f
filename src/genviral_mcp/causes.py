"""Why a delivery failed, in plain words: provider errors normalised into causes, with a fix
where the cause is recognisable and none where it is not.

Providers phrase the same failure with ids, counts and URLs in it; normalising those away lets
"the same error on many posts" be one cause. The fixes are deliberately few and generic: each
is what a person does in Genviral, and an error that matches none gets no invented advice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from genviral_mcp.sanitize import clean_text

#: A cause is shown once per group; past this, provider text is mostly a body dump.
CAUSE_CHARS = 120
#: An account's last error repeats one of the causes: enough to recognise it.
LAST_ERROR_CHARS = 48
#: Normalised text longer than this is cut before grouping: the tail is usually a body dump.
_KEY_CHARS = 120

_URL = re.compile(r"https?://\S+")
_NUMBER = re.compile(r"\d+")
_HEX_ID = re.compile(r"\b[0-9a-f]{8,}\b|\b[0-9a-f]{8}-[0-9a-f-]{27}\b")


@dataclass(frozen=True)
class Fix:
    kind: str
    pattern: re.Pattern[str]
    advice: str


#: First match wins: a missing permission often also mentions a token, so it comes first.
FIXES: tuple[Fix, ...] = (
    Fix(
        "permission",
        re.compile(r"permission|not authori[sz]ed to|insufficient[_ ]scope|lacks", re.I),
        "Re-authorise the account in Genviral, granting every permission asked.",
    ),
    Fix(
        "token",
        re.compile(r"token|unauthori[sz]ed|\b401\b|expired|revoked|re-?connect|re-?authenticat", re.I),
        "Reconnect the account in Genviral: its login expired or was revoked.",
    ),
    Fix(
        "media",
        re.compile(
            r"aspect ratio|duration|too (?:long|short)|resolution|file size|too large|dimensions|"
            r"unsupported (?:format|media|codec)|frame rate",
            re.I,
        ),
        "Fix the media (aspect ratio, length, size or format), then reschedule.",
    ),
    Fix(
        "limit",
        re.compile(r"spam|too many|quota|rate[ _-]?limit|limit exceeded|exceeded the number", re.I),
        "Wait: the platform's posting limit was hit. Reschedule later; post less often.",
    ),
)

OVERDUE_CAUSE = "still waiting more than 30 minutes after its scheduled time"
OVERDUE_FIX = (
    "Genviral has not sent it yet. Check that the account is connected; if it is, reschedule the post."
)
NO_MESSAGE_CAUSE = "failed without an error message"


def cause_key(error: str) -> str:
    """What makes two provider errors "the same": the text without numbers, ids, URLs or case."""
    text = _URL.sub("<url>", clean_text(error, 4 * _KEY_CHARS).lower())
    text = _NUMBER.sub("#", _HEX_ID.sub("<id>", text))
    return text[:_KEY_CHARS]


def fix_for(error: str) -> str | None:
    """The plain-words fix for a recognisable error; ``None`` for anything else."""
    for fix in FIXES:
        if fix.pattern.search(error):
            return fix.advice
    return None


def disconnected_cause(status: str) -> str:
    return f"account not connected (Genviral says: {status})"


DISCONNECTED_FIX = "Reconnect the account in Genviral; until then nothing can go out to it."
