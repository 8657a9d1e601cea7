"""Rate limits, outages and refusals, injected by the fake GitHub. Time is fake: a wait of
an hour is recorded, not slept."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from infrasync.github.activity import RepoRef
from infrasync.github.client import GitHubClient, RetryPolicy
from infrasync.github.errors import (
    GitHubAccessDenied,
    GitHubQueryRejected,
    GitHubRateLimited,
    GitHubTokenRejected,
    GitHubUnavailable,
)
from infrasync.github.ratelimit import RateLimitLedger
from infrasync.sources.github import GitHubSource
from tests.fakes.github_api import FakeGitHubAPI
from tests.github.conftest import FakeTime, make_client
from tests.github.test_activity import WEEK

REPO = "/repos/sigmavirus24/github3.py"
GRAPHQL = "POST /graphql"


@pytest.fixture
def source(github: GitHubClient) -> GitHubSource:
    return GitHubSource(github, RepoRef("sigmavirus24", "github3.py"))


# Primary limit -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [403, 429])
async def test_primary_limit_waits_for_the_reset_when_it_is_near(
    github: GitHubClient, fake_github: FakeGitHubAPI, fake_time: FakeTime, status: int
) -> None:
    fake_github.inject("primary", path=REPO, status=status, reset_in=120)
    page = await github.rest_get(REPO)
    assert page.status == 200
    assert len(fake_time.sleeps) == 1
    assert 100 <= fake_time.sleeps[0] <= 125  # until the reset GitHub named
    assert fake_github.count() == 2


async def test_primary_limit_far_away_fails_with_the_time_it_ends(
    github: GitHubClient, fake_github: FakeGitHubAPI, fake_time: FakeTime
) -> None:
    fake_github.inject("primary", path=REPO, reset_in=3 * 3600)
    with pytest.raises(GitHubRateLimited, match=r"rate limited until \d\d:\d\d UTC") as caught:
        await github.rest_get(REPO)
    assert caught.value.until > fake_time.now() + timedelta(hours=2)
    assert not caught.value.permanent
    assert fake_time.sleeps == []
    # The next call knows the budget is spent and does not even ask.
    with pytest.raises(GitHubRateLimited):
        await github.rest_get(REPO)
    assert fake_github.count() == 1


async def test_graphql_rate_limited_in_a_200_answer(
    source: GitHubSource, fake_github: FakeGitHubAPI, fake_time: FakeTime
) -> None:
    fake_github.inject("graphql_rate_limited", path="/graphql", reset_in=60)
    activity = await source.activity(WEEK)
    assert activity.source.name == "sigmavirus24/github3.py"
    assert len(fake_time.sleeps) == 1
    assert 30 <= fake_time.sleeps[0] <= 65
    fake_github.inject("graphql_rate_limited", path="/graphql", reset_in=7200)
    with pytest.raises(GitHubRateLimited, match="rate limited until"):
        await source.activity(WEEK)


# Secondary limits ----------------------------------------------------------------------


async def test_secondary_limit_honours_retry_after(
    github: GitHubClient, fake_github: FakeGitHubAPI, fake_time: FakeTime
) -> None:
    fake_github.inject("secondary", path=REPO, status=429, retry_after=7)
    page = await github.rest_get(REPO)
    assert page.status == 200
    assert fake_time.sleeps == [7]


async def test_secondary_limit_without_retry_after_backs_off_a_minute_doubling(
    github: GitHubClient, fake_github: FakeGitHubAPI, fake_time: FakeTime
) -> None:
    fake_github.inject("secondary", path="/graphql", times=3)
    result = await github.graphql("query { rateLimit { remaining } }", {})
    assert result.data["rateLimit"]["remaining"] > 0
    assert fake_time.sleeps == [60, 120, 240]


async def test_secondary_limit_that_persists_fails_the_job(
    github: GitHubClient, fake_github: FakeGitHubAPI, fake_time: FakeTime
) -> None:
    fake_github.inject("secondary", path=REPO, times=10)
    with pytest.raises(GitHubRateLimited, match="secondary rate limit"):
        await github.rest_get(REPO)
    assert fake_time.sleeps == [60, 120, 240, 480]
    assert fake_github.count() == 5


async def test_a_secondary_limit_holds_back_every_request_on_the_token(
    fake_github: FakeGitHubAPI, token: str, fake_time: FakeTime, ledger: RateLimitLedger
) -> None:
    first = make_client(fake_github, token, fake_time, ledger)
    second = make_client(fake_github, token, fake_time, ledger)  # another monitor, same token
    fake_github.inject("secondary", path=REPO, retry_after=30)
    await first.rest_get(REPO)
    fake_time.now_at -= timedelta(seconds=20)  # the other job starts within the pause
    await second.rest_get("/repos/betamaxpy/betamax")
    assert fake_time.sleeps[0] == 30
    assert 19 <= fake_time.sleeps[1] <= 21
    await first.aclose()
    await second.aclose()


# Outages -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_retried_with_jittered_backoff(
    github: GitHubClient, fake_github: FakeGitHubAPI, fake_time: FakeTime, status: int
) -> None:
    fake_github.inject("server_error", path="/graphql", status=status, times=2)
    result = await github.graphql("query { rateLimit { remaining } }", {})
    assert "rateLimit" in result.data
    assert len(fake_time.sleeps) == 2
    assert 0.5 <= fake_time.sleeps[0] <= 1.0
    assert 1.0 <= fake_time.sleeps[1] <= 2.0


async def test_an_outage_that_outlasts_the_retries_is_a_transient_failure(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    fake_github.inject("server_error", path="/graphql", times=50)
    with pytest.raises(GitHubUnavailable, match="HTTP 502") as caught:
        await github.graphql("query { rateLimit { remaining } }", {})
    assert not caught.value.permanent
    assert fake_github.count(GRAPHQL) == github.policy.max_attempts


async def test_timeouts_are_retried(
    fake_github: FakeGitHubAPI, token: str, fake_time: FakeTime, ledger: RateLimitLedger
) -> None:
    # A real timeout, so real seconds: the slow answers take five times the client's
    # patience, and a prompt answer has all of it, even on a busy machine.
    policy = RetryPolicy(timeout_seconds=1.0, max_attempts=2)
    client = make_client(fake_github, token, fake_time, ledger, policy=policy)
    fake_github.inject("timeout", path=REPO, delay=5.0)
    page = await client.rest_get(REPO)
    assert page.status == 200
    assert len(fake_time.sleeps) == 1
    fake_github.inject("timeout", path=REPO, delay=5.0, times=10)
    with pytest.raises(GitHubUnavailable, match="no answer in time"):
        await client.rest_get(REPO)
    await client.aclose()
    await _until_the_fake_has_answered_everything(fake_github)


async def _until_the_fake_has_answered_everything(fake: FakeGitHubAPI) -> None:
    """Waits for the event (nothing in flight), not for a guessed time, before the fake
    stops; the deadline only ends a broken run."""
    deadline = asyncio.get_running_loop().time() + 60
    while sum(fake.in_flight.values()) > 0:
        assert asyncio.get_running_loop().time() < deadline, "the fake never answered"
        await asyncio.sleep(0.05)


async def test_graphql_timeout_answer_is_retried(
    source: GitHubSource, fake_github: FakeGitHubAPI, fake_time: FakeTime
) -> None:
    fake_github.inject("graphql_timeout", path="/graphql")
    await source.activity(WEEK)
    assert len(fake_time.sleeps) == 1
    assert fake_github.count(GRAPHQL) == 2


# Permanent refusals --------------------------------------------------------------------


async def test_a_revoked_token_is_permanent_and_not_retried(
    source: GitHubSource, fake_github: FakeGitHubAPI, token: str
) -> None:
    del fake_github.tokens[token]  # revoked on GitHub's side
    with pytest.raises(GitHubTokenRejected, match="reconnect GitHub") as caught:
        await source.activity(WEEK)
    assert caught.value.permanent
    assert fake_github.count() == 1


async def test_a_permission_refusal_is_not_mistaken_for_a_rate_limit(
    github: GitHubClient, fake_github: FakeGitHubAPI, fake_time: FakeTime
) -> None:
    fake_github.inject("forbidden", path=REPO)
    with pytest.raises(GitHubAccessDenied, match="Resource not accessible by integration"):
        await github.rest_get(REPO)
    assert fake_time.sleeps == []
    assert fake_github.count() == 1


async def test_an_invalid_query_is_refused_with_githubs_error(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    with pytest.raises(GitHubQueryRejected, match="pullRequestz"):
        await github.graphql('query { repository(owner: "a", name: "b") { pullRequestz } }', {})
    (refusal,) = fake_github.refused_queries
    codes = {error.get("extensions", {}).get("code") for error in refusal["errors"]}
    assert "undefinedField" in codes
    assert all("locations" in error for error in refusal["errors"])


async def test_a_connection_without_first_is_refused_like_github_does(
    github: GitHubClient, fake_github: FakeGitHubAPI
) -> None:
    query = 'query { repository(owner: "a", name: "b") { issues { nodes { number } } } }'
    with pytest.raises(GitHubQueryRejected, match="must provide a `first` or `last`"):
        await github.graphql(query, {})
    assert fake_github.refused_queries[0]["errors"][0]["type"] == "MISSING_PAGINATION_BOUNDARIES"


# Concurrency ---------------------------------------------------------------------------


async def test_requests_in_flight_per_token_are_bounded(
    fake_github: FakeGitHubAPI, token: str, fake_time: FakeTime
) -> None:
    fake_github.latency = 0.05
    ledger = RateLimitLedger(max_concurrency=3)
    clients = [make_client(fake_github, token, fake_time, ledger) for _ in range(2)]
    calls = [clients[n % 2].rest_get(REPO) for n in range(24)]
    await asyncio.gather(*calls)
    assert fake_github.max_in_flight[token] == 3
    for client in clients:
        await client.aclose()
