from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from infrasync.kit.db import Base


class RateLimitWindow(Base):
    """Requests counted per key (endpoint + client address) in fixed windows. In the
    database, so every server process shares one count."""

    __tablename__ = "rate_limit_windows"
    __table_args__ = (PrimaryKeyConstraint("key", "window_start"),)

    key: Mapped[str] = mapped_column(String(200))
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer, default=0)
