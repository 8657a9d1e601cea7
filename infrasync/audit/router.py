from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from infrasync.audit import service
from infrasync.audit.schemas import AuditActor, AuditEventOut, AuditPage, AuditTarget
from infrasync.deps import AdminOrg, CurrentUser, DbSession
from infrasync.errors import documented
from infrasync.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from infrasync.models import AuditEvent

router = APIRouter(prefix="/api", tags=["audit"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of a page")]


def event_out(event: AuditEvent) -> AuditEventOut:
    actor_id = event.actor_api_key_id if event.actor_type == "api_key" else event.actor_user_id
    actor = AuditActor(
        type=event.actor_type,  # written only from Actor.type
        id=actor_id,
        label=event.actor_label,
    )
    target = (
        AuditTarget(type=event.target_type, id=event.target_id, label=event.target_label)
        if event.target_type and event.target_id
        else None
    )
    return AuditEventOut(
        id=event.id,
        action=event.action,
        actor=actor,
        target=target,
        details=event.details,
        ip=event.ip,
        user_agent=event.user_agent,
        created_at=event.created_at,
    )


@router.get(
    "/orgs/{org}/audit",
    response_model=AuditPage,
    responses=documented(400, 401, 403, 404),
)
async def org_audit_log(
    context: AdminOrg,
    session: DbSession,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> AuditPage:
    """The org's audit log, newest first. Pass `next_cursor` as `cursor` for the next page."""
    events, next_cursor = await service.page_for_org(
        session, context.org.id, limit=limit, cursor=cursor, action=action
    )
    return AuditPage(items=[event_out(e) for e in events], next_cursor=next_cursor)


@router.get(
    "/me/audit",
    response_model=AuditPage,
    responses={
        400: {"description": "The cursor is not valid"},
        401: {"description": "Not signed in"},
    },
)
async def my_audit_log(
    user: CurrentUser, session: DbSession, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> AuditPage:
    """What you did, newest first: your sign-ins and sign-outs, and your actions in orgs."""
    events, next_cursor = await service.page_for_user(session, user.id, limit=limit, cursor=cursor)
    return AuditPage(items=[event_out(e) for e in events], next_cursor=next_cursor)
