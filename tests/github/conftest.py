"""A fake GitHub on 127.0.0.1 and a client pointed at it, with time that passes only when
the client sleeps: backoff waits of minutes take no time, and the waits asked for are
there to be checked."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from infrasync.github.client import GitHubClient, RetryPolicy
from infrasync.github.ratelimit import RateLimitLedger
from tests.fakes.github_api import FakeGitHubAPI
from tests.fakes.github_world import recorded_world
from tests.fakes.http_server import serve_in_thread


@dataclass
class FakeTime:
    now_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    sleeps: list[float] = field(default_factory=list)

    def now(self) -> datetime:
        return self.now_at

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now_at += timedelta(seconds=seconds)


def new_token() -> str:
    # Made per test run, never written down: a fixture must hold no secret.
    return "ghp_" + secrets.token_hex(18)


@pytest.fixture
def token() -> str:
    return new_token()


@pytest.fixture
def fake_github(token: str) -> Iterator[FakeGitHubAPI]:
    fake = FakeGitHubAPI(world=recorded_world())
    fake.add_token(token)
    with serve_in_thread(fake.app()) as base_url:
        fake.base_url = base_url
        yield fake


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def ledger() -> RateLimitLedger:
    return RateLimitLedger()


def make_client(
    fake: FakeGitHubAPI,
    token: str,
    fake_time: FakeTime,
    ledger: RateLimitLedger,
    **options: object,
) -> GitHubClient:
    # Generous: the fake answers in-process on a shared machine, and a test that is about
    # timeouts sets its own policy.
    policy = options.pop("policy", RetryPolicy(timeout_seconds=60.0))
    return GitHubClient(
        token,
        api_url=fake.base_url,
        ledger=ledger,
        policy=policy,  # type: ignore[arg-type]
        sleep=fake_time.sleep,
        clock=fake_time.now,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
async def github(
    fake_github: FakeGitHubAPI, token: str, fake_time: FakeTime, ledger: RateLimitLedger
) -> AsyncIterator[GitHubClient]:
    client = make_client(fake_github, token, fake_time, ledger)
    yield client
    await client.aclose()
