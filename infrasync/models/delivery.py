from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from infrasync.kit.db import Base, JSONDocument, RecordMixin


class Delivery(RecordMixin, Base):
    """The outbox: one row per (digest, channel), written in the digest's own transaction
    and sent after it commits. Claimed under a lease like a run; its id is the webhook's
    idempotency key (`webhook-id`), the same for every retry."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("digest_id", "channel_id"),
        Index("ix_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_deliveries_state_lease_until", "state", "lease_until"),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    digest_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"))
    channel_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    # pending, sending, delivered, failed (gave up, or a permanent error) or cancelled
    # (the channel was deleted or disabled before it went out)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    next_attempt_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    # Messages of the digest the receiver already took: a retry resumes after them, so
    # the parts arrive in order and the first ones are not sent again.
    parts_sent: Mapped[int] = mapped_column(default=0)
    receipts: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    last_status: Mapped[int | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


class DeliveryAttempt(RecordMixin, Base):
    """Every try leaves a row: when, how it ended, the receiver's status, a short error
    (never a URL, secret or address) and how long it took."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (
        Index("ix_delivery_attempts_channel_id_created_at", "channel_id", "created_at"),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    # None for a "send test", which belongs to no digest.
    delivery_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    digest_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("digests.id", ondelete="CASCADE")
    )
    # delivered, retry (transient; tried again later), failed (gave up or permanent) or
    # test (a "send test" from the channels page)
    outcome: Mapped[str] = mapped_column(String(16))
    status: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(default=0)
    worker: Mapped[str | None] = mapped_column(String(100))
