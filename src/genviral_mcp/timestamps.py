"""Reading the API's timestamps and writing them back out for a model."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from genviral_mcp.sanitize import untrusted


def utc_now() -> datetime:
    """The current time, in UTC: the default clock of the server and of `check`."""
    return datetime.now(timezone.utc)


#: The API's own UTC form (``2025-01-20T12:05:11.205Z``): its minute can be read off the text.
_API_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z")


def parse_iso(value: str | None) -> datetime | None:
    """Parse ISO 8601 (``2025-01-20T12:05:11.205Z``) as an aware UTC time; no offset means UTC.

    ``None`` if absent or unreadable. Accepts any number of fraction digits, on every Python.
    """
    if not value:
        return None
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    if "." in text:  # Python 3.10 accepts only 3 or 6 fraction digits
        head, _, rest = text.partition(".")
        digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
        text = f"{head}.{(digits + '000000')[:6]}{rest[len(digits) :]}"
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None


def minute(value: str | None) -> str | None:
    """``2025-01-20T12:05:11.205Z`` → ``2025-01-20 12:05`` (UTC): what a reader needs, in fewer tokens."""
    if value and _API_UTC.fullmatch(value):  # the common case, without parsing: 7x faster
        return f"{value[:10]} {value[11:16]}"
    moment = parse_iso(value)
    if moment is None:  # not a time: passed on as text from Genviral, so cleaned and capped
        return untrusted(value, 40)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")


def exact(moment: datetime) -> str:
    """Full precision, for values an agent passes back (``until``)."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
