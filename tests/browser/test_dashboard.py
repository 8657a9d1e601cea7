"""The org dashboard through the built web app against a real `infrasync serve` (the demo
server: local git repositories allowed, its in-process worker running): a new org's
checklist ticks itself step by step, from an empty org to a digest on the dashboard and
its chart, under the Content-Security-Policy; on a phone, 200-character names fit."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.server import Server
from tests.browser.test_content_security_policy import VIOLATION, watch
from tests.browser.test_orgs import create_invite, create_org

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
PHONE_WIDTH = 390


def long_word(stem: str, length: int = 200) -> str:
    """`stem` repeated into one word of `length` characters, with no place to break it."""
    return (stem * (length // len(stem) + 1))[:length]


def open_dashboard(page: Page) -> Locator:
    page.get_by_role("navigation", name="Org sections").get_by_role(
        "link", name="Dashboard"
    ).click()
    expect(page.get_by_role("heading", level=2, name="Dashboard")).to_be_visible()
    return page.get_by_role("region", name="Get started")


def step(page: Page, key: str) -> Locator:
    return page.get_by_test_id(f"step-{key}")


def test_a_new_org_goes_from_its_checklist_to_a_digest_on_the_dashboard(
    page: Page, demo_server: Server
) -> None:
    server = demo_server
    console = watch(page, server)
    page.goto(server.first_admin_link())
    expect(page).to_have_url(server.url("/"))
    create_org(page, server, "Acme", "acme")

    # An empty org: four steps to do, and every panel says what to do next.
    checklist = page.get_by_role("region", name="Get started")
    expect(checklist.get_by_test_id("onboarding-progress")).to_have_text("0 of 4 steps done.")
    expect(page.get_by_test_id("recent-empty")).to_contain_text("No digests yet.")
    expect(page.get_by_test_id("attention-empty")).to_contain_text("Nothing needs attention")
    expect(page.get_by_test_id("budget-empty")).to_contain_text("No monitor reads GitHub")
    commits = page.get_by_role("region", name="Commits", exact=True)
    expect(commits).to_contain_text("No digest of the last 12 weeks has this figure yet.")

    # 1. A monitor of a local repository, from the step's own link.
    step(page, "monitor").get_by_role("link", name="Add a monitor").click()
    expect(page).to_have_url(server.url("/orgs/acme/monitors"))
    form = page.get_by_role("form", name="Add a monitor")
    form.get_by_label("Repository", exact=True).fill(str(server.cwd.resolve()))
    form.get_by_label("Name (optional)").fill("Parser")
    form.get_by_role("button", name="Add monitor").click()
    expect(form.get_by_role("status")).to_have_text("Added Parser.")
    checklist = open_dashboard(page)
    expect(checklist.get_by_test_id("onboarding-progress")).to_have_text("1 of 4 steps done.")
    expect(step(page, "monitor")).to_contain_text("(done)")
    expect(step(page, "digest")).to_contain_text("(to do)")

    # 2. Run it: the in-process worker makes the digest.
    step(page, "digest").get_by_role("link", name="Run a monitor").click()
    row = page.get_by_test_id("monitor-row").filter(has_text="Parser")
    row.get_by_role("button", name="Run Parser now").click()
    expect(
        row.get_by_test_id("run-progress").get_by_role("link", name="Open the digest")
    ).to_be_visible(timeout=30_000)
    checklist = open_dashboard(page)
    expect(checklist.get_by_test_id("onboarding-progress")).to_have_text("2 of 4 steps done.")

    # The digest is on the dashboard with its numbers, and the commits chart is drawn.
    recent = page.get_by_role("list", name="Recent digests")
    digest = recent.get_by_test_id("recent-digest")
    expect(digest).to_have_count(1)
    expect(digest.get_by_role("link")).to_have_text(re.compile(r"^Parser, "))
    expect(digest.get_by_test_id("headline-numbers")).to_have_text("2 commits")
    expect(commits.get_by_test_id("trend-chart").locator("svg.recharts-surface")).to_be_visible()
    expect(commits.locator(".recharts-line-dot")).to_have_count(1)
    commits.get_by_text("Figures as a table").click()
    table = commits.get_by_role("table", name="Commits, per week")
    expect(table.get_by_role("row")).to_have_count(13)
    # One bucket (the one the digest's period starts in) has its 2 commits; the rest none.
    cells = table.get_by_role("cell")
    expect(cells.filter(has_text=re.compile(r"^2$"))).to_have_count(1)
    expect(cells.filter(has_text="no figure")).to_have_count(11)
    # Pull requests are a GitHub figure: that chart still says what to do.
    merged = page.get_by_role("region", name="Merged pull requests")
    expect(merged).to_contain_text("of a GitHub repository to draw it")

    # 3. A channel.
    step(page, "channel").get_by_role("link", name="Add a channel").click()
    form = page.get_by_role("form", name="Add a channel")
    form.get_by_label("Kind").select_option("Slack")
    form.get_by_label("Name").fill("#eng")
    form.get_by_label("Slack webhook URL").fill("http://127.0.0.1:9/services/T000/B000/XXXX")
    form.get_by_role("button", name="Add channel").click()
    expect(form.get_by_role("status")).to_have_text("Added #eng.")
    checklist = open_dashboard(page)
    expect(checklist.get_by_test_id("onboarding-progress")).to_have_text("3 of 4 steps done.")

    # 4. A teammate invited: every step done, the checklist leaves; the digest stays.
    create_invite(page, server, "member")
    open_dashboard(page)
    expect(page.get_by_role("list", name="Recent digests")).to_be_visible()
    expect(page.get_by_role("region", name="Get started")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    assert [text for text in console if VIOLATION in text] == []


def _axe_violations(page: Page) -> list[dict[str, Any]]:
    # Evaluated through the browser's debugging protocol, which the page's policy (no
    # inline script) does not govern; a script tag would be refused.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
          const result = await axe.run(document, { resultTypes: ['violations'] });
          return result.violations.map((v) => ({ id: v.id, help: v.help,
            nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
        }"""
    )
    return found


def test_the_demo_dashboard_fits_a_phone_with_200_character_names(
    page: Page, demo_server: Server
) -> None:
    server = demo_server
    page.goto(server.first_admin_link())
    expect(page).to_have_url(server.url("/"))
    # More than the API allows, so straight into the server's SQLite database.
    with sqlite3.connect(server.cwd / ".infrasync" / "infrasync.db") as db:
        db.execute("UPDATE orgs SET name = ?", (long_word("Organisation"),))
        db.execute("UPDATE monitors SET name = ?", (long_word("Monitorname"),))
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    page.goto(server.url("/orgs/demo"))
    expect(page.get_by_role("list", name="Recent digests")).to_contain_text(
        long_word("Monitorname")
    )
    expect(
        page.get_by_role("region", name="Commits", exact=True).locator("svg.recharts-surface")
    ).to_be_visible()
    page.get_by_label("Monitor").select_option(label=long_word("Monitorname"))
    expect(
        page.get_by_role("region", name="Commits", exact=True).locator("svg.recharts-surface")
    ).to_be_visible()
    page.wait_for_load_state("networkidle")

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the dashboard is {width} px wide on a 390 px phone"
    assert _axe_violations(page) == []
