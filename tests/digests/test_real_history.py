"""`infrasync digest` on a real repository's history: pallets/markupsafe (the bundle in
tests/fixtures/git/), a year at a time for four years in which dependabot,
dependabot-preview and pre-commit-ci made about half of its commits.

What a reader must see: the real changes first, and each bot as one line whose count
is what `git log` says that bot did in the year, with no bot commit anywhere else.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.live_server import run_cli

BUNDLE = Path(__file__).parents[1] / "fixtures" / "git" / "pallets-markupsafe.bundle"
YEARS = (2020, 2021, 2022, 2023)
BOTS = ("dependabot", "dependabot-preview", "pre-commit-ci")


@pytest.fixture(scope="module")
def markupsafe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    clone = tmp_path_factory.mktemp("real") / "markupsafe"
    subprocess.run(["git", "clone", "-q", str(BUNDLE), str(clone)], check=True)
    return clone


def git_log(repo: Path, year: int, *args: str) -> list[str]:
    """Non-merge commits of the year by committer date, as `git log` itself sees them."""
    result = subprocess.run(
        [
            "git",
            "log",
            "--no-merges",
            f"--since={year}-01-01T00:00:00Z",
            f"--until={year}-12-31T23:59:59Z",
            *args,
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split()


def bot_shas(repo: Path, year: int, bot: str) -> list[str]:
    # `--author` is a pattern: the brackets keep dependabot from matching -preview.
    return git_log(repo, year, f"--author=^{re.escape(bot)}\\[bot\\]", "--format=%H")


def section(text: str, title: str) -> list[str]:
    match = re.search(rf"^## {title}\n\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"no {title!r} in:\n{text}"
    return [line for line in match.group(1).splitlines() if line]


@pytest.mark.parametrize("year", YEARS)
def test_a_real_year_shows_real_changes_first_and_each_bot_once(
    markupsafe: Path, tmp_path: Path, year: int
) -> None:
    result = run_cli(
        "digest",
        str(markupsafe),
        "--since",
        f"{year}-01-01",
        "--until",
        f"{year + 1}-01-01",
        "--writer",
        "builtin",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings[0] == "Shipped"
    assert headings.index("Shipped") < headings.index("Dependency and bot updates")

    # Shipped holds people's commits only, and comes first.
    shipped = [line for line in section(text, "Shipped") if line.startswith("- `")]
    assert shipped
    for line in shipped:
        assert not re.search(r"by (dependabot|pre-commit-ci)", line), line

    bots = section(text, "Dependency and bot updates")
    seen = 0
    for bot in BOTS:
        shas = bot_shas(markupsafe, year, bot)
        lines = [line for line in bots if re.search(rf"by {re.escape(bot)}:", line)]
        if not shas:
            assert lines == []
            continue
        seen += len(shas)
        [line] = lines  # one line per bot, whatever it did
        noun = "update" if bot == "pre-commit-ci" else "dependency update"
        assert line.startswith(f"- {len(shas)} {noun}{'s' if len(shas) > 1 else ''} by {bot}: ")
        shown = re.findall(r"`([0-9a-f]{7})`", line)
        assert shown == [sha[:7] for sha in shas[: len(shown)]]  # newest first, as git log
        # No bot commit is a line of its own anywhere.
        for sha in shas:
            assert text.count(sha[:7]) <= 1
    assert seen > 0
    assert len(bots) <= len(BOTS)
