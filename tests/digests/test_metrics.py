"""Metrics schema 1 against values computed by hand from one small, fully known week.

The week is 2026-11-02 00:00 UTC to 2026-11-09 00:00 UTC. Every expected number below says
which fixture items make it up, so a reader can check it against docs/metrics.md.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from infrasync.digests.document import CommitItem, build_items
from infrasync.digests.metrics import (
    MetricsV1,
    compute_metrics,
    median,
    p90,
)
from infrasync.sources.local_git import LocalGitSource
from infrasync.sources.model import (
    Activity,
    Commit,
    Contributor,
    DraftChange,
    Issue,
    Person,
    PullRequest,
    Release,
    Review,
    ReviewState,
    SourceInfo,
    Window,
    contributors_in,
)

SINCE = datetime(2026, 11, 2, tzinfo=UTC)
UNTIL = datetime(2026, 11, 9, tzinfo=UTC)
WEEK = Window(since=SINCE, until=UNTIL)
SOURCE = SourceInfo(kind="github", name="acme/app", url="https://github.com/acme/app")

ada = Person(login="ada", name="Ada")
bob = Person(login="bob", name="Bob")
cy = Person(login="cy", name="Cy")
dependabot = Person(login="dependabot[bot]", is_bot=True)


def at(day: int, hour: int = 12) -> datetime:
    """A moment of November 2026."""
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def commit(sha: str, author: Person, when: datetime, parents: int = 1) -> Commit:
    return Commit(
        sha=sha,
        message=f"change {sha}",
        author=author,
        authored_at=when,
        committed_at=when,
        parents=parents,
    )


def pull(number: int, author: Person, created: datetime, **fields: object) -> PullRequest:
    defaults: dict[str, object] = {
        "title": f"PR {number}",
        "url": f"https://github.com/acme/app/pull/{number}",
        "state": "open",
        "is_draft": False,
        "updated_at": created,
    }
    defaults.update(fields)
    return PullRequest.model_validate(
        {"number": number, "author": author, "created_at": created, **defaults}
    )


def review(author: Person, when: datetime, state: ReviewState = "commented") -> Review:
    return Review(author=author, state=state, submitted_at=when)


COMMITS = (
    commit("c1", ada, at(2)),
    commit("c2", ada, at(3)),
    commit("c3", bob, at(4)),
    commit("m1", bob, at(4, 13), parents=2),  # a merge: not counted
    commit("c4", dependabot, at(5)),  # a bot's commit counts as a commit, not a person
    commit("c0", cy, at(1)),  # before the window
)

PULLS = (
    # #1 by ada: created Nov 1 09:00, merged Nov 3 09:00 (48 h); bob reviewed Nov 2 09:00.
    pull(
        1,
        ada,
        at(1, 9),
        state="merged",
        merged_at=at(3, 9),
        closed_at=at(3, 9),
        reviews=(review(ada, at(1, 10)), review(bob, at(2, 9), "approved")),
    ),
    # #2 by bob: created Nov 4 12:00, merged Nov 5 00:00 (12 h); cy reviewed Nov 4 18:00.
    pull(
        2,
        bob,
        at(4, 12),
        state="merged",
        merged_at=at(5, 0),
        closed_at=at(5, 0),
        reviews=(review(cy, at(4, 18)),),
    ),
    # #3 by dependabot: created Nov 6 12:00, merged Nov 6 14:00 (2 h), no review.
    pull(3, dependabot, at(6, 12), state="merged", merged_at=at(6, 14), closed_at=at(6, 14)),
    # #4 by cy: created Nov 3, closed without merge Nov 7.
    pull(4, cy, at(3), state="closed", closed_at=at(7)),
    # #5 by ada: created Oct 20, open, only its author commented: stale at the end.
    pull(
        5, ada, datetime(2026, 10, 20, tzinfo=UTC), updated_at=at(2), reviews=(review(ada, at(2)),)
    ),
    # #6 by bob: created Nov 4, open, a draft: never stale.
    pull(6, bob, at(4), is_draft=True),
    # #7 by cy: created Nov 7, open, too young to be stale (< 3 days before the end).
    pull(7, cy, at(7)),
    # #8 by bob: created Oct 25, started as a draft, ready Nov 5 12:00, reviewed by ada
    # Nov 6 00:00 (12 h after ready), still open: reviewed, so not stale.
    pull(
        8,
        bob,
        datetime(2026, 10, 25, tzinfo=UTC),
        draft_changes=(DraftChange(at=at(5, 12), draft=False),),
        updated_at=at(6, 0),
        reviews=(review(ada, at(6, 0), "changes_requested"),),
    ),
    # #9 by ada: created Nov 8, closed Nov 9 01:00 — after the window: open at its end.
    pull(9, ada, at(8), state="closed", closed_at=at(9, 1)),
)

ISSUES = (
    Issue(
        number=20,
        title="Crash",
        url="https://github.com/acme/app/issues/20",
        author=cy,
        state="closed",
        created_at=at(2),
        updated_at=at(4),
        closed_at=at(4),
    ),
    Issue(
        number=21,
        title="Idea",
        url="https://github.com/acme/app/issues/21",
        author=bob,
        state="open",
        created_at=at(6),
        updated_at=at(6),
    ),
    Issue(
        number=15,
        title="Old",
        url="https://github.com/acme/app/issues/15",
        author=ada,
        state="closed",
        created_at=datetime(2026, 9, 1, tzinfo=UTC),
        updated_at=at(8),
        closed_at=at(8),
    ),
)

RELEASES = (
    Release(tag_name="v1.0", created_at=at(3), published_at=at(3)),
    Release(tag_name="v1.1-rc1", created_at=at(6), published_at=at(6), is_prerelease=True),
    Release(tag_name="v2.0", created_at=at(7), published_at=None, is_draft=True),
    Release(tag_name="v0.9", created_at=at(1), published_at=at(1)),
)


_KNOWN_FIRST_TIMES: dict[str, bool | None] = {
    "login:ada": False,
    "login:bob": False,
    "login:cy": True,
    "login:dependabot[bot]": True,
}


def week(
    first_time: dict[str, bool | None] | None = None,
    *,
    commits: tuple[Commit, ...] = COMMITS,
    pull_requests: tuple[PullRequest, ...] | None = PULLS,
    issues: tuple[Issue, ...] | None = ISSUES,
    releases: tuple[Release, ...] = RELEASES,
) -> Activity:
    contributors = contributors_in(
        WEEK, commits, pull_requests, issues, first_time or _KNOWN_FIRST_TIMES
    )
    return Activity(
        source=SOURCE,
        window=WEEK,
        fetched_at=UNTIL,
        commits=commits,
        pull_requests=pull_requests,
        issues=issues,
        releases=releases,
        tags=(),
        contributors=contributors,
    )


def test_a_known_week_gives_the_hand_computed_figures() -> None:
    metrics = compute_metrics(week())
    assert metrics.as_json() == {
        "schema": 1,
        "commits": 4,  # c1, c2, c3, c4 (m1 is a merge, c0 is before the window)
        "authors": 2,  # ada, bob (dependabot is a bot)
        "prs_opened": 6,  # #2, #3, #4, #6, #7, #9 (drafts and bots' included)
        "prs_merged": 3,  # #1, #2, #3
        "prs_closed_unmerged": 1,  # #4 (#9 closes after the window)
        "prs_open_at_end": 5,  # #5, #6, #7, #8, #9
        "prs_stale": 1,  # #5 (#6 draft, #7 too young, #8 reviewed, #9 too young)
        "issues_opened": 2,  # #20, #21
        "issues_closed": 2,  # #20, #15
        "releases": 2,  # v1.0 and the pre-release v1.1-rc1 (v2.0 is a draft, v0.9 before)
        "contributors": 3,  # ada, bob, cy (dependabot is a bot)
        "first_time_contributors": 1,  # cy
        # Merged in the window: #3 2 h, #2 12 h, #1 48 h → median 12, p90 rank ceil(2.7)=3.
        "time_to_merge_hours": {"median": 12.0, "p90": 48.0},
        # First reviews in the window: #1 24 h, #2 6 h, #8 12 h from ready → median 12.
        "time_to_first_review_hours": {"median": 12.0},
        "previous": None,
    }


def test_bots_count_as_people_when_the_monitor_says_so() -> None:
    metrics = compute_metrics(week(), include_bots=True)
    assert metrics.authors == 3  # ada, bob, dependabot
    assert metrics.contributors == 4
    assert metrics.first_time_contributors == 2  # cy, dependabot
    assert metrics.commits == compute_metrics(week()).commits  # commits are not people


def test_a_local_git_source_knows_no_pull_requests_or_issues() -> None:
    local = week(pull_requests=None, issues=None)
    metrics = compute_metrics(local).as_json()
    for key in (
        "prs_opened",
        "prs_merged",
        "prs_closed_unmerged",
        "prs_open_at_end",
        "prs_stale",
        "issues_opened",
        "issues_closed",
        "time_to_merge_hours",
        "time_to_first_review_hours",
    ):
        assert metrics[key] is None, key  # unknowable is null, never 0
    assert metrics["commits"] == 4
    assert metrics["contributors"] == 2  # ada and bob by their commits; cy had only PRs


def test_an_empty_week_has_zero_counts_and_no_times() -> None:
    metrics = compute_metrics(week(commits=(), pull_requests=(), issues=(), releases=()))
    assert (metrics.commits, metrics.prs_merged, metrics.issues_opened) == (0, 0, 0)
    assert metrics.time_to_merge_hours is not None
    assert metrics.time_to_merge_hours.median is None
    assert metrics.time_to_merge_hours.p90 is None


def test_first_time_contributors_are_unknown_when_anyone_is_unknown() -> None:
    metrics = compute_metrics(week(first_time={"login:ada": False, "login:bob": None}))
    assert metrics.first_time_contributors is None


def test_the_stale_threshold_is_a_setting() -> None:
    # With one day, #7 (created Nov 7, two days before the end) is stale too.
    assert compute_metrics(week(), stale_after=timedelta(days=1)).prs_stale == 2


def test_the_previous_window_rides_along() -> None:
    previous_window = Window(since=SINCE - timedelta(days=7), until=SINCE)
    previous = Activity(
        source=SOURCE,
        window=previous_window,
        fetched_at=UNTIL,
        commits=(commit("c0", cy, at(1)), commit("c-1", cy, datetime(2026, 10, 28, tzinfo=UTC))),
        pull_requests=PULLS,
        issues=ISSUES,
        releases=RELEASES,
        tags=(),
        contributors=(Contributor(person=cy, first_time=False, commits=2),),
    )
    metrics = compute_metrics(week(), previous)
    assert metrics.previous is not None
    assert metrics.previous.commits == 2
    assert metrics.previous.prs_merged == 0
    assert metrics.previous.releases == 1  # v0.9
    assert metrics.commits - metrics.previous.commits == 2
    earlier = metrics.as_json()["previous"]
    assert isinstance(earlier, dict)
    assert "previous" not in earlier  # one level only


def test_the_schema_key_and_version() -> None:
    document = compute_metrics(week()).as_json()
    assert document["schema"] == 1
    assert MetricsV1.model_validate(document) == compute_metrics(week())


@pytest.mark.parametrize(
    ("values", "expected_median", "expected_p90"),
    [
        ([5.0], 5.0, 5.0),
        ([1.0, 2.0], 1.5, 2.0),
        ([4.0, 1.0, 3.0, 2.0], 2.5, 4.0),
        ([float(n) for n in range(1, 11)], 5.5, 9.0),  # rank ceil(9.0) = 9
        ([float(n) for n in range(1, 12)], 6.0, 10.0),  # rank ceil(9.9) = 10
        ([], None, None),
    ],
)
def test_median_and_nearest_rank_p90(
    values: list[float], expected_median: float | None, expected_p90: float | None
) -> None:
    assert median(values) == expected_median
    assert p90(values) == expected_p90


# Boundaries ------------------------------------------------------------------------------


def figures_of(*pulls: PullRequest, stale_after: timedelta = timedelta(days=3)) -> MetricsV1:
    return compute_metrics(week(pull_requests=pulls), stale_after=stale_after)


def test_a_pull_request_created_exactly_at_the_windows_end_belongs_to_the_next_window() -> None:
    at_end = figures_of(pull(1, ada, UNTIL))
    assert (at_end.prs_opened, at_end.prs_open_at_end) == (0, 0)
    just_before = figures_of(pull(1, ada, UNTIL - timedelta(seconds=1)))
    assert (just_before.prs_opened, just_before.prs_open_at_end) == (1, 1)
    at_start = figures_of(pull(1, ada, SINCE))
    assert (at_start.prs_opened, at_start.prs_open_at_end) == (1, 1)


def test_a_pull_request_closed_exactly_at_the_windows_end_was_open_at_it() -> None:
    closed_at_end = pull(1, ada, at(3), state="closed", closed_at=UNTIL)
    merged_at_end = pull(2, ada, at(3), state="merged", merged_at=UNTIL, closed_at=UNTIL)
    figures = figures_of(closed_at_end, merged_at_end)
    assert figures.prs_open_at_end == 2
    assert (figures.prs_merged, figures.prs_closed_unmerged) == (0, 0)
    closed_before = pull(3, ada, at(3), state="closed", closed_at=UNTIL - timedelta(seconds=1))
    assert figures_of(closed_before).prs_open_at_end == 0


def test_exactly_the_stale_threshold_before_the_end_is_stale() -> None:
    """SPEC §7: "created at least the stale threshold before the window ends"."""
    threshold = timedelta(days=3)
    assert figures_of(pull(1, ada, UNTIL - threshold)).prs_stale == 1
    assert figures_of(pull(1, ada, UNTIL - threshold + timedelta(seconds=1))).prs_stale == 0
    five_days = figures_of(pull(1, ada, UNTIL - timedelta(days=5)), stale_after=timedelta(days=5))
    assert five_days.prs_stale == 1


def test_a_review_exactly_at_the_windows_end_comes_too_late_for_it() -> None:
    old = UNTIL - timedelta(days=10)
    at_end = pull(1, ada, old, reviews=(review(bob, UNTIL),))
    just_before = pull(2, ada, old, reviews=(review(bob, UNTIL - timedelta(seconds=1)),))
    own = pull(3, ada, old, reviews=(review(ada, at(3)),))  # its author's own review
    assert figures_of(at_end).prs_stale == 1
    assert figures_of(just_before).prs_stale == 0
    assert figures_of(own).prs_stale == 1


def commit_dated(sha: str, authored: datetime, committed: datetime) -> Commit:
    return Commit(
        sha=sha,
        message=f"change {sha}",
        author=ada,
        authored_at=authored,
        committed_at=committed,
        parents=1,
    )


def test_commits_count_by_committer_date_not_author_date() -> None:
    """SPEC §7 names the committer date: a commit written before the window and
    committed (rebased, cherry-picked, applied by a maintainer) in it is the window's; one
    written in the window and committed at its end or later is not."""
    commits = (
        commit_dated("rebased", SINCE - timedelta(days=20), SINCE),
        commit_dated("picked", SINCE - timedelta(seconds=1), at(4)),
        commit_dated("at-end", at(3), UNTIL),
        commit_dated("later", at(4), at(12)),
    )
    activity = week(commits=commits)
    metrics = compute_metrics(activity)
    assert (metrics.commits, metrics.authors) == (2, 1)
    assert {c.sha for c in items_commits(activity)} == {"rebased", "picked"}
    assert {c.person.key: c.commits for c in activity.contributors}["login:ada"] == 2


def items_commits(activity: Activity) -> tuple[CommitItem, ...]:
    return build_items(activity).commits


# Drafts: what a pull request was at the window's end --------------------------------------


def ready(moment: datetime) -> DraftChange:
    return DraftChange(at=moment, draft=False)


def drafted(moment: datetime) -> DraftChange:
    return DraftChange(at=moment, draft=True)


OLD = datetime(2026, 10, 1, tzinfo=UTC)


def test_a_pull_request_that_was_a_draft_at_the_end_is_not_stale_though_ready_now() -> None:
    # Opened as a draft Oct 1, marked ready after the week (Nov 12): ready now.
    later_ready = pull(1, ada, OLD, draft_changes=(ready(at(12)),))
    assert not later_ready.is_draft
    assert figures_of(later_ready).prs_stale == 0
    in_review = build_items(week(pull_requests=(later_ready,))).in_review
    assert in_review == ()  # a draft then: not in review in that week's digest
    # Converted to a draft after the week: it was waiting for review at the end.
    later_draft = pull(2, ada, OLD, is_draft=True, draft_changes=(drafted(at(12)),))
    assert figures_of(later_draft).prs_stale == 1
    assert [p.number for p in build_items(week(pull_requests=(later_draft,))).in_review] == [2]


def test_a_pull_request_that_changed_back_and_forth_is_judged_at_the_windows_end() -> None:
    flips = (ready(at(1)), drafted(at(3)), ready(at(12)))  # draft → ready → draft → ready
    assert figures_of(pull(1, ada, OLD, draft_changes=flips)).prs_stale == 0  # a draft then
    back = (ready(at(1)), drafted(at(3)), ready(at(5)))  # ready again before the end
    assert figures_of(pull(1, ada, OLD, draft_changes=back)).prs_stale == 1
    # Ready again exactly at the end: still a draft in this window.
    edge = (ready(at(1)), drafted(at(3)), ready(UNTIL))
    assert figures_of(pull(1, ada, OLD, draft_changes=edge)).prs_stale == 0
    # Listed in any order, the changes are read oldest first.
    shuffled = pull(1, ada, OLD, draft_changes=(ready(at(5)), ready(at(1)), drafted(at(3))))
    assert figures_of(shuffled).prs_stale == 1


def test_review_time_runs_from_the_first_time_a_draft_was_ready() -> None:
    """Going back to draft does not stop the clock; a review given before a draft was
    ever ready waited no time (never a negative wait)."""
    flipped = pull(
        1,
        ada,
        OLD,
        draft_changes=(ready(at(2, 0)), drafted(at(3, 0)), ready(at(4, 0))),
        reviews=(review(bob, at(4, 12)),),
    )
    early = pull(
        2,
        ada,
        at(2, 0),
        draft_changes=(ready(at(6, 0)),),
        reviews=(review(bob, at(3, 0)),),  # while still a draft
    )
    opened_ready = pull(3, ada, at(2, 0), reviews=(review(bob, at(2, 6)),))
    ready_first = pull(
        4,
        ada,
        at(2, 0),
        draft_changes=(drafted(at(2, 1)), ready(at(2, 20))),  # opened ready, then a draft
        reviews=(review(bob, at(3, 0)),),
    )

    def waited(pr: PullRequest) -> float | None:
        times = figures_of(pr).time_to_first_review_hours
        return times.median if times else None

    assert waited(flipped) == 60.0  # Nov 2 00:00 → Nov 4 12:00
    assert waited(early) == 0.0
    assert waited(opened_ready) == 6.0
    assert waited(ready_first) == 24.0  # from creation: it was ready then


def _git(path: Path, *args: str, authored: str, committed: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Bob",
        "GIT_COMMITTER_EMAIL": "bob@example.com",
        "GIT_AUTHOR_DATE": authored,
        "GIT_COMMITTER_DATE": committed,
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(path),
    }
    subprocess.run(["git", "-C", str(path), *args], env=env, check=True, capture_output=True)


async def test_a_local_repository_counts_commits_by_committer_date(tmp_path: Path) -> None:
    """The same rule read from git: author and committer dates on either side of the
    window's edges."""
    path = tmp_path / "repo"
    path.mkdir()
    _git(path, "init", "-q", "-b", "main", authored="", committed="")
    for message, authored, committed in (
        ("rebased in", "2026-10-01T00:00:00Z", "2026-11-02T00:00:00Z"),  # at `since`
        ("picked in", "2026-11-01T23:59:59Z", "2026-11-05T00:00:00Z"),
        ("written in, committed at the end", "2026-11-03T00:00:00Z", "2026-11-09T00:00:00Z"),
        ("written in, committed later", "2026-11-04T00:00:00Z", "2026-11-20T00:00:00Z"),
    ):
        _git(
            path,
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            message,
            authored=authored,
            committed=committed,
        )
    activity = await LocalGitSource(path).activity(WEEK)
    assert sorted(c.message for c in activity.commits) == ["picked in", "rebased in"]
    metrics = compute_metrics(activity)
    assert (metrics.commits, metrics.authors, metrics.contributors) == (2, 1, 1)
    # Written before the window, but nothing of hers was committed before it: SPEC §7
    # counts her first contribution by the committer date too.
    assert metrics.first_time_contributors == 1


# What else a figure rests on ---------------------------------------------------------------


def test_hours_keep_two_decimals() -> None:
    # Merged 80 minutes after it was opened: 1.33 hours, not 1 and not 1.333.
    quick = pull(1, ada, at(3, 10), state="merged", merged_at=at(3, 11) + timedelta(minutes=20))
    merge = figures_of(quick).time_to_merge_hours
    assert merge is not None
    assert (merge.median, merge.p90) == (1.33, 1.33)
    # The median too: between 1 and 1.25 hours lies 1.125, kept as 1.12 (Python's
    # rounding, half to even), not 1.125.
    hour = pull(1, ada, at(3, 10), state="merged", merged_at=at(3, 11))
    hour_and_a_quarter = pull(
        2, ada, at(3, 10), state="merged", merged_at=at(3, 11) + timedelta(minutes=15)
    )
    both = figures_of(hour, hour_and_a_quarter).time_to_merge_hours
    assert both is not None
    assert both.median == 1.12


def test_the_first_review_is_the_earliest_whatever_order_they_come_in() -> None:
    late_listed_first = pull(
        1, ada, at(2, 0), reviews=(review(cy, at(4, 0)), review(bob, at(3, 0)))
    )
    times = figures_of(late_listed_first).time_to_first_review_hours
    assert times is not None
    assert times.median == 24.0  # bob's, a day after it was opened


def test_a_pull_request_of_a_deleted_account_still_counts() -> None:
    ghost = pull(1, ada, at(2, 0), reviews=(review(bob, at(2, 6)),)).model_copy(
        update={"author": None}
    )
    figures = figures_of(ghost)
    assert figures.prs_opened == 1
    assert figures.time_to_first_review_hours is not None
    assert figures.time_to_first_review_hours.median == 6.0


def test_a_first_review_outside_the_window_is_not_this_windows() -> None:
    reviewed_before = pull(1, ada, OLD, reviews=(review(bob, SINCE - timedelta(hours=1)),))
    reviewed_after = pull(2, ada, at(3), reviews=(review(bob, UNTIL),))
    times = figures_of(reviewed_before, reviewed_after).time_to_first_review_hours
    assert times is not None
    assert times.median is None


def test_a_draft_reviewed_before_it_was_ever_ready_waited_no_time() -> None:
    never_ready = pull(1, ada, at(2, 0), is_draft=True, reviews=(review(bob, at(3, 0)),))
    assert never_ready.first_ready_at is None
    times = figures_of(never_ready).time_to_first_review_hours
    assert times is not None
    assert times.median == 0.0


def test_the_previous_window_is_measured_by_the_same_settings() -> None:
    previous_window = Window(since=SINCE - timedelta(days=7), until=SINCE)
    bot_commit = commit("b0", dependabot, SINCE - timedelta(days=2))
    waiting = pull(30, ada, SINCE - timedelta(days=2))  # two days old at the previous end
    previous = Activity(
        source=SOURCE,
        window=previous_window,
        fetched_at=UNTIL,
        commits=(bot_commit,),
        pull_requests=(waiting,),
        issues=(),
        releases=(),
        tags=(),
        contributors=contributors_in(
            previous_window, (bot_commit,), (waiting,), (), {"login:dependabot[bot]": True}
        ),
    )
    by_default = compute_metrics(week(), previous).previous
    assert by_default is not None
    assert (by_default.authors, by_default.prs_stale) == (0, 0)
    chosen = compute_metrics(week(), previous, include_bots=True, stale_after=timedelta(days=1))
    assert chosen.previous is not None
    assert (chosen.previous.authors, chosen.previous.prs_stale) == (1, 1)
