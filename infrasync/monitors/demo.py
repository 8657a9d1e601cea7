"""The demo of SPEC §1: on a fresh install with no GitHub app, the first admin finds an
org whose monitor reads a local git repository (the one `make run` runs in), with a
digest already made — the product working, offline, within minutes of the clone."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.auth.context import Actor, OrgContext, Principal
from infrasync.config import Settings
from infrasync.delivery import service as delivery_service
from infrasync.digests.service import RunFailed, Trigger, make_digest
from infrasync.digests.window import parse_window
from infrasync.errors import InfrasyncError
from infrasync.kit.client_info import NO_CLIENT
from infrasync.kit.time import utcnow
from infrasync.models import Role, User
from infrasync.monitors import service as monitor_service
from infrasync.monitors.schemas import MonitorCreate, ScheduleIn
from infrasync.orgs import service as org_service
from infrasync.sources.service import confine_local_source

DEMO_ORG_NAME = "Demo"
# Every hour on the hour, so a newcomer sees the schedule deliver by itself (into the
# inbox directory) within the hour; the first digest is delivered at once.
DEMO_SCHEDULE = ScheduleIn(kind="cron", cron="0 * * * *", timezone="UTC")


def git_work_tree(start: Path) -> Path | None:
    """The repository `start` is in, or None."""
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


async def ensure_demo(
    session: AsyncSession, settings: Settings, admin: User, directory: Path
) -> str | None:
    """Creates the demo once (when the admin has no org yet, the server runs in a git
    repository and the operator's local source roots hold it, as `make run`'s do); says
    what it made. Anywhere else there is nothing to demonstrate offline, so nothing is
    made."""
    # In a thread: it walks up the disk, and confining reads the git directory.
    repository = await asyncio.to_thread(lambda: git_work_tree(directory.resolve()))
    if repository is None or not await asyncio.to_thread(_may_read, settings, repository):
        return None
    if await org_service.orgs_of_user(session, admin, include_deleted=True):
        return None
    org = await org_service.create_org(session, admin, DEMO_ORG_NAME, None, NO_CLIENT)
    context = OrgContext(org=org, role=Role.OWNER, principal=Principal(user=admin))
    inbox = await delivery_service.create_inbox_channel(session, context, settings, "Demo inbox")
    monitor = await monitor_service.create(
        session,
        context,
        settings,
        MonitorCreate(source=str(repository), schedule=DEMO_SCHEDULE, channel_ids=[inbox.id]),
        NO_CLIENT,
    )
    window = parse_window("7d", None, utcnow().replace(microsecond=0))
    try:
        await make_digest(
            session,
            settings,
            monitor,
            window,
            Trigger(kind="manual", actor=Actor.system("demo")),
        )
    except RunFailed as failure:
        return f"Created the org {org.slug!r} with a monitor on {repository}: {failure}"
    inbox_path = delivery_service.inbox_directory(settings)
    return (
        f"Created the org {org.slug!r} with a monitor on {repository} and its first digest; "
        f"its channel writes each digest into {inbox_path} (the in-process worker delivers it)."
    )


def _may_read(settings: Settings, repository: Path) -> bool:
    try:
        confine_local_source(settings, repository)
    except InfrasyncError:  # local sources off, or this repository outside their roots
        return False
    return True
