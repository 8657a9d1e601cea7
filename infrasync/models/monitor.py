from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from infrasync.kit.db import Base, JSONDocument, RecordMixin


class Monitor(RecordMixin, Base):
    """One repository an org follows, how its digests are made, and when (its schedule,
    in local time of an IANA zone; scheduler/schedule.py does the maths)."""

    __tablename__ = "monitors"
    __table_args__ = (
        # The scheduler's claim: due monitors, oldest first. Manual monitors have no
        # next run and stay out of the index on Postgres.
        Index(
            "ix_monitors_next_run_at",
            "next_run_at",
            postgresql_where=text("next_run_at IS NOT NULL"),
            sqlite_where=text("next_run_at IS NOT NULL"),
        ),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # `owner/repo` on GitHub, or an absolute path when local sources are allowed.
    source: Mapped[str] = mapped_column(String(500))
    source_kind: Mapped[str] = mapped_column(String(16))  # github or git
    # Several GitHub repositories in one digest (github/selection.py): {"repositories":
    # [...]} or {"owner": ..., "include": [...], "exclude": [...]}; None for one repository,
    # named by `source`. `source` then holds a label for people ("acme/*", "a/b, c/d").
    selection: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, default=None)
    # How many repositories it follows (an owner's, as last resolved): what the plan's
    # monitors limit counts.
    repository_count: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    # The GitHub token it reads with: a member's granted credential, never shown.
    credential_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("github_credentials.id", ondelete="SET NULL")
    )
    sections: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    extra_bots: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    include_bots: Mapped[bool] = mapped_column(default=False)
    skip_empty: Mapped[bool] = mapped_column(default=False)
    # Opt-in: PR descriptions go into the AI writer's facts. Off, the model sees only
    # metadata (numbers, titles, labels, authors, computed figures).
    include_pr_descriptions: Mapped[bool] = mapped_column(default=False, server_default=false())
    writer: Mapped[str] = mapped_column(String(16), default="auto")
    stale_days: Mapped[int] = mapped_column(default=3)
    paused: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    schedule_kind: Mapped[str] = mapped_column(
        String(16), default="manual", server_default="manual"
    )  # manual, daily, weekly or cron
    schedule_timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    schedule_at: Mapped[str | None] = mapped_column(String(5))  # HH:MM local
    schedule_weekday: Mapped[int | None] = mapped_column(default=None)  # 0 = Monday
    schedule_cron: Mapped[str | None] = mapped_column(String(100))
    schedule_working_days: Mapped[list[int] | None] = mapped_column(JSONDocument, default=None)
    # The next fire time in UTC (computed in the monitor's zone); None when manual or
    # paused. The scheduler moves it forward in the same transaction as it queues a run.
    next_run_at: Mapped[datetime | None] = mapped_column(default=None)
    last_run_at: Mapped[datetime | None] = mapped_column(default=None)
    last_run_status: Mapped[str | None] = mapped_column(String(16))  # ok or error
    last_run_error: Mapped[str | None] = mapped_column(String(500))
