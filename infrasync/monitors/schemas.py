from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from infrasync.delivery.schemas import ChannelRef
from infrasync.digests.compose import WriterChoice
from infrasync.github.schemas import CredentialOut
from infrasync.writers.builtin import ALL_SECTIONS, Section

BotName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Source = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
RepositoryName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=140)
]
Pattern = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


ScheduleKind = Literal["manual", "daily", "weekly", "cron"]


class ScheduleIn(_Input):
    """When digests are made: by hand only, daily or weekly at a local time, or on a cron
    expression, in an IANA time zone (correct across daylight-saving changes)."""

    kind: ScheduleKind = "manual"
    timezone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = "UTC"
    at: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5)] | None = Field(
        default=None, description="Daily and weekly: the local time, HH:MM (24-hour)."
    )
    weekday: StrictInt | None = Field(
        default=None, ge=0, le=6, description="Weekly: 0 = Monday … 6 = Sunday."
    )
    cron: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = Field(
        default=None,
        description="Cron: five fields (minute hour day month weekday), in `timezone`; "
        "at most every 15 minutes.",
    )
    working_days: list[Annotated[int, Field(ge=0, le=6)]] | None = Field(
        default=None,
        max_length=7,
        description="Daily: only on these weekdays (0 = Monday), e.g. [0,1,2,3,4].",
    )


class ScheduleOut(ScheduleIn):
    description: str


class SchedulePreview(BaseModel):
    description: str
    next_runs: list[datetime] = Field(description="The next three run times, in UTC.")


class OwnerSelection(_Input):
    """All repositories of a GitHub user or organization that the token can see, narrowed
    by fnmatch-style patterns on the repository's name (`api-*`, `svc-?`, `[ab]*`):
    followed when an include pattern matches and no exclude pattern does. Archived
    repositories and forks only when an include pattern names them exactly."""

    owner: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=39)]
    include: list[Pattern] = Field(default_factory=lambda: ["*"], min_length=1, max_length=20)
    exclude: list[Pattern] = Field(default_factory=list, max_length=20)


class OwnerSelectionOut(OwnerSelection):
    resolved_at: datetime | None = Field(
        default=None, description="When the owner's repositories were last listed."
    )


class MonitorCreate(_Input):
    source: Source | None = Field(
        default=None,
        description="owner/repo on GitHub, or an absolute local path: one repository. "
        "Give this, `repositories` or `github_owner`.",
    )
    repositories: list[RepositoryName] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Several GitHub repositories (owner/repo) in one digest.",
    )
    github_owner: OwnerSelection | None = Field(
        default=None,
        description="All of a GitHub owner's repositories matching the patterns, in one digest.",
    )
    name: Name | None = None
    credential_user_id: uuid.UUID | None = Field(
        default=None,
        description="The member whose offered GitHub token it reads with; yours when left "
        "out. Choosing your own token offers it to this org.",
    )
    sections: list[Section] = Field(default_factory=lambda: list(ALL_SECTIONS))
    extra_bots: list[BotName] = Field(default_factory=list, max_length=50)
    include_bots: StrictBool = False
    skip_empty: StrictBool = Field(
        default=False, description="Make no scheduled digest for a period with no activity."
    )
    include_pr_descriptions: StrictBool = Field(
        default=False,
        description="Let the AI writer see PR descriptions; off, it sees metadata only.",
    )
    writer: WriterChoice = "auto"
    stale_days: StrictInt = Field(default=3, ge=1, le=30)
    paused: StrictBool = False
    schedule: ScheduleIn = Field(default_factory=ScheduleIn)
    channel_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=50, description="The channels its digests go to."
    )


class MonitorUpdate(_Input):
    name: Name | None = None
    repositories: list[RepositoryName] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="A GitHub monitor follows these repositories instead (one: a "
        "single-repository monitor again).",
    )
    github_owner: OwnerSelection | None = Field(
        default=None,
        description="A GitHub monitor follows this owner's matching repositories instead.",
    )
    credential_user_id: uuid.UUID | None = Field(
        default=None,
        description="Switch to this member's offered GitHub token; null switches to yours "
        "(which offers it to this org). GitHub answers its API only with a token, so a "
        "GitHub monitor always reads with one.",
    )
    sections: list[Section] | None = None
    extra_bots: list[BotName] | None = Field(default=None, max_length=50)
    include_bots: StrictBool | None = None
    skip_empty: StrictBool | None = None
    include_pr_descriptions: StrictBool | None = None
    writer: WriterChoice | None = None
    stale_days: StrictInt | None = Field(default=None, ge=1, le=30)
    paused: StrictBool | None = None
    schedule: ScheduleIn | None = None
    channel_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)


class PeriodOut(BaseModel):
    since: datetime
    until: datetime


class RunOut(BaseModel):
    """A digest run: queued, running, then done (with its digest), failed (with the
    reason) or skipped (a missed or quiet period)."""

    id: uuid.UUID
    monitor_id: uuid.UUID
    state: Literal["queued", "running", "done", "failed", "skipped"]
    trigger: str
    period: PeriodOut
    digest_id: uuid.UUID | None
    error: str | None
    attempts: int
    periods: int
    created_at: datetime
    finished_at: datetime | None


class LastDigest(BaseModel):
    id: uuid.UUID
    period: PeriodOut
    created_at: datetime


class MonitorOut(BaseModel):
    id: uuid.UUID
    name: str
    source: str = Field(
        description="The repository (owner/repo or a local path); for a monitor of several "
        "repositories, a label for people ('acme/*', 'acme/api, acme/web')."
    )
    source_kind: Literal["github", "git"]
    repositories: list[str] = Field(
        description="The GitHub repositories it follows (an owner's, as last listed); "
        "empty for a local git monitor."
    )
    github_owner: OwnerSelectionOut | None = Field(
        description="The owner and patterns, for a monitor of an owner's repositories."
    )
    credential: CredentialOut | None
    sections: list[Section]
    extra_bots: list[str]
    include_bots: bool
    skip_empty: bool
    include_pr_descriptions: bool
    writer: WriterChoice
    stale_days: int
    paused: bool
    last_run_at: datetime | None
    last_run_status: str | None
    last_run_error: str | None
    created_at: datetime
    schedule: ScheduleOut
    next_run_at: datetime | None
    channels: list[ChannelRef] = Field(
        description="Where its digests go, each with its delivery of the last digest."
    )
    last_digest: LastDigest | None
    last_run: RunOut | None
