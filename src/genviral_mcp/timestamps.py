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


#: The instants this server works with. Earlier or later ones are "unknown" from Genviral and refused as
#: arguments: the last representable day is left out, so a day's arithmetic never overflows.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9999, 12, 30, 23, 59, 59, 999000, tzinfo=timezone.utc)
#: A calendar date without a time (``2026-12-01``, or ``20261201`` where Python reads it).
_DATE_ONLY = re.compile(r"\d{4}-\d\d-\d\d|\d{8}")


def read_iso(value: str | None) -> datetime | None:
    """Read ISO 8601 (``2025-01-20T12:05:11.205Z``) as an aware UTC time, in any year; no offset means UTC.

    ``None`` if absent or unreadable. Accepts any number of fraction digits, on every Python. An
    instant whose offset carries it past what Python can hold in UTC comes back as the nearest one it
    can (both lie outside :data:`EARLIEST` … :data:`LATEST`).
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
    except (ValueError, OverflowError):
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        edge = datetime.min if moment.year == 1 else datetime.max
        return edge.replace(tzinfo=timezone.utc)


def in_range(moment: datetime) -> bool:
    return EARLIEST <= moment <= LATEST


def parse_iso(value: str | None) -> datetime | None:
    """A timestamp from Genviral: :func:`read_iso`, and ``None`` (unknown) outside 1970 … 9999-12-30 too.

    Genviral's posts are all of this century; an instant at the ends of what Python can hold is
    broken data, and arithmetic on it (a millisecond before, a day after) would overflow.
    """
    moment = read_iso(value)
    return moment if moment is not None and in_range(moment) else None


def is_date_only(value: str) -> bool:
    """``2026-12-01``: a whole day, not an instant."""
    return _DATE_ONLY.fullmatch(value.strip()) is not None


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
