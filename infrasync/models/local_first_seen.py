from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from infrasync.kit.db import Base, JSONDocument
from infrasync.kit.time import utcnow


class LocalFirstSeen(Base):
    """A local monitor's first-seen cache (`sources/first_seen.py`): bounds on each
    author's oldest commit in its repository's history, so that a newcomer in a window
    costs a walk of the window rather than of the whole history at every run.

    Derived from the repository alone, and dropped by the source itself whenever it no
    longer holds (a rewritten history, another mailmap, another path): losing a row
    costs one slower run, never a wrong verdict. One per monitor; it goes with it."""

    __tablename__ = "local_first_seen"

    monitor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True
    )
    # FirstSeen.as_json: the tip, the mailmap's fingerprint, the path and the bounds.
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
