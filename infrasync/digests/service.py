"""Making a monitor's digest for a period and keeping it (one per monitor and period)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from pydantic import SecretStr
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.auth.context import Actor, OrgContext
from infrasync.config import Settings
from infrasync.delivery import service as delivery_service
from infrasync.digests import repository
from infrasync.digests.compose import WriterChoice, compose, compose_many
from infrasync.digests.document import Digest
from infrasync.digests.window import previous_window
from infrasync.errors import Conflict, NotFound
from infrasync.github.activity import ActivityRequest, RepoRef, fetch_activity
from infrasync.github.client import GitHubClient, RetryPolicy
from infrasync.github.credentials import reveal_token
from infrasync.github.errors import GitHubError, GitHubTokenRejected
from infrasync.github.selection import MAX_REPOSITORIES, SelectionError
from infrasync.github.selection import resolve as resolve_owner
from infrasync.kit.crypto import DecryptionFailed, SecretBox
from infrasync.kit.time import utcnow
from infrasync.models import DigestRecord, Monitor
from infrasync.monitors import service as monitor_service
from infrasync.monitors.schemas import OwnerSelection
from infrasync.monitors.selection import followed_repositories, note_resolved, owner_of
from infrasync.sources import first_seen_store
from infrasync.sources.bots import BotPolicy
from infrasync.sources.first_seen import FirstSeenCache
from infrasync.sources.github import GitHubSource
from infrasync.sources.local_git import LocalGitError, LocalGitSource
from infrasync.sources.model import Activity, ActivityFailure, Window
from infrasync.sources.service import (
    LocalSourceRefused,
    LocalSourcesOff,
    LocalSpec,
    confine_local_source,
    parse_source,
    run_failure,
)

log = structlog.get_logger(__name__)


class RunFailed(Exception):
    """The digest could not be made; the monitor shows the reason until the next run."""


@dataclass(frozen=True)
class Stored:
    record: DigestRecord | None  # None: a quiet scheduled period, skipped
    made_now: bool  # False: the period's digest existed already (or was skipped)


@dataclass(frozen=True)
class Trigger:
    kind: str  # manual, api or schedule
    actor: Actor

    @property
    def scheduled(self) -> bool:
        return self.kind == "schedule"


# Someone is waiting for the answer (run now, the demo): a few quick tries, no waiting
# out a rate limit; the schedule's runs keep the patient default.
PERSON_WAITING = RetryPolicy(
    timeout_seconds=20.0,
    max_attempts=2,
    backoff_base_seconds=1.0,
    backoff_cap_seconds=5.0,
    secondary_max_attempts=0,
    max_rate_limit_wait=timedelta(seconds=0),
    max_primary_waits=0,
)


@dataclass(frozen=True)
class RunPlan:
    """What a run needs, read while claiming it: plain values, so that nothing touches
    the database while GitHub, git or a model is being called."""

    monitor_id: uuid.UUID
    source: str
    source_kind: str
    bots: BotPolicy
    include_bots: bool
    pr_descriptions: bool
    writer: WriterChoice
    stale_after: timedelta
    sections: frozenset[str]
    skip_empty: bool
    token: SecretStr | None = None
    policy: RetryPolicy | None = None
    # Several repositories (monitors/selection.py): the list, or the owner and patterns
    # to list them by at the run; neither for one repository (`source`).
    repositories: tuple[str, ...] = ()
    owner: OwnerSelection | None = None
    # A local repository's first-seen cache: read here, left updated by the source, kept
    # by `store` (sources/first_seen_store.py).
    first_seen: FirstSeenCache | None = None
    started_at: datetime | None = None  # when planning began: the monitor's last run

    @property
    def several(self) -> bool:
        return self.owner is not None or len(self.repositories) > 1


async def _plan(
    session: AsyncSession, settings: Settings, monitor: Monitor, trigger: Trigger
) -> RunPlan:
    """Checks what can be checked without calling out (the token may serve this org,
    and decrypts); raises RunFailed."""
    token = None
    first_seen = None
    if monitor.source_kind != "git":
        token = await _github_token(session, settings, monitor)
    else:
        first_seen = await first_seen_store.load(session, monitor.id)
    return RunPlan(
        monitor_id=monitor.id,
        source=monitor.source,
        source_kind=monitor.source_kind,
        bots=BotPolicy.with_extra(monitor.extra_bots),
        include_bots=monitor.include_bots,
        pr_descriptions=monitor.include_pr_descriptions,
        writer=_writer(monitor.writer),
        stale_after=timedelta(days=monitor.stale_days),
        sections=frozenset(monitor.sections),
        skip_empty=monitor.skip_empty,
        token=token,
        policy=None if trigger.scheduled else PERSON_WAITING,
        repositories=tuple(followed_repositories(monitor)) if monitor.selection else (),
        owner=owner_of(monitor),
        first_seen=first_seen,
    )


async def _github_token(session: AsyncSession, settings: Settings, monitor: Monitor) -> SecretStr:
    run_credential = await monitor_service.credential_for_run(session, monitor)
    credential = run_credential.credential
    if credential is None:
        raise RunFailed(run_credential.refusal)
    if credential.rejected_at is not None:
        raise RunFailed(
            "GitHub refused this monitor's token: its owner needs to connect GitHub again, "
            "or choose another member's offered token."
        )
    try:
        return reveal_token(credential, SecretBox.from_keys(settings.fernet_keys))
    except DecryptionFailed as error:
        raise RunFailed(str(error)) from None


class TokenRejected(RunFailed):
    """GitHub answered 401 to the monitor's token: it is marked so until replaced."""


async def _activities(
    settings: Settings, plan: RunPlan, window: Window
) -> tuple[Activity, Activity]:
    """Reads both windows from the source. No database session in sight: this is the
    part that waits on the network (or on git)."""
    if plan.source_kind == "git":
        return await _local_activities(settings, plan, window)
    spec = parse_source(plan.source)
    assert not isinstance(spec, LocalSpec)
    assert plan.token is not None, "a GitHub run is planned with its token"
    try:
        async with GitHubClient.from_settings(settings, plan.token, policy=plan.policy) as client:
            source = GitHubSource(
                client,
                spec.repo,
                plan.bots,
                count_bots=plan.include_bots,
                descriptions=plan.pr_descriptions,
            )
            # Both windows in the same queries: about the cost of one.
            current, previous = await source.activities([window, previous_window(window)])
            return current, previous
    except GitHubTokenRejected as error:
        raise TokenRejected(str(error)) from None
    except GitHubError as error:
        raise RunFailed(str(error)) from None


async def _several_activities(
    settings: Settings, plan: RunPlan, window: Window
) -> list[tuple[Activity, Activity]]:
    """Every repository's two windows in one batched read (github/activity.py packs
    them all into as few queries as GitHub allows), after listing an owner's
    repositories (a request per hundred). One repository that cannot be read fails the
    run, naming it: a digest that left one out would not say what it is missing."""
    assert plan.token is not None, "a GitHub run is planned with its token"
    windows = (window, previous_window(window))
    try:
        async with GitHubClient.from_settings(settings, plan.token, policy=plan.policy) as client:
            refs = await _run_repositories(client, plan)
            requests = [
                ActivityRequest(
                    ref,
                    w,
                    plan.bots,
                    count_bots=plan.include_bots,
                    descriptions=plan.pr_descriptions,
                )
                for ref in refs
                for w in windows
            ]
            outcomes = await fetch_activity(client, requests)
    except GitHubTokenRejected as error:
        raise TokenRejected(str(error)) from None
    except GitHubError as error:
        raise RunFailed(str(error)) from None
    for outcome in outcomes:
        if isinstance(outcome, ActivityFailure):
            if isinstance(outcome.error, GitHubTokenRejected):
                raise TokenRejected(outcome.message)
            raise RunFailed(outcome.message)
    found = [outcome for outcome in outcomes if isinstance(outcome, Activity)]
    return [(found[i], found[i + 1]) for i in range(0, len(found), 2)]


async def _run_repositories(client: GitHubClient, plan: RunPlan) -> list[RepoRef]:
    if plan.owner is None:
        return [RepoRef.parse(name) for name in plan.repositories]
    owner = plan.owner
    try:
        refs = await resolve_owner(client, owner.owner, owner.include, owner.exclude)
    except SelectionError as error:
        raise RunFailed(f"Nothing to read: {error}.") from None
    # The first by name, should more have appeared since the monitor was made: the
    # monitor then shows how many it follows, and the plan counts them at the next edit.
    return refs[:MAX_REPOSITORIES]


async def _local_activities(
    settings: Settings, plan: RunPlan, window: Window
) -> tuple[Activity, Activity]:
    # Confined again at every run: the disk may have changed since the monitor was made.
    # In a thread: it stats and walks the git directory.
    try:
        found = await asyncio.to_thread(confine_local_source, settings, Path(plan.source))
    except (LocalSourceRefused, LocalSourcesOff) as refused:
        raise RunFailed(refused.message) from None
    local = LocalGitSource(found.path, plan.bots, git_dir=found.git_dir, first_seen=plan.first_seen)
    try:
        current, previous = await local.activities([window, previous_window(window)])
    except LocalGitError as error:
        log.warning(
            "local git source failed",
            code=error.code,
            exit_status=error.exit_status,
            monitor_id=str(plan.monitor_id),
            path=str(found.path),
        )
        raise RunFailed(run_failure(error)) from None
    return current, previous


async def _write(settings: Settings, plan: RunPlan, window: Window) -> Digest:
    if plan.several:
        return await compose_many(
            await _several_activities(settings, plan, window),
            settings,
            writer=plan.writer,
            include_bots=plan.include_bots,
            stale_after=plan.stale_after,
            sections=plan.sections,
            pr_descriptions=plan.pr_descriptions,
        )
    current, previous = await _activities(settings, plan, window)
    return await compose(
        current,
        previous,
        settings,
        writer=plan.writer,
        include_bots=plan.include_bots,
        stale_after=plan.stale_after,
        sections=plan.sections,
        pr_descriptions=plan.pr_descriptions,
    )


def _record(monitor: Monitor, digest: Digest, trigger: Trigger) -> DigestRecord:
    return DigestRecord(
        org_id=monitor.org_id,
        monitor_id=monitor.id,
        period_since=digest.period.since,
        period_until=digest.period.until,
        repository=digest.repository.model_dump(mode="json"),
        source_revision=digest.repository.revision,
        writer=digest.writer,
        writer_note=digest.writer_note,
        text=digest.text,
        metrics=digest.metrics.as_json(),
        items=digest.items.as_json(),
        grounding=digest.grounding.model_dump(mode="json") if digest.grounding else None,
        trigger=trigger.kind,
        triggered_by_user_id=trigger.actor.user_id,
        triggered_by_label=trigger.actor.label,
    )


async def make_digest(
    session: AsyncSession,
    settings: Settings,
    monitor: Monitor,
    window: Window,
    trigger: Trigger,
) -> DigestRecord | None:
    """Makes and stores the digest of `window` at once, outside the queue (the demo at
    start-up, and tests). Raises Conflict when that period already has one, RunFailed
    (after noting it on the monitor) when it cannot be made. The worker goes through the
    same three steps, one by one (scheduler/service.py).

    None: a scheduled run of a monitor that skips empty digests found a quiet period. A
    person who asks for a digest now always gets one, quiet or not.

    Three steps, as Healthchecks runs its alerts: the run is claimed in one short
    transaction, GitHub (or git, or a model) is called with none open, and the result is
    stored in a second one. So this, unlike other services, commits the caller's session:
    a lock held across a slow GitHub would stall every other writer for as long.
    """
    if await repository.for_period(session, monitor.id, window.since, window.until):
        raise Conflict("This monitor already has a digest for exactly that period.")
    plan = await plan_run(session, settings, monitor, trigger)
    await session.commit()  # claimed: nothing stays locked while we call out
    try:
        digest = await write(settings, plan, window)
    except RunFailed as failure:
        await note_failure(session, monitor, failure, started_at=plan.started_at)
        raise
    stored = await store(
        session,
        monitor,
        digest,
        trigger,
        skip_empty=plan.skip_empty,
        first_seen=plan.first_seen,
        started_at=plan.started_at,
    )
    if stored.record is not None and not stored.made_now:
        raise Conflict("This monitor already has a digest for exactly that period.")
    if stored.record is not None:
        # The outbox in the digest's own transaction, as the worker writes it.
        await delivery_service.enqueue(session, stored.record)
    return stored.record


async def plan_run(
    session: AsyncSession, settings: Settings, monitor: Monitor, trigger: Trigger
) -> RunPlan:
    """Reads what the run needs (the token, decrypted) as plain values; raises RunFailed
    (noted on the monitor) when it cannot start. The caller commits before calling out.

    It writes nothing when the run can start: the run's start goes on the monitor with
    its outcome (`store`, `note_failure`), in the transaction that ends the run. Marked
    here, it cost an UPDATE and a write transaction of its own per digest, and on SQLite
    every write transaction waits its turn for the one write lock."""
    started_at = utcnow()
    try:
        plan = await _plan(session, settings, monitor, trigger)
    except RunFailed as failure:
        await note_failure(session, monitor, failure, started_at=started_at)
        raise
    return replace(plan, started_at=started_at)


async def write(settings: Settings, plan: RunPlan, window: Window) -> Digest:
    """Reads the activity and writes the digest: the slow part, with no session."""
    return await _write(settings, plan, window)


async def store(
    session: AsyncSession,
    monitor: Monitor,
    digest: Digest,
    trigger: Trigger,
    *,
    skip_empty: bool,
    first_seen: FirstSeenCache | None = None,
    started_at: datetime | None = None,
) -> Stored:
    """Keeps the digest (flushed, not committed: the caller's transaction also writes the
    outbox). No record for a quiet scheduled period of a monitor that skips those. When
    another run made the same period meanwhile, that digest is the record: a period has
    one. A local repository's first-seen cache is kept either way. `started_at`: the
    run's start (RunPlan.started_at), noted on the monitor."""
    monitor.last_run_status, monitor.last_run_error = "ok", None
    monitor.last_run_at = started_at or utcnow()
    if first_seen is not None:
        await first_seen_store.save(session, monitor.id, first_seen)
    if digest.several:
        names = [part.repository.name for part in digest.items.repositories]
        note_resolved(monitor, sorted(names, key=str.lower), utcnow())
    if trigger.scheduled and skip_empty and digest.is_quiet:
        log.info("quiet period skipped", monitor_id=str(monitor.id))
        return Stored(record=None, made_now=False)
    record = _record(monitor, digest, trigger)
    try:
        # A savepoint: a collision undoes this insert only, not the caller's other work.
        async with session.begin_nested():
            await repository.add(session, record)
    except IntegrityError:
        existing = await repository.for_period(
            session, monitor.id, digest.period.since, digest.period.until
        )
        if existing is None:
            raise
        return Stored(record=existing, made_now=False)
    return Stored(record=record, made_now=True)


async def existing_for_period(
    session: AsyncSession, monitor_id: uuid.UUID, window: Window
) -> DigestRecord | None:
    return await repository.for_period(session, monitor_id, window.since, window.until)


async def note_failure(
    session: AsyncSession,
    monitor: Monitor,
    failure: RunFailed,
    *,
    started_at: datetime | None = None,
) -> None:
    """Notes the failure (and the run's start) on the monitor, and a token GitHub
    rejected, for everyone to see until the next run; committed by the caller's unit of
    work, which answers the failure rather than raising it."""
    if isinstance(failure, TokenRejected) and monitor.credential_id is not None:
        await monitor_service.mark_credential_rejected(session, monitor.credential_id)
    monitor.last_run_status, monitor.last_run_error = "error", str(failure)[:500]
    monitor.last_run_at = started_at or utcnow()
    log.info("digest run failed", monitor_id=str(monitor.id), reason=str(failure))


async def get_by_id(session: AsyncSession, digest_id: uuid.UUID) -> DigestRecord | None:
    return await repository.digest_by_id(session, digest_id)


async def page(
    session: AsyncSession,
    context: OrgContext,
    *,
    monitor_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[DigestRecord], str | None]:
    return await repository.page(
        session,
        context.org.id,
        monitor_id=monitor_id,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )


async def get(session: AsyncSession, context: OrgContext, digest_id: uuid.UUID) -> DigestRecord:
    record = await repository.digest_in_org(session, context.org.id, digest_id)
    if record is None:
        raise NotFound("No such digest in this org.")
    return record


async def monitor_names(
    session: AsyncSession, context: OrgContext, monitor_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The names of the org's live monitors among `monitor_ids`."""
    return await repository.monitor_names(session, context.org.id, monitor_ids)


def _writer(choice: str) -> WriterChoice:
    return "llm" if choice == "llm" else "builtin" if choice == "builtin" else "auto"


async def latest_of_monitors(
    session: AsyncSession, monitor_ids: list[uuid.UUID]
) -> dict[uuid.UUID, DigestRecord]:
    return await repository.latest_of_monitors(session, monitor_ids)
