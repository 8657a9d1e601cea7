"""A digest as every channel and the API see it (SPEC §7):
`{"repository", "period", "writer", "text", "metrics", "items"}`.

`items` holds the lists a reader needs, each entry with the link it came from, so the
builtin writer, the LLM writer's fact sheet and the checks on what a model wrote all
stand on the same records.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from infrasync.digests.grounding import GroundingReport
from infrasync.digests.metrics import (
    DEFAULT_STALE_AFTER,
    MetricsV1,
    counted_commits,
    first_review,
    is_stale,
    open_at,
)
from infrasync.sources.model import Activity, Issue, Person, PullRequest, Release

if TYPE_CHECKING:
    from infrasync.models import DigestRecord

BIGGEST_PULL_REQUESTS = 5
LISTED_COMMITS = 30
WriterName = Literal["builtin", "llm"]


class _Item(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PullItem(_Item):
    number: int
    title: str
    url: str
    author: str | None
    labels: tuple[str, ...] = ()
    is_draft: bool = False
    created_at: datetime
    merged_at: datetime | None = None
    closed_at: datetime | None = None
    changed_lines: int = 0
    changed_files: int = 0
    reviewed: bool = False


class IssueItem(_Item):
    number: int
    title: str
    url: str
    author: str | None
    labels: tuple[str, ...] = ()
    created_at: datetime
    closed_at: datetime | None = None


class ReleaseItem(_Item):
    tag: str
    name: str | None
    url: str | None
    published_at: datetime | None
    is_prerelease: bool = False


class CommitItem(_Item):
    sha: str
    message: str
    url: str | None
    author: str | None
    committed_at: datetime


class ReviewerItem(_Item):
    login: str
    reviews: int


class ContributorItem(_Item):
    name: str
    url: str | None


class DigestItems(_Item):
    merged: tuple[PullItem, ...] = ()
    opened: tuple[PullItem, ...] = ()
    in_review: tuple[PullItem, ...] = ()
    stale: tuple[PullItem, ...] = ()
    biggest: tuple[PullItem, ...] = ()
    reviewers: tuple[ReviewerItem, ...] = ()
    issues_opened: tuple[IssueItem, ...] = ()
    issues_closed: tuple[IssueItem, ...] = ()
    releases: tuple[ReleaseItem, ...] = ()
    new_contributors: tuple[ContributorItem, ...] = ()
    # The newest counted commits; what a local git digest shows in place of pull requests.
    commits: tuple[CommitItem, ...] = ()

    @property
    def is_empty(self) -> bool:
        lists = (
            self.merged,
            self.opened,
            self.in_review,
            self.issues_opened,
            self.issues_closed,
            self.releases,
            self.new_contributors,
            self.commits,
        )
        return not any(lists)


def is_quiet(metrics: MetricsV1, items: DigestItems) -> bool:
    """Nothing happened: no commits, pull requests, issues or releases. The builtin
    writer says so in a line; a monitor may skip such a scheduled digest altogether."""
    return items.is_empty and metrics.commits == 0


class Period(_Item):
    since: datetime
    until: datetime


class Repository(_Item):
    kind: Literal["github", "git"]
    name: str
    url: str | None
    # The default branch's head commit the digest was made from.
    revision: str | None = None


class Digest(_Item):
    repository: Repository
    period: Period
    writer: WriterName
    # Why the other writer did not write it (a failed check, a timeout, no model set).
    writer_note: str | None = None
    text: str
    metrics: MetricsV1
    items: DigestItems
    # What the AI writer's checks found (None: no model answered, or none was asked).
    grounding: GroundingReport | None = None

    @property
    def is_quiet(self) -> bool:
        return is_quiet(self.metrics, self.items)

    def as_json(self) -> dict[str, object]:
        document = self.model_dump(mode="json", exclude={"metrics"})
        document["metrics"] = self.metrics.as_json()
        return document


# From activity to items -------------------------------------------------------------------


def _login(person: Person | None) -> str | None:
    return person.display_name if person is not None else None


def _pull_item(pull: PullRequest) -> PullItem:
    return PullItem(
        number=pull.number,
        title=pull.title,
        url=pull.url,
        author=_login(pull.author),
        labels=pull.labels,
        is_draft=pull.is_draft,
        created_at=pull.created_at,
        merged_at=pull.merged_at,
        closed_at=pull.closed_at,
        changed_lines=pull.additions + pull.deletions,
        changed_files=pull.changed_files,
        reviewed=first_review(pull) is not None,
    )


def _issue_item(issue: Issue) -> IssueItem:
    return IssueItem(
        number=issue.number,
        title=issue.title,
        url=issue.url,
        author=_login(issue.author),
        labels=issue.labels,
        created_at=issue.created_at,
        closed_at=issue.closed_at,
    )


def _release_item(release: Release) -> ReleaseItem:
    return ReleaseItem(
        tag=release.tag_name,
        name=release.name,
        url=release.url,
        published_at=release.published_at,
        is_prerelease=release.is_prerelease,
    )


def _reviewers(
    pulls: tuple[PullRequest, ...], activity: Activity, include_bots: bool
) -> tuple[ReviewerItem, ...]:
    counts: Counter[str] = Counter()
    for pull in pulls:
        author = pull.author.key if pull.author else None
        for review in pull.reviews:
            person = review.author
            if person is None or person.key == author or (person.is_bot and not include_bots):
                continue
            if activity.window.contains(review.submitted_at):
                counts[person.display_name] += 1
    ranked = sorted(counts.items(), key=lambda entry: (-entry[1], entry[0].lower()))
    return tuple(ReviewerItem(login=login, reviews=number) for login, number in ranked)


def _pull_lists(
    activity: Activity, include_bots: bool, stale_after: timedelta
) -> dict[str, object]:
    pulls = activity.pull_requests or ()
    window = activity.window
    merged = sorted(
        (pull for pull in pulls if window.contains(pull.merged_at)),
        key=lambda pull: pull.merged_at or pull.created_at,
    )
    still_open = [pull for pull in pulls if open_at(pull, window.until)]
    in_review = [pull for pull in still_open if not pull.is_draft_at(window.until)]
    stale = [pull for pull in still_open if is_stale(pull, window.until, stale_after)]
    touched = merged + [pull for pull in pulls if window.contains(pull.created_at)]
    biggest = sorted(
        {pull.number: pull for pull in touched}.values(),
        key=lambda pull: (-(pull.additions + pull.deletions), pull.number),
    )[:BIGGEST_PULL_REQUESTS]
    return {
        "merged": tuple(_pull_item(pull) for pull in merged),
        "opened": tuple(
            _pull_item(pull)
            for pull in sorted(pulls, key=lambda pull: pull.created_at)
            if window.contains(pull.created_at)
        ),
        "in_review": tuple(_pull_item(pull) for pull in sorted(in_review, key=lambda p: p.number)),
        "stale": tuple(_pull_item(pull) for pull in sorted(stale, key=lambda p: p.created_at)),
        "biggest": tuple(_pull_item(pull) for pull in biggest if pull.additions + pull.deletions),
        "reviewers": _reviewers(pulls, activity, include_bots),
    }


def build_items(
    activity: Activity,
    *,
    include_bots: bool = False,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
) -> DigestItems:
    window = activity.window
    issues = activity.issues or ()
    releases = sorted(
        (
            release
            for release in activity.releases
            if not release.is_draft and window.contains(release.published_at)
        ),
        key=lambda release: release.published_at or release.created_at,
    )
    newcomers = [
        contributor.person
        for contributor in activity.contributors
        if contributor.first_time and (include_bots or not contributor.person.is_bot)
    ]
    return DigestItems.model_validate(
        {
            **_pull_lists(activity, include_bots, stale_after),
            "issues_opened": tuple(
                _issue_item(issue)
                for issue in sorted(issues, key=lambda issue: issue.created_at)
                if window.contains(issue.created_at)
            ),
            "issues_closed": tuple(
                _issue_item(issue)
                for issue in sorted(issues, key=lambda issue: issue.closed_at or issue.created_at)
                if window.contains(issue.closed_at)
            ),
            "releases": tuple(_release_item(release) for release in releases),
            "new_contributors": tuple(
                ContributorItem(name=person.display_name, url=_profile_url(activity, person))
                for person in newcomers
            ),
            "commits": tuple(
                CommitItem(
                    sha=commit.sha,
                    message=commit.message,
                    url=commit.url,
                    author=commit.author.display_name,
                    committed_at=commit.committed_at,
                )
                for commit in sorted(
                    counted_commits(activity), key=lambda c: c.committed_at, reverse=True
                )[:LISTED_COMMITS]
            ),
        }
    )


def _profile_url(activity: Activity, person: Person) -> str | None:
    if activity.source.kind != "github" or not person.login or not activity.source.url:
        return None
    # The repository's host, so GitHub Enterprise Server links stay on that server.
    host = activity.source.url.rsplit("/", 2)[0]
    return f"{host}/{person.login.removesuffix('[bot]')}"


def repository_of(activity: Activity) -> Repository:
    source = activity.source
    return Repository(kind=source.kind, name=source.name, url=source.url, revision=source.revision)


def period_of(activity: Activity) -> Period:
    return Period(since=activity.window.since, until=activity.window.until)


# Stored digests and samples --------------------------------------------------------------


def digest_of_record(record: DigestRecord) -> Digest:
    """A stored digest as renderers and channels take it."""
    return Digest.model_validate(
        {
            "repository": record.repository,
            "period": {"since": record.period_since, "until": record.period_until},
            "writer": record.writer,
            "writer_note": record.writer_note,
            "text": record.text,
            "metrics": record.metrics,
            "items": record.items,
            "grounding": record.grounding,
        }
    )


_NO_FIGURES: dict[str, object] = {
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
    "time_to_merge_hours": {"median": None, "p90": None},
    "time_to_first_review_hours": {"median": None},
}


def sample_digest(org_slug: str, now: datetime) -> Digest:
    """What a channel's "send test" sends: short, plainly a test, in the real format."""
    return Digest.model_validate(
        {
            "repository": {"kind": "git", "name": f"{org_slug} test", "url": None},
            "period": {"since": now - timedelta(days=7), "until": now},
            "writer": "builtin",
            "text": (
                "# Test message from Infrasync\n\n"
                "This channel works: digests of the monitors it is attached to will "
                "arrive here on their schedule."
            ),
            "metrics": _NO_FIGURES,
            "items": {},
        }
    )
