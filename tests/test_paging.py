"""Where the next page starts, with posts that share a creation instant across the page edge."""

from __future__ import annotations

from datetime import datetime, timedelta

from genviral_mcp.models import Post
from genviral_mcp.paging import created as created_or_none
from genviral_mcp.paging import split_page


def created(post: Post) -> datetime:
    moment = created_or_none(post)
    assert moment is not None
    return moment


def _posts(*stamps: str) -> list[Post]:
    return [Post(id=f"p{i}", created_at=f"2026-01-01T00:00:{s}Z") for i, s in enumerate(stamps)]


def test_short_answer_has_no_next_page() -> None:
    posts = _posts("09.000", "08.000")
    assert split_page(posts, 3) == (posts, None)


def test_extra_post_older_than_the_page_starts_the_next_page_just_before_the_oldest() -> None:
    posts = _posts("09.000", "08.000", "07.000", "06.000")
    page, until = split_page(posts, 3)
    assert [p.id for p in page] == ["p0", "p1", "p2"]
    assert until == created(posts[2]) - timedelta(milliseconds=1)


def test_extra_post_tied_with_the_oldest_holds_the_tie_back() -> None:
    posts = _posts("09.000", "07.000", "07.000", "07.000")
    page, until = split_page(posts, 3)
    assert [p.id for p in page] == ["p0"]
    assert until == created(posts[1]), "inclusive: the held-back posts come first on the next page"


def test_full_page_of_100_without_an_extra_holds_back_the_oldest_instant() -> None:
    posts = _posts(*[f"{59 - i // 2:02d}.{i:03d}" for i in range(100)])
    page, until = split_page(posts, 100)
    assert len(page) == 99 and until == created(posts[-1])


def test_page_that_is_one_instant_steps_past_it() -> None:
    posts = _posts("07.000", "07.000", "07.000", "07.000")
    page, until = split_page(posts, 3)
    assert page == posts[:3] and until == created(posts[0]) - timedelta(milliseconds=1)


def test_exactly_limit_posts_is_the_last_page() -> None:
    """Asked for limit + 1 and got limit: nothing more matches, so there is no next page (the
    oldest post is not held back for a page 2 that would hold only it)."""
    posts = _posts("09.000", "08.000", "07.000")
    assert split_page(posts, 3) == (posts, None)
    tied = _posts("09.000", "07.000", "07.000")
    assert split_page(tied, 3) == (tied, None)


def test_a_full_page_of_100_cannot_tell_and_keeps_a_next_page() -> None:
    posts = _posts(*[f"{59 - i // 2:02d}.{i:03d}" for i in range(99)])
    assert split_page(posts, 99, asked=100) == (posts, None), "99 of 100 asked: the last page"
    _, until = split_page(posts, 99, asked=99)
    assert until is not None, "99 of 99 asked (the API's maximum): more may match"


def test_minute_reads_the_api_form_and_anything_else_iso() -> None:
    from genviral_mcp.timestamps import minute

    assert minute("2025-01-20T12:05:11.205Z") == "2025-01-20 12:05"
    assert minute("2025-01-20T12:05Z") == "2025-01-20 12:05"
    assert minute("2025-01-20T14:05:11+02:00") == "2025-01-20 12:05"
    assert minute("2025-01-20T23:59:59.999-01:00") == "2025-01-21 00:59"
    assert minute("not a time") == "not a time" and minute(None) is None and minute("") is None
