from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.kit.pagination import keyset, page_of
from infrasync.models import AuditEvent


async def add(session: AsyncSession, event: AuditEvent) -> None:
    session.add(event)
    await session.flush()


async def page(
    session: AsyncSession,
    *,
    org_id: uuid.UUID | None,
    user_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
    action: str | None,
) -> tuple[list[AuditEvent], str | None]:
    query = select(AuditEvent)
    if org_id is not None:
        query = query.where(AuditEvent.org_id == org_id)
    if user_id is not None:
        query = query.where(AuditEvent.actor_user_id == user_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    rows = (await session.scalars(keyset(query, AuditEvent, limit=limit, cursor=cursor))).all()
    return page_of(rows, limit)
