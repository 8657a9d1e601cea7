"""How long a local digest takes, against `git log` over the same range, and how long the
builtin writer takes for 500 items.

    .venv/bin/python -m bench.digest_local                 # a generated history
    .venv/bin/python -m bench.digest_local ~/src/requests  # and a real one
    .venv/bin/python -m bench.digest_local --runs 5 --commits 10000

A repository of 3,000 commits by 40 authors over a year, with a newcomer in its last
week, is built in a temporary directory; a REPOSITORY named is measured too, its windows
ending at its newest commit. Each window (7 days, 90 days, a year) is one line: the
digest's time (reading the window and the one before it, for `previous`, then the
metrics, the items and the text) against `git log` over the same two windows, measured
alternately in the same run, and the `git log` records the digest parsed against those
the walk before the candidate look-up parsed. Targets: the digest at most 2x `git log`;
the builtin writer at most 20 ms for 500 items, in one repository and across five
(bench/digest_many.py).

Each digest is timed twice. Cold: no first-seen cache, as the CLI always runs and a
monitor's first run does (a newcomer costs git's look-up through the whole history).
Warm: with the cache a monitor's earlier run of the same HEAD kept (sources/
first_seen.py; in memory here, one row read and written per run for a monitor). The
second line of each window splits the warm digest: reading git, then composing (the
metrics, the items, the text), and gives the CPU time each took (this process's and its
git children's): on a machine shared with other work the wall times of a digest's
several processes grow with the load far more than one `git log`'s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet

from bench import digest_many
from infrasync.config import Settings, load_settings
from infrasync.digests.compose import compose
from infrasync.digests.document import build_items, period_of, repository_of
from infrasync.digests.metrics import compute_metrics
from infrasync.digests.window import previous_window
from infrasync.sources.first_seen import FirstSeenCache
from infrasync.sources.local_git import SKEW_ALLOWANCE, LocalGitSource
from infrasync.sources.model import Window
from infrasync.writers.builtin import write
from tests.digests.test_metrics import ada, at, bob, pull, week
from tests.sources.histories import Planned, build_history, git_log_records, reference_first_time

WINDOWS = (
    ("7 days", timedelta(days=7)),
    ("90 days", timedelta(days=90)),
    ("1 year", timedelta(days=365)),
)
START = datetime(2025, 12, 1, tzinfo=UTC)


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def _cpu() -> float:
    """CPU seconds of this process and of its children (git) that have ended."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def best_of_each(runs: int, *works: Callable[[], object]) -> tuple[list[float], list[float]]:
    """Alternates them, so a busy moment on the machine falls on all alike: the best
    wall time of each, and the best CPU time (ours and git's), which a loaded machine
    inflates far less than the wall time of several processes that wait for a core."""
    times: list[list[float]] = [[] for _ in works]
    cpus: list[list[float]] = [[] for _ in works]
    for _ in range(runs):
        for spent, cpu, work in zip(times, cpus, works, strict=True):
            started = _cpu()
            spent.append(best_of(1, work))
            cpu.append(_cpu() - started)
    return [min(spent) for spent in times], [min(cpu) for cpu in cpus]


def build_repository(path: Path, commits: int) -> datetime:
    """A year of `commits` by 40 authors, then one by a newcomer two days before the end
    of the year, which it returns (every window ends there)."""
    start = int(START.timestamp())
    step = 365 * 86400 // commits
    planned = [
        Planned((f"Dev {n % 40}", f"dev{n % 40}@example.com"), start + n * step)
        for n in range(commits - 1)
    ]
    end = start + 365 * 86400
    planned.append(Planned(("Nova Newcomer", "nova@example.com"), end - 2 * 86400))
    build_history(path, planned)
    return datetime.fromtimestamp(end, UTC)


def newest_commit(repository: Path) -> datetime:
    """Just after HEAD's committer date: the windows of a real history end there."""
    done = subprocess.run(
        ["git", "-C", str(repository), "log", "-1", "--format=%ct", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    )
    return datetime.fromtimestamp(int(done.stdout) + 1, UTC)


def measure(repository: Path, until: datetime, runs: int, settings: Settings) -> None:
    records = git_log_records(repository)
    for label, length in WINDOWS:
        measure_window(
            repository, label, Window(since=until - length, until=until), runs, settings, records
        )


def measure_window(
    repository: Path,
    label: str,
    window: Window,
    runs: int,
    settings: Settings,
    records: list[list[str]],
) -> None:
    pair = [window, previous_window(window)]
    # The same two windows' commits, as a user would ask git for them.
    git_log = [
        "git",
        "-C",
        str(repository),
        "log",
        "--no-merges",
        "--format=%H%x00%an%x00%ae%x00%ct%x00%s",
        f"--since={pair[1].since.isoformat()}",
        f"--until={window.until.isoformat()}",
    ]
    read: dict[str, int] = {}
    newcomers: dict[str, int] = {}
    kept = FirstSeenCache()

    async def digest(cache: FirstSeenCache | None, name: str, *, write: bool = True) -> None:
        source = LocalGitSource(repository, first_seen=cache)
        current, previous = await source.activities(pair)
        if write:
            await compose(current, previous, settings, writer="builtin")
        read[name] = source.records_read
        newcomers[name] = sum(c.first_time is True for c in current.contributors)

    asyncio.run(digest(kept, "first"))  # a monitor's first run: the cache is learnt
    (log_seconds, cold, warm, warm_read), (log_cpu, cold_cpu, warm_cpu, _) = best_of_each(
        runs,
        lambda: subprocess.run(git_log, check=True, capture_output=True),
        lambda: asyncio.run(digest(None, "cold")),
        lambda: asyncio.run(digest(kept, "warm")),
        lambda: asyncio.run(digest(kept, "read", write=False)),
    )
    assert newcomers["cold"] == newcomers["warm"]
    old = reference_first_time(records, pair, True, SKEW_ALLOWANCE).records_read
    print(
        f"{repository.name}, {label} (+ the {label} before), git log "
        f"{log_seconds * 1000:.1f} ms: cold digest {cold * 1000:.1f} ms = "
        f"{cold / log_seconds:.2f}x, warm {warm * 1000:.1f} ms = {warm / log_seconds:.2f}x "
        f"(target <= 2x); {newcomers['warm']} newcomer(s); records read cold "
        f"{read['cold']}, warm {read['warm']} (the old walk's: {old}) of {len(records)}"
    )
    print(
        f"    warm: reading git {warm_read * 1000:.1f} ms, composing "
        f"{max(warm - warm_read, 0) * 1000:.1f} ms; CPU (ours and git's): git log "
        f"{log_cpu * 1000:.1f} ms, cold {cold_cpu * 1000:.1f} ms = {cold_cpu / log_cpu:.2f}x, "
        f"warm {warm_cpu * 1000:.1f} ms = {warm_cpu / log_cpu:.2f}x"
    )


def measure_writer() -> None:
    pulls = tuple(
        pull(
            n,
            ada if n % 2 else bob,
            at(3),
            title=f"Change {n}",
            state="merged",
            merged_at=at(4),
            closed_at=at(4),
            additions=n,
        )
        for n in range(1, 501)
    )
    activity = week(pull_requests=pulls)
    metrics, items = compute_metrics(activity), build_items(activity)
    writer_seconds = best_of(
        20, lambda: write(repository_of(activity), period_of(activity), metrics, items)
    )
    print(f"builtin writer, 500 items: {writer_seconds * 1000:.2f} ms (target <= 20 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.digest_local",
        description="A local digest's time against git log over the same range.",
    )
    parser.add_argument(
        "repository",
        nargs="?",
        type=Path,
        help="a real repository to measure too (windows end at its newest commit)",
    )
    parser.add_argument("--runs", type=int, default=15, help="best of this many (15)")
    parser.add_argument(
        "--commits", type=int, default=3000, help="commits in the generated history (3000)"
    )
    arguments = parser.parse_args()
    os.environ.setdefault("INFRASYNC_SECRET_KEY", "b" * 40)
    os.environ.setdefault("INFRASYNC_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    settings = load_settings()
    with tempfile.TemporaryDirectory() as scratch:
        generated = Path(scratch) / "generated"
        until = build_repository(generated, arguments.commits)
        measure(generated, until, arguments.runs, settings)
    if arguments.repository is not None:
        repository = arguments.repository.expanduser().resolve()
        measure(repository, newest_commit(repository), arguments.runs, settings)
    measure_writer()
    print(digest_many.line())


if __name__ == "__main__":
    main()
