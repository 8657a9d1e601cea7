"""A local git repository yields the same activity model: commits, authors, first-timers,
tags as releases — and no pull requests or issues (unknown, not zero)."""

from __future__ import annotations

import asyncio
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from infrasync.sources import local_git
from infrasync.sources.bots import BotPolicy
from infrasync.sources.local_git import LocalGitError, LocalGitSource
from infrasync.sources.model import Commit, Window
from tests.security.hostile_git import corrupt

WEEK = Window(since=datetime(2026, 11, 16, tzinfo=UTC), until=datetime(2026, 11, 23, tzinfo=UTC))
ALICE = ("Alice Old", "alice@example.com")
BOB = ("Bob New", "bob@example.com")
RENOVATE = ("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com")


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir()
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, when: str | None = None, who: tuple[str, str] = ALICE) -> str:
        name, email = who
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.path),
        }
        if when is not None:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when
        done = subprocess.run(
            ["git", "-C", str(self.path), *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def commit(self, message: str, when: str, who: tuple[str, str] = ALICE) -> str:
        self.git("commit", "-q", "--allow-empty", "-m", message, when=when, who=who)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """Alice committed long before the week; in the week Bob arrives, Alice merges his
    branch, renovate bumps a dependency, and two tags are made (one annotated)."""
    repo = Repo(tmp_path / "project")
    repo.commit("Start", "2026-10-01T09:00:00+00:00")
    repo.git("tag", "v0.1.0")
    repo.commit("Before the week", "2026-11-15T23:59:59+00:00")
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("Bob's first change", "2026-11-17T10:00:00+02:00", who=BOB)
    repo.git("checkout", "-q", "main")
    repo.commit("Alice in the week", "2026-11-16T00:00:00+00:00")
    repo.git(
        "merge", "-q", "--no-ff", "-m", "Merge feature", "feature", when="2026-11-18T12:00:00+00:00"
    )
    repo.commit("Bump dependency", "2026-11-19T08:00:00+00:00", who=RENOVATE)
    repo.git("tag", "v1.0.0")
    repo.git("tag", "-a", "v1.1.0-rc1", "-m", "candidate", when="2026-11-20T15:30:00+00:00")
    repo.commit("After the week", "2026-11-23T00:00:00+00:00")
    return repo


async def test_commits_of_the_week_with_merges_marked(repo: Repo) -> None:
    activity = await LocalGitSource(repo.path).activity(WEEK)
    messages = {c.message: c for c in activity.commits}
    # [since, until): the second the week starts is in, the second it ends is out.
    assert set(messages) == {
        "Alice in the week",
        "Bob's first change",
        "Merge feature",
        "Bump dependency",
    }
    assert messages["Merge feature"].is_merge
    bob = messages["Bob's first change"]
    assert bob.committed_at == datetime(2026, 11, 17, 8, 0, tzinfo=UTC)  # read as UTC
    assert bob.author.email == "bob@example.com"
    assert activity.source.kind == "git"
    assert activity.source.default_branch == "main"


async def test_pull_requests_and_issues_are_unknown_not_zero(repo: Repo) -> None:
    activity = await LocalGitSource(repo.path).activity(WEEK)
    assert activity.pull_requests is None
    assert activity.issues is None


async def test_contributors_first_timers_and_bots(repo: Repo) -> None:
    activity = await LocalGitSource(repo.path).activity(WEEK)
    people = {c.person.email: c for c in activity.contributors}
    assert set(people) == {ALICE[1], BOB[1], RENOVATE[1]}  # merges alone make no one
    assert people[BOB[1]].first_time is True
    assert people[ALICE[1]].first_time is False
    assert people[RENOVATE[1]].person.is_bot
    assert not people[BOB[1]].person.is_bot
    custom = await LocalGitSource(repo.path, BotPolicy.with_extra(["bob@example.com"])).activity(
        WEEK
    )
    assert {c.person.email for c in custom.contributors if c.person.is_bot} == {BOB[1], RENOVATE[1]}


async def test_tags_are_the_releases(repo: Repo) -> None:
    activity = await LocalGitSource(repo.path).activity(WEEK)
    assert [(t.name, t.tagged_at) for t in activity.tags] == [
        ("v1.0.0", datetime(2026, 11, 19, 8, 0, tzinfo=UTC)),  # the tagged commit's date
        ("v1.1.0-rc1", datetime(2026, 11, 20, 15, 30, tzinfo=UTC)),  # the tagger's date
    ]
    assert [(r.tag_name, r.published_at, r.from_tag) for r in activity.releases] == [
        ("v1.0.0", datetime(2026, 11, 19, 8, 0, tzinfo=UTC), True),
        ("v1.1.0-rc1", datetime(2026, 11, 20, 15, 30, tzinfo=UTC), True),
    ]


async def test_a_bare_clone_reads_the_same(repo: Repo, tmp_path: Path) -> None:
    bare = tmp_path / "project.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    plain = await LocalGitSource(repo.path).activity(WEEK)
    cloned = await LocalGitSource(bare).activity(WEEK)
    assert {c.sha for c in cloned.commits} == {c.sha for c in plain.commits}
    assert cloned.contributors == plain.contributors
    assert [t.name for t in cloned.tags] == [t.name for t in plain.tags]


async def test_a_shallow_clone_cannot_tell_first_timers(repo: Repo, tmp_path: Path) -> None:
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "3", f"file://{repo.path}", str(shallow)], check=True
    )
    activity = await LocalGitSource(shallow).activity(WEEK)
    assert {c.first_time for c in activity.contributors} == {None}


async def test_an_empty_repository_has_an_empty_week(tmp_path: Path) -> None:
    empty = Repo(tmp_path / "empty")
    activity = await LocalGitSource(empty.path).activity(WEEK)
    assert activity.commits == ()
    assert activity.contributors == ()


async def test_a_directory_that_is_not_a_repository_says_so(tmp_path: Path) -> None:
    with pytest.raises(LocalGitError, match="is not a git repository"):
        await LocalGitSource(tmp_path).activity(WEEK)
    for missing in (tmp_path / "missing", tmp_path / ("x" * 300), "~no-such-user-here/x"):
        with pytest.raises(LocalGitError, match="is not a directory"):
            await LocalGitSource(missing).activity(WEEK)


async def test_a_path_from_home_is_read_from_home(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(repo.path.parent))
    activity = await LocalGitSource("~/project").activity(WEEK)
    assert activity.source.revision == repo.git("rev-parse", "main")


async def test_git_failing_is_told_by_exit_status_never_by_what_git_printed(repo: Repo) -> None:
    sha = corrupt(repo.path)
    with pytest.raises(LocalGitError) as failed:
        await LocalGitSource(repo.path).activity(WEEK)
    assert (failed.value.code, failed.value.exit_status) == ("git_failed", 128)
    assert str(failed.value) == (
        f"git could not read the repository at {repo.path} (exit status 128)."
    )
    assert sha not in str(failed.value)


async def test_the_digest_names_the_commit_it_was_made_from(repo: Repo) -> None:
    activity = await LocalGitSource(repo.path).activity(WEEK)
    assert activity.source.revision == repo.git("rev-parse", "HEAD")


async def test_a_commit_behind_an_older_dated_one_is_still_counted(tmp_path: Path) -> None:
    """Clock skew: `git log --since` stops at the first older commit and would miss the
    in-window commit behind it; the walk reads on."""
    repo = Repo(tmp_path / "skewed")
    repo.commit("Long ago", "2026-09-01T09:00:00+00:00")
    behind = repo.commit("In the week, behind", "2026-11-17T09:00:00+00:00")
    repo.commit("Wrong clock", "2026-10-01T09:00:00+00:00")
    newest = repo.commit("In the week", "2026-11-18T09:00:00+00:00")
    activity = await LocalGitSource(repo.path).activity(WEEK)
    assert {c.sha for c in activity.commits} == {behind, newest}


async def test_the_walk_reads_back_until_it_knows_every_author(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walk may stop soon after the window, but not before it has found an earlier
    commit by each author in it: Alice's is far back, Carol has none."""
    monkeypatch.setattr(local_git, "SKEW_ALLOWANCE", 2)
    carol = ("Carol First", "carol@example.com")
    repo = Repo(tmp_path / "long")
    repo.commit("Alice, long ago", "2026-01-01T09:00:00+00:00")
    for day in range(1, 10):
        repo.commit(f"Bob {day}", f"2026-10-{day:02d}T09:00:00+00:00", who=BOB)
    repo.commit("Alice again", "2026-11-17T09:00:00+00:00")
    repo.commit("Carol arrives", "2026-11-18T09:00:00+00:00", who=carol)
    activity = await LocalGitSource(repo.path).activity(WEEK)
    verdicts = {c.person.name: c.first_time for c in activity.contributors}
    assert verdicts == {"Alice Old": False, "Carol First": True}


async def test_two_windows_from_one_walk_match_two_reads(repo: Repo) -> None:
    before = Window(since=datetime(2026, 11, 9, tzinfo=UTC), until=WEEK.since)
    source = LocalGitSource(repo.path)
    both = await source.activities([WEEK, before])
    assert [a.commits for a in both] == [
        (await source.activity(WEEK)).commits,
        (await source.activity(before)).commits,
    ]
    assert [c.message for c in both[1].commits] == ["Before the week"]


async def test_commits_are_what_validation_would_make(repo: Repo) -> None:
    """The walk builds commits without validation: each is the Commit validating the
    same fields makes, field for field, in the same order, with the same fields set."""
    activity = await LocalGitSource(repo.path).activity(WEEK)
    assert activity.commits
    for commit in activity.commits:
        validated = Commit.model_validate(commit.model_dump())
        assert commit == validated
        assert list(commit.__dict__) == list(Commit.model_fields)
        assert repr(commit) == repr(validated)
        assert hash(commit) == hash(validated)
        given = {name: getattr(commit, name) for name in commit.model_fields_set}
        assert commit.model_fields_set == Commit.model_construct(**given).model_fields_set
        assert "url" not in commit.model_fields_set


async def test_without_pidfds_git_runs_through_asyncio_alike(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the system has no pidfds, asyncio's own subprocesses read the same."""
    fast = await LocalGitSource(repo.path).activity(WEEK)
    monkeypatch.setattr(local_git, "_pidfds", lambda: False)
    slow = await LocalGitSource(repo.path).activity(WEEK)
    assert (slow.commits, slow.contributors, slow.tags) == (
        fast.commits,
        fast.contributors,
        fast.tags,
    )
    assert slow.source == fast.source
    with pytest.raises(LocalGitError, match="is not a git repository"):
        await LocalGitSource(tmp_path).activity(WEEK)
    sha = corrupt(repo.path)
    with pytest.raises(LocalGitError) as failed:
        await LocalGitSource(repo.path).activity(WEEK)
    assert (failed.value.exit_status, sha in str(failed.value)) == (128, False)


def open_descriptors() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def git_children() -> list[int]:
    """This process's children (running or waiting to be reaped) that are git: a test
    worker may have others of its own (a server a fixture started)."""
    children = []
    for task in Path("/proc/self/task").iterdir():
        for pid in (task / "children").read_text(encoding="utf-8").split():
            try:
                name = Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()
            except FileNotFoundError:
                continue  # gone since
            if name.startswith("git"):
                children.append(int(pid))
    return children


def assert_no_children() -> None:
    assert git_children() == []  # none running, and none left to reap


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
@pytest.mark.parametrize("pidfds", [True, False])
async def test_no_git_process_nor_descriptor_outlives_a_read(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pidfds: bool
) -> None:
    """Finished, failed or cancelled at any moment, a read leaves no git running and no
    pipe open."""
    if not pidfds:
        monkeypatch.setattr(local_git, "_pidfds", lambda: False)
    monkeypatch.setattr(local_git, "SKEW_ALLOWANCE", 2)
    monkeypatch.setattr(local_git, "LOOKUP_AFTER", 1)
    await LocalGitSource(repo.path).activity(WEEK)  # asyncio's child watcher, once
    before = open_descriptors()
    await LocalGitSource(repo.path).activity(WEEK)
    with pytest.raises(LocalGitError):
        await LocalGitSource(tmp_path).activity(WEEK)
    for delay in (0, 0.001, 0.003, 0.01, 0.03):
        read = asyncio.create_task(LocalGitSource(repo.path).activity(WEEK))
        await asyncio.sleep(delay)
        read.cancel()
        await asyncio.wait([read])
    assert_no_children()
    assert open_descriptors() == before
