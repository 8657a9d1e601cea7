"""The builtin writer's rules, one by one (docs/digests.md states each); the whole text
of whole digests is in test_golden_digests.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from infrasync.digests.document import DigestItems, build_items, period_of, repository_of
from infrasync.digests.kinds import kind_of
from infrasync.digests.metrics import compute_metrics
from infrasync.sources.model import (
    Activity,
    Commit,
    DraftChange,
    Issue,
    IssueComment,
    Person,
    PullRequest,
    SourceInfo,
)
from infrasync.writers.builtin import SHOWN, code, escape, headline, link, write
from tests.digests.test_metrics import (
    COMMITS,
    PULLS,
    ada,
    at,
    bob,
    cy,
    dependabot,
    pull,
    review,
    week,
)


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


def _headings(text: str) -> list[str]:
    return [line[3:] for line in text.splitlines() if line.startswith("## ")]


def _shifted(value: object, delta: timedelta) -> object:
    if isinstance(value, datetime):
        return value + delta
    if isinstance(value, dict):
        return {key: _shifted(item, delta) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_shifted(item, delta) for item in value]
    return value


def _previous(activity: Activity) -> Activity:
    """The same activity a week earlier: the previous period of `week()`."""
    return Activity.model_validate(_shifted(activity.model_dump(), -timedelta(days=7)))


GIT = SourceInfo(kind="git", name="/src/app")
git_ada = Person(name="Ada", email="ada@example.com")
git_bob = Person(name="Bob", email="bob@example.com")
git_bot = Person(
    name="dependabot[bot]", email="1+dependabot[bot]@users.noreply.github.com", is_bot=True
)


def local(commits: tuple[Commit, ...]) -> Activity:
    """`week()` of a local git repository: commits and tags only."""
    return week(commits=commits, pull_requests=None, issues=None).model_copy(update={"source": GIT})


def git_commit(sha: str, message: str, author: Person, when: datetime) -> Commit:
    return Commit(
        sha=sha, message=message, author=author, authored_at=when, committed_at=when, parents=1
    )


def bot_commit(sha: str, when: datetime, bot: Person = dependabot) -> Commit:
    return Commit(
        sha=sha,
        message=f"Bump lib {sha}",
        author=bot,
        authored_at=when,
        committed_at=when,
        parents=1,
    )


def test_sections_come_in_the_order_a_reader_needs_them() -> None:
    text = _write(week(), _previous(week()))
    assert _headings(text) == [
        "Shipped",
        "Needs attention",
        "Releases",
        "Dependency and bot updates",
        "New contributors",
        "Commits",
        "Numbers",
    ]
    assert text.startswith("# acme/app — Nov 2 to Nov 8, 2026\n\n**")


# Headline ----------------------------------------------------------------------------------


def test_the_headline_names_the_figures_that_moved_most_with_arrows() -> None:
    previous = _previous(week(commits=COMMITS[:1], pull_requests=PULLS[:1]))
    line = headline(compute_metrics(week(), previous))
    # How far each moved, by change over the square root of the larger value: opened
    # 0 -> 6 (2.45), commits 1 -> 4 (1.5), merged 1 -> 3 (1.15), then stale 0 -> 1 (1.0),
    # left out: three figures at most. Releases and issues did not move.
    assert line == (
        "6 pull requests opened (↑6 from 0), 4 commits (↑3 from 1) and "
        "3 pull requests merged (↑2 from 1), against the previous period."
    )


def test_a_figure_that_fell_points_down() -> None:
    previous = _previous(week())
    quieter = week(commits=COMMITS[:1])
    assert "1 commit (↓3 from 4)" in headline(compute_metrics(quieter, previous))


def test_without_a_previous_period_the_headline_states_the_main_figures() -> None:
    assert headline(compute_metrics(week())) == (
        "3 pull requests merged, 4 commits and 2 releases."
    )


def test_when_nothing_moved_the_headline_says_so() -> None:
    assert headline(compute_metrics(week(), _previous(week()))).startswith(
        "The same as the previous period: 3 pull requests merged"
    )


# Shipped -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "labels", "kind"),
    [
        ("Make it faster", ("performance",), "Performance"),
        ("feat: a thing", ("bug",), "Fixes"),  # labels first
        ("feat(cli): a flag", (), "Features"),
        ("fix!: no more --old", (), "Breaking changes"),
        ("Add a flag", ("help wanted",), "Other"),  # not a kind label: the title decides
        ("Docs: typo", ("type: documentation",), "Documentation"),
        ("x", ("🐛 bug", "enhancement"), "Features"),  # features before fixes
    ],
)
def test_a_change_is_grouped_by_label_then_prefix_then_other(
    title: str, labels: tuple[str, ...], kind: str
) -> None:
    assert kind_of(title, labels) == kind


def _merged(
    number: int, title: str, labels: tuple[str, ...] = (), author: Person = ada
) -> PullRequest:
    return pull(
        number,
        author,
        at(3),
        title=title,
        labels=labels,
        state="merged",
        merged_at=at(3, number % 20),
        closed_at=at(3, number % 20),
    )


def test_shipped_groups_merged_pull_requests_by_kind_newest_first() -> None:
    pulls = (
        _merged(1, "fix: crash"),
        _merged(2, "Speed", ("performance",)),
        _merged(3, "feat: more"),
        _merged(4, "fix: another crash"),
        _merged(5, "Tidy"),
    )
    shipped = _section(_write(week(pull_requests=pulls)), "Shipped")
    labels = [line for line in shipped.splitlines() if line.startswith("**")]
    assert labels == ["**Features**", "**Fixes**", "**Performance**", "**Other**"]
    fixes = shipped.split("**Fixes**")[1].split("**Performance**")[0]
    assert [re.findall(r"#(\d+)", line) for line in fixes.split("\n") if line] == [["4"], ["1"]]


def test_a_lone_other_group_has_no_label() -> None:
    shipped = _section(_write(week(pull_requests=(_merged(1, "Tidy"),))), "Shipped")
    assert "**Other**" not in shipped
    assert "[#1 Tidy]" in shipped


def test_a_long_group_shows_a_few_and_links_the_rest() -> None:
    pulls = tuple(_merged(n, f"fix: bug {n}") for n in range(1, SHOWN + 4))
    shipped = _section(_write(week(pull_requests=pulls)), "Shipped")
    assert len(re.findall(r"^- \[#", shipped, re.M)) == SHOWN
    assert re.search(
        r"^- \[and 3 more\]\(https://github\.com/acme/app/pulls\?q=is%3Apr", shipped, re.M
    )


def test_local_commits_are_grouped_the_same_way() -> None:
    commits = (
        git_commit("a" * 40, "feat: x", git_ada, at(3)),
        git_commit("b" * 40, "Tidy", git_bob, at(4)),
    )
    text = _write(local(commits))
    shipped = _section(text, "Shipped")
    assert shipped.split("\n\n")[:4] == [
        "**Features**",
        "- `aaaaaaa` feat: x by Ada",
        "**Other**",
        "- `bbbbbbb` Tidy by Bob",
    ]
    assert "Commits" not in _headings(text)  # each commit is told once, in Shipped


# Needs attention ---------------------------------------------------------------------------


def test_waiting_pull_requests_come_oldest_first_with_their_age() -> None:
    pulls = (
        pull(10, bob, at(4)),  # waiting since Nov 4 12:00: 4 days 12 hours at the end
        pull(11, ada, datetime(2026, 10, 20, tzinfo=UTC)),
        # Opened first but a draft until Nov 1: it has waited from then.
        pull(
            12,
            cy,
            datetime(2026, 10, 1, tzinfo=UTC),
            draft_changes=(DraftChange(at=at(1), draft=False),),
        ),
        pull(13, dependabot, datetime(2026, 10, 1, tzinfo=UTC)),  # a bot's: on its line
    )
    text = _write(week(pull_requests=pulls))
    attention = _section(text, "Needs attention")
    assert attention.splitlines()[2:5] == [
        "- [#11 PR 11](https://github.com/acme/app/pull/11) by @ada — waiting 20 days",
        "- [#12 PR 12](https://github.com/acme/app/pull/12) by @cy — waiting 7 days",
        "- [#10 PR 10](https://github.com/acme/app/pull/10) by @bob — waiting 4 days",
    ]
    assert "#13" not in attention
    assert "1 waiting for review" in _section(text, "Dependency and bot updates")


def _asked(number: int, *reviews: object, pushed: datetime | None) -> PullRequest:
    return pull(number, ada, at(1), reviews=reviews, head_committed_at=pushed)


def test_changes_requested_with_nothing_pushed_since_need_attention() -> None:
    pulls = (
        _asked(20, review(bob, at(5), "changes_requested"), pushed=at(4)),
        _asked(21, review(bob, at(5), "changes_requested"), pushed=at(6)),  # answered
        _asked(  # withdrawn: the same reviewer approved later
            22,
            review(bob, at(3), "changes_requested"),
            review(bob, at(5), "approved"),
            pushed=at(2),
        ),
        _asked(23, review(bob, at(5), "changes_requested"), pushed=None),  # unknown branch
        _asked(24, review(ada, at(5), "changes_requested"), pushed=at(2)),  # its author
    )
    attention = _section(_write(week(pull_requests=pulls)), "Needs attention")
    asked = attention.split("**Changes requested, no update since**")[1]
    assert re.findall(r"#(\d+)", asked) == ["20"]
    assert (
        "#20 PR 20](https://github.com/acme/app/pull/20) by @ada — @bob asked 3 days ago" in asked
    )


def _issue(number: int, *comments: tuple[Person, datetime], **fields: object) -> Issue:
    values: dict[str, object] = {
        "number": number,
        "title": f"Issue {number}",
        "url": f"https://github.com/acme/app/issues/{number}",
        "author": cy,
        "state": "open",
        "created_at": at(3),
        "updated_at": at(4),
        "comments": tuple(IssueComment(author=who, created_at=when) for who, when in comments),
        "comment_count": len(comments),
    }
    values.update(fields)
    return Issue.model_validate(values)


def test_issues_nobody_but_their_author_answered_need_attention() -> None:
    actions = Person(login="github-actions", is_bot=True)
    issues = (
        _issue(30),
        _issue(31, (cy, at(4))),  # only its author
        _issue(32, (actions, at(4))),  # only a bot
        _issue(33, (bob, at(4))),  # answered
        _issue(34, (bob, at(9, 1))),  # answered after the period: not yet then
        _issue(35, closed_at=at(5), state="closed"),
        _issue(36, comments=None, comment_count=None),  # the source read no comments
        _issue(37, (cy, at(4)), comment_count=5),  # more comments than were read
        _issue(38, created_at=datetime(2026, 10, 1, tzinfo=UTC)),  # opened before
    )
    attention = _section(_write(week(issues=issues)), "Needs attention")
    unanswered = attention.split("**Issues no one has answered yet**")[1]
    assert re.findall(r"#(\d+)", unanswered) == ["30", "31", "32", "34"]
    assert "by @cy — opened 5 days ago" in unanswered


# Bots --------------------------------------------------------------------------------------


def test_each_bot_is_one_line_linking_to_its_list() -> None:
    bot_pulls = tuple(
        pull(40 + n, dependabot, at(3), state="merged", merged_at=at(4), closed_at=at(4))
        for n in range(12)
    )
    pre_commit = Person(login="pre-commit-ci[bot]", is_bot=True)
    commits = (*COMMITS, bot_commit("p1", at(5), pre_commit), bot_commit("p2", at(6), pre_commit))
    text = _write(week(commits=commits, pull_requests=PULLS + bot_pulls))
    bots = _section(text, "Dependency and bot updates").strip().splitlines()
    assert bots[0].startswith(
        "- [13 dependency updates by dependabot](https://github.com/acme/app/pulls?q="
        "is%3Apr+is%3Amerged+merged%3A2026-11-02T00%3A00%3A00%2B00%3A00.."
        "2026-11-08T23%3A59%3A59%2B00%3A00+author%3Aapp%2Fdependabot)"
        " and [1 commit](https://github.com/acme/app/commits?since="
    )
    assert bots[1].startswith("- [2 updates by pre-commit-ci](https://github.com/acme/app/commits?")
    assert len(bots) == 2
    assert not re.search(r"#(3|4\d)\b", text)  # no bot pull request on a line of its own


def test_a_local_bot_line_lists_its_shas() -> None:
    commits = tuple(bot_commit(f"{n:02d}" + "f" * 38, at(3, n), git_bot) for n in range(SHOWN + 2))
    line = _section(_write(local(commits)), "Dependency and bot updates").strip()
    assert line.startswith("- 12 dependency updates by dependabot: `11fffff`, `10fffff`")
    assert line.endswith("`02fffff` and 2 more")


# Commits -----------------------------------------------------------------------------------


def test_github_commits_are_those_no_listed_pull_request_brought() -> None:
    via_pull = Commit(
        sha="e" * 40,
        message="Part of #1",
        url="https://github.com/acme/app/commit/" + "e" * 40,
        author=ada,
        authored_at=at(3),
        committed_at=at(3),
        parents=1,
        pull_request=1,
    )
    text = _write(week(commits=(*COMMITS, via_pull)))
    commits = _section(text, "Commits")
    assert "eeeeeee" not in text
    assert re.findall(r"`(\w+)`", commits) == ["c3", "c2", "c1"]  # newest first, no bot


def test_at_most_n_commits_and_a_link_to_the_rest() -> None:
    many = tuple(
        Commit(
            sha=f"{n:040x}",
            message=f"feat: change {n}" if n % 2 else f"fix: change {n}",  # two kinds
            author=ada,
            authored_at=at(3),
            committed_at=at(3, n),
            parents=1,
        )
        for n in range(SHOWN + 5)
    )
    commits = _section(_write(week(commits=many)), "Commits")
    assert len(re.findall(r"^- `", commits, re.M)) == SHOWN
    assert "- [and 5 more](https://github.com/acme/app/commits?since=2026-11-02" in commits


# New contributors, releases, numbers -------------------------------------------------------


def test_new_contributors_are_welcomed() -> None:
    welcome = _section(_write(week()), "New contributors")
    assert welcome.splitlines()[0] == "A warm welcome to our first-time contributor, and thank you:"
    assert "- [cy](https://github.com/cy)" in welcome


def test_releases_link_their_tags() -> None:
    releases = _section(_write(week()), "Releases")
    assert "- `v1.0` — Nov 3" in releases  # no page to link: the tag as code
    linked = week(
        releases=(
            week()
            .releases[0]
            .model_copy(
                update={"url": "https://github.com/acme/app/releases/tag/v1.0", "name": "One"}
            ),
        )
    )
    assert "- [v1.0](https://github.com/acme/app/releases/tag/v1.0): One — Nov 3" in _write(linked)


def test_the_previous_period_sits_beside_this_one() -> None:
    numbers = _section(_write(week(), _previous(week())), "Numbers")
    assert numbers.splitlines()[0] == "| | this period | previous |"
    assert "| Commits | 4 | 4 |" in numbers


def test_a_quiet_period_says_so() -> None:
    text = _write(week(commits=(), pull_requests=(), issues=(), releases=()))
    assert "A quiet period: no commits, pull requests, issues or releases." in text
    assert "## " not in text


def test_a_local_repository_has_no_pull_request_figures() -> None:
    text = _write(local((git_commit("c" * 40, "change", git_bob, at(4)),)))
    assert "- `ccccccc` change by Bob" in _section(text, "Shipped")  # no @login in git
    assert "Pull requests" not in _section(text, "Numbers")
    assert "Needs attention" not in text


def test_only_the_chosen_sections_are_written() -> None:
    activity = week()

    def headings(sections: set[str]) -> list[str]:
        text = write(
            repository_of(activity),
            period_of(activity),
            compute_metrics(activity),
            build_items(activity),
            sections=sections,
        )
        return _headings(text)

    assert headings({"shipped", "numbers"}) == [
        "Shipped",
        "Dependency and bot updates",
        "Commits",
        "Numbers",
    ]
    assert headings({"releases"}) == ["Releases"]
    # The older keys still choose their part of Needs attention.
    assert headings({"in_review"}) == ["Needs attention"]


def test_new_item_fields_have_defaults() -> None:
    # Stored digests from before these fields still load.
    assert DigestItems.model_validate({"merged": [], "commits": []}).bot_updates == ()


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
