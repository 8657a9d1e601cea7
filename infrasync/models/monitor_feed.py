from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from infrasync.kit.db import Base, RecordMixin


class MonitorFeed(RecordMixin, Base):
    """A monitor's Atom feed of digests, readable by anyone holding its URL's token.

    Only the token's hash is kept (the URL is shown once); turning the feed off deletes
    the row, so its token dies with it, and rotating replaces the hash.
    """

    __tablename__ = "monitor_feeds"

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    # One feed per monitor: turning it on twice is a conflict, not a second URL.
    monitor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("monitors.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token's first characters (`isf_ab12`), so an admin can tell which URL is live.
    hint: Mapped[str] = mapped_column(String(16))
    enabled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    rotated_at: Mapped[datetime | None] = mapped_column(default=None)
