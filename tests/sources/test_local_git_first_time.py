"""First-time contributors from a local repository: the same verdicts as the walk that
read back until it knew every author (`histories.reference_first_time`), without reading
the whole history for a newcomer."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infrasync.digests.window import previous_window
from infrasync.sources import local_git
from infrasync.sources.first_seen import FirstSeenCache
from infrasync.sources.local_git import LocalGitSource
from infrasync.sources.model import Activity, Window, person_key
from tests.fixtures import GIT_FIXTURES
from tests.sources.histories import (
    Planned,
    Who,
    build_history,
    git_log_records,
    reference_first_time,
)

DAY = 86400
START = int(datetime(2025, 1, 6, tzinfo=UTC).timestamp())  # a Monday


def verdicts(activity: Activity) -> dict[str, bool | None]:
    return {c.person.key: c.first_time for c in activity.contributors}


async def compare(
    path: Path,
    pairs: Sequence[tuple[Window, Window]],
    *,
    complete: bool = True,
    exact_commits: bool = True,
    first_seen: FirstSeenCache | None = None,
) -> list[bool | None]:
    """Reads each pair of windows as a digest does (the window and the one before it)
    and checks both against the reference; returns the verdicts it compared. With a
    first-seen cache, every pair reads it and leaves it updated, as a monitor's runs do."""
    records = git_log_records(path)
    source = LocalGitSource(path, first_seen=first_seen)
    compared: list[bool | None] = []
    for pair in pairs:
        activities = await source.activities(pair)
        reference = reference_first_time(records, pair, complete, local_git.SKEW_ALLOWANCE)
        for window, activity in zip(pair, activities, strict=True):
            shas = {c.sha for c in activity.commits}
            expected = reference.first_time(window, complete)
            got = verdicts(activity)
            if exact_commits:
                assert (window, shas) == (window, reference.shas(window))
                assert (window, got) == (window, expected)
            else:
                # A skewed commit far behind older ones: the old walk, reading on for
                # a newcomer, could come upon it; the bounded walk stops before it.
                assert shas <= reference.shas(window)
                assert (window, got) == (window, {k: expected[k] for k in got})
            compared += got.values()
    return compared


def weeks(first: float, last: float) -> Iterator[Window]:
    monday = datetime.fromtimestamp(first, UTC).replace(hour=0, minute=0, second=0)
    since = monday - timedelta(days=monday.weekday())
    while since.timestamp() <= last:
        yield Window(since=since, until=since + timedelta(days=7))
        since += timedelta(days=7)


def years(first: float, last: float) -> Iterator[Window]:
    for year in range(
        datetime.fromtimestamp(first, UTC).year, 1 + datetime.fromtimestamp(last, UTC).year
    ):
        since = datetime(year, 1, 1, tzinfo=UTC)
        yield Window(since=since, until=datetime(year + 1, 1, 1, tzinfo=UTC))


def pairs_of(windows: Iterator[Window]) -> list[tuple[Window, Window]]:
    return [(window, previous_window(window)) for window in windows]


@pytest.fixture(scope="module")
def markupsafe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pallets/markupsafe's real history (833 commits, 15 years, many newcomers)."""
    path = tmp_path_factory.mktemp("markupsafe") / "markupsafe"
    bundle = GIT_FIXTURES / "pallets-markupsafe.bundle"
    subprocess.run(["git", "clone", "-q", str(bundle), str(path)], check=True)
    return path


def span(path: Path) -> tuple[float, float]:
    times = [int(record[4]) for record in git_log_records(path)]
    return min(times), max(times)


async def test_every_week_of_a_real_history_keeps_its_verdicts(markupsafe: Path) -> None:
    first, last = span(markupsafe)
    compared = await compare(markupsafe, pairs_of(weeks(first, last)))
    # Not only empty windows: hundreds of verdicts, a hundred of them newcomers.
    assert len(compared) > 300
    assert compared.count(True) > 50


async def test_every_year_of_a_real_history_keeps_its_verdicts(markupsafe: Path) -> None:
    first, last = span(markupsafe)
    compared = await compare(markupsafe, pairs_of(years(first, last)))
    assert compared.count(True) > 50
    assert compared.count(False) > 40


# Some 900 digests' reads of git: minutes on a loaded two-core box.
@pytest.mark.timeout(300)
async def test_every_week_through_a_first_seen_cache_keeps_its_verdicts(
    markupsafe: Path,
) -> None:
    """The real history read week by week through one cache, as a monitor's runs keep
    it; then a quarter's weeks again, newest first, answered by the cache as it stands
    after the first pass. Every verdict is the old walk's."""
    first, last = span(markupsafe)
    pairs = pairs_of(weeks(first, last))
    cache = FirstSeenCache()
    compared = await compare(markupsafe, pairs, first_seen=cache)
    assert cache.state is not None
    assert len(cache.state.bounds) > 40  # nearly every author of the 833 commits
    assert compared.count(True) > 50
    again = pairs[::-13]
    assert await compare(markupsafe, again, first_seen=cache)


@pytest.mark.parametrize("order", ["oldest first", "newest first"])
async def test_every_year_through_a_first_seen_cache_keeps_its_verdicts(
    markupsafe: Path, order: str
) -> None:
    """Every year through one cache, in either order, twice over."""
    first, last = span(markupsafe)
    pairs = pairs_of(years(first, last))
    if order == "newest first":
        pairs.reverse()
    cache = FirstSeenCache()
    compared = await compare(markupsafe, pairs, first_seen=cache)
    assert compared == await compare(markupsafe, pairs, first_seen=cache)
    assert compared.count(True) > 50


async def test_a_shallow_clone_still_knows_who_it_has_seen(
    markupsafe: Path, tmp_path: Path
) -> None:
    """Nobody is called new in a shallow clone, but an earlier commit it holds still
    says someone is not."""
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "100", f"file://{markupsafe}", str(shallow)],
        check=True,
    )
    first, last = span(shallow)
    pairs = pairs_of(years(first, last))
    assert None in await compare(shallow, pairs, complete=False)
    newest = (await LocalGitSource(shallow).activities(pairs[-1]))[0]
    assert {False, None} <= set(verdicts(newest).values())


def newcomer_history(commits: int) -> list[Planned]:
    """`commits` a day apart by five regulars, then a newcomer in the last week."""
    regulars = [(f"Dev {n}", f"dev{n}@example.com") for n in range(5)]
    planned = [Planned(regulars[n % 5], START + n * DAY) for n in range(commits)]
    newcomer = ("Nova Newcomer", "nova@example.com")
    return [*planned, Planned(newcomer, START + commits * DAY + 3600)]


async def test_a_newcomer_costs_the_window_not_the_history(tmp_path: Path) -> None:
    path = tmp_path / "repo"
    planned = newcomer_history(1000)
    build_history(path, planned)
    until = datetime.fromtimestamp(planned[-1].committed + DAY, UTC)
    window = Window(since=until - timedelta(days=7), until=until)
    source = LocalGitSource(path)
    activity = await source.activity(window)
    assert verdicts(activity)["email:nova@example.com"] is True
    assert set(verdicts(activity).values()) == {True, False}
    in_window = len(activity.commits)
    # The window, the skew allowance behind it, and the one newcomer's own commit (git
    # finds it and prints nothing else): not the thousand commits before.
    assert source.records_read <= in_window + local_git.SKEW_ALLOWANCE + 1
    assert source.git_runs == 5  # the directory checks (two), tags, the walk, the newcomer
    records = git_log_records(path)
    reference = reference_first_time(records, [window], True, local_git.SKEW_ALLOWANCE)
    assert reference.records_read == len(planned)  # what it cost before
    assert reference.first_time(window, True) == verdicts(activity)


async def test_the_look_up_runs_beside_the_rest_of_the_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The newcomer's look-up starts once the walk has read `LOOKUP_AFTER` older commits
    (by then the regulars have shown earlier ones), not when it ends."""
    path = tmp_path / "repo"
    planned = newcomer_history(600)
    build_history(path, planned)
    until = datetime.fromtimestamp(planned[-1].committed + DAY, UTC)
    window = Window(since=until - timedelta(days=7), until=until)
    started: list[tuple[int, dict[str, float]]] = []
    earlier = LocalGitSource._earlier

    async def spy(
        self: LocalGitSource, history: local_git._History, wanted: dict[str, float]
    ) -> bool:
        started.append((history.older_read, dict(wanted)))
        return await earlier(self, history, wanted)

    monkeypatch.setattr(LocalGitSource, "_earlier", spy)
    source = LocalGitSource(path)
    activity = await source.activity(window)
    assert verdicts(activity)["email:nova@example.com"] is True
    assert started == [
        (local_git.LOOKUP_AFTER, {"email:nova@example.com": window.since.timestamp()})
    ]
    assert local_git.LOOKUP_AFTER < local_git.SKEW_ALLOWANCE
    # The walk still read its whole skew allowance beside the look-up.
    assert source.records_read == len(activity.commits) + local_git.SKEW_ALLOWANCE


async def test_an_author_found_behind_older_commits_gets_a_look_up_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A skewed in-window commit the walk reaches after the look-up started brings an
    author that look-up does not pick out: a second one looks for them; an author the
    walk itself answers after the look-up started is not left to it."""
    monkeypatch.setattr(local_git, "SKEW_ALLOWANCE", 6)
    monkeypatch.setattr(local_git, "LOOKUP_AFTER", 1)
    regular, late, newcomer = (
        ("Reg", "reg@example.com"),
        ("Late", "late@example.com"),
        ("Nova", "nova@example.com"),
    )
    other = ("Other", "other@example.com")
    planned = [Planned(late, START), Planned(other, START + DAY)]
    planned += [Planned(other, START + n * DAY) for n in range(2, 20)]
    planned += [
        Planned(regular, START + 20 * DAY),  # answers Reg, third older commit read
        Planned(late, START + 31 * DAY),  # in the window, behind older ones
        Planned(other, START + 21 * DAY),
        Planned(other, START + 22 * DAY),
        Planned(regular, START + 31 * DAY + 60),
        Planned(newcomer, START + 31 * DAY + 120),
    ]
    path = tmp_path / "repo"
    build_history(path, planned)
    until = datetime.fromtimestamp(START + 32 * DAY, UTC)
    window = Window(since=until - timedelta(days=7), until=until)
    source = LocalGitSource(path)
    got = verdicts(await source.activity(window))
    assert got == {
        "email:reg@example.com": False,
        "email:late@example.com": False,
        "email:nova@example.com": True,
    }
    assert source.git_runs == 6  # two look-ups: Reg and Nova, then Late
    await compare(path, [(window, previous_window(window))])


async def test_no_newcomer_costs_no_second_walk(tmp_path: Path) -> None:
    path = tmp_path / "repo"
    planned = newcomer_history(400)[:-1]
    build_history(path, planned)
    until = datetime.fromtimestamp(planned[-1].committed + DAY, UTC)
    source = LocalGitSource(path)
    activity = await source.activity(Window(since=until - timedelta(days=7), until=until))
    assert set(verdicts(activity).values()) == {False}
    assert source.git_runs == 4


# Generated histories: authors under several spellings, a mailmap, merges, clock skew,
# bots, an author with no email and one whose email only Unicode lowercases.
PEOPLE: list[Who] = [
    ("Ann", "ann@example.com"),
    ("ANN", "Ann@Example.COM"),  # the same key as Ann
    ("Ann Old", "old@example.com"),  # mapped to Ann by the mailmap
    ("Ben", "ben@example.com"),
    ("Cy", "cy@example.com"),
    ("Nameless", ""),
    ("  nameless ", ""),  # the same name key
    ("Émile", "Émile@example.com"),
    ("émile", "émile@example.com"),  # the same key, lowercased by Python only
    ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
]
MAILMAP = "Ann <ann@example.com> <old@example.com>\n"

plans = st.lists(
    st.tuples(
        st.integers(0, len(PEOPLE) - 1),
        st.integers(0, 2 * DAY),  # the gap to the commit before
        st.one_of(st.just(0), st.integers(-20 * DAY, 2 * DAY)),  # clock skew
        st.one_of(st.none(), st.floats(0, 1)),  # a merge of an earlier commit
    ),
    min_size=1,
    max_size=40,
)


def planned_from(steps: list[tuple[int, int, int, float | None]]) -> list[Planned]:
    planned, moment = [], START
    for number, (who, gap, skew, merge) in enumerate(steps):
        moment += gap
        merge_of = int(merge * (number - 1)) if merge is not None and number > 1 else None
        planned.append(Planned(PEOPLE[who], max(moment + skew, 1), merge_of))
    return planned


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=plans,
    allowance=st.sampled_from([1, 2, 3, 300]),
    lookup_after=st.sampled_from([1, 2, 300]),
    back=st.integers(0, 40),
    length=st.sampled_from([1, 3, 7, 30]),
)
def test_generated_histories_keep_their_verdicts(
    tmp_path_factory: pytest.TempPathFactory,
    steps: list[tuple[int, int, int, float | None]],
    allowance: int,
    lookup_after: int,
    back: int,
    length: int,
) -> None:
    """Windows ending at the newest commit (a digest's usual window) or some half-days
    before it; the look-up for candidates starting beside the walk (`lookup_after` below
    `allowance`) or after it."""
    path = tmp_path_factory.mktemp("generated") / "repo"
    planned = planned_from(steps)
    build_history(path, planned, MAILMAP)
    until = datetime.fromtimestamp(max(p.committed for p in planned) + 1 - back * DAY // 2, UTC)
    window = Window(since=until - timedelta(days=length), until=until)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(local_git, "SKEW_ALLOWANCE", allowance)
        patch.setattr(local_git, "LOOKUP_AFTER", lookup_after)
        pairs = [(window, previous_window(window))]
        asyncio.run(compare(path, pairs, exact_commits=False))
        # Cold, then warm: what a first run leaves in the cache answers the second alike.
        cache = FirstSeenCache()
        for _ in range(2):
            asyncio.run(compare(path, pairs, exact_commits=False, first_seen=cache))


@pytest.mark.parametrize(
    ("before", "now", "filtered"),
    [
        pytest.param(PEOPLE[2], PEOPLE[0], True, id="mailmap"),
        pytest.param(PEOPLE[1], PEOPLE[0], True, id="email-case"),
        # git could not pick these out for us: it prints every older commit.
        pytest.param(PEOPLE[6], PEOPLE[5], False, id="name-only"),
        pytest.param(PEOPLE[7], PEOPLE[8], False, id="unicode-case"),
    ],
)
async def test_an_earlier_commit_far_back_under_another_spelling_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, before: Who, now: Who, filtered: bool
) -> None:
    """The bounded walk stops long before the earlier commits; the look-up for the
    candidates still finds them, however the person spelled themselves then, and reads on
    past the first one found for the other."""
    monkeypatch.setattr(local_git, "SKEW_ALLOWANCE", 2)
    newcomer, returning = ("Nova", "nova@example.com"), PEOPLE[4]
    planned = [Planned(returning, START - DAY), Planned(before, START)]
    planned += [Planned(PEOPLE[3], START + n * DAY) for n in range(1, 20)]
    planned += [Planned(now, START + 30 * DAY), Planned(newcomer, START + 31 * DAY)]
    planned.append(Planned(returning, START + 31 * DAY + 60))
    path = tmp_path / "repo"
    build_history(path, planned, MAILMAP)
    until = datetime.fromtimestamp(START + 32 * DAY, UTC)
    window = Window(since=until - timedelta(days=7), until=until)
    source = LocalGitSource(path)
    got = verdicts(await source.activity(window))
    assert got == {person_key(None, *now): False, "email:nova@example.com": True} | {
        "email:cy@example.com": False
    }
    # The window's three and two older commits; then the two earlier commits alone, or
    # all twenty-one older than the window.
    assert source.records_read == 3 + 2 + (2 if filtered else 21)
    await compare(path, [(window, previous_window(window))])
