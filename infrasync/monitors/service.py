"""Monitors: which repository an org follows and how its digests are made (SPEC §5:
viewers read, members and up write)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.audit import service as audit
from infrasync.audit.service import Target
from infrasync.auth.context import Actor, OrgContext
from infrasync.billing import limits as plan_limits
from infrasync.config import Settings
from infrasync.delivery import service as delivery_service
from infrasync.errors import BadRequest, NotFound, Unprocessable
from infrasync.github import credentials
from infrasync.github.activity import RepoRef
from infrasync.github.client import GitHubClient, RetryPolicy
from infrasync.github.credentials import reveal_token
from infrasync.github.errors import GitHubError, GitHubRepositoryNotFound, GitHubTokenRejected
from infrasync.github.repositories import check_repository
from infrasync.github.schemas import CredentialOut, OrgTokenOut, credential_out, org_token_out
from infrasync.github.selection import MAX_REPOSITORIES, OwnerNotFound, SelectionError
from infrasync.github.selection import resolve as resolve_owner
from infrasync.kit.client_info import NO_CLIENT, ClientInfo
from infrasync.kit.crypto import DecryptionFailed, SecretBox
from infrasync.kit.time import utcnow
from infrasync.models import GitHubCredential, Monitor, User
from infrasync.monitors import repository, selection
from infrasync.monitors.schemas import MonitorCreate, MonitorUpdate, OwnerSelection, ScheduleIn
from infrasync.scheduler.schedule import (
    Schedule,
    ScheduleError,
    describe,
    next_fire,
    preview,
    validate,
)
from infrasync.sources.local_git import LocalGitError, LocalGitSource
from infrasync.sources.service import (
    GitHubSpec,
    confine_local_source,
    ensure_monitor_source_allowed,
    parse_source,
    run_failure,
)

log = structlog.get_logger(__name__)
# A person is waiting for the answer: one try, a short wait; the first run retries.
_CHECK_POLICY = RetryPolicy(timeout_seconds=10.0, max_attempts=1)


def _target(monitor: Monitor) -> Target:
    return Target(type="monitor", id=str(monitor.id), label=monitor.name)


async def _credential(
    session: AsyncSession,
    context: OrgContext,
    user_id: uuid.UUID | None,
    client: ClientInfo,
    *,
    explicit: bool,
) -> GitHubCredential | None:
    """The token a monitor may read with: the caller's own (which offers it to the org),
    or one another member has offered to this org. Never anyone else's (SPEC §5)."""
    caller_id = context.user.id if context.user else None
    if user_id is None or user_id == caller_id:
        return await _own_credential(session, context, client, explicit=explicit)
    credential = await credentials.offered_credential(session, context.org.id, user_id)
    if credential is None:
        raise BadRequest(
            "credential_user_id: that member has not offered a GitHub token to this org. "
            "Each member offers their own on the monitors page; you can always use yours."
        )
    if credential.rejected_at is not None:
        raise BadRequest(
            f"GitHub refused {_owner(credential)}'s token; they need to connect GitHub again."
        )
    return credential


async def _own_credential(
    session: AsyncSession, context: OrgContext, client: ClientInfo, *, explicit: bool
) -> GitHubCredential | None:
    if context.user is None:
        if explicit:
            raise BadRequest(
                "An API key has no GitHub token of its own: set credential_user_id to a "
                "member who has offered theirs."
            )
        return None
    credential = await credentials.github_credential_for(session, user_id=context.user.id)
    if credential is None:
        if explicit:
            raise BadRequest("Connect GitHub first: you have no usable GitHub token yet.")
        return None
    await offer_token(session, context, client)
    return credential


async def offer_token(session: AsyncSession, context: OrgContext, client: ClientInfo) -> None:
    """The caller offers their connected GitHub token to the org's monitors."""
    user = _person(context, "offer a GitHub token")
    if await credentials.github_credential_for(session, user_id=user.id) is None:
        raise BadRequest("Connect GitHub first: you have no usable GitHub token to offer.")
    if await credentials.offer_to_org(session, context.org.id, user.id):
        await audit.record_in_org(
            session, context, "github_token.offer", client, _user_target(user)
        )


async def withdraw_token(session: AsyncSession, context: OrgContext, client: ClientInfo) -> None:
    """The caller withdraws their token from the org: every monitor reading with it lets
    go of it at once."""
    user = _person(context, "withdraw a GitHub token")
    await release_member_token(session, context, user, client, reason="withdrawn")


async def release_member_token(
    session: AsyncSession, context: OrgContext, user: User, client: ClientInfo, *, reason: str
) -> None:
    """Ends `user`'s token's service to the org (they withdrew it, left, or were removed):
    the offer goes and the org's monitors are detached from the token, each audited."""
    if await credentials.withdraw_from_org(session, context.org.id, user.id):
        await audit.record_in_org(
            session,
            context,
            "github_token.withdraw",
            client,
            _user_target(user),
            {"reason": reason},
        )
    credential = await credentials.github_credential_of(session, user_id=user.id)
    if credential is None:
        return
    for monitor in await repository.detach_credential(session, context.org.id, credential.id):
        await audit.record_in_org(
            session,
            context,
            "github_token.detach",
            client,
            _target(monitor),
            {"reason": reason, "login": user.login},
        )


@dataclass(frozen=True)
class RunCredential:
    """The token a run may use, or why there is none."""

    credential: GitHubCredential | None
    refusal: str | None = None


async def credential_for_run(session: AsyncSession, monitor: Monitor) -> RunCredential:
    """Checked on every run: the token's owner must still be in the monitor's org and
    still offer the token. If not, the monitor lets go of it and the run is refused."""
    if monitor.credential_id is None:
        return RunCredential(None, _NO_TOKEN)
    found = await repository.credential_with_owner(session, monitor.credential_id)
    if found is None:
        return RunCredential(None, _NO_TOKEN)
    credential, owner = found
    if credential.org_id is not None and credential.org_id == monitor.org_id:
        return RunCredential(credential)  # the org's own token
    if owner is not None:
        offered = await credentials.offered_credential(session, monitor.org_id, owner.id)
        if offered is not None and offered.id == credential.id:
            return RunCredential(credential)
    monitor.credential_id = None
    await audit.record(
        session,
        "github_token.detach",
        actor=Actor.system("run"),
        client=NO_CLIENT,
        org_id=monitor.org_id,
        target=_target(monitor),
        details={"reason": "owner_left_or_withdrew", "login": owner.login if owner else None},
    )
    return RunCredential(
        None,
        "The member whose GitHub token this monitor read with is no longer in the org, or "
        "no longer offers it, so the token was detached: choose a token a current member "
        "has offered.",
    )


async def mark_credential_rejected(session: AsyncSession, credential_id: uuid.UUID) -> None:
    """GitHub answered 401 to this token: no monitor reads with it until it is replaced."""
    found = await repository.credential_with_owner(session, credential_id)
    if found is not None:
        await credentials.mark_token_rejected(session, found[0])


# A sentence for people, not a secret (ruff's S105 reads "TOKEN" in the name).
_NO_TOKEN = "No GitHub token: choose a member who has offered theirs to this org."  # noqa: S105


def _person(context: OrgContext, doing: str) -> User:
    if context.user is None:
        raise BadRequest(f"Only a signed-in member can {doing}; an API key cannot.")
    return context.user


def _user_target(user: User) -> Target:
    return Target(type="user", id=str(user.id), label=user.login)


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


async def _check_local_repository(settings: Settings, path: Path) -> None:
    """Refuses now, not at the first run, a local repository git must not read (a
    partial clone would fetch from its remote); with git's fixed sentence, never its
    output."""
    found = await asyncio.to_thread(confine_local_source, settings, path)
    try:
        await LocalGitSource(found.path, git_dir=found.git_dir).ensure_readable()
    except LocalGitError as error:
        log.info("local source refused", code=error.code, exit_status=error.exit_status)
        raise BadRequest(run_failure(error)) from None


async def create(
    session: AsyncSession,
    context: OrgContext,
    settings: Settings,
    body: MonitorCreate,
    client: ClientInfo,
) -> Monitor:
    choice = selection.choose(body.source, body.repositories, body.github_owner)
    await _check_plan_choices(session, settings, context, body.schedule.kind, body.writer)
    credential = None
    if choice.several:
        credential = await _credential(
            session,
            context,
            body.credential_user_id,
            client,
            explicit=body.credential_user_id is not None,
        )
        monitor = _new_monitor(context, body, "", "github", credential)
        await _follow(session, settings, context, monitor, choice, credential)
    else:
        assert body.source is not None
        # In a thread: confining a local path stats and walks its git directory.
        source, kind = await asyncio.to_thread(_parsed_source, settings, body.source)
        if kind == "git":
            await _check_local_repository(settings, Path(source))
        if kind == "github":
            credential = await _credential(
                session,
                context,
                body.credential_user_id,
                client,
                explicit=body.credential_user_id is not None,
            )
            if credential is not None:
                source = await _canonical_repository(settings, credential, RepoRef.parse(source))
        # After GitHub and git are asked: the plan's check locks the org row until the commit.
        if not body.paused:
            await plan_limits.check_monitor_slot(session, settings, context.org)
        monitor = _new_monitor(context, body, source, kind, credential)
    apply_schedule(monitor, body.schedule)
    await repository.add(session, monitor)
    await delivery_service.attach_to_monitor(session, context, monitor.id, body.channel_ids)
    details: dict[str, object] = {"source": monitor.source}
    if monitor.selection is not None:
        details["repositories"] = monitor.repository_count
    await audit.record_in_org(session, context, "monitor.create", client, _target(monitor), details)
    return monitor


def _new_monitor(
    context: OrgContext,
    body: MonitorCreate,
    source: str,
    kind: str,
    credential: GitHubCredential | None,
) -> Monitor:
    return Monitor(
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
        repository_count=1,
        created_by_id=context.user.id if context.user else None,
    )


async def _follow(
    session: AsyncSession,
    settings: Settings,
    context: OrgContext,
    monitor: Monitor,
    choice: selection.Choice,
    credential: GitHubCredential | None,
) -> None:
    """Points a GitHub monitor at the chosen repositories, after the plan's monitors
    limit allows them all (an owner's are listed first, to be counted)."""
    if choice.owner is not None:
        resolved = await _resolve_owner(settings, credential, choice.owner)
        if not monitor.paused:
            await plan_limits.check_monitor_slot(
                session,
                settings,
                context.org,
                repositories=len(resolved),
                replacing=monitor.id,
            )
        selection.apply_owner(monitor, choice.owner, resolved, utcnow())
    else:
        if not monitor.paused:
            await plan_limits.check_monitor_slot(
                session,
                settings,
                context.org,
                repositories=len(choice.repositories),
                replacing=monitor.id,
            )
        selection.apply_list(monitor, choice.repositories)
    if not monitor.name:
        monitor.name = _default_name(monitor.source, "github")


async def _resolve_owner(
    settings: Settings, credential: GitHubCredential | None, owner: OwnerSelection
) -> list[str]:
    """The owner's repositories the patterns choose, listed now: the plan counts them,
    and a misspelt owner or patterns that match nothing are refused now, not at a run."""
    if credential is None:
        raise BadRequest(
            "An owner's repositories are listed with a GitHub token: connect GitHub, or set "
            "credential_user_id to a member who has offered theirs."
        )
    try:
        token = reveal_token(credential, SecretBox.from_keys(settings.fernet_keys))
    except DecryptionFailed as error:
        raise BadRequest(str(error)) from None
    async with GitHubClient.from_settings(settings, token, policy=_CHECK_POLICY) as client:
        try:
            refs = await resolve_owner(client, owner.owner, owner.include, owner.exclude)
        except SelectionError as error:
            raise Unprocessable(f"github_owner: {error}.") from None
        except OwnerNotFound:
            raise BadRequest(
                f"GitHub has no user or organization {owner.owner} that "
                f"{_owner(credential)}'s token can see: check the name."
            ) from None
        except GitHubTokenRejected:
            raise BadRequest(
                f"GitHub refused {_owner(credential)}'s token; connect GitHub again, or "
                "choose another member's token."
            ) from None
        except GitHubError as error:
            raise BadRequest(
                f"GitHub could not list {owner.owner}'s repositories just now ({error}); "
                "try again in a minute."
            ) from None
    if len(refs) > MAX_REPOSITORIES:
        raise Unprocessable(
            f"github_owner: {len(refs)} of {owner.owner}'s repositories match; a monitor "
            f"follows at most {MAX_REPOSITORIES}: narrow include or add exclude patterns."
        )
    return [ref.full_name for ref in refs]


async def _check_plan_choices(
    session: AsyncSession, settings: Settings, context: OrgContext, schedule_kind: str, writer: str
) -> None:
    """What the org's plan allows of a new monitor's settings (402 otherwise); its
    repositories are counted once known."""
    await plan_limits.check_schedule(session, settings, context.org, schedule_kind)
    await plan_limits.check_writer(session, settings, context.org, writer)


async def pause_newest_beyond(
    session: AsyncSession, org_id: uuid.UUID, keep: int | None
) -> list[Monitor]:
    """Pauses the org's newest active monitors until those left follow at most `keep`
    repositories (a downgrade: nothing is deleted; a monitor of several repositories
    counts each); returns those paused, newest first. Billing audits them."""
    if keep is None:
        return []
    active = await repository.active_monitors_newest_first(session, org_id)
    followed = sum(monitor.repository_count for monitor in active)
    beyond: list[Monitor] = []
    for monitor in active:
        if followed <= keep:
            break
        beyond.append(monitor)
        followed -= monitor.repository_count
    for monitor in beyond:
        monitor.paused = True
    await session.flush()
    return beyond


async def list_monitors(session: AsyncSession, context: OrgContext) -> list[Monitor]:
    return await repository.monitors(session, context.org.id)


async def credentials_of(
    monitors: list[Monitor], session: AsyncSession
) -> dict[uuid.UUID, CredentialOut]:
    """Whose token each monitor reads with, in one query however many monitors."""
    ids = {m.credential_id for m in monitors if m.credential_id is not None}
    found = await repository.credentials_with_owners(session, ids)
    return {
        m.id: credential_out(*found[m.credential_id])
        for m in monitors
        if m.credential_id is not None and m.credential_id in found
    }


async def org_tokens(session: AsyncSession, context: OrgContext) -> list[OrgTokenOut]:
    caller_id = context.user.id if context.user else None
    rows = await credentials.org_tokens(session, context.org.id, caller_id)
    return [
        org_token_out(credential, owner, offered=offered, caller_id=caller_id)
        for credential, owner, offered in rows
    ]


async def get(session: AsyncSession, context: OrgContext, monitor_id: uuid.UUID) -> Monitor:
    monitor = await repository.monitor_in_org(session, context.org.id, monitor_id)
    if monitor is None:
        raise NotFound("No such monitor in this org.")
    return monitor


async def update(
    session: AsyncSession,
    context: OrgContext,
    settings: Settings,
    monitor_id: uuid.UUID,
    body: MonitorUpdate,
    client: ClientInfo,
) -> Monitor:
    monitor = await get(session, context, monitor_id)
    changes = body.model_dump(exclude_unset=True)
    changed = sorted(changes)
    choice = _update_choice(monitor, changes, body)
    changes.pop("repositories", None)
    changes.pop("github_owner", None)
    await _check_update_plan(session, settings, context, monitor, body, changes, choice)
    if "credential_user_id" in changes:
        if monitor.source_kind != "github":
            raise BadRequest("A local git monitor reads no GitHub token.")
        credential = await _credential(
            session, context, changes.pop("credential_user_id"), client, explicit=True
        )
        monitor.credential_id = credential.id if credential else None
    if choice is not None:
        await _refollow(
            session, settings, context, monitor, choice, resuming=_resuming(monitor, changes)
        )
    if (channel_ids := changes.pop("channel_ids", None)) is not None:
        await delivery_service.attach_to_monitor(session, context, monitor.id, channel_ids)
    if changes.pop("schedule", None) is not None:
        apply_schedule(monitor, body.schedule or ScheduleIn())
    if changes.get("paused") is False and monitor.paused:
        # Resumed: from the next fire on, not a catch-up of everything paused over.
        monitor.paused = False
        apply_schedule(monitor, schedule_in(monitor))
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


def _resuming(monitor: Monitor, changes: dict[str, object]) -> bool:
    return changes.get("paused") is False and monitor.paused


def _update_choice(
    monitor: Monitor, changes: dict[str, object], body: MonitorUpdate
) -> selection.Choice | None:
    """The repositories an edit asks a monitor to follow, or None to keep them."""
    if "repositories" not in changes and "github_owner" not in changes:
        return None
    if monitor.source_kind == "git":
        raise Unprocessable(selection.LOCAL_IS_SINGLE)
    if body.repositories is None and body.github_owner is None:
        raise BadRequest(
            "repositories and github_owner cannot be null; leave them out to keep them."
        )
    return selection.choose(None, body.repositories, body.github_owner)


async def _refollow(
    session: AsyncSession,
    settings: Settings,
    context: OrgContext,
    monitor: Monitor,
    choice: selection.Choice,
    *,
    resuming: bool,
) -> None:
    """Follows other repositories: counted against the plan as the monitor will be
    (active unless it stays paused), in place of what it followed."""
    credential = None
    if monitor.credential_id is not None:
        found = await repository.credential_with_owner(session, monitor.credential_id)
        credential = found[0] if found else None
    was_paused = monitor.paused
    monitor.paused = was_paused and not resuming  # counted as it will be
    try:
        if choice.several:
            await _follow(session, settings, context, monitor, choice, credential)
        else:
            (name,) = choice.repositories
            # GitHub first: the plan's check locks the org row until the commit.
            if credential is not None:
                name = await _canonical_repository(settings, credential, RepoRef.parse(name))
            if not monitor.paused:
                await plan_limits.check_monitor_slot(
                    session, settings, context.org, replacing=monitor.id
                )
            selection.apply_list(monitor, (name,))
    finally:
        monitor.paused = was_paused


async def _check_update_plan(
    session: AsyncSession,
    settings: Settings,
    context: OrgContext,
    monitor: Monitor,
    body: MonitorUpdate,
    changes: dict[str, object],
    choice: selection.Choice | None,
) -> None:
    """A change is checked against the plan for what it changes: a monitor resumed takes
    a slot again (one per repository it follows) and must have a schedule and writer the
    plan allows. A change of repositories is counted where it is made (`_refollow`)."""
    resuming = _resuming(monitor, changes)
    schedule_kind = body.schedule.kind if body.schedule is not None else None
    if schedule_kind is not None or resuming:
        kind = schedule_kind or monitor.schedule_kind
        await plan_limits.check_schedule(session, settings, context.org, kind)
    writer = changes.get("writer")
    if isinstance(writer, str) or resuming:
        chosen = writer if isinstance(writer, str) else monitor.writer
        await plan_limits.check_writer(session, settings, context.org, chosen)
    if resuming and choice is None:
        await plan_limits.check_monitor_slot(
            session,
            settings,
            context.org,
            repositories=monitor.repository_count,
            replacing=monitor.id,
        )


def _schedule(given: ScheduleIn) -> Schedule:
    days = given.working_days
    return Schedule(
        kind=given.kind,
        timezone=given.timezone,
        at=given.at,
        weekday=given.weekday,
        cron=given.cron,
        working_days=tuple(sorted(set(days))) if days is not None else None,
    )


def apply_schedule(monitor: Monitor, given: ScheduleIn) -> None:
    """Stores a schedule after checking it (a 422 that says what to fix), and the next
    run it gives from now."""
    schedule = _schedule(given)
    try:
        validate(schedule)
    except ScheduleError as error:
        raise Unprocessable(f"schedule: {error}") from None
    monitor.schedule_kind = schedule.kind
    monitor.schedule_timezone = schedule.timezone
    monitor.schedule_at = schedule.at
    monitor.schedule_weekday = schedule.weekday
    monitor.schedule_cron = schedule.cron
    monitor.schedule_working_days = (
        list(schedule.working_days) if schedule.working_days is not None else None
    )
    monitor.next_run_at = next_fire(schedule, utcnow())


def schedule_in(monitor: Monitor) -> ScheduleIn:
    return ScheduleIn(
        kind=monitor.schedule_kind,
        timezone=monitor.schedule_timezone,
        at=monitor.schedule_at,
        weekday=monitor.schedule_weekday,
        cron=monitor.schedule_cron,
        working_days=monitor.schedule_working_days,
    )


def preview_schedule(given: ScheduleIn) -> tuple[str, list[datetime]]:
    """A schedule's description and its next three run times, for the monitor form."""
    schedule = _schedule(given)
    try:
        validate(schedule)
    except ScheduleError as error:
        raise Unprocessable(f"schedule: {error}") from None
    return describe(schedule), preview(schedule, utcnow(), 3)


async def monitor_for_run(session: AsyncSession, monitor_id: uuid.UUID) -> Monitor | None:
    """A live monitor of a live org, for the worker (which acts for no caller)."""
    return await repository.live_monitor(session, monitor_id)


async def delete(
    session: AsyncSession, context: OrgContext, monitor_id: uuid.UUID, client: ClientInfo
) -> None:
    monitor = await get(session, context, monitor_id)
    monitor.deleted_at = utcnow()
    await audit.record_in_org(session, context, "monitor.delete", client, _target(monitor))


def describe_schedule(given: ScheduleIn) -> str:
    return describe(_schedule(given))
