"""The web app works under its Content-Security-Policy: Chromium reports no violation
while a signed-in admin goes through the app or reads a digest (the API docs' pages have a
test of their own, tests/browser/test_api_docs_offline.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.server import Server
from tests.browser.test_orgs import create_org, sign_in

pytestmark = pytest.mark.browser

# Chromium reports each blocked script, style, image or request like this on the console.
VIOLATION = "Content Security Policy"
TABS = (
    ("Monitors", "monitors"),
    ("Digests", "digests"),
    ("Channels", "channels"),
    ("Invites", "invites"),
    ("API keys", "api-keys"),
    ("Audit log", "audit"),
    ("Billing", "billing"),
    ("Settings", "settings"),
    ("Members", "members"),
    ("Dashboard", ""),
)


def _only_this_server(route: Route, base_url: str) -> None:
    # Nothing the app loads may come from elsewhere; a test must not reach out anyway.
    if route.request.url.startswith(base_url):
        route.continue_()
    else:
        route.abort()


def watch(page: Page, server: Server) -> list[str]:
    """Everything the page logs to the console from now on; it may reach `server` only."""
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text))
    page.route("**/*", lambda route: _only_this_server(route, server.base_url))
    return seen


@pytest.fixture
def console(page: Page, server: Server) -> list[str]:
    return watch(page, server)


def test_the_web_app_runs_under_its_policy(page: Page, server: Server, console: list[str]) -> None:
    response = page.goto(server.base_url)
    assert response is not None
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    expect(page.get_by_test_id("server-health")).to_have_text("Server healthy")

    sign_in(page, server, server.first_admin_link(), "admin")
    create_org(page, server, "Acme Platform", "acme")
    sections = page.get_by_role("navigation", name="Org sections")
    for name, path in TABS:
        sections.get_by_role("link", name=name).click()
        expect(page).to_have_url(server.url(f"/orgs/acme/{path}".rstrip("/")))
        page.wait_for_load_state("networkidle")
    page.reload()
    expect(page.get_by_test_id("signed-in-user")).to_have_text("Signed in as admin")
    assert [text for text in console if VIOLATION in text] == []


def test_a_digest_shows_under_the_policy_with_its_numbers_aligned(
    page: Page, demo_server: Server
) -> None:
    # The demo digest's HTML holds a table that right-aligns its figures. That alignment
    # once came as a `style` attribute, which Chromium reported on every cell even though
    # DOMPurify then dropped it: the check happens while DOMPurify's parser reads the HTML,
    # so it holds although the page now shows the figures once, in its Numbers panel.
    server = demo_server
    seen = watch(page, server)
    page.goto(server.first_admin_link())
    page.goto(server.url("/orgs/demo/digests"))
    page.get_by_test_id("digest-row").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/orgs/demo/digests/[0-9a-f-]{36}$"))

    expect(page.get_by_test_id("digest-body")).to_contain_text("Shipped")
    numbers = page.get_by_role("region", name="Numbers")
    commits = numbers.get_by_role("row").filter(has_text="Commits")
    expect(commits.get_by_role("cell").first).to_have_text("2")
    page.wait_for_load_state("networkidle")
    assert [text for text in seen if VIOLATION in text] == []
    right = re.compile(r"right$")
    expect(commits.get_by_role("cell").first).to_have_css("text-align", right)
    expect(commits.get_by_role("rowheader")).not_to_have_css("text-align", right)
