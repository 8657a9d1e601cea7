from __future__ import annotations

import uuid

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.kit.pagination import decode_cursor, encode_cursor
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
    if cursor is not None:
        created_at, row_id = decode_cursor(cursor)
        query = query.where(
            or_(
                AuditEvent.created_at < created_at,
                and_(AuditEvent.created_at == created_at, AuditEvent.id < row_id),
            )
        )
    query = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit + 1)
    rows = list((await session.execute(query)).scalars())
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.created_at, last.id)
