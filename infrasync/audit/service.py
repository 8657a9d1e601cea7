"""The audit log: who did what to which target, when and from where (SPEC §6).

Rows are written in the same transaction as the action they record, so an action that
fails leaves no row and an action that succeeds always leaves one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.audit import repository
from infrasync.auth.context import Actor, OrgContext
from infrasync.kit.client_info import ClientInfo
from infrasync.models import AuditEvent


@dataclass(frozen=True)
class Target:
    type: str
    id: str
    label: str


async def record(
    session: AsyncSession,
    action: str,
    *,
    actor: Actor,
    client: ClientInfo,
    org_id: uuid.UUID | None = None,
    target: Target | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        org_id=org_id,
        actor_type=actor.type,
        actor_user_id=actor.user_id,
        actor_api_key_id=actor.api_key_id,
        actor_label=actor.label,
        action=action,
        target_type=target.type if target else None,
        target_id=target.id if target else None,
        target_label=target.label if target else None,
        details=details or {},
        ip=client.ip,
        user_agent=client.user_agent,
    )
    await repository.add(session, event)
    return event


async def page_for_org(
    session: AsyncSession, org_id: uuid.UUID, *, limit: int, cursor: str | None, action: str | None
) -> tuple[list[AuditEvent], str | None]:
    return await repository.page(
        session, org_id=org_id, user_id=None, limit=limit, cursor=cursor, action=action
    )


async def page_for_user(
    session: AsyncSession, user_id: uuid.UUID, *, limit: int, cursor: str | None
) -> tuple[list[AuditEvent], str | None]:
    return await repository.page(
        session, org_id=None, user_id=user_id, limit=limit, cursor=cursor, action=None
    )


async def record_in_org(
    session: AsyncSession,
    context: OrgContext,
    action: str,
    client: ClientInfo,
    target: Target,
    details: Mapping[str, object] | None = None,
) -> None:
    """Records an action taken in the org of `context` by its caller."""
    await record(
        session,
        action,
        actor=context.actor,
        client=client,
        org_id=context.org.id,
        target=target,
        details=dict(details) if details else None,
    )
