from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from infrasync.models import Delivery

# What an admin can make; `file` (the demo's inbox on the server's disk) only the server.
CreatableKind = Literal["slack", "discord", "email", "webhook"]
ChannelKind = Literal["slack", "discord", "email", "webhook", "file"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChannelCreate(_Input):
    kind: CreatableKind
    name: Name
    url: Url | None = Field(
        default=None,
        description="Slack or Discord webhook URL, or your endpoint for a generic webhook "
        "(https). Stored encrypted; shown only as a hint.",
    )
    addresses: list[Address] | None = Field(
        default=None, max_length=50, description="Email channels: the recipients."
    )


class ChannelUpdate(_Input):
    name: Name | None = None
    url: Url | None = None
    addresses: list[Address] | None = Field(default=None, max_length=50)
    enabled: StrictBool | None = Field(
        default=None,
        description="true re-enables a channel a permanent error disabled (after fixing it).",
    )


class AddressOut(BaseModel):
    address: str
    status: Literal["active", "unsubscribed", "refused"]


class DeliveryStatus(BaseModel):
    """A channel's newest delivery: what a monitor page shows per channel."""

    id: uuid.UUID
    digest_id: uuid.UUID
    state: Literal["pending", "sending", "delivered", "failed", "cancelled"]
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryStatus:
        return cls(
            id=delivery.id,
            digest_id=delivery.digest_id,
            state=delivery.state,
            attempts=delivery.attempts,
            last_status=delivery.last_status,
            last_error=delivery.last_error,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
            next_attempt_at=delivery.next_attempt_at if delivery.state == "pending" else None,
        )


class ChannelOut(BaseModel):
    id: uuid.UUID
    kind: ChannelKind
    name: str
    hint: str
    addresses: list[AddressOut]
    disabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    monitor_ids: list[uuid.UUID]
    last_delivery: DeliveryStatus | None
    created_at: datetime


class ChannelCreated(ChannelOut):
    signing_secret: str | None = Field(
        default=None,
        description="Generic webhooks: the Standard Webhooks signing secret. Shown once.",
    )


class SigningSecret(BaseModel):
    signing_secret: str = Field(description="The new signing secret. Shown once.")


class TestResult(BaseModel):
    outcome: Literal["delivered", "retry", "failed"]
    status: int | None
    error: str | None
    channel: ChannelOut


class AttemptOut(BaseModel):
    id: uuid.UUID
    created_at: datetime
    outcome: Literal["delivered", "retry", "failed", "test"]
    status: int | None
    error: str | None
    duration_ms: int
    delivery_id: uuid.UUID | None
    digest_id: uuid.UUID | None


class AttemptPage(BaseModel):
    items: list[AttemptOut]
    next_cursor: str | None


class ChannelRef(BaseModel):
    """A channel as a monitor shows it, with its newest delivery of the monitor's digests."""

    id: uuid.UUID
    kind: ChannelKind
    name: str
    disabled: bool
    disabled_reason: str | None
    last_delivery: DeliveryStatus | None
