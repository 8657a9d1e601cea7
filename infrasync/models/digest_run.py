from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from infrasync.kit.db import Base, RecordMixin


class DigestRun(RecordMixin, Base):
    """One request for a monitor's digest of one period: queued by the schedule or by a
    person (run now), claimed by a worker under a lease, then done, failed or skipped.

    The lease is what makes a crash lose nothing: a worker that dies holding a run stops
    renewing `lease_until`, and once it passes any worker claims the run again. The digest
    itself is unique per (monitor, period), so a run made twice still yields one digest.
    """

    __tablename__ = "digest_runs"
    __table_args__ = (
        # The claim's two halves: due queued runs, and running ones whose lease ran out.
        Index("ix_digest_runs_state_not_before", "state", "not_before"),
        Index("ix_digest_runs_state_lease_until", "state", "lease_until"),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    monitor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("monitors.id", ondelete="CASCADE"), index=True
    )
    period_since: Mapped[datetime]
    period_until: Mapped[datetime]
    trigger: Mapped[str] = mapped_column(String(16))  # manual, api or schedule
    triggered_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    triggered_by_label: Mapped[str | None] = mapped_column(String(200))
    # queued, running, done, failed or skipped (a period missed for longer than the
    # catch-up bound, or quiet and the monitor skips empty digests)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    not_before: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    digest_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("digests.id", ondelete="SET NULL")
    )
    error: Mapped[str | None] = mapped_column(String(500))
    # For a skipped record: how many periods it stands for (a long outage is one row).
    periods: Mapped[int] = mapped_column(default=1)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
