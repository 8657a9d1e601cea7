"""`/api/orgs/{org}/monitors`: viewers read, members and up write (SPEC §5)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.deps import AppSettings, Client, DbSession, MemberOrg, ViewerOrg
from infrasync.errors import documented
from infrasync.models import Monitor
from infrasync.monitors import repository, service
from infrasync.monitors.schemas import CredentialOut, MonitorCreate, MonitorOut, MonitorUpdate

router = APIRouter(prefix="/api/orgs/{org}/monitors", tags=["monitors"])
READ = documented(401, 403, 404)
WRITE = documented(400, 401, 403, 404)


async def monitor_out(session: AsyncSession, monitor: Monitor) -> MonitorOut:
    credential = None
    if monitor.credential_id is not None:
        found = await repository.credential_with_owner(session, monitor.credential_id)
        if found is not None:
            row, owner = found
            credential = CredentialOut(
                user_id=owner.id if owner else None,
                login=owner.login if owner else row.github_login,
                token_hint=row.token_hint,
                private_access=row.private_access,
                usable=row.rejected_at is None,
            )
    return MonitorOut(
        id=monitor.id,
        name=monitor.name,
        source=monitor.source,
        source_kind="git" if monitor.source_kind == "git" else "github",
        credential=credential,
        sections=monitor.sections,
        extra_bots=monitor.extra_bots,
        include_bots=monitor.include_bots,
        skip_empty=monitor.skip_empty,
        writer=monitor.writer,
        stale_days=monitor.stale_days,
        paused=monitor.paused,
        last_run_at=monitor.last_run_at,
        last_run_status=monitor.last_run_status,
        last_run_error=monitor.last_run_error,
        created_at=monitor.created_at,
    )


@router.get("", response_model=list[MonitorOut], responses=READ)
async def list_monitors(context: ViewerOrg, session: DbSession) -> list[MonitorOut]:
    return [
        await monitor_out(session, m) for m in await repository.monitors(session, context.org.id)
    ]


@router.post("", response_model=MonitorOut, status_code=status.HTTP_201_CREATED, responses=WRITE)
async def create_monitor(
    body: MonitorCreate,
    context: MemberOrg,
    session: DbSession,
    settings: AppSettings,
    client: Client,
) -> MonitorOut:
    """Follow a repository: `owner/repo` on GitHub, or a local path when the operator
    allows local sources."""
    monitor = await service.create(session, context, settings, body, client)
    return await monitor_out(session, monitor)


@router.get("/{monitor_id}", response_model=MonitorOut, responses=READ)
async def get_monitor(monitor_id: uuid.UUID, context: ViewerOrg, session: DbSession) -> MonitorOut:
    return await monitor_out(session, await service.get(session, context, monitor_id))


@router.patch("/{monitor_id}", response_model=MonitorOut, responses=WRITE)
async def update_monitor(
    monitor_id: uuid.UUID, body: MonitorUpdate, context: MemberOrg, session: DbSession
) -> MonitorOut:
    monitor = await service.update(session, context, monitor_id, body)
    return await monitor_out(session, monitor)


@router.delete(
    "/{monitor_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=READ,
)
async def delete_monitor(
    monitor_id: uuid.UUID, context: MemberOrg, session: DbSession, client: Client
) -> None:
    await service.delete(session, context, monitor_id, client)
