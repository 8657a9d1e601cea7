"""A digest as every channel and the API see it (SPEC §7):
`{"repository", "period", "writer", "text", "metrics", "items"}`.

`items` holds the lists a reader needs, each entry with the link it came from, so the
builtin writer, the LLM writer's fact sheet and the checks on what a model wrote all
stand on the same records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from infrasync.digests.grounding import GroundingReport
from infrasync.digests.kinds import kind_of, rank
from infrasync.digests.metrics import (
    DEFAULT_STALE_AFTER,
    MetricsV1,
    counted_commits,
    first_review,
    is_stale,
    open_at,
)
from infrasync.sources.model import (
    Activity,
    Commit,
    Issue,
    Person,
    PullRequest,
    Release,
    Window,
)

if TYPE_CHECKING:
    from infrasync.models import DigestRecord

BIGGEST_PULL_REQUESTS = 5
LISTED_COMMITS = 30
# Direct commits kept per kind: what a digest shows of each group before "and M more"
# (the counts are kept whole, in `direct_commit_kinds`).
LISTED_PER_KIND = 10
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
    # Its kind for the Shipped groups (see digests/kinds.py).
    kind: str = "Other"
    author_is_bot: bool = False
    # When it was first ready for review (its creation, unless opened as a draft).
    ready_at: datetime | None = None
    # Open with a request for changes that nothing has answered: when the latest such
    # request was made, and by whom (see `build_items`).
    changes_requested_at: datetime | None = None
    changes_requested_by: tuple[str, ...] = ()


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
    kind: str = "Other"
    author_is_bot: bool = False
    # The author's GitHub login, when the commit is linked to an account.
    author_login: str | None = None
    # The pull request it came through, when the source knows.
    pull_request: int | None = None


class KindCount(_Item):
    kind: str
    count: int


class BotUpdates(_Item):
    """What one bot did in the period, told in one line rather than one per change."""

    bot: str  # its name as people say it: `dependabot`, not `dependabot[bot]`
    login: str | None = None  # its GitHub login, for the search that lists its changes
    pulls_merged: int = 0
    # Its pull requests waiting for a first review (the stale ones).
    pulls_waiting: int = 0
    # Its commits that came through no pull request of the period (all of them in git).
    commits: int = 0
    # Those commits' shas, newest first: the list a git digest points to.
    shas: tuple[str, ...] = ()


class ReviewerItem(_Item):
    login: str
    reviews: int


class ContributorItem(_Item):
    name: str
    url: str | None


def _repositories_optional(schema: dict[str, Any]) -> None:
    """`repositories` is left out of a single repository's items: not required, and no
    default (which typed clients read as "always present")."""
    required = schema.get("required")
    if isinstance(required, list) and "repositories" in required:
        required.remove("repositories")
    schema.get("properties", {}).get("repositories", {}).pop("default", None)


class DigestItems(_Item):
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_repositories_optional)

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
    # Open, not drafts, with changes requested and no commit since, oldest request first.
    changes_requested: tuple[PullItem, ...] = ()
    # Issues opened in the period, still open at its end, that nobody but their author
    # (and bots) answered before it ended; only issues whose comments the source read.
    unanswered_issues: tuple[IssueItem, ...] = ()
    # Counted commits by people (not bots) that came through no pull request merged in
    # the period, newest first, at most LISTED_PER_KIND of each kind; every one of them
    # for a local git source. `direct_commit_kinds` counts them all, per kind.
    direct_commits: tuple[CommitItem, ...] = ()
    direct_commit_kinds: tuple[KindCount, ...] = ()
    # Per bot (the monitor's bot policy): merged pull requests and direct commits.
    bot_updates: tuple[BotUpdates, ...] = ()
    # A digest across several repositories: each one's items, most active first (the
    # lists above are then empty). Empty, and left out of the JSON, for one repository.
    repositories: tuple[RepositoryPart, ...] = Field(
        default=(),
        exclude_if=lambda value: not value,
        description="A digest across several repositories: each one's items, most active "
        "first; absent for one repository.",
    )

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
            self.changes_requested,
            self.unanswered_issues,
            self.direct_commits,
            self.bot_updates,
        )
        return not any(lists) and all(part.quiet for part in self.repositories)

    def as_json(self) -> dict[str, object]:
        return self.model_dump(
            mode="json", exclude=set() if self.repositories else {"repositories"}
        )


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


class RepositoryPart(_Item):
    """One repository of a digest across several: where it is, whether it was quiet, and
    its items (its figures are `metrics.repositories[name]`)."""

    repository: Repository
    quiet: bool
    items: DigestItems


DigestItems.model_rebuild()


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

    @property
    def several(self) -> bool:
        """A digest across several repositories."""
        return bool(self.items.repositories)

    def as_json(self) -> dict[str, object]:
        document = self.model_dump(mode="json", exclude={"metrics", "items"})
        document["metrics"] = self.metrics.as_json()
        document["items"] = self.items.as_json()
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
        kind=kind_of(pull.title, pull.labels),
        author_is_bot=pull.author is not None and pull.author.is_bot,
        ready_at=pull.first_ready_at,
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


def outstanding_changes_request(
    pull: PullRequest, until: datetime
) -> tuple[datetime, tuple[str, ...]] | None:
    """When changes were last asked for, and by whom, if someone's say still stands at
    `until`: each reviewer's (not the author's, not a bot's) latest deciding review
    before then (approval, request for changes; a dismissed one is GitHub's way of
    withdrawing it) is what that reviewer thinks now."""
    author = pull.author.key if pull.author else None
    latest: dict[str, tuple[datetime, str, str]] = {}
    for review in pull.reviews:
        person, at = review.author, review.submitted_at
        if person is None or person.key == author or person.is_bot or at is None:
            continue
        if at >= until or review.state not in ("approved", "changes_requested", "dismissed"):
            continue
        if person.key not in latest or latest[person.key][0] <= at:
            latest[person.key] = (at, review.state, person.display_name)
    asking = [(at, who) for at, state, who in latest.values() if state == "changes_requested"]
    if not asking:
        return None
    return max(at for at, _ in asking), tuple(sorted(who for _, who in asking))


def _changes_requested(pulls: tuple[PullRequest, ...], window: Window) -> tuple[PullItem, ...]:
    """Open and ready at the end, with changes asked for and no commit pushed since. A
    branch whose newest commit the source does not know is left out: "no update since"
    is then not something the digest can say."""
    found: list[PullItem] = []
    for pull in pulls:
        if not open_at(pull, window.until) or pull.is_draft_at(window.until):
            continue
        request = outstanding_changes_request(pull, window.until)
        if request is None or pull.head_committed_at is None:
            continue
        at, reviewers = request
        if pull.head_committed_at < at:
            item = _pull_item(pull).model_copy(
                update={"changes_requested_at": at, "changes_requested_by": reviewers}
            )
            found.append(item)
    return tuple(sorted(found, key=lambda item: (item.changes_requested_at, item.number)))


def is_unanswered(issue: Issue, window: Window) -> bool:
    """Opened in the window by a person, still open at its end, and no comment before
    the end by anyone but its author or a bot. Unknown (so False) when the source read
    no comments, or fewer than the issue has and none of those read was an answer."""
    if not window.contains(issue.created_at) or issue.comments is None:
        return False
    if issue.closed_at is not None and issue.closed_at < window.until:
        return False  # closing it answered it, one way or another
    if issue.author is None or issue.author.is_bot:
        return False
    for comment in issue.comments:
        person = comment.author
        if comment.created_at >= window.until or person is None:
            continue
        if person.key != issue.author.key and not person.is_bot:
            return False
    return (issue.comment_count or 0) <= len(issue.comments)


def bot_name(person: Person) -> str:
    """A bot as people call it: `dependabot`, whether GitHub says `dependabot[bot]`,
    `dependabot` or git says `dependabot[bot] <…@users.noreply.github.com>`."""
    return person.display_name.removesuffix("[bot]")


def _commit_item(commit: Commit) -> CommitItem:
    return CommitItem(
        sha=commit.sha,
        message=commit.message,
        url=commit.url,
        author=commit.author.display_name,
        committed_at=commit.committed_at,
        kind=kind_of(commit.message),
        author_is_bot=commit.author.is_bot,
        author_login=commit.author.login,
        pull_request=commit.pull_request,
    )


class _BotTally:
    def __init__(self, name: str) -> None:
        self.name = name
        self.login: str | None = None
        self.merged = 0
        self.waiting = 0
        self.shas: list[str] = []

    def seen(self, person: Person) -> None:
        self.login = self.login or person.login

    def updates(self) -> BotUpdates:
        return BotUpdates(
            bot=self.name,
            login=self.login,
            pulls_merged=self.merged,
            pulls_waiting=self.waiting,
            commits=len(self.shas),
            shas=tuple(self.shas),
        )


def _bot_updates(
    activity: Activity, stale_after: timedelta, direct_bot_commits: list[Commit]
) -> tuple[BotUpdates, ...]:
    tallies: dict[str, _BotTally] = {}

    def tally(person: Person) -> _BotTally:
        name = bot_name(person)
        entry = tallies.setdefault(name.lower(), _BotTally(name))
        entry.seen(person)
        return entry

    window = activity.window
    for pull in activity.pull_requests or ():
        if pull.author is None or not pull.author.is_bot:
            continue
        if window.contains(pull.merged_at):
            tally(pull.author).merged += 1
        elif is_stale(pull, window.until, stale_after):
            tally(pull.author).waiting += 1
    for commit in direct_bot_commits:
        tally(commit.author).shas.append(commit.sha)
    ranked = sorted(
        tallies.values(),
        key=lambda t: (-(t.merged + len(t.shas) + t.waiting), t.name.lower()),
    )
    return tuple(entry.updates() for entry in ranked)


def _commit_lists(activity: Activity, stale_after: timedelta) -> dict[str, object]:
    """Direct commits (by people, through no pull request merged in the period, so that
    no change is told twice), capped per kind, and every bot's changes counted."""
    window = activity.window
    listed = {
        pull.number for pull in activity.pull_requests or () if window.contains(pull.merged_at)
    }
    direct: list[CommitItem] = []
    bot_commits: list[Commit] = []
    newest_first = sorted(counted_commits(activity), key=lambda c: c.committed_at, reverse=True)
    for commit in newest_first:
        if commit.pull_request is not None and commit.pull_request in listed:
            continue
        if commit.author.is_bot:
            bot_commits.append(commit)
        else:
            direct.append(_commit_item(commit))
    counts = Counter(item.kind for item in direct)
    kept: Counter[str] = Counter()
    shown: list[CommitItem] = []
    for item in direct:
        kept[item.kind] += 1
        if kept[item.kind] <= LISTED_PER_KIND:
            shown.append(item)
    return {
        "direct_commits": tuple(shown),
        "direct_commit_kinds": tuple(
            KindCount(kind=kind, count=count)
            for kind, count in sorted(counts.items(), key=lambda entry: rank(entry[0]))
        ),
        "bot_updates": _bot_updates(activity, stale_after, bot_commits),
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
                _commit_item(commit)
                for commit in sorted(
                    counted_commits(activity), key=lambda c: c.committed_at, reverse=True
                )[:LISTED_COMMITS]
            ),
            "changes_requested": _changes_requested(activity.pull_requests or (), window),
            "unanswered_issues": tuple(
                _issue_item(issue)
                for issue in sorted(issues, key=lambda issue: (issue.created_at, issue.number))
                if is_unanswered(issue, window)
            ),
            **_commit_lists(activity, stale_after),
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


def several_repositories(repositories: list[Repository]) -> Repository:
    """What a digest across several repositories is about: their owner (linking to its
    page) when they share one, else how many they are."""
    owners = {repository.name.partition("/")[0].lower() for repository in repositories}
    first = repositories[0]
    if len(owners) == 1:
        url = first.url.rsplit("/", 1)[0] if first.url else None
        return Repository(kind="github", name=first.name.partition("/")[0], url=url)
    return Repository(kind="github", name=f"{len(repositories)} repositories", url=None)


def activity_of(figures: MetricsV1) -> int:
    """How much happened in a repository, to order a digest's sections by: its commits,
    pull requests opened, merged and closed, issues opened and closed, and releases."""
    keys = (
        figures.commits,
        figures.prs_opened,
        figures.prs_merged,
        figures.prs_closed_unmerged,
        figures.issues_opened,
        figures.issues_closed,
        figures.releases,
    )
    return sum(value or 0 for value in keys)


def by_activity(
    parts: list[RepositoryPart], figures: Mapping[str, MetricsV1]
) -> list[RepositoryPart]:
    """Most active first, quiet ones last; ties by name."""
    return sorted(
        parts,
        key=lambda part: (
            part.quiet,
            -activity_of(figures[part.repository.name]),
            part.repository.name.lower(),
        ),
    )


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
