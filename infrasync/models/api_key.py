from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from infrasync.kit.db import Base, RecordMixin
from infrasync.models.membership import Role, role_column


class ApiKey(RecordMixin, Base):
    """An org's API key (`isk_…`): shown once, stored hashed, bound to one org and role."""

    __tablename__ = "api_keys"

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = role_column()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, so people can tell keys apart; useless to an attacker.
    hint: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
