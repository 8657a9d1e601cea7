"""infrasync.aws.lambda_handler: one tick per invocation within the time Lambda gives it,
with its settings read from SSM Parameter Store at cold start (moto's SSM server on
127.0.0.1, the real AWS protocol) and a real database."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.aws import lambda_handler
from infrasync.models import Delivery, Monitor
from tests.conftest import Personas, SignIn
from tests.delivery.conftest import ENCRYPTION_KEY, make_channel, make_monitor
from tests.delivery.test_worker_delivery import DAILY, _make_due
from tests.fakes.chat_receivers import SlackReceiver, Slow

PREFIX = "/infrasync/lambda-test"


@dataclass
class Context:
    """Lambda's context, as far as the handler reads it."""

    remaining_ms: int

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture(scope="module")
def ssm_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def lambda_environment(
    ssm_endpoint: str, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """What deploy/aws gives the function: INFRASYNC_SSM_PREFIX and plain settings in its
    environment; the database URL and the keys only in SSM, as SecureStrings."""
    prefix = f"{PREFIX}/{uuid.uuid4().hex[:8]}"
    for name, value in {
        "AWS_ENDPOINT_URL_SSM": ssm_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "INFRASYNC_SSM_PREFIX": prefix,
        "INFRASYNC_LOCAL_SOURCE_ROOTS": str(tmp_path),
        "INFRASYNC_ALLOW_PRIVATE_WEBHOOKS": "true",
        "INFRASYNC_GITHUB_API_URL": "http://127.0.0.1:9",
    }.items():
        monkeypatch.setenv(name, value)
    ssm = boto3.client("ssm")
    for name, value in {
        "DATABASE_URL": database_url,
        "ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "SECRET_KEY": "lambda-test-secret-key-" + "x" * 32,
    }.items():
        ssm.put_parameter(Name=f"{prefix}/{name}", Value=value, Type="SecureString")
    lambda_handler.cold_start_settings.cache_clear()
    yield
    lambda_handler.cold_start_settings.cache_clear()


async def _due_monitor_to_slack(
    sign_in: SignIn, personas: Personas, repo: Path, session: AsyncSession, slack: SlackReceiver
) -> uuid.UUID:
    admin = await sign_in(personas.admin)
    team = await make_channel(admin, kind="slack", name="Team", url=slack.webhook_url())
    monitor = await make_monitor(admin, repo, schedule=DAILY, channel_ids=[team["id"]])
    await _make_due(session, monitor["id"])
    return uuid.UUID(str(monitor["id"]))


async def test_an_invocation_makes_and_delivers_the_due_digest_with_settings_from_ssm(
    lambda_environment: None,
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    session: AsyncSession,
    slack: SlackReceiver,
) -> None:
    await _due_monitor_to_slack(sign_in, personas, repo, session, slack)

    # asyncio.run inside: Lambda calls the handler with no loop running.
    result = await asyncio.to_thread(lambda_handler.handler, {}, Context(remaining_ms=60_000))

    assert result["status"] == "ok"
    assert result["digests_made"] == 1
    assert result["deliveries_delivered"] == 1
    assert len(slack.accepted()) == 1
    # 60 s: the grace (20 s, capped at a tenth: 6 s) and the 5 s reserve come off.
    assert result["max_seconds"] == 49.0
    assert result["grace_seconds"] == 6.0


async def test_a_short_invocation_hands_back_what_it_cannot_finish_before_lambda_ends_it(
    lambda_environment: None,
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    session: AsyncSession,
    slack: SlackReceiver,
) -> None:
    """Slack holds the post longer than the invocation lasts: the tick returns within
    its 4 s, with the delivery handed back for the next tick rather than left claimed."""
    await _due_monitor_to_slack(sign_in, personas, repo, session, slack)
    held = threading.Event()
    slack.script(Slow(release=held))
    try:
        result = await asyncio.to_thread(lambda_handler.handler, {}, Context(remaining_ms=4_000))
    finally:
        held.set()

    assert result["status"] == "ok"
    assert result["max_seconds"] == pytest.approx(3.2)
    assert result["grace_seconds"] == pytest.approx(0.4)
    assert result["digests_made"] == 1
    delivery = await session.scalar(select(Delivery).execution_options(populate_existing=True))
    assert delivery is not None
    assert delivery.state == "pending"
    assert delivery.claimed_by is None
    assert delivery.attempts == 0


async def test_too_little_time_left_claims_nothing(
    lambda_environment: None,
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    session: AsyncSession,
    slack: SlackReceiver,
) -> None:
    monitor_id = await _due_monitor_to_slack(sign_in, personas, repo, session, slack)
    due_at = await session.scalar(select(Monitor.next_run_at).where(Monitor.id == monitor_id))

    result = await asyncio.to_thread(lambda_handler.handler, {}, Context(remaining_ms=1_000))

    assert result["status"] == "skipped"
    await session.commit()
    still = await session.scalar(select(Monitor.next_run_at).where(Monitor.id == monitor_id))
    assert still == due_at
    assert slack.requests() == []


def test_the_budget_leaves_the_grace_and_the_reserve_before_lambda_ends() -> None:
    fifteen_minutes = lambda_handler.budget(900_000, grace_seconds=20.0)
    assert fifteen_minutes.max_seconds == 900 - 20 - 5
    assert fifteen_minutes.grace_seconds == 20
    short = lambda_handler.budget(2_000, grace_seconds=20.0)
    assert short.max_seconds + short.grace_seconds < 2.0


async def test_the_queue_metrics_reach_cloudwatch_as_embedded_metric_format(
    lambda_environment: None,
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    session: AsyncSession,
    slack: SlackReceiver,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The figures deploy/aws alarms and scales workers on: a due monitor shows as lag,
    and no heartbeat is published before any worker was seen (the alarm breaches on
    missing data); after a tick, the heartbeat is there."""
    await _due_monitor_to_slack(sign_in, personas, repo, session, slack)
    context = Context(remaining_ms=60_000)

    before = await asyncio.to_thread(lambda_handler.publish_queue_metrics, {}, context)
    (line,) = [x for x in capfd.readouterr().out.splitlines() if x.startswith('{"_aws"')]
    record = json.loads(line)
    (directive,) = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Infrasync"
    assert directive["Dimensions"] == [["Service"]]
    names = {metric["Name"] for metric in directive["Metrics"]}
    assert names == {"QueueLagSeconds", "OldestUnsentDeliverySeconds", "DisabledChannels"}
    assert record["QueueLagSeconds"] == before["QueueLagSeconds"] > 0

    await asyncio.to_thread(lambda_handler.handler, {}, context)
    after = await asyncio.to_thread(lambda_handler.publish_queue_metrics, {}, context)
    assert after["QueueLagSeconds"] == 0
    assert 0 <= after["WorkerHeartbeatAgeSeconds"] < 60
