"""A person's own account in the built web app, against a real `infrasync serve`:
exporting their data, deleting the account, and restoring it by signing in with GitHub
again (a local fake GitHub answers the OAuth flow), which asks before it restores."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from infrasync.frontend import WEB_DIST
from tests.browser.server import Server
from tests.fakes.github_oauth import FakeGitHub
from tests.fakes.http_server import serve_in_thread
from tests.live_server import ServerProcess

pytestmark = pytest.mark.browser


@pytest.fixture
def github() -> Iterator[tuple[FakeGitHub, str]]:
    fake = FakeGitHub()
    with serve_in_thread(fake.app()) as base_url:
        yield fake, base_url


@pytest.fixture
def github_sign_in_server(tmp_path: Path, github: tuple[FakeGitHub, str]) -> Iterator[Server]:
    """A server whose GitHub (sign-in and API) is the local fake."""
    if not (WEB_DIST / "index.html").is_file():
        pytest.fail("The web app is not built: run `make web` first.")
    fake, base_url = github
    process = ServerProcess(
        tmp_path,
        "--no-worker",
        INFRASYNC_GITHUB_URL=base_url,
        INFRASYNC_GITHUB_API_URL=base_url,
        INFRASYNC_GITHUB_CLIENT_ID=fake.client_id,
        INFRASYNC_GITHUB_CLIENT_SECRET=fake.client_secret,
    )
    try:
        process.wait_until_healthy()
        yield Server(base_url=process.base_url, cwd=process.cwd)
    finally:
        process.stop()


def _sign_in(page: Page, link: str, login: str) -> None:
    page.goto(link)
    expect(page.get_by_test_id("signed-in-user")).to_have_text(f"Signed in as {login}")


def _open_account(page: Page, server: Server) -> None:
    page.get_by_role("banner").get_by_role("link", name="Account").click()
    expect(page).to_have_url(server.url("/settings"))


def _delete_account(page: Page, login: str) -> None:
    delete = page.get_by_role("button", name="Delete my account")
    expect(delete).to_be_disabled()
    page.get_by_label(f"Type your login {login} to confirm").fill(login)
    delete.click()
    expect(page.get_by_role("heading", level=1, name="Your account is deleted")).to_be_visible()


def test_a_person_downloads_their_data_then_deletes_their_account(
    page: Page, server: Server
) -> None:
    _sign_in(page, server.first_admin_link(), "admin")
    _open_account(page, server)
    expect(page.get_by_test_id("profile-login")).to_have_text("admin")

    with page.expect_download() as started:
        page.get_by_role("button", name="Export my data").click()
    download = started.value
    assert download.suggested_filename == "infrasync-export-admin.json"
    exported = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert exported["schema_version"] == 1
    assert exported["profile"]["login"] == "admin"
    expect(page.get_by_role("status").filter(has_text="Downloaded")).to_have_text(
        "Downloaded infrasync-export-admin.json."
    )

    _delete_account(page, "admin")
    expect(page.get_by_role("banner").get_by_role("link", name="Sign in")).to_be_visible()
    assert page.request.get(server.url("/api/me")).status == 401


def test_signing_in_with_github_again_asks_before_restoring_a_deleted_account(
    page: Page, github_sign_in_server: Server
) -> None:
    server = github_sign_in_server
    page.goto(server.url("/signin"))
    page.get_by_role("main").get_by_role("link", name="Sign in with GitHub").click()
    expect(page.get_by_test_id("signed-in-user")).to_have_text("Signed in as octocat")
    _open_account(page, server)
    _delete_account(page, "octocat")

    page.goto(server.url("/signin"))
    page.get_by_role("main").get_by_role("link", name="Sign in with GitHub").click()

    # Signed in, still deleted: every page leads to the question, and nothing is restored yet.
    expect(page).to_have_url(server.url("/account/restore"))
    expect(page.get_by_test_id("restore-question")).to_contain_text(
        "You deleted the account octocat on"
    )
    expect(page.get_by_test_id("restore-question")).to_contain_text("You can restore it until")
    page.goto(server.url("/settings"))
    expect(page).to_have_url(server.url("/account/restore"))
    assert page.request.get(server.url("/api/orgs")).status == 403

    page.get_by_role("button", name="Restore my account").click()
    expect(page).to_have_url(server.url("/"))
    expect(page.get_by_role("heading", level=1, name="Your orgs")).to_be_visible()
    assert page.request.get(server.url("/api/orgs")).status == 200
    assert page.request.get(server.url("/api/me")).json()["deleted_at"] is None
