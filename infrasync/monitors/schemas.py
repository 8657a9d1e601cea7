from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from infrasync.digests.compose import WriterChoice
from infrasync.github.schemas import CredentialOut
from infrasync.writers.builtin import ALL_SECTIONS, Section

BotName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Source = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MonitorCreate(_Input):
    source: Source = Field(description="owner/repo on GitHub, or an absolute local path")
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


class MonitorUpdate(_Input):
    name: Name | None = None
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


class MonitorOut(BaseModel):
    id: uuid.UUID
    name: str
    source: str
    source_kind: Literal["github", "git"]
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
