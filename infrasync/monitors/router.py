"""`/api/orgs/{org}/monitors`: viewers read, members and up write (SPEC §5)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.deps import AppSettings, Client, DbSession, MemberOrg, ViewerOrg, read_only
from infrasync.errors import Unprocessable, documented
from infrasync.github.schemas import OrgTokenOut
from infrasync.models import Monitor
from infrasync.monitors import overview, service
from infrasync.monitors.schemas import (
    MonitorCreate,
    MonitorOut,
    MonitorUpdate,
    ScheduleIn,
    ScheduleKind,
    SchedulePreview,
)

router = APIRouter(prefix="/api/orgs/{org}/monitors", tags=["monitors"])
tokens_router = APIRouter(prefix="/api/orgs/{org}/github-tokens", tags=["monitors"])
READ = documented(401, 403, 404)


def parse_weekdays(value: str | None) -> list[int] | None:
    """`0,1,2,3,4` as weekdays; the 422 says what a bad one is."""
    if value is None or not value.strip():
        return None
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise Unprocessable(
            "working_days: give weekdays as numbers separated by commas, 0 = Monday."
        ) from None


WRITE = documented(400, 401, 403, 404)
# A monitor added, resumed, or given a schedule or writer the plan does not allow: 402.
CHANGE = documented(400, 401, 402, 403, 404)


async def _one(session: AsyncSession, monitor: Monitor) -> MonitorOut:
    return await overview.one_out(session, monitor)


@router.get("", response_model=list[MonitorOut], responses=READ)
@read_only
async def list_monitors(context: ViewerOrg, session: DbSession) -> list[MonitorOut]:
    return await overview.list_out(session, context)


@router.get("/schedule-preview", response_model=SchedulePreview, responses=READ)
async def preview_schedule(
    context: ViewerOrg,
    kind: Annotated[ScheduleKind, Query()] = "manual",
    timezone: Annotated[str, Query(max_length=64)] = "UTC",
    at: Annotated[str | None, Query(max_length=5)] = None,
    weekday: Annotated[int | None, Query(ge=0, le=6)] = None,
    cron: Annotated[str | None, Query(max_length=100)] = None,
    working_days: Annotated[
        str | None, Query(max_length=20, description="Comma-separated weekdays, 0 = Monday")
    ] = None,
) -> SchedulePreview:
    """The schedule in words and its next three run times, as the server computes them
    (the monitor form shows these before saving). A schedule that cannot be used is a
    422 saying what to fix."""
    given = ScheduleIn(
        kind=kind,
        timezone=timezone,
        at=at,
        weekday=weekday,
        cron=cron,
        working_days=parse_weekdays(working_days),
    )
    description, runs = service.preview_schedule(given)
    return SchedulePreview(description=description, next_runs=runs)


@router.post("", response_model=MonitorOut, status_code=status.HTTP_201_CREATED, responses=CHANGE)
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


@router.patch("/{monitor_id}", response_model=MonitorOut, responses=CHANGE)
async def update_monitor(
    monitor_id: uuid.UUID,
    body: MonitorUpdate,
    context: MemberOrg,
    session: DbSession,
    settings: AppSettings,
    client: Client,
) -> MonitorOut:
    monitor = await service.update(session, context, settings, monitor_id, body, client)
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
