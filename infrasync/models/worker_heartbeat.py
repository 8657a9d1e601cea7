from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from infrasync.kit.db import Base, JSONDocument


class WorkerHeartbeat(Base):
    """The last time each worker was seen, for /ready and /metrics: a schedule that has
    no live worker is how digests silently stop arriving, so it must be visible."""

    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime] = mapped_column(index=True)
    # What the worker has counted since it started (WorkerStats.as_counters), written with
    # each beat: /metrics reads every worker's counters here, so a standalone `worker` or
    # `tick`, which serves no HTTP, is counted too. None before its first beat with them.
    counters: Mapped[dict[str, int] | None] = mapped_column(JSONDocument, default=None)
