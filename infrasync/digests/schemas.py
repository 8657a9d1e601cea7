from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from infrasync.digests.document import DigestItems, Repository
from infrasync.digests.grounding import GroundingReport
from infrasync.digests.metrics import MetricsV1, PeriodFigures


class RunDigest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: Annotated[str, StringConstraints(max_length=40)] = Field(
        default="7d", description="Window start: 7d, 24h, 2w or a date"
    )
    until: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None, description="Window end (a date); now when left out"
    )


class PeriodOut(BaseModel):
    since: datetime
    until: datetime


class DigestSummary(BaseModel):
    id: uuid.UUID
    monitor_id: uuid.UUID
    monitor_name: str | None = Field(description="None once the monitor is deleted")
    period: PeriodOut
    writer: str
    trigger: str
    triggered_by: str | None
    created_at: datetime
    headline: str | None = Field(
        description="The digest's first sentence as plain text (what moved most, or that "
        "the period was quiet); None when its text has none"
    )
    figures: PeriodFigures = Field(
        description="The period's figures, as in `metrics` without the previous period; "
        "null where the source cannot know one"
    )


class DigestOut(DigestSummary):
    repository: Repository
    writer_note: str | None
    text: str
    metrics: MetricsV1 = Field(description="Schema 1, as docs/metrics.md defines each figure")
    items: DigestItems
    grounding: GroundingReport | None = Field(
        description="What the AI writer's checks found of the model's last answer: its "
        "sentences, the items they cite and each check's outcome. None when no model "
        "answered (the builtin writer was chosen, no model is set, or it could not be reached)"
    )


class RenderedForms(BaseModel):
    html: str = Field(description="Sanitised HTML, safe to insert into a page")
    slack: list[dict[str, Any]]
    discord: list[dict[str, Any]]


class EmailPreview(BaseModel):
    subject: str
    html: str = Field(
        description="The email's HTML body, sanitised and without inline styles: safe to "
        "show in a page (the email sent wraps it in a document with its own styles)"
    )
    text: str = Field(description="The plain-text part")


class ChannelPreview(BaseModel):
    """What each kind of channel receives of one digest, as it would be sent now."""

    markdown: str = Field(description="The digest's Markdown, as a feed or a paste gets it")
    slack: list[dict[str, Any]] = Field(description="Slack webhook payloads, in order")
    discord: list[dict[str, Any]] = Field(description="Discord webhook payloads, in order")
    email: EmailPreview


class DigestDetail(DigestOut):
    rendered: RenderedForms


class DigestPage(BaseModel):
    items: list[DigestSummary]
    next_cursor: str | None
