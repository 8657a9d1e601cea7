from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from infrasync.kit.db import Base, RecordMixin


class Org(RecordMixin, Base):
    """A tenant: every monitor, channel, digest and key belongs to exactly one org."""

    __tablename__ = "orgs"

    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
