"""The delivery dashboard in a real browser: headless Chromium (Debian's ``chromium``) via Playwright.

A test host page loads the view, exactly as the server serves it (``resources/read``), into a
sandboxed iframe under the Apps spec's default CSP, and plays the host: once by hand
(``browser/host.html``) and once with the published ``AppBridge`` of ``@modelcontextprotocol/ext-apps``
(``browser/bridge-host.html``). ``tools/call`` from the view reaches a real server over the
in-memory client. The assertions are on what a person sees.

Run only these with ``pytest -m browser``; leave them out with ``-m "not browser"``. Screenshots
land in ``test-artifacts/`` (git-ignored); ``UPDATE_SCREENSHOTS=1`` also rewrites the two in ``docs/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import Client

from genviral_mcp.dashboard import DASHBOARD_URI
from genviral_mcp.demo import SAMPLE_NOTICE, demo_server

from support.common import NOW

playwright_sync = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[browser]'")
if TYPE_CHECKING:  # at run time the import above skips the module when Playwright is missing
    from playwright.sync_api import Browser, Frame, Page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).resolve().parent / "browser"
ARTIFACTS = ROOT / "test-artifacts"
ORIGIN = "http://host.test"
CHROMIUM = os.environ.get("GENVIRAL_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
#: As the machine notes say: headless, as root, and no background traffic on a closed network.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: What a host MUST apply when the resource declares no ``ui.csp`` (ext-apps spec, 2026-01-26).
DEFAULT_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; media-src 'self' data:; connect-src 'none'; object-src 'none'"
)
HOSTS = ["host.html", "bridge-host.html"]
LIGHT = {"theme": "light", "displayMode": "inline", "platform": "web"}
XSS_CAPTION = '<img src=x onerror="alert(1)">Holiday drops start Monday!'
JS_URL = "javascript:alert(document.domain)"


def known_summary() -> dict[str, Any]:
    """A result in the summary's shape (issue 10), with the untrusted text an attacker controls."""
    return {
        "sample_data": "Test fixture, not an account.",
        "now": "2026-11-28 12:00 UTC",
        "scope": {
            "total_posts": 300,
            "not_yet_published_posts": 69,
            "published_posts": 57,
            "posts_by_status": {
                "posted": 57,
                "scheduled": 23,
                "pending": 16,
                "failed": 12,
                "partial": 11,
                "draft": 12,
            },
        },
        "coverage": "complete: every failed, partial, retry, pending and scheduled post was examined",
        "incomplete": "Genviral stopped answering while listing retry posts; call get_delivery_summary.",
        "needs_attention": {
            "deliveries": 10,
            "posts": 5,
            "accounts_not_active": [
                {
                    "account": "instagram @luna.travels",
                    "condition": "not active: missing from Genviral's list of active accounts",
                    "deliveries": 4,
                    "fix": "Reconnect the account in Genviral; until then nothing can go out to it.",
                }
            ],
            "causes": [
                {
                    "cause": "access_token_invalid: invalid token <b>bold</b> <script>alert(2)</script>",
                    "fix": "Reconnect this account in Genviral: its login expired or was revoked.",
                    "deliveries": 6,
                    "accounts": ["tiktok @luna.bakes", "tiktok @luna.travels"],
                    "newest": "2026-11-27 10:05",
                    "posts": [
                        {
                            "id": "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed",
                            "created": "2026-11-20T10:11:12Z",
                            "status": "failed",
                        }
                    ],
                    "posts_left_out": 2,
                },
                {
                    "cause": "still waiting more than 30 minutes after its scheduled time",
                    "deliveries": 4,
                    "accounts": ["instagram @luna.bakes"],
                    "newest": "2026-11-28 09:00",
                    "posts": {  # the other form: post id to its creation time
                        "6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b": "2026-11-01T08:00:00Z",
                        "0dabd684-87ea-451e-b625-6798293ec302": "2026-09-30T18:57:28Z",
                    },
                },
            ],
            "causes_left_out": 0,
        },
        "upcoming": {
            "hours": 24,
            "through": "2026-11-29 12:00",
            "posts": 1,
            "items": [
                {
                    "scheduled": "2026-11-28 14:30",
                    "id": "a5",
                    "status": "scheduled",
                    "accounts": ["instagram @luna.bakes"],
                    "warning": "will not go out to instagram @luna.bakes unless it is reconnected",
                    "caption": XSS_CAPTION,
                }
            ],
            "left_out": 0,
        },
        "went_out": {
            "published_since": "2026-11-27 12:00",
            "published_until": "2026-11-28 12:00",
            "posts": 1,
            "deliveries": 2,
            "items": [
                {
                    "published": "2026-11-28 09:12",
                    "id": "b7",
                    "urls": {
                        "tiktok @luna.bakes": "https://www.tiktok.com/@luna.bakes/video/123",
                        "instagram @mallory": JS_URL,
                    },
                    "caption": "3 ingredients, 10 minutes",
                }
            ],
            "left_out": 0,
            "complete": True,
        },
        "accounts": {
            "tiktok @luna.bakes": {
                "id": "0f4f",
                "platform": "tiktok",
                "connection": "connected",
                "needs_attention": 2,
            },
            "instagram @luna.travels": {
                "id": "a1d4",
                "platform": "instagram",
                "connection": "disconnected (the platform revoked its token; reconnect it in Genviral)",
            },
        },
        "some_future_key": {"the view": "ignores what it does not know"},
    }


TOTALS = "2 posts: 14510 views, 930 likes, 52 comments, 33 shares, 120 saves, 7.4% engagement"


def with_performance() -> dict[str, Any]:
    """The known summary with Genviral's analytics: a metrics line beside a link, and the section."""
    summary = known_summary()
    summary["went_out"]["items"][0]["metrics"] = {
        "tiktok @luna.bakes": "14210 views, 900 likes, 51 comments, 33 shares, 120 saves, 7.5% engagement"
    }
    summary["performance"] = {
        "measured": 2,
        "by_platform": {
            "tiktok": "2 posts: 14510 views, 930 likes, 52 comments, 33 shares, 120 saves, 7.4% engagement"
        },
        "by_account": {"tiktok @luna.bakes": TOTALS},
        "top": [
            "14210 views, 7.5% engagement: tiktok @luna.bakes https://www.tiktok.com/@luna.bakes/video/123"
        ],
        "bottom": [f"300 views: instagram @mallory {JS_URL}"],
        "never": {"pinterest @lunabakes": 3},
        "not_yet": {"tiktok @luna.bakes": 1},
        "never_why": "pinterest: no analytics in Genviral",
    }
    return summary


def tool_result(structured: dict[str, Any], text: str = "summary as text") -> dict[str, Any]:
    return {"content": [{"type": "text", "text": text}], "structuredContent": structured}


# --- the real server, on a thread of its own --------------------------------------------------------


@dataclass
class Mcp:
    """The demo server behind an in-memory client, callable from Playwright's (sync) callbacks."""

    portal: BlockingPortal
    client: Client

    def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        result = self.portal.call(self.client.call_tool, name, arguments)
        return dict(result.model_dump(by_alias=True, exclude_none=True, mode="json"))

    def view_html(self) -> str:
        read = self.portal.call(self.client.read_resource, DASHBOARD_URI)
        return str(read.contents[0].text)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def mcp() -> Iterator[Mcp]:
    server = demo_server(lambda: NOW)
    with (
        start_blocking_portal("asyncio") as portal,
        portal.wrap_async_context_manager(Client(server)) as client,
    ):
        yield Mcp(portal, client)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium, or run pytest -m 'not browser'")
    with playwright_sync.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


# --- a host page with the view in it ---------------------------------------------------------------


@dataclass
class Hosted:
    page: Page
    frame: Frame
    console_errors: list[str]
    dialogs: list[str]
    calls: list[dict[str, Any]] = field(default_factory=list)

    def log(self, method: str | None = None) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.page.evaluate("window.hostLog")
        return [entry for entry in entries if method is None or entry.get("method") == method]

    def text(self, selector: str) -> str:
        return self.frame.locator(selector).inner_text()


Open = Callable[..., Hosted]


@dataclass
class Tab:
    """One page for the whole module, sent to a host page afresh by each test (a new page costs more
    than most tests); its handlers report to the test using it now."""

    page: Page
    hosted: Hosted | None = None
    on_call: Callable[[dict[str, Any]], dict[str, Any]] | None = None


@pytest.fixture(scope="module")
def tab(browser: Browser, mcp: Mcp) -> Iterator[Tab]:
    view_html = mcp.view_html()
    context = browser.new_context(viewport={"width": 900, "height": 800})
    page = context.new_page()
    tab = Tab(page)

    def serve(route: Any) -> None:
        path = route.request.url.removeprefix(ORIGIN)
        if path == "/view.html":
            headers = {"content-type": "text/html; charset=utf-8", "content-security-policy": DEFAULT_CSP}
            route.fulfill(status=200, headers=headers, body=view_html)
        elif path in {"/host.html", "/bridge-host.html", "/app-bridge.bundle.js"}:
            route.fulfill(status=200, path=str(PAGES / path.lstrip("/")))
        else:
            route.fulfill(status=404, body="not found")

    def console(kind: str, text: str) -> None:
        if tab.hosted is not None and complaint(kind, text):
            tab.hosted.console_errors.append(text)

    def dialog(d: Any) -> None:
        if tab.hosted is not None:
            tab.hosted.dialogs.append(d.message)
        d.dismiss()

    def mcp_call(params: dict[str, Any]) -> dict[str, Any]:
        assert tab.hosted is not None
        tab.hosted.calls.append(params)
        if tab.on_call is not None:
            return tab.on_call(params)
        return mcp.call(params["name"], params.get("arguments") or {})

    page.on("console", lambda msg: console(msg.type, msg.text))
    page.on("pageerror", lambda error: console("error", str(error)))
    page.on("dialog", dialog)
    page.route(f"{ORIGIN}/**", serve)
    page.expose_function("mcpCall", mcp_call)
    yield tab
    context.close()


@pytest.fixture
def open_view(tab: Tab) -> Iterator[Open]:
    def open_(
        host: str,
        result: dict[str, Any],
        *,
        width: int = 900,
        context: dict[str, Any] | None = None,
        args: dict[str, Any] | None = None,
        on_call: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        reduced_motion: Literal["reduce", "no-preference"] = "no-preference",
    ) -> Hosted:
        page = tab.page
        page.set_viewport_size({"width": width, "height": 800})
        page.emulate_media(reduced_motion=reduced_motion)
        hosted = Hosted(page, page.main_frame, [], [])
        tab.hosted, tab.on_call = hosted, on_call
        page.goto(f"{ORIGIN}/{host}")  # a new document: nothing of the last test's host or view remains
        page.evaluate(
            "(setup) => window.startHost(setup)",
            {"result": result, "args": args or {}, "hostContext": context or LIGHT},
        )
        page.frame_locator("iframe").locator("main:not([aria-busy])").wait_for()
        hosted.frame = next(f for f in page.frames if f.url.endswith("/view.html"))
        return hosted

    yield open_
    tab.page.goto("about:blank")  # the view is gone before the next test's handlers take over
    tab.hosted = tab.on_call = None


def words(text: str) -> str:
    """Text as a person reads it: flex and grid items come out of innerText on lines of their own."""
    return " ".join(text.split())


# The view runs under a CSP without 'unsafe-eval': wait with locators, not frame.wait_for_function
# (whose polling evaluates strings in the page). frame.evaluate goes through the debugger and is fine.


def complaint(kind: str, text: str) -> bool:
    """An error anywhere, or the AppBridge warning that the view broke the protocol's order."""
    return kind == "error" or (kind == "warning" and ("[ext-apps]" in text or "[MCP Apps]" in text))


def no_trouble(hosted: Hosted) -> None:
    assert hosted.console_errors == [], hosted.console_errors
    assert hosted.dialogs == [], f"script ran from untrusted text: {hosted.dialogs}"


def overflow(hosted: Hosted) -> int:
    return int(
        hosted.frame.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def screenshot(hosted: Hosted, name: str) -> Path:
    """The whole view. The viewport grows to the page instead of ``full_page=True``, which can leave
    the sandboxed (out-of-process) iframe unpainted below the fold."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page = hosted.page
    viewport = page.viewport_size
    assert viewport is not None
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    page.set_viewport_size({"width": viewport["width"], "height": height})
    for target in (hosted.frame, page):
        target.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.screenshot(path=str(path))
    page.set_viewport_size(viewport)
    return path


# --- what a person sees --------------------------------------------------------------------------


@pytest.mark.parametrize("host", HOSTS)
def test_the_counts_attention_groups_timeline_and_links_are_shown(open_view: Open, host: str) -> None:
    hosted = open_view(host, tool_result(known_summary()))
    frame = hosted.frame
    assert hosted.text("#now") == "2026-11-28 12:00 UTC"
    legend = {
        item.get_attribute("data-status"): words(item.inner_text())
        for item in frame.locator("#scope .legend li[data-status]").all()
    }
    assert legend == {
        "posted": "posted 57",
        "scheduled": "scheduled 23",
        "pending": "pending 16",
        "partial": "partial 11",
        "failed": "failed 12",
        "draft": "draft 12",
    }
    assert frame.locator("#scope .bar span").count() == 6
    facts = words(hosted.text("#scope .facts"))
    assert "300 posts in total" in facts and "57 published" in facts and "69 not yet published" in facts

    rows = frame.locator("#attention tbody tr")
    assert rows.count() == 2
    first = rows.nth(0)
    assert "access_token_invalid" in first.locator("td").nth(0).inner_text()
    assert (
        first.locator("td").nth(1).inner_text()
        == "Reconnect this account in Genviral: its login expired or was revoked."
    )
    accounts = first.locator("td").nth(2).locator("li").all_text_contents()
    assert [words(text) for text in accounts] == ["tiktok @luna.bakes", "tiktok @luna.travels"]
    assert first.locator("td").nth(3).inner_text().split("\n")[0] == "3", "1 listed + 2 left out"
    assert first.locator("td").nth(4).inner_text() == "2026-11-27 10:05"
    assert "No known fix" in rows.nth(1).locator("td").nth(1).inner_text(), "no invented fix"
    assert rows.nth(1).locator("td").nth(3).inner_text().split("\n")[0] == "2"
    rows.nth(1).get_by_text("Post ids").click()
    assert "0dabd684-87ea-451e-b625-6798293ec302, created 2026-09-30T18:57:28Z" in rows.nth(1).inner_text()
    assert "10 deliveries on 5 posts" in words(hosted.text("#attention-h"))

    upcoming = words(hosted.text("#upcoming"))
    assert "Next 24 h" in upcoming and "2026-11-28 14:30" in upcoming and "@luna.bakes" in upcoming
    assert "Holiday drops start Monday!" in upcoming

    link = frame.get_by_role("link", name="tiktok @luna.bakes")
    assert link.get_attribute("href") == "https://www.tiktok.com/@luna.bakes/video/123"
    notes = words(hosted.text("main"))
    assert "Coverage:" in notes and "Incomplete: Genviral stopped answering" in notes
    assert "Sample data: Test fixture" in notes
    assert "disconnected" in hosted.text("#accounts")
    attention = words(hosted.text("#attention"))
    assert (
        "instagram @luna.travels: not active: missing from Genviral's list of active accounts 4 deliveries"
        in attention
    )
    assert "Warning: will not go out to instagram @luna.bakes unless it is reconnected" in upcoming
    no_trouble(hosted)


@pytest.mark.parametrize("host", HOSTS)
def test_views_and_engagement_beside_each_published_post_and_totals_per_account(
    open_view: Open, host: str
) -> None:
    hosted = open_view(host, tool_result(with_performance()))
    frame = hosted.frame
    assert words(hosted.text("#went-out .links")).startswith(
        "tiktok @luna.bakes 14,210 views · 7.5% engagement"
    )
    row = frame.locator("#performance tbody tr")
    assert row.count() == 1
    assert [words(cell) for cell in row.locator("td").all_text_contents()] == [
        "tiktok @luna.bakes",
        "2",
        "14,510",
        "7.4%",
        "14510 views, 930 likes, 52 comments, 33 shares, 120 saves, 7.4% engagement",
    ]
    text = words(hosted.text("#performance")).lower()  # (platforms are drawn in capitals)
    assert "2 deliveries with numbers" in text and "not yet: tiktok @luna.bakes 1" in text
    assert "never: pinterest @lunabakes 3" in text and "pinterest: no analytics in genviral" in text
    top = frame.locator("#performance .ranked a")
    assert top.count() == 1 and top.get_attribute("href") == "https://www.tiktok.com/@luna.bakes/video/123"
    assert JS_URL.lower() in text and frame.locator("a[href^='javascript:' i]").count() == 0
    no_trouble(hosted)


def test_without_analytics_the_view_says_so_in_one_line(open_view: Open) -> None:
    summary = known_summary() | {"performance_note": "Performance was not available: (HTTP 403)."}
    hosted = open_view("host.html", tool_result(summary))
    assert (
        words(hosted.text("#performance"))
        == "Performance Performance: Performance was not available: (HTTP 403)."
    )
    assert hosted.frame.locator("#went-out .perf").count() == 0
    no_trouble(hosted)


@pytest.mark.parametrize("host", HOSTS)
def test_untrusted_text_stays_text_and_a_javascript_url_never_becomes_a_link(
    open_view: Open, host: str
) -> None:
    hosted = open_view(host, tool_result(known_summary()))
    frame = hosted.frame
    assert XSS_CAPTION in hosted.text("#upcoming"), "the markup is shown, as text"
    assert "<b>bold</b> <script>alert(2)</script>" in hosted.text("#attention")
    assert frame.locator("main img, main script").count() == 0, "no element came from the data"
    assert frame.locator("a[href^='javascript:' i]").count() == 0
    assert frame.get_by_role("link", name="instagram @mallory").count() == 0
    shown = frame.locator(".unsafe")
    assert shown.count() == 1 and JS_URL in shown.inner_text()
    shown.click()
    frame.get_by_role("link", name="tiktok @luna.bakes").focus()  # give the page a moment to misbehave
    assert hosted.log("ui/open-link") == []
    assert frame.evaluate("location.href").endswith("/view.html")
    no_trouble(hosted)


@pytest.mark.parametrize("host", HOSTS)
def test_an_error_result_is_shown_as_text(open_view: Open, host: str) -> None:
    error = {
        "content": [{"type": "text", "text": "Genviral said: <img src=x onerror=alert(3)>"}],
        "isError": True,
    }
    hosted = open_view(host, error)
    assert hosted.text(".note.bad") == "Error: Genviral said: <img src=x onerror=alert(3)>"
    assert hosted.frame.locator("main img").count() == 0
    no_trouble(hosted)


@pytest.mark.parametrize("host", HOSTS)
def test_refresh_calls_the_tool_through_the_host_and_redraws(open_view: Open, host: str) -> None:
    fresher = known_summary() | {"now": "2026-11-28 12:05 UTC"}
    arguments = {"hours_ahead": 48}
    hosted = open_view(
        host, tool_result(known_summary()), args=arguments, on_call=lambda _: tool_result(fresher)
    )
    hosted.frame.get_by_role("button", name="Refresh").click()
    hosted.frame.locator("#now", has_text="12:05").wait_for()
    calls = hosted.log("tools/call")
    assert [call["params"] for call in calls] == [{"name": "get_delivery_summary", "arguments": arguments}]
    assert hosted.calls == [{"name": "get_delivery_summary", "arguments": arguments}]
    no_trouble(hosted)


def test_a_failed_refresh_keeps_the_last_result_on_screen_and_says_so(open_view: Open) -> None:
    failure = {"content": [{"type": "text", "text": "Genviral did not answer in time."}], "isError": True}
    hosted = open_view("host.html", tool_result(known_summary()), on_call=lambda _: failure)
    hosted.frame.get_by_role("button", name="Refresh").click()
    hosted.frame.locator(".note.bad", has_text="did not answer").wait_for()
    main = words(hosted.text("main"))
    assert main.startswith("Error: Genviral did not answer in time.")
    assert "Still showing: the previous result, as of 2026-11-28 12:00 UTC." in main
    assert hosted.frame.locator("#attention tbody tr").count() == 2
    assert "previous result is still shown" in hosted.text("#status")
    no_trouble(hosted)


@pytest.mark.parametrize("host", HOSTS)
def test_a_link_opens_through_the_host_by_click_and_by_keyboard(open_view: Open, host: str) -> None:
    hosted = open_view(host, tool_result(known_summary()))
    link = hosted.frame.get_by_role("link", name="tiktok @luna.bakes")
    link.click()
    link.focus()
    hosted.page.keyboard.press("Enter")
    hosted.page.wait_for_function("window.hostLog.filter(m => m.method === 'ui/open-link').length === 2")
    urls = [entry["params"]["url"] for entry in hosted.log("ui/open-link")]
    assert urls == ["https://www.tiktok.com/@luna.bakes/video/123"] * 2
    assert hosted.frame.evaluate("location.href").endswith("/view.html"), "the iframe never navigates"
    assert hosted.page.url == f"{ORIGIN}/{host}"
    no_trouble(hosted)


def background(hosted: Hosted) -> str:
    return str(hosted.frame.evaluate("getComputedStyle(document.body).backgroundColor"))


@pytest.mark.parametrize("host", HOSTS)
def test_theme_and_fonts_follow_the_host_context(open_view: Open, host: str) -> None:
    fonts = "@font-face { font-family: 'Host Sans'; src: local('DejaVu Sans'); }"
    styles = {"variables": {"--font-sans": "'Host Sans', serif"}, "css": {"fonts": fonts}}
    hosted = open_view(host, tool_result(known_summary()), context=LIGHT | {"styles": styles})
    assert background(hosted) == "rgb(255, 255, 255)"
    assert hosted.frame.evaluate("getComputedStyle(document.body).fontFamily") == '"Host Sans", serif'
    assert hosted.frame.evaluate("[...document.fonts].map(face => face.family)") == ["Host Sans"]
    hosted.page.evaluate("window.setHostContext({theme: 'dark'})")
    hosted.frame.locator("html[data-theme=dark]").wait_for(state="attached")
    assert background(hosted) == "rgb(23, 24, 26)"
    text = hosted.frame.evaluate("getComputedStyle(document.body).color")
    assert text == "rgb(242, 243, 245)"
    screenshot(hosted, f"known-dark-{host.removesuffix('.html')}.png")
    # The host's own colours, written with light-dark() as the spec suggests, follow the theme too.
    variables = {"--color-background-primary": "light-dark(rgb(250, 250, 250), rgb(16, 16, 16))"}
    hosted.page.evaluate("(styles) => window.setHostContext({styles})", {"variables": variables})
    hosted.frame.locator("html[style*='--color-background-primary']").wait_for(state="attached")
    assert background(hosted) == "rgb(16, 16, 16)"
    hosted.page.evaluate("window.setHostContext({theme: 'light'})")
    hosted.frame.locator("html[data-theme=light]").wait_for(state="attached")
    assert background(hosted) == "rgb(250, 250, 250)"
    no_trouble(hosted)


def stacked(hosted: Hosted, section: str) -> bool:
    """Whether the section's table is drawn as cards (its cells are blocks)."""
    display = hosted.frame.locator(f"#{section} td").first.evaluate("td => getComputedStyle(td).display")
    return str(display) == "block"


def natural_width(hosted: Hosted, section: str) -> int:
    """The width the section's table needs as a table, measured with the cards turned off."""
    return int(
        hosted.frame.locator(f"#{section} table").evaluate(
            "t => { const was = t.classList.contains('stacked'); t.classList.remove('stacked');"
            " const w = Math.ceil(t.getBoundingClientRect().width); if (was) t.classList.add('stacked');"
            " return w; }"
        )
    )


@pytest.mark.parametrize("width", [360, 720, 1000])
def test_no_horizontal_overflow_at_360_720_and_1000_px(open_view: Open, width: int) -> None:
    hosted = open_view("host.html", tool_result(known_summary()), width=width)
    assert overflow(hosted) <= 0
    assert stacked(hosted, "attention") is (width < 1000), "cards only where the table does not fit"
    # Narrow: the tables become labelled cards; every cell still says what it is.
    if width == 360:
        label = hosted.frame.locator("#attention td").first.evaluate(
            "td => getComputedStyle(td, '::before').content"
        )
        assert label == '"Cause: "'
        # ... and a screen reader still finds a table with rows and cells. Chromium keeps the roles of a
        # display:block table by itself; WebKit drops them, hence the explicit role attributes.
        table = hosted.frame.get_by_role("table", name="Deliveries that need attention, grouped by cause")
        assert table.get_by_role("row").count() == 3 and table.get_by_role("cell").count() == 10
        roles = table.evaluate(
            "t => [t, ...t.querySelectorAll('*')].map(e => e.getAttribute('role')).filter(Boolean)"
        )
        assert set(roles) == {"table", "rowgroup", "row", "columnheader", "cell"}
    screenshot(hosted, f"known-{width}px.png")
    no_trouble(hosted)


def test_the_demo_summary_never_overflows_from_320_to_1280_px_and_tables_fit_or_stack(
    open_view: Open, mcp: Mcp
) -> None:
    """Across the widths hosts give a view (a chat side panel is often ~720 px): no horizontal scroll,
    and each table is a table exactly where it fits, cards where it does not."""
    result = mcp.call("get_delivery_summary", {"max_items": 100})
    overflowing, misfit, cards = {}, [], {}
    for width in [*range(320, 1281, 80), 720]:
        hosted = open_view("host.html", result, width=width)
        if overflow(hosted) > 0:
            overflowing[width] = overflow(hosted)
        for section in ("attention", "accounts", "performance"):
            room = int(hosted.frame.locator(f"#{section}").evaluate("s => s.clientWidth"))
            if stacked(hosted, section) is not (natural_width(hosted, section) > room):
                misfit.append((width, section))
        cards[width] = stacked(hosted, "attention")
        no_trouble(hosted)
    assert overflowing == {}, f"px of horizontal overflow, by view width: {overflowing}"
    assert misfit == [], "a table that fits is drawn as cards, or one that does not fit as a table"
    assert cards[320] and not cards[1280], cards


def test_keyboard_reaches_every_control(open_view: Open) -> None:
    hosted = open_view("host.html", tool_result(known_summary()))
    hosted.frame.locator("body").focus()
    reached: list[list[Any]] = []
    while len(reached) < 20:
        hosted.page.keyboard.press("Tab")
        focused = hosted.frame.evaluate(
            "document.activeElement === document.body ? null : "
            "[[...document.querySelectorAll('*')].indexOf(document.activeElement),"
            " document.activeElement.textContent.trim()]"
        )
        if focused is None or focused in reached:
            break
        reached.append(focused)
    assert [text for _, text in reached] == ["Refresh", "Post ids", "Post ids", "tiktok @luna.bakes"]
    no_trouble(hosted)


def test_reduced_motion_turns_transitions_off(open_view: Open) -> None:
    def duration(motion: Literal["reduce", "no-preference"]) -> str:
        hosted = open_view("host.html", tool_result(known_summary()), reduced_motion=motion)
        return str(
            hosted.frame.locator("#scope .bar span").first.evaluate(
                "s => getComputedStyle(s).transitionDuration"
            )
        )

    assert duration("reduce") == "0s"
    assert duration("no-preference") != "0s"


# --- the real thing: --demo data, through both hosts -------------------------------------------------


def part(data: dict[str, Any], key: str) -> dict[str, Any]:
    """A section of the summary, or nothing when absent or of another shape (the view skips those)."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def assert_shows(hosted: Hosted, data: dict[str, Any]) -> None:
    """Every section the result has is drawn, with its numbers."""
    frame = hosted.frame
    assert hosted.text("#now") == data["now"]
    assert SAMPLE_NOTICE in hosted.text("main")
    scope = part(data, "scope")
    by_status = scope.get("posts_by_status", {})
    shown = {
        li.get_attribute("data-status"): words(li.inner_text())
        for li in frame.locator("#scope li[data-status]").all()
    }
    assert shown == {status: f"{status} {count}" for status, count in by_status.items() if count}
    causes = part(data, "needs_attention").get("causes", [])
    assert frame.locator("#attention tbody tr").count() == len(causes)
    for row, cause in zip(frame.locator("#attention tbody tr").all(), causes, strict=True):
        assert cause["cause"] in row.inner_text()
    upcoming = part(data, "upcoming").get("items", [])
    assert frame.locator("#upcoming li").count() == len(upcoming)
    went_out = part(data, "went_out").get("items", [])
    assert frame.locator("#went-out .went > li").count() == len(went_out)
    urls = [url for item in went_out for url in item.get("urls", {}).values() if url.startswith("https://")]
    assert frame.locator("#went-out a").evaluate_all("links => links.map(a => a.href)") == urls
    metrics = [line for item in went_out for line in item.get("metrics", {}).values()]
    assert frame.locator("#went-out .perf").count() == len(metrics), "views beside each measured post"
    totals = part(data, "performance").get("by_account", {})
    assert frame.locator("#performance tbody tr").count() == len(totals)
    for key in ("coverage", "incomplete"):
        if key in data:
            assert data[key] in words(hosted.text("main"))


#: Short lists, a longer horizon: the README's screenshots, and a refresh that must keep its arguments.
DEMO_ARGUMENTS = {"hours_ahead": 48, "max_items": 3}


def test_the_view_renders_the_default_demo_summary(open_view: Open, mcp: Mcp) -> None:
    result = mcp.call("get_delivery_summary", {})
    data = result["structuredContent"]
    for section in ("scope", "needs_attention", "upcoming", "went_out", "accounts"):
        assert isinstance(data.get(section), dict), f"--demo has a {section} section to draw"
    hosted = open_view("host.html", result, args={})
    assert_shows(hosted, data)
    assert hosted.frame.locator("#attention tbody tr").count() == 10
    assert "Next 24 h" in hosted.text("#upcoming-h")
    no_trouble(hosted)


@pytest.mark.parametrize("host", HOSTS)
def test_the_view_renders_demo_data_and_refreshes_it_from_the_server(
    open_view: Open, mcp: Mcp, host: str
) -> None:
    result = mcp.call("get_delivery_summary", DEMO_ARGUMENTS)
    data = result["structuredContent"]
    hosted = open_view(host, result, args=DEMO_ARGUMENTS)
    assert_shows(hosted, data)
    assert "Next 48 h" in hosted.text("#upcoming-h")
    assert hosted.frame.locator("#attention tbody tr").count() == 3
    assert f"{data['needs_attention']['causes_left_out']} more causes not shown" in hosted.text("#attention")
    hosted.frame.get_by_role("button", name="Refresh").click()
    hosted.page.wait_for_function("window.hostLog.some(m => m.method === 'tools/call')")
    hosted.frame.locator("#refresh:enabled").wait_for()
    assert hosted.calls == [{"name": "get_delivery_summary", "arguments": DEMO_ARGUMENTS}]
    assert_shows(hosted, data)  # the same clock, so the same summary, fetched again from the server
    for theme in ("light", "dark"):
        hosted.page.evaluate(f"window.setHostContext({{theme: '{theme}'}})")
        hosted.frame.locator(f"html[data-theme={theme}]").wait_for(state="attached")
        path = screenshot(hosted, f"demo-{theme}-{host.removesuffix('.html')}.png")
        if os.environ.get("UPDATE_SCREENSHOTS") == "1" and host == "host.html":
            (ROOT / "docs").mkdir(exist_ok=True)
            shutil.copyfile(path, ROOT / "docs" / f"dashboard-{theme}.png")
    no_trouble(hosted)
