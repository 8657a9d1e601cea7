"""The activity of one repository in one window, the same shape for every source.

Each list holds what the digest metrics (SPEC §7) need, and a little more, rather than
what happens to fall inside the window, because several metrics look at things that
started before it (a pull request open at the window's end, a first review of an older
pull request). Per list:

- `commits`: every commit reachable from the default branch whose committer date is in
  the window, merges included (`parents` tells them apart).
- `pull_requests`: every pull request updated at or after `since` (so every one created,
  merged, closed or reviewed in the window) plus every pull request still open (so every
  one open at the window's end). `None` when the source cannot know pull requests.
- `issues` (never pull requests): every issue updated at or after `since`; `None` when
  the source cannot know issues.
- `releases`: releases created or published at or after `since` (tags, for a local git
  source); `tags`: tags whose date is at or after `since`.
- `contributors`: the people SPEC §7 counts — authors of non-merge commits in the
  window, of pull requests and of issues created in the window — each marked whether it
  is their first contribution to the repository.

Every timestamp is timezone-aware UTC. Bots are marked, never dropped: leaving them out
is the metrics' choice (a monitor may ask to include them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator, model_validator

from infrasync.kit.text import without_bidi_controls

# Text written by people outside (names, titles, messages, labels, tag names), with
# Unicode's bidirectional controls removed as it enters: see infrasync/kit/text.py.
Shown = Annotated[str, AfterValidator(without_bidi_controls)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Window(_Frozen):
    """`[since, until)` in UTC."""

    since: datetime
    until: datetime

    @model_validator(mode="after")
    def _aware_and_ordered(self) -> Window:
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise ValueError("a window needs timezone-aware datetimes")
        if self.since >= self.until:
            raise ValueError("a window's start must come before its end")
        return self

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.since <= moment < self.until

    def __hash__(self) -> int:
        return hash((self.since, self.until))


def person_key(login: str | None, name: str | None, email: str | None) -> str:
    """`Person.key` without building a Person: a full git walk keys thousands of authors."""
    if login:
        return "login:" + login.lower()
    if email:
        return "email:" + email.lower()
    return "name:" + (name or "").strip().lower()


class Person(_Frozen):
    """Someone (or some bot) seen in the activity. GitHub people have a login; commit
    authors not linked to a GitHub account (and everyone in a local git repository) are
    known by email and name only."""

    login: str | None = None
    name: Shown | None = None
    email: str | None = None
    # GitHub's node id of the account: lets the first-time check ask for commits by
    # account, whatever email they were made with.
    github_id: str | None = None
    is_bot: bool = False

    @cached_property
    def key(self) -> str:
        """One identity across commits, pull requests and issues (cached: metrics and
        first-time checks ask for it once per commit)."""
        return person_key(self.login, self.name, self.email)

    @property
    def display_name(self) -> str:
        return self.login or self.name or self.email or "unknown"


ReviewState = Literal["approved", "changes_requested", "commented", "dismissed", "pending"]


class Review(_Frozen):
    author: Person | None
    state: ReviewState
    submitted_at: datetime | None


class DraftChange(_Frozen):
    """A pull request marked ready for review (`draft=False`) or converted to a draft."""

    at: datetime
    draft: bool


class PullRequest(_Frozen):
    number: int
    title: Shown
    url: str
    author: Person | None
    state: Literal["open", "closed", "merged"]
    is_draft: bool
    labels: tuple[Shown, ...] = ()
    base_ref: str | None = None
    created_at: datetime
    updated_at: datetime
    merged_at: datetime | None = None
    closed_at: datetime | None = None
    # Each change between draft and ready for review, oldest first: what the pull request
    # was at a past moment (SPEC §7: stale PRs are those that were not drafts at the
    # window's end; one opened as a draft waits for review only from when it is ready).
    # GitHub allows no change to what it already is, so changes alternate, and the first
    # tells what it was opened as. A source may know only the first and the latest of
    # many changes (see `github/queries.py`); between those, the first one holds.
    draft_changes: tuple[DraftChange, ...] = ()
    additions: int = 0
    deletions: int = 0
    changed_files: int = 0
    # Logins, or `org/team-slug` for a team.
    review_requests: tuple[str, ...] = ()
    # Oldest first, as GitHub lists them.
    reviews: tuple[Review, ...] = ()
    # Plain text, fetched only for a monitor that lets its AI writer read descriptions;
    # None when not fetched.
    description: Shown | None = None
    # The committer date of the newest commit on its branch (None when the source cannot
    # tell, or the branch is gone): a commit after a review asking for changes answers it.
    head_committed_at: datetime | None = None

    @field_validator("draft_changes")
    @classmethod
    def _oldest_first(cls, changes: tuple[DraftChange, ...]) -> tuple[DraftChange, ...]:
        return tuple(sorted(changes, key=lambda change: change.at))

    @property
    def started_as_draft(self) -> bool:
        if not self.draft_changes:
            return self.is_draft  # never changed: it is what it was opened as
        return not self.draft_changes[0].draft

    def is_draft_at(self, moment: datetime) -> bool:
        """A draft at `moment`; a change made exactly then is not in effect yet (a
        window's end belongs to the next window)."""
        draft = self.started_as_draft
        for change in self.draft_changes:
            if change.at < moment:
                draft = change.draft
        return draft

    @property
    def first_ready_at(self) -> datetime | None:
        """When it was first ready for review: its creation, or, for one opened as a
        draft, the first time it was marked ready (None while it never was)."""
        if not self.started_as_draft:
            return self.created_at
        return next((change.at for change in self.draft_changes if not change.draft), None)


class IssueComment(_Frozen):
    author: Person | None
    created_at: datetime


class Issue(_Frozen):
    number: int
    title: Shown
    url: str
    author: Person | None
    state: Literal["open", "closed"]
    state_reason: str | None = None
    labels: tuple[Shown, ...] = ()
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    # Its first comments, oldest first, and how many it has in all; None when the source
    # does not read comments. Enough to tell whether anyone but its author answered.
    comments: tuple[IssueComment, ...] | None = None
    comment_count: int | None = None


class Commit(_Frozen):
    sha: str
    message: Shown  # the first line
    url: str | None = None
    author: Person
    committer: Person | None = None
    authored_at: datetime
    committed_at: datetime
    parents: int
    # The pull request GitHub associates with it (the one that brought it to the default
    # branch); None when there is none or the source cannot tell.
    pull_request: int | None = None

    @property
    def is_merge(self) -> bool:
        return self.parents >= 2


class Release(_Frozen):
    tag_name: Shown
    name: Shown | None = None
    url: str | None = None
    author: Person | None = None
    created_at: datetime
    published_at: datetime | None = None
    is_draft: bool = False
    is_prerelease: bool = False
    # True for a local git source, whose releases are its tags.
    from_tag: bool = False


class Tag(_Frozen):
    name: Shown
    sha: str  # the commit it points at
    # The tagger's date for an annotated tag, else the commit's committer date.
    tagged_at: datetime


class Contributor(_Frozen):
    person: Person
    # None when it could not be known (say, a local repository's shallow clone).
    first_time: bool | None
    commits: int = 0
    pull_requests: int = 0
    issues: int = 0


class SourceInfo(_Frozen):
    kind: Literal["github", "git"]
    # `owner/repo` as GitHub names it now, or the local repository's path.
    name: str
    url: str | None = None
    default_branch: str | None = None
    # The default branch's head commit when the activity was read (None when empty).
    revision: str | None = None
    # Set when GitHub answered for a repository that was asked for by an older name
    # (renamed or transferred): the monitor should store the new one.
    requested_name: str | None = None
    is_private: bool | None = None

    @property
    def renamed(self) -> bool:
        return self.requested_name is not None and self.requested_name != self.name


class Activity(_Frozen):
    source: SourceInfo
    window: Window
    fetched_at: datetime
    commits: tuple[Commit, ...]
    pull_requests: tuple[PullRequest, ...] | None
    issues: tuple[Issue, ...] | None
    releases: tuple[Release, ...]
    tags: tuple[Tag, ...]
    contributors: tuple[Contributor, ...]


@dataclass(frozen=True)
class ActivityFailure:
    """A source that could not be read. `permanent` failures (a repository gone, a token
    revoked) need a person to act; others may pass on a later try."""

    source: str
    error: Exception

    @property
    def permanent(self) -> bool:
        return bool(getattr(self.error, "permanent", False))

    @property
    def message(self) -> str:
        return str(self.error)


ActivityOutcome = Activity | ActivityFailure


def contributors_in(
    window: Window,
    commits: tuple[Commit, ...],
    pull_requests: tuple[PullRequest, ...] | None,
    issues: tuple[Issue, ...] | None,
    first_time: dict[str, bool | None],
) -> tuple[Contributor, ...]:
    """SPEC §7's contributors: authors of counted (non-merge, in-window) commits and of
    pull requests and issues created in the window; `first_time` maps `Person.key`."""
    people: dict[str, Person] = {}
    counts: dict[str, list[int]] = {}

    def add(person: Person | None, slot: int) -> None:
        if person is None:
            return
        key = person.key
        known = people.get(key)
        # Prefer the richest record of a person (a login beats an email-only commit).
        if known is None or (known.login is None and person.login is not None):
            people[key] = person
        counts.setdefault(key, [0, 0, 0])[slot] += 1

    for commit in commits:
        if not commit.is_merge and window.contains(commit.committed_at):
            add(commit.author, 0)
    for pull in pull_requests or ():
        if window.contains(pull.created_at):
            add(pull.author, 1)
    for issue in issues or ():
        if window.contains(issue.created_at):
            add(issue.author, 2)
    return tuple(
        Contributor(
            person=people[key],
            first_time=first_time.get(key),
            commits=numbers[0],
            pull_requests=numbers[1],
            issues=numbers[2],
        )
        for key, numbers in sorted(counts.items())
    )


def parse_github_time(value: str | None) -> datetime | None:
    """GitHub's ISO 8601 timestamps (`2019-04-27T13:12:08Z`) as aware UTC."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
