"""The `server` fixture's value: a running `infrasync serve` and the ways in to it."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.live_server import run_cli, server_output

LOGIN_LINK = re.compile(r"http://127\.0\.0\.1:\d+/auth/link/[A-Za-z0-9_-]+")
# Where the GitHub app of the `github_server` fixture points: nothing answers there.
UNANSWERED_GITHUB_URL = "http://127.0.0.1:9"


@dataclass(frozen=True)
class Server:
    """A running `infrasync serve`: where it answers, and the directory it runs in (its
    SQLite database and development secrets live there, so the CLI can share them)."""

    base_url: str
    cwd: Path

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def first_admin_link(self) -> str:
        """The one-time sign-in link `serve` prints when no GitHub app is configured."""
        match = LOGIN_LINK.search(server_output(self.cwd))
        assert match is not None, f"no sign-in link in the output:\n{server_output(self.cwd)}"
        return match.group(0)

    def login_link(self, email: str) -> str:
        """A one-time sign-in link for the user with `email` (created if new), from the CLI."""
        done = run_cli(
            "admin",
            "login-link",
            "--email",
            email,
            cwd=self.cwd,
            INFRASYNC_PUBLIC_URL=self.base_url,
        )
        assert done.returncode == 0, done.stderr
        match = LOGIN_LINK.search(done.stdout)
        assert match is not None, done.stdout
        return match.group(0)


DEMO_COMMITS = ("Add the widget parser", "Fix the off-by-one in the widget parser")


def make_git_repository(path: Path, subjects: tuple[str, ...] = DEMO_COMMITS) -> Path:
    """A small git repository at `path` with one commit per subject, made now."""
    path.mkdir(parents=True, exist_ok=True)

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=Ada Lovelace", "-c", "user.email=ada@example.com", *args],
            cwd=path,
            check=True,
            capture_output=True,
            text=True,
        )

    git("init", "--quiet", "--initial-branch=main")
    for number, subject in enumerate(subjects):
        (path / f"change-{number}.txt").write_text(f"{subject}\n", encoding="utf-8")
        git("add", ".")
        git("commit", "--quiet", "-m", subject)
    return path
