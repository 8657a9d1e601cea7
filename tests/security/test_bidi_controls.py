"""Unicode's bidirectional controls in strangers' text never reach a reader: "RTL
\u202eevil\u202c" would read "RTL live" (Trojan Source). Removed where text enters
(infrasync/kit/text.py), so every renderer shows what was written, in order."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from infrasync.config import load_settings
from infrasync.digests.compose import compose
from infrasync.kit.text import BIDI_CONTROLS
from infrasync.renderers import discord, email, slack
from infrasync.sources.local_git import LocalGitSource
from infrasync.sources.model import Window
from tests.digests.test_digest_cli import git
from tests.digests.test_metrics import ada, at, pull, week
from tests.renderers.test_renderers import builtin_digest

SPOOF = "RTL \u202eevil\u202c \u2067isolated\u2069 \u200fmark"
WRITTEN = "RTL evil isolated mark"
WINDOW = Window(since=datetime(2026, 11, 16, tzinfo=UTC), until=datetime(2026, 11, 23, tzinfo=UTC))


def every_rendering(digest: object) -> str:
    from infrasync.digests.document import Digest

    assert isinstance(digest, Digest)
    mail = email.render(digest)
    return "\n".join(
        [
            digest.text,
            json.dumps(digest.as_json(), ensure_ascii=False),
            json.dumps(slack.messages(digest), ensure_ascii=False),
            json.dumps(discord.messages(digest), ensure_ascii=False),
            mail.subject,
            mail.html,
            mail.text,
        ]
    )


def assert_no_bidi_controls(text: str) -> None:
    found = sorted({f"U+{ord(c):04X}" for c in text if c in BIDI_CONTROLS})
    assert found == []


def test_a_pull_request_title_and_labels_reach_no_renderer_with_controls() -> None:
    spoofed = pull(
        1,
        ada,
        at(3),
        title=SPOOF,
        labels=(SPOOF,),
        state="merged",
        merged_at=at(4),
        closed_at=at(4),
    )
    assert spoofed.title == WRITTEN
    digest = builtin_digest((spoofed,))
    rendered = every_rendering(digest)
    assert WRITTEN in digest.text
    assert_no_bidi_controls(rendered)


async def test_a_local_commit_message_and_author_reach_no_renderer_with_controls(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "a.txt").write_text("a\n", encoding="utf-8")
    git(repo, "add", ".")
    git(
        repo,
        "commit",
        "-q",
        "-m",
        f"feat: {SPOOF}",
        when="2026-11-18T12:00:00Z",
        author="Ev\u202ee <eve@example.com>",
    )
    git(repo, "tag", "v1\u202e-rc", when="2026-11-18T12:00:00Z")
    current, previous = await LocalGitSource(repo).activities(
        [WINDOW, Window(since=datetime(2026, 11, 9, tzinfo=UTC), until=WINDOW.since)]
    )
    [commit] = current.commits
    assert commit.message == f"feat: {WRITTEN}"
    assert commit.author.name == "Eve"
    assert [tag.name for tag in current.tags] == ["v1-rc"]
    digest = await compose(current, previous, load_settings(), writer="builtin")
    assert WRITTEN in digest.text
    assert_no_bidi_controls(every_rendering(digest))


def test_right_to_left_text_itself_is_kept() -> None:
    hebrew = "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627"
    assert pull(2, ada, at(3), title=hebrew).title == hebrew
    assert week(pull_requests=(pull(2, ada, at(3), title=hebrew),)).pull_requests
