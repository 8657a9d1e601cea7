from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from infrasync.kit.db import Base, RecordMixin


class OAuthState(RecordMixin, Base):
    """The `state` of one GitHub sign-in attempt: short-lived and single use. The same
    value sits in a cookie of the browser that started it, binding the two."""

    __tablename__ = "oauth_states"

    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(32), default="sign_in")
    return_to: Mapped[str | None] = mapped_column(String(512))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
