"""Local git sources are confined to the operator's roots, and git runs disarmed.

Whoever may add a monitor must not read a repository outside INFRASYNC_LOCAL_SOURCE_ROOTS
by any path that leads there, nor learn which paths exist; and a repository crafted to
attack the server, even inside a root, must not make it run a command, nor show anyone
what git printed.

The disk: `outer` is a repository outside every root, and the one root lies in its work
tree, so git searching upward from the root would find it.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infrasync.config import load_settings
from infrasync.sources.local_git import disarmed_environment
from infrasync.sources.service import (
    GIT_FAILED,
    REFUSED,
    LocalSourceRefused,
    confine_local_source,
)
from tests.conftest import Personas, SignIn
from tests.digests.test_digest_cli import git
from tests.live_server import run_cli
from tests.security.hostile_git import (
    LEAKED,
    SECRET,
    corrupt,
    objects_linked_outside,
    partial_clone,
    repository,
    worktree_with_commondir_outside,
)

SECRET_SUBJECT = "Secret plan of the outer repository"
WEEK = {"since": "2026-11-02", "until": "2026-11-09"}
RUN_REFUSED = f"The digest could not be made: {REFUSED}"


@dataclass(frozen=True)
class Disk:
    outer: Path
    root: Path
    project: Path
    marker: Path


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, object]:
    return {"local_source_roots": (tmp_path / "outer" / "root",)}


@pytest.fixture
def disk(tmp_path: Path) -> Disk:
    outer = repository(tmp_path / "outer", SECRET_SUBJECT)
    root = outer / "root"
    root.mkdir()
    project = repository(root / "project", "Step 0", "Step 1")
    return Disk(outer=outer, root=root, project=project, marker=tmp_path / "marker")


async def _create(http: httpx.AsyncClient, source: str) -> httpx.Response:
    return await http.post("/api/orgs/acme/monitors", json={"source": source})


async def _run(http: httpx.AsyncClient, monitor_id: str) -> httpx.Response:
    return await http.post(f"/api/orgs/acme/monitors/{monitor_id}/digests?wait=true", json=WEEK)


def _ways_out(disk: Disk) -> dict[str, str]:
    """Every way tried of naming something outside the root, or nothing at all."""
    root, outer = disk.root, disk.outer
    (root / "plain").mkdir()
    (root / "plain" / "notes.txt").write_text("not a repository")
    os.symlink(outer, root / "link-out")
    os.symlink(root / "loop", root / "loop")
    (root / "gitfile").mkdir()
    (root / "gitfile" / ".git").write_text(f"gitdir: {outer / '.git'}\n")
    worktree_with_commondir_outside(outer, root / "worktree", root / "worktree-admin")
    git(root, "clone", "-q", "--shared", str(outer), str(root / "borrower"))
    objects_linked_outside(outer, root / "linked")
    assert Path.cwd() == outer.parent / "cwd"  # the server's working directory
    return {
        "the repository outside": str(outer),
        "nothing, outside": str(outer / "nothing-here"),
        "nothing, inside": str(root / "nothing-here"),
        "a symlink out": str(root / "link-out"),
        "..": f"{root}/..",
        "a file:// URL": f"file://{root}/..",
        "a git: path": f"git:{root}/..",
        "/proc/self/cwd": "/proc/self/cwd/../outer",
        "/proc/self/root": f"/proc/self/root{outer}",
        "a .git file pointing out": str(root / "gitfile"),
        "a worktree whose commondir points out": str(root / "worktree"),
        "objects borrowed from outside (alternates)": str(root / "borrower"),
        "objects and refs symlinked out": str(root / "linked"),
        "the root itself, in the repository above it": str(root),
        "a directory in the root, not a repository": str(root / "plain"),
        "a file": str(root / "plain" / "notes.txt"),
        "a file taken for a directory": str(root / "plain" / "notes.txt" / "x"),
        "a symlink loop": str(root / "loop"),
        "a name over 255 bytes": f"{root}/{'x' * 300}",
    }


async def test_every_way_out_of_the_root_gets_the_same_refusal(
    sign_in: SignIn, personas: Personas, disk: Disk
) -> None:
    member = await sign_in(personas.member)
    answers = {}
    for way, source in _ways_out(disk).items():
        response = await _create(member, source)
        answers[way] = (response.status_code, response.json().get("detail"))
    assert {way: answer for way, answer in answers.items() if answer != (400, REFUSED)} == {}
    assert (await member.get("/api/orgs/acme/monitors")).json() == []


async def test_repositories_inside_the_root_are_read_however_they_are_laid_out(
    sign_in: SignIn, personas: Personas, disk: Disk
) -> None:
    """A work tree, a bare clone, a linked worktree (.git file and commondir, both inside)
    and a symlink that stays inside."""
    root, project = disk.root, disk.project
    git(root, "clone", "-q", "--bare", str(project), str(root / "project.git"))
    git(project, "worktree", "add", "-q", "--detach", str(root / "project-wt"))
    os.symlink(project, root / "alias")
    head = git(project, "rev-parse", "HEAD").strip()
    member = await sign_in(personas.member)
    for name in ("project", "project.git", "project-wt", "alias"):
        created = await _create(member, str(root / name))
        assert created.status_code == 201, (name, created.text)
        made = await _run(member, created.json()["id"])
        assert made.status_code == 201, (name, made.text)
        assert made.json()["metrics"]["commits"] == 2, name
        assert made.json()["repository"]["revision"] == head, name


async def test_a_monitor_is_confined_again_at_every_run(
    sign_in: SignIn, personas: Personas, disk: Disk
) -> None:
    member = await sign_in(personas.member)
    monitor = (await _create(member, str(disk.project))).json()
    assert (await _run(member, monitor["id"])).status_code == 201
    shutil.rmtree(disk.project)
    os.symlink(disk.outer, disk.project)  # the same path now leads out of the root
    response = await member.post(
        f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true", json={}
    )
    assert response.status_code == 409
    assert response.json()["detail"] == RUN_REFUSED
    shown = (await member.get(f"/api/orgs/acme/monitors/{monitor['id']}")).json()
    assert shown["last_run_error"] == REFUSED
    digests = (await member.get("/api/orgs/acme/digests")).text
    assert SECRET_SUBJECT not in digests


@pytest.mark.parametrize("transport", ["ssh", "ext"])
async def test_a_hostile_partial_clone_in_the_root_makes_the_server_run_nothing(
    sign_in: SignIn,
    personas: Personas,
    disk: Disk,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    transport: str,
) -> None:
    monkeypatch.setenv("INFRASYNC_SECRET_KEY", SECRET)  # as in the server's environment
    upstream = repository(tmp_path / "upstream", "Step 0")
    hostile = partial_clone(upstream, disk.root / "hostile", disk.marker, transport)
    member = await sign_in(personas.member)
    # Refused when a monitor is made on it...
    refused = await _create(member, str(hostile))
    assert refused.status_code == 400, refused.text
    assert refused.json()["detail"] == REFUSED
    # ...and when a monitor made on a sound repository finds it swapped at its next run.
    sound = repository(disk.root / "sound", "Step 0")
    created = await _create(member, str(sound))
    assert created.status_code == 201, created.text
    shutil.rmtree(sound)
    partial_clone(upstream, sound, disk.marker, transport)
    run = await _run(member, created.json()["id"])
    shown = await member.get(f"/api/orgs/acme/monitors/{created.json()['id']}")
    assert not disk.marker.exists()
    assert run.status_code == 409
    assert run.json()["detail"] == RUN_REFUSED
    assert shown.json()["last_run_error"] == REFUSED
    for answer in (refused.text, created.text, run.text, shown.text):
        assert LEAKED not in answer
        assert SECRET not in answer


@pytest.mark.parametrize("transport", ["ssh", "ext"])
def test_the_cli_refuses_a_hostile_partial_clone_and_runs_nothing(
    tmp_path: Path, transport: str
) -> None:
    upstream = repository(tmp_path / "upstream", "Step 0")
    marker = tmp_path / "marker"
    hostile = partial_clone(upstream, tmp_path / "hostile", marker, transport)
    result = run_cli(
        "digest", str(hostile), "--since", "2026-11-02", cwd=tmp_path, INFRASYNC_SECRET_KEY=SECRET
    )
    assert not marker.exists()
    assert LEAKED not in result.stdout + result.stderr
    assert result.returncode == 2, result.stderr
    assert "is a partial clone" in result.stderr


@pytest.mark.parametrize("transport", ["ssh", "ext"])
def test_git_in_the_disarmed_environment_fetches_nothing_even_from_a_partial_clone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    """Behind the partial-clone refusal, the environment alone keeps git from running
    the repository's command (here git reads the blob it lacks, as `git log` does)."""
    monkeypatch.setenv("INFRASYNC_SECRET_KEY", SECRET)
    upstream = repository(tmp_path / "upstream", "Step 0")
    marker = tmp_path / "marker"
    hostile = partial_clone(upstream, tmp_path / "hostile", marker, transport)
    environment = disarmed_environment()
    done = subprocess.run(
        ["git", "-C", str(hostile), "log", "--format=%aN", "HEAD"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert not marker.exists()
    assert LEAKED not in done.stderr
    assert SECRET not in str(environment)
    assert not any(Path(environment["HOME"]).iterdir())


async def test_what_git_prints_never_reaches_a_user(
    sign_in: SignIn,
    personas: Personas,
    disk: Disk,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.INFO)
    member = await sign_in(personas.member)
    monitor = (await _create(member, str(disk.project))).json()
    sha = corrupt(disk.project)
    run = await _run(member, monitor["id"])
    shown = (await member.get(f"/api/orgs/acme/monitors/{monitor['id']}")).json()
    assert run.status_code == 409
    assert run.json()["detail"] == f"The digest could not be made: {GIT_FAILED}"
    assert shown["last_run_error"] == GIT_FAILED
    for answer in (run.text, shown["last_run_error"]):
        assert sha[:7] not in answer
        assert str(disk.project) not in answer
        assert "fatal" not in answer
    logged = caplog.text + capsys.readouterr().out
    assert "git_failed" in logged  # the operator learns what happened, by code


def test_a_nul_byte_or_a_fifo_is_the_same_refusal(disk: Disk) -> None:
    settings = load_settings(local_source_roots=(disk.root,))
    with pytest.raises(LocalSourceRefused) as nul:
        confine_local_source(settings, Path(f"{disk.project}\x00/x"))
    # A FIFO in the git directory would leave git (or the check) waiting forever.
    (disk.project / ".git" / "packed-refs").unlink(missing_ok=True)
    os.mkfifo(disk.project / ".git" / "packed-refs")
    with pytest.raises(LocalSourceRefused) as fifo:
        confine_local_source(settings, disk.project)
    assert str(nul.value) == str(fifo.value) == REFUSED


# Generated paths: whatever is typed, the answer is the one refusal (or a plain 4xx about
# the input's form), never a 500, and a monitor is made only on a repository in the root.

_SEGMENTS = st.one_of(
    st.sampled_from(
        ["..", ".", "", "project", "link-out", "loop", ".git", "x" * 300, "\x00", "~", "*"]
    ),
    st.text(st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=20),
)
_PREFIXES = st.sampled_from(["{root}/", "{outer}/", "/", "file://{root}/", "git:{root}/", ""])
_PREFIX_EXTRAS = st.sampled_from(["", "/proc/self/cwd/", "/proc/self/root"])


@settings(
    max_examples=120,
    deadline=None,  # tests never depend on how fast the machine is
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    prefix=_PREFIXES,
    extra=_PREFIX_EXTRAS,
    segments=st.lists(_SEGMENTS, max_size=5),
)
async def test_generated_local_paths_never_make_a_500_nor_escape_the_root(
    sign_in: SignIn, personas: Personas, disk: Disk, prefix: str, extra: str, segments: list[str]
) -> None:
    if not (disk.root / "link-out").exists():
        os.symlink(disk.outer, disk.root / "link-out")
        os.symlink(disk.root / "loop", disk.root / "loop")
    start = prefix.format(root=disk.root, outer=disk.outer)
    if extra and start.startswith("/"):
        start = extra.rstrip("/") + start
    source = start + "/".join(segments)
    member = await sign_in(personas.member)
    answer = await _create(member, source)
    assert answer.status_code in (201, 400, 422), (source, answer.text)
    if answer.status_code == 201:
        made = Path(os.path.realpath(answer.json()["source"].removeprefix("file://")))
        assert made.is_relative_to(os.path.realpath(disk.root)), source
        return
    detail = answer.json()["detail"]
    assert (
        "\x00" in source
        or detail in (REFUSED,)
        or detail.startswith(
            ("Give the local repository as an absolute path", "source:", "The source")
        )
    ), (source, detail)
    assert SECRET_SUBJECT not in answer.text
