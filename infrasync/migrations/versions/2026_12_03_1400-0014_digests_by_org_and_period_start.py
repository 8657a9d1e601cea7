"""digests by org and period start, for analytics

Revision ID: 0014
Revises: 0013
Created: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Analytics buckets an org's digests by the week or month their period starts in
    # (analytics/repository.py): this is the range it reads. One monitor's range, and the
    # overlap probe, use the unique (monitor_id, period_since, period_until).
    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_digests_org_id_period_since", ["org_id", "period_since"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.drop_index("ix_digests_org_id_period_since")
