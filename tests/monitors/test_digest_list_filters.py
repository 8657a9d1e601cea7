"""The digests list filtered by a period gives the digests whose periods overlap it;
periods are half-open, so one that ends where the filter starts does not overlap."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.conftest import Personas, SignIn
from tests.digests.test_digest_cli import git

WEEKS = (
    {"since": "2026-11-02", "until": "2026-11-09"},
    {"since": "2026-11-09", "until": "2026-11-16"},
)


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, object]:
    return {"local_source_roots": (tmp_path,), "encryption_keys": Fernet.generate_key().decode()}


async def _periods(http: httpx.AsyncClient, **params: str) -> list[str]:
    listed = await http.get("/api/orgs/acme/digests", params=params)
    assert listed.status_code == 200, listed.text
    return sorted(d["period"]["since"][:10] for d in listed.json()["items"])


async def test_the_period_filter_keeps_the_digests_that_overlap_it(
    sign_in: SignIn, personas: Personas, tmp_path: Path
) -> None:
    path = tmp_path / "project"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    for number, when in enumerate(["2026-11-03T10:00:00Z", "2026-11-10T10:00:00Z"]):
        (path / f"f{number}").write_text(str(number))
        git(path, "add", ".", when=when)
        git(path, "commit", "-q", "-m", f"Step {number}", when=when)
    member = await sign_in(personas.member)
    made = await member.post("/api/orgs/acme/monitors", json={"source": str(path)})
    assert made.status_code == 201, made.text
    run = f"/api/orgs/acme/monitors/{made.json()['id']}/digests?wait=true"
    for week in WEEKS:
        assert (await member.post(run, json=week)).status_code == 201

    assert await _periods(member) == ["2026-11-02", "2026-11-09"]
    assert await _periods(member, since="2026-11-09T00:00:00Z") == ["2026-11-09"]
    assert await _periods(member, until="2026-11-09T00:00:00Z") == ["2026-11-02"]
    assert await _periods(member, since="2026-11-08T00:00:00Z") == ["2026-11-02", "2026-11-09"]
    assert await _periods(member, since="2026-11-10T00:00:00Z", until="2026-11-11T00:00:00Z") == [
        "2026-11-09"
    ]
