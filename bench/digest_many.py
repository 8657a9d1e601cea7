"""How long the builtin writer takes for a digest across several repositories: 500 items
(merged pull requests, issues opened and commits) spread over the repositories, with one
quiet repository among them.

    .venv/bin/python -m bench.digest_many
    .venv/bin/python -m bench.digest_many --repos 20 --items 2000 --runs 50

The items, metrics and ordering are made once, as a run makes them (compose_many's
work before the text); the figure is the best of `--runs` writes of the text, which is
what a run repeats for every digest and what a person waits on. Target: at most 20 ms
for 500 items (bench/digest_local.py prints the same line).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from bench.arguments import parser_from_docstring
from infrasync.digests.document import (
    Digest,
    DigestItems,
    RepositoryPart,
    build_items,
    by_activity,
    is_quiet,
    period_of,
    repository_of,
    several_repositories,
)
from infrasync.digests.metrics import compute_many_metrics
from infrasync.sources.model import Activity, Commit, Issue, PullRequest
from infrasync.writers.builtin import write
from tests.digests.test_metrics import SOURCE, ada, at, bob, commit, pull, week

TARGET_MS = 20.0


def _repository(name: str, items: int, offset: int) -> Activity:
    """`items` items in one repository's week: a third merged pull requests, a third
    issues opened, a third commits."""
    third = max(1, items // 3)
    url = f"https://github.com/{name}"
    pulls: tuple[PullRequest, ...] = tuple(
        pull(
            offset + n,
            ada if n % 2 else bob,
            at(3),
            title=f"feat: change {n}" if n % 3 else f"fix: repair {n}",
            url=f"{url}/pull/{offset + n}",
            state="merged",
            merged_at=at(4),
            closed_at=at(4),
            additions=n,
        )
        for n in range(1, third + 1)
    )
    issues: tuple[Issue, ...] = tuple(
        Issue(
            number=offset + third + n,
            title=f"Report {n}",
            url=f"{url}/issues/{offset + third + n}",
            author=ada if n % 2 else bob,
            state="open",
            created_at=at(2),
            updated_at=at(2),
        )
        for n in range(1, third + 1)
    )
    commits: tuple[Commit, ...] = tuple(
        commit(f"{offset:04x}{n:036x}", bob if n % 2 else ada, at(5))
        for n in range(1, items - 2 * third + 1)
    )
    base = week(pull_requests=pulls, issues=issues, commits=commits, releases=())
    source = SOURCE.model_copy(update={"name": name, "url": f"https://github.com/{name}"})
    return base.model_copy(update={"source": source})


def several(repos: int, items: int) -> Digest:
    """The digest a run would store (its text left empty: the bench writes it)."""
    active = repos - 1
    activities = [
        _repository(f"acme/svc{n}", items // active + (n < items % active), n * 1000)
        for n in range(active)
    ]
    activities.append(
        week(pull_requests=(), issues=(), commits=(), releases=()).model_copy(
            update={"source": SOURCE.model_copy(update={"name": "acme/quiet"})}
        )
    )
    metrics = compute_many_metrics([(a.source.name, a, None) for a in activities])
    assert metrics.repositories is not None
    parts = []
    for activity in activities:
        found = build_items(activity)
        figures = metrics.repositories[activity.source.name]
        parts.append(
            RepositoryPart(
                repository=repository_of(activity), quiet=is_quiet(figures, found), items=found
            )
        )
    ordered = by_activity(parts, metrics.repositories)
    return Digest(
        repository=several_repositories([p.repository for p in parts]),
        period=period_of(activities[0]),
        writer="builtin",
        text="",
        metrics=metrics,
        items=DigestItems(repositories=tuple(ordered)),
    )


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def counted_items(digest: Digest) -> int:
    """Merged pull requests, issues opened and commits, as the totals count them (a
    repository's items list at most 30 of its commits; its text says "and M more")."""
    metrics = digest.metrics
    return (metrics.prs_merged or 0) + (metrics.issues_opened or 0) + metrics.commits


def line(repos: int = 5, items: int = 500, runs: int = 20) -> str:
    digest = several(repos, items)
    seconds = best_of(
        runs, lambda: write(digest.repository, digest.period, digest.metrics, digest.items)
    )
    ms = seconds * 1000
    count = counted_items(digest)
    verdict = f"target <= {TARGET_MS:.0f} ms: " + ("met" if ms <= TARGET_MS else "MISSED")
    return f"builtin writer, {count} items across {repos} repositories (one quiet): {ms:.2f} ms" + (
        f"  {verdict}" if count <= 500 else ""
    )


def arguments() -> argparse.Namespace:
    parser = parser_from_docstring("python -m bench.digest_many", __doc__)
    parser.add_argument("--repos", type=int, default=5, help="repositories, one quiet (5)")
    parser.add_argument("--items", type=int, default=500, help="items in all (500)")
    parser.add_argument("--runs", type=int, default=20, help="best of this many (20)")
    return parser.parse_args()


if __name__ == "__main__":
    given = arguments()
    print(line(max(2, given.repos), given.items, given.runs))
