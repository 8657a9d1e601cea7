"""Sign-in, orgs, members, invites, API keys and the audit log, through the built web app
against a real `infrasync serve` with no GitHub app (so one-time sign-in links are the way
in, as on a fresh self-hosted install)."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.server import Server

pytestmark = pytest.mark.browser

LINK_USED = (
    "This one-time sign-in link has already been used. Ask your administrator for a new one."
)


def sign_in(page: Page, server: Server, link: str, login: str) -> None:
    page.goto(link)
    expect(page).to_have_url(server.url("/"))
    expect(page.get_by_test_id("signed-in-user")).to_have_text(f"Signed in as {login}")


def create_org(page: Page, server: Server, name: str, slug: str) -> None:
    form = page.get_by_role("form", name="Create an org")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Slug").fill(slug)
    form.get_by_role("button", name="Create org").click()
    # A new org opens on its dashboard.
    expect(page).to_have_url(server.url(f"/orgs/{slug}"))
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Dashboard")).to_be_visible()


def create_invite(page: Page, server: Server, role: str) -> str:
    """Creates an invite on the org page that is open; returns its link (shown once)."""
    page.get_by_role("navigation", name="Org sections").get_by_role("link", name="Invites").click()
    form = page.get_by_role("form", name="Invite someone")
    form.get_by_label("Role").select_option(role)
    form.get_by_role("button", name="Create invite link").click()
    created = page.get_by_role("region", name="New invite link")
    expect(created).to_contain_text("Copy this invite link now: it is shown only once.")
    field = created.get_by_label("Invite link", exact=True)
    expect(field).to_have_value(
        re.compile(rf"^{re.escape(server.url('/invites/'))}[A-Za-z0-9_-]+$")
    )
    return field.input_value()


def test_the_first_admin_runs_an_org_and_signs_out(page: Page, server: Server) -> None:
    sign_in(page, server, server.first_admin_link(), "admin")
    expect(page.get_by_role("heading", level=1, name="Your orgs")).to_be_visible()
    expect(page.get_by_test_id("server-health")).to_have_text("Server healthy")

    create_org(page, server, "Acme Platform", "acme")
    page.get_by_role("navigation", name="Org sections").get_by_role("link", name="Members").click()
    me = page.get_by_test_id("member-row").filter(has_text="(you)")
    expect(me).to_contain_text("admin")
    expect(me.get_by_label("Role of admin")).to_have_value("owner")
    expect(page.get_by_test_id("my-role")).to_have_text("owner")

    invite_url = create_invite(page, server, "member")
    token = invite_url.rsplit("/", 1)[1]
    expect(page.get_by_test_id("invite-row")).to_contain_text("pending")
    page.reload()
    expect(page.get_by_test_id("invite-row")).to_contain_text("Anyone with the link")
    expect(page.get_by_role("region", name="New invite link")).to_have_count(0)
    assert token not in page.content()

    page.get_by_role("link", name="API keys").click()
    form = page.get_by_role("form", name="Create an API key")
    form.get_by_label("Name").fill("CI pipeline")
    form.get_by_label("Role").select_option("viewer")
    form.get_by_role("button", name="Create API key").click()
    created = page.get_by_role("region", name="New API key")
    expect(created).to_contain_text("it will not be shown again")
    expect(created.get_by_role("button", name="Copy api key")).to_be_visible()
    key = created.get_by_label("API key", exact=True).input_value()
    assert key.startswith("isk_")
    # The key shown is a working one: a program can read the org with it.
    members = httpx.get(
        server.url("/api/orgs/acme/members"), headers={"Authorization": f"Bearer {key}"}
    )
    assert members.status_code == 200, members.text
    hint = page.get_by_test_id("api-key-hint").inner_text()
    assert key.startswith(hint.rstrip("…"))
    page.reload()
    expect(page.get_by_test_id("api-key-row")).to_contain_text("CI pipeline")
    expect(page.get_by_test_id("api-key-hint")).to_have_text(hint)
    expect(page.get_by_role("region", name="New API key")).to_have_count(0)
    assert key not in page.content()

    page.get_by_role("link", name="Audit log").click()
    rows = page.get_by_test_id("audit-row")
    expect(rows.first).to_contain_text("Created an API key: CI pipeline")
    expect(rows.filter(has_text="invite.create")).to_have_count(1)
    expect(rows.filter(has_text="org.create")).to_contain_text("admin")
    expect(rows).to_have_count(3)

    session = {
        c["name"]: c["value"] for c in page.context.cookies() if c["name"] == "infrasync_session"
    }
    assert session, "signed in without a session cookie"
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(server.url("/"))
    # This server has no GitHub sign-in: the home page says how to get in instead.
    expect(page.get_by_text("infrasync admin login-link")).to_be_visible()
    expect(page.get_by_test_id("sign-in")).to_have_count(0)
    expect(page.get_by_test_id("signed-in-user")).to_have_count(0)
    # The session ended on the server, not just in this browser: its old cookie is refused.
    assert httpx.get(server.url("/api/me"), cookies=session).status_code == 401
    assert page.request.get(server.url("/api/me")).status == 401
    page.goto(server.url("/orgs/acme/members"))
    expect(page.get_by_role("heading", level=1, name="Sign in to continue")).to_be_visible()


def test_an_invitee_signs_in_and_joins(page: Page, browser: Browser, server: Server) -> None:
    sign_in(page, server, server.first_admin_link(), "admin")
    create_org(page, server, "Acme", "acme")
    invite_url = create_invite(page, server, "member")

    context = browser.new_context()
    try:
        guest = context.new_page()
        guest.goto(invite_url)
        expect(
            guest.get_by_role("heading", level=1, name="You have been invited to an org")
        ).to_be_visible()
        # This server has no GitHub sign-in: the page names the way in, not a dead button.
        expect(guest.get_by_text("infrasync admin login-link")).to_be_visible()
        expect(guest.get_by_role("link", name="Sign in with GitHub")).to_have_count(0)

        # A one-time link lands on the home page, which leads back to the invite.
        sign_in(guest, server, server.login_link("bea@example.com"), "bea")
        guest.get_by_role("region", name="Invite waiting").get_by_role(
            "link", name="Open the invite"
        ).click()
        expect(guest).to_have_url(invite_url)
        expect(guest.get_by_role("heading", level=1, name="Join Acme")).to_be_visible()
        expect(guest.get_by_text("admin invited you to join Acme as a member.")).to_be_visible()
        guest.get_by_role("button", name="Accept and join Acme").click()
        expect(guest).to_have_url(server.url("/orgs/acme"))
        expect(guest.get_by_test_id("my-role")).to_have_text("member")
        sections = guest.get_by_role("navigation", name="Org sections").get_by_role("link")
        expect(sections).to_have_text(
            ["Dashboard", "Members", "Monitors", "Digests", "Billing", "Settings"]
        )

        # The same link works once.
        guest.goto(invite_url)
        expect(guest.get_by_role("alert")).to_have_text(
            "This invite is accepted. Ask for a new one."
        )
    finally:
        context.close()

    # The owner sees the new member, and cannot leave the org without an owner.
    page.get_by_role("link", name="Members").click()
    expect(page.get_by_test_id("member-row")).to_have_count(2)
    expect(page.get_by_label("Role of bea")).to_have_value("member")
    page.get_by_label("Role of admin").select_option("admin")
    # A role change asks first (issue 15): yes, make myself an admin.
    page.get_by_role("alertdialog").get_by_role("button", name="Make an admin").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Acme must keep at least one owner: make someone else an owner first."
    )
    expect(page.get_by_label("Role of admin")).to_have_value("owner")

    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_test_id("audit-row").first).to_contain_text("invite.accept")
    expect(page.get_by_test_id("audit-row").first).to_contain_text("bea")


def test_a_sign_in_error_page_says_what_happened(page: Page, github_server: Server) -> None:
    server = github_server
    page.goto(server.url("/signin?error=link_used"))
    expect(page.get_by_role("heading", level=1, name="Sign in to Infrasync")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(LINK_USED)
    expect(page.get_by_role("link", name="Sign in with GitHub")).to_have_attribute(
        "href", "/auth/github/login"
    )


def test_a_login_link_used_twice_leads_to_the_explanation(
    page: Page, browser: Browser, server: Server
) -> None:
    link = server.first_admin_link()
    sign_in(page, server, link, "admin")

    context = browser.new_context()
    try:
        other = context.new_page()
        other.goto(link)
        expect(other).to_have_url(server.url("/signin?error=link_used"))
        expect(other.get_by_role("alert")).to_have_text(LINK_USED)
        expect(other.get_by_test_id("signed-in-user")).to_have_count(0)
    finally:
        context.close()


def test_github_sign_in_without_a_github_app_explains_the_way_in(
    page: Page, server: Server
) -> None:
    # No button that cannot work: the home page names the way in.
    page.goto(server.base_url)
    expect(page.get_by_text("GitHub sign-in is not set up on this server.")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in with GitHub")).to_have_count(0)
    # A bookmarked GitHub sign-in says the same.
    page.goto(server.url("/auth/github/login"))
    expect(page).to_have_url(server.url("/signin?error=github_not_configured"))
    expect(page.get_by_role("alert")).to_have_text(
        "GitHub sign-in is not set up on this server. "
        "Ask your administrator for a one-time sign-in link."
    )
    expect(page.get_by_text("infrasync admin login-link")).to_be_visible()


def test_an_owner_deletes_an_org_and_restores_it(page: Page, server: Server) -> None:
    sign_in(page, server, server.first_admin_link(), "admin")
    create_org(page, server, "Acme", "acme")

    page.get_by_role("link", name="Settings").click()
    delete = page.get_by_role("button", name="Delete org")
    expect(delete).to_be_disabled()
    page.get_by_label("Type the org's name Acme to confirm").fill("Acme")
    delete.click()

    expect(page).to_have_url(server.url("/"))
    deleted = page.get_by_role("region", name="Deleted orgs")
    expect(deleted).to_contain_text("Acme")
    expect(deleted.get_by_test_id("deleted-org-dates")).to_contain_text("restorable until")
    expect(page.get_by_role("list", name="Your orgs")).to_have_count(0)
    # Gone for everyone: the org's pages say so.
    page.goto(server.url("/orgs/acme/members"))
    expect(page.get_by_role("heading", level=1, name="Org not found")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("No org 'acme' that you belong to.")

    page.get_by_role("link", name="Back to your orgs").click()
    page.get_by_role("button", name="Restore Acme").click()
    expect(page.get_by_role("list", name="Your orgs")).to_contain_text("Acme")
    expect(page.get_by_role("region", name="Deleted orgs")).to_have_count(0)
    page.get_by_role("list", name="Your orgs").get_by_role("link").click()
    expect(page.get_by_test_id("my-role")).to_have_text("owner")
