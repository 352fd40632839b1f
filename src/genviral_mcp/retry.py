"""When to try a failed request again, and how long to wait first.

Our own ~40 lines rather than a library (tenacity, stamina, backoff): the policy needs the
caller's overall deadline and the API's ``Retry-After``, which those libraries would take
callbacks to express, and a dependency would outweigh the logic.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # errors.py asks this module which refusals are retried
    from genviral_mcp.errors import UpstreamError

#: Refusals retried whatever their error code: rate limiting and a gateway in trouble. Connection
#: errors, timeouts and broken connections are retried too (client.py marks them); 400, 401, 402,
#: 403 and 404 never are.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})

#: A 500 ``list_failed`` ("database query or summary computation failed") gets ONE retry. The
#: endpoint is a read-only GET, and a failed database query is usually a blip that a second try
#: fixes; but the same failure can also be a stable fault in one scope's data, and retrying that
#: over and over would only hold the conversation up before the same error.
LIST_FAILED_ATTEMPTS = 2


def refusal_retryable(status: int, error_code: str | None) -> bool:
    """Whether a refusal with this status and error code is worth another attempt."""
    return status in RETRYABLE_STATUSES or (status == 500 and error_code == "list_failed")


_SECONDS = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class RetryPolicy:
    """Retry timings. The defaults suit a desktop host; tests inject faster ones."""

    #: Attempts per request, the first included.
    max_attempts: int = 3
    #: The first backoff; each later one doubles, up to ``max_delay``.
    base_delay: float = 0.5
    max_delay: float = 4.0
    #: Each backoff is scaled by a random factor in [1 - jitter, 1], so clients spread out.
    jitter: float = 0.5
    #: The longest ``Retry-After`` we wait out inside a tool call; longer ones are reported instead.
    max_retry_after: float = 10.0
    #: Seconds of the caller's deadline kept back for building the result.
    reserve: float = 0.5
    #: No retry is started with less time than this left for the attempt itself.
    min_attempt: float = 0.5

    def backoff(self, attempt: int, rand: float | None = None) -> float:
        """The wait after failed attempt number ``attempt`` (1-based), with jitter."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        draw = random.random() if rand is None else rand  # noqa: S311 - jitter, not a secret
        return ceiling * (1 - self.jitter * draw)

    def delay(self, error: UpstreamError, attempt: int, remaining: float) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` to give up now.

        ``remaining`` is the time left before the caller's deadline (``inf`` when none).
        """
        limit = LIST_FAILED_ATTEMPTS if error.error_code == "list_failed" else self.max_attempts
        if not error.retryable or attempt >= min(limit, self.max_attempts):
            return None
        if error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            wait = error.retry_after
        else:
            wait = self.backoff(attempt)
        if wait + self.reserve + self.min_attempt > remaining:
            return None
        return wait


def parse_retry_after(raw: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; ``None`` if unreadable."""
    if raw is None:
        return None
    text = raw.strip()
    if _SECONDS.fullmatch(text):
        return float(min(int(text), 86_400))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=timezone.utc)
    seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return min(max(0.0, math.ceil(seconds)), 86_400.0)
