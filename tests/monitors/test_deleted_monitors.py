"""A deleted monitor leaves the org's list of monitors; the digests it made stay readable,
under no name (its name is gone with it)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.conftest import Personas, SignIn
from tests.digests.test_digest_cli import git

PERIOD = {"since": "2026-11-02", "until": "2026-11-09"}


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, object]:
    return {"local_source_roots": (tmp_path,), "encryption_keys": Fernet.generate_key().decode()}


def _repository(root: Path, name: str) -> Path:
    path = root / name
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "readme").write_text(name)
    git(path, "add", ".", when="2026-11-03T10:00:00Z")
    git(path, "commit", "-q", "-m", "Start", when="2026-11-03T10:00:00Z")
    return path


async def _monitor(http: httpx.AsyncClient, source: Path) -> str:
    made = await http.post("/api/orgs/acme/monitors", json={"source": str(source)})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def test_a_deleted_monitor_leaves_the_list_and_its_digests_lose_its_name(
    sign_in: SignIn, personas: Personas, tmp_path: Path
) -> None:
    member = await sign_in(personas.member)
    kept = await _monitor(member, _repository(tmp_path, "kept"))
    gone = await _monitor(member, _repository(tmp_path, "gone"))
    for monitor_id in (kept, gone):
        run = f"/api/orgs/acme/monitors/{monitor_id}/digests?wait=true"
        assert (await member.post(run, json=PERIOD)).status_code == 201
    assert (await member.delete(f"/api/orgs/acme/monitors/{gone}")).status_code == 204

    assert [m["id"] for m in (await member.get("/api/orgs/acme/monitors")).json()] == [kept]
    digests = (await member.get("/api/orgs/acme/digests")).json()["items"]
    names = {d["monitor_id"]: d["monitor_name"] for d in digests}
    assert names == {kept: "kept", gone: None}
    gone_digest = next(d["id"] for d in digests if d["monitor_id"] == gone)
    detail = (await member.get(f"/api/orgs/acme/digests/{gone_digest}")).json()
    assert detail["monitor_name"] is None
