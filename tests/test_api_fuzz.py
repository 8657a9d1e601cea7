"""Schemathesis against a real `infrasync serve`: a thousand generated requests, valid and
not, must never make a 500, and every answer must match what /openapi.json documents
(status codes, content types, bodies). Bad input is a 4xx with a reason, by contract."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.live_server import live_server, server_output

# About 1,500 requests through a real server: a minute on a quiet machine, several at a
# load of 20 on two cores. The run's own timeout (below) bounds it; pytest's 120 s would not.
pytestmark = pytest.mark.timeout(900)

LINK = re.compile(r"http://127\.0\.0\.1:\d+/auth/link/[A-Za-z0-9_-]+")
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance"
)


def _owner_api_key(base_url: str, cwd: Path) -> str:
    [link] = LINK.findall(server_output(cwd))
    with httpx.Client(base_url=base_url) as browser:
        browser.get(link)
        browser.headers["X-CSRF-Token"] = browser.cookies["infrasync_csrf"]
        assert browser.post("/api/orgs", json={"name": "Acme"}).status_code == 201
        created = browser.post("/api/orgs/acme/api-keys", json={"name": "fuzz", "role": "owner"})
        key: str = created.json()["key"]
        return key


def _schemathesis(
    base_url: str, cwd: Path, caller: Caller, *headers: str
) -> subprocess.CompletedProcess[str]:
    # Path parameter {org} is the org that exists, so the fuzzing reaches past the 404.
    (cwd / "schemathesis.toml").write_text('[parameters]\n"path.org" = "acme"\n')
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(caller.examples),
        "--phases",
        caller.phases,
        "--workers",
        "1",
        "--seed",
        "20261129",
    ]
    for header in headers:
        command += ["--header", header]
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=840, check=False
    )


@dataclass(frozen=True)
class Caller:
    examples: int  # per operation, in the fuzzing phase
    phases: str


# Signed in, the generated requests reach the handlers: every phase, with the coverage
# phase's boundary values (about 1,500 requests whatever --max-examples says). A caller
# with no credentials is refused before any handler runs: a few fuzzed requests per
# operation show each refusal is the documented 401, and the coverage phase would only
# repeat them, at two thirds of this file's time.
CALLERS = {
    "owner API key": Caller(examples=25, phases="examples,coverage,fuzzing,stateful"),
    "nobody": Caller(examples=5, phases="fuzzing"),
}


@pytest.mark.parametrize("caller", list(CALLERS))
def test_generated_requests_never_get_a_500_or_an_undocumented_answer(
    tmp_path: Path, caller: str
) -> None:
    chosen = CALLERS[caller]
    with live_server(tmp_path, "--no-worker") as base_url:
        headers = []
        if caller == "owner API key":
            headers.append(f"Authorization: Bearer {_owner_api_key(base_url, tmp_path)}")
        result = _schemathesis(base_url, tmp_path, chosen, *headers)
        assert "Traceback" not in server_output(tmp_path)
    summary = result.stdout[-3000:]
    assert result.returncode == 0, summary
    generated = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert generated is not None, summary
    assert int(generated.group(1)) >= 150  # most operations were reached, several times
    assert generated.group(1) == generated.group(2)
