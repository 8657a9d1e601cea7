from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, ForeignKey, Index, event, insert, update
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from infrasync.kit.db import Base
from infrasync.models.digest import DigestRecord

# The figures analytics charts (analytics/catalogue.py), each a column: its name and its
# path into `digests.metrics` (the top level: a digest of several repositories keeps its
# totals there).
WHOLE_NUMBERS = (
    "commits",
    "authors",
    "prs_opened",
    "prs_merged",
    "prs_closed_unmerged",
    "prs_open_at_end",
    "prs_stale",
    "issues_opened",
    "issues_closed",
    "releases",
    "contributors",
    "first_time_contributors",
)
HOURS = (
    ("time_to_merge_hours", "median"),
    ("time_to_merge_hours", "p90"),
    ("time_to_first_review_hours", "median"),
)


def column_of(path: tuple[str, ...]) -> str:
    return "_".join(path)


class DigestFigures(Base):
    """A digest's figures as a narrow row (some 150 bytes beside the digest's 2 KB of
    JSON), for analytics: a year of a big org's digests is 52,000 of these, read in a
    few megabytes where the digests themselves are a hundred. Written with the digest
    (the mapper events below) and never alone; the migration that made the table filled
    it from the digests there were.

    It repeats what analytics selects and groups by (org, monitor, period, whether the
    schedule made it, when it was made), so that no query of the series needs the
    digests' rows at all."""

    __tablename__ = "digest_figures"
    __table_args__ = (
        Index("ix_digest_figures_org_id_period_since", "org_id", "period_since"),
        Index("ix_digest_figures_org_id_period_until", "org_id", "period_until"),
        # The overlap probe: one monitor's scheduled digests around a period.
        Index("ix_digest_figures_monitor_id_period_since", "monitor_id", "period_since"),
    )

    digest_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("digests.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[uuid.UUID]
    monitor_id: Mapped[uuid.UUID]
    period_since: Mapped[datetime]
    period_until: Mapped[datetime]
    created_at: Mapped[datetime]
    scheduled: Mapped[bool]  # trigger == "schedule"
    # The buckets analytics groups by: the Monday and the first of the month (UTC) of the
    # day the period starts. Kept, not computed per row at each request: truncating a
    # timestamp in a time zone was a third of a series' time on Postgres.
    week_start: Mapped[date]
    month_start: Mapped[date]

    commits: Mapped[int | None]
    authors: Mapped[int | None]
    prs_opened: Mapped[int | None]
    prs_merged: Mapped[int | None]
    prs_closed_unmerged: Mapped[int | None]
    prs_open_at_end: Mapped[int | None]
    prs_stale: Mapped[int | None]
    issues_opened: Mapped[int | None]
    issues_closed: Mapped[int | None]
    releases: Mapped[int | None]
    contributors: Mapped[int | None]
    first_time_contributors: Mapped[int | None]
    time_to_merge_hours_median: Mapped[float | None]
    time_to_merge_hours_p90: Mapped[float | None]
    time_to_first_review_hours_median: Mapped[float | None]


def _number(value: object) -> int | float | None:
    # JSON null (a figure the source cannot know), or anything but a number: no figure.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def figures_of(record: DigestRecord) -> dict[str, Any]:
    """The figures row of a digest, from its stored metrics document."""
    metrics = record.metrics if isinstance(record.metrics, dict) else {}
    day = record.period_since.astimezone(UTC).date()
    row: dict[str, Any] = {
        "digest_id": record.id,
        "org_id": record.org_id,
        "monitor_id": record.monitor_id,
        "period_since": record.period_since,
        "period_until": record.period_until,
        "created_at": record.created_at,
        "scheduled": record.trigger == "schedule",
        "week_start": day - timedelta(days=day.weekday()),
        "month_start": day.replace(day=1),
    }
    for name in WHOLE_NUMBERS:
        value = _number(metrics.get(name))
        row[name] = None if value is None else int(value)
    for outer, inner in HOURS:
        nested = metrics.get(outer)
        value = _number(nested.get(inner)) if isinstance(nested, dict) else None
        row[column_of((outer, inner))] = None if value is None else float(value)
    return row


@event.listens_for(DigestRecord, "after_insert")
def _digest_inserted(_mapper: Mapper[Any], connection: Connection, record: DigestRecord) -> None:
    # In the digest's own flush, so in its transaction: one never exists without the other.
    connection.execute(insert(DigestFigures).values(figures_of(record)))


@event.listens_for(DigestRecord, "after_update")
def _digest_updated(_mapper: Mapper[Any], connection: Connection, record: DigestRecord) -> None:
    figures = figures_of(record)
    connection.execute(
        update(DigestFigures)
        .where(DigestFigures.digest_id == figures.pop("digest_id"))
        .values(figures)
    )
