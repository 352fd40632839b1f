"""Tool arguments → API query: clamping, timestamps read as UTC, bad values named."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from genviral_mcp.errors import InvalidArgument
from genviral_mcp.query import PostsQuery, clamp_limit, parse_timestamp


@pytest.mark.parametrize(
    ("given", "applied"), [(-5, 1), (0, 1), (1, 1), (20, 20), (100, 100), (101, 100), (10**12, 100)]
)
def test_limit_is_clamped_like_the_api(given: int, applied: int) -> None:
    assert clamp_limit(given) == applied


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-20T12:05:11.205Z", datetime(2025, 1, 20, 12, 5, 11, 205000, tzinfo=timezone.utc)),
        ("2025-01-20T12:05:11Z", datetime(2025, 1, 20, 12, 5, 11, tzinfo=timezone.utc)),
        ("2025-01-20T14:05:11+02:00", datetime(2025, 1, 20, 12, 5, 11, tzinfo=timezone.utc)),
        ("2025-01-20T12:05:11", datetime(2025, 1, 20, 12, 5, 11, tzinfo=timezone.utc)),  # no offset: UTC
        ("2025-01-20", datetime(2025, 1, 20, tzinfo=timezone.utc)),
        ("2025-01-20 12:05", datetime(2025, 1, 20, 12, 5, tzinfo=timezone.utc)),
        ("2025-01-20T12:05:11.1234567Z", datetime(2025, 1, 20, 12, 5, 11, 123456, tzinfo=timezone.utc)),
        ("2025-01-20T14:05:11.5+02:00", datetime(2025, 1, 20, 12, 5, 11, 500000, tzinfo=timezone.utc)),
    ],
)
def test_timestamps(text: str, expected: datetime) -> None:
    assert parse_timestamp("since", text) == expected


@pytest.mark.parametrize(
    "text", ["yesterday", "2025-13-01", "2025-01-32T00:00:00Z", "", "   ", "12:00", "\x00"]
)
def test_bad_timestamps_name_the_parameter_and_give_an_example(text: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_timestamp("until", text)
    assert caught.value.parameter == "until"
    assert "`until`" in caught.value.message
    assert "2025-01-31T00:00:00Z" in caught.value.message


def test_since_after_until_is_refused() -> None:
    with pytest.raises(InvalidArgument) as caught:
        PostsQuery.from_arguments(None, 20, "2025-02-01T00:00:00Z", "2025-01-01T00:00:00Z")
    assert caught.value.parameter == "since"
    assert "after `until`" in caught.value.message


def test_params_are_sent_normalised_to_utc_milliseconds() -> None:
    query = PostsQuery.from_arguments("failed", 500, "2025-01-01T02:00:00+02:00", "2025-02-01")
    assert query.to_params() == {
        "limit": "100",
        "status": "failed",
        "since": "2025-01-01T00:00:00.000Z",
        "until": "2025-02-01T23:59:59.999Z",  # a date alone, as an upper bound: the whole day
    }
    assert query.describe()["limit"] == 100
