"""A monitor as its page shows it: settings, schedule, next run, last digest, last run
and, per channel, how the last digest's delivery went, so "why didn't it arrive?" is
answered on one screen. Gathers from the domains' services in a fixed number of queries,
however many monitors."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.delivery import service as delivery_service
from infrasync.delivery.schemas import ChannelRef, DeliveryStatus
from infrasync.digests import service as digest_service
from infrasync.models import DigestRun, Monitor
from infrasync.monitors import service
from infrasync.monitors.schemas import LastDigest, MonitorOut, PeriodOut, RunOut, ScheduleOut
from infrasync.monitors.selection import followed_repositories, owner_selection_out
from infrasync.scheduler import service as scheduler_service


def run_out(run: DigestRun) -> RunOut:
    return RunOut(
        id=run.id,
        monitor_id=run.monitor_id,
        state=run.state,
        trigger=run.trigger,
        period=PeriodOut(since=run.period_since, until=run.period_until),
        digest_id=run.digest_id,
        error=run.error,
        attempts=run.attempts,
        periods=run.periods,
        created_at=run.created_at,
        finished_at=run.finished_at,
    )


async def monitors_out(session: AsyncSession, monitors: list[Monitor]) -> list[MonitorOut]:
    ids = [m.id for m in monitors]
    credentials = await service.credentials_of(monitors, session)
    channels = await delivery_service.channels_of_monitors(session, ids)
    digests = await digest_service.latest_of_monitors(session, ids)
    deliveries = await delivery_service.deliveries_of_digests(
        session, [d.id for d in digests.values()]
    )
    runs = await scheduler_service.latest_runs(session, ids)
    shown: list[MonitorOut] = []
    for monitor in monitors:
        digest = digests.get(monitor.id)
        refs = []
        for channel in channels.get(monitor.id, []):
            delivery = deliveries.get((digest.id, channel.id)) if digest else None
            refs.append(
                ChannelRef(
                    id=channel.id,
                    kind=channel.kind,
                    name=channel.name,
                    disabled=channel.disabled_at is not None,
                    disabled_reason=channel.disabled_reason,
                    last_delivery=DeliveryStatus.of(delivery) if delivery else None,
                )
            )
        run = runs.get(monitor.id)
        shown.append(
            MonitorOut(
                id=monitor.id,
                name=monitor.name,
                source=monitor.source,
                source_kind="git" if monitor.source_kind == "git" else "github",
                repositories=followed_repositories(monitor),
                github_owner=owner_selection_out(monitor),
                credential=credentials.get(monitor.id),
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
                schedule=_schedule_out(monitor),
                next_run_at=None if monitor.paused else monitor.next_run_at,
                channels=refs,
                last_digest=LastDigest(
                    id=digest.id,
                    period=PeriodOut(since=digest.period_since, until=digest.period_until),
                    created_at=digest.created_at,
                )
                if digest
                else None,
                last_run=run_out(run) if run else None,
            )
        )
    return shown


def _schedule_out(monitor: Monitor) -> ScheduleOut:
    given = service.schedule_in(monitor)
    return ScheduleOut(**given.model_dump(), description=service.describe_schedule(given))
