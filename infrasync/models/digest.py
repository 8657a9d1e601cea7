from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from infrasync.kit.db import Base, JSONDocument, RecordMixin


class DigestRecord(RecordMixin, Base):
    """One digest of one monitor for one period. Unique per (monitor, period): a period
    is never made twice, whoever asks and however many workers run."""

    __tablename__ = "digests"
    __table_args__ = (
        UniqueConstraint("monitor_id", "period_since", "period_until"),
        Index("ix_digests_org_id_period_until", "org_id", "period_until"),
        # Analytics: the org's digests by the week or month their period starts in.
        Index("ix_digests_org_id_period_since", "org_id", "period_since"),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    monitor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("monitors.id", ondelete="CASCADE"), index=True
    )
    period_since: Mapped[datetime]
    period_until: Mapped[datetime]
    repository: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    writer: Mapped[str] = mapped_column(String(16))
    writer_note: Mapped[str | None] = mapped_column(String(1000))
    text: Mapped[str] = mapped_column(Text)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    items: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # The AI writer's grounding report (digests/grounding.py); None when no model answered.
    grounding: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    # The default branch's head when the activity was read, so a digest can be traced.
    source_revision: Mapped[str | None] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(16))  # manual, api or schedule
    triggered_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    triggered_by_label: Mapped[str | None] = mapped_column(String(200))
