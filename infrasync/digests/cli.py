"""`infrasync digest SOURCE`: one digest, made on the spot, printed to stdout.

A local repository's digest loads no HTTP client: the GitHub client (httpx, a tenth of a
second to import on a busy machine) is imported only when the source is on GitHub.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, cast

from infrasync.digests.compose import WriterChoice, compose
from infrasync.digests.window import parse_window, previous_window
from infrasync.github.errors import GitHubError
from infrasync.kit.time import utcnow
from infrasync.renderers import slack
from infrasync.sources.local_git import LocalGitError, LocalGitSource
from infrasync.sources.service import GitHubSpec, LocalSpec, parse_source

if TYPE_CHECKING:
    from rich.console import Console

    from infrasync.config import Settings
    from infrasync.digests.document import Digest
    from infrasync.sources.model import Activity, Window


class DigestFailed(Exception):
    """A runtime failure (GitHub down, rate limited): exit code 1."""


def needs_structured_logs(settings: Settings, source: str, writer: str) -> bool:
    """Whether this digest runs code that logs through structlog: the GitHub client, the
    AI writer, or JSON log lines asked for. A local repository with the builtin writer
    logs through the standard library alone, and so skips structlog's import
    (tests/test_import_graph.py holds it to that)."""
    uses_model = writer == "llm" or (writer == "auto" and settings.llm_configured)
    try:
        on_github = isinstance(parse_source(source), GitHubSpec)
    except ValueError:
        on_github = False  # make_digest says what is wrong with it
    return on_github or uses_model or settings.effective_log_format == "json"


def render(digest: Digest, output_format: str) -> str:
    if output_format == "json":
        return json.dumps(digest.as_json(), indent=2, ensure_ascii=False)
    if output_format == "slack":
        return json.dumps(slack.messages(digest), indent=2, ensure_ascii=False)
    return digest.text


async def _activities(
    settings: Settings, spec: GitHubSpec | LocalSpec, window: Window, console: Console
) -> tuple[Activity, Activity]:
    earlier = previous_window(window)
    if isinstance(spec, LocalSpec):
        local = LocalGitSource(spec.path)
        with console.status(f"Reading git history of {spec.path}…"):
            current, previous = await local.activities([window, earlier])
            return current, previous
    return await _github_activities(settings, spec, [window, earlier], console)


async def _github_activities(
    settings: Settings, spec: GitHubSpec, windows: list[Window], console: Console
) -> tuple[Activity, Activity]:
    from infrasync.github.client import GitHubClient
    from infrasync.sources.github import GitHubSource

    if settings.github_token is None:
        raise ValueError(
            f"reading {spec} needs a GitHub token: set INFRASYNC_GITHUB_TOKEN "
            "(any token reads public repositories)"
        )
    async with GitHubClient.from_settings(settings, settings.github_token) as client:
        remote = GitHubSource(client, spec.repo)
        with console.status(f"Fetching {spec} from GitHub…"):
            current, previous = await remote.activities(windows)
            return current, previous


async def _make(
    settings: Settings, source: str, window: Window, writer: WriterChoice, console: Console
) -> Digest:
    spec = parse_source(source)
    try:
        current, previous = await _activities(settings, spec, window, console)
    except LocalGitError as error:
        raise ValueError(str(error)) from None
    except GitHubError as error:
        if error.permanent:
            raise ValueError(str(error)) from None
        raise DigestFailed(str(error)) from None
    with console.status("Writing the digest…"):
        return await compose(current, previous, settings, writer=writer)


def make_digest(
    settings: Settings,
    source: str,
    since: str,
    until: str | None,
    output_format: str,
    writer: str,
    console: Console,
) -> str:
    """Raises ValueError for the user's mistakes (exit 2), DigestFailed otherwise."""
    window = parse_window(since, until, utcnow())
    made = asyncio.run(_make(settings, source, window, cast(WriterChoice, writer), console))
    if made.writer_note and writer != "builtin":
        console.print(f"[dim]{made.writer_note}[/dim]")
    return render(made, output_format)
