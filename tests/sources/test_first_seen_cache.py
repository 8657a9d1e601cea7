"""A first-seen cache (`sources/first_seen.py`) spares a newcomer's look-up through the
whole history on the runs after the first, and is dropped whenever the history it was
read from is not the one HEAD holds now: a rewritten history, another mailmap, replace
refs. Every verdict is held against the old walk that read until it knew everyone."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from infrasync.digests.window import previous_window
from infrasync.sources import local_git
from infrasync.sources.first_seen import FirstSeen, FirstSeenCache
from infrasync.sources.local_git import LocalGitSource
from infrasync.sources.model import Activity, Window
from tests.sources.histories import Planned, build_history, git_log_records, reference_first_time

DAY = 86400
START = int(datetime(2025, 1, 6, tzinfo=UTC).timestamp())
NOVA = ("Nova Newcomer", "nova@example.com")
REGULARS = [(f"Dev {n}", f"dev{n}@example.com") for n in range(5)]


def verdicts(activity: Activity) -> dict[str, bool | None]:
    return {c.person.key: c.first_time for c in activity.contributors}


def history(commits: int, *, nova_early: bool = False) -> list[Planned]:
    """`commits` a day apart by five regulars, then Nova in the last week; with
    `nova_early`, Nova also made the very first commit, far behind any bounded walk."""
    planned = [Planned(REGULARS[n % 5], START + n * DAY) for n in range(commits)]
    if nova_early:
        planned[0] = Planned(NOVA, START)
    return [*planned, Planned(NOVA, START + commits * DAY + 3600)]


def week_ending_after(planned: list[Planned]) -> Window:
    until = datetime.fromtimestamp(planned[-1].committed + DAY, UTC)
    return Window(since=until - timedelta(days=7), until=until)


def git(path: Path, *args: str, when: int | None = None, who: tuple[str, str] = NOVA) -> str:
    environment = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
    if when is not None:
        name, email = who
        environment |= {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_AUTHOR_DATE": f"@{when} +0000",
            "GIT_COMMITTER_DATE": f"@{when} +0000",
        }
    done = subprocess.run(
        ["git", "-C", str(path), *args], check=True, capture_output=True, env=environment
    )
    return done.stdout.decode().strip()


async def read(
    path: Path, window: Window, cache: FirstSeenCache
) -> tuple[LocalGitSource, Activity]:
    source = LocalGitSource(path, first_seen=cache)
    current, _ = await source.activities([window, previous_window(window)])
    return source, current


def expected(path: Path, window: Window) -> dict[str, bool | None]:
    pair = [window, previous_window(window)]
    reference = reference_first_time(git_log_records(path), pair, True, local_git.SKEW_ALLOWANCE)
    return reference.first_time(window, True)


async def test_a_kept_cache_spares_the_newcomers_look_up(tmp_path: Path) -> None:
    path = tmp_path / "repo"
    planned = history(1000)
    build_history(path, planned)
    window = week_ending_after(planned)
    cache = FirstSeenCache()
    cold, activity = await read(path, window, cache)
    assert verdicts(activity)["email:nova@example.com"] is True
    assert cache.changed
    assert cache.state is not None
    assert cache.state.tip == git(path, "rev-parse", "HEAD")
    # Nova has no commit older than the window; a regular, one older than the walk's.
    assert cache.state.bounds["email:nova@example.com"][0] == window.since.timestamp()

    warm, again = await read(path, window, cache)
    assert verdicts(again) == verdicts(activity) == expected(path, window)
    # The directory checks (two), tags and the walk: no look-up for Nova.
    assert (cold.git_runs, warm.git_runs) == (6, 4)
    # The two windows (the digest's and the one before) and the skew allowance behind.
    both = await LocalGitSource(path).activities([window, previous_window(window)])
    in_windows = sum(len(activity.commits) for activity in both)
    assert warm.records_read == in_windows + local_git.SKEW_ALLOWANCE


async def test_a_rewritten_history_drops_the_cache(tmp_path: Path) -> None:
    """Nova's early commit made her a regular; a force-push rewrites that commit as a
    regular's. The cache (Nova seen at the start of history) no longer holds: kept, it
    would call her a regular still."""
    path, rewritten = tmp_path / "repo", tmp_path / "rewritten"
    build_history(path, history(600, nova_early=True))
    planned = history(600)
    build_history(rewritten, planned)
    window = week_ending_after(planned)
    cache = FirstSeenCache()
    _, before = await read(path, window, cache)
    assert verdicts(before)["email:nova@example.com"] is False
    old_tip = git(path, "rev-parse", "HEAD")

    git(path, "fetch", "-q", str(rewritten), "main:refs/heads/rewritten")
    git(path, "reset", "-q", "--hard", "rewritten")
    assert git(path, "rev-parse", "HEAD") != old_tip
    _, after = await read(path, window, cache)
    assert verdicts(after) == expected(path, window)
    assert verdicts(after)["email:nova@example.com"] is True
    assert cache.state is not None
    assert cache.state.tip == git(path, "rev-parse", "HEAD")


async def test_commits_since_the_cache_extend_it(tmp_path: Path) -> None:
    """A branch merged after the cache was kept brings a commit of Nova's dated at the
    start of history: the same window read again must call her a regular, and the
    bounded walk never reaches that commit; the commits since the cache's tip do."""
    path = tmp_path / "repo"
    planned = history(600)
    build_history(path, planned)
    window = week_ending_after(planned)
    cache = FirstSeenCache()
    _, before = await read(path, window, cache)
    assert verdicts(before)["email:nova@example.com"] is True

    first = git(path, "rev-list", "--max-parents=0", "HEAD")
    git(path, "checkout", "-q", "-b", "side", first)
    git(path, "commit", "-q", "--allow-empty", "-m", "Old work", when=START + 60)
    git(path, "checkout", "-q", "main")
    after_window = int(window.until.timestamp()) + DAY
    git(path, "merge", "-q", "--no-ff", "-m", "Merge side", "side", when=after_window)
    source, after = await read(path, window, cache)
    assert verdicts(after) == expected(path, window)
    assert verdicts(after)["email:nova@example.com"] is False
    # Answered by the commits since the tip, not by a look-up.
    assert source.git_runs == 4 + 3  # + HEAD's .mailmap, the ancestry, tip..HEAD


async def test_another_mailmap_drops_the_cache(tmp_path: Path) -> None:
    """Nova committed long ago under another address; a `.mailmap` written since says
    it was her. The cache, kept under the old mailmap, calls her new."""
    path = tmp_path / "repo"
    planned = history(600)
    planned[0] = Planned(("Nova", "nova-old@example.com"), START)
    build_history(path, planned)
    window = week_ending_after(planned)
    cache = FirstSeenCache()
    _, before = await read(path, window, cache)
    assert verdicts(before)["email:nova@example.com"] is True

    (path / ".mailmap").write_text("Nova Newcomer <nova@example.com> <nova-old@example.com>\n")
    _, after = await read(path, window, cache)
    assert verdicts(after) == expected(path, window)
    assert verdicts(after)["email:nova@example.com"] is False


async def test_replace_refs_and_shallow_clones_keep_no_cache(tmp_path: Path) -> None:
    path = tmp_path / "repo"
    planned = history(400)
    build_history(path, planned)
    window = week_ending_after(planned)
    stale = FirstSeen(path=str(path), tip="0" * 40, mailmap="", bounds={})
    cache = FirstSeenCache(stale)
    # The first commit replaced by one of Nova's: `git log` shows hers, so she is no
    # newcomer, under the same commit ids.
    first = git(path, "rev-list", "--max-parents=0", "HEAD")
    tree = git(path, "rev-parse", f"{first}^{{tree}}")
    hers = git(path, "commit-tree", tree, "-m", "Replaced", when=START)
    git(path, "replace", first, hers)
    _, activity = await read(path, window, cache)
    assert verdicts(activity) == expected(path, window)
    assert verdicts(activity)["email:nova@example.com"] is False
    assert cache.state is None
    assert cache.changed

    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "50", f"file://{path}", str(shallow))
    cache = FirstSeenCache()
    await read(shallow, window, cache)
    assert cache.state is None
    assert not cache.changed


async def test_a_cache_of_another_path_is_not_used(tmp_path: Path) -> None:
    """A cache from another repository whose tip happens to be this HEAD still says
    nothing here: its path differs (a monitor's repository was changed)."""
    path = tmp_path / "repo"
    planned = history(400, nova_early=True)
    build_history(path, planned)
    window = week_ending_after(planned)
    head = git(path, "rev-parse", "HEAD")
    lying = FirstSeen(
        path=str(tmp_path / "other"),
        tip=head,
        mailmap="none:",
        bounds={"email:nova@example.com": (int(window.since.timestamp()), None)},
    )
    cache = FirstSeenCache(lying)
    _, activity = await read(path, window, cache)
    assert verdicts(activity)["email:nova@example.com"] is False


@pytest.mark.parametrize(
    "document",
    [
        None,
        {},
        {"version": 2},
        {"version": 1, "path": "x", "tip": "y", "mailmap": "z", "bounds": {"k": [1]}},
    ],
)
def test_a_damaged_cache_document_reads_as_none(document: object) -> None:
    assert FirstSeen.from_json(document) is None


def test_a_cache_document_reads_back_whole() -> None:
    state = FirstSeen(
        path="/r", tip="a" * 40, mailmap="none:", bounds={"k": (1, 5), "j": (None, 3)}
    )
    assert FirstSeen.from_json(state.as_json()) == state
