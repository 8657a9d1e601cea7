"""drop the github rest cache: nothing ever read through it

Monitors read GitHub through GraphQL, which has no conditional requests; the one REST
call on a real path (checking a repository when a monitor is made) is made once, so an
ETag cache would never answer it.

Revision ID: 0007
Revises: 0006
Created: 2026-12-01 23:18:28.721693
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import infrasync.kit.db

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("github_rest_cache", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_github_rest_cache_token_hash"))

    op.drop_table("github_rest_cache")


def downgrade() -> None:
    # The table exactly as 0003 made it (empty: what it held was only ever a cache).
    op.create_table(
        "github_rest_cache",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("url_hash", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(length=255), nullable=True),
        sa.Column("last_modified", sa.String(length=64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("content_type", sa.String(length=255), nullable=True),
        sa.Column("fetched_at", infrasync.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", infrasync.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", infrasync.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", infrasync.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_github_rest_cache")),
        sa.UniqueConstraint(
            "token_hash", "url_hash", name=op.f("uq_github_rest_cache_token_hash_url_hash")
        ),
    )
    with op.batch_alter_table("github_rest_cache", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_github_rest_cache_token_hash"), ["token_hash"], unique=False
        )
