"""A digest across several repositories, read through the fake GitHub with the batched
engine: the builtin writer's whole text as a golden snapshot (`__snapshots__/`, read
once by a person), the totals' meanings, and the AI writer's facts, whose item ids name
the repository when there are several (one repository's ids are unchanged)."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from syrupy.assertion import SnapshotAssertion

from infrasync.config import Settings
from infrasync.digests.compose import compose, compose_many
from infrasync.digests.document import Digest
from infrasync.digests.grounding import GroundedSentence
from infrasync.digests.window import previous_window
from infrasync.github.activity import ActivityRequest, RepoRef, fetch_activity
from infrasync.github.client import GitHubClient
from infrasync.github.ratelimit import RateLimitLedger
from infrasync.sources.model import Activity, Window
from infrasync.writers import llm
from tests.fakes.github_api import FakeGitHubAPI
from tests.fakes.github_world import FakeCommit, FakeRepo, FakeWorld, generate_repo

SINCE = datetime(2026, 11, 16, tzinfo=UTC)
UNTIL = datetime(2026, 11, 23, tzinfo=UTC)
WEEK = Window(since=SINCE, until=UNTIL)
THREE = ["acme/api", "acme/web", "acme/docs"]


def quiet_repo(
    world: FakeWorld, name: str, *, archived: bool = False, fork: bool = False
) -> FakeRepo:
    """A repository with one commit, long before the week: nothing to tell."""
    repo = world.add(FakeRepo("acme", name, archived=archived, fork=fork))
    when = datetime(2026, 9, 1, tzinfo=UTC)
    repo.commits.append(
        FakeCommit(f"{name[0]}" * 40, "docs: begin", "Ann", "ann@example.com", when, when)
    )
    return repo


def three_repositories() -> FakeWorld:
    """acme/api (busy), acme/web (less so), acme/docs (quiet), and an archived
    repository and a fork that an owner's selection leaves out unless named."""
    world = FakeWorld()
    generate_repo(world, "acme", "api", SINCE, UNTIL, per_kind=6, seed=1, older=6)
    generate_repo(world, "acme", "web", SINCE, UNTIL, per_kind=3, seed=2, older=3)
    quiet_repo(world, "docs")
    quiet_repo(world, "legacy", archived=True)
    quiet_repo(world, "upstream-fork", fork=True)
    return world


@pytest.fixture(scope="module")
def activities() -> Iterator[list[tuple[Activity, Activity | None]]]:
    from tests.fakes.http_server import serve_in_thread

    fake = FakeGitHubAPI(world=three_repositories())
    token = fake.add_token("ghp_" + secrets.token_hex(18))
    with serve_in_thread(fake.app()) as base_url:

        async def read() -> list[tuple[Activity, Activity | None]]:
            windows = (WEEK, previous_window(WEEK))
            requests = [
                ActivityRequest(RepoRef.parse(name), window) for name in THREE for window in windows
            ]
            async with GitHubClient(token, api_url=base_url, ledger=RateLimitLedger()) as client:
                found = await fetch_activity(client, requests)
            assert all(isinstance(outcome, Activity) for outcome in found)
            read = [outcome for outcome in found if isinstance(outcome, Activity)]
            return [(read[i], read[i + 1]) for i in range(0, len(read), 2)]

        yield asyncio.run(read())


def _builtin(pairs: list[tuple[Activity, Activity | None]]) -> Digest:
    return asyncio.run(compose_many(pairs, Settings(), writer="builtin"))


def test_the_builtin_digest_of_three_repositories(
    activities: list[tuple[Activity, Activity | None]], snapshot: SnapshotAssertion
) -> None:
    digest = _builtin(activities)
    assert digest.text == snapshot
    # Every pull request line links into its own repository.
    for part in digest.items.repositories:
        for pull in part.items.merged:
            assert f"]({part.repository.url}/pull/{pull.number})" in digest.text


def test_the_totals_count_a_person_once_across_repositories(
    activities: list[tuple[Activity, Activity | None]],
) -> None:
    (api, api_before), _, docs = activities
    # The same people in two repositories (acme/api read twice under two names).
    renamed = api.model_copy(update={"source": api.source.model_copy(update={"name": "acme/b"})})
    metrics = _builtin([(api, api_before), (renamed, api_before), docs]).metrics
    assert metrics.repositories is not None
    alone = metrics.repositories["acme/api"]
    assert metrics.commits == 2 * alone.commits
    assert metrics.contributors == alone.contributors
    assert metrics.authors == alone.authors
    assert metrics.first_time_contributors == alone.first_time_contributors


def test_a_single_repository_digest_keeps_its_json(
    activities: list[tuple[Activity, Activity | None]],
) -> None:
    current, previous = activities[0]
    document = asyncio.run(compose(current, previous, Settings(), writer="builtin")).as_json()
    metrics, items = document["metrics"], document["items"]
    assert isinstance(metrics, dict)
    assert isinstance(items, dict)
    assert "repositories" not in metrics
    assert "repositories" not in items


def test_the_ai_writers_ids_name_the_repository_when_there_are_several(
    activities: list[tuple[Activity, Activity | None]],
) -> None:
    digest = _builtin(activities)
    facts = llm.build_facts(digest.repository, digest.period, digest.metrics, digest.items)
    api = digest.items.repositories[0].items
    merged = api.merged[0]
    assert f"pr:acme/api#{merged.number}" in facts.sources
    assert f"pr:{merged.number}" not in facts.sources
    assert "metric:acme/api:commits" in facts.numbers
    assert '"quiet_repositories": ["acme/docs"]' in facts.text
    # A sentence that cites a repository's pull request and its own figure passes.
    assert digest.metrics.repositories is not None
    commits = digest.metrics.repositories["acme/api"].commits
    good = GroundedSentence(
        section="shipped",
        text=f"acme/api merged #{merged.number} and had {commits} commits.",
        cites=(f"pr:acme/api#{merged.number}", "metric:acme/api:commits"),
    )
    outcomes = llm.check([good], facts, digest.metrics)
    assert all(outcome.passed for outcome in outcomes), outcomes
    # Citing the id of one repository's item as if there were one is no real item.
    bare = good.model_copy(update={"cites": (f"pr:{merged.number}",)})
    failed = {o.check for o in llm.check([bare], facts, digest.metrics) if not o.passed}
    assert "known_items" in failed

    single = asyncio.run(compose(*activities[0], Settings(), writer="builtin"))
    alone = llm.build_facts(single.repository, single.period, single.metrics, single.items)
    assert f"pr:{merged.number}" in alone.sources


def test_every_channel_renders_a_digest_across_repositories(
    activities: list[tuple[Activity, Activity | None]],
) -> None:
    from infrasync.renderers import discord, email, slack

    digest = _builtin(activities)
    slack_text = json.dumps(slack.messages(digest))
    discord_text = json.dumps(discord.messages(digest))
    html = email.render(digest).html
    for shown in (slack_text, discord_text, html):
        assert "acme/api" in shown
        assert "acme/web" in shown
        assert "Quiet this week: acme/docs" in shown
