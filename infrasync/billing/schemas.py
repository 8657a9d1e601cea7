from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from infrasync.billing.plans import LimitName, PlanName


class LimitUsage(BaseModel):
    name: LimitName
    label: str
    used: int
    limit: int | None = Field(description="None: no limit (self-hosted).")


class PlanOut(BaseModel):
    """One plan's limits, as the billing page states them."""

    name: PlanName
    monitors: int | None
    channels: int | None
    members: int | None
    schedule: str = Field(description="The most frequent schedule kind allowed.")
    schedule_label: str
    ai_writer: bool
    history_days: int | None


class MonthUsageOut(BaseModel):
    since: datetime = Field(description="The first instant of this month, UTC.")
    digests: int = Field(description="Digests made since then.")
    deliveries: int = Field(description="Deliveries delivered since then.")


class PausedMonitorOut(BaseModel):
    id: uuid.UUID
    name: str


class DowngradeOut(BaseModel):
    """The last downgrade: when, and the monitors it paused (newest first) to fit the
    plan. Nothing was deleted; resume them within the limit, or upgrade."""

    at: datetime
    paused_monitors: list[PausedMonitorOut]


class BillingOut(BaseModel):
    mode: Literal["self_hosted", "saas"]
    plan: PlanName | None = Field(description="None on a self-hosted server: no plans.")
    status: str | None = Field(description="The Stripe subscription's status, if any.")
    limits: list[LimitUsage]
    schedule: str
    schedule_label: str
    ai_writer: bool
    history_days: int | None
    this_month: MonthUsageOut
    renews_at: datetime | None
    cancel_at_period_end: bool
    grace_ends_at: datetime | None = Field(
        description="While past_due: pro until then, then the org is downgraded."
    )
    downgrade: DowngradeOut | None
    plans: list[PlanOut]
    can_upgrade: bool = Field(description="The caller may open Checkout (owners only).")
    can_manage: bool = Field(description="The caller may open the Billing Portal (owners).")


class SessionUrl(BaseModel):
    url: str = Field(description="Stripe's hosted page: send the browser there.")


class WebhookOut(BaseModel):
    event_id: str
    outcome: str = Field(
        description="plan_changed, unchanged, replay, ignored_type, unknown_customer or stale"
    )
