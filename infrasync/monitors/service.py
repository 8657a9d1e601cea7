"""Monitors: which repository an org follows and how its digests are made (SPEC §5:
viewers read, members and up write)."""

from __future__ import annotations

import uuid
from pathlib import PurePath

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.audit import service as audit
from infrasync.audit.service import Target
from infrasync.config import Settings
from infrasync.deps import OrgContext
from infrasync.errors import BadRequest, NotFound
from infrasync.github.activity import RepoRef
from infrasync.github.client import GitHubClient, RetryPolicy
from infrasync.github.credentials import github_credential_for, reveal_token
from infrasync.github.errors import GitHubError, GitHubRepositoryNotFound, GitHubTokenRejected
from infrasync.github.repositories import check_repository
from infrasync.kit.client_info import ClientInfo
from infrasync.kit.crypto import DecryptionFailed, SecretBox
from infrasync.kit.time import utcnow
from infrasync.models import GitHubCredential, Monitor
from infrasync.monitors import repository
from infrasync.monitors.schemas import MonitorCreate, MonitorUpdate
from infrasync.orgs import repository as org_repository
from infrasync.sources.service import GitHubSpec, ensure_monitor_source_allowed, parse_source

log = structlog.get_logger(__name__)
# A person is waiting for the answer: one try, a short wait; the first run retries.
_CHECK_POLICY = RetryPolicy(timeout_seconds=10.0, max_attempts=1)


def _target(monitor: Monitor) -> Target:
    return Target(type="monitor", id=str(monitor.id), label=monitor.name)


async def _credential(
    session: AsyncSession, context: OrgContext, user_id: uuid.UUID | None, *, explicit: bool
) -> GitHubCredential | None:
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
    return credential


async def _canonical_repository(
    settings: Settings, credential: GitHubCredential, repo: RepoRef
) -> str:
    """The repository's name as GitHub spells it now (after a rename, the new one).

    A misspelt name, or a private repository the token cannot read, is refused now rather
    than at the first run. When GitHub cannot be reached the name is taken as given: the
    first run will say what is wrong.
    """
    try:
        token = reveal_token(credential, SecretBox.from_keys(settings.fernet_keys))
    except DecryptionFailed:
        return repo.full_name  # the run reports it, with the operator's fix
    async with GitHubClient.from_settings(settings, token, policy=_CHECK_POLICY) as client:
        try:
            return (await check_repository(client, repo)).full_name
        except GitHubRepositoryNotFound:
            raise BadRequest(
                f"GitHub has no repository {repo.full_name} that {_owner(credential)}'s token "
                "can read: check the name, or, for a private repository, grant private access."
            ) from None
        except GitHubTokenRejected:
            raise BadRequest(
                f"GitHub refused {_owner(credential)}'s token; connect GitHub again, or "
                "choose another member's token."
            ) from None
        except GitHubError as error:
            log.info("repository not checked", repository=repo.full_name, reason=str(error))
            return repo.full_name


def _owner(credential: GitHubCredential) -> str:
    return credential.github_login or "the chosen member"


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
    credential = None
    if kind == "github":
        credential = await _credential(
            session, context, body.credential_user_id, explicit=body.credential_user_id is not None
        )
        if credential is not None:
            source = await _canonical_repository(settings, credential, RepoRef.parse(source))
    monitor = Monitor(
        org_id=context.org.id,
        name=body.name or _default_name(source, kind),
        source=source,
        source_kind=kind,
        credential_id=credential.id if credential else None,
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
    await audit.record_in_org(
        session, context, "monitor.create", client, _target(monitor), {"source": source}
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
    client: ClientInfo,
) -> Monitor:
    monitor = await get(session, context, monitor_id)
    changes = body.model_dump(exclude_unset=True)
    changed = sorted(changes)
    if "credential_user_id" in changes:
        if monitor.source_kind != "github":
            raise BadRequest("A local git monitor reads no GitHub token.")
        credential = await _credential(
            session, context, changes.pop("credential_user_id"), explicit=True
        )
        monitor.credential_id = credential.id if credential else None
    for field, value in changes.items():
        if value is None:
            raise BadRequest(f"{field} cannot be null; leave it out to keep it.")
        if field in ("sections", "extra_bots"):
            value = list(dict.fromkeys(value))
        setattr(monitor, field, value)
    await session.flush()
    # The names of the settings changed; their new values are on the monitor itself.
    await audit.record_in_org(
        session, context, "monitor.update", client, _target(monitor), {"changed": changed}
    )
    return monitor


async def delete(
    session: AsyncSession, context: OrgContext, monitor_id: uuid.UUID, client: ClientInfo
) -> None:
    monitor = await get(session, context, monitor_id)
    monitor.deleted_at = utcnow()
    await audit.record_in_org(session, context, "monitor.delete", client, _target(monitor))
