"""Billing and the legal pages in the built web app, against a real `infrasync serve`.

The SaaS server here talks to the fake Stripe API of tests/fakes (its Checkout page has a
Pay button that redirects back to the session's success_url, as Stripe's does); the test
then delivers Stripe's recorded `checkout.session.completed`, signed with Stripe's scheme,
as Stripe would, and the billing page shows pro. A self-hosted server (as `make run`
starts) says it has no plans, limits or billing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from infrasync.frontend import WEB_DIST
from tests.billing.conftest import PRICE, RECORDED_CUSTOMER, SECRET_KEY, WEBHOOK_SECRET
from tests.billing.conftest import recorded_data as recorded_event
from tests.browser.server import Server
from tests.fakes.stripe_api import FakeStripe, running, sign
from tests.live_server import ServerProcess

pytestmark = pytest.mark.browser

VIOLATION = "Content Security Policy"


@pytest.fixture
def stripe_fake() -> Iterator[FakeStripe]:
    # The org's customer is the recorded one, so the recorded event names it.
    fake = FakeStripe(api_key=SECRET_KEY, price=PRICE, customer_ids=[RECORDED_CUSTOMER])
    with running(fake) as served:
        yield served


@pytest.fixture
def saas_server(tmp_path: Path, stripe_fake: FakeStripe) -> Iterator[Server]:
    """A server with plans, its Stripe API the fake. No worker: nothing here needs one."""
    if not (WEB_DIST / "index.html").is_file():
        pytest.fail("The web app is not built: run `make web` first.")
    process = ServerProcess(
        tmp_path,
        "--no-worker",
        INFRASYNC_BILLING_MODE="saas",
        INFRASYNC_STRIPE_SECRET_KEY=SECRET_KEY,
        INFRASYNC_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        INFRASYNC_STRIPE_PRICE_PRO=PRICE,
        INFRASYNC_STRIPE_API_BASE=stripe_fake.base_url,
    )
    try:
        process.wait_until_healthy()
        yield Server(base_url=process.base_url, cwd=process.cwd)
    finally:
        process.stop()


def _sign_in(page: Page, server: Server, link: str, login: str) -> None:
    page.goto(link)
    expect(page.get_by_test_id("signed-in-user")).to_have_text(f"Signed in as {login}")


def _create_org(page: Page, server: Server) -> None:
    form = page.get_by_role("form", name="Create an org")
    form.get_by_label("Name").fill("Acme")
    form.get_by_label("Slug").fill("acme")
    form.get_by_role("button", name="Create org").click()
    expect(page).to_have_url(server.url("/orgs/acme"))


def _open_billing(page: Page, server: Server) -> None:
    page.get_by_role("navigation", name="Org sections").get_by_role("link", name="Billing").click()
    expect(page).to_have_url(server.url("/orgs/acme/billing"))


def _csrf_headers(page: Page) -> dict[str, str]:
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    return {"X-CSRF-Token": cookies["infrasync_csrf"]}


def _watch_console(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text))
    return seen


def _completed_checkout(session: dict[str, Any]) -> dict[str, Any]:
    """Stripe's recorded `checkout.session.completed` (a subscription Checkout), for the
    session the org's owner just paid: its customer, org reference and subscription."""
    event = recorded_event(
        "checkout.session.completed",
        event_id="evt_browser_checkout_completed",
        event_type="checkout.session.completed",
        created=int(time.time()),
    )
    event["data"]["object"].update(
        id=session["id"],
        customer=session["customer"],
        client_reference_id=session["client_reference_id"],
        subscription=session["subscription"],
        mode="subscription",
    )
    return event


def _deliver(server: Server, event: dict[str, Any]) -> httpx.Response:
    """POSTs the event to the webhook as Stripe does: the raw JSON, signed."""
    body = json.dumps(event, indent=2).encode()
    header = sign(body, WEBHOOK_SECRET, int(time.time()))
    return httpx.post(
        server.url("/api/billing/stripe/webhook"),
        content=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        timeout=30,
    )


def _join_as_viewer(browser: Browser, owner: Page, server: Server) -> Page:
    """A second person, invited by the owner as a viewer, signed in in a browser of their own."""
    invite = owner.request.post(
        server.url("/api/orgs/acme/invites"), data={"role": "viewer"}, headers=_csrf_headers(owner)
    )
    assert invite.status == 201, invite.text()
    viewer = browser.new_context().new_page()
    _sign_in(viewer, server, server.login_link("vera@example.com"), "vera")
    viewer.goto(invite.json()["url"])
    viewer.get_by_role("button", name="Accept and join Acme").click()
    expect(viewer.get_by_test_id("my-role")).to_have_text("viewer")
    return viewer


def test_an_owner_upgrades_through_checkout_and_a_viewer_gets_no_billing_controls(
    page: Page, browser: Browser, saas_server: Server, stripe_fake: FakeStripe
) -> None:
    console = _watch_console(page)
    _sign_in(page, saas_server, saas_server.first_admin_link(), "admin")
    _create_org(page, saas_server)
    _open_billing(page, saas_server)
    expect(page.get_by_test_id("billing-plan")).to_have_text("Free")
    expect(page.get_by_test_id("usage-members")).to_contain_text("1 of 3")
    expect(page.get_by_role("meter", name="Active monitors")).to_have_attribute("max", "3")

    page.get_by_role("button", name="Upgrade to pro").click()
    expect(page).to_have_title("Fake Stripe Checkout")
    (session,) = stripe_fake.checkout_sessions.values()
    assert session["success_url"] == saas_server.url("/orgs/acme/billing?checkout=success")
    page.get_by_role("button", name="Pay").click()

    # Back on the billing page: paid, but the plan waits for Stripe's signed word.
    expect(page).to_have_url(saas_server.url("/orgs/acme/billing?checkout=success"))
    expect(page.get_by_text("Stripe is confirming the payment")).to_be_visible()
    expect(page.get_by_test_id("billing-plan")).to_have_text("Free")

    answer = _deliver(
        saas_server, _completed_checkout(stripe_fake.checkout_sessions[session["id"]])
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "plan_changed"

    expect(page.get_by_text("Payment confirmed: Acme is on pro.")).to_be_visible()
    expect(page.get_by_test_id("billing-plan")).to_have_text("Pro")
    expect(page.get_by_test_id("billing-status")).to_have_text("active")
    expect(page.get_by_test_id("billing-renewal")).to_contain_text("Renews on")
    expect(page.get_by_test_id("usage-monitors")).to_contain_text("0 of 50")
    expect(page.get_by_role("button", name="Upgrade to pro")).to_have_count(0)
    page.reload()
    expect(page.get_by_test_id("billing-plan")).to_have_text("Pro")
    assert [text for text in console if VIOLATION in text] == []

    viewer = _join_as_viewer(browser, page, saas_server)
    try:
        _open_billing(viewer, saas_server)
        expect(viewer.get_by_test_id("billing-plan")).to_have_text("Pro")
        expect(viewer.get_by_test_id("billing-owners-only")).to_have_text(
            "Only the owners of Acme can change its plan or payment details."
        )
        expect(viewer.get_by_role("button", name="Upgrade to pro")).to_have_count(0)
        expect(viewer.get_by_role("button", name="Manage billing")).to_have_count(0)
        # And the server refuses them anyway.
        for action in ("checkout", "portal"):
            refused = viewer.request.post(
                saas_server.url(f"/api/orgs/acme/billing/{action}"), headers=_csrf_headers(viewer)
            )
            assert refused.status == 403, refused.text()
    finally:
        viewer.context.close()
    assert len(stripe_fake.checkout_sessions) == 1
    assert stripe_fake.portal_sessions == {}

    # The owner manages the subscription in Stripe's portal.
    page.get_by_role("button", name="Manage billing").click()
    expect(page).to_have_title("Fake Stripe Portal")
    (portal,) = stripe_fake.portal_sessions.values()
    assert portal["return_url"] == saas_server.url("/orgs/acme/billing")


def test_a_self_hosted_server_says_there_is_no_billing(page: Page, server: Server) -> None:
    _sign_in(page, server, server.first_admin_link(), "admin")
    _create_org(page, server)
    _open_billing(page, server)

    expect(page.get_by_test_id("self-hosted-notice")).to_contain_text(
        "This server is self-hosted: there are no plans, no limits and no billing."
    )
    expect(page.get_by_test_id("usage-members")).to_contain_text("1 · no limit")
    expect(page.get_by_test_id("billing-plan")).to_have_count(0)
    expect(page.get_by_role("button", name="Upgrade to pro")).to_have_count(0)


LEGAL = (
    ("Terms", "/legal/terms", "Terms of Service"),
    ("Privacy", "/legal/privacy", "Privacy Policy"),
    ("Cookie Policy", "/legal/cookies", "Cookie Policy"),
)


def test_the_footer_opens_each_legal_page_and_each_is_a_working_deep_link(
    page: Page, server: Server
) -> None:
    page.goto(server.url("/signin"))
    for link, path, title in LEGAL:
        page.get_by_role("navigation", name="Legal", exact=True).get_by_role(
            "link", name=link
        ).click()
        expect(page).to_have_url(server.url(path))
        expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    for _, path, title in LEGAL:
        response = page.goto(server.url(path))
        assert response is not None
        assert response.status == 200
        expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    cookies = page.get_by_test_id("cookie-row").locator("th")
    expect(cookies).to_have_text(["infrasync_session", "infrasync_csrf", "infrasync_oauth_state"])
