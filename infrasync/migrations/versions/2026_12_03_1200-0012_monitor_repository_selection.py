"""monitor repository selection

A monitor may follow several GitHub repositories (a list, or an owner's with include and
exclude patterns) in one digest; the plan's monitors limit counts its repositories.

Revision ID: 0012
Revises: 0011
Created: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("monitors") as batch:
        batch.add_column(
            sa.Column(
                "selection",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch.add_column(
            sa.Column("repository_count", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("monitors") as batch:
        batch.drop_column("repository_count")
        batch.drop_column("selection")
