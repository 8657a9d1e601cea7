"""Digest metrics, schema 1 (SPEC §7), computed in code from an `Activity`.

Every definition here is spelled out with an example in docs/metrics.md; a change to one
is a new schema version, never a silent edit. A value the source cannot know (pull
requests of a local git repository) is None — JSON null — and never 0.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from infrasync.sources.model import (
    Activity,
    Commit,
    Contributor,
    Person,
    PullRequest,
    Review,
    Window,
)

SCHEMA_VERSION: Literal[1] = 1
DEFAULT_STALE_AFTER = timedelta(days=3)
T = TypeVar("T")


class _Figures(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TimeToMerge(_Figures):
    median: float | None
    p90: float | None


class TimeToFirstReview(_Figures):
    median: float | None


class PeriodFigures(_Figures):
    """The figures of one window; `MetricsV1` adds the schema and the previous window."""

    commits: int
    authors: int
    prs_opened: int | None
    prs_merged: int | None
    prs_closed_unmerged: int | None
    prs_open_at_end: int | None
    prs_stale: int | None
    issues_opened: int | None
    issues_closed: int | None
    releases: int
    contributors: int
    first_time_contributors: int | None
    time_to_merge_hours: TimeToMerge | None
    time_to_first_review_hours: TimeToFirstReview | None


class MetricsV1(PeriodFigures):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_version: Literal[1] = Field(default=SCHEMA_VERSION, alias="schema")
    previous: PeriodFigures | None = None
    # A digest across several repositories: each one's own metrics (this same object) by
    # `owner/repo`, the keys above then being the totals over all of them. None (and left
    # out of the JSON) for a digest of one repository.
    repositories: dict[str, MetricsV1] | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="A digest across several repositories: each one's metrics by owner/repo "
        "(the other keys are then the totals); absent for one repository.",
    )

    def as_json(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True)


# Statistics ------------------------------------------------------------------------------


def hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def median(values: Sequence[float]) -> float | None:
    """The usual median: the mean of the middle two for an even count."""
    return round(statistics.median(values), 2) if values else None


def p90(values: Sequence[float]) -> float | None:
    """The 90th percentile by nearest rank: `sorted[ceil(0.9 * n) - 1]`."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


# Definitions -----------------------------------------------------------------------------


def counted_commits(activity: Activity) -> list[Commit]:
    """Non-merge commits whose committer date is in the window (GitHub Pulse's count
    "excluding merges"), bots' commits included: this counts commits, not people."""
    return [
        commit
        for commit in activity.commits
        if not commit.is_merge and activity.window.contains(commit.committed_at)
    ]


def _people(persons: Iterable[Person | None], include_bots: bool) -> set[str]:
    return {
        person.key
        for person in persons
        if person is not None and (include_bots or not person.is_bot)
    }


def open_at(pull: PullRequest, moment: datetime) -> bool:
    """Created before `moment` and not closed (merged counts as closed) before it."""
    closed = pull.closed_at or pull.merged_at
    return pull.created_at < moment and (closed is None or closed >= moment)


def first_review(pull: PullRequest) -> Review | None:
    """The earliest review by anyone but the author, whatever its state."""
    author = pull.author.key if pull.author else None
    reviews = [
        review
        for review in pull.reviews
        if review.submitted_at is not None
        and (review.author is None or review.author.key != author)
    ]
    return min(reviews, key=lambda review: review.submitted_at or pull.created_at, default=None)


def is_stale(pull: PullRequest, until: datetime, stale_after: timedelta) -> bool:
    """Open at the window's end, not a draft then (what it is now says nothing of a past
    window), created at least `stale_after` before the end, and not reviewed by anyone
    but its author before the end."""
    if not open_at(pull, until) or pull.is_draft_at(until):
        return False
    if pull.created_at > until - stale_after:
        return False
    review = first_review(pull)
    return review is None or review.submitted_at is None or review.submitted_at >= until


def review_clock_start(pull: PullRequest, review: datetime) -> datetime:
    """When `pull` began to wait for the review given at `review`: its creation, or, for
    one opened as a draft, when it was first marked ready — going back to draft later
    does not stop the clock. A review given before it was ever ready waited not at all
    (the clock starts with the review, never after it)."""
    ready = pull.first_ready_at
    return review if ready is None else min(ready, review)


def _pull_request_figures(
    pulls: Sequence[PullRequest], window: Window, stale_after: timedelta
) -> dict[str, object]:
    merged = [pull for pull in pulls if window.contains(pull.merged_at)]
    merge_hours = [hours(pull.merged_at - pull.created_at) for pull in merged if pull.merged_at]
    review_hours = []
    for pull in pulls:
        review = first_review(pull)
        if review is not None and window.contains(review.submitted_at):
            assert review.submitted_at is not None
            start = review_clock_start(pull, review.submitted_at)
            review_hours.append(hours(review.submitted_at - start))
    return {
        "prs_opened": sum(window.contains(pull.created_at) for pull in pulls),
        "prs_merged": len(merged),
        "prs_closed_unmerged": sum(
            pull.merged_at is None and window.contains(pull.closed_at) for pull in pulls
        ),
        "prs_open_at_end": sum(open_at(pull, window.until) for pull in pulls),
        "prs_stale": sum(is_stale(pull, window.until, stale_after) for pull in pulls),
        "time_to_merge_hours": TimeToMerge(median=median(merge_hours), p90=p90(merge_hours)),
        "time_to_first_review_hours": TimeToFirstReview(median=median(review_hours)),
    }


_UNKNOWN_PULL_REQUEST_FIGURES: dict[str, object] = {
    "prs_opened": None,
    "prs_merged": None,
    "prs_closed_unmerged": None,
    "prs_open_at_end": None,
    "prs_stale": None,
    "time_to_merge_hours": None,
    "time_to_first_review_hours": None,
}


def period_figures(
    activity: Activity, *, include_bots: bool, stale_after: timedelta
) -> PeriodFigures:
    window = activity.window
    commits = counted_commits(activity)
    issues = activity.issues
    contributors = [
        contributor
        for contributor in activity.contributors
        if include_bots or not contributor.person.is_bot
    ]
    first_times = [contributor.first_time for contributor in contributors]
    pull_request_figures = (
        _pull_request_figures(activity.pull_requests, window, stale_after)
        if activity.pull_requests is not None
        else _UNKNOWN_PULL_REQUEST_FIGURES
    )
    return PeriodFigures.model_validate(
        {
            "commits": len(commits),
            "authors": len(_people((commit.author for commit in commits), include_bots)),
            **pull_request_figures,
            "issues_opened": None
            if issues is None
            else sum(window.contains(issue.created_at) for issue in issues),
            "issues_closed": None
            if issues is None
            else sum(window.contains(issue.closed_at) for issue in issues),
            "releases": sum(
                not release.is_draft and window.contains(release.published_at)
                for release in activity.releases
            ),
            "contributors": len(contributors),
            # Unknown for anyone means the count is unknown, not a smaller number.
            "first_time_contributors": None
            if any(first is None for first in first_times)
            else sum(bool(first) for first in first_times),
        }
    )


def compute_metrics(
    activity: Activity,
    previous: Activity | None = None,
    *,
    include_bots: bool = False,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
) -> MetricsV1:
    """Metrics of `activity`'s window, with `previous` (the window of the same length
    just before) when it was fetched."""
    current = period_figures(activity, include_bots=include_bots, stale_after=stale_after)
    earlier = (
        period_figures(previous, include_bots=include_bots, stale_after=stale_after)
        if previous is not None
        else None
    )
    return MetricsV1(**current.model_dump(), previous=earlier)


# Several repositories ---------------------------------------------------------------------


def _pooled_contributors(activities: Sequence[Activity]) -> tuple[Contributor, ...]:
    """One entry per person across the repositories: first-time when new to at least one
    of them, unknown when unknown for one and new to none."""
    merged: dict[str, Contributor] = {}
    for activity in activities:
        for contributor in activity.contributors:
            known = merged.get(contributor.person.key)
            if known is None:
                merged[contributor.person.key] = contributor
                continue
            firsts = (known.first_time, contributor.first_time)
            first = True if True in firsts else None if None in firsts else False
            merged[contributor.person.key] = known.model_copy(update={"first_time": first})
    return tuple(merged.values())


def _joined(parts: Iterable[tuple[T, ...] | None]) -> tuple[T, ...] | None:
    """The lists of every repository as one; None only when no repository knows it."""
    known = [part for part in parts if part is not None]
    return tuple(item for part in known for item in part) if known else None


def pooled(activities: Sequence[Activity]) -> Activity:
    """Several repositories' activity of one window as one, for the totals: the same
    definitions over all of them together (a person counted once, however many
    repositories they worked in; medians over every pull request)."""
    first = activities[0]
    return Activity(
        source=first.source,
        window=first.window,
        fetched_at=first.fetched_at,
        commits=tuple(c for a in activities for c in a.commits),
        pull_requests=_joined(a.pull_requests for a in activities),
        issues=_joined(a.issues for a in activities),
        releases=tuple(r for a in activities for r in a.releases),
        tags=tuple(t for a in activities for t in a.tags),
        contributors=_pooled_contributors(activities),
    )


def compute_many_metrics(
    pairs: Sequence[tuple[str, Activity, Activity | None]],
    *,
    include_bots: bool = False,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
) -> MetricsV1:
    """Totals over (name, activity, previous) of several repositories, with each one's
    own metrics under `repositories`."""
    each = {
        name: compute_metrics(current, previous, include_bots=include_bots, stale_after=stale_after)
        for name, current, previous in pairs
    }
    previous = [p for _, _, p in pairs if p is not None]
    totals = compute_metrics(
        pooled([current for _, current, _ in pairs]),
        pooled(previous) if len(previous) == len(pairs) else None,
        include_bots=include_bots,
        stale_after=stale_after,
    )
    return totals.model_copy(update={"repositories": each})
