from __future__ import annotations

import re
from datetime import timedelta

from infrasync.digests.document import build_items, period_of, repository_of
from infrasync.digests.metrics import compute_metrics
from infrasync.sources.model import Activity
from infrasync.writers.builtin import code, escape, link, write
from tests.digests.test_metrics import COMMITS, PULLS, ada, at, pull, week


def _write(activity: Activity, previous: Activity | None = None) -> str:
    return write(
        repository_of(activity),
        period_of(activity),
        compute_metrics(activity, previous),
        build_items(activity),
    )


def _section(text: str, title: str) -> str:
    match = re.search(rf"^## {title}\n\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"no section {title!r} in:\n{text}"
    return match.group(1)


def test_a_week_reads_as_sections_with_every_item_linked() -> None:
    text = _write(week())
    assert text.startswith("# acme/app — Nov 2 to Nov 8, 2026\n")
    assert "**3 pull requests merged; 1 waiting too long for review; 2 issues opened" in text
    shipped = _section(text, "Shipped")
    assert shipped.splitlines()[:3] == [
        "- [#1 PR 1](https://github.com/acme/app/pull/1) by @ada — merged Nov 3",
        "- [#2 PR 2](https://github.com/acme/app/pull/2) by @bob — merged Nov 5",
        "- [#3 PR 3](https://github.com/acme/app/pull/3) by @dependabot\\[bot\\] — merged Nov 6",
    ]
    attention = _section(text, "Needs attention")
    assert "[#5 PR 5](https://github.com/acme/app/pull/5)" in attention
    assert "#5" not in _section(text, "In review")  # listed once, where it matters
    issues = _section(text, "Issues")
    assert "[#20 Crash](https://github.com/acme/app/issues/20) by @cy" in issues
    assert "Closed:" in issues
    assert "- [cy](https://github.com/cy)" in _section(text, "New contributors")
    releases = _section(text, "Releases")
    assert "`v1.0` — Nov 3" in releases
    assert "(pre-release)" in releases
    numbers = _section(text, "Numbers")
    assert "| Commits | 4 |" in numbers
    assert "| Median hours to merge | 12.0 |" in numbers


def test_the_previous_period_sits_beside_this_one() -> None:
    previous = week(commits=COMMITS[:2], pull_requests=PULLS[:1])
    shifted = Activity.model_validate(
        {
            **previous.model_dump(),
            "window": {
                "since": at(2) - timedelta(days=7, hours=12),
                "until": at(2) - timedelta(hours=12),
            },
        }
    )
    numbers = _section(_write(week(), shifted), "Numbers")
    assert numbers.splitlines()[0] == "| | this period | previous |"


def test_a_quiet_period_says_so() -> None:
    text = _write(week(commits=(), pull_requests=(), issues=(), releases=()))
    assert "A quiet period: no commits, pull requests, issues or releases." in text
    assert "## " not in text


def test_a_local_repository_lists_commits_and_no_pull_request_figures() -> None:
    text = _write(week(pull_requests=None, issues=None))
    commits = _section(text, "Commits")
    assert "`c4` change c4 by dependabot\\[bot\\]" in commits  # git authors have no @login
    assert "Pull requests" not in _section(text, "Numbers")
    assert "Shipped" not in text


def test_titles_cannot_inject_markdown_links_or_html() -> None:
    evil = pull(
        40,
        ada,
        at(3),
        title="Fix [click](javascript:alert(1)) <script>x</script> **bold**",
        state="merged",
        merged_at=at(4),
        closed_at=at(4),
    )
    text = _write(week(pull_requests=(evil,)))
    line = next(line for line in text.splitlines() if "#40" in line)
    assert "](javascript:" not in line
    assert "<script>" not in line
    assert line.count("](") == 1  # the one link we made


def test_escape_keeps_text_readable() -> None:
    assert escape("a_b *c* [d]") == "a\\_b \\*c\\* \\[d\\]"
    assert escape("multi\nline   title") == "multi line title"
    assert escape("Tom & Jerry: v1.2-rc") == "Tom \\& Jerry: v1.2-rc"  # `&lt;` stays text
    assert escape("- not a list") == "\\- not a list"
    assert escape("1. not a list") == "1\\. not a list"
    assert escape("bell\x07 and nul\x00") == "bell and nul"


def test_a_tag_is_code_unless_it_could_end_the_code_span() -> None:
    assert code("v1.2.3") == "`v1.2.3`"
    assert code("release/2026-11@x") == "`release/2026-11@x`"
    assert code("v1`<b>") == "v1\\`\\<b\\>"
    assert code("two words") == "two words"


def test_links_go_to_web_addresses_only_and_stay_whole() -> None:
    assert link("a", "https://example.com/a b(c)") == "[a](https://example.com/a%20b%28c%29)"
    assert link("a", "javascript:alert(1)") == "a"
    assert link("a", None) == "a"


def test_only_the_chosen_sections_are_written() -> None:
    activity = week()
    text = write(
        repository_of(activity),
        period_of(activity),
        compute_metrics(activity),
        build_items(activity),
        sections={"shipped", "numbers"},
    )
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## Shipped", "## Numbers"]
