"""Rows the retention tests stand on: plain functions, one row each."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.kit.time import utcnow
from infrasync.kit.tokens import hash_token, new_token
from infrasync.models import Channel, Delivery, DigestRecord, DigestRun, Invite, Monitor, Org, User
from infrasync.models.membership import Role

# The metrics of a week with nothing in it (SPEC §7, schema 1).
QUIET_WEEK: dict[str, object] = {
    "schema": 1,
    **dict.fromkeys(("commits", "authors", "releases", "contributors"), 0),
    **dict.fromkeys(
        (
            "prs_opened",
            "prs_merged",
            "prs_closed_unmerged",
            "prs_open_at_end",
            "prs_stale",
            "issues_opened",
            "issues_closed",
            "first_time_contributors",
            "time_to_merge_hours",
            "time_to_first_review_hours",
        ),
        None,
    ),
}


async def monitor(
    session: AsyncSession, org: Org, creator: User | None, name: str = "app", **fields: object
) -> Monitor:
    row = Monitor(
        org_id=org.id,
        name=name,
        source=f"acme/{name}",
        source_kind="github",
        created_by_id=creator.id if creator else None,
        **fields,
    )
    session.add(row)
    await session.flush()
    return row


async def digest(
    session: AsyncSession,
    org: Org,
    of: Monitor,
    triggered_by: User | None,
    *,
    created_at: datetime | None = None,
    days_ago: int = 7,
) -> DigestRecord:
    until = utcnow() - timedelta(days=days_ago)
    row = DigestRecord(
        org_id=org.id,
        monitor_id=of.id,
        period_since=until - timedelta(days=7),
        period_until=until,
        repository={"kind": "github", "name": of.source, "url": None},
        writer="builtin",
        text="A quiet week.",
        metrics=QUIET_WEEK,
        items={},
        trigger="manual" if triggered_by else "schedule",
        triggered_by_user_id=triggered_by.id if triggered_by else None,
        triggered_by_label=triggered_by.login if triggered_by else "schedule",
        created_at=created_at or until,
    )
    session.add(row)
    await session.flush()
    return row


async def queued_run(
    session: AsyncSession, org: Org, of: Monitor, triggered_by: User | None
) -> DigestRun:
    now = utcnow()
    row = DigestRun(
        org_id=org.id,
        monitor_id=of.id,
        period_since=now - timedelta(days=7),
        period_until=now,
        trigger="manual" if triggered_by else "schedule",
        triggered_by_user_id=triggered_by.id if triggered_by else None,
        triggered_by_label=triggered_by.login if triggered_by else "schedule",
        not_before=now,
    )
    session.add(row)
    await session.flush()
    return row


async def email_channel(
    session: AsyncSession, org: Org, addresses: list[str], name: str = "Team mail"
) -> Channel:
    row = Channel(org_id=org.id, kind="email", name=name, addresses=addresses, hint="")
    session.add(row)
    await session.flush()
    return row


async def pending_delivery(
    session: AsyncSession, org: Org, of: DigestRecord, to: Channel
) -> Delivery:
    row = Delivery(org_id=org.id, digest_id=of.id, channel_id=to.id, next_attempt_at=utcnow())
    session.add(row)
    await session.flush()
    return row


async def invite(session: AsyncSession, org: Org, by: User) -> Invite:
    row = Invite(
        org_id=org.id,
        token_hash=hash_token(new_token()),
        role=Role.MEMBER,
        email="newcomer@example.test",
        invited_by_id=by.id,
        expires_at=utcnow() + timedelta(days=7),
    )
    session.add(row)
    await session.flush()
    return row
