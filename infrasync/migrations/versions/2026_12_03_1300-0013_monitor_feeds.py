"""monitor feeds

Revision ID: 0013
Revises: 0012
Created: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import infrasync.kit.db

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A feed's token is kept only as its hash; the row goes when the feed is turned off.
    op.create_table(
        "monitor_feeds",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("monitor_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=16), nullable=False),
        sa.Column("enabled_by_id", sa.Uuid(), nullable=True),
        sa.Column("rotated_at", infrasync.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", infrasync.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", infrasync.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", infrasync.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enabled_by_id"],
            ["users.id"],
            name=op.f("fk_monitor_feeds_enabled_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_monitor_feeds_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_monitor_feeds_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_feeds")),
        sa.UniqueConstraint("monitor_id", name=op.f("uq_monitor_feeds_monitor_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_monitor_feeds_token_hash")),
    )
    with op.batch_alter_table("monitor_feeds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_monitor_feeds_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("monitor_feeds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monitor_feeds_org_id"))
    op.drop_table("monitor_feeds")
