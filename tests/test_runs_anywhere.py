"""The tests run on any clone: the fakes read their recorded payloads from `tests/fixtures/`
inside the repository, never from the workspace around it, and a run without a Postgres
server says which variants it skipped and why."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.fixtures import FIXTURES_DIR, GITHUB_FIXTURES

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
# Where code that runs tests or benches lives; `tests/fixtures/` is data (its README
# names the collection it was copied from).
SOURCES = ("tests", "bench", "scripts", ".ci")
OUTSIDE_PATTERNS = (
    re.compile(r"\.\./shared\b"),
    re.compile(r"""["']shared["']\s*/"""),
    re.compile(r"shared/fixtures"),
)
PARENTS = re.compile(r"\.parents\[(\d+)\]")


def _sources() -> list[Path]:
    found = [REPOSITORY_ROOT / "Makefile"]
    for top in SOURCES:
        for path in sorted((REPOSITORY_ROOT / top).rglob("*")):
            if (
                path.is_file()
                and "__pycache__" not in path.parts
                and not path.is_relative_to(FIXTURES_DIR)
                and path != Path(__file__).resolve()
            ):
                found.append(path)
    return found


def test_no_test_bench_or_script_reaches_outside_the_repository() -> None:
    escapes = []
    for path in _sources():
        relative = path.relative_to(REPOSITORY_ROOT)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            # `Path(__file__).parents[n]` of a file n folders deep is the repository
            # root; one more climbs out of it.
            climbs_out = any(
                int(match.group(1)) >= len(relative.parts) for match in PARENTS.finditer(line)
            )
            if climbs_out or any(pattern.search(line) for pattern in OUTSIDE_PATTERNS):
                escapes.append(f"{relative}:{number}: {line.strip()}")
    assert escapes == [], "these read outside the repository:\n" + "\n".join(escapes)


# Runs in a fresh interpreter, because an audit hook cannot be removed once added: every
# recorded payload the fakes open while answering must come from the repository's copy.
_READS_ONLY_THE_COPY = textwrap.dedent(
    """
    import os, sys

    fixtures = os.path.abspath(sys.argv[1])
    copy, elsewhere = set(), set()

    def audit(event, args):
        if event == "open" and isinstance(args[0], str):
            path = os.path.abspath(args[0])
            if not path.endswith((".json", ".graphql")):
                return
            if path.startswith(fixtures + os.sep):
                copy.add(os.path.relpath(path, fixtures))
            elif not path.startswith((sys.prefix, sys.base_prefix)):
                elsewhere.add(path)

    sys.addaudithook(audit)

    import httpx
    from tests.fakes.github_api import FakeGitHubAPI
    from tests.fakes.github_oauth import FakeGitHub
    from tests.fakes.github_world import recorded_world
    from tests.fakes.http_server import serve_in_thread

    api = FakeGitHubAPI(world=recorded_world())
    api.add_token("ghp_test")
    sign_in = FakeGitHub()
    sign_in.accounts[sign_in.account.id] = sign_in.account
    sign_in.tokens["gho_test"] = sign_in.account.id
    token = {"Authorization": "Bearer ghp_test"}
    statuses = []
    with serve_in_thread(api.app()) as url:
        statuses.append(httpx.get(url + "/rate_limit", headers=token).status_code)
        query = {"query": "query { viewer { login } }"}
        statuses.append(httpx.post(url + "/graphql", json=query, headers=token).status_code)
        statuses.append(httpx.get(url + "/rate_limit").status_code)
        repo = httpx.get(url + "/repos/sigmavirus24/github3.py", headers=token)
        statuses.append(repo.status_code)
        api.inject("forbidden")
        statuses.append(httpx.get(url + "/repos/a/b", headers=token).status_code)
    with serve_in_thread(sign_in.app()) as url:
        user = httpx.get(url + "/user", headers={"Authorization": "Bearer gho_test"})
        statuses.append(user.status_code)
    print(statuses)
    print(" ".join(sorted(copy)))
    print(" ".join(sorted(elsewhere)) or "only the copy")
    """
)


def test_the_fake_github_answers_from_the_repository_copy_alone() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _READS_ONLY_THE_COPY, str(GITHUB_FIXTURES)],
        cwd=REPOSITORY_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    statuses, read, elsewhere = done.stdout.splitlines()
    assert statuses == "[200, 200, 401, 200, 403, 200]"
    assert elsewhere == "only the copy"
    # Every file kept is one the fakes read: the copy carries no dead weight.
    kept = {
        path.relative_to(GITHUB_FIXTURES).as_posix()
        for path in GITHUB_FIXTURES.rglob("*")
        if path.suffix in (".json", ".graphql")
    }
    assert set(read.split()) == kept


def test_postgres_variants_without_a_server_show_as_skipped_with_the_reason() -> None:
    env = {k: v for k, v in os.environ.items() if k != "INFRASYNC_TEST_DATABASE_URL"}
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"),
            "tests/test_health.py::test_ready_when_database_is_migrated",
            *("-k", "postgres"),
        ],
        cwd=REPOSITORY_ROOT,
        env={**env, "PYTHONPATH": str(REPOSITORY_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout, done.stdout
    assert "INFRASYNC_TEST_DATABASE_URL is not set" in done.stdout, done.stdout
