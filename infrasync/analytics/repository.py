"""The analytics queries: every figure is computed by the database over `digest_figures`,
a narrow row of each digest's figures written with it (models/digest_figures.py), grouped
by a bucket key made in SQL too. Reading a digest's own row would mean its 2 KB of JSON
for a handful of numbers: a year of a big org is then a hundred megabytes of heap.

Which digests count: those of the org's live monitors whose period starts in the range,
less any made by hand (run now, the API) whose window overlaps one of the same monitor's
scheduled digests: the schedule's digests are the regular series, and a "last 7 days"
made on a Wednesday would otherwise count half of two weeks twice. The indexes behind
this: `ix_digest_figures_org_id_period_since` (and `_until`, the org's range) and
`ix_digest_figures_monitor_id_period_since` (one monitor's range, and the overlap probe).
Only the summary's stale list reads `digests` itself (their items).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    CTE,
    ColumnElement,
    CompoundSelect,
    Float,
    Integer,
    Select,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from infrasync.analytics.catalogue import Metric
from infrasync.models import Channel, DigestFigures, DigestRecord, GitHubCredential, Monitor
from infrasync.models.digest_figures import column_of

Bucket = Literal["week", "month"]
SCHEDULED = "schedule"


@dataclass(frozen=True)
class Figure:
    """One metric's value in one group of digests, and how many digests carried it
    (None when none did: no digest, or only sources that cannot know it)."""

    value: float | None
    digests: int


@dataclass(frozen=True)
class Scope:
    """Whose digests, and which: those whose `column` lies in [since, until)."""

    org_id: uuid.UUID
    monitor_id: uuid.UUID | None
    since: datetime
    until: datetime
    column: Literal["period_since", "period_until"] = "period_since"


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "sqlite"


async def _without_jit(session: AsyncSession) -> None:
    """Postgres compiles a query it thinks costly (a year of an org's digests) to machine
    code first: 100 ms of compiling for a 350 ms query in the bench, on every request.
    Off for this transaction only (the request's)."""
    if _dialect(session) == "postgresql":
        await session.execute(text("SET LOCAL jit = off"))


def bucket_key(dialect: str, bucket: Bucket) -> ColumnElement[Any]:
    """The first day (UTC) of the week (Monday) or month a digest's period starts in: kept
    in its figures row (models/digest_figures.py), as a date."""
    column = DigestFigures.week_start if bucket == "week" else DigestFigures.month_start
    return column.expression


def _value(path: tuple[str, ...]) -> ColumnElement[Any]:
    value: ColumnElement[Any] = getattr(DigestFigures, column_of(path))
    return value


def metric_value(metric: Metric) -> ColumnElement[Any]:
    return _value(metric.path)


def _counted(scope: Scope) -> list[ColumnElement[bool]]:
    """The digests that count, as WHERE clauses (the module's docstring says which)."""
    scheduled = aliased(DigestFigures)
    overlapped = exists().where(
        scheduled.monitor_id == DigestFigures.monitor_id,
        scheduled.scheduled,
        scheduled.period_since < DigestFigures.period_until,
        scheduled.period_until > DigestFigures.period_since,
    )
    column = getattr(DigestFigures, scope.column)
    clauses = [
        DigestFigures.org_id == scope.org_id,
        column >= scope.since,
        column < scope.until,
        or_(DigestFigures.scheduled, ~overlapped),
    ]
    if scope.monitor_id is not None:
        clauses.append(DigestFigures.monitor_id == scope.monitor_id)
    return clauses


def _live_monitors(org_id: uuid.UUID) -> ColumnElement[bool]:
    # The org is implied by the digest's, and said again so that Postgres reads the org's
    # monitors by their index rather than every monitor of the server.
    return and_(
        Monitor.id == DigestRecord.monitor_id,
        Monitor.org_id == org_id,
        Monitor.deleted_at.is_(None),
    )


def _from_live_monitors(query: Select[Any], scope: Scope) -> Select[Any]:
    # Not a join: the org's deleted monitors are few, and a hashed NOT IN of them costs a
    # lookup per digest where a join to every monitor costs a probe and its bookkeeping.
    deleted = select(Monitor.id).where(
        Monitor.org_id == scope.org_id, Monitor.deleted_at.is_not(None)
    )
    return query.where(*_counted(scope), DigestFigures.monitor_id.not_in(deleted))


def _materialized(query: Select[Any] | CompoundSelect[Any], name: str) -> CTE:
    """The narrow rows (a key, figures) as a CTE Postgres computes once: as a subquery it
    is flattened into the window sorts above it, which then carry each digest's whole
    metrics document (11,000 rows of a kilobyte spilled to disk in the bench) and read
    the JSON again at each step."""
    return query.cte(name).prefix_with("MATERIALIZED", dialect="postgresql")


def _sums(metrics: list[Metric], key: ColumnElement[Any], scope: Scope) -> Select[Any]:
    values = [metric_value(metric) for metric in metrics]
    columns = [part for value in values for part in (func.sum(value), func.count(value))]
    query = select(key.label("key"), *columns).select_from(DigestFigures)
    return _from_live_monitors(query, scope).group_by(key)


def _sums_of_latest(metrics: list[Metric], key: ColumnElement[Any], scope: Scope) -> Select[Any]:
    """Each monitor's last digest in the group (the latest window end), summed."""
    newest_first = func.row_number().over(
        partition_by=(key, DigestFigures.monitor_id),
        order_by=(DigestFigures.period_until.desc(), DigestFigures.created_at.desc()),
    )
    values = [metric_value(metric).label(f"v{n}") for n, metric in enumerate(metrics)]
    ranked = _materialized(
        _from_live_monitors(
            select(key.label("key"), newest_first.label("newest"), *values).select_from(
                DigestFigures
            ),
            scope,
        ),
        "ranked",
    )
    columns = [
        part
        for n in range(len(metrics))
        for part in (func.sum(ranked.c[f"v{n}"]), func.count(ranked.c[f"v{n}"]))
    ]
    return select(ranked.c.key, *columns).where(ranked.c.newest == 1).group_by(ranked.c.key)


def _weighted_medians(metrics: list[Metric], key: ColumnElement[Any], scope: Scope) -> Select[Any]:
    """Per metric and group: the weighted median of the digests' medians, the mean of the
    lowest value with at least half the weight at or below it and the highest with at
    least half at or above it (with equal weights, the usual median: the mean of the
    middle two). Several metrics in one query and one read of the digests: each digest's
    values and weights once, then stacked by metric and ranked in one sort."""
    columns: list[ColumnElement[Any]] = [key.label("key")]
    for number, metric in enumerate(metrics):
        weight = (
            func.coalesce(_value((metric.weighted_by,)), 1)
            if metric.weighted_by
            else literal(1, Integer)
        )
        columns += [metric_value(metric).label(f"v{number}"), weight.label(f"w{number}")]
    read = _materialized(
        _from_live_monitors(select(*columns).select_from(DigestFigures), scope), "read"
    )
    stacked = [
        select(
            literal(number, Integer).label("metric"),
            read.c.key,
            read.c[f"v{number}"].label("value"),
            read.c[f"w{number}"].label("weight"),
        ).where(read.c[f"v{number}"].is_not(None))
        for number in range(len(metrics))
    ]
    p = (stacked[0] if len(stacked) == 1 else union_all(*stacked)).subquery("points")
    group = (p.c.metric, p.c.key)
    # All three windows share one sort (group, value); the default frame (RANGE …
    # CURRENT ROW) takes equal values in together.
    at_or_below = func.sum(p.c.weight).over(partition_by=group, order_by=p.c.value)
    equal = func.sum(p.c.weight).over(partition_by=(*group, p.c.value))
    total = func.sum(p.c.weight).over(partition_by=group)
    ranked = select(
        p.c.metric,
        p.c.key,
        p.c.value,
        at_or_below.label("at_or_below"),
        (total - at_or_below + equal).label("at_or_above"),
        total.label("total"),
    ).subquery("ranked")
    r = ranked.c
    lower = func.min(case((2 * r.at_or_below >= r.total, r.value)))
    upper = func.max(case((2 * r.at_or_above >= r.total, r.value)))
    return select(r.metric, r.key, cast(lower, Float), cast(upper, Float), func.count()).group_by(
        r.metric, r.key
    )


def _key_text(key: object) -> str:
    return str(key)  # a date on Postgres, its ISO text on SQLite


async def figures(
    session: AsyncSession, metrics: list[Metric], key: ColumnElement[Any], scope: Scope
) -> dict[str, dict[str, Figure]]:
    """Each metric's figure per group key: {key: {metric name: Figure}}, groups without
    a counted digest left out. One query per kind of combination, however many metrics."""
    await _without_jit(session)
    found: dict[str, dict[str, Figure]] = {}
    sums = [m for m in metrics if m.aggregation == "sum"]
    latest = [m for m in metrics if m.aggregation == "sum_of_latest"]
    for kind, group in (("sum", sums), ("latest", latest)):
        if not group:
            continue
        query = _sums(group, key, scope) if kind == "sum" else _sums_of_latest(group, key, scope)
        for row in (await session.execute(query)).all():
            for n, metric in enumerate(group):
                total, count = row[1 + 2 * n], row[2 + 2 * n]
                found.setdefault(_key_text(row[0]), {})[metric.name] = Figure(
                    value=None if count == 0 else total, digests=count
                )
    medians = [m for m in metrics if m.is_median]
    if medians:
        rows = (await session.execute(_weighted_medians(medians, key, scope))).all()
        for number, group_key, lower, upper, count in rows:
            middle = None if lower is None or upper is None else round((lower + upper) / 2, 2)
            found.setdefault(_key_text(group_key), {})[medians[number].name] = Figure(middle, count)
    return found


async def series(
    session: AsyncSession, metric: Metric, bucket: Bucket, scope: Scope
) -> dict[str, Figure]:
    """One metric per bucket, by the bucket's first day (`YYYY-MM-DD`)."""
    key = bucket_key(_dialect(session), bucket)
    by_key = await figures(session, [metric], key, scope)
    return {day: values[metric.name] for day, values in by_key.items()}


def halves_key(boundary: datetime) -> ColumnElement[str]:
    """'current' for digests that ended after `boundary`, else 'previous'."""
    return case((DigestFigures.period_until > boundary, "current"), else_="previous")


# The summary's lists ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LatestItems:
    monitor_id: uuid.UUID
    monitor_name: str
    repository: str | None
    period_until: datetime
    stale: list[dict[str, Any]]
    # A digest across several repositories: [{"repository": {...}, "items": {...}}, ...]
    parts: list[dict[str, Any]]


async def latest_stale_items(
    session: AsyncSession, org_id: uuid.UUID, ended_after: datetime
) -> list[LatestItems]:
    """The stale pull requests of each live monitor's newest digest that ended after
    `ended_after`: only `items.stale` (and the parts of a digest across several
    repositories) leave the database, not the rest of the items."""
    newest_first = func.row_number().over(
        partition_by=DigestRecord.monitor_id,
        order_by=(DigestRecord.period_until.desc(), DigestRecord.created_at.desc()),
    )
    # The newest digest of each monitor first, by the index and without its JSON; only
    # those digests' items are then read.
    ranked = (
        select(DigestRecord.id, newest_first.label("newest"))
        .join(Monitor, _live_monitors(org_id))
        .where(DigestRecord.org_id == org_id, DigestRecord.period_until > ended_after)
        .subquery("ranked")
    )
    rows = await session.execute(
        select(
            DigestRecord.monitor_id,
            Monitor.name,
            DigestRecord.repository["name"].as_string().label("repository"),
            DigestRecord.period_until,
            DigestRecord.items["stale"].label("stale"),
            DigestRecord.items["repositories"].label("parts"),
        )
        .join(ranked, and_(ranked.c.id == DigestRecord.id, ranked.c.newest == 1))
        .join(Monitor, Monitor.id == DigestRecord.monitor_id)
    )
    return [
        LatestItems(
            monitor_id=row.monitor_id,
            monitor_name=row.name,
            repository=row.repository,
            period_until=row.period_until,
            stale=row.stale if isinstance(row.stale, list) else [],
            parts=row.parts if isinstance(row.parts, list) else [],
        )
        for row in rows.all()
    ]


async def failing_monitors(session: AsyncSession, org_id: uuid.UUID) -> list[Monitor]:
    """Live monitors whose last run failed, most recent failure first."""
    rows = await session.scalars(
        select(Monitor)
        .where(
            Monitor.org_id == org_id,
            Monitor.deleted_at.is_(None),
            Monitor.last_run_status == "error",
        )
        .order_by(Monitor.last_run_at.desc(), Monitor.name)
    )
    return list(rows)


async def disabled_channels(session: AsyncSession, org_id: uuid.UUID) -> list[Channel]:
    rows = await session.scalars(
        select(Channel)
        .where(
            Channel.org_id == org_id,
            Channel.deleted_at.is_(None),
            Channel.disabled_at.is_not(None),
        )
        .order_by(Channel.disabled_at.desc(), Channel.name)
    )
    return list(rows)


@dataclass(frozen=True)
class MonitorToken:
    """A token the org's live GitHub monitors read with (None: monitors without one)."""

    credential: GitHubCredential | None
    monitors: int


async def monitor_tokens(session: AsyncSession, org_id: uuid.UUID) -> list[MonitorToken]:
    """Each credential the org's live GitHub monitors use, with how many use it; one row
    with no credential counts those that have none."""
    rows = await session.execute(
        select(Monitor.credential_id, func.count())
        .where(
            Monitor.org_id == org_id,
            Monitor.deleted_at.is_(None),
            Monitor.source_kind == "github",
        )
        .group_by(Monitor.credential_id)
    )
    counts: dict[uuid.UUID | None, int] = dict(rows.all())
    ids = [credential_id for credential_id in counts if credential_id is not None]
    credentials = (
        list(await session.scalars(select(GitHubCredential).where(GitHubCredential.id.in_(ids))))
        if ids
        else []
    )
    found = [MonitorToken(credential, counts[credential.id]) for credential in credentials]
    # A credential deleted under a monitor leaves the monitor with none (SET NULL).
    if None in counts:
        found.append(MonitorToken(None, counts[None]))
    return found
