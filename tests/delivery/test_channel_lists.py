"""What the channels page shows of each channel: only the org's live channels, oldest
first; the live monitors that use each; each email recipient's suppression; and the
channel's newest delivery. A new digest is queued for exactly the monitor's live,
enabled channels."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.delivery import service as delivery_service
from infrasync.kit.time import utcnow
from infrasync.models import (
    Channel,
    Delivery,
    DigestRecord,
    EmailSuppression,
    Monitor,
    Org,
    monitor_channels,
)
from tests.conftest import Personas, SignIn

NOW = utcnow()


def _ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


async def _channel(
    session: AsyncSession,
    org: Org,
    name: str,
    created_at: datetime,
    *,
    addresses: list[str] | None = None,
    **fields: object,
) -> Channel:
    channel = Channel(
        org_id=org.id,
        kind="email" if addresses else "webhook",
        name=name,
        hint="…" + name.lower(),
        addresses=addresses or [],
        created_at=created_at,
        **fields,
    )
    session.add(channel)
    await session.flush()
    return channel


async def _monitor(
    session: AsyncSession, org: Org, name: str, channels: list[Channel], **fields: object
) -> Monitor:
    monitor = Monitor(org_id=org.id, name=name, source="acme/app", source_kind="github", **fields)
    session.add(monitor)
    await session.flush()
    if channels:
        await session.execute(
            insert(monitor_channels),
            [{"monitor_id": monitor.id, "channel_id": channel.id} for channel in channels],
        )
    return monitor


async def _digest(session: AsyncSession, monitor: Monitor, until: datetime) -> DigestRecord:
    digest = DigestRecord(
        org_id=monitor.org_id,
        monitor_id=monitor.id,
        period_since=until - timedelta(days=1),
        period_until=until,
        repository={"name": "acme/app"},
        writer="builtin",
        text="digest",
        metrics={"schema": 1},
        items={},
        trigger="schedule",
        created_at=until,
    )
    session.add(digest)
    await session.flush()
    return digest


async def _delivery(
    session: AsyncSession, digest: DigestRecord, channel: Channel, state: str
) -> Delivery:
    # A digest's deliveries are made in its transaction: they share its creation time.
    delivery = Delivery(
        org_id=digest.org_id,
        digest_id=digest.id,
        channel_id=channel.id,
        state=state,
        next_attempt_at=digest.created_at,
        receipts=[],
        created_at=digest.created_at,
    )
    session.add(delivery)
    await session.flush()
    return delivery


@dataclass
class World:
    mail: Channel
    ops: Channel
    team: Channel
    backup: Channel
    theirs: Channel
    weekly: Monitor
    daily: Monitor
    team_newest: Delivery
    mail_newest: Delivery


async def _world(session: AsyncSession, personas: Personas) -> World:
    acme, globex = personas.org, personas.other_org
    # Inserted in another order than they were made: the page lists them as made.
    team = await _channel(session, acme, "Team", _ago(hours=3))
    mail = await _channel(
        session, acme, "Mail", _ago(hours=5), addresses=["ann@example.com", "bob@example.com"]
    )
    ops = await _channel(session, acme, "Ops", _ago(hours=4))
    await _channel(session, acme, "Old", _ago(hours=6), deleted_at=_ago(hours=1))
    backup = await _channel(
        session, acme, "Backup", _ago(hours=2), addresses=["bob@example.com", "cy@example.com"]
    )
    theirs = await _channel(session, globex, "Theirs", _ago(hours=7), addresses=["ann@example.com"])

    weekly = await _monitor(session, acme, "weekly", [team, mail])
    daily = await _monitor(session, acme, "daily", [team])
    await _monitor(session, acme, "gone", [ops], deleted_at=_ago(hours=1))
    elsewhere = await _monitor(session, globex, "theirs", [theirs])

    session.add_all(
        [
            EmailSuppression(channel_id=mail.id, address="bob@example.com", reason="unsubscribed"),
            EmailSuppression(channel_id=backup.id, address="cy@example.com", reason="refused"),
            EmailSuppression(channel_id=theirs.id, address="ann@example.com", reason="refused"),
        ]
    )

    oldest, older, old, newest = (
        await _digest(session, weekly, _ago(days=3)),
        await _digest(session, weekly, _ago(days=2)),
        await _digest(session, weekly, _ago(days=1)),
        await _digest(session, weekly, _ago(hours=12)),
    )
    # Team's newest delivery comes in the middle of its rows; Mail has an older one made
    # at the very moment of Team's newest (one digest, both channels).
    await _delivery(session, oldest, team, "failed")
    team_newest = await _delivery(session, old, team, "delivered")
    await _delivery(session, older, team, "cancelled")
    await _delivery(session, old, mail, "failed")
    mail_newest = await _delivery(session, newest, mail, "pending")
    # Another org's channel had a delivery later than all of Acme's.
    await _delivery(session, await _digest(session, elsewhere, _ago(hours=1)), theirs, "failed")
    await session.commit()
    return World(mail, ops, team, backup, theirs, weekly, daily, team_newest, mail_newest)


def _by_name(listed: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {channel["name"]: channel for channel in listed}


def _last(channel: dict[str, Any]) -> tuple[str, str] | None:
    last = channel["last_delivery"]
    return None if last is None else (last["id"], last["state"])


async def test_the_list_shows_each_live_channel_with_its_monitors_recipients_and_newest_delivery(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    world = await _world(session, personas)
    admin = await sign_in(personas.admin)

    listed = (await admin.get("/api/orgs/acme/channels")).json()

    assert [c["name"] for c in listed] == ["Mail", "Ops", "Team", "Backup"]
    shown = _by_name(listed)
    assert sorted(shown["Team"]["monitor_ids"]) == sorted(
        [str(world.weekly.id), str(world.daily.id)]
    )
    assert shown["Mail"]["monitor_ids"] == [str(world.weekly.id)]
    assert shown["Ops"]["monitor_ids"] == []  # its only monitor was deleted
    assert shown["Backup"]["monitor_ids"] == []
    # A suppression is one channel's: Bob unsubscribed from Mail, not from Backup.
    assert shown["Mail"]["addresses"] == [
        {"address": "ann@example.com", "status": "active"},
        {"address": "bob@example.com", "status": "unsubscribed"},
    ]
    assert shown["Backup"]["addresses"] == [
        {"address": "bob@example.com", "status": "active"},
        {"address": "cy@example.com", "status": "refused"},
    ]
    assert shown["Team"]["addresses"] == []
    assert _last(shown["Team"]) == (str(world.team_newest.id), "delivered")
    assert _last(shown["Mail"]) == (str(world.mail_newest.id), "pending")
    assert _last(shown["Ops"]) is None
    assert _last(shown["Backup"]) is None

    # One channel's page shows the same as its row in the list.
    for channel in (world.mail, world.ops, world.team, world.backup):
        one = (await admin.get(f"/api/orgs/acme/channels/{channel.id}")).json()
        assert one == shown[channel.name]


async def test_members_see_the_same_channels_without_hints_or_recipients(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    world = await _world(session, personas)
    member = await sign_in(personas.member)

    listed = _by_name((await member.get("/api/orgs/acme/channels")).json())

    assert list(listed) == ["Mail", "Ops", "Team", "Backup"]
    assert all(c["hint"] == "" and c["addresses"] == [] for c in listed.values())
    assert _last(listed["Team"]) == (str(world.team_newest.id), "delivered")


async def test_a_deleted_or_foreign_channel_is_not_found(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    world = await _world(session, personas)
    old = await session.scalar(select(Channel).where(Channel.name == "Old"))
    assert old is not None
    admin, outsider = await sign_in(personas.admin), await sign_in(personas.outsider)

    assert (await admin.get(f"/api/orgs/acme/channels/{old.id}")).status_code == 404
    assert (await admin.get(f"/api/orgs/acme/channels/{world.theirs.id}")).status_code == 404
    assert (await admin.get(f"/api/orgs/acme/channels/{uuid.uuid4()}")).status_code == 404
    # Their own channel is theirs to see; Acme's is not, whichever org they name.
    theirs = await outsider.get(f"/api/orgs/globex/channels/{world.theirs.id}")
    assert theirs.status_code == 200
    assert theirs.json()["addresses"] == [{"address": "ann@example.com", "status": "refused"}]
    for slug in ("acme", "globex"):
        response = await outsider.get(f"/api/orgs/{slug}/channels/{world.team.id}")
        assert response.status_code == 404
    changed = await admin.patch(f"/api/orgs/acme/channels/{world.theirs.id}", json={"name": "x"})
    assert changed.status_code == 404
    unchanged = await outsider.get(f"/api/orgs/globex/channels/{world.theirs.id}")
    assert unchanged.json()["name"] == "Theirs"


async def test_a_new_digest_is_queued_for_the_monitors_live_enabled_channels_only(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    acme = personas.org
    first = await _channel(session, acme, "First", _ago(hours=4))
    second = await _channel(session, acme, "Second", _ago(hours=5))
    off = await _channel(
        session, acme, "Off", _ago(hours=3), disabled_at=_ago(hours=1), disabled_reason="410"
    )
    gone = await _channel(session, acme, "Gone", _ago(hours=2), deleted_at=_ago(hours=1))
    unrelated = await _channel(session, acme, "Unrelated", _ago(hours=1))
    monitor = await _monitor(session, acme, "weekly", [first, second, off, gone])
    await _monitor(session, acme, "other", [unrelated])
    digest = await _digest(session, monitor, NOW)

    queued = await delivery_service.enqueue(session, digest)
    await session.commit()

    assert queued == 2
    rows = (await session.scalars(select(Delivery).where(Delivery.digest_id == digest.id))).all()
    assert sorted(row.channel_id for row in rows) == sorted([first.id, second.id])
    assert {row.state for row in rows} == {"pending"}
    admin = await sign_in(personas.admin)
    listed = _by_name((await admin.get("/api/orgs/acme/channels")).json())
    assert {name for name, c in listed.items() if c["last_delivery"] is not None} == {
        "First",
        "Second",
    }
