"""How long a local digest takes, against `git log` over the same range, and how long the
builtin writer takes for 500 items.

    .venv/bin/python -m bench.digest_local [REPOSITORY]

Without REPOSITORY a repository of 3,000 commits by 40 authors over a year is built in a
temporary directory. The digest's time covers reading the window and the window before
it (for `previous`), the metrics, the items and the text. Targets: the digest at most 2x
`git log` over the same range; the builtin writer at most 20 ms for 500 items.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet

from infrasync.config import load_settings
from infrasync.digests.compose import compose
from infrasync.digests.document import build_items, period_of, repository_of
from infrasync.digests.metrics import compute_metrics
from infrasync.digests.window import previous_window
from infrasync.sources.local_git import LocalGitSource
from infrasync.sources.model import Window
from infrasync.writers.builtin import write
from tests.digests.test_metrics import ada, at, bob, pull, week

RUNS = 15


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def best_of_each(
    runs: int, first: Callable[[], object], second: Callable[[], object]
) -> tuple[float, float]:
    """Alternates the two, so a busy moment on the machine falls on both alike."""
    firsts, seconds = [], []
    for _ in range(runs):
        firsts.append(best_of(1, first))
        seconds.append(best_of(1, second))
    return min(firsts), min(seconds)


def build_repository(path: Path, commits: int = 3000) -> None:
    """A year of history in one `git fast-import` stream (seconds, not minutes)."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    start = int(datetime(2025, 12, 1, tzinfo=UTC).timestamp())
    step = 365 * 86400 // commits
    lines = []
    for number in range(commits):
        author = f"Dev {number % 40} <dev{number % 40}@example.com>"
        moment = start + number * step
        content = f"change {number}\n"
        message = f"Change number {number}\n"
        lines += [
            "commit refs/heads/main",
            f"author {author} {moment} +0000",
            f"committer {author} {moment} +0000",
            f"data {len(message)}",
            message.rstrip("\n"),
            f"M 644 inline file{number % 50}.txt",
            f"data {len(content)}",
            content.rstrip("\n"),
            "",
        ]
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet"],
        input=("\n".join(lines) + "\n").encode(),
        check=True,
    )
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "main"], check=True)


def main() -> None:
    os.environ.setdefault("INFRASYNC_SECRET_KEY", "b" * 40)
    os.environ.setdefault("INFRASYNC_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    settings = load_settings()
    with tempfile.TemporaryDirectory() as scratch:
        repository = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(scratch) / "repo"
        if len(sys.argv) <= 1:
            build_repository(repository)
        until = datetime(2026, 12, 1, tzinfo=UTC)
        window = Window(since=until - timedelta(days=90), until=until)

        def git_log() -> None:
            subprocess.run(
                [
                    "git",
                    "-C",
                    str(repository),
                    "log",
                    "--no-merges",
                    "--format=%H%x00%an%x00%ae%x00%ct%x00%s",
                    f"--since={previous_window(window).since.isoformat()}",
                    f"--until={window.until.isoformat()}",
                ],
                check=True,
                capture_output=True,
            )

        async def digest() -> None:
            source = LocalGitSource(repository)
            current, previous = await source.activities([window, previous_window(window)])
            await compose(current, previous, settings, writer="builtin")

        log_seconds, digest_seconds = best_of_each(RUNS, git_log, lambda: asyncio.run(digest()))

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
    print(
        f"local digest of 90+90 days: {digest_seconds * 1000:.0f} ms vs git log "
        f"{log_seconds * 1000:.0f} ms = {digest_seconds / log_seconds:.2f}x (target <= 2x); "
        f"builtin writer, 500 items: {writer_seconds * 1000:.2f} ms (target <= 20 ms)"
    )


if __name__ == "__main__":
    main()
