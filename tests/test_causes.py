"""Causes a user can act on: real provider errors grouped by what tells them apart, each with the
fix it calls for, and no invented fix for the rest.

The table holds error messages as TikTok, Instagram/Facebook (Graph API), YouTube, Pinterest (API
v5) and LinkedIn send them, in the shapes integrations store them (a bare code, ``code: message``,
or the provider's JSON body behind an HTTP status).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

import pytest

from genviral_mcp.causes import FIXES, NO_MESSAGE_CAUSE, cause_key, cause_text, fix_for, provider_cause
from genviral_mcp.demo.emulator import PostsEmulator

from support.common import KEY, Connect, structured
from support.standin import StandInApi

ADVICE = {fix.kind: fix.advice for fix in FIXES}


@dataclass(frozen=True)
class Case:
    platform: str
    kind: str
    message: str
    #: The kind of fix it calls for (a key of ``ADVICE``), or ``None``: no fix is known.
    fix: str | None
    #: The same failure as it reaches another post (another id, time or count): one cause with it.
    twin: str | None = None


def graph(status: int, body: str) -> str:
    """A Graph API error as integrations store it: the HTTP status, then the provider's body."""
    return f"StatusCodeError: {status} - {body}"


CASES = (
    # --- TikTok Content Posting API: error codes and publish fail_reason values ---------------------
    Case(
        "tiktok",
        "token expiry",
        "access_token_invalid: The access token is invalid or not found in the request. "
        "log_id: 202611281205017A3C9E1B2D4F",
        "token",
        twin="access_token_invalid: The access token is invalid or not found in the request. "
        "log_id: 20261129093344B7D2E8F1A6C0",
    ),
    Case("tiktok", "token expiry", "auth_removed", "token"),
    Case(
        "tiktok",
        "missing permission",
        "scope_not_authorized: The user did not authorize the scope required for completing this request.",
        "permission",
    ),
    Case("tiktok", "spam limit", "spam_risk_too_many_posts", "limit"),
    Case(
        "tiktok",
        "rate limit",
        "rate_limit_exceeded: The API rate limit was exceeded. Please try again later.",
        "limit",
    ),
    Case("tiktok", "duration", "duration_check_failed", "media"),
    Case("tiktok", "resolution", "picture_size_check_failed", "media"),
    Case(
        "tiktok",
        "file size",
        "invalid_file_upload: The uploaded file does not meet API specifications.",
        "media",
    ),
    Case(
        "tiktok",
        "media fetch",
        "video_pull_failed: TikTok could not download the video from the provided URL (HTTP 403).",
        "download",
    ),
    Case("tiktok", "5xx", "internal_error: TikTok answered HTTP 500.", "temporary"),
    Case("tiktok", "banned", "spam_risk_user_banned_from_posting", None),
    Case("tiktok", "domain", "url_ownership_unverified", None),
    # --- Instagram and Facebook, Graph API ---------------------------------------------------------
    Case(
        "facebook",
        "token expiry",
        graph(
            400,
            '{"error":{"message":"Error validating access token: Session has expired on Thursday, '
            '02-Mar-23 07:00:00 PST. The current time is Thursday, 02-Mar-23 08:41:04 PST.",'
            '"type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"ASkD40ZYzAMGpUkxW2P4ez6"}}',
        ),
        "token",
        twin=graph(
            400,
            '{"error":{"message":"Error validating access token: Session has expired on Monday, '
            '17-Jul-24 11:00:00 PDT. The current time is Tuesday, 18-Jul-24 09:02:51 PDT.",'
            '"type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"AhH1lEz8Uq0Wc5bK9vYrT2m"}}',
        ),
    ),
    Case(
        "instagram",
        "token expiry",
        graph(
            400,
            '{"error":{"message":"Error validating access token: The session has been invalidated because '
            'the user changed their password or Facebook has changed the session for security reasons.",'
            '"type":"OAuthException","code":190,"error_subcode":460,"fbtrace_id":"A0mXJb4Qe8y2sPq7cRv1nUk"}}',
        ),
        "token",
    ),
    Case(
        "instagram",
        "missing permission",
        graph(
            400,
            '{"error":{"message":"(#10) Application does not have permission for this action",'
            '"type":"OAuthException","code":10,"fbtrace_id":"AlxUisvCSIMDcrLtpCjx_X0"}}',
        ),
        "permission",
    ),
    Case(
        "facebook",
        "missing permission",
        "(#200) The user hasn't authorized the application to perform this action",
        "permission",
    ),
    Case(
        "instagram",
        "aspect ratio",
        "(#36003) The aspect ratio is not supported. Supported ratios are 4:5 to 1.91:1.",
        "media",
    ),
    Case(
        "instagram",
        "aspect ratio",
        "The submitted image with aspect ratio ('0.4',) cannot be published. Please submit an image "
        "with a valid aspect ratio. (code 36003, subcode 2207009)",
        "media",
        twin="The submitted image with aspect ratio ('2.75',) cannot be published. Please submit an image "
        "with a valid aspect ratio. (code 36003, subcode 2207009)",
    ),
    Case(
        "instagram",
        "file size",
        '{"message":"The image size is too large.","type":"OAuthException","code":36000,'
        '"error_subcode":2207004,"error_user_msg":"The image is too large to download. '
        'It should be less than 8 MiB."}',
        "media",
    ),
    Case(
        "instagram",
        "duration",
        "Transcode error: Video is too long: 94.156911",
        "media",
        twin="Transcode error: Video is too long: 70.047",
    ),
    Case(
        "instagram",
        "format",
        "(#352) Sorry, the video file you selected is in a format that we don't support.",
        "media",
    ),
    Case(
        "instagram",
        "spam limit",
        graph(
            403,
            '{"error":{"message":"Application request limit reached","type":"OAuthException",'
            '"is_transient":false,"code":4,"error_subcode":2207051,"error_user_title":"Action is blocked",'
            '"error_user_msg":"We restrict certain activity to protect our community.",'
            '"fbtrace_id":"Ak94s1zgaADBUMfc50QG0ma"}}',
        ),
        "limit",
    ),
    Case(
        "instagram",
        "quota",
        "You reached maximum number of posts that is allowed to be published by Content Publishing API. "
        "(code 9, subcode 2207042)",
        "limit",
    ),
    Case("facebook", "rate limit", "(#17) User request limit reached", "limit"),
    Case(
        "instagram",
        "media fetch",
        "(#9004) Media download has failed. The media URI doesn't meet our requirements.",
        "download",
    ),
    Case(
        "instagram", "media fetch", "It takes too long to download the media. (subcode 2207003)", "download"
    ),
    Case("facebook", "media fetch", "(#389) Unable to fetch video file from URL.", "download"),
    Case("instagram", "5xx", "Instagram server error. Try again. (subcode 2207001)", "temporary"),
    Case(
        "facebook",
        "5xx",
        "(#2) An unexpected error has occurred. Please retry your request later.",
        "temporary",
    ),
    Case(
        "facebook",
        "not found",
        "(#100) Unsupported post request. Object with ID '17841405822304914' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation.",
        "permission",  # it names missing permissions itself: re-authorising is the step a person can take
        twin="(#100) Unsupported post request. Object with ID '102938475610293' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation.",
    ),
    Case(
        "instagram",
        "restricted",
        graph(
            400,
            '{"error":{"message":"User access is restricted","type":"OAuthException","code":25,'
            '"error_subcode":2207050,"is_transient":false,"error_user_title":"User is restricted",'
            '"error_user_msg":"The Instagram account is restricted.",'
            '"fbtrace_id":"AdHA39nXVwnOZT5aiIGyzDv"}}',
        ),
        None,
    ),
    Case("facebook", "checkpoint", "(#368) A security check is required to proceed.", None),
    Case(
        "instagram",
        "expired container",  # "expired" here is the upload, not the login: no reconnect advice
        "The media you are trying to access has expired. Please try to upload again. (subcode 2207020)",
        None,
    ),
    # --- YouTube Data API v3 -----------------------------------------------------------------------
    Case(
        "youtube",
        "quota",
        'quotaExceeded: The request cannot be completed because you have exceeded your <a href="/youtube/'
        'v3/getting-started#quota">quota</a>.',
        "limit",
    ),
    Case(
        "youtube",
        "upload limit",
        "uploadLimitExceeded: The user has exceeded the number of videos they may upload.",
        "limit",
    ),
    Case("youtube", "token expiry", "invalid_grant: Token has been expired or revoked.", "token"),
    Case(
        "youtube",
        "token expiry",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
        "other valid authentication credential.",
        "token",
    ),
    Case("youtube", "missing permission", "Request had insufficient authentication scopes.", "permission"),
    Case(
        "youtube",
        "not found",
        "videoNotFound: The video that you are trying to update cannot be found. Check the value of the "
        "<code>id</code> field in the request body to ensure that it is correct.",
        None,
    ),
    Case("youtube", "5xx", "backendError: Backend Error", "temporary"),
    Case("youtube", "5xx", "The service is currently unavailable. (HTTP 503)", "temporary"),
    # --- Pinterest API v5: {"code": n, "message": ...} ---------------------------------------------
    Case("pinterest", "token expiry", '{"code": 2, "message": "Authentication failed."}', "token"),
    Case(
        "pinterest",
        "token expiry",
        '{"code": 1104, "message": "The token you provided is not valid or has expired."}',
        "token",
    ),
    Case(
        "pinterest",
        "missing permission",
        '{"code": 3, "message": "Your token does not have sufficient permissions to perform this operation. '
        'Please ensure your token is authorized with the correct set of scopes."}',
        "permission",
    ),
    Case(
        "pinterest",
        "missing permission",
        '{"code": 7, "message": "Not authorized to access board or Pin."}',
        "permission",
    ),
    Case(
        "pinterest",
        "rate limit",
        '{"code": 8, "message": "This request exceeded a rate limit. This can happen if the client exceeds '
        'one of the published rate limits within a short time window."}',
        "limit",
    ),
    Case("pinterest", "not found", '{"code": 40, "message": "Board not found."}', None),
    Case("pinterest", "not found", '{"code": 50, "message": "Pin not found."}', None),
    Case(
        "pinterest",
        "not found",
        "Board not found: 123456789012345678 (code 2)",
        None,
        twin="Board not found: 987654321098765432 (code 2)",
    ),
    Case("pinterest", "5xx", "Request failed with status code 502", "temporary"),
    # --- LinkedIn (REST API): serviceErrorCode, code, message, status ------------------------------
    Case(
        "linkedin",
        "token expiry",
        '{"serviceErrorCode":65601,"code":"REVOKED_ACCESS_TOKEN",'
        '"message":"The token used in the request has been revoked by the user","status":401}',
        "token",
    ),
    Case(
        "linkedin",
        "token expiry",
        '{"status":401,"serviceErrorCode":65602,"code":"EXPIRED_ACCESS_TOKEN",'
        '"message":"The token used in the request has expired"}',
        "token",
    ),
    Case(
        "linkedin",
        "missing permission",
        '{"serviceErrorCode":100,"code":"ACCESS_DENIED",'
        '"message":"Not enough permissions to access: partnerApiPostsExternal.CREATE.20240501","status":403}',
        "permission",
    ),
    Case(
        "linkedin",
        "rate limit",
        "Resource level throttle APPLICATION DAY limit for calls to this resource is reached. (HTTP 429)",
        "limit",
    ),
    Case(
        "linkedin",
        "not found",
        '{"serviceErrorCode":0,"code":"NOT_FOUND","message":"No virtual resource found","status":404}',
        None,
    ),
    Case(
        "linkedin",
        "restricted",
        '{"status":401,"serviceErrorCode":65608,"code":"RESTRICTED_MEMBER","message":"Member is restricted"}',
        "token",  # a 401: LinkedIn refuses the login until the member is unrestricted and reconnects
    ),
    Case("linkedin", "5xx", '{"message":"Internal Server Error","status":500}', "temporary"),
    # --- As an HTTP client library reports a bare status -------------------------------------------
    Case("any", "token expiry", "Request failed with status code 401", "token"),
    Case("any", "rate limit", "Request failed with status code 429", "limit"),
    Case("any", "forbidden", "Request failed with status code 403", None),
)


def _id(case: Case) -> str:
    return f"{case.platform}-{case.kind}-{case.message[:24]}".replace(" ", "_")


def test_the_table_covers_every_platform_and_kind() -> None:
    assert len(CASES) >= 30
    assert {"tiktok", "instagram", "facebook", "youtube", "pinterest", "linkedin"} <= {
        case.platform for case in CASES
    }
    kinds = {case.kind for case in CASES}
    assert {
        "token expiry",
        "missing permission",
        "aspect ratio",
        "duration",
        "file size",
        "spam limit",
        "rate limit",
        "quota",
        "not found",
        "media fetch",
        "5xx",
    } <= kinds
    assert sum(case.fix is None for case in CASES) >= 8, "the table holds errors no fix is known for"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_each_real_error_gets_the_fix_it_calls_for_and_no_other(case: Case) -> None:
    expected = ADVICE[case.fix] if case.fix else None
    assert fix_for(case.message) == expected
    key, shown, fix = provider_cause(case.message)
    assert key == cause_key(case.message) and fix == expected
    assert shown and len(shown) <= 120 and "<a " not in shown and "<code>" not in shown
    if case.twin is not None:
        assert cause_key(case.twin) == key, "the same failure on another post is the same cause"
        assert fix_for(case.twin) == expected


def test_different_errors_are_different_causes() -> None:
    """Every pair in the table differs in what a person does or in what the provider says: none merge."""
    for first, second in combinations(CASES, 2):
        assert cause_key(first.message) != cause_key(second.message), (first.message, second.message)


@pytest.mark.parametrize(
    "messages",
    [
        ["Request failed with status code 401", "Request failed with status code 429"],
        ["Request failed with status code 500", "Request failed with status code 503"],
        ["(#10) Permission denied", "(#200) Permission denied"],
        [
            '{"serviceErrorCode":65601,"message":"The token used in the request is not valid","status":401}',
            '{"serviceErrorCode":65602,"message":"The token used in the request is not valid","status":401}',
        ],
        [
            '{"error":{"message":"Invalid parameter","code":100,"error_subcode":2207026}}',
            '{"error":{"message":"Invalid parameter","code":100,"error_subcode":2207006}}',
        ],
        [  # a subcode past the part of the text that is compared is still compared
            "StatusCodeError: 400 - " + "x" * 150 + ' "error_subcode":2207026',
            "StatusCodeError: 400 - " + "x" * 150 + ' "error_subcode":2207006',
        ],
        ["upload failed (HTTP 413)", "upload failed (HTTP 415)"],
    ],
)
def test_codes_tell_causes_apart(messages: list[str]) -> None:
    assert len({cause_key(message) for message in messages}) == len(messages)


@pytest.mark.parametrize(
    "messages",
    [
        [
            "Media 3f1c9a20-1111-4fb7-8c7b-befbcb8af812 could not be published",
            "Media 0f4f54d4-8cce-4fb7-8c7b-befbcb8af812 could not be published",
        ],
        ["Video 7123456789012345678 was removed", "Video 7309876543210987654 was removed"],
        ["Container 5f3a9c2e1b7d was not ready", "Container 9e8d7c6b5a43 was not ready"],
        [
            "Could not publish: https://cdn.genviral.io/a/1.mp4 is private",
            "could not publish: https://cdn.genviral.io/b/2.mp4 is private.",
        ],
        ["posted 5 times in the last 24 hours", "posted 12 times in the last 24 hours"],
        ["Retry after 2026-11-28T12:00:05Z", "Retry after 2026-11-29T08:30:00.123Z"],
    ],
)
def test_identifiers_times_and_counts_do_not_split_a_cause(messages: list[str]) -> None:
    assert len({cause_key(message) for message in messages}) == 1


def test_the_shown_cause_masks_identifiers_whole() -> None:
    assert cause_text("Media 3f1c9a20-1111-4fb7-8c7b-befbcb8af812 not found (code 24)") == (
        "Media <id> not found (code 24)"
    )
    assert cause_text("Board not found: 123456789012345678 (code 2)") == "Board not found: <id> (code 2)"


@pytest.mark.parametrize(
    "message",
    [
        "Something went horribly wrong",
        "Holy smokes this thing didn't work.",
        "privacy_level_option_mismatch",
        "unaudited_client_can_only_post_to_private_accounts",
        "Member is restricted",
        "Caption contains a banned hashtag",
        "Error 2207082",
        "Could not publish: https://cdn.example/v.mp4?token=abc123&expires=1732800000 is private",
    ],
)
def test_an_unrecognised_error_gets_no_invented_fix(message: str) -> None:
    assert fix_for(message) is None


@pytest.mark.parametrize(
    "message", ["", " ", "<br>", "<br/> <p></p>", "\u200b", "\u200b \u2060\ufeff", "\x00\x1b[0m"]
)
def test_an_error_empty_after_cleaning_is_no_message(message: str) -> None:
    assert provider_cause(message) == ("no-message", NO_MESSAGE_CAUSE, None)


# --- Through the summary ------------------------------------------------------------------------


def _post(post_id: str, created: str, *states: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": post_id,
        "caption": post_id,
        "status": "failed",
        "scheduled_at": "2026-11-27T10:00:00Z",
        "created_at": created,
        "accounts": {"total": len(states), "states": list(states)},
    }


def _failed(account: str, error: str | None) -> dict[str, Any]:
    return {"account_id": account, "status": "failed", "error_message": error, "last_attempted_at": None}


@pytest.mark.anyio
async def test_the_summary_groups_by_cause_and_gives_each_its_fix(connect: Connect, api: StandInApi) -> None:
    posts = [
        _post("p1", "2026-11-27T09:00:00.001Z", _failed("a", "Request failed with status code 401")),
        _post("p2", "2026-11-27T09:00:00.002Z", _failed("a", "Request failed with status code 429")),
        _post(
            "p3", "2026-11-27T09:00:00.003Z", _failed("b", "Media 3f1c9a20-1111-4fb7-8c7b-befbcb8af812 gone")
        ),
        _post(
            "p4", "2026-11-27T09:00:00.004Z", _failed("b", "Media 0f4f54d4-8cce-4fb7-8c7b-befbcb8af812 gone")
        ),
        _post("p5", "2026-11-27T09:00:00.005Z", _failed("c", "<br>"), _failed("d", "\u200b ")),
        _post("p6", "2026-11-27T09:00:00.006Z", _failed("e", None)),
    ]
    api.emulator = PostsEmulator(posts, {KEY: "ok"})
    async with connect() as client:
        body = structured(await client.call_tool("get_delivery_summary", {"max_items": 100}))
    causes = {cause["cause"]: cause for cause in body["needs_attention"]["causes"]}
    assert set(causes) == {
        "Request failed with status code 401",
        "Request failed with status code 429",
        "Media <id> gone",
        NO_MESSAGE_CAUSE,
    }
    assert causes["Request failed with status code 401"]["fix"] == ADVICE["token"]
    assert causes["Request failed with status code 429"]["fix"] == ADVICE["limit"]
    assert causes["Media <id> gone"]["deliveries"] == 2 and "fix" not in causes["Media <id> gone"]
    assert causes[NO_MESSAGE_CAUSE]["deliveries"] == 3 and "fix" not in causes[NO_MESSAGE_CAUSE]
