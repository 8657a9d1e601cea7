from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from infrasync.kit.db import Base, JSONDocument, RecordMixin


class GitHubCredential(RecordMixin, Base):
    """A GitHub token that Infrasync reads repositories with, held for one user or one
    org (exactly one of the two), encrypted under INFRASYNC_ENCRYPTION_KEYS.

    Only `encrypted_token` can give the token back, and only with a key. `token_hash`
    (sha256) names the token in caches, metrics and logs; `token_hint` (its last four
    characters) lets people tell tokens apart.
    """

    __tablename__ = "github_credentials"
    __table_args__ = (CheckConstraint("(user_id IS NULL) <> (org_id IS NULL)", name="one_owner"),)

    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("orgs.id", ondelete="CASCADE"), unique=True
    )
    encrypted_token: Mapped[str] = mapped_column(Text)
    token_hash: Mapped[str] = mapped_column(String(64), index=True)
    token_hint: Mapped[str] = mapped_column(String(8))
    # OAuth scopes as GitHub granted them; `repo` is what private repositories need.
    scopes: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    private_access: Mapped[bool] = mapped_column(default=False)
    github_login: Mapped[str | None] = mapped_column(String(100))
    github_user_id: Mapped[int | None] = mapped_column(BigInteger)
    # Set when GitHub answered 401 with this token: reads stop until it is replaced.
    rejected_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
