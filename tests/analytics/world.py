"""Monitors and digests with chosen figures, stored as the digest service stores them
(metrics through MetricsV1, items through DigestItems), for hand-computed analytics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.digests.document import DigestItems, PullItem, Repository, RepositoryPart
from infrasync.digests.metrics import MetricsV1
from infrasync.models import DigestRecord, Monitor, Org

ZERO: dict[str, object] = {
    "commits": 0,
    "authors": 0,
    "prs_opened": 0,
    "prs_merged": 0,
    "prs_closed_unmerged": 0,
    "prs_open_at_end": 0,
    "prs_stale": 0,
    "issues_opened": 0,
    "issues_closed": 0,
    "releases": 0,
    "contributors": 0,
    "first_time_contributors": 0,
    "time_to_merge_hours": None,
    "time_to_first_review_hours": None,
}
# What a local git source cannot know (SPEC §7): null, never 0.
UNKNOWN_TO_GIT: dict[str, Any] = dict.fromkeys(
    (
        "prs_opened",
        "prs_merged",
        "prs_closed_unmerged",
        "prs_open_at_end",
        "prs_stale",
        "issues_opened",
        "issues_closed",
        "first_time_contributors",
    )
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def metrics(
    *,
    merge: float | None = None,
    merge_p90: float | None = None,
    review: float | None = None,
    repositories: dict[str, dict[str, Any]] | None = None,
    **figures: object,
) -> dict[str, Any]:
    """A schema-1 metrics document: zeros unless given; `merge` and `review` set the
    medians (time to merge, time to first review)."""
    document: dict[str, Any] = {**ZERO, **figures}
    if merge is not None:
        document["time_to_merge_hours"] = {"median": merge, "p90": merge_p90 or merge}
    if review is not None:
        document["time_to_first_review_hours"] = {"median": review}
    if repositories is not None:
        document["repositories"] = repositories
    return MetricsV1.model_validate(document).as_json()


async def add_monitor(session: AsyncSession, org: Org, name: str, **fields: Any) -> Monitor:
    monitor = Monitor(
        org_id=org.id, name=name, source=f"acme/{name.lower()}", source_kind="github", **fields
    )
    session.add(monitor)
    await session.flush()
    return monitor


def stale_pull(number: int, created: datetime, title: str | None = None) -> dict[str, Any]:
    return PullItem(
        number=number,
        title=title or f"Pull request {number}",
        url=f"https://github.com/acme/app/pull/{number}",
        author="ada",
        created_at=created,
    ).model_dump(mode="json")


def items_with_stale(pulls: list[dict[str, Any]]) -> dict[str, Any]:
    return DigestItems.model_validate({"stale": pulls}).as_json()


def items_of_repositories(stale_by_repository: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The items of a digest across several repositories: the top lists empty, each
    repository's own under `repositories`."""
    parts = [
        RepositoryPart(
            repository=Repository(kind="github", name=name, url=f"https://github.com/{name}"),
            quiet=False,
            items=DigestItems.model_validate({"stale": pulls}),
        )
        for name, pulls in stale_by_repository.items()
    ]
    return DigestItems(repositories=tuple(parts)).as_json()


async def add_digest(
    session: AsyncSession,
    monitor: Monitor,
    since: datetime,
    *,
    days: float = 7,
    trigger: str = "schedule",
    items: dict[str, Any] | None = None,
    **figures: Any,
) -> DigestRecord:
    record = DigestRecord(
        org_id=monitor.org_id,
        monitor_id=monitor.id,
        period_since=since,
        period_until=since + timedelta(days=days),
        repository={"kind": "github", "name": monitor.source, "url": None},
        writer="builtin",
        text=f"# {monitor.name} from {since:%Y-%m-%d}",
        metrics=metrics(**figures),
        items=items if items is not None else {},
        trigger=trigger,
    )
    session.add(record)
    await session.flush()
    return record
