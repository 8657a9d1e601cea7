"""Due monitors with channels, written straight into a database, for the chaos test and
bench/fanout.py: many monitors whose daily fire has just passed, as the scheduler finds
them after a quiet night, each with its own Slack, Discord or webhook channels.

Rows are inserted in bulk (Core inserts, not the ORM one by one): 100,000 monitors must
take seconds, not minutes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.delivery import transports
from infrasync.kit.crypto import SecretBox
from infrasync.kit.time import utcnow
from infrasync.models import Channel, Monitor, monitor_channels
from infrasync.scheduler.schedule import Schedule, next_fire

BATCH = 2000


@dataclass(frozen=True)
class ChannelSpec:
    kind: str  # slack, discord or webhook
    url: str
    secret: str | None = None  # a webhook's signing secret (whsec_…)


@dataclass(frozen=True)
class SeededMonitor:
    id: uuid.UUID
    channels: tuple[tuple[uuid.UUID, ChannelSpec], ...]  # (channel id, what it is)


@dataclass(frozen=True)
class Source:
    """Where every monitor reads: a local git repository, or a GitHub repository read
    with a member's stored credential."""

    source: str
    kind: str  # git or github
    credential_id: uuid.UUID | None = None


def last_daily_fire(now: datetime) -> tuple[str, datetime]:
    """A daily UTC schedule's `at` and its fire about an hour ago: that fire is due now,
    and it is the only one (the one before was a day earlier, already made)."""
    at = (now - timedelta(hours=1)).strftime("%H:%M")
    fire = next_fire(Schedule(kind="daily", at=at), now - timedelta(days=1))
    assert fire is not None
    assert fire <= now
    return at, fire


async def add_due_monitors(
    session: AsyncSession,
    box: SecretBox,
    org_id: uuid.UUID,
    source: Source,
    count: int,
    channels_of: Callable[[int], Sequence[ChannelSpec]],
    *,
    now: datetime | None = None,
) -> list[SeededMonitor]:
    """`count` monitors due now (daily, UTC), the n-th with the channels `channels_of(n)`
    names. Not committed."""
    at, fire = last_daily_fire(now or utcnow())
    stamp = utcnow()
    seeded: list[SeededMonitor] = []
    monitors: list[dict[str, Any]] = []
    channels: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for number in range(count):
        monitor_id = uuid.uuid4()
        monitors.append(_monitor_row(monitor_id, org_id, source, number, at, fire, stamp))
        own = tuple((uuid.uuid4(), spec) for spec in channels_of(number))
        seeded.append(SeededMonitor(monitor_id, own))
        for position, (channel_id, spec) in enumerate(own):
            channels.append(_channel_row(channel_id, org_id, box, spec, number, position, stamp))
            links.append({"monitor_id": monitor_id, "channel_id": channel_id})
    for statement, rows in (
        (insert(Monitor), monitors),
        (insert(Channel), channels),
        (insert(monitor_channels), links),
    ):
        for start in range(0, len(rows), BATCH):
            await session.execute(statement, rows[start : start + BATCH])
    return seeded


def _monitor_row(
    monitor_id: uuid.UUID,
    org_id: uuid.UUID,
    source: Source,
    number: int,
    at: str,
    fire: datetime,
    stamp: datetime,
) -> dict[str, Any]:
    return {
        "id": monitor_id,
        "created_at": stamp,
        "updated_at": stamp,
        "org_id": org_id,
        "name": f"service {number}",
        "source": source.source,
        "source_kind": source.kind,
        "credential_id": source.credential_id,
        "sections": [],
        "extra_bots": [],
        "include_bots": False,
        "skip_empty": False,
        "include_pr_descriptions": False,
        "writer": "builtin",
        "stale_days": 3,
        "paused": False,
        "schedule_kind": "daily",
        "schedule_timezone": "UTC",
        "schedule_at": at,
        "next_run_at": fire,
    }


def _channel_row(
    channel_id: uuid.UUID,
    org_id: uuid.UUID,
    box: SecretBox,
    spec: ChannelSpec,
    number: int,
    position: int,
    stamp: datetime,
) -> dict[str, Any]:
    return {
        "id": channel_id,
        # Distinct creation times keep "a monitor's channels in creation order" stable.
        "created_at": stamp + timedelta(microseconds=position),
        "updated_at": stamp,
        "org_id": org_id,
        "kind": spec.kind,
        "name": f"{spec.kind} of service {number}",
        "url_sealed": box.seal(spec.url),
        "signing_secret_sealed": box.seal(spec.secret) if spec.secret else None,
        "hint": transports.url_hint(spec.url),
        "addresses": [],
    }
