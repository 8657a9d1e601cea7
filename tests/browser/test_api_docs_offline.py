"""The API docs work on a server with no way out: Swagger UI and ReDoc come from this
server, so with every request elsewhere refused both list the API's operations, and
Chromium reports no Content-Security-Policy violation on either page."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.server import Server

pytestmark = pytest.mark.browser


def _offline(page: Page) -> tuple[list[str], list[str]]:
    """Refuses every request off 127.0.0.1; returns the refused URLs and the console."""
    refused: list[str] = []
    console: list[str] = []

    def route(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda message: console.append(message.text))
    return refused, console


def test_swagger_ui_lists_the_operations_offline(page: Page, server: Server) -> None:
    refused, console = _offline(page)
    page.goto(server.url("/docs"))
    operations = page.locator(".opblock-summary-path")
    expect(operations.filter(has_text="/api/orgs/{org}/monitors").first).to_be_visible()
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    assert operations.count() > 20
    page.wait_for_load_state("networkidle")
    assert refused == []
    assert [text for text in console if "Content Security Policy" in text] == []


def test_redoc_lists_the_operations_offline(page: Page, server: Server) -> None:
    refused, console = _offline(page)
    page.goto(server.url("/redoc"))
    # ReDoc's menu names each tag, and its pages the operations' paths.
    # ReDoc reads the whole schema before it draws anything: allow it time on a busy machine.
    expect(page.get_by_role("menuitem", name="monitors").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("/api/orgs/{org}/monitors").first).to_be_attached()
    page.wait_for_load_state("networkidle")
    assert refused == []
    # The one thing the policy stops is Redocly's logo from their CDN (ReDoc then hides it).
    blocked = [text for text in console if "Content Security Policy" in text]
    assert all("cdn.redoc.ly/redoc/logo-mini.svg" in text for text in blocked), blocked
    expect(page.get_by_alt_text("redocly logo")).to_have_count(0)
