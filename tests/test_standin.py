"""The stand-in's recording windows: what a server of an earlier test still sends is never counted
as the current test's (issue 18: a leftover ``/accounts`` request once failed a test that expected
no request at all)."""

from __future__ import annotations

import httpx2 as httpx

from support.common import KEY
from support.standin import StandInApi, respond


def _get(url: str) -> httpx.Response:
    return httpx.get(url, headers={"authorization": f"Bearer {KEY}"}, timeout=5)


def test_a_request_from_an_earlier_window_is_answered_but_not_recorded(api: StandInApi) -> None:
    earlier = api.base_url
    api.open_window()  # the next test begins while the earlier test's request is still on its way
    late = _get(f"{earlier}/accounts")
    assert late.status_code == 404, "answered as usual (this emulator offers no account list)"
    assert api.all_requests == [] and api.account_requests == []
    assert [entry.path for entry in api.late_requests] == ["/api/partner/v1/accounts"]
    _get(f"{api.base_url}/posts")
    assert [entry.path for entry in api.all_requests] == ["/api/partner/v1/posts"]


def test_a_late_request_takes_no_fault_scripted_for_the_current_test(api: StandInApi) -> None:
    earlier = api.base_url
    api.open_window()
    api.script(respond(503, '{"ok": false, "code": 503, "message": "scripted"}'))
    assert _get(f"{earlier}/posts").status_code == 200
    assert _get(f"{api.base_url}/posts").status_code == 503, "the scripted fault was still there"
    assert len(api.requests) == 1


def test_the_shared_url_records_in_the_open_window(api: StandInApi) -> None:
    """Servers that outlive one test (module-scoped) use the shared URL: recorded as before."""
    _get(f"{api.shared_base_url}/posts")
    assert len(api.requests) == 1 and api.late_requests == []
