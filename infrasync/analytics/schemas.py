from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from infrasync.analytics.catalogue import Aggregation, Unit

AGGREGATION_HELP = (
    "How the bucket's digests are combined: `sum` (counts of events), `sum_of_latest` "
    "(a state at a window's end: each monitor's last digest in the bucket, summed), "
    "`weighted_median_of_digests` (medians: the weighted median of the digests' medians, "
    "each weighted by `weighted_by`), `median_of_digests` (the same, each digest weighing "
    "one). Medians are never summed or averaged. docs/analytics.md defines each"
)


class Point(BaseModel):
    start: datetime = Field(description="The bucket's first moment (UTC): a Monday or a 1st")
    end: datetime = Field(description="The next bucket's first moment (exclusive)")
    value: int | float | None = Field(
        description="The bucket's figure; null when no digest counted in it carries the "
        "metric (no digest that period, or a source that cannot know it), never 0 for that"
    )
    digests: int = Field(description="How many digests the value is made from")


class Series(BaseModel):
    metric: str
    unit: Unit
    aggregation: Aggregation = Field(description=AGGREGATION_HELP)
    weighted_by: str | None = Field(
        description="For a weighted median: the count each digest's median is weighted by"
    )
    bucket: Literal["week", "month"]
    monitor_id: uuid.UUID | None = Field(description="The one monitor, or null for the org")
    since: datetime = Field(description="The range as used: `since` widened to its bucket")
    until: datetime = Field(description="The range as used: `until` widened to its bucket")
    points: list[Point] = Field(description="Every bucket of the range, oldest first")


class PeriodFigure(BaseModel):
    value: int | float | None
    digests: int


class MetricComparison(BaseModel):
    metric: str
    unit: Unit
    aggregation: Aggregation = Field(description=AGGREGATION_HELP)
    weighted_by: str | None
    current: PeriodFigure
    previous: PeriodFigure


class SummaryPeriod(BaseModel):
    since: datetime
    until: datetime


class StalePull(BaseModel):
    """A pull request the monitor's newest digest found stale (open, not a draft, waiting
    for a first review longer than the monitor's threshold)."""

    model_config = ConfigDict(extra="ignore")

    monitor_id: uuid.UUID
    monitor_name: str
    repository: str | None
    number: int
    title: str
    url: str
    author: str | None
    created_at: datetime
    as_of: datetime = Field(description="The end of the digest that found it stale")


class FailingMonitor(BaseModel):
    id: uuid.UUID
    name: str
    last_run_at: datetime | None
    last_run_error: str | None


class DisabledChannel(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    disabled_at: datetime
    disabled_reason: str | None


class Summary(BaseModel):
    days: int
    current: SummaryPeriod = Field(description="Digests that ended in (since, until]")
    previous: SummaryPeriod = Field(description="The as long period just before")
    metrics: list[MetricComparison] = Field(description="Every metric, across the org")
    stale_pull_requests: list[StalePull] = Field(
        description="From each monitor's newest digest of the last 14 days, oldest first; "
        "at most 50 (`stale_total` counts them all)"
    )
    stale_total: int
    failing_monitors: list[FailingMonitor] = Field(description="Monitors whose last run failed")
    disabled_channels: list[DisabledChannel] = Field(
        description="Channels that stopped delivering until an admin re-enables them"
    )


class BudgetResource(BaseModel):
    """One token's budget for one GitHub resource, as GitHub's last answer stated it."""

    resource: str = Field(description="GitHub's rate-limit resource: `graphql`, `core`, …")
    limit: int | None
    remaining: int | None
    used: int | None
    resets_at: datetime | None = Field(description="When GitHub refills it (UTC)")
    observed_at: datetime = Field(description="When the answer that stated it came")


class TokenBudget(BaseModel):
    """A GitHub token that some of the org's live monitors read with."""

    token_hint: str = Field(description="The token's last four characters: never the token")
    owner: Literal["org", "member"] = Field(
        description="The org's own token, or one a member offered"
    )
    github_login: str | None
    monitors: int = Field(description="How many of the org's live monitors read with it")
    rejected: bool = Field(description="GitHub refused it (401): it reads nothing until replaced")
    resources: list[BudgetResource] = Field(
        description="What this server process last heard from GitHub for the token; empty "
        "when it has not used the token since it started (a worker in another process did)"
    )


class GitHubBudget(BaseModel):
    tokens: list[TokenBudget]
    monitors_without_token: int = Field(
        description="Live GitHub monitors with no token: their runs are refused until one is chosen"
    )
