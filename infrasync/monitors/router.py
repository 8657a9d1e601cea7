"""`/api/orgs/{org}/monitors`: viewers read, members and up write (SPEC §5)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.deps import AppSettings, Client, DbSession, MemberOrg, ViewerOrg
from infrasync.errors import documented
from infrasync.github import repository as github_repository
from infrasync.github.schemas import CredentialOut, credential_out
from infrasync.models import Monitor
from infrasync.monitors import repository, service
from infrasync.monitors.schemas import MonitorCreate, MonitorOut, MonitorUpdate

router = APIRouter(prefix="/api/orgs/{org}/monitors", tags=["monitors"])
tokens_router = APIRouter(prefix="/api/orgs/{org}/github-tokens", tags=["monitors"])
READ = documented(401, 403, 404)
WRITE = documented(400, 401, 403, 404)


async def monitor_out(session: AsyncSession, monitor: Monitor) -> MonitorOut:
    credential = None
    if monitor.credential_id is not None:
        found = await repository.credential_with_owner(session, monitor.credential_id)
        credential = credential_out(*found) if found else None
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
        include_pr_descriptions=monitor.include_pr_descriptions,
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
    monitor_id: uuid.UUID,
    body: MonitorUpdate,
    context: MemberOrg,
    session: DbSession,
    client: Client,
) -> MonitorOut:
    monitor = await service.update(session, context, monitor_id, body, client)
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


@tokens_router.get("", response_model=list[CredentialOut], responses=READ)
async def list_github_tokens(context: ViewerOrg, session: DbSession) -> list[CredentialOut]:
    """The members who have connected GitHub: whose token a monitor can read with (the
    token itself is never shown)."""
    rows = await github_repository.member_credentials(session, context.org.id)
    return [credential_out(credential, owner) for credential, owner in rows]
