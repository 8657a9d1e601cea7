"""Monitors through the built web app against a real `infrasync serve`: the form (sections,
bots, options, editing), what the server refuses, and the way to connect GitHub."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from infrasync.auth.cookies import OAUTH_STATE_COOKIE
from tests.browser.server import DEMO_COMMITS, UNANSWERED_GITHUB_URL, Server
from tests.browser.test_orgs import create_org, sign_in

pytestmark = pytest.mark.browser

# Where the GitHub app of `github_server` points: nothing answers there.
GITHUB = UNANSWERED_GITHUB_URL
NO_MODEL = "No AI model is configured on this server, so the builtin writer writes every digest."


def open_monitors(page: Page) -> None:
    page.get_by_role("navigation", name="Org sections").get_by_role("link", name="Monitors").click()
    expect(page.get_by_role("heading", level=2, name="Monitors")).to_be_visible()


def section_box(form: Locator, name: str) -> Locator:
    return form.get_by_role("group", name="Sections").get_by_role("checkbox", name=name)


# The three attention sections, by the labels the form gives them (saying what each shows).
IN_REVIEW = "Needs attention: pull requests waiting for a first review, or with changes requested"
NEEDS_ATTENTION = "Needs attention: all of it (pull requests and unanswered issues)"
ISSUES = "Needs attention: issues no one has answered yet"


def test_a_member_adds_a_monitor_with_some_sections_edits_it_and_runs_it(
    page: Page, demo_server: Server
) -> None:
    server = demo_server
    page.goto(server.first_admin_link())
    expect(page).to_have_url(server.url("/"))
    page.goto(server.url("/orgs/demo/monitors"))

    # No GitHub app here, but local sources: the page says what works instead.
    expect(page.get_by_test_id("github-connection")).to_contain_text("Local git repositories work")
    expect(page.get_by_role("link", name="Connect GitHub")).to_have_count(0)

    form = page.get_by_role("form", name="Add a monitor")
    expect(form.get_by_label("GitHub token")).to_be_visible()
    form.get_by_label("Repository", exact=True).fill(str(server.cwd.resolve()))
    # A local repository reads no GitHub token, so the form stops asking for one.
    expect(form.get_by_label("GitHub token")).to_have_count(0)
    form.get_by_label("Name (optional)").fill("Parser")
    for name in (IN_REVIEW, NEEDS_ATTENTION, ISSUES, "Numbers"):
        section_box(form, name).uncheck()
    form.get_by_label("Extra bot names").fill("ci-bot, deploy-bot")
    form.get_by_role("checkbox", name="Skip empty digests").check()
    expect(form.get_by_test_id("writer-hint")).to_have_text(NO_MODEL)
    form.get_by_label("Stale after (days)").fill("5")
    form.get_by_role("button", name="Add monitor").click()
    expect(form.get_by_role("status")).to_have_text("Added Parser.")

    row = page.get_by_test_id("monitor-row").filter(has_text="Parser")
    expect(row.get_by_test_id("monitor-settings")).to_have_text(
        "Sections: Shipped, Releases, New contributors · writer: automatic · stale after 5 days"
        " · extra bots: ci-bot, deploy-bot · skips empty digests"
    )
    stored = page.request.get(server.url("/api/orgs/demo/monitors")).json()
    parser = next(m for m in stored if m["name"] == "Parser")
    assert parser["sections"] == ["shipped", "releases", "new_contributors"]
    assert parser["extra_bots"] == ["ci-bot", "deploy-bot"]
    assert (parser["skip_empty"], parser["stale_days"], parser["credential"]) == (True, 5, None)

    row.get_by_role("button", name="Edit Parser").click()
    edit = page.get_by_role("form", name="Edit Parser")
    expect(section_box(edit, "Shipped")).to_be_checked()
    expect(section_box(edit, "Numbers")).not_to_be_checked()
    expect(edit.get_by_label("Extra bot names")).to_have_value("ci-bot, deploy-bot")
    edit.get_by_label("Name", exact=True).fill("Widget parser")
    section_box(edit, "Numbers").check()
    section_box(edit, "New contributors").uncheck()
    edit.get_by_role("checkbox", name="Let the AI writer read pull request descriptions").check()
    edit.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_have_text("Saved Widget parser.")
    expect(page.get_by_role("form", name="Edit Widget parser")).to_have_count(0)

    page.reload()
    row = page.get_by_test_id("monitor-row").filter(has_text="Widget parser")
    expect(row.get_by_test_id("monitor-settings")).to_have_text(
        "Sections: Shipped, Releases, Numbers · writer: automatic · stale after 5 days"
        " · extra bots: ci-bot, deploy-bot · skips empty digests · AI reads PR descriptions"
    )

    # The digest has the sections chosen, and only those.
    row.get_by_role("button", name="Run Widget parser now").click()
    # Queued, then made by the in-process worker: the page links the digest once it is done.
    row.get_by_test_id("run-progress").get_by_role("link", name="Open the digest").click(
        timeout=30_000
    )
    body = page.get_by_test_id("digest-body")
    # A local repository's commits are what it shipped (grouped by kind, as merged PRs are).
    expect(body.get_by_role("heading", level=2, name="Shipped")).to_be_visible()
    for subject in DEMO_COMMITS:
        expect(body).to_contain_text(subject)
    # Its numbers show once, in the page's Numbers panel, not again in the body.
    expect(page.get_by_role("region", name="Numbers")).to_be_visible()
    expect(body.get_by_role("heading", level=2)).to_have_count(1)
    expect(page.get_by_test_id("digest-revision")).to_contain_text("From commit ")


def test_the_form_shows_why_the_server_refuses_and_keeps_what_was_typed(
    page: Page, server: Server
) -> None:
    sign_in(page, server, server.first_admin_link(), "admin")
    create_org(page, server, "Acme", "acme")
    open_monitors(page)
    # No GitHub app and no local sources: nothing to connect, nothing to promise.
    expect(page.get_by_test_id("github-connection")).to_have_count(0)

    form = page.get_by_role("form", name="Add a monitor")
    form.get_by_label("Repository", exact=True).fill("/srv/code")
    form.get_by_label("Name (optional)").fill("Code")
    section_box(form, "Releases").uncheck()
    form.get_by_role("button", name="Add monitor").click()
    expect(form.get_by_role("alert")).to_have_text(
        "Local git repositories are turned off on this server; the operator can allow them "
        "inside chosen directories with INFRASYNC_LOCAL_SOURCE_ROOTS."
    )
    expect(form.get_by_label("Repository", exact=True)).to_have_value("/srv/code")
    expect(form.get_by_label("Name (optional)")).to_have_value("Code")
    expect(section_box(form, "Releases")).not_to_be_checked()

    # A GitHub repository can be added before anyone connects GitHub; its runs say what is missing.
    form.get_by_label("Repository", exact=True).fill("octo-org/widgets")
    expect(form.get_by_label("GitHub token")).to_have_value("")
    expect(form.get_by_label("GitHub token").locator("option")).to_have_text(
        ["None yet: runs need a connected GitHub token"]
    )
    form.get_by_role("button", name="Add monitor").click()
    expect(form.get_by_role("status")).to_have_text("Added Code.")
    row = page.get_by_test_id("monitor-row")
    expect(row.get_by_test_id("monitor-kind")).to_have_text("GitHub")
    expect(row.get_by_test_id("monitor-settings")).to_contain_text(
        "Sections: Shipped, Pull requests needing attention, Needs attention, Unanswered issues,"
        " New contributors, Numbers"
    )


def _follow_to_github(page: Page) -> dict[str, list[str]]:
    """Clicks "Continue to GitHub" and returns the query of the authorize page it leads to.
    A stand-in answers for GitHub, so the browser never reaches for the network."""
    page.route(f"{GITHUB}/**", lambda route: route.fulfill(status=200, body="GitHub"))
    with page.expect_request(f"{GITHUB}/login/oauth/authorize?*") as opened:
        page.get_by_role("button", name="Continue to GitHub").click()
    location = urlsplit(opened.value.url)
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{GITHUB}/login/oauth/authorize"
    )
    return parse_qs(location.query)


def test_connect_github_leads_through_the_consent_page_to_github(
    page: Page, github_server: Server
) -> None:
    server = github_server
    sign_in(page, server, server.login_link("ada@example.com"), "ada")
    create_org(page, server, "Acme", "acme")
    open_monitors(page)

    connect = page.get_by_role("link", name="Connect GitHub")
    expect(connect).to_have_attribute("href", "/connect/github?return_to=%2Forgs%2Facme%2Fmonitors")
    expect(page.get_by_role("link", name="Grant private repository access")).to_have_count(0)

    # The link opens the web app's consent page, which starts nothing by being opened.
    connect.click()
    expect(page.get_by_role("heading", level=1, name="Connect GitHub")).to_be_visible()
    expect(page.get_by_test_id("connect-scopes")).to_contain_text(
        "Read access to public repositories"
    )
    expect(page.get_by_test_id("connect-scopes")).not_to_contain_text("repo scope")
    cookies = {cookie["name"] for cookie in page.context.cookies()}
    assert OAUTH_STATE_COOKIE not in cookies

    query = _follow_to_github(page)
    assert query["client_id"] == ["Iv1.test-client"]
    assert query["scope"] == ["read:user user:email"]
    assert query["redirect_uri"] == [server.url("/auth/github/callback")]
    state = {c["name"]: c["value"] for c in page.context.cookies()}.get(OAUTH_STATE_COOKIE)
    assert state is not None
    assert query["state"] == [state]


def test_a_link_to_the_servers_connect_route_only_opens_the_consent_page(
    page: Page, github_server: Server
) -> None:
    server = github_server
    sign_in(page, server, server.login_link("ada@example.com"), "ada")

    # Another site may link here or post here, but neither starts a connection.
    forged = page.request.post(server.url("/auth/github/connect"), data={"private": True})
    assert forged.status == 403, forged.text()
    page.goto(server.url("/auth/github/connect?private=true&return_to=/orgs/acme/monitors"))
    expect(page).to_have_url(
        server.url("/connect/github?private=true&return_to=%2Forgs%2Facme%2Fmonitors")
    )
    expect(
        page.get_by_role("heading", level=1, name="Grant private repository access")
    ).to_be_visible()
    expect(page.get_by_test_id("connect-scopes")).to_contain_text(
        "The repo scope, which gives Infrasync read access to your private repositories."
    )
    assert OAUTH_STATE_COOKIE not in {cookie["name"] for cookie in page.context.cookies()}

    # Cancel goes back where the link said, asking GitHub for nothing.
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(server.url("/orgs/acme/monitors"))
    page.go_back()

    query = _follow_to_github(page)
    assert query["scope"] == ["read:user repo user:email"]
