"""What analytics answers (docs/analytics.md): a metric's series per week or month, and a
summary of now against the period before. The database computes every figure (see
repository); this module checks the request, lays the buckets out and fills the gaps."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.analytics import repository
from infrasync.analytics.catalogue import ALIASES, KNOWN_NAMES, METRICS, Metric
from infrasync.analytics.repository import Bucket, Figure, Scope
from infrasync.analytics.schemas import (
    BudgetResource,
    DisabledChannel,
    FailingMonitor,
    GitHubBudget,
    MetricComparison,
    PeriodFigure,
    Point,
    Series,
    StalePull,
    Summary,
    SummaryPeriod,
    TokenBudget,
)
from infrasync.auth.context import OrgContext
from infrasync.digests.window import LATEST_AHEAD, check_moment
from infrasync.errors import Unprocessable
from infrasync.github.ratelimit import RateLimitLedger, shared_ledger
from infrasync.kit.time import utcnow
from infrasync.monitors import service as monitor_service

# A longer range is a mistake (or a dashboard asking for every week since 2000): 157
# weekly buckets is what a chart can still show.
MAX_RANGE = timedelta(days=3 * 366)
DEFAULT_BUCKETS = 12
# The newest digest older than this says nothing about which pull requests wait now.
STALE_RECENCY = timedelta(days=14)
LISTED_STALE = 50


# The request ------------------------------------------------------------------------------


def metric_named(name: str) -> Metric:
    metric = METRICS.get(ALIASES.get(name, name))
    if metric is None:
        raise Unprocessable(f"metric: there is no metric {name!r}; use one of {KNOWN_NAMES}.")
    return metric


def bucket_named(name: str) -> Bucket:
    if name == "week":
        return "week"
    if name == "month":
        return "month"
    raise Unprocessable(f"bucket: {name!r} is not a bucket; use week or month.")


def _moment(text: str | None, name: str, now: datetime) -> datetime | None:
    """A date (`2026-11-02`, midnight UTC) or a time (`2026-11-02T09:00Z`; UTC without a
    zone), within the years a digest may cover."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Unprocessable(
            f"{name}: {text[:40]!r} is not a date; use 2026-11-02 or 2026-11-02T09:00Z."
        ) from None
    try:
        return check_moment(moment, name, now)
    except ValueError as error:
        raise Unprocessable(f"{name}: {error}.") from None


def bucket_start(moment: datetime, bucket: Bucket) -> datetime:
    """The first moment (UTC) of the week (Monday) or month `moment` lies in; the SQL of
    repository.bucket_key says the same of a digest's period."""
    day = moment.astimezone(UTC).date()
    first = day - timedelta(days=day.weekday()) if bucket == "week" else day.replace(day=1)
    return datetime(first.year, first.month, first.day, tzinfo=UTC)


def next_bucket(start: datetime, bucket: Bucket) -> datetime:
    if bucket == "week":
        return start + timedelta(weeks=1)
    year, month = divmod(start.month, 12)
    return start.replace(year=start.year + year, month=month + 1)


def _earlier_buckets(start: datetime, bucket: Bucket, count: int) -> datetime:
    if bucket == "week":
        return start - timedelta(weeks=count)
    months = start.year * 12 + start.month - 1 - count
    return start.replace(year=months // 12, month=months % 12 + 1)


@dataclass(frozen=True)
class Range:
    since: datetime
    until: datetime


def parse_range(since: str | None, until: str | None, bucket: Bucket, now: datetime) -> Range:
    """[since, until) widened to whole buckets; by default the last 12 buckets, the
    current one included. Raises Unprocessable with a sentence saying what to fix."""
    end = _moment(until, "until", now) or now
    start = _moment(since, "since", now)
    if start is None:
        start = _earlier_buckets(bucket_start(end, bucket), bucket, DEFAULT_BUCKETS - 1)
    if start >= end:
        raise Unprocessable("since: since must come before until.")
    if end - start > MAX_RANGE:
        raise Unprocessable(
            "since: a series covers at most 3 years; move since and until closer together."
        )
    last = bucket_start(end - timedelta(microseconds=1), bucket)
    return Range(since=bucket_start(start, bucket), until=next_bucket(last, bucket))


# The series ---------------------------------------------------------------------------------


def _points(found: dict[str, Figure], bucket: Bucket, within: Range) -> list[Point]:
    """Every bucket of the range, oldest first; one without a counted digest is null."""
    points = []
    start = within.since
    while start < within.until:
        end = next_bucket(start, bucket)
        figure = found.get(start.date().isoformat(), Figure(value=None, digests=0))
        points.append(Point(start=start, end=end, value=figure.value, digests=figure.digests))
        start = end
    return points


async def series(
    session: AsyncSession,
    context: OrgContext,
    *,
    metric_name: str,
    bucket_name: str,
    since: str | None,
    until: str | None,
    monitor_id: uuid.UUID | None,
) -> Series:
    metric = metric_named(metric_name)
    bucket = bucket_named(bucket_name)
    within = parse_range(since, until, bucket, utcnow())
    if monitor_id is not None:
        await monitor_service.get(session, context, monitor_id)  # another org's: 404
    scope = Scope(context.org.id, monitor_id, within.since, within.until)
    found = await repository.series(session, metric, bucket, scope)
    return Series(
        metric=metric.name,
        unit=metric.unit,
        aggregation=metric.aggregation,
        weighted_by=metric.weighted_by,
        bucket=bucket,
        monitor_id=monitor_id,
        since=within.since,
        until=within.until,
        points=_points(found, bucket, within),
    )


# The summary --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Waiting:
    """A stale entry as stored, with where it was found: sorted before any is read in
    full, since a big org's newest digests hold thousands and the summary shows 50."""

    created_at: str
    pull: dict[str, Any]
    digest: repository.LatestItems
    repository_name: str | None


def _waiting(latest: list[repository.LatestItems]) -> list[_Waiting]:
    found = []
    for digest in latest:
        lists: list[tuple[str | None, Any]] = [(digest.repository, digest.stale)]
        for part in digest.parts:
            repository_part = part.get("repository") or {}
            items = part.get("items") or {}
            lists.append((repository_part.get("name"), items.get("stale") or []))
        for repository_name, pulls in lists:
            for pull in pulls if isinstance(pulls, list) else []:
                if isinstance(pull, dict) and isinstance(pull.get("created_at"), str):
                    found.append(_Waiting(pull["created_at"], pull, digest, repository_name))
    # Stored as UTC ISO text ("…Z"), which sorts as the times do.
    return sorted(
        found,
        key=lambda w: (w.created_at, w.digest.monitor_name, str(w.pull.get("number"))),
    )


def _stale_pulls(waiting: list[_Waiting], limit: int) -> list[StalePull]:
    """The first `limit` that this version can read (an entry of a shape it cannot is
    left out), oldest first."""
    shown: list[StalePull] = []
    for entry in waiting:
        if len(shown) == limit:
            break
        try:
            shown.append(
                StalePull.model_validate(
                    {
                        **entry.pull,
                        "monitor_id": entry.digest.monitor_id,
                        "monitor_name": entry.digest.monitor_name,
                        "repository": entry.repository_name,
                        "as_of": entry.digest.period_until,
                    }
                )
            )
        except (ValidationError, TypeError):
            continue
    return shown


def _figure(figures: dict[str, Figure], name: str) -> PeriodFigure:
    found = figures.get(name, Figure(value=None, digests=0))
    return PeriodFigure(value=found.value, digests=found.digests)


async def summary(session: AsyncSession, context: OrgContext, *, days: int) -> Summary:
    now = utcnow()
    length = timedelta(days=days)
    boundary, start = now - length, now - 2 * length
    # By the end of their window: a weekly digest that ended this morning is this week's.
    # A window may end a little after now (SPEC §7), hence the margin.
    scope = Scope(context.org.id, None, start, now + LATEST_AHEAD, column="period_until")
    metrics = list(METRICS.values())
    halves = await repository.figures(session, metrics, repository.halves_key(boundary), scope)
    current, previous = halves.get("current", {}), halves.get("previous", {})
    waiting = _waiting(
        await repository.latest_stale_items(session, context.org.id, now - STALE_RECENCY)
    )
    failing = await repository.failing_monitors(session, context.org.id)
    disabled = await repository.disabled_channels(session, context.org.id)
    return Summary(
        days=days,
        current=SummaryPeriod(since=boundary, until=now),
        previous=SummaryPeriod(since=start, until=boundary),
        metrics=[
            MetricComparison(
                metric=metric.name,
                unit=metric.unit,
                aggregation=metric.aggregation,
                weighted_by=metric.weighted_by,
                current=_figure(current, metric.name),
                previous=_figure(previous, metric.name),
            )
            for metric in metrics
        ],
        stale_pull_requests=_stale_pulls(waiting, LISTED_STALE),
        stale_total=len(waiting),
        failing_monitors=[
            FailingMonitor(
                id=monitor.id,
                name=monitor.name,
                last_run_at=monitor.last_run_at,
                last_run_error=monitor.last_run_error,
            )
            for monitor in failing
        ],
        disabled_channels=[
            DisabledChannel(
                id=channel.id,
                name=channel.name,
                kind=channel.kind,
                disabled_at=channel.disabled_at,
                disabled_reason=channel.disabled_reason,
            )
            for channel in disabled
            if channel.disabled_at is not None
        ],
    )


# The GitHub budget ------------------------------------------------------------------------


async def github_budget(
    session: AsyncSession, context: OrgContext, ledger: RateLimitLedger | None = None
) -> GitHubBudget:
    """The tokens the org's monitors read GitHub with, and what GitHub last said of each
    one's budget to this process (the ledger is per process: figures appear once this
    process has used the token, as `serve`'s in-process worker does on each run)."""
    ledger = ledger or shared_ledger()
    tokens: list[TokenBudget] = []
    without = 0
    for found in await repository.monitor_tokens(session, context.org.id):
        credential = found.credential
        if credential is None:
            without = found.monitors
            continue
        tokens.append(
            TokenBudget(
                token_hint=credential.token_hint,
                owner="org" if credential.org_id is not None else "member",
                github_login=credential.github_login,
                monitors=found.monitors,
                rejected=credential.rejected_at is not None,
                resources=[
                    BudgetResource(
                        resource=row.resource,
                        limit=row.limit,
                        remaining=row.remaining,
                        used=row.used,
                        resets_at=row.resets_at,
                        observed_at=row.observed_at,
                    )
                    for row in ledger.budget(credential.token_hash)
                ],
            )
        )
    tokens.sort(key=lambda token: (-token.monitors, token.github_login or "", token.token_hint))
    return GitHubBudget(tokens=tokens, monitors_without_token=without)
