"""The audit log: who did what to which target, when and from where (SPEC §6).

Rows are written in the same transaction as the action they record, so an action that
fails leaves no row and an action that succeeds always leaves one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.audit import repository
from infrasync.kit.client_info import ClientInfo
from infrasync.models import ApiKey, AuditEvent, User

if TYPE_CHECKING:  # deps imports this module for Actor
    from infrasync.deps import OrgContext

ActorType = Literal["user", "api_key", "system"]


@dataclass(frozen=True)
class Actor:
    type: ActorType
    user_id: uuid.UUID | None
    api_key_id: uuid.UUID | None
    label: str

    @classmethod
    def of_user(cls, user: User) -> Actor:
        return cls(type="user", user_id=user.id, api_key_id=None, label=user.login)

    @classmethod
    def of_api_key(cls, key: ApiKey) -> Actor:
        return cls(
            type="api_key", user_id=None, api_key_id=key.id, label=f"{key.name} ({key.hint}…)"
        )

    @classmethod
    def system(cls, label: str = "infrasync") -> Actor:
        return cls(type="system", user_id=None, api_key_id=None, label=label)


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
