from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from slack_sdk.models.blocks import Block

from infrasync.digests.document import Digest, build_items, period_of, repository_of
from infrasync.digests.metrics import compute_metrics
from infrasync.renderers import discord, email, slack
from infrasync.sources.model import PullRequest
from infrasync.writers.builtin import write
from tests.digests.test_metrics import ada, at, pull, week


def digest_of(text: str, note: str | None = None) -> Digest:
    activity = week()
    return Digest(
        repository=repository_of(activity),
        period=period_of(activity),
        writer="builtin",
        writer_note=note,
        text=text,
        metrics=compute_metrics(activity),
        items=build_items(activity),
    )


def builtin_digest(pulls: tuple[PullRequest, ...] | None = None) -> Digest:
    activity = week() if pulls is None else week(pull_requests=pulls)
    metrics, items = compute_metrics(activity), build_items(activity)
    text = write(repository_of(activity), period_of(activity), metrics, items)
    return digest_of(text).model_copy(update={"metrics": metrics, "items": items})


def assert_slack_accepts(payload: dict[str, object]) -> None:
    """slack_sdk's Block Kit models encode Slack's own limits."""
    blocks = payload["blocks"]
    assert isinstance(blocks, list)
    assert len(blocks) <= 50
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()


def sections(count: int, line: str = "- an item") -> str:
    return "# acme/app — a week\n\n" + "\n\n".join(f"## S{n}\n\n{line}" for n in range(count))


# Slack --------------------------------------------------------------------------------------


def test_the_builtin_digest_as_slack_blocks() -> None:
    [message] = slack.messages(builtin_digest())
    assert_slack_accepts(message)
    header, first = message["blocks"][0], message["blocks"][1]
    assert header["text"]["text"] == "acme/app — Nov 2 to Nov 8, 2026"
    texts = "\n".join(b["text"]["text"] for b in message["blocks"][1:] if b["type"] == "section")
    assert "<https://github.com/acme/app/pull/1|#1 PR 1> by @ada" in texts
    assert "*Shipped*" in texts
    assert "Commits: 4" in texts  # the numbers table, flattened
    assert "*3 pull requests merged, 4 commits and 2 releases.*" in first["text"]["text"]
    assert message["text"].startswith("acme/app")


@pytest.mark.parametrize(("section_count", "messages"), [(48, 1), (49, 1), (50, 2)])
def test_slack_splits_at_50_blocks(section_count: int, messages: int) -> None:
    # One header block plus one block per section: 49, 50 and 51 blocks.
    payloads = slack.messages(digest_of(sections(section_count)))
    assert len(payloads) == messages
    assert sum(len(p["blocks"]) for p in payloads) == section_count + 1
    for payload in payloads:
        assert_slack_accepts(payload)
    if messages > 1:
        assert payloads[0]["text"].endswith("(1/2)")
        assert payloads[1]["blocks"][0]["text"]["text"] == "*S49*\n- an item"


@pytest.mark.parametrize(("text_length", "blocks"), [(3000, 1), (3001, 2)])
def test_slack_sections_hold_3000_characters_and_never_cut_an_item(
    text_length: int, blocks: int
) -> None:
    heading = "*Long*"
    first = "- " + "a" * 1500
    # The section text is the heading, the first line and the second, joined by newlines.
    second = "- " + "b" * (text_length - len(heading) - len(first) - 2 - 2)
    payload = slack.messages(digest_of(f"# t\n\n## Long\n\n{first}\n{second}"))[0]
    assert_slack_accepts(payload)
    section_blocks = [b for b in payload["blocks"] if b["type"] == "section"]
    assert len(section_blocks) == blocks
    joined = "\n".join(b["text"]["text"] for b in section_blocks)
    assert first in joined.splitlines()  # whole lines, never cut
    assert second in joined.splitlines()


def test_a_long_header_is_shortened_to_150() -> None:
    payload = slack.messages(digest_of("# " + "x" * 200 + "\n\nhello"))[0]
    assert len(payload["blocks"][0]["text"]["text"]) == 150
    assert_slack_accepts(payload)


def test_slack_text_cannot_smuggle_links_or_mentions() -> None:
    evil = pull(
        41,
        ada,
        at(3),
        title="<!channel> <https://evil.example|click> & co",
        state="merged",
        merged_at=at(4),
        closed_at=at(4),
    )
    [payload] = slack.messages(builtin_digest((evil,)))
    text = json.dumps(payload)
    assert "<!channel>" not in text
    assert "<https://evil.example" not in text
    assert "&lt;!channel&gt;" in text


# Discord ------------------------------------------------------------------------------------


def _discord_total(payload: dict[str, object]) -> int:
    embeds = payload["embeds"]
    assert isinstance(embeds, list)
    return sum(len(e.get("title", "")) + len(e.get("description", "")) for e in embeds)


def test_the_builtin_digest_as_discord_embeds() -> None:
    [message] = discord.messages(builtin_digest())
    assert message["content"] == "**acme/app — Nov 2 to Nov 8, 2026**"
    titles = [embed.get("title") for embed in message["embeds"]]
    assert "Shipped" in titles
    shipped = next(e for e in message["embeds"] if e.get("title") == "Shipped")
    assert "[#1 PR 1](https://github.com/acme/app/pull/1)" in shipped["description"]
    assert message["allowed_mentions"] == {"parse": []}


def test_discord_keeps_each_message_within_10_embeds_and_6000_characters() -> None:
    line = "- " + "x" * 998  # 1,000 characters an item
    text = "# t\n\n" + "\n\n".join(f"## S{n}\n\n" + "\n".join([line] * 3) for n in range(8))
    payloads = discord.messages(digest_of(text))
    for payload in payloads:
        assert len(payload["embeds"]) <= 10
        assert _discord_total(payload) <= 6000
        for embed in payload["embeds"]:
            assert len(embed["description"]) <= 4096
    assert len(payloads) > 1
    all_lines = [
        line
        for payload in payloads
        for embed in payload["embeds"]
        for line in embed["description"].splitlines()
    ]
    assert all_lines == [line] * 24  # every item, whole and in order


def test_discord_splits_a_long_section_into_continued_embeds() -> None:
    line = "- " + "y" * 1998
    payloads = discord.messages(digest_of("# t\n\n## Big\n\n" + "\n".join([line] * 5)))
    embeds = [e for p in payloads for e in p["embeds"]]
    assert [e["title"] for e in embeds] == ["Big", "Big (continued)", "Big (continued)"]


def test_discord_split_at_exactly_6000() -> None:
    # Six embeds of 1,000 characters fit one message; a seventh starts a new one.
    line = "z" * 998
    text = "# t\n\n" + "\n\n".join(f"## {n:02}\n\n{line}" for n in range(7))
    payloads = discord.messages(digest_of(text))
    assert [len(p["embeds"]) for p in payloads] == [6, 1]
    assert _discord_total(payloads[0]) == 6000


# Email --------------------------------------------------------------------------------------

XSS_TITLES = [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    '<img src=x onerror="alert(1)">',
    "<a href='javascript:alert(1)'>x</a>",
]


class _Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)


@pytest.mark.parametrize("title", XSS_TITLES)
def test_email_html_renders_hostile_titles_harmless(title: str) -> None:
    evil = pull(42, ada, at(3), title=title, state="merged", merged_at=at(4), closed_at=at(4))
    message = email.render(builtin_digest((evil,)))
    elements = _Elements()
    elements.feed(message.html)
    assert not {"script", "img", "iframe"} & set(elements.tags)
    assert all(not name.startswith("on") for name, _ in elements.attributes)
    hrefs = [value for name, value in elements.attributes if name == "href"]
    assert hrefs
    assert all(href.startswith("https://github.com/") for href in hrefs)
    assert "https://github.com/acme/app/pull/42" in hrefs


def test_email_has_subject_html_and_text_parts() -> None:
    message = email.render(builtin_digest())
    assert message.subject == "acme/app — Nov 2 to Nov 8, 2026"
    assert '<a href="https://github.com/acme/app/pull/1" rel="noopener noreferrer">' in message.html
    assert "<table>" in message.html
    assert "[#1 PR 1](https://github.com/acme/app/pull/1)" in message.text


def test_a_writer_note_travels_with_every_form() -> None:
    digest = digest_of("# t\n\nhello", note="The LLM writer did not write this digest: timeout.")
    assert "timeout" in json.dumps(slack.messages(digest))
    assert "timeout" in json.dumps(discord.messages(digest))
    assert "timeout" in email.render(digest).html


def test_the_digest_html_aligns_its_figures_without_a_style_attribute() -> None:
    # The web app shows this HTML under `style-src 'self'`, which a style attribute breaks.
    elements = _Elements()
    elements.feed(email.safe_html(builtin_digest().text))
    aligned = [value for name, value in elements.attributes if name == "align"]
    assert "table" in elements.tags
    assert aligned
    assert set(aligned) == {"right"}
    assert "style" not in {name for name, _ in elements.attributes}
