from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.server import Server

pytestmark = pytest.mark.browser


def test_home_page_shows_the_product_and_a_live_server(page: Page, server: Server) -> None:
    page.goto(server.base_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Infrasync")
    expect(page.get_by_test_id("server-health")).to_have_text("Server healthy")
    expect(page.get_by_test_id("server-ready")).to_have_text("Database ready")
    # No GitHub sign-in on this server: the page names the way in, not a dead button.
    expect(page.get_by_text("infrasync admin login-link")).to_be_visible()
    expect(page.get_by_test_id("sign-in")).to_have_count(0)


def test_home_page_offers_github_sign_in_where_it_is_set_up(
    page: Page, github_server: Server
) -> None:
    page.goto(github_server.base_url)
    sign_in = page.get_by_test_id("sign-in")
    expect(sign_in).to_be_visible()
    expect(sign_in).to_have_attribute("href", "/auth/github/login")


def test_a_deep_link_opens_the_web_app_not_a_server_404(page: Page, server: Server) -> None:
    response = page.goto(server.url("/orgs/acme/monitors/3"))
    assert response is not None
    assert response.status == 200
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    page.get_by_role("link", name="Go to the home page").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("server-health")).to_have_text("Server healthy")
