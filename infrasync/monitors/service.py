"""Monitors: which repository an org follows and how its digests are made (SPEC §5:
viewers read, members and up write)."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.audit import service as audit
from infrasync.audit.service import Target
from infrasync.config import Settings
from infrasync.deps import OrgContext
from infrasync.errors import BadRequest, NotFound
from infrasync.github.credentials import github_credential_for
from infrasync.kit.client_info import ClientInfo
from infrasync.kit.time import utcnow
from infrasync.models import Monitor
from infrasync.monitors import repository
from infrasync.monitors.schemas import MonitorCreate, MonitorUpdate
from infrasync.orgs import repository as org_repository
from infrasync.sources.service import GitHubSpec, ensure_monitor_source_allowed, parse_source


def _target(monitor: Monitor) -> Target:
    return Target(type="monitor", id=str(monitor.id), label=monitor.name)


async def _credential_id(
    session: AsyncSession, context: OrgContext, user_id: uuid.UUID | None, *, explicit: bool
) -> uuid.UUID | None:
    """The credential of `user_id` (or of the caller), who must be in this org."""
    owner = user_id or (context.user.id if context.user else None)
    if owner is None:
        return None
    if await org_repository.membership(session, context.org.id, owner) is None:
        raise BadRequest("credential_user_id must be a member of this org.")
    credential = await github_credential_for(session, user_id=owner)
    if credential is None and explicit:
        raise BadRequest(
            "That member has not connected a GitHub token yet; choose someone who has."
        )
    return credential.id if credential else None


def _default_name(source: str, kind: str) -> str:
    return PurePath(source).name or source if kind == "git" else source


def _parsed_source(settings: Settings, text: str) -> tuple[str, str]:
    try:
        spec = parse_source(text)
    except ValueError as error:
        raise BadRequest(f"source: {error}.") from None
    ensure_monitor_source_allowed(settings, spec)
    if isinstance(spec, GitHubSpec):
        return spec.repo.full_name, "github"
    return str(spec.path), "git"


async def create(
    session: AsyncSession,
    context: OrgContext,
    settings: Settings,
    body: MonitorCreate,
    client: ClientInfo,
) -> Monitor:
    source, kind = _parsed_source(settings, body.source)
    credential_id = None
    if kind == "github":
        credential_id = await _credential_id(
            session, context, body.credential_user_id, explicit=body.credential_user_id is not None
        )
    monitor = Monitor(
        org_id=context.org.id,
        name=body.name or _default_name(source, kind),
        source=source,
        source_kind=kind,
        credential_id=credential_id,
        sections=list(dict.fromkeys(body.sections)),
        extra_bots=list(dict.fromkeys(body.extra_bots)),
        include_bots=body.include_bots,
        skip_empty=body.skip_empty,
        include_pr_descriptions=body.include_pr_descriptions,
        writer=body.writer,
        stale_days=body.stale_days,
        paused=body.paused,
        created_by_id=context.user.id if context.user else None,
    )
    await repository.add(session, monitor)
    await audit.record(
        session,
        "monitor.create",
        actor=context.actor,
        client=client,
        org_id=context.org.id,
        target=_target(monitor),
        details={"source": source},
    )
    return monitor


async def get(session: AsyncSession, context: OrgContext, monitor_id: uuid.UUID) -> Monitor:
    monitor = await repository.monitor_in_org(session, context.org.id, monitor_id)
    if monitor is None:
        raise NotFound("No such monitor in this org.")
    return monitor


async def update(
    session: AsyncSession,
    context: OrgContext,
    monitor_id: uuid.UUID,
    body: MonitorUpdate,
) -> Monitor:
    monitor = await get(session, context, monitor_id)
    changes = body.model_dump(exclude_unset=True)
    if "credential_user_id" in changes:
        if monitor.source_kind != "github":
            raise BadRequest("A local git monitor reads no GitHub token.")
        monitor.credential_id = await _credential_id(
            session, context, changes.pop("credential_user_id"), explicit=True
        )
    for field, value in changes.items():
        if value is None:
            raise BadRequest(f"{field} cannot be null; leave it out to keep it.")
        if field in ("sections", "extra_bots"):
            value = list(dict.fromkeys(value))
        setattr(monitor, field, value)
    await session.flush()
    return monitor


async def delete(
    session: AsyncSession, context: OrgContext, monitor_id: uuid.UUID, client: ClientInfo
) -> None:
    monitor = await get(session, context, monitor_id)
    monitor.deleted_at = utcnow()
    await audit.record(
        session,
        "monitor.delete",
        actor=context.actor,
        client=client,
        org_id=context.org.id,
        target=_target(monitor),
    )
