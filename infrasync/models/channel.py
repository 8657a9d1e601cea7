from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from infrasync.kit.db import Base, JSONDocument, RecordMixin

# Which channels a monitor's digests go to (many to many). Both sides belong to one org;
# the service checks that before linking, so a row never joins two orgs.
monitor_channels = Table(
    "monitor_channels",
    Base.metadata,
    Column("monitor_id", ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True),
    Column("channel_id", ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True),
)


class Channel(RecordMixin, Base):
    """Where an org's digests are delivered: a Slack or Discord webhook, email addresses
    or a signed generic webhook. The URL (itself the credential for Slack and Discord) and
    the signing secret are sealed with the SecretBox; only `hint` is ever shown."""

    __tablename__ = "channels"

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # slack, discord, email or webhook
    name: Mapped[str] = mapped_column(String(100))
    url_sealed: Mapped[str | None] = mapped_column(Text)
    signing_secret_sealed: Mapped[str | None] = mapped_column(Text)
    hint: Mapped[str] = mapped_column(String(200), default="")
    # Email channels: the recipients (not a secret, but never logged).
    addresses: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    # A permanent error (the webhook was removed, the channel archived) stops deliveries
    # until an admin changes or re-enables the channel; the reason is shown to them.
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
