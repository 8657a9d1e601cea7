"""`/api/orgs/{org}/analytics` (viewers and up): a metric's series, and the summary the
org's dashboard opens with. docs/analytics.md defines how each figure is combined."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from infrasync.analytics import service
from infrasync.analytics.catalogue import KNOWN_NAMES
from infrasync.analytics.schemas import GitHubBudget, Series, Summary
from infrasync.deps import DbSession, ViewerOrg
from infrasync.errors import documented

router = APIRouter(prefix="/api/orgs/{org}/analytics", tags=["analytics"])
READ = documented(
    401,
    403,
    404,
    422,
    e404="No such org that you belong to, or `monitor_id` is not one of its monitors",
)


@router.get("", response_model=Series, responses=READ)
async def analytics_series(
    context: ViewerOrg,
    session: DbSession,
    metric: Annotated[
        str, Query(max_length=100, description=f"A schema-1 metric: {KNOWN_NAMES}")
    ] = "prs_merged",
    bucket: Annotated[str, Query(max_length=20, description="week or month")] = "week",
    since: Annotated[
        str | None,
        Query(
            max_length=40,
            description="A date or time (UTC); 12 buckets before `until` when left out",
        ),
    ] = None,
    until: Annotated[
        str | None, Query(max_length=40, description="A date or time (UTC); now when left out")
    ] = None,
    monitor_id: Annotated[
        uuid.UUID | None, Query(description="One monitor's series; the org's when left out")
    ] = None,
) -> Series:
    """A metric of the org's digests (or one monitor's) per week (from Monday) or month,
    in UTC, over [since, until) widened to whole buckets, at most 3 years. A digest
    counts in the bucket its period starts in. Counts are summed; states at a period's
    end take each monitor's last digest; medians are the weighted median of the digests'
    medians, never summed (`aggregation` says which). A bucket without a counted digest
    has `value` null."""
    return await service.series(
        session,
        context,
        metric_name=metric,
        bucket_name=bucket,
        since=since,
        until=until,
        monitor_id=monitor_id,
    )


@router.get("/summary", response_model=Summary, responses=READ)
async def analytics_summary(
    context: ViewerOrg,
    session: DbSession,
    days: Annotated[int, Query(ge=1, le=366, description="The period's length in days")] = 7,
) -> Summary:
    """The org now: every metric over the digests that ended in the last `days` days
    against the `days` before, the stale pull requests of each monitor's newest digest,
    the monitors whose last run failed and the channels that were disabled."""
    return await service.summary(session, context, days=days)


@router.get("/github-budget", response_model=GitHubBudget, responses=READ)
async def analytics_github_budget(context: ViewerOrg, session: DbSession) -> GitHubBudget:
    """The GitHub tokens the org's live monitors read with (by their last four characters,
    never the token) and each one's budget per resource as GitHub last stated it to this
    server process; a token this process has not used since it started has no figures."""
    return await service.github_budget(session, context)
