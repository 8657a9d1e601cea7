"""github credentials and the REST ETag cache

Revision ID: 0003
Revises: 0002
Created: 2026-11-29 02:58:27.609790
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import infrasync.kit.db

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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

    op.create_table(
        "github_credentials",
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=True),
        sa.Column("encrypted_token", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_hint", sa.String(length=8), nullable=False),
        sa.Column(
            "scopes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("private_access", sa.Boolean(), nullable=False),
        sa.Column("github_login", sa.String(length=100), nullable=True),
        sa.Column("github_user_id", sa.BigInteger(), nullable=True),
        sa.Column("rejected_at", infrasync.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", infrasync.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", infrasync.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", infrasync.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", infrasync.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (org_id IS NULL)", name=op.f("ck_github_credentials_one_owner")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["orgs.id"],
            name=op.f("fk_github_credentials_org_id_orgs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_github_credentials_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_github_credentials")),
        sa.UniqueConstraint("org_id", name=op.f("uq_github_credentials_org_id")),
        sa.UniqueConstraint("user_id", name=op.f("uq_github_credentials_user_id")),
    )
    with op.batch_alter_table("github_credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_github_credentials_token_hash"), ["token_hash"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("github_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_github_credentials_token_hash"))

    op.drop_table("github_credentials")
    with op.batch_alter_table("github_rest_cache", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_github_rest_cache_token_hash"))

    op.drop_table("github_rest_cache")
