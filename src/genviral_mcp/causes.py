"""Why a delivery failed, in plain words: provider errors normalised into causes, with a fix
where the cause is recognisable and none where it is not.

Providers phrase the same failure with ids, times, counts and URLs in it; normalising those away
lets "the same error on many posts" be one cause. What tells two failures apart stays: HTTP statuses
and provider codes (``(#36003)``, ``status code 429``, ``"serviceErrorCode":65601``) are kept in
the key, while whole identifiers (UUIDs, long numbers, hex and opaque ids, trace ids) are masked as
a whole. The fixes are deliberately few and generic: each is what a person does in Genviral, and an
error that matches none gets no invented advice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from genviral_mcp.sanitize import clean_text

#: A cause is shown once per group; past this, provider text is mostly a body dump.
CAUSE_CHARS = 120
#: An account's last error repeats one of the causes: enough to recognise it.
LAST_ERROR_CHARS = 48
#: Normalised text longer than this is cut before grouping: the tail is usually a body dump. Codes
#: found in the tail still count (a Graph API body names its subcode late).
_KEY_CHARS = 120
#: How much of an error is read at all.
_READ_CHARS = 4 * _KEY_CHARS

ID = "<id>"
URL = "<url>"

_URL = re.compile(r"\bhttps?://[^\s\"'<>]+|\bwww\.[^\s\"'<>]+", re.I)
#: The value after a trace, log or request id label (``"fbtrace_id":"AZhJ4G0mlm"``).
_LABELLED_ID = re.compile(
    r"((?:trace_id|log_id|request_id|request id|sentry_block_data)[\"':= ]{1,4})[^\s\"',}]+", re.I
)
#: Identifiers, masked as a whole wherever they are: UUIDs; opaque tokens of 16+ characters that
#: mix letters and digits (trace ids, base64 blobs); hex ids of 8+ characters with a digit; numbers
#: of 9+ digits (media, page and board ids).
_IDENTIFIER = re.compile(
    r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
    r"|(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[a-z])[\w-]{16,}"
    r"|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b"
    r"|\b\d{9,}\b",
    re.I,
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
#: Dates and clock times (ISO, ``Thursday, 02-Mar-23``, ``07:00:00 PST``): when it happened, not why.
_TIME = re.compile(
    r"\b\d{4}-\d\d-\d\d(?:[t ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:z|[+-]\d\d:?\d\d)?)?"
    rf"|\b(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,? )?\d{{1,2}}[- ]{_MONTH}[- ]\d{{2,4}}"
    r"|\b\d{1,2}:\d\d(?::\d\d(?:\.\d+)?)?(?: ?[ap]m)?(?: (?:utc|gmt|[a-z]{1,2}[sd]t))?\b"
)
#: A number is a code when a code word or ``#`` introduces it, or when it is an HTTP error status on
#: its own; every other number (a count, a size, a duration) is a detail, and becomes ``#``.
_NUMBER = re.compile(
    r"(?P<code>(?:#|(?:code|status|error|http|errno)[\s\"':=#(\[]{0,4})-?\d{1,8}(?!\d))"
    r"|(?P<status>(?<![\d.:,/-])\b[45]\d\d\b(?![.:,/]?\d))"
    r"|\d+"
)


@dataclass(frozen=True)
class Fix:
    kind: str
    pattern: re.Pattern[str]
    advice: str


#: First match wins, so the order matters: a missing permission often also mentions a token; a
#: media download that timed out says "too long"; a rate limit says "try again later".
FIXES: tuple[Fix, ...] = (
    Fix(
        "permission",
        re.compile(
            r"permission|\bscopes?\b|scope_|(?:not|n't) authori[sz]ed? (?:to|the)|insufficient[_ ]scope"
            r"|\blacks\b|access_denied",
            re.I,
        ),
        "Re-authorise the account in Genviral, granting every permission asked.",
    ),
    Fix(
        "token",
        re.compile(
            r"token|unauthori[sz]ed|\b401\b|credential|revoked|re-?connect|re-?authenticat|auth_removed"
            r"|authentication failed|invalid_grant|session (?:has )?(?:expired|been invalidated)",
            re.I,
        ),
        "Reconnect the account in Genviral: its login expired or was revoked.",
    ),
    Fix(
        "limit",
        re.compile(
            r"too[ _]many|rate[ _-]?limit|limit (?:reached|exceeded)|limitexceeded|quota|exceeded the number"
            r"|maximum number of posts|active_user_cap|throttl|\b429\b",
            re.I,
        ),
        "Wait: the platform's posting limit was hit. Reschedule later; post less often.",
    ),
    Fix(
        "download",
        re.compile(
            r"pull_failed|url_download_failed|download (?:has )?failed|too long to download|media uri"
            r"|(?:could not|couldn't|unable to|failed to) (?:fetch|download|retrieve|pull)",
            re.I,
        ),
        "The platform could not download the media: check the post's media in Genviral (upload it "
        "again if it is gone), then reschedule.",
    ),
    Fix(
        "media",
        re.compile(
            r"aspect[ _]ratio|duration|too (?:long|short)|resolution|file[ _]size|too (?:large|big|small)"
            r"|dimensions|frame[ _]rate|_check_failed|invalid_file_upload|(?:video|image|file) format"
            r"|unsupported (?:format|media|codec|video|image|file)"
            r"|(?:format|codec)\b.{0,30}(?:\bnot|n't) support",
            re.I,
        ),
        "Fix the media (aspect ratio, length, size or format), then reschedule.",
    ),
    Fix(
        "temporary",
        re.compile(
            r"internal[_ ](?:server[_ ])?error|server error|backend error|bad gateway"
            r"|service (?:is )?(?:currently |temporarily )?unavailable"
            r"|gateway time-?out|temporar(?:y|ily)|try again later|retry your request later"
            r"|(?:status|code|http|error)[\s\"':=]{0,4}5\d\d\b|\b5\d\d (?:internal|bad|service|gateway)",
            re.I,
        ),
        "A temporary failure on the platform's side: reschedule the post; if it keeps failing, "
        "contact Genviral support.",
    ),
)

OVERDUE_CAUSE = "still waiting more than 30 minutes after its scheduled time"
OVERDUE_FIX = (
    "Genviral has not sent it yet. Check that the account is connected; if it is, reschedule the post."
)
NO_MESSAGE_CAUSE = "failed without an error message"


def masked(text: str) -> str:
    """``text`` with URLs and whole identifiers replaced by ``<url>`` and ``<id>``."""
    return _IDENTIFIER.sub(ID, _LABELLED_ID.sub(rf"\1{ID}", _URL.sub(URL, text)))


def _number(match: re.Match[str]) -> str:
    return match.group(0) if match.group("code") or match.group("status") else "#"


def cause_key(error: str) -> str:
    """What makes two provider errors "the same": the text without identifiers, URLs, times, counts
    or case, but with its HTTP statuses and provider codes."""
    text = _TIME.sub("<time>", masked(clean_text(error, _READ_CHARS)).lower()).rstrip(" .")
    key = _NUMBER.sub(_number, text)
    head, tail = key[:_KEY_CHARS], key[_KEY_CHARS:]
    late_codes = [
        match.group(0) for match in _NUMBER.finditer(tail) if match.group("code") or match.group("status")
    ]
    return head + "".join(f" |{code}" for code in late_codes)


def cause_text(error: str) -> str:
    """The error as a cause is shown: cleaned, identifiers masked (the group may hold many), cut."""
    text = masked(clean_text(error, _READ_CHARS))
    return text if len(text) <= CAUSE_CHARS else text[: CAUSE_CHARS - 1].rstrip() + "…"


def fix_for(error: str) -> str | None:
    """The plain-words fix for a recognisable error; ``None`` for anything else."""
    text = masked(clean_text(error, _READ_CHARS))
    for fix in FIXES:
        if fix.pattern.search(text):
            return fix.advice
    return None


def provider_cause(error: str | None) -> tuple[str, str, str | None]:
    """``(grouping key, cause shown, fix)`` for a failure with this error message.

    A message that is empty once cleaned (``<br>``, a zero-width space, blanks) is no message.
    """
    shown = cause_text(error) if error else ""
    if not shown:
        return "no-message", NO_MESSAGE_CAUSE, None
    assert error is not None
    return cause_key(error), shown, fix_for(error)


def disconnected_cause(status: str) -> str:
    return f"account not connected (Genviral says: {status})"


DISCONNECTED_FIX = "Reconnect the account in Genviral; until then nothing can go out to it."
