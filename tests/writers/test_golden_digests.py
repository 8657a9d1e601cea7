"""Golden digests: the builtin writer's whole text on recorded GitHub activity, on a made-up
week with every case a weekly update must tell apart, and on a local git history with
bots, conventional commits and a release. Each snapshot (`__snapshots__/`) was read once
by a person; `--snapshot-update` rewrites them, and the diff is then read again.

Beside the snapshots, the rules any digest keeps: no item is told twice, and every line
about an item links to it (a local commit, which has no address, names its sha).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from infrasync.config import Settings
from infrasync.digests.compose import compose
from infrasync.digests.document import Digest
from infrasync.digests.window import previous_window
from infrasync.github.client import GitHubClient
from infrasync.github.ratelimit import RateLimitLedger
from infrasync.github.repo_ref import RepoRef
from infrasync.sources.github import GitHubSource
from infrasync.sources.local_git import LocalGitSource
from infrasync.sources.model import Window
from tests.fakes.github_api import FakeGitHubAPI
from tests.fakes.github_world import recorded_world
from tests.fakes.http_server import serve_in_thread
from tests.writers.worlds import GIT_SINCE, GIT_UNTIL, SINCE, UNTIL, make_git_history, widgets


def utc(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


# (repository, since, until): each recorded repository in a week its recording covers.
RECORDED = {
    # Five pull requests merged with merge commits, labelled `feature`, `fix`, none.
    "release-drafter": (
        "toolmantim/release-drafter-test-project",
        utc(2019, 4, 22),
        utc(2019, 4, 29),
    ),
    # Seventeen commits pushed with no pull request.
    "github3py": ("sigmavirus24/github3.py", utc(2017, 12, 21), utc(2017, 12, 30)),
    # Three pull requests open for years with no review.
    "betamax": ("betamaxpy/betamax", utc(2021, 10, 4), utc(2021, 10, 11)),
    # Thirteen issues opened on one day, none with a comment.
    "issues": (
        "octokit-fixture-org/tmp-scenario-paginate-issues-20220719043836917-izyoe",
        utc(2022, 7, 18),
        utc(2022, 7, 25),
    ),
}


@pytest.fixture(scope="module")
def github() -> Iterator[tuple[str, str]]:
    token = "ghp_" + secrets.token_hex(18)
    world = recorded_world()
    world.add(widgets())
    fake = FakeGitHubAPI(world=world)
    fake.add_token(token)
    with serve_in_thread(fake.app()) as base_url:
        yield base_url, token


async def _github_digest(base_url: str, token: str, name: str, window: Window) -> Digest:
    owner, repo = name.split("/")
    async with GitHubClient(token, api_url=base_url, ledger=RateLimitLedger()) as client:
        source = GitHubSource(client, RepoRef(owner, repo))
        current, previous = await source.activities([window, previous_window(window)])
    return await compose(current, previous, Settings(), writer="builtin")


def github_digest(github: tuple[str, str], name: str, since: datetime, until: datetime) -> Digest:
    window = Window(since=since, until=until)
    return asyncio.run(_github_digest(*github, name, window))


def git_digest(path: Path) -> Digest:
    make_git_history(path)
    window = Window(since=GIT_SINCE, until=GIT_UNTIL)

    async def made() -> Digest:
        current, previous = await LocalGitSource(path).activities([window, previous_window(window)])
        return await compose(current, previous, Settings(), writer="builtin")

    return asyncio.run(made())


@pytest.mark.parametrize("case", sorted(RECORDED))
def test_recorded_github_activity(
    github: tuple[str, str], case: str, snapshot: SnapshotAssertion
) -> None:
    digest = github_digest(github, *RECORDED[case])
    assert digest.text == snapshot
    assert_items_once_and_linked(digest)


def test_a_week_with_every_case(github: tuple[str, str], snapshot: SnapshotAssertion) -> None:
    digest = github_digest(github, "acme/widgets", SINCE, UNTIL)
    assert digest.text == snapshot
    assert_items_once_and_linked(digest)


def test_a_local_git_history(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    digest = git_digest(tmp_path / "widgets")
    assert digest.text == snapshot
    assert_items_once_and_linked(digest)


# No item twice, every line about an item linked ------------------------------------------

_TABLE = re.compile(r"^\|")
_NUMBER = re.compile(r"#(\d+)\b")
_SHA = re.compile(r"`([0-9a-f]{7})`")


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not _TABLE.match(line)]


def assert_items_once_and_linked(digest: Digest) -> None:
    """Every pull request or issue named (`#N`) is named on one line only, and that line
    links to it; so is every commit (its short sha) and every release (its tag). A local
    git digest has no addresses: its commits are named by sha, once each."""
    lines = _lines(digest.text)
    repo_url = digest.repository.url or ""
    numbers: Counter[str] = Counter()
    shas: Counter[str] = Counter()
    for line in lines:
        for number in _NUMBER.findall(line):
            numbers[number] += 1
            if digest.repository.kind == "github":
                assert re.search(rf"\({re.escape(repo_url)}/(pull|issues)/{number}\)", line), line
        for sha in _SHA.findall(line):
            shas[sha] += 1
            if digest.repository.kind == "github":
                assert f"/commit/{sha}" in line, line
    assert [n for n, count in numbers.items() if count > 1] == []
    assert [s for s, count in shas.items() if count > 1] == []
    for release in digest.items.releases:
        named = [line for line in lines if release.tag in line]
        assert len(named) == 1, named
        assert release.url is None or f"({release.url})" in named[0]
    # A merged pull request by a bot, or a commit that came through a listed pull request,
    # is never a line of its own.
    merged = {pull.number for pull in digest.items.merged}
    for pull in digest.items.merged:
        if pull.author_is_bot:
            assert str(pull.number) not in numbers
    for commit in digest.items.commits:
        if commit.pull_request in merged or commit.author_is_bot:
            assert commit.sha[:7] not in shas or digest.repository.kind == "git"
