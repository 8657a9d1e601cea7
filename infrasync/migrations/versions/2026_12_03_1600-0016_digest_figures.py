"""digest figures: a narrow row of each digest's figures, for analytics

Revision ID: 0016
Revises: 0015
Created: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import infrasync.kit.db

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As of this revision (models/digest_figures.py): the columns and where each is in the
# metrics document. Frozen here, as a migration must be.
_WHOLE = (
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
_HOURS = (
    ("time_to_merge_hours", "median"),
    ("time_to_merge_hours", "p90"),
    ("time_to_first_review_hours", "median"),
)


def backfill_sql(dialect: str) -> str:
    """INSERT … SELECT of every digest without a figures row (bench/analytics.py runs
    it too, after its own bulk insert)."""
    names = [*_WHOLE, *("_".join(path) for path in _HOURS)]
    if dialect == "postgresql":
        # A number only (jsonb_typeof): anything else in a document is no figure, as
        # models/digest_figures.py reads it.
        def whole(key: str) -> str:
            return (
                f"CASE WHEN jsonb_typeof(d.metrics -> '{key}') = 'number' "
                f"THEN trunc((d.metrics ->> '{key}')::numeric)::integer END"
            )

        def hours(outer: str, inner: str) -> str:
            return (
                f"CASE WHEN jsonb_typeof(d.metrics -> '{outer}' -> '{inner}') = 'number' "
                f"THEN (d.metrics -> '{outer}' ->> '{inner}')::double precision END"
            )

        scheduled = "d.trigger = 'schedule'"
        utc = "timezone('UTC', d.period_since)"
        buckets = f"date_trunc('week', {utc})::date, date_trunc('month', {utc})::date"
    else:

        def whole(key: str) -> str:
            return (
                f"CASE WHEN json_type(d.metrics, '$.{key}') IN ('integer', 'real') "
                f"THEN CAST(json_extract(d.metrics, '$.{key}') AS INTEGER) END"
            )

        def hours(outer: str, inner: str) -> str:
            return (
                f"CASE WHEN json_type(d.metrics, '$.{outer}.{inner}') IN ('integer', 'real') "
                f"THEN CAST(json_extract(d.metrics, '$.{outer}.{inner}') AS REAL) END"
            )

        scheduled = "CASE WHEN d.trigger = 'schedule' THEN 1 ELSE 0 END"
        # The Monday on or before the day (back six days, then on to a Monday).
        buckets = (
            "date(d.period_since, '-6 days', 'weekday 1'), strftime('%Y-%m-01', d.period_since)"
        )
    values = [whole(key) for key in _WHOLE] + [hours(*path) for path in _HOURS]
    # Built from the constants above alone.
    insert = (
        "INSERT INTO digest_figures (digest_id, org_id, monitor_id, period_since, "  # noqa: S608
        f"period_until, created_at, scheduled, week_start, month_start, {', '.join(names)}) "
        "SELECT d.id, d.org_id, d.monitor_id, d.period_since, d.period_until, d.created_at, "
        f"{scheduled}, {buckets}, {', '.join(values)} FROM digests d "
        "WHERE NOT EXISTS (SELECT 1 FROM digest_figures f WHERE f.digest_id = d.id)"
    )
    return insert


def upgrade() -> None:
    op.create_table(
        "digest_figures",
        sa.Column("digest_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("monitor_id", sa.Uuid(), nullable=False),
        sa.Column("period_since", infrasync.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("period_until", infrasync.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", infrasync.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("scheduled", sa.Boolean(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("month_start", sa.Date(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=True) for name in _WHOLE),
        *(sa.Column("_".join(path), sa.Double(), nullable=True) for path in _HOURS),
        sa.ForeignKeyConstraint(
            ["digest_id"],
            ["digests.id"],
            name=op.f("fk_digest_figures_digest_id_digests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("digest_id", name=op.f("pk_digest_figures")),
    )
    with op.batch_alter_table("digest_figures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_digest_figures_org_id_period_since", ["org_id", "period_since"], unique=False
        )
        batch_op.create_index(
            "ix_digest_figures_org_id_period_until", ["org_id", "period_until"], unique=False
        )
        batch_op.create_index(
            "ix_digest_figures_monitor_id_period_since",
            ["monitor_id", "period_since"],
            unique=False,
        )
    op.execute(backfill_sql(op.get_bind().dialect.name))


def downgrade() -> None:
    op.drop_table("digest_figures")
