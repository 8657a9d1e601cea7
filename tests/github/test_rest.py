"""REST through the real client (the repository check: recorded redirects and 404s) and
the rate-limit gauges."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from infrasync.github.activity import RepoRef
from infrasync.github.client import GitHubClient
from infrasync.github.errors import GitHubRepositoryNotFound, GitHubRequestFailed
from infrasync.github.metrics import register_github_metrics
from infrasync.github.ratelimit import RateLimitLedger, token_label
from infrasync.github.repositories import check_repository
from tests.fakes.github_api import FakeGitHubAPI


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


async def test_a_repository_that_is_gone_is_a_permanent_error(github: GitHubClient) -> None:
    # Recorded: GitHub's 404 for a repository that no longer exists.
    with pytest.raises(GitHubRepositoryNotFound, match="pengwynn/octokit was not found") as caught:
        await check_repository(github, RepoRef("pengwynn", "octokit"))
    assert caught.value.permanent


async def test_the_token_is_only_sent_to_the_configured_api_host(github: GitHubClient) -> None:
    with pytest.raises(GitHubRequestFailed, match="refusing to send the GitHub token"):
        await github.rest_get("https://elsewhere.example/repos/a/b")


async def test_prometheus_gauges_per_token_hash(
    github: GitHubClient, ledger: RateLimitLedger, token: str
) -> None:
    registry = CollectorRegistry()
    register_github_metrics(registry, ledger)
    await github.graphql("query { rateLimit { cost } }", {})
    await check_repository(github, RepoRef("betamaxpy", "betamax"))
    text = generate_latest(registry).decode()
    label = token_label(github.token_hash)
    # GitHub counts GraphQL points and REST requests apart; so do the gauges.
    for resource in ("graphql", "core"):
        assert (
            f'infrasync_github_rate_limit_remaining{{resource="{resource}",token="{label}"}} 4999.0'
            in text
        )
        assert f'infrasync_github_points_total{{resource="{resource}",token="{label}"}} 1.0' in text
    assert token not in text
    assert github.token_hash not in text  # only a short prefix of the hash
