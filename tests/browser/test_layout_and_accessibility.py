"""The main pages at a phone's width (390 px) with long names in the data, and axe-core's
accessibility checks on them, through the built web app against one real `infrasync serve`
for the module (the pages only read what the fixture seeded, so they can share it).

Every name a page shows is 200 characters of one unbroken word (the worst case: nothing
to wrap at), set in the database after the API made the rows (the API allows 100 at most,
and an email's local part 64). Each test writes a screenshot of its page, at the phone's
width and a desktop's, under test-artifacts/screenshots/ (not committed) for a reviewer.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, StorageState, expect

from infrasync.frontend import WEB_DIST
from tests.browser.server import LOGIN_LINK, Server, make_git_repository
from tests.live_server import ServerProcess, run_cli

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def long_word(stem: str, length: int = 200) -> str:
    """`stem` repeated into one word of `length` characters, with no place to break it."""
    return (stem * (length // len(stem) + 1))[:length]


ORG_NAME = long_word("Organisation")
MONITOR_NAME = long_word("Monitorname")
CHANNEL_NAME = long_word("Channelname")
API_KEY_NAME = long_word("Apikeyname")
MEMBER_NAME = long_word("Membername")
MEMBER_LOGIN = long_word("memberlogin")
ADMIN_NAME = long_word("Adminname")
# 200 characters in all, as an address.
MEMBER_EMAIL = long_word("memberemail", 188) + "@example.com"
INVITE_EMAIL = long_word("inviteemail", 188) + "@example.com"
ADMIN_EMAIL = long_word("adminemail", 188) + "@example.com"
# The longest local part an address may have.
CHANNEL_ADDRESS = long_word("recipient", 64) + "@example.com"
# A commit subject is the digest's own text: a long one must wrap too.
COMMIT_SUBJECT = long_word("Refactorthewidgetparser")
SLUG = "demo"


@dataclass(frozen=True)
class Seeded:
    server: Server
    signed_in: StorageState
    digest_id: str


def _admin_link(server: Server) -> str:
    """A new one-time sign-in link for the first admin (the first one is used up)."""
    done = run_cli("admin", "login-link", cwd=server.cwd, INFRASYNC_PUBLIC_URL=server.base_url)
    assert done.returncode == 0, done.stderr
    match = LOGIN_LINK.search(done.stdout)
    assert match is not None, done.stdout
    return match.group(0)


def _csrf(cookies: httpx.Cookies) -> dict[str, str]:
    return {"X-CSRF-Token": cookies["infrasync_csrf"]}


def _client_signed_in(server: Server, link: str) -> httpx.Client:
    client = httpx.Client(base_url=server.base_url, follow_redirects=True, timeout=60)
    client.get(link).raise_for_status()
    assert "infrasync_session" in client.cookies, "the sign-in link set no session"
    return client


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body, headers=_csrf(client.cookies))
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


def _seed_through_the_api(server: Server, admin: httpx.Client) -> str:
    """A second member, a pending invite for an address, an API key and an email channel
    in the demo org (which the server made with a monitor and its first digest); returns
    that digest's id."""
    api = f"/api/orgs/{SLUG}"
    invite = _post(admin, f"{api}/invites", {"role": "member"})
    member = _client_signed_in(server, server.login_link("member@example.com"))
    try:
        accept = member.post(
            f"/api/invites/{invite['token']}/accept", headers=_csrf(member.cookies)
        )
        assert accept.status_code == 200, accept.text
    finally:
        member.close()
    _post(admin, f"{api}/invites", {"role": "viewer", "email": "invitee@example.com"})
    # Made with the longest names the API takes, so the audit log shows long ones too.
    _post(admin, f"{api}/api-keys", {"name": API_KEY_NAME[:100], "role": "viewer"})
    _post(
        admin,
        f"{api}/channels",
        {"kind": "email", "name": CHANNEL_NAME[:100], "addresses": [CHANNEL_ADDRESS]},
    )
    digests = admin.get(f"{api}/digests").raise_for_status().json()
    digest_id: str = digests["items"][0]["id"]
    return digest_id


def _lengthen_in_the_database(server: Server) -> None:
    """Every name to its 200 characters: more than the API allows, so straight into the
    server's SQLite database (it reads them from there on each request)."""
    with sqlite3.connect(server.cwd / ".infrasync" / "infrasync.db") as db:
        db.execute("UPDATE orgs SET name = ?", (ORG_NAME,))
        db.execute("UPDATE monitors SET name = ?", (MONITOR_NAME,))
        db.execute("UPDATE api_keys SET name = ?", (API_KEY_NAME,))
        db.execute("UPDATE channels SET name = ?", (CHANNEL_NAME,))
        db.execute("UPDATE invites SET email = ? WHERE email IS NOT NULL", (INVITE_EMAIL,))
        db.execute(
            "UPDATE users SET login = ?, name = ?, email = ? WHERE login <> 'admin'",
            (MEMBER_LOGIN, MEMBER_NAME, MEMBER_EMAIL),
        )
        db.execute(
            "UPDATE users SET name = ?, email = ? WHERE login = 'admin'", (ADMIN_NAME, ADMIN_EMAIL)
        )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[Seeded]:
    if not (WEB_DIST / "index.html").is_file():
        pytest.fail("The web app is not built: run `make web` first.")
    directory = tmp_path_factory.mktemp("layouts")
    repository = make_git_repository(directory / "repo", ("Add the widget parser", COMMIT_SUBJECT))
    process = ServerProcess(repository, "--no-worker", INFRASYNC_LOCAL_SOURCE_ROOTS=str(directory))
    try:
        process.wait_until_healthy()
        server = Server(base_url=process.base_url, cwd=process.cwd)
        admin = _client_signed_in(server, server.first_admin_link())
        try:
            digest_id = _seed_through_the_api(server, admin)
        finally:
            admin.close()
        _lengthen_in_the_database(server)
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(_admin_link(server))
            expect(page).to_have_url(server.url("/"))
            signed_in = context.storage_state()
        finally:
            context.close()
        yield Seeded(server=server, signed_in=signed_in, digest_id=digest_id)
    finally:
        process.stop()


@dataclass(frozen=True)
class MainPage:
    """A page, where it is, and what shows once it has loaded what it shows."""

    name: str
    path: str
    loaded: Callable[[Page], None]
    signed_in: bool = True


def _heading(level: int, name: str | re.Pattern[str]) -> Callable[[Page], None]:
    def loaded(page: Page) -> None:
        expect(page.get_by_role("heading", level=level, name=name)).to_be_visible()

    return loaded


def _rows(test_id: str, count: int) -> Callable[[Page], None]:
    def loaded(page: Page) -> None:
        expect(page.get_by_test_id(test_id)).to_have_count(count)
        expect(page.get_by_test_id(test_id).first).to_be_visible()

    return loaded


def _first_row(test_id: str, text: str) -> Callable[[Page], None]:
    def loaded(page: Page) -> None:
        expect(page.get_by_test_id(test_id).first).to_contain_text(text)

    return loaded


def _text(text: str) -> Callable[[Page], None]:
    def loaded(page: Page) -> None:
        expect(page.get_by_text(text).first).to_be_visible()

    return loaded


ORG = f"/orgs/{SLUG}"
PAGES = [
    MainPage("sign-in", "/signin", _heading(1, "Sign in to Infrasync"), signed_in=False),
    MainPage("home", "/", _text(ORG_NAME)),
    MainPage("account", "/settings", _text(ADMIN_EMAIL)),
    MainPage("dashboard", ORG, _heading(2, "Dashboard")),
    MainPage("members", f"{ORG}/members", _rows("member-row", 2)),
    MainPage("invites", f"{ORG}/invites", _text(INVITE_EMAIL)),
    MainPage("monitors", f"{ORG}/monitors", _rows("monitor-row", 1)),
    MainPage("channels", f"{ORG}/channels", _text(CHANNEL_NAME)),
    MainPage("digests", f"{ORG}/digests", _rows("digest-row", 1)),
    MainPage("digest", f"{ORG}/digests/{{digest}}", _text(COMMIT_SUBJECT)),
    MainPage("audit-log", f"{ORG}/audit", _first_row("audit-row", "Added a channel")),
    MainPage("api-keys", f"{ORG}/api-keys", _rows("api-key-row", 1)),
    MainPage("org-settings", f"{ORG}/settings", _heading(2, re.compile("Settings|Org settings"))),
    MainPage("billing", f"{ORG}/billing", _heading(2, "Billing")),
]


Opener = Callable[[MainPage, dict[str, int]], Page]


@pytest.fixture
def open_page(seeded: Seeded, browser: Browser) -> Iterator[Opener]:
    contexts: list[BrowserContext] = []

    def open_at(main: MainPage, viewport: dict[str, int]) -> Page:
        state = seeded.signed_in if main.signed_in else None
        # bypass_csp: the page's policy would refuse axe-core's script tag.
        context = browser.new_context(storage_state=state, viewport=viewport, bypass_csp=True)  # type: ignore[arg-type]
        contexts.append(context)
        page = context.new_page()
        page.goto(seeded.server.url(main.path.format(digest=seeded.digest_id)))
        main.loaded(page)
        # Nothing still loading: what the page shows is all there.
        expect(page.get_by_role("status").filter(has_text=re.compile("^Loading"))).to_have_count(0)
        return page

    yield open_at
    for context in contexts:
        context.close()


def _screenshot(page: Page, main: MainPage, width: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{main.name}-{width}.png", full_page=True)


# The elements reaching past the viewport's right edge (innermost ones), to say what overflows.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const past = (el) => el.getBoundingClientRect().right > width + 0.5;
  return [...document.body.querySelectorAll('*')]
    .filter((el) => past(el) && ![...el.children].some(past))
    .slice(0, 10)
    .map((el) => `${el.outerHTML.slice(0, 120)}: right ${el.getBoundingClientRect().right}`);
}"""

# axe-core's serious and critical violations, each with a few of its elements.
SERIOUS_VIOLATIONS = """async () => {
  const result = await axe.run(document, { resultTypes: ['violations'] });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.html.slice(0, 160)} :: ${n.failureSummary}`),
    }));
}"""


@pytest.mark.parametrize("main", PAGES, ids=[p.name for p in PAGES])
def test_a_main_page_fits_a_phone_with_long_names(main: MainPage, open_page: Opener) -> None:
    page = open_page(main, PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    _screenshot(page, main, PHONE["width"])
    assert width <= PHONE["width"], f"{main.name} is {width} px wide: {page.evaluate(OVERFLOWING)}"
    _screenshot(open_page(main, DESKTOP), main, DESKTOP["width"])


@pytest.mark.parametrize("main", PAGES, ids=[p.name for p in PAGES])
def test_a_main_page_has_no_serious_accessibility_violations(
    main: MainPage, open_page: Opener
) -> None:
    for viewport in (DESKTOP, PHONE):
        page = open_page(main, viewport)
        page.add_script_tag(path=AXE)
        violations: list[dict[str, Any]] = page.evaluate(SERIOUS_VIOLATIONS)
        assert violations == [], f"{main.name} at {viewport['width']} px: {violations}"


ORG_SETTINGS = next(p for p in PAGES if p.name == "org-settings")
# What the strip's clipping would cut off of a focused tab: its ring drawn outside its box,
# or the box itself reaching past the strip's.
RING_OUTSIDE_THE_STRIP = """(tab) => {
  const strip = tab.closest('nav').getBoundingClientRect();
  const box = tab.getBoundingClientRect();
  const ring = getComputedStyle(tab).boxShadow;
  const problems = [];
  if (ring === 'none') problems.push('no focus ring');
  else if (!ring.includes('inset')) problems.push(`a ring outside the tab: ${ring}`);
  if (box.top < strip.top || box.bottom > strip.bottom) {
    problems.push(`the tab ${box.top}-${box.bottom}, the strip ${strip.top}-${strip.bottom}`);
  }
  return problems;
}"""


def test_the_open_org_section_is_scrolled_into_view_and_its_focus_ring_shows_whole(
    open_page: Opener,
) -> None:
    page = open_page(ORG_SETTINGS, PHONE)
    tabs = page.get_by_role("navigation", name="Org sections")
    # Settings is the last tab, past the phone's right edge until the strip scrolls to it.
    settings = tabs.get_by_role("link", name="Settings")
    expect(settings).to_have_attribute("aria-current", "page")
    expect(settings).to_be_in_viewport(ratio=1)
    # From the keyboard, as someone who sees the focus ring gets there.
    tabs.get_by_role("link", name="Billing").focus()
    page.keyboard.press("Tab")
    expect(settings).to_be_focused()
    assert settings.evaluate(RING_OUTSIDE_THE_STRIP) == []
