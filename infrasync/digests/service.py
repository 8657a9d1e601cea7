"""Making a monitor's digest for a period and keeping it (one per monitor and period)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.auth.context import Actor
from infrasync.config import Settings
from infrasync.digests import repository
from infrasync.digests.compose import WriterChoice, compose
from infrasync.digests.document import Digest
from infrasync.digests.window import previous_window
from infrasync.errors import Conflict
from infrasync.github.client import GitHubClient
from infrasync.github.credentials import mark_token_rejected, reveal_token
from infrasync.github.errors import GitHubError, GitHubTokenRejected
from infrasync.kit.crypto import DecryptionFailed, SecretBox
from infrasync.kit.time import utcnow
from infrasync.models import DigestRecord, Monitor
from infrasync.monitors import service as monitor_service
from infrasync.sources.bots import BotPolicy
from infrasync.sources.github import GitHubSource
from infrasync.sources.local_git import LocalGitError, LocalGitSource
from infrasync.sources.model import Activity, Window
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
class Trigger:
    kind: str  # manual, api or schedule
    actor: Actor

    @property
    def scheduled(self) -> bool:
        return self.kind == "schedule"


async def _github_activities(
    session: AsyncSession, settings: Settings, monitor: Monitor, window: Window, bots: BotPolicy
) -> tuple[Activity, Activity]:
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
        token = reveal_token(credential, SecretBox.from_keys(settings.fernet_keys))
    except DecryptionFailed as error:
        raise RunFailed(str(error)) from None
    spec = parse_source(monitor.source)
    assert not isinstance(spec, LocalSpec)
    async with GitHubClient.from_settings(settings, token) as client:
        source = GitHubSource(
            client,
            spec.repo,
            bots,
            count_bots=monitor.include_bots,
            descriptions=monitor.include_pr_descriptions,
        )
        try:
            # Both windows in the same queries: about the cost of one.
            current, previous = await source.activities([window, previous_window(window)])
            return current, previous
        except GitHubTokenRejected as error:
            await mark_token_rejected(session, credential)
            raise RunFailed(str(error)) from None


async def _activities(
    session: AsyncSession, settings: Settings, monitor: Monitor, window: Window
) -> tuple[Activity, Activity]:
    bots = BotPolicy.with_extra(monitor.extra_bots)
    if monitor.source_kind == "git":
        return await _local_activities(settings, monitor, window, bots)
    try:
        return await _github_activities(session, settings, monitor, window, bots)
    except GitHubError as error:
        raise RunFailed(str(error)) from None


async def _local_activities(
    settings: Settings, monitor: Monitor, window: Window, bots: BotPolicy
) -> tuple[Activity, Activity]:
    # Confined again at every run: the disk may have changed since the monitor was made.
    # In a thread: it stats and walks the git directory.
    try:
        found = await asyncio.to_thread(confine_local_source, settings, Path(monitor.source))
    except (LocalSourceRefused, LocalSourcesOff) as refused:
        raise RunFailed(refused.message) from None
    local = LocalGitSource(found.path, bots, git_dir=found.git_dir)
    try:
        current, previous = await local.activities([window, previous_window(window)])
    except LocalGitError as error:
        log.warning(
            "local git source failed",
            code=error.code,
            exit_status=error.exit_status,
            monitor_id=str(monitor.id),
            path=str(found.path),
        )
        raise RunFailed(run_failure(error)) from None
    return current, previous


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
        items=digest.items.model_dump(mode="json"),
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
    """Makes and stores the digest of `window`. Raises Conflict when that period already
    has one, RunFailed (after noting it on the monitor) when it cannot be made.

    None: a scheduled run of a monitor that skips empty digests found a quiet period. A
    person who asks for a digest now always gets one, quiet or not."""
    if await repository.for_period(session, monitor.id, window.since, window.until):
        raise Conflict("This monitor already has a digest for exactly that period.")
    monitor.last_run_at = utcnow()
    try:
        current, previous = await _activities(session, settings, monitor, window)
    except RunFailed as failure:
        monitor.last_run_status, monitor.last_run_error = "error", str(failure)[:500]
        log.info("digest run failed", monitor_id=str(monitor.id), reason=str(failure))
        raise
    digest = await compose(
        current,
        previous,
        settings,
        writer=_writer(monitor.writer),
        include_bots=monitor.include_bots,
        stale_after=timedelta(days=monitor.stale_days),
        sections=frozenset(monitor.sections),
        pr_descriptions=monitor.include_pr_descriptions,
    )
    monitor.last_run_status, monitor.last_run_error = "ok", None
    if trigger.scheduled and monitor.skip_empty and digest.is_quiet:
        log.info("quiet period skipped", monitor_id=str(monitor.id))
        return None
    record = _record(monitor, digest, trigger)
    await repository.add(session, record)
    return record


def _writer(choice: str) -> WriterChoice:
    return "llm" if choice == "llm" else "builtin" if choice == "builtin" else "auto"
