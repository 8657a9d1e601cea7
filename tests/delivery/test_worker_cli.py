"""`infrasync tick` and `infrasync worker` as real processes: a tick works the queue
once and says what it did; a worker stops on SIGTERM; neither starts on a schema that
is not current."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.kit.time import utcnow
from infrasync.models import Monitor, WorkerHeartbeat
from infrasync.scheduler.schedule import Schedule, next_fire, previous_fire
from tests.conftest import Personas, SignIn
from tests.delivery.conftest import ENCRYPTION_KEY, make_channel, make_monitor
from tests.fakes.chat_receivers import SlackReceiver
from tests.live_server import cli_environment, run_cli

HOURLY = Schedule(kind="cron", cron="0 * * * *", timezone="UTC")


def _environment(settings_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "INFRASYNC_DATABASE_URL": settings_url,
        "INFRASYNC_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "INFRASYNC_ALLOW_PRIVATE_WEBHOOKS": "true",
        "INFRASYNC_LOCAL_SOURCE_ROOTS": str(tmp_path),
    }


async def test_a_tick_makes_and_delivers_what_is_due_then_exits(
    app: FastAPI,
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    session: AsyncSession,
    slack: SlackReceiver,
    database_url: str,
    tmp_path: Path,
) -> None:
    admin = await sign_in(personas.admin)
    url = slack.webhook_url()
    team = await make_channel(admin, kind="slack", name="Team", url=url)
    monitor = await make_monitor(
        admin,
        repo,
        schedule={"kind": "cron", "cron": "0 * * * *", "timezone": "UTC"},
        channel_ids=[team["id"]],
    )
    fire = next_fire(HOURLY, utcnow())
    assert fire is not None
    await session.execute(
        update(Monitor)
        .where(Monitor.id == uuid.UUID(str(monitor["id"])))
        .values(next_run_at=previous_fire(HOURLY, fire))
    )
    await session.commit()

    ticked = await asyncio.to_thread(
        run_cli, "tick", "--max-seconds", "60", cwd=tmp_path, **_environment(database_url, tmp_path)
    )

    assert ticked.returncode == 0, ticked.stderr
    assert "made 1 digest(s)" in ticked.stderr
    assert "1 delivery(ies) delivered" in ticked.stderr
    assert ticked.stdout == ""
    assert len(slack.accepted()) == 1
    assert url.rsplit("/", 1)[1] not in ticked.stderr  # nothing of the URL in its output


async def test_a_worker_stops_on_sigterm(
    app: FastAPI, session: AsyncSession, database_url: str, tmp_path: Path
) -> None:
    process = subprocess.Popen(  # noqa: ASYNC220 (a long-running child, watched below)
        [sys.executable, "-m", "infrasync", "worker"],
        cwd=tmp_path,
        env=cli_environment(**_environment(database_url, tmp_path)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(600):  # its first heartbeat: it is working
            seen = await session.scalar(select(func.count()).select_from(WorkerHeartbeat))
            await session.commit()
            if seen or process.poll() is not None:
                break
            await asyncio.sleep(0.05)
        assert process.poll() is None, process.communicate()[1]
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.to_thread(process.communicate, timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "worker stopped" in stderr


async def test_workers_refuse_a_schema_that_is_not_current(tmp_path: Path) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    for command in (("tick",), ("worker",)):
        result = await asyncio.to_thread(
            run_cli, *command, cwd=tmp_path, INFRASYNC_DATABASE_URL=empty
        )
        assert result.returncode == 2, result.stderr
        assert "run `infrasync migrate` first" in result.stderr
        assert "Traceback" not in result.stderr
