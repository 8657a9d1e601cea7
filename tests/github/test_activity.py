"""Activity from GitHub through the real client, against the fake GitHub replaying recorded
payloads (and generated repositories where size matters)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from infrasync.digests.metrics import compute_metrics
from infrasync.github.activity import ActivityRequest, RepoRef, fetch_activity
from infrasync.github.client import GitHubClient
from infrasync.github.errors import GitHubRepositoryNotFound
from infrasync.github.queries import DRAFT_CHANGES_PAGE
from infrasync.sources.bots import BotPolicy
from infrasync.sources.github import GitHubSource
from infrasync.sources.model import Activity, ActivityFailure, ActivityOutcome, Window
from tests.fakes.github_api import FakeGitHubAPI
from tests.fakes.github_world import (
    FakeAccount,
    FakeCommit,
    FakePull,
    FakeRepo,
    FakeReview,
    generate_repo,
)

WEEK = Window(since=datetime(2026, 11, 16, tzinfo=UTC), until=datetime(2026, 11, 23, tzinfo=UTC))
GRAPHQL = "POST /graphql"


def window(since: str, until: str) -> Window:
    return Window(since=datetime.fromisoformat(since), until=datetime.fromisoformat(until))


def only(outcome: ActivityOutcome) -> Activity:
    assert isinstance(outcome, Activity), outcome
    return outcome


async def one(client: GitHubClient, repo: str, span: Window, **options: object) -> Activity:
    request = ActivityRequest(RepoRef.parse(repo), span)
    (outcome,) = await fetch_activity(client, [request], **options)  # type: ignore[arg-type]
    return only(outcome)


# Recorded payloads ---------------------------------------------------------------------


async def test_recorded_commits_keep_their_authors_dates_and_merges(github: GitHubClient) -> None:
    activity = await one(
        github,
        "sigmavirus24/github3.py",
        window("2017-12-21T00:00:00+00:00", "2017-12-30T00:00:00+00:00"),
    )
    assert len(activity.commits) == 25
    merges = [c for c in activity.commits if c.is_merge]
    assert len(merges) == 8  # the recording's commits with two parents
    newest = max(activity.commits, key=lambda c: c.committed_at)
    assert newest.committed_at == datetime(2017, 12, 29, 2, 41, 15, tzinfo=UTC)
    assert newest.author.login == "omgjlk"
    assert newest.author.name == "Jesse Keating"
    people = {c.person.login: c.commits for c in activity.contributors}
    # Contributors count non-merge commits only (SPEC §7).
    assert people["01walid"] == 1
    assert "omgjlk" not in people  # both of Jesse's commits that week were merges


async def test_recorded_pull_request_comes_with_its_reviews(github: GitHubClient) -> None:
    activity = await one(
        github,
        "sigmavirus24/github3.py",
        window("2017-01-23T00:00:00+00:00", "2017-01-30T00:00:00+00:00"),
    )
    assert activity.pull_requests is not None
    (pull,) = [p for p in activity.pull_requests if p.number == 671]
    assert pull.title == "Add support for fetching pull request reviews"
    assert pull.author is not None
    assert pull.author.login == "omgjlk"
    assert pull.state == "merged"
    assert pull.created_at == datetime(2017, 1, 25, 22, 36, 38, tzinfo=UTC)
    assert pull.merged_at == datetime(2017, 1, 27, 22, 24, 35, tzinfo=UTC)
    assert [(r.author.login if r.author else None, r.state) for r in pull.reviews] == [
        ("sigmavirus24", "commented"),
        ("omgjlk", "commented"),
        ("itsmemattchung", "commented"),
        ("sigmavirus24", "commented"),
        ("sigmavirus24", "commented"),
    ]
    assert pull.reviews[0].submitted_at == datetime(2017, 1, 26, 16, 35, 28, tzinfo=UTC)


async def test_recorded_graphql_history_with_associated_pull_requests(
    github: GitHubClient,
) -> None:
    activity = await one(
        github,
        "toolmantim/release-drafter-test-project",
        window("2019-04-27T00:00:00+00:00", "2019-04-28T00:00:00+00:00"),
    )
    assert activity.source.default_branch == "merge-commit"
    assert activity.pull_requests is not None
    titles = {p.number: (p.title, p.labels, p.state) for p in activity.pull_requests}
    assert titles[5] == ("Add documentation", ("skip-changelog",), "merged")
    assert {c.message for c in activity.commits if c.is_merge} >= {
        "Merge pull request #5 from TimonVS/add-documentation"
    }


async def test_recorded_history_pages_arrive_whole_across_the_page_boundary(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    span = window("2019-01-01T00:00:00+00:00", "2019-01-09T00:00:00+00:00")
    activity = await one(github, "release-drafter/release-drafter", span, first_time=False)
    assert len(activity.commits) == 120  # as recorded: a page of 100, then 20
    assert {c.message for c in activity.commits} >= {"Update release-drafter.yml", "Bump again"}
    assert fake_github.count(GRAPHQL) == 2
    # The second page started at the cursor GitHub recorded for the end of the first.
    (cursor,) = [v for k, v in fake_github.variables[1].items() if k.startswith("commitsAfter")]
    assert cursor == "d1d78f7d126c56c7165213cd2dffddcbc8cee8b6 99"


async def test_recorded_issues_of_a_repository(github: GitHubClient) -> None:
    repo = "octokit-fixture-org/tmp-scenario-paginate-issues-20220719043836917-izyoe"
    activity = await one(
        github, repo, window("2022-07-19T00:00:00+00:00", "2022-07-20T00:00:00+00:00")
    )
    assert activity.issues is not None
    assert sorted(i.number for i in activity.issues) == list(range(1, 14))
    assert all(i.author and i.author.login == "octokit-fixture-user-a" for i in activity.issues)


async def test_renamed_repository_is_followed_and_the_new_name_reported(
    github: GitHubClient,
) -> None:
    activity = await one(
        github,
        "sigmavirus24/betamax",
        window("2020-08-01T00:00:00+00:00", "2020-08-08T00:00:00+00:00"),
    )
    assert activity.source.name == "betamaxpy/betamax"
    assert activity.source.requested_name == "sigmavirus24/betamax"
    assert activity.source.renamed
    assert activity.pull_requests is not None
    numbers = {p.number for p in activity.pull_requests}
    # 188 was opened in the window; 182 and 176 are older but still open at its end.
    assert numbers == {176, 182, 188}


# Completeness and frugality -------------------------------------------------------------


def _expected_numbers(repo: FakeRepo, span: Window) -> tuple[set[int], set[int], set[str]]:
    pulls = {p.number for p in repo.pulls if p.updated_at >= span.since or p.state == "OPEN"}
    issues = {i.number for i in repo.issues if i.updated_at >= span.since}
    commits = {c.oid for c in repo.commits if span.since <= c.committed_at < span.until}
    return pulls, issues, commits


async def test_a_week_under_a_hundred_items_per_kind_is_one_request(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    generated = generate_repo(fake_github.world, "acme", "app", WEEK.since, WEEK.until, 60)
    activity = await one(github, "acme/app", WEEK, first_time=False)
    assert fake_github.count(GRAPHQL) == 1
    pulls, issues, commits = _expected_numbers(generated.repo, WEEK)
    assert {p.number for p in activity.pull_requests or ()} == pulls
    assert {i.number for i in activity.issues or ()} == issues
    assert {c.sha for c in activity.commits} == commits
    newest = max(generated.repo.commits, key=lambda c: c.committed_at)
    assert activity.source.revision == newest.oid  # the head the digest was made from
    assert len(activity.releases) == 3  # the old draft stays out
    assert [t.name for t in sorted(activity.tags, key=lambda t: t.name)] == [
        "v1.0.0",
        "v1.1.0",
        "v1.2.0",
    ]


async def test_every_item_arrives_across_page_boundaries(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    generated = generate_repo(
        fake_github.world, "acme", "big", WEEK.since, WEEK.until, 230, older=40, stale_open=120
    )
    activity = await one(github, "acme/big", WEEK, first_time=False)
    pulls, issues, commits = _expected_numbers(generated.repo, WEEK)
    assert len(commits) == 230
    assert {p.number for p in activity.pull_requests or ()} == pulls
    assert {i.number for i in activity.issues or ()} == issues
    assert {c.sha for c in activity.commits} == commits
    # Three pages of each kind; nothing fetched twice.
    assert fake_github.count(GRAPHQL) == 3
    assert fake_github.refused_queries == []


async def test_pull_requests_stop_at_the_window_instead_of_reading_all_history(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    generate_repo(fake_github.world, "acme", "old", WEEK.since, WEEK.until, 30, older=900)
    activity = await one(github, "acme/old", WEEK, first_time=False)
    assert fake_github.count(GRAPHQL) == 1  # 900 older pull requests were never paged
    assert activity.pull_requests is not None
    assert all(p.updated_at >= WEEK.since or p.state == "open" for p in activity.pull_requests)


async def test_open_pull_requests_untouched_since_before_the_window_are_kept(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    generated = generate_repo(
        fake_github.world, "acme", "app", WEEK.since, WEEK.until, 10, stale_open=4
    )
    activity = await one(github, "acme/app", WEEK, first_time=False)
    forgotten = {p.number for p in generated.repo.pulls if p.title.startswith("Forgotten")}
    assert len(forgotten) == 4
    assert forgotten <= {p.number for p in activity.pull_requests or ()}


async def test_reviews_beyond_the_first_page_are_all_fetched(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    generated = generate_repo(fake_github.world, "acme", "app", WEEK.since, WEEK.until, 5)
    busy = generated.repo.pulls[-1]
    reviewer = generated.people[-1]
    busy.reviews = [
        FakeReview(reviewer, "COMMENTED", WEEK.since + timedelta(hours=n)) for n in range(45)
    ]
    busy.labels = [f"area-{n}" for n in range(14)]
    activity = await one(github, "acme/app", WEEK, first_time=False)
    (pull,) = [p for p in activity.pull_requests or () if p.number == busy.number]
    assert len(pull.reviews) == 45
    assert [r.submitted_at for r in pull.reviews] == sorted(
        r.submitted_at for r in busy.reviews if r.submitted_at
    )
    assert len(pull.labels) == 14
    assert fake_github.count(GRAPHQL) == 2  # the rest of both came in one more query


async def test_many_repositories_on_one_token_share_few_requests(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    expected = {}
    for n in range(30):
        generated = generate_repo(
            fake_github.world, "acme", f"svc{n}", WEEK.since, WEEK.until, 20, seed=n
        )
        expected[f"acme/svc{n}"] = _expected_numbers(generated.repo, WEEK)
    requests = [ActivityRequest(RepoRef("acme", f"svc{n}"), WEEK) for n in range(30)]
    outcomes = await fetch_activity(github, requests, first_time=False)
    assert fake_github.count(GRAPHQL) <= 3
    for outcome in outcomes:
        activity = only(outcome)
        pulls, issues, commits = expected[activity.source.name]
        assert {p.number for p in activity.pull_requests or ()} == pulls
        assert {i.number for i in activity.issues or ()} == issues
        assert {c.sha for c in activity.commits} == commits


async def test_this_week_and_the_last_come_in_the_same_queries(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    generate_repo(fake_github.world, "acme", "app", WEEK.since, WEEK.until, 30)
    last_week = Window(since=WEEK.since - timedelta(days=7), until=WEEK.since)
    source = GitHubSource(github, RepoRef("acme", "app"))
    this, last = await source.activities([WEEK, last_week])
    assert (this.window, last.window) == (WEEK, last_week)
    assert all(last_week.contains(c.committed_at) for c in last.commits)
    assert fake_github.count(GRAPHQL) == 2  # one for both weeks, one about newcomers


async def test_a_missing_repository_fails_alone(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    generate_repo(fake_github.world, "acme", "app", WEEK.since, WEEK.until, 5)
    requests = [
        ActivityRequest(RepoRef("acme", "app"), WEEK),
        ActivityRequest(RepoRef("acme", "gone"), WEEK),
    ]
    found, missing = await fetch_activity(github, requests)
    assert isinstance(found, Activity)
    assert isinstance(missing, ActivityFailure)
    assert missing.permanent
    assert isinstance(missing.error, GitHubRepositoryNotFound)
    assert "acme/gone was not found" in missing.message


async def test_a_private_repository_needs_private_access(
    fake_github: FakeGitHubAPI, github: GitHubClient, token: str
) -> None:
    generated = generate_repo(fake_github.world, "acme", "secret", WEEK.since, WEEK.until, 5)
    generated.repo.private = True
    source = GitHubSource(github, RepoRef("acme", "secret"))
    with pytest.raises(GitHubRepositoryNotFound, match="grant private access"):
        await source.activity(WEEK)
    fake_github.tokens[token].scopes = ("read:user", "repo")
    activity = await source.activity(WEEK)
    assert activity.source.is_private is True


# People -------------------------------------------------------------------------------


async def test_bots_are_marked_not_dropped(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    generate_repo(fake_github.world, "acme", "app", WEEK.since, WEEK.until, 30)
    request = ActivityRequest(RepoRef("acme", "app"), WEEK, BotPolicy.with_extra(["app-dev03"]))
    (outcome,) = await fetch_activity(github, [request], first_time=False)
    activity = only(outcome)
    authors = {p.author.login: p.author.is_bot for p in activity.pull_requests or () if p.author}
    assert authors["dependabot"] is True  # GitHub's Bot type
    assert authors["app-dev03"] is True  # this monitor's own list
    assert authors["app-dev01"] is False


async def test_first_time_contributors_are_marked(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    generated = generate_repo(fake_github.world, "acme", "app", WEEK.since, WEEK.until, 40)
    activity = await one(github, "acme/app", WEEK)
    verdicts = {c.person.login: c.first_time for c in activity.contributors}
    humans = {login: v for login, v in verdicts.items() if login and login != "dependabot"}
    assert humans, "the generated week has human contributors"
    for login, first_time in humans.items():
        assert first_time is (login in generated.newcomers), login
    # What the window's own data settles is not asked again: one more query at most.
    assert fake_github.count(GRAPHQL) == 2


async def test_a_week_of_regulars_needs_no_question_about_first_timers(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    generate_repo(fake_github.world, "acme", "app", WEEK.since, WEEK.until, 40, newcomers=0)
    activity = await one(github, "acme/app", WEEK)
    humans = [c for c in activity.contributors if not c.person.is_bot]
    assert humans
    assert all(c.first_time is False for c in humans)
    assert fake_github.count(GRAPHQL) == 1


async def test_bots_are_asked_about_only_when_the_monitor_counts_them(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    generate_repo(fake_github.world, "acme", "app", WEEK.since, WEEK.until, 40, newcomers=0)
    request = ActivityRequest(RepoRef("acme", "app"), WEEK)
    (ignored,) = await fetch_activity(github, [request])
    (counted,) = await fetch_activity(
        github, [ActivityRequest(request.repo, WEEK, count_bots=True)]
    )
    bot = {c.person.login: c.first_time for c in only(ignored).contributors if c.person.is_bot}
    assert bot == {"dependabot": None}
    bot = {c.person.login: c.first_time for c in only(counted).contributors if c.person.is_bot}
    assert bot == {"dependabot": True}  # its first pull requests here are this week's
    assert fake_github.count(GRAPHQL) == 3


async def test_commits_are_the_windows_by_committer_date_not_author_date(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    """SPEC §7 names the committer date. GitHub's `until` includes its second, so a
    commit committed exactly at the window's end comes back and must be left out."""
    repo = fake_github.world.add(FakeRepo("acme", "dated"))
    ada = FakeAccount("ada", email="ada@example.com")

    def dated(oid: str, authored: datetime, committed: datetime) -> FakeCommit:
        return FakeCommit(oid * 40, oid, "Ada", "ada@example.com", committed, authored, 1, ada)

    repo.commits = [
        dated("a", WEEK.since - timedelta(days=30), WEEK.since),  # rebased in, at `since`
        dated("b", WEEK.since - timedelta(seconds=1), WEEK.since + timedelta(days=2)),
        dated("c", WEEK.since + timedelta(days=1), WEEK.until),  # committed at the end
        dated("d", WEEK.since + timedelta(days=2), WEEK.until + timedelta(days=3)),
        dated("e", WEEK.since - timedelta(days=3), WEEK.since - timedelta(seconds=1)),
    ]
    activity = await one(github, "acme/dated", WEEK)
    assert sorted(c.message for c in activity.commits) == ["a", "b"]
    metrics = compute_metrics(activity)
    assert (metrics.commits, metrics.authors) == (2, 1)
    assert metrics.first_time_contributors == 0  # "e" was committed before the window


# Drafts --------------------------------------------------------------------------------


async def test_draft_pull_requests_know_when_they_became_ready(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    generated = generate_repo(fake_github.world, "acme", "app", WEEK.since, WEEK.until, 30)
    drafted = [p for p in generated.repo.pulls if p.draft_events]
    assert drafted
    activity = await one(github, "acme/app", WEEK, first_time=False)
    by_number = {p.number: p for p in activity.pull_requests or ()}
    for fake in drafted:
        pull = by_number[fake.number]
        assert pull.started_as_draft
        assert pull.first_ready_at == fake.draft_events[0][1].replace(microsecond=0)
    never = next(
        p for p in activity.pull_requests or () if p.number not in {d.number for d in drafted}
    )
    assert not never.started_as_draft
    assert never.draft_changes == ()
    assert never.first_ready_at == never.created_at


def _day(month: int, day: int) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


def _week_to(end: datetime) -> Window:
    return Window(since=end - timedelta(days=7), until=end)


def _drafty_repo(fake_github: FakeGitHubAPI, *pulls: FakePull) -> None:
    repo = fake_github.world.add(FakeRepo("acme", "drafts"))
    repo.pulls = list(pulls)


def _unreviewed(number: int, created: datetime, events: list[tuple[str, datetime]]) -> FakePull:
    """An open pull request nobody reviewed, with its draft history; `isDraft` is what
    the last change made it."""
    draft_now = events[-1][0] == "ConvertToDraftEvent" if events else False
    return FakePull(
        number,
        f"Change {number}",
        FakeAccount("ada"),
        created,
        events[-1][1] if events else created,
        is_draft=draft_now,
        draft_events=events,
    )


async def _stale_by_window(github: GitHubClient, windows: list[Window]) -> list[int | None]:
    source = GitHubSource(github, RepoRef("acme", "drafts"))
    activities = await source.activities(windows)
    return [compute_metrics(activity).prs_stale for activity in activities]


async def test_a_pull_request_that_was_a_draft_at_a_past_windows_end_was_not_stale(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    """Opened as a draft Oct 20, ready Nov 12: not stale in the week to Nov 9 (a draft
    then, though ready now), stale in the week to Nov 23."""
    _drafty_repo(
        fake_github,
        _unreviewed(1, _day(10, 20), [("ReadyForReviewEvent", _day(11, 12))]),
    )
    past, recent = _week_to(_day(11, 9)), _week_to(_day(11, 23))
    assert await _stale_by_window(github, [past, recent]) == [0, 1]


async def test_a_pull_request_that_changed_back_and_forth_is_judged_by_its_state_then(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    """Opened as a draft Oct 1; ready Oct 5, a draft again Oct 10, ready Oct 20."""
    events = [
        ("ReadyForReviewEvent", _day(10, 5)),
        ("ConvertToDraftEvent", _day(10, 10)),
        ("ReadyForReviewEvent", _day(10, 20)),
    ]
    _drafty_repo(fake_github, _unreviewed(1, _day(10, 1), events))
    weeks = [_week_to(_day(10, 9)), _week_to(_day(10, 15)), _week_to(_day(10, 25))]
    assert await _stale_by_window(github, weeks) == [1, 0, 1]
    # A change exactly at a window's end belongs to the next window.
    assert await _stale_by_window(github, [_week_to(_day(10, 10))]) == [1]
    assert fake_github.count(GRAPHQL) == 2  # one query for each call, however many weeks


async def test_a_pull_request_that_changed_very_often_costs_no_extra_request(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    """Beyond the page of latest changes, the first change and the latest ones are
    still known: what it was opened as, when it was first ready, and its recent state."""
    changes = DRAFT_CHANGES_PAGE + 5
    events = [
        ("ReadyForReviewEvent" if n % 2 == 0 else "ConvertToDraftEvent", _day(10, 1 + n))
        for n in range(changes)
    ]
    _drafty_repo(fake_github, _unreviewed(1, _day(9, 25), events))
    activity = await one(github, "acme/drafts", _week_to(_day(10, 28)), first_time=False)
    (pull,) = activity.pull_requests or ()
    assert pull.started_as_draft
    assert pull.first_ready_at == _day(10, 1)
    assert [c.at for c in pull.draft_changes] == [
        _day(10, 1),
        *(_day(10, 1 + n) for n in range(changes - DRAFT_CHANGES_PAGE, changes)),
    ]
    assert fake_github.count(GRAPHQL) == 1
    last_ready = events[-1] if events[-1][0] == "ReadyForReviewEvent" else events[-2]
    assert not pull.is_draft_at(last_ready[1] + timedelta(hours=1))
    assert pull.is_draft_at(last_ready[1]) is True
