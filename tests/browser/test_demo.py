"""The demo (SPEC §1): a server started in a git repository with local sources allowed
makes an org with a monitor on that repository and a first digest; the first admin finds
it in the web app, reads the digest and runs the monitor again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.server import DEMO_COMMITS, Server

pytestmark = pytest.mark.browser

# Run now queues the run; the page follows it until the worker has made the digest.
RUN_TIMEOUT_MS = 30_000


def open_tab(page: Page, label: str) -> None:
    page.get_by_role("navigation", name="Org sections").get_by_role("link", name=label).click()


def test_the_first_admin_reads_the_demo_digest_and_runs_it_again(
    page: Page, demo_server: Server
) -> None:
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    server = demo_server

    page.goto(server.first_admin_link())
    expect(page).to_have_url(server.url("/"))
    orgs = page.get_by_role("list", name="Your orgs")
    expect(orgs).to_contain_text("Demo")
    orgs.get_by_role("link").filter(has_text="Demo").click()
    expect(page).to_have_url(server.url("/orgs/demo"))

    open_tab(page, "Monitors")
    monitor = page.get_by_test_id("monitor-row")
    expect(monitor).to_have_count(1)
    expect(monitor.get_by_test_id("monitor-source")).to_have_text(str(server.cwd.resolve()))
    expect(monitor.get_by_test_id("monitor-kind")).to_have_text("Local git")
    expect(monitor.get_by_test_id("monitor-status")).to_contain_text("Last run OK")
    expect(monitor.get_by_test_id("monitor-credential")).to_have_text(
        "A local repository: no GitHub token needed."
    )
    # The monitor is named after the repository's directory.
    name = server.cwd.name
    expect(monitor.get_by_test_id("monitor-name")).to_have_text(name)

    open_tab(page, "Digests")
    digest = page.get_by_test_id("digest-row")
    expect(digest).to_have_count(1)
    expect(digest).to_contain_text(name)
    expect(digest).to_contain_text("builtin writer")
    digest.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/orgs/demo/digests/[0-9a-f-]{36}$"))

    body = page.get_by_test_id("digest-body")
    # The page's heading names the monitor; the body does not repeat the digest's title.
    expect(
        page.get_by_role("heading", level=2, name=re.compile(f"^Digest of {re.escape(name)}, "))
    ).to_be_visible()
    expect(body.get_by_role("heading", level=1)).to_have_count(0)
    for subject in DEMO_COMMITS:
        expect(body).to_contain_text(subject)
    expect(page.get_by_test_id("digest-writer")).to_contain_text("Written by the builtin writer")
    commits = page.get_by_test_id("metric-row").filter(has_text="Commits")
    expect(commits.get_by_role("cell").first).to_have_text(str(len(DEMO_COMMITS)))
    # A local repository has no pull requests: unknown, never 0.
    merged = page.get_by_test_id("metric-row").filter(has_text="Pull requests merged")
    expect(merged.get_by_role("cell").first).to_have_text("—")
    assert body.locator("script, img").count() == 0
    first_digest = page.url

    open_tab(page, "Monitors")
    page.get_by_role("button", name=f"Run {name} now").click()
    # A window that ends now differs from the demo's by a few seconds at least: a new digest,
    # made by the in-process worker. Were it refused, the page would say why instead.
    new_digest = re.compile(r"/orgs/demo/digests/[0-9a-f-]{36}$")
    row = page.get_by_test_id("monitor-row")
    refusal = row.get_by_role("alert")
    opened = row.get_by_test_id("run-progress").get_by_role("link", name="Open the digest")
    expect(opened.or_(refusal)).to_be_visible(timeout=RUN_TIMEOUT_MS)
    if refusal.count():
        expect(refusal).to_have_text(re.compile(r"\S.*\."))
    else:
        opened.click()
        expect(page).to_have_url(new_digest)
        assert page.url != first_digest
        for subject in DEMO_COMMITS:
            expect(page.get_by_test_id("digest-body")).to_contain_text(subject)
        page.get_by_role("link", name="All digests").click()
        expect(page.get_by_test_id("digest-row")).to_have_count(2)

    assert errors == [], errors
