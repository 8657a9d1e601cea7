"""REST through the real client: recorded `Link` pages, the recorded 304, redirects, the
ETag cache (in memory and in the database), the API budget and its gauges."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from infrasync.db import create_engine_for, session_factory
from infrasync.github.activity import RepoRef
from infrasync.github.client import GitHubClient
from infrasync.github.errors import GitHubRepositoryNotFound, GitHubRequestFailed
from infrasync.github.etags import DatabaseEtagCache, MemoryEtagCache
from infrasync.github.metrics import register_github_metrics
from infrasync.github.ratelimit import RateLimitLedger, token_label
from infrasync.github.repositories import check_repository
from infrasync.kit.tokens import hash_token
from tests.fakes.github_api import FakeGitHubAPI
from tests.github.conftest import FakeTime, make_client, new_token

PAGINATED = "/repos/octokit-fixture-org/tmp-scenario-paginate-issues-20220719043836917-izyoe/issues"
CONDITIONAL = "/repos/PyCQA/flake8/commits/stable/2.6"
DAY = timedelta(days=1)


async def test_link_pagination_follows_githubs_own_next_links(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    numbers = [item["number"] async for item in github.rest_paginate(PAGINATED, {"per_page": 3})]
    assert numbers == list(range(13, 0, -1))  # every issue once, across five pages
    paths = [exchange.path for exchange in fake_github.exchanges]
    # Pages 2 to 5 are where GitHub's Link header pointed (its /repositories/{id} form).
    assert paths[1:] == [f"/repositories/515435940/issues?per_page=3&page={n}" for n in range(2, 6)]


async def test_an_unchanged_resource_is_answered_304_and_costs_nothing(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    first = await github.rest_get(CONDITIONAL)
    again = await github.rest_get(CONDITIONAL)
    assert first.status == 200
    assert again.status == 304
    assert again.from_cache
    assert again.text == first.text
    # The If-None-Match GitHub recorded, sent back; GitHub charged only the first.
    assert fake_github.exchanges[1].if_none_match == '"1254fe8f5cfcbd4afc2f692827da4f04a3033c56"'
    assert [e.points for e in fake_github.exchanges] == [1, 0]


async def test_pages_answered_304_still_lead_to_the_next_page(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    first = [item["number"] async for item in github.rest_paginate(PAGINATED, {"per_page": 3})]
    again = [item["number"] async for item in github.rest_paginate(PAGINATED, {"per_page": 3})]
    assert again == first
    assert [e.status for e in fake_github.exchanges[5:]] == [304] * 5
    assert fake_github.points_used() == 5


async def test_the_cache_is_kept_per_token(
    fake_github: FakeGitHubAPI, token: str, fake_time: FakeTime, ledger: RateLimitLedger
) -> None:
    shared_cache = MemoryEtagCache()
    other = fake_github.add_token(new_token(), login="hubot")
    mine = make_client(fake_github, token, fake_time, ledger, etags=shared_cache)
    theirs = make_client(fake_github, other, fake_time, ledger, etags=shared_cache)
    await mine.rest_get(CONDITIONAL)
    await theirs.rest_get(CONDITIONAL)
    assert fake_github.exchanges[1].if_none_match is None
    assert fake_github.exchanges[1].status == 200
    await mine.aclose()
    await theirs.aclose()


@pytest.fixture
async def database_etags(database_url: str) -> AsyncIterator[DatabaseEtagCache]:
    engine = create_engine_for(database_url)
    yield DatabaseEtagCache(session_factory(engine))
    await engine.dispose()


async def test_the_database_cache_serves_every_worker_and_restart(
    fake_github: FakeGitHubAPI,
    token: str,
    fake_time: FakeTime,
    database_etags: DatabaseEtagCache,
) -> None:
    # Two clients with nothing in common but the database: two workers, or a restart.
    for _ in range(2):
        client = make_client(fake_github, token, fake_time, RateLimitLedger(), etags=database_etags)
        issues = [item async for item in client.rest_paginate(PAGINATED, {"per_page": 3})]
        assert len(issues) == 13
        info = await check_repository(client, RepoRef("sigmavirus24", "github3.py"))
        assert info.full_name == "sigmavirus24/github3.py"
        await client.aclose()
    assert [e.status for e in fake_github.exchanges] == [200] * 6 + [304] * 6
    assert fake_github.points_used() == 6
    rows = await database_etags.entries()
    assert len(rows) == 6
    assert {row.token_hash for row in rows} == {hash_token(token)}
    assert not any(token in (row.url + row.body + (row.link or "")) for row in rows)
    # Answers nobody asked for again in a while can be dropped.
    assert await database_etags.prune(older_than=min(r.fetched_at for r in rows)) == 0
    assert await database_etags.prune(older_than=max(r.fetched_at for r in rows) + DAY) == 6
    assert await database_etags.entries() == []


async def test_a_renamed_repository_redirects_and_reports_its_new_name(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    info = await check_repository(github, RepoRef("sigmavirus24", "betamax"))
    assert info.full_name == "betamaxpy/betamax"
    assert info.moved_from == "sigmavirus24/betamax"
    assert info.github_id == 11439734
    assert [e.status for e in fake_github.exchanges] == [301, 200]  # as recorded


async def test_a_temporary_redirect_is_followed(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    fake_github.inject("redirect", path="/repos/betamaxpy", status=307)
    info = await check_repository(github, RepoRef("betamaxpy", "betamax"))
    assert info.full_name == "betamaxpy/betamax"
    assert not info.renamed
    assert [e.status for e in fake_github.exchanges] == [307, 200]


async def test_an_unchanged_repository_recheck_is_free(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    first = await check_repository(github, RepoRef("betamaxpy", "betamax"))
    again = await check_repository(github, RepoRef("betamaxpy", "betamax"))
    assert not first.unchanged
    assert again.unchanged
    assert again == first.__class__(**{**first.__dict__, "unchanged": True})
    assert [e.points for e in fake_github.exchanges] == [1, 0]


async def test_a_repository_that_is_gone_is_a_permanent_error(github: GitHubClient) -> None:
    # Recorded: GitHub's 404 for a repository that no longer exists.
    with pytest.raises(GitHubRepositoryNotFound, match="pengwynn/octokit was not found") as caught:
        await check_repository(github, RepoRef("pengwynn", "octokit"))
    assert caught.value.permanent


async def test_the_token_is_only_sent_to_the_configured_api_host(github: GitHubClient) -> None:
    with pytest.raises(GitHubRequestFailed, match="refusing to send the GitHub token"):
        await github.rest_get("https://elsewhere.example/repos/a/b")


async def test_api_budget_shows_each_resource_without_spending_any(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    await github.graphql("query { rateLimit { cost } }", {})
    await github.rest_get("/repos/betamaxpy/betamax")
    budget = {row.resource: row for row in await github.api_budget()}
    assert budget["graphql"].remaining == 4999
    assert budget["graphql"].last_cost == 1
    assert budget["core"].remaining == 4999
    assert budget["core"].resets_at is not None
    assert budget["search"].limit == 30
    assert budget["core"].token == token_label(github.token_hash)
    assert fake_github.exchanges[-1].path == "/rate_limit"
    assert fake_github.points_used() == 2  # the budget itself was free


async def test_prometheus_gauges_per_token_hash(
    github: GitHubClient, ledger: RateLimitLedger, token: str
) -> None:
    registry = CollectorRegistry()
    register_github_metrics(registry, ledger)
    await github.graphql("query { rateLimit { cost } }", {})
    text = generate_latest(registry).decode()
    label = token_label(github.token_hash)
    assert (
        f'infrasync_github_rate_limit_remaining{{resource="graphql",token="{label}"}} 4999.0'
        in text
    )
    assert f'infrasync_github_points_total{{resource="graphql",token="{label}"}} 1.0' in text
    assert token not in text
    assert github.token_hash not in text  # only a short prefix of the hash
