"""The worker end to end: a due monitor's digest is made once and delivered to each of
its channels; transient failures are retried, permanent ones disable the channel; run
now goes through the same queue; a stopping worker hands back what it holds."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook

from infrasync.kit.time import utcnow
from infrasync.models import Channel, Delivery, DigestRecord, DigestRun, Monitor
from infrasync.scheduler.schedule import Schedule, next_fire, previous_fire
from infrasync.scheduler.worker import Worker, WorkerOptions
from tests.conftest import Personas, SignIn
from tests.delivery.conftest import QUICK, RunWorker, make_channel, make_monitor
from tests.fakes.chat_receivers import (
    DiscordReceiver,
    Gone,
    Ok,
    RateLimited,
    ServerError,
    SlackReceiver,
    Slow,
    WebhookReceiver,
)
from tests.statements import statements_run

DAILY = {"kind": "daily", "timezone": "Europe/Berlin", "at": "09:00"}
BERLIN_DAILY = Schedule(kind="daily", timezone="Europe/Berlin", at="09:00")


async def _make_due(session: AsyncSession, monitor_id: object, fires_ago: int = 1) -> None:
    """Moves the monitor's next run back to the schedule's fire `fires_ago` fires before
    now, as if no worker had run since (the clock itself is not frozen)."""
    fire = next_fire(BERLIN_DAILY, utcnow())
    assert fire is not None
    for _ in range(fires_ago):
        fire = previous_fire(BERLIN_DAILY, fire)
    await session.execute(
        update(Monitor).where(Monitor.id == uuid.UUID(str(monitor_id))).values(next_run_at=fire)
    )
    await session.commit()


async def test_a_due_monitor_is_delivered_once_to_each_of_its_channels(
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    session: AsyncSession,
    run_worker: RunWorker,
    slack: SlackReceiver,
    discord: DiscordReceiver,
) -> None:
    admin = await sign_in(personas.admin)
    team = await make_channel(admin, kind="slack", name="Team", url=slack.webhook_url())
    ops = await make_channel(admin, kind="discord", name="Ops", url=discord.webhook_url())
    monitor = await make_monitor(admin, repo, schedule=DAILY, channel_ids=[team["id"], ops["id"]])
    assert monitor["next_run_at"] is not None
    await _make_due(session, monitor["id"])

    stats = await run_worker()
    again = await run_worker()  # nothing is due any more: nothing twice

    assert stats.digests_made == 1
    assert again.digests_made == 0
    assert len(slack.accepted()) == 1
    assert len(discord.accepted()) >= 1
    digests = (await session.scalars(select(DigestRecord))).all()
    assert len(digests) == 1
    shown = (await admin.get(f"/api/orgs/acme/monitors/{monitor['id']}")).json()
    assert shown["last_digest"]["id"] == str(digests[0].id)
    assert {c["name"]: c["last_delivery"]["state"] for c in shown["channels"]} == {
        "Team": "delivered",
        "Ops": "delivered",
    }
    period = shown["last_digest"]["period"]
    # The window is the schedule's period: the day before this run, in Berlin.
    assert period["since"] != period["until"]
    log = (await admin.get(f"/api/orgs/acme/channels/{team['id']}/deliveries")).json()
    assert [a["outcome"] for a in log["items"]] == ["delivered"]


async def test_transient_failures_are_retried_and_each_attempt_is_logged(
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    session: AsyncSession,
    run_worker: RunWorker,
    slack: SlackReceiver,
) -> None:
    admin = await sign_in(personas.admin)
    team = await make_channel(admin, kind="slack", name="Team", url=slack.webhook_url())
    monitor = await make_monitor(admin, repo, schedule=DAILY, channel_ids=[team["id"]])
    slack.script(ServerError(503), RateLimited(0.01))
    await _make_due(session, monitor["id"])

    await run_worker()

    log = (await admin.get(f"/api/orgs/acme/channels/{team['id']}/deliveries")).json()
    assert [a["outcome"] for a in log["items"]] == ["delivered", "retry", "retry"]
    assert [a["status"] for a in log["items"]] == [200, 429, 503]
    assert len(slack.accepted()) == 1
    delivery = await session.scalar(select(Delivery))
    assert delivery is not None
    assert delivery.state == "delivered"
    assert delivery.attempts == 3


async def test_a_receiver_that_keeps_failing_is_given_up_on_and_the_channel_shows_it(
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    session: AsyncSession,
    run_worker: RunWorker,
    slack: SlackReceiver,
) -> None:
    admin = await sign_in(personas.admin)
    team = await make_channel(admin, kind="slack", name="Team", url=slack.webhook_url())
    monitor = await make_monitor(admin, repo, schedule=DAILY, channel_ids=[team["id"]])
    slack.script(*[ServerError(500)] * QUICK.deliveries.max_attempts)
    await _make_due(session, monitor["id"])

    await run_worker()

    shown = (await admin.get(f"/api/orgs/acme/channels/{team['id']}")).json()
    assert shown["last_delivery"]["state"] == "failed"
    assert "Gave up after 4 tries" in shown["last_delivery"]["last_error"]
    assert shown["disabled"] is False  # a transient error never disables
    assert len(slack.requests()) == QUICK.deliveries.max_attempts


async def test_a_permanent_error_disables_the_channel_and_later_digests_skip_it(
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    session: AsyncSession,
    run_worker: RunWorker,
    slack: SlackReceiver,
) -> None:
    admin = await sign_in(personas.admin)
    team = await make_channel(admin, kind="slack", name="Team", url=slack.webhook_url())
    monitor = await make_monitor(admin, repo, schedule=DAILY, channel_ids=[team["id"]])
    slack.script(Gone())
    await _make_due(session, monitor["id"])
    await run_worker()

    shown = (await admin.get(f"/api/orgs/acme/monitors/{monitor['id']}")).json()
    (channel,) = shown["channels"]
    assert channel["disabled"] is True
    assert "no_service" in channel["disabled_reason"] or channel["disabled_reason"]
    assert channel["last_delivery"]["state"] == "failed"
    asked = len(slack.requests())

    made = await admin.post(f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true", json={})
    assert made.status_code == 201
    await run_worker()
    assert len(slack.requests()) == asked  # a disabled channel gets nothing


async def test_a_signed_webhook_carries_the_same_id_on_every_retry(
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    session: AsyncSession,
    run_worker: RunWorker,
    webhooks: WebhookReceiver,
) -> None:
    admin = await sign_in(personas.admin)
    url = webhooks.endpoint("whsec_" + "B" * 32)
    channel = await make_channel(admin, kind="webhook", name="Ours", url=url)
    secret = str(channel["signing_secret"])
    webhooks.set_secret(url, secret)
    monitor = await make_monitor(admin, repo, schedule=DAILY, channel_ids=[channel["id"]])
    webhooks.script(ServerError(502))
    await _make_due(session, monitor["id"])

    await run_worker()

    first, second = webhooks.requests()
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    body = Webhook(secret).verify(second.body, second.headers)
    assert body["type"] == "digest.created"
    assert body["metrics"]["schema"] == 1
    assert body["monitor"] == monitor["name"]


async def test_after_a_three_day_outage_one_digest_is_made_and_the_rest_recorded(
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    session: AsyncSession,
    run_worker: RunWorker,
    slack: SlackReceiver,
) -> None:
    admin = await sign_in(personas.admin)
    team = await make_channel(admin, kind="slack", name="Team", url=slack.webhook_url())
    monitor = await make_monitor(admin, repo, schedule=DAILY, channel_ids=[team["id"]])
    await _make_due(session, monitor["id"], fires_ago=4)

    stats = await run_worker()

    assert stats.digests_made == 1
    assert len(slack.accepted()) == 1
    runs = (await session.scalars(select(DigestRun).order_by(DigestRun.period_since))).all()
    skipped = [r for r in runs if r.state == "skipped"]
    assert len(skipped) == 1
    assert skipped[0].periods >= 2
    assert [r.state for r in runs if r.state != "skipped"] == ["done"]
    shown = (await admin.get(f"/api/orgs/acme/monitors/{monitor['id']}")).json()
    assert shown["next_run_at"] > utcnow().isoformat()[:19]


async def test_run_now_is_queued_and_a_worker_makes_and_delivers_it(
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    run_worker: RunWorker,
    slack: SlackReceiver,
) -> None:
    admin = await sign_in(personas.admin)
    team = await make_channel(admin, kind="slack", name="Team", url=slack.webhook_url())
    monitor = await make_monitor(admin, repo, channel_ids=[team["id"]])  # manual only
    member = await sign_in(personas.member)
    queued = await member.post(f"/api/orgs/acme/monitors/{monitor['id']}/digests", json={})
    assert queued.status_code == 202, queued.text
    run = queued.json()
    assert run["state"] == "queued"
    again = await member.post(f"/api/orgs/acme/monitors/{monitor['id']}/digests", json={})
    assert again.json()["id"] == run["id"]  # the same period asked twice: one run

    await run_worker()

    read = await member.get(f"/api/orgs/acme/monitors/{monitor['id']}/runs/{run['id']}")
    assert read.json()["state"] == "done"
    assert read.json()["digest_id"] is not None
    assert len(slack.accepted()) == 1
    viewer = await sign_in(personas.viewer)
    assert (
        await viewer.get(f"/api/orgs/acme/monitors/{monitor['id']}/runs/{run['id']}")
    ).status_code == 200
    outsider = await sign_in(personas.outsider)
    assert (
        await outsider.get(f"/api/orgs/acme/monitors/{monitor['id']}/runs/{run['id']}")
    ).status_code == 404


async def _until_sending(session: AsyncSession) -> None:
    for _ in range(600):
        state = await session.scalar(
            select(Delivery.state).execution_options(populate_existing=True)
        )
        await session.commit()
        if state == "sending":
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the worker never claimed the delivery")


async def test_a_stopping_worker_hands_back_a_delivery_it_could_not_finish(
    app: FastAPI,
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    session: AsyncSession,
    slack: SlackReceiver,
) -> None:
    admin = await sign_in(personas.admin)
    team = await make_channel(admin, kind="slack", name="Team", url=slack.webhook_url())
    monitor = await make_monitor(admin, repo, schedule=DAILY, channel_ids=[team["id"]])
    held = threading.Event()
    slack.script(Slow(release=held))
    await _make_due(session, monitor["id"])
    options = WorkerOptions(
        concurrency=4,
        poll_seconds=0.05,
        grace_seconds=0.2,
        runs=QUICK.runs,
        deliveries=QUICK.deliveries,
    )
    worker = Worker(app.state.settings, app.state.session_factory, options)
    stop = asyncio.Event()
    working = asyncio.create_task(worker.run(stop))
    await _until_sending(session)  # claimed: the post is on its way, held by Slack
    stop.set()  # as SIGTERM does
    await asyncio.wait_for(working, timeout=30)
    held.set()

    delivery = await session.scalar(select(Delivery).execution_options(populate_existing=True))
    assert delivery is not None
    assert delivery.state == "pending"
    assert delivery.claimed_by is None
    assert delivery.attempts == 0  # handed back, not counted as a failed try


async def test_the_queue_shows_in_ready_and_metrics(
    client: httpx.AsyncClient, run_worker: RunWorker
) -> None:
    before = (await client.get("/ready")).json()
    assert before["status"] == "ready"  # a warning, not a failure
    assert "no worker has been seen" in before["checks"]["worker"]
    assert "infrasync_worker_heartbeat_age_seconds -1.0" in (await client.get("/metrics")).text

    await run_worker()

    after = (await client.get("/ready")).json()
    assert after["checks"]["worker"] == "ok"
    assert after.get("warnings", []) == []
    metrics = (await client.get("/metrics")).text
    assert "infrasync_queue_lag_seconds 0.0" in metrics
    assert "infrasync_worker_heartbeat_age_seconds -1.0" not in metrics


@pytest.mark.parametrize("kind", ["cron"])
async def test_a_schedule_the_server_cannot_use_is_a_422(
    sign_in: SignIn, personas: Personas, repo: Path, kind: str
) -> None:
    member = await sign_in(personas.member)
    for schedule, complaint in [
        ({"kind": "daily", "timezone": "Mars/Olympus", "at": "09:00"}, "timezone"),
        ({"kind": "cron", "cron": "every day"}, "cron"),
        ({"kind": "cron", "cron": "*/5 * * * *"}, "15 minutes"),
    ]:
        response = await member.post(
            "/api/orgs/acme/monitors", json={"source": str(repo), "schedule": schedule}
        )
        assert response.status_code == 422, response.text
        assert complaint in response.json()["detail"], response.json()
        preview = await member.get(
            "/api/orgs/acme/monitors/schedule-preview",
            params=dict(schedule.items()),
        )
        assert preview.status_code == 422
    assert (await member.get("/api/orgs/acme/monitors")).json() == []
    ok = await member.get(
        "/api/orgs/acme/monitors/schedule-preview",
        params={"kind": kind, "cron": "0 * * * *", "timezone": "America/New_York"},
    )
    assert ok.status_code == 200
    assert len(ok.json()["next_runs"]) == 3


async def test_a_channel_of_another_org_cannot_be_attached(
    sign_in: SignIn, personas: Personas, repo: Path, slack: SlackReceiver
) -> None:
    outsider = await sign_in(personas.outsider)
    theirs = await outsider.post(
        "/api/orgs/globex/channels",
        json={"kind": "slack", "name": "Theirs", "url": slack.webhook_url()},
    )
    member = await sign_in(personas.member)
    response = await member.post(
        "/api/orgs/acme/monitors",
        json={"source": str(repo), "channel_ids": [theirs.json()["id"]]},
    )
    assert response.status_code == 422
    assert "not a channel of this org" in response.json()["detail"]


async def test_asking_again_for_the_default_window_while_a_run_waits_is_the_same_run(
    sign_in: SignIn, personas: Personas, repo: Path, session: AsyncSession
) -> None:
    """A double click on "Run now" (or a second tab) a few seconds later is one run,
    though "the last 7 days up to now" has moved on; another length, or an explicit
    window, is its own run."""
    admin = await sign_in(personas.admin)
    monitor = await make_monitor(admin, repo)
    first = (await admin.post(f"/api/orgs/acme/monitors/{monitor['id']}/digests", json={})).json()
    # Seconds pass before the second click: the waiting run's window ends earlier than
    # the one a new click would ask for.
    waiting = await session.get_one(DigestRun, uuid.UUID(first["id"]))
    waiting.period_since -= timedelta(seconds=5)
    waiting.period_until -= timedelta(seconds=5)
    await session.commit()

    again = await admin.post(f"/api/orgs/acme/monitors/{monitor['id']}/digests", json={})
    assert again.status_code == 202
    assert again.json()["id"] == first["id"]

    shorter = await admin.post(
        f"/api/orgs/acme/monitors/{monitor['id']}/digests", json={"since": "24h"}
    )
    assert shorter.status_code == 202
    assert shorter.json()["id"] != first["id"]
    explicit = await admin.post(
        f"/api/orgs/acme/monitors/{monitor['id']}/digests",
        json={"since": "2026-01-01T00:00:00Z", "until": "2026-01-08T00:00:00Z"},
    )
    assert explicit.status_code == 202
    assert explicit.json()["id"] != first["id"]
    runs = (await session.scalars(select(DigestRun.id))).all()
    assert len(runs) == 3


def _metric_samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


async def test_metrics_count_what_standalone_workers_did(
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    session: AsyncSession,
    run_worker: RunWorker,
    slack: SlackReceiver,
    client: httpx.AsyncClient,
) -> None:
    """The app serving /metrics has no worker of its own (as on AWS, where `worker`s and
    `tick`s serve no HTTP): it still shows what they counted, from their heartbeats."""
    admin = await sign_in(personas.admin)
    team = await make_channel(admin, kind="slack", name="Team", url=slack.webhook_url())
    monitor = await make_monitor(admin, repo, schedule=DAILY, channel_ids=[team["id"]])
    await _make_due(session, monitor["id"])
    slack.script(ServerError(), Ok())  # one retry, then delivered

    stats = await run_worker()

    assert stats.digests_made == 1
    text = (await client.get("/metrics")).text
    made = _metric_samples(text, "infrasync_digests_made_total")
    assert sum(value for _, value in made) == 1
    assert all(labels["worker"] for labels, _ in made)
    attempts = {
        (labels["kind"], labels["outcome"]): value
        for labels, value in _metric_samples(text, "infrasync_delivery_attempts_total")
        if value
    }
    assert attempts == {("slack", "pending"): 1, ("slack", "delivered"): 1}
    retries = _metric_samples(text, "infrasync_delivery_retries_total")
    assert sum(value for _, value in retries) == 1


async def test_a_channel_deleted_before_its_delivery_is_sent_gets_nothing(
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    session: AsyncSession,
    run_worker: RunWorker,
    slack: SlackReceiver,
) -> None:
    """Deleting a channel cancels what is queued for it; one deleted while its delivery
    was already claimed (the delete cannot cancel that) is not sent to either."""
    admin = await sign_in(personas.admin)
    team = await make_channel(admin, kind="slack", name="Team", url=slack.webhook_url())
    ops = await make_channel(admin, kind="slack", name="Ops", url=slack.webhook_url())
    late = await make_channel(admin, kind="slack", name="Late", url=slack.webhook_url())
    channel_ids = [team["id"], ops["id"], late["id"]]
    monitor = await make_monitor(admin, repo, channel_ids=channel_ids)
    made = await admin.post(f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true", json={})
    assert made.status_code == 201, made.text
    assert (await admin.delete(f"/api/orgs/acme/channels/{ops['id']}")).status_code == 204
    # As a delete that lands between the worker's claim and its send leaves it.
    await session.execute(
        update(Channel).where(Channel.id == uuid.UUID(str(late["id"]))).values(deleted_at=utcnow())
    )
    await session.commit()

    await run_worker()

    assert len(slack.accepted()) == 1  # Team's only
    states = {
        str(delivery.channel_id): (delivery.state, delivery.last_error)
        for delivery in await session.scalars(
            select(Delivery).execution_options(populate_existing=True)
        )
    }
    assert states[str(team["id"])][0] == "delivered"
    assert states[str(ops["id"])] == ("cancelled", "The channel was deleted.")
    assert states[str(late["id"])] == ("cancelled", "The channel was deleted.")


async def test_the_monitors_list_shows_the_last_digest_without_reading_its_body(
    sign_in: SignIn, personas: Personas, repo: Path, app: FastAPI
) -> None:
    """A digest's text, metrics and items are most of its bytes and all of its JSON; the
    list shows only which digest and its period, so it must not read (and decode) them
    for every monitor on every load."""
    admin = await sign_in(personas.admin)
    monitor = await make_monitor(admin, repo)
    made = await admin.post(f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true", json={})
    assert made.status_code == 201, made.text
    with statements_run(app) as statements:
        listed = (await admin.get("/api/orgs/acme/monitors")).json()
    assert listed[0]["last_digest"]["id"] == made.json()["id"]
    assert listed[0]["last_digest"]["period"]["since"] is not None
    digest_reads = [s for s in statements if "FROM digests" in s]
    assert digest_reads, statements
    for statement in digest_reads:
        for body in ("digests.text", "digests.metrics", "digests.items"):
            assert body not in statement, statement


async def test_a_first_try_of_a_period_already_made_keeps_the_one_digest(
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    session: AsyncSession,
    run_worker: RunWorker,
    slack: SlackReceiver,
) -> None:
    """A first try does not look for its period's digest (only retries do); should one
    exist, the run ends with it: one digest, delivered once."""
    admin = await sign_in(personas.admin)
    team = await make_channel(admin, kind="slack", name="Team", url=slack.webhook_url())
    monitor = await make_monitor(admin, repo, schedule=DAILY, channel_ids=[team["id"]])
    await _make_due(session, monitor["id"])
    await run_worker()
    (made,) = (await session.scalars(select(DigestRecord))).all()
    first = await session.scalar(select(DigestRun))
    assert first is not None
    again = DigestRun(
        org_id=first.org_id,
        monitor_id=first.monitor_id,
        period_since=first.period_since,
        period_until=first.period_until,
        trigger="schedule",
        state="queued",
        not_before=utcnow(),
    )
    session.add(again)
    await session.commit()

    await run_worker()

    await session.refresh(again)
    assert (again.state, again.digest_id) == ("done", made.id)
    assert len((await session.scalars(select(DigestRecord))).all()) == 1
    assert len(slack.accepted()) == 1


async def test_a_run_writes_its_monitor_once_when_it_ends(
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    app: FastAPI,
    session: AsyncSession,
    run_worker: RunWorker,
    slack: SlackReceiver,
) -> None:
    """The run's start and outcome go on the monitor in the transaction that stores the
    digest; planning the run writes nothing (a write transaction per step is what a
    worker's tasks queue for on SQLite's one write lock). The monitor still shows when
    the run began."""
    admin = await sign_in(personas.admin)
    team = await make_channel(admin, kind="slack", name="Team", url=slack.webhook_url())
    monitor = await make_monitor(admin, repo, schedule=DAILY, channel_ids=[team["id"]])
    await _make_due(session, monitor["id"])
    with statements_run(app) as statements:
        stats = await run_worker()
    assert stats.digests_made == 1
    monitor_writes = [s for s in statements if s.lstrip().startswith("UPDATE monitors")]
    # One to move its next run forward when the period is queued, one when the run ends.
    assert len(monitor_writes) == 2, monitor_writes
    shown = (await admin.get(f"/api/orgs/acme/monitors/{monitor['id']}")).json()
    digest = (await session.scalars(select(DigestRecord))).one()
    assert shown["last_run_status"] == "ok"
    assert shown["last_run_at"] is not None
    assert datetime.fromisoformat(shown["last_run_at"]) <= digest.created_at
