"""The GitHub token never reaches a log line, an error message or a repr — on the happy
path or any fault path, with every logger (ours, httpx's, httpcore's) at DEBUG."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from infrasync.github.activity import ActivityRequest, RepoRef, fetch_activity
from infrasync.github.client import GitHubClient
from infrasync.github.errors import GitHubError
from infrasync.github.repositories import check_repository
from infrasync.observability.logging import configure_logging
from tests.fakes.github_api import FakeGitHubAPI
from tests.github.test_activity import WEEK


@pytest.fixture
def debug_logging() -> Iterator[None]:
    configure_logging("json", logging.DEBUG)
    yield
    logging.getLogger().setLevel(logging.INFO)


@pytest.mark.usefixtures("debug_logging")
async def test_the_token_appears_in_no_log_error_or_repr(
    github: GitHubClient,
    fake_github: FakeGitHubAPI,
    token: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = [repr(github), str(github.__dict__)]
    requests = [ActivityRequest(RepoRef("sigmavirus24", "github3.py"), WEEK)]
    faults: list[tuple[str, dict[str, Any]]] = [
        ("secondary", {"path": "/graphql", "retry_after": 1}),
        ("server_error", {"path": "/graphql"}),
        ("graphql_timeout", {"path": "/graphql"}),
        ("redirect", {"path": "/repos/betamaxpy"}),
        ("primary", {"path": "/repos/betamaxpy", "reset_in": 7200}),
        ("forbidden", {"path": "/repos/betamaxpy"}),
        ("unauthorized", {"path": "/graphql"}),
    ]
    failed = []
    for kind, options in faults:
        fake_github.inject(kind, **options)
        try:
            if options["path"] == "/graphql":
                outcomes = await fetch_activity(github, requests)
                seen.append(repr(outcomes))
            else:
                seen.append(repr(await check_repository(github, RepoRef("betamaxpy", "betamax"))))
        except GitHubError as error:
            failed.append(kind)
            seen.extend([str(error), repr(error), repr(error.__cause__), repr(error.__context__)])
        github.ledger = type(github.ledger)()  # forget the rate limit between scenarios
    output = capsys.readouterr()
    seen.extend([output.out, output.err, caplog.text])
    assert failed == ["primary", "forbidden", "unauthorized"]
    assert "github.request" in output.err  # the requests were logged…
    for text in seen:
        assert token not in text  # …without the token
        assert token[4:] not in text
