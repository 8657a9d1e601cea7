from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from infrasync.kit.db import Base, JSONDocument, RecordMixin


class OrgBilling(RecordMixin, Base):
    """An org's plan and what Stripe last told us about its subscription; one row per org,
    made on its first billing action (an org without one is on the free plan).

    `plan` is the plan applied (monitors were paused when it last became free); the plan in
    force at a moment also counts a lapsed grace period (billing/service.py)."""

    __tablename__ = "org_billing"
    __table_args__ = (
        # The worker's look for pro orgs whose past_due grace has ended.
        Index(
            "ix_org_billing_grace_ends_at",
            "grace_ends_at",
            postgresql_where=text("grace_ends_at IS NOT NULL"),
            sqlite_where=text("grace_ends_at IS NOT NULL"),
        ),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("orgs.id", ondelete="CASCADE"), unique=True
    )
    plan: Mapped[str] = mapped_column(String(16), default="free", server_default="free")
    # One customer per org, made with an idempotency key: unique, so two can never share.
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    subscription_id: Mapped[str | None] = mapped_column(String(255))
    subscription_status: Mapped[str | None] = mapped_column(String(32))
    current_period_end: Mapped[datetime | None] = mapped_column(default=None)
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    # While past_due: pro until then (the subscription's own period start + the grace).
    grace_ends_at: Mapped[datetime | None] = mapped_column(default=None)
    # When the subscription state held here was read from Stripe: a handler that read it
    # earlier never overwrites it, whatever order the events and handlers finish in.
    observed_at: Mapped[datetime | None] = mapped_column(default=None)
    # The Stripe event whose handling set the current state (audited with each change).
    last_event_id: Mapped[str | None] = mapped_column(String(255))
    # The last downgrade, for the org to see: when, and the monitors it paused.
    downgraded_at: Mapped[datetime | None] = mapped_column(default=None)
    paused_monitors: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)


class StripeEvent(Base):
    """Each Stripe event id, stored once: a replay of a processed one does nothing."""

    __tablename__ = "stripe_events"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None] = mapped_column(default=None)
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orgs.id", ondelete="SET NULL"))
    # What handling it did: plan_changed, unchanged, unknown_customer, …
    outcome: Mapped[str | None] = mapped_column(String(64))
