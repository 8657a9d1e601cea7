"""The digests pages through the built web app against a real `infrasync serve` (the demo
server, whose org has a monitor on a small git repository and its first digest): the list's
headline, figures and filters kept in the URL; a digest's page with its title, writer line
and numbers once, each channel's preview and Copy as Markdown; on a 390 px phone, with
200-character names and hostile text in the digest, nothing overflows and nothing runs."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.server import DEMO_COMMITS, Server
from tests.browser.test_content_security_policy import VIOLATION, watch
from tests.browser.test_dashboard import PHONE_WIDTH, long_word

pytestmark = pytest.mark.browser

DIGEST_URL = re.compile(r"/orgs/demo/digests/[0-9a-f-]{36}$")


def test_a_reader_filters_the_digests_and_previews_one(page: Page, demo_server: Server) -> None:
    server = demo_server
    console = watch(page, server)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base_url)
    page.goto(server.first_admin_link())
    expect(page).to_have_url(server.url("/"))
    page.goto(server.url("/orgs/demo/digests"))

    row = page.get_by_test_id("digest-row")
    expect(row).to_have_count(1)
    # The demo's two commits, as the builtin writer's headline and the row's figures say.
    expect(row.get_by_test_id("digest-headline")).to_contain_text(f"{len(DEMO_COMMITS)} commits")
    expect(row.get_by_role("list", name="Figures")).to_contain_text(f"{len(DEMO_COMMITS)} commits")

    # A period after the digest's: nothing matches, and the URL says which filter is on.
    form = page.get_by_role("form", name="Filter digests")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    form.get_by_label("From").fill(tomorrow)
    expect(page.get_by_text("No digest matches these filters.")).to_be_visible()
    expect(page).to_have_url(server.url(f"/orgs/demo/digests?from={tomorrow}"))
    page.reload()
    expect(page.get_by_text("No digest matches these filters.")).to_be_visible()
    expect(page.get_by_role("form", name="Filter digests").get_by_label("From")).to_have_value(
        tomorrow
    )
    form = page.get_by_role("form", name="Filter digests")
    form.get_by_role("button", name="Show all").click()
    expect(page).to_have_url(server.url("/orgs/demo/digests"))
    monitor = server.cwd.name
    form.get_by_label("Monitor").select_option(label=monitor)
    expect(page).to_have_url(re.compile(r"/orgs/demo/digests\?monitor=[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("digest-row")).to_have_count(1)

    page.get_by_test_id("digest-row").get_by_role("link").click()
    expect(page).to_have_url(DIGEST_URL)
    body = page.get_by_test_id("digest-body")
    for subject in DEMO_COMMITS:
        expect(body).to_contain_text(subject)
    # Once each: the title (the page's heading), the writer line, the numbers.
    expect(
        page.get_by_role("heading", name=re.compile(f"^Digest of {re.escape(monitor)}, "))
    ).to_have_count(1)
    expect(body.get_by_role("heading", level=1)).to_have_count(0)
    expect(page.get_by_role("heading", name="Numbers")).to_have_count(1)
    expect(page.get_by_test_id("digest-writer")).to_contain_text("Written by the builtin writer")

    previews = page.get_by_role("region", name="How each channel receives it")
    expect(previews.get_by_test_id("preview-message").first).to_contain_text(DEMO_COMMITS[0])
    previews.get_by_role("button", name="Discord").click()
    expect(previews.get_by_test_id("preview-message").first).to_contain_text(DEMO_COMMITS[1])
    previews.get_by_role("button", name="Email").click()
    expect(previews.get_by_test_id("email-body")).to_contain_text(DEMO_COMMITS[0])
    expect(previews).to_contain_text(f"Subject: {monitor}")

    page.get_by_role("button", name="Copy as Markdown").click()
    expect(page.get_by_text("The digest's Markdown is on the clipboard.")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(f"# {monitor} — ")
    assert all(subject in copied for subject in DEMO_COMMITS)
    page.wait_for_load_state("networkidle")
    assert [text for text in console if VIOLATION in text] == []


HOSTILE = (
    '<script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2"> '
    "[click](javascript:window.__pwned=3)"
)


def test_the_digest_pages_fit_a_phone_with_long_names_and_hostile_text(
    page: Page, demo_server: Server
) -> None:
    server = demo_server
    page.goto(server.first_admin_link())
    expect(page).to_have_url(server.url("/"))
    # More than the API allows, and text no writer makes: straight into the database.
    name = long_word("Monitorname")
    with sqlite3.connect(server.cwd / ".infrasync" / "infrasync.db") as db:
        db.execute("UPDATE monitors SET name = ?", (name,))
        (text,) = db.execute("SELECT text FROM digests").fetchone()
        lines = text.splitlines()
        lines[0] = f"# {long_word('Repository')} — a week"
        lines.insert(2, f"**{HOSTILE} {long_word('Headline')}**")
        # Into the first list (what shipped), which the page shows.
        first_item = next(i for i, line in enumerate(lines) if line.startswith("- "))
        lines.insert(first_item, f"- {HOSTILE} {long_word('Commit')}")
        db.execute("UPDATE digests SET text = ?", ("\n".join(lines),))
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})

    page.goto(server.url("/orgs/demo/digests"))
    row = page.get_by_test_id("digest-row")
    expect(row).to_contain_text(name)
    # The headline is read from the text as text: the markup shows, nothing of it runs.
    expect(row.get_by_test_id("digest-headline")).to_contain_text("<script>window.__pwned = 1")
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the digests list is {width} px wide on a 390 px phone"

    row.get_by_role("link").click()
    expect(page).to_have_url(DIGEST_URL)
    body = page.get_by_test_id("digest-body")
    expect(body).to_contain_text(long_word("Commit"))
    expect(body).to_contain_text("<script>window.__pwned = 1</script>")
    previews = page.get_by_role("region", name="How each channel receives it")
    for channel in ("Slack", "Discord", "Email", "Markdown"):
        previews.get_by_role("button", name=channel).click()
        expect(previews.get_by_test_id("channel-preview")).to_contain_text(long_word("Commit"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH, f"the {channel} preview is {width} px wide on a phone"
    previews.get_by_role("button", name="Email").click()
    email = previews.get_by_test_id("email-body")
    expect(email).to_contain_text("<img src=x onerror=")
    for shown in (body, email):
        assert shown.locator("script, img").count() == 0
        assert shown.locator("a[href^='javascript' i]").count() == 0
    assert page.evaluate("window.__pwned") is None
