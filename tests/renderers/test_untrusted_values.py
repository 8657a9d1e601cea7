"""Slack and Discord read the builtin digest's Markdown in their own syntax: a value from
the repository must stay text there too (no link, mention or formatting made of it)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infrasync.digests.document import Digest
from infrasync.renderers import discord, slack
from infrasync.renderers.slack import ZERO_WIDTH_SPACE
from infrasync.writers.builtin import write
from tests.writers.test_untrusted_values import PERIOD, PLACES, TRICKY, shown

PULL_LINK = "<https://github.com/acme/app/pull/1|"
PULL_LINE = re.compile(r"- <https://github\.com/acme/app/pull/1\|([^<>|]*)> by @ada")
# Slack's formatting characters; mrkdwn has no escape for them.
BARE_FORMATTING = re.compile(f"[*_~`](?!{ZERO_WIDTH_SPACE})")


def digest(place: str, value: str) -> Digest:
    repository, metrics, items = PLACES[place](value)
    return Digest(
        repository=repository,
        period=PERIOD,
        writer="builtin",
        text=write(repository, PERIOD, metrics, items),
        metrics=metrics,
        items=items,
    )


def slack_lines(place: str, value: str) -> list[str]:
    [payload] = slack.messages(digest(place, value))
    return [
        line
        for block in payload["blocks"]
        if block["type"] == "section"
        for line in block["text"]["text"].splitlines()
    ]


def read_slack(text: str) -> str:
    """What Slack shows of mrkdwn text with no formatting in it."""
    text = text.replace(ZERO_WIDTH_SPACE, "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def assert_slack_shows(value: str) -> None:
    [line] = [line for line in slack_lines("pull request title", value) if PULL_LINK in line]
    match = re.fullmatch(PULL_LINE, line)
    assert match, line
    label = match.group(1)
    assert read_slack(label) == f"#1 {shown(value)}".replace("|", "¦")
    assert not BARE_FORMATTING.search(label), label

    [line] = [line for line in slack_lines("commit message", value) if line.startswith("- `")]
    match = re.fullmatch(r"- `0123456` (.*) by Ada", line)
    assert match, line
    assert read_slack(match.group(1)) == shown(value)
    assert "<" not in match.group(1)
    assert not BARE_FORMATTING.search(match.group(1)), line


@pytest.mark.parametrize("value", TRICKY)
def test_slack_shows_tricky_values_as_text(value: str) -> None:
    assert_slack_shows(value)


@settings(max_examples=200, deadline=None)
@given(value=st.text(min_size=1).filter(lambda v: shown(v) and ZERO_WIDTH_SPACE not in v))
def test_slack_shows_any_value_as_text(value: str) -> None:
    assert_slack_shows(value)


def test_slack_does_not_bold_a_title_that_has_asterisks() -> None:
    lines = slack_lines("pull request title", "*urgent* fix")
    [line] = [line for line in lines if PULL_LINK in line]
    assert f"*{ZERO_WIDTH_SPACE}urgent*{ZERO_WIDTH_SPACE} fix" in line


@pytest.mark.parametrize("value", ["[click](https://evil.example)", "**loud** <@123> `x`"])
def test_discord_content_keeps_the_repository_name_escaped(value: str) -> None:
    [message] = discord.messages(digest("repository name", value))
    content = message["content"]
    assert content.startswith("**")
    assert content.endswith("**")
    assert "](" not in content  # no masked link
    # Discord honours backslash escapes: outside them, no character that makes Markdown.
    unescaped_rest = re.sub(r"\\.", "", content[2:-2])
    assert not re.search(r"[\[\]()*_<>`]", unescaped_rest), content
