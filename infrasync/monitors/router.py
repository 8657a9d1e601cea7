"""`/api/orgs/{org}/monitors`: viewers read, members and up write (SPEC §5)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.deps import AppSettings, Client, DbSession, MemberOrg, ViewerOrg
from infrasync.errors import documented
from infrasync.github.schemas import CredentialOut, OrgTokenOut
from infrasync.models import Monitor
from infrasync.monitors import service
from infrasync.monitors.schemas import MonitorCreate, MonitorOut, MonitorUpdate

router = APIRouter(prefix="/api/orgs/{org}/monitors", tags=["monitors"])
tokens_router = APIRouter(prefix="/api/orgs/{org}/github-tokens", tags=["monitors"])
READ = documented(401, 403, 404)
WRITE = documented(400, 401, 403, 404)


def monitor_out(monitor: Monitor, credential: CredentialOut | None) -> MonitorOut:
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


async def _one(session: AsyncSession, monitor: Monitor) -> MonitorOut:
    credentials = await service.credentials_of([monitor], session)
    return monitor_out(monitor, credentials.get(monitor.id))


@router.get("", response_model=list[MonitorOut], responses=READ)
async def list_monitors(context: ViewerOrg, session: DbSession) -> list[MonitorOut]:
    monitors = await service.list_monitors(session, context)
    credentials = await service.credentials_of(monitors, session)
    return [monitor_out(m, credentials.get(m.id)) for m in monitors]


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
    return await _one(session, monitor)


@router.get("/{monitor_id}", response_model=MonitorOut, responses=READ)
async def get_monitor(monitor_id: uuid.UUID, context: ViewerOrg, session: DbSession) -> MonitorOut:
    return await _one(session, await service.get(session, context, monitor_id))


@router.patch("/{monitor_id}", response_model=MonitorOut, responses=WRITE)
async def update_monitor(
    monitor_id: uuid.UUID,
    body: MonitorUpdate,
    context: MemberOrg,
    session: DbSession,
    client: Client,
) -> MonitorOut:
    monitor = await service.update(session, context, monitor_id, body, client)
    return await _one(session, monitor)


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


@tokens_router.get("", response_model=list[OrgTokenOut], responses=READ)
async def list_github_tokens(context: ViewerOrg, session: DbSession) -> list[OrgTokenOut]:
    """The GitHub tokens this org's monitors may read with: those its members have
    offered, plus your own (offered or not). The tokens themselves are never shown."""
    return await service.org_tokens(session, context)


@tokens_router.put("/mine", response_model=list[OrgTokenOut], responses=WRITE)
async def offer_my_github_token(
    context: ViewerOrg, session: DbSession, client: Client
) -> list[OrgTokenOut]:
    """Offer your connected GitHub token to this org, so its monitors may read with it
    (choosing your own token for a monitor does the same). Audited."""
    await service.offer_token(session, context, client)
    return await service.org_tokens(session, context)


@tokens_router.delete(
    "/mine", status_code=status.HTTP_204_NO_CONTENT, response_class=Response, responses=WRITE
)
async def withdraw_my_github_token(context: ViewerOrg, session: DbSession, client: Client) -> None:
    """Withdraw your token from this org: every monitor reading with it lets go of it
    at once, and its next run asks for another. Audited."""
    await service.withdraw_token(session, context, client)
