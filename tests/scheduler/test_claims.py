"""Claims under contention: workers claiming at the same moment never take more than
they asked for (a worker's concurrency is its bound) and never take the same item."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrasync.db import create_engine_for, session_factory
from infrasync.delivery import service as delivery_service
from infrasync.delivery.service import DeliveryPolicy
from infrasync.kit.crypto import SecretBox
from infrasync.kit.time import utcnow
from infrasync.models import Delivery, DigestRecord, DigestRun
from infrasync.scheduler import service
from infrasync.scheduler.service import RunPolicy
from tests.chaos.world import ChannelSpec, Source, add_due_monitors
from tests.factories import make_org

ITEMS = 400
LIMIT = 6
CLAIMERS = 6

Factory = async_sessionmaker[AsyncSession]
Claim = Callable[[AsyncSession, str], Awaitable[list[uuid.UUID]]]


@pytest.fixture
async def factory(database_url: str) -> AsyncIterator[Factory]:
    engine = create_engine_for(database_url)
    yield session_factory(engine)
    await engine.dispose()


async def add_runs_and_deliveries(factory: Factory) -> None:
    """ITEMS due runs of one monitor, and ITEMS due deliveries of one digest."""
    box = SecretBox.from_keys([Fernet.generate_key().decode()])
    async with factory() as session:
        org = await make_org(session, "Claims")
        [monitor] = await add_due_monitors(
            session,
            box,
            org.id,
            Source("acme/app", "github"),
            1,
            lambda _: [
                ChannelSpec("slack", f"https://hooks.slack.com/services/T1/B{n}/x")
                for n in range(ITEMS)
            ],
        )
        now = utcnow()
        digest = DigestRecord(
            org_id=org.id,
            monitor_id=monitor.id,
            period_since=now - timedelta(days=1),
            period_until=now,
            repository={},
            writer="builtin",
            text="",
            metrics={},
            items={},
            trigger="schedule",
        )
        session.add(digest)
        await session.flush()
        base = {"org_id": org.id, "created_at": now, "updated_at": now}
        await session.execute(
            insert(DigestRun),
            [
                {
                    **base,
                    "id": uuid.uuid4(),
                    "monitor_id": monitor.id,
                    "period_since": now - timedelta(days=n + 1),
                    "period_until": now - timedelta(days=n),
                    "trigger": "schedule",
                    "state": "queued",
                    "not_before": now - timedelta(seconds=n),
                }
                for n in range(ITEMS)
            ],
        )
        await session.execute(
            insert(Delivery),
            [
                {
                    **base,
                    "id": uuid.uuid4(),
                    "digest_id": digest.id,
                    "channel_id": channel_id,
                    "next_attempt_at": now - timedelta(seconds=n),
                    "receipts": [],
                }
                for n, (channel_id, _) in enumerate(monitor.channels)
            ],
        )
        await session.commit()


async def claim_until_empty(factory: Factory, claim: Claim) -> list[list[uuid.UUID]]:
    """CLAIMERS workers claiming LIMIT at a time, all at once, until nothing is left."""
    taken: list[list[uuid.UUID]] = []

    async def worker(name: str) -> None:
        while True:
            async with factory() as session:
                ids = await claim(session, name)
                await session.commit()
            if not ids:
                return
            taken.append(ids)

    await asyncio.gather(*(worker(f"worker-{n}") for n in range(CLAIMERS)))
    return taken


async def claim_runs(session: AsyncSession, worker_id: str) -> list[uuid.UUID]:
    policy = RunPolicy(lease=timedelta(minutes=5))
    return await service.claim(session, worker_id, policy, LIMIT)


async def claim_deliveries(session: AsyncSession, worker_id: str) -> list[uuid.UUID]:
    policy = DeliveryPolicy(lease=timedelta(minutes=5))
    return await delivery_service.claim(session, worker_id, policy, LIMIT)


@pytest.mark.parametrize("claim", [claim_runs, claim_deliveries], ids=["runs", "deliveries"])
async def test_workers_claiming_at_once_take_at_most_their_limit_and_never_the_same_item(
    factory: Factory, claim: Claim
) -> None:
    await add_runs_and_deliveries(factory)

    taken = await claim_until_empty(factory, claim)

    assert max(len(ids) for ids in taken) <= LIMIT
    counts = Counter(item for ids in taken for item in ids)
    assert len(counts) == ITEMS
    assert set(counts.values()) == {1}
