"""Git repositories a hostile user would lay out on the server's disk, built by the test.

Built with the test's own git and environment (nothing here is the code under test).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.digests.test_digest_cli import git

# What a command run by git would show, if git ever ran one: each hostile repository
# echoes it (and the server's secret key, when git was handed the server's environment)
# to git's stderr, and writes it to its marker file.
LEAKED = "LEAKED-BY-GIT"
SECRET = "server-secret-key-that-no-git-command-may-see"


def repository(path: Path, *subjects: str) -> Path:
    """A repository with one commit per subject in November 2026 and a `.mailmap`."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    (path / ".mailmap").write_text("Ada Lovelace <ada@example.com>\n")
    for number, subject in enumerate(subjects):
        when = f"2026-11-{3 + number:02d}T10:00:00Z"
        (path / f"file{number}.txt").write_text(subject)
        git(path, "add", ".", when=when)
        git(path, "commit", "-q", "-m", subject, when=when)
    return path


def partial_clone(upstream: Path, path: Path, marker: Path, transport: str) -> Path:
    """A bare blobless clone whose promisor remote runs a command when git fetches from
    it: `core.sshCommand` on an ssh:// remote, or the `ext::` transport (which its own
    config allows, and which `-c protocol.allow=never` does not stop). Reading HEAD's
    `.mailmap` (as `git log --format=%aN` does in a bare repository) fetches that blob."""
    git(upstream, "config", "uploadpack.allowFilter", "true")
    git(
        upstream.parent,
        "-c",
        "protocol.file.allow=always",
        "clone",
        "-q",
        "--bare",
        "--filter=blob:none",
        f"file://{upstream}",
        str(path),
    )
    shown = f"{LEAKED}-$INFRASYNC_SECRET_KEY"
    command = f"echo {shown} >&2; echo {shown} >{marker}"
    if transport == "ssh":
        git(path, "config", "remote.origin.url", "ssh://git@127.0.0.1/x.git")
        git(path, "config", "core.sshCommand", f"{command}; false")
    else:
        git(path, "config", "remote.origin.url", "ext::sh -c " + command.replace(" ", "% "))
        git(path, "config", "protocol.ext.allow", "always")
    return path


def worktree_with_commondir_outside(secret: Path, path: Path, admin: Path) -> Path:
    """A worktree of `secret` whose `.git` file points inside the roots (`admin`), while
    that directory's `commondir` leads back to `secret`'s git directory."""
    git(secret, "worktree", "add", "-q", "--detach", str(path))
    shutil.move(secret / ".git" / "worktrees" / path.name, admin)
    (path / ".git").write_text(f"gitdir: {admin}\n")
    (admin / "commondir").write_text(f"{secret / '.git'}\n")
    return path


def objects_linked_outside(secret: Path, path: Path) -> Path:
    """A bare repository of its own whose objects and refs are `secret`'s, by symlink."""
    path.mkdir()
    (path / "HEAD").write_text("ref: refs/heads/main\n")
    (path / "config").write_text("[core]\n\trepositoryformatversion = 0\n\tbare = true\n")
    os.symlink(secret / ".git" / "objects", path / "objects")
    os.symlink(secret / ".git" / "refs", path / "refs")
    return path


def corrupt(path: Path) -> str:
    """Overwrites the loose object of the tagged commit: git then fails, and says so on
    stderr with the object's name and the path."""
    git(path, "tag", "v1")
    sha = git(path, "rev-parse", "HEAD").strip()
    loose = path / ".git" / "objects" / sha[:2] / sha[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"not a zlib stream")
    return sha
