"""The retry policy on its own: which failures are retried, how long to wait, when to stop."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from genviral_mcp.errors import UpstreamError, api_refusal
from genviral_mcp.retry import LIST_FAILED_ATTEMPTS, RetryPolicy, parse_retry_after

POLICY = RetryPolicy()
INF = math.inf


def refusal(status: int, error_code: str | None = None, retry_after: float | None = None) -> UpstreamError:
    return api_refusal(status, error_code, None, retry_after)


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 409, 418])
def test_client_errors_are_never_retried(status: int) -> None:
    assert POLICY.delay(refusal(status, "invalid_since"), 1, INF) is None


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_rate_limits_and_gateway_errors_are_retried(status: int) -> None:
    wait = POLICY.delay(refusal(status), 1, INF)
    assert wait is not None and 0 < wait <= POLICY.base_delay


def test_timeouts_and_connection_errors_are_retried_until_attempts_run_out() -> None:
    error = UpstreamError("did not answer", retryable=True)
    assert POLICY.delay(error, 1, INF) is not None
    assert POLICY.delay(error, POLICY.max_attempts - 1, INF) is not None
    assert POLICY.delay(error, POLICY.max_attempts, INF) is None


def test_list_failed_gets_one_retry_and_other_500s_none() -> None:
    assert LIST_FAILED_ATTEMPTS == 2
    assert POLICY.delay(refusal(500, "list_failed"), 1, INF) is not None
    assert POLICY.delay(refusal(500, "list_failed"), 2, INF) is None
    assert POLICY.delay(refusal(500), 1, INF) is None
    assert POLICY.delay(refusal(500, "other_failure"), 1, INF) is None


def test_backoff_doubles_up_to_the_cap_with_jitter() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=0.5)
    assert [policy.backoff(n, rand=0.0) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert [policy.backoff(n, rand=1.0) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    draws = {policy.backoff(2) for _ in range(50)}
    assert len(draws) > 1 and all(1.0 <= d <= 2.0 for d in draws)


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    assert POLICY.delay(refusal(429, retry_after=3), 1, INF) == 3
    assert POLICY.delay(refusal(503, retry_after=POLICY.max_retry_after), 1, INF) == POLICY.max_retry_after
    assert POLICY.delay(refusal(429, retry_after=POLICY.max_retry_after + 1), 1, INF) is None


def test_no_retry_that_would_overrun_the_deadline() -> None:
    error = refusal(503, retry_after=2)
    enough = 2 + POLICY.reserve + POLICY.min_attempt
    assert POLICY.delay(error, 1, enough + 0.01) == 2
    assert POLICY.delay(error, 1, enough - 0.01) is None


NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("0", 0.0),
        ("7", 7.0),
        (" 120 ", 120.0),
        ("99999999999", 86_400.0),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        ("Sat, 28 Nov 2026 12:00:30 GMT", 30.0),
        ("Sat, 28 Nov 2026 11:00:00 GMT", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("inf", None),
        ("nan", None),
        ("²", None),
        ("9" * 5000, None),
    ],
)
def test_parse_retry_after(raw: str | None, seconds: float | None) -> None:
    assert parse_retry_after(raw, NOW) == seconds


def test_error_text_says_when_to_try_again() -> None:
    assert "try again after" in refusal(429, retry_after=30).message
    assert "wait 30 s" in refusal(503, retry_after=30).message
    assert "Try again in a minute" in refusal(429).message
