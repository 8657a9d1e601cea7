"""Requests and rate-limit points per repository digest, against the fake GitHub (which
counts points by GitHub's documented formula).

    .venv/bin/python -m bench.github_requests
    .venv/bin/python -m bench.github_requests --repos 1 --items 50 --no-regulars
    .venv/bin/python -m bench.github_requests --repos 100 --items 50 --owner

One line per scenario: a week of 50, 150 or 500 pull requests, issues and commits in
each repository (plus reviews, labels, releases, tags, older history and open pull
requests from before the week), for 1 and for 100 repositories on one token.
"activity" requests read the week; "first-time" requests ask about people the week's own
data does not settle. Targets: one request for a week of at most 100 items (activity),
and 100 repositories in at most 15 requests. A monitor of several repositories reads
them in this same one call; `--owner` adds the listing of an owner's repositories that
a monitor of all of them makes first.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.arguments import parser_from_docstring
from infrasync.github.activity import ActivityRequest, RepoRef, fetch_activity
from infrasync.github.client import GitHubClient
from infrasync.github.ratelimit import RateLimitLedger
from infrasync.github.selection import resolve
from infrasync.observability.logging import configure_logging
from infrasync.sources.model import Activity, Window
from tests.fakes.github_api import FakeGitHubAPI
from tests.fakes.github_world import generate_repo
from tests.fakes.http_server import serve_in_thread

WEEK = Window(since=datetime(2026, 11, 16, tzinfo=UTC), until=datetime(2026, 11, 23, tzinfo=UTC))
SCENARIOS = [(1, 50), (1, 150), (1, 500), (100, 50), (100, 150), (100, 500)]
# Each generated repository has three newcomers in its week; "regulars" has none, as most
# weeks of most repositories.
REGULARS = [(1, 50), (100, 50)]


@dataclass
class Figures:
    owner: bool
    repos: int
    per_kind: int
    newcomers: bool
    activity_requests: int
    first_time_requests: int
    points: int
    seconds: float

    @property
    def requests(self) -> int:
        return self.activity_requests + self.first_time_requests

    def line(self) -> str:
        per_repo = self.points / self.repos
        who = "with newcomers" if self.newcomers else "regulars only"
        listed = ", an owner's listed first" if self.owner else ""
        return (
            f"{self.repos:>3} repo(s){listed} x {self.per_kind:>3} items/kind, {who}: "
            f"{self.requests:>3} requests ({self.activity_requests} activity + "
            f"{self.first_time_requests} first-time), {self.points:>5} points "
            f"({per_repo:.1f}/repo-digest, {self.requests / self.repos:.2f} requests/repo-digest)"
            f"{_verdict(self)}  [{self.seconds:.1f}s]"
        )


def _verdict(figures: Figures) -> str:
    if figures.per_kind <= 100 and figures.repos == 1:
        met = figures.activity_requests == 1 and (figures.newcomers or figures.requests == 1)
        return "  target 1 request: " + ("met" if met else "MISSED")
    if figures.per_kind <= 100 and figures.repos == 100:
        return "  target <= 15 requests: " + ("met" if figures.requests <= 15 else "MISSED")
    return ""


def _world(repos: int, per_kind: int, newcomers: bool = True) -> tuple[FakeGitHubAPI, str]:
    fake = FakeGitHubAPI()
    token = fake.add_token("ghp_" + secrets.token_hex(18))
    for n in range(repos):
        generate_repo(
            fake.world,
            "acme",
            f"svc{n}",
            WEEK.since,
            WEEK.until,
            per_kind,
            seed=n,
            older=40,
            newcomers=None if newcomers else 0,
        )
    return fake, token


async def digest_round(
    repos: int, per_kind: int, newcomers: bool = True, *, owner: bool = False
) -> Figures:
    """With `owner`, as a monitor of all of acme's repositories runs: the owner's
    repositories listed first (counted with the activity requests), then the same read."""
    fake, token = _world(repos, per_kind, newcomers)
    with serve_in_thread(fake.app()) as url:
        fake.base_url = url
        client = GitHubClient(token, api_url=url, ledger=RateLimitLedger())
        started = time.perf_counter()
        refs = [RepoRef("acme", f"svc{n}") for n in range(repos)]
        if owner:
            refs = await resolve(client, "acme", ["*"], [])
        requests = [ActivityRequest(ref, WEEK) for ref in refs]
        outcomes = await fetch_activity(client, requests)
        seconds = time.perf_counter() - started
        await client.aclose()
    assert all(isinstance(outcome, Activity) for outcome in outcomes)
    probes = sum(1 for query in fake.queries if "search(" in query)
    return Figures(
        owner=owner,
        repos=repos,
        per_kind=per_kind,
        newcomers=newcomers,
        activity_requests=fake.count("POST /graphql") - probes,
        first_time_requests=probes,
        points=fake.points_used(),
        seconds=seconds,
    )


def arguments() -> argparse.Namespace:
    parser = parser_from_docstring("python -m bench.github_requests", __doc__)
    parser.add_argument(
        "--repos",
        type=int,
        action="append",
        help="repositories on one token (repeatable; default 1 and 100)",
    )
    parser.add_argument(
        "--items",
        type=int,
        action="append",
        help="pull requests, issues and commits per repository's week (repeatable; "
        "default 50, 150 and 500)",
    )
    parser.add_argument(
        "--owner",
        action="store_true",
        help="also read 100 repositories as a monitor of all of an owner's does (listing "
        "them first: a request per 100, counted)",
    )
    parser.add_argument(
        "--no-regulars",
        action="store_true",
        help="skip the weeks without newcomers",
    )
    return parser.parse_args()


def scenarios(given: argparse.Namespace) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The (repositories, items) pairs with newcomers, and those without."""
    if not given.repos and not given.items:
        return SCENARIOS, [] if given.no_regulars else REGULARS
    repos = given.repos or sorted({r for r, _ in SCENARIOS})
    items = given.items or sorted({i for _, i in SCENARIOS})
    pairs = [(r, i) for r in repos for i in items]
    regulars = [] if given.no_regulars else [(r, min(items)) for r in repos]
    return pairs, regulars


async def main(given: argparse.Namespace) -> None:
    configure_logging("console", logging.WARNING)
    with_newcomers, regulars = scenarios(given)
    print("GitHub requests and rate-limit points per digest (fake GitHub, GitHub's formula)")
    for repos, per_kind in with_newcomers:
        print((await digest_round(repos, per_kind)).line(), flush=True)
    for repos, per_kind in regulars:
        print((await digest_round(repos, per_kind, newcomers=False)).line(), flush=True)
    if given.owner:
        print((await digest_round(100, 50, owner=True)).line(), flush=True)


if __name__ == "__main__":
    asyncio.run(main(arguments()))
