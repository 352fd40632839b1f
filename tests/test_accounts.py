"""Account labels, unit by unit: unique by construction whatever the names and ids, stable for the
same list, named from published URLs where they carry a handle, and bounded in memory."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genviral_mcp.accounts import MAX_LABELS, ScopeAccounts, handle_label
from genviral_mcp.models import Account, Post

settings.register_profile("labels", derandomize=True, max_examples=150, deadline=None)

#: A few prefixes and names, so that collisions are the rule, not the exception.
PREFIXES = ["3f1c9a20", "3f1c9a21", "0b000000"]
NAMES = ["Luna Bakes", "Luna Bakes (3f1c9a20)", "Luna Bakes (3f1c9a20-0000-4000-8000-000000000001)", "x"]


def account_id(prefix: str, tail: int) -> str:
    return f"{prefix}-0000-4000-8000-{tail:012d}"


accounts_strategy = st.lists(
    st.builds(
        Account,
        id=st.builds(account_id, st.sampled_from(PREFIXES), st.integers(0, 3)),
        platform=st.sampled_from(["instagram", None, ""]),
        username=st.sampled_from([None, "", "luna", "@luna"]),
        display_name=st.sampled_from([None, *NAMES]),
        status=st.just("active"),
    ),
    max_size=8,
    unique_by=lambda account: account.id,
)
missing_strategy = st.lists(st.builds(account_id, st.sampled_from(PREFIXES), st.integers(4, 6)), max_size=4)


def posts_naming(ids: list[str]) -> list[Post]:
    return [Post.model_validate({"id": "p", "accounts": {"states": [{"account_id": i} for i in ids]}})]


@settings(settings.get_profile("labels"))
@given(accounts_strategy, missing_strategy)
def test_no_label_ever_stands_for_two_ids(accounts: list[Account], missing: list[str]) -> None:
    scope = ScopeAccounts()
    scope.apply(accounts, 0.0)
    used = scope.register(posts_naming([account.id for account in accounts] + missing))
    labels = {account_id: scope.label(account_id) for account_id in used}
    assert len(set(labels.values())) == len(labels), labels
    # The same list gives the same labels in a new process, whatever order it came in.
    again = ScopeAccounts()
    again.apply(list(reversed(accounts)), 0.0)
    again.register(posts_naming([account.id for account in accounts] + missing))
    assert {account_id: again.label(account_id) for account_id in used} == labels


def test_a_fallback_sharing_its_prefix_uses_the_whole_id() -> None:
    scope = ScopeAccounts()
    scope.apply([], 0.0)
    alone, first, second = account_id("0a0a0a0a", 1), account_id("3f1c9a20", 1), account_id("3f1c9a20", 2)
    scope.register(posts_naming([alone, first, second]))
    assert scope.label(alone) == "account 0a0a0a0a"
    assert scope.label(first) == f"account {first}" and scope.label(second) == f"account {second}"


def test_a_disambiguated_name_never_equals_another_accounts_name() -> None:
    """The second "Luna Bakes" would become "instagram Luna Bakes (2c222222)", which is a third
    account's plain name: the plain name wins, the second is told apart by its whole id."""
    named = [
        Account(id="1b111111-aaaa-4aaa-8aaa-00000000001b", platform="instagram", display_name="Luna Bakes"),
        Account(id="2c222222-aaaa-4aaa-8aaa-00000000002c", platform="instagram", display_name="Luna Bakes"),
        Account(
            id="3d333333-aaaa-4aaa-8aaa-00000000003d",
            platform="instagram",
            display_name="Luna Bakes (2c222222)",
        ),
    ]
    scope = ScopeAccounts()
    scope.apply(named, 0.0)
    assert [scope.label(account.id) for account in named] == [
        "instagram Luna Bakes",
        "instagram Luna Bakes (2c222222-aaaa-4aaa-8aaa-00000000002c)",
        "instagram Luna Bakes (2c222222)",
    ]


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("https://www.tiktok.com/@luna.bakes/video/7301234567890123456", "tiktok @luna.bakes"),
        ("https://m.tiktok.com/@luna_bakes?lang=en", "tiktok @luna_bakes"),
        ("https://www.instagram.com/luna.bakes/p/C1a2b3c4d5e/", "instagram @luna.bakes"),
        ("https://www.instagram.com/luna.bakes/reel/C1a2b3c4d5e/", "instagram @luna.bakes"),
        ("https://www.instagram.com/p/C1a2b3c4d5e/", None),
        ("https://www.facebook.com/LunaBakesStudio/posts/1234567890", "facebook @LunaBakesStudio"),
        ("https://www.facebook.com/1234567890/posts/1234567890", None),
        ("https://www.facebook.com/permalink.php?story_fbid=1&id=2", None),
        ("https://www.youtube.com/shorts/abcdefghijk", None),
        ("https://www.pinterest.com/pin/123456789/", None),
        ("https://www.linkedin.com/feed/update/urn:li:share:123/", None),
        ("https://evil.example/@tiktok.com/@x/video/1", None),
        (None, None),
    ],
)
def test_handles_come_only_from_urls_that_name_the_account(url: str | None, label: str | None) -> None:
    assert handle_label(url) == label


def test_labels_remembered_per_scope_are_bounded() -> None:
    scope = ScopeAccounts()
    scope.apply([], 0.0)
    ids = [str(uuid.UUID(int=index)) for index in range(MAX_LABELS + 50)]
    used = scope.register(posts_naming(ids))
    assert len(scope.labels) == MAX_LABELS
    assert sum(len(known) for known in scope.prefixes.values()) <= MAX_LABELS >= len(scope.prefixes)
    labels = [scope.label(account_id) for account_id in used]
    assert len(set(labels)) == len(ids), "past the bound, whole-id labels: still unique"


def test_an_id_label_becomes_the_whole_id_once_another_account_shares_its_start() -> None:
    """The rule holds as the scope grows, so the labels after a restart (which sees both at once)
    are the ones the process ends with."""
    scope = ScopeAccounts()
    scope.apply([], 0.0)
    first, second = account_id("3f1c9a20", 1), account_id("3f1c9a20", 2)
    scope.register(posts_naming([first]))
    assert scope.label(first) == "account 3f1c9a20"
    scope.register(posts_naming([second]))
    restarted = ScopeAccounts()
    restarted.apply([], 0.0)
    restarted.register(posts_naming([first, second]))
    assert scope.label(first) == restarted.label(first) == f"account {first}"
    assert scope.label(second) == restarted.label(second) == f"account {second}"
