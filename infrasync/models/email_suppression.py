from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from infrasync.kit.db import Base, RecordMixin


class EmailSuppression(RecordMixin, Base):
    """An address of an email channel that gets nothing more: it unsubscribed (RFC 8058
    one-click link), or its mail server refused it for good (an SMTP 5xx)."""

    __tablename__ = "email_suppressions"
    __table_args__ = (UniqueConstraint("channel_id", "address"),)

    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(String(16))  # unsubscribed or refused
    detail: Mapped[str | None] = mapped_column(String(300))
