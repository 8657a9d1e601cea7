"""Channels through the built web app against a real `infrasync serve` with its
in-process worker: an admin adds a Slack channel (the fake Slack of tests/fakes, real HTTP
on 127.0.0.1), attaches it to the demo monitor, runs it now, watches the run finish and
sees the delivery on the monitor and in the channel's delivery log."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tests.browser.server import DEMO_COMMITS, Server
from tests.fakes.chat_receivers import SlackReceiver

pytestmark = pytest.mark.browser

# The run goes through the worker's queue and the delivery through the outbox: a few
# rounds of the page's polling, on a busy machine.
DELIVERY_TIMEOUT_MS = 30_000
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@pytest.fixture
def slack() -> Iterator[SlackReceiver]:
    with SlackReceiver().serving() as receiver:
        yield receiver


def open_tab(page: Page, label: str) -> None:
    page.get_by_role("navigation", name="Org sections").get_by_role("link", name=label).click()


def test_an_admin_adds_slack_attaches_it_runs_now_and_sees_the_delivery(
    page: Page, demo_server: Server, slack: SlackReceiver
) -> None:
    server = demo_server
    url = slack.webhook_url()
    token = url.rsplit("/", 1)[1]
    page.goto(server.first_admin_link())
    expect(page).to_have_url(server.url("/"))
    page.goto(server.url("/orgs/demo/members"))

    # Add the channel, and check it works.
    open_tab(page, "Channels")
    form = page.get_by_role("form", name="Add a channel")
    form.get_by_label("Kind").select_option("Slack")
    form.get_by_label("Name").fill("#eng-digest")
    form.get_by_label("Slack webhook URL").fill(url)
    form.get_by_role("button", name="Add channel").click()
    expect(form.get_by_role("status")).to_have_text("Added #eng-digest.")
    channel = page.get_by_role("listitem", name="#eng-digest")
    expect(channel.get_by_test_id("channel-status")).to_have_text("Active")
    expect(channel.get_by_test_id("channel-hint")).to_have_text(f"127.0.0.1/…{url[-4:]}")
    # The URL is its own credential: the page shows a hint only.
    expect(page.locator("body")).not_to_contain_text(token)
    channel.get_by_role("button", name="Send a test message to #eng-digest").click()
    expect(channel.get_by_test_id("channel-test-result")).to_have_text(
        "Test message delivered (status 200)."
    )
    assert len(slack.accepted()) == 1

    # Attach it to the demo monitor, and move its hourly schedule days away, so that only
    # Run now makes a digest during this test.
    open_tab(page, "Monitors")
    monitor = page.get_by_test_id("monitor-row")
    name = server.cwd.name
    expect(monitor.get_by_test_id("monitor-schedule")).to_contain_text("(UTC) · next run")
    monitor.get_by_role("button", name=f"Edit {name}").click()
    edit = page.get_by_role("form", name=f"Edit {name}")
    schedule = edit.get_by_role("group", name="Schedule")
    weekday = WEEKDAYS[(datetime.now(UTC).weekday() + 3) % 7]
    schedule.get_by_label("Frequency").select_option("Weekly")
    schedule.get_by_label("Day of the week").select_option(weekday)
    schedule.get_by_label("Time of day").fill("09:00")
    schedule.get_by_role("combobox", name="Time zone").fill("Europe/Berlin")
    described = f"Weekly on {weekday} at 09:00 (Europe/Berlin)"
    # The server's preview of the next three runs.
    expect(schedule.get_by_test_id("schedule-description")).to_have_text(described)
    expect(schedule.get_by_role("list", name="Next runs").get_by_role("listitem")).to_have_count(3)
    edit.get_by_role("group", name="Send digests to").get_by_role(
        "checkbox", name="#eng-digest (Slack)"
    ).check()
    edit.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_have_text(f"Saved {name}.")
    expect(monitor.get_by_test_id("monitor-schedule")).to_contain_text(f"{described} · next run")
    delivery = monitor.get_by_test_id("monitor-channel").filter(has_text="#eng-digest")
    expect(delivery.get_by_test_id("delivery-outcome")).to_have_text("Nothing sent yet")

    # Run it now: the run is queued, made by the worker, and its digest delivered.
    monitor.get_by_role("button", name=f"Run {name} now").click()
    progress = monitor.get_by_test_id("run-progress")
    expect(progress).to_contain_text("Digest made.", timeout=DELIVERY_TIMEOUT_MS)
    expect(progress.get_by_role("link", name="Open the digest")).to_be_visible()
    expect(delivery.get_by_test_id("delivery-outcome")).to_have_text(
        re.compile(r"^Delivered "), timeout=DELIVERY_TIMEOUT_MS
    )
    expect(monitor.get_by_test_id("monitor-last-digest")).to_contain_text("Last digest:")
    # The demo's own channel got it too.
    inbox = monitor.get_by_test_id("monitor-channel").filter(has_text="Demo inbox")
    expect(inbox.get_by_test_id("delivery-outcome")).to_have_text(
        re.compile(r"^Delivered "), timeout=DELIVERY_TIMEOUT_MS
    )

    received = slack.accepted()
    assert len(received) >= 2, received
    digest_text = json.dumps([r.json() for r in received[1:]])
    assert name in digest_text
    for subject in DEMO_COMMITS:
        assert subject in digest_text

    # The channel's delivery log has the digest's delivery, newest first, then the test.
    delivery.get_by_role("link", name="Delivery log of #eng-digest").click()
    expect(page).to_have_url(re.compile(r"/orgs/demo/channels\?log="))
    log = page.get_by_role("region", name="Delivery log of #eng-digest")
    rows = log.get_by_test_id("delivery-row")
    expect(rows.first.get_by_role("cell").nth(1)).to_have_text("Delivered")
    expect(rows.first.get_by_role("cell").nth(2)).to_have_text("200")
    expect(rows.last.get_by_role("cell").nth(1)).to_have_text("Test delivered")
    expect(rows).to_have_count(2)
    expect(
        page.get_by_role("listitem", name="#eng-digest").get_by_test_id("channel-last-delivery")
    ).to_contain_text("Last delivery: Delivered")

    # And the digest it delivered opens from the monitor.
    open_tab(page, "Monitors")
    monitor.get_by_test_id("monitor-last-digest").get_by_role("link").click()
    body = page.get_by_test_id("digest-body")
    for subject in DEMO_COMMITS:
        expect(body).to_contain_text(subject)
