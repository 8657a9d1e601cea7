from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.auth.context import Actor
from infrasync.config import Settings
from infrasync.digests.service import Trigger, make_digest
from infrasync.github.credentials import store_github_token
from infrasync.kit.crypto import SecretBox
from infrasync.models import DigestRecord, Monitor
from infrasync.sources.model import Window
from tests.conftest import Personas, SignIn
from tests.digests.test_digest_cli import git

ENCRYPTION_KEY = Fernet.generate_key().decode()


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, object]:
    return {"local_source_roots": (tmp_path,), "encryption_keys": ENCRYPTION_KEY}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    for number, when in enumerate(["2026-11-03T10:00:00Z", "2026-11-04T10:00:00Z"]):
        (path / f"f{number}").write_text(str(number))
        git(path, "add", ".", when=when)
        git(path, "commit", "-q", "-m", f"Step {number}", when=when)
    return path


async def _monitor(http: httpx.AsyncClient, source: str, **fields: object) -> dict[str, object]:
    response = await http.post("/api/orgs/acme/monitors", json={"source": source, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_members_create_and_everyone_reads_monitors(
    sign_in: SignIn, personas: Personas, repo: Path
) -> None:
    member = await sign_in(personas.member)
    created = await _monitor(member, str(repo), writer="builtin", extra_bots=["ci-bot", "ci-bot"])
    assert created["source_kind"] == "git"
    assert created["name"] == "project"
    assert created["extra_bots"] == ["ci-bot"]
    viewer = await sign_in(personas.viewer)
    listed = (await viewer.get("/api/orgs/acme/monitors")).json()
    assert [m["id"] for m in listed] == [created["id"]]
    refused = await viewer.post("/api/orgs/acme/monitors", json={"source": "acme/app"})
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "complaint"),
    [
        ({"source": "not a repo"}, 400, "is neither owner/repo nor a path"),
        ({"source": "relative/dir/x"}, 400, "absolute path"),
        ({"source": "acme/app", "writer": "gpt"}, 422, "writer"),
        ({"source": "acme/app", "stale_days": 0}, 422, "stale_days"),
        ({"source": "acme/app", "sections": ["gossip"]}, 422, "sections"),
        ({"source": "acme/app", "paused": "yes"}, 422, "paused"),
    ],
)
async def test_bad_monitor_input_is_a_clear_4xx(
    sign_in: SignIn, personas: Personas, body: dict[str, object], status: int, complaint: str
) -> None:
    member = await sign_in(personas.member)
    response = await member.post("/api/orgs/acme/monitors", json=body)
    assert response.status_code == status
    answer = response.json()
    if status == 422:
        assert answer["errors"][0]["field"].split(".")[0] == complaint
    else:
        assert complaint in answer["detail"]
    assert (await member.get("/api/orgs/acme/monitors")).json() == []


async def test_local_paths_need_the_operator(
    sign_in: SignIn, personas: Personas, app: FastAPI, repo: Path
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"local_source_roots": ()})
    member = await sign_in(personas.member)
    response = await member.post("/api/orgs/acme/monitors", json={"source": str(repo)})
    assert response.status_code == 403
    assert "INFRASYNC_LOCAL_SOURCE_ROOTS" in response.json()["detail"]


async def test_a_token_of_someone_outside_the_org_is_refused(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    await store_github_token(
        session,
        SecretBox.from_keys([ENCRYPTION_KEY]),
        token="ghp_outsiderToken1234",
        scopes="read:user",
        user_id=personas.outsider.id,
    )
    await session.commit()
    member = await sign_in(personas.member)
    response = await member.post(
        "/api/orgs/acme/monitors",
        json={"source": "acme/app", "credential_user_id": str(personas.outsider.id)},
    )
    assert response.status_code == 400
    assert "has not offered a GitHub token to this org" in response.json()["detail"]


async def test_a_monitor_shows_whose_token_never_the_token(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    await store_github_token(
        session,
        SecretBox.from_keys([ENCRYPTION_KEY]),
        token="ghp_memberSecretToken9876",
        scopes="read:user",
        user_id=personas.member.id,
    )
    await session.commit()
    member = await sign_in(personas.member)
    response = await member.post("/api/orgs/acme/monitors", json={"source": "acme/app"})
    assert response.status_code == 201
    assert "ghp_memberSecretToken9876" not in response.text
    credential = response.json()["credential"]
    assert credential["login"] == personas.member.login
    assert credential["token_hint"].endswith("9876")


async def test_run_now_makes_a_stored_digest_once_per_period(
    sign_in: SignIn, personas: Personas, repo: Path
) -> None:
    member = await sign_in(personas.member)
    monitor = await _monitor(member, str(repo), writer="builtin")
    run = f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true"
    period = {"since": "2026-11-02", "until": "2026-11-09"}
    made = await member.post(run, json=period)
    assert made.status_code == 201, made.text
    digest = made.json()
    assert digest["metrics"]["commits"] == 2
    assert digest["metrics"]["schema"] == 1
    assert digest["writer"] == "builtin"
    assert digest["trigger"] == "manual"
    assert digest["triggered_by"] == personas.member.login
    assert "Step 1" in digest["text"]
    assert digest["repository"]["revision"] == git(repo, "rev-parse", "HEAD").strip()

    again = await member.post(run, json=period)
    assert again.status_code == 409
    assert "already has a digest" in again.json()["detail"]

    viewer = await sign_in(personas.viewer)
    listed = await viewer.get("/api/orgs/acme/digests", params={"monitor_id": str(monitor["id"])})
    page = listed.json()
    assert [d["id"] for d in page["items"]] == [digest["id"]]
    assert page["items"][0]["monitor_name"] == "project"
    detail = (await viewer.get(f"/api/orgs/acme/digests/{digest['id']}")).json()
    assert detail["rendered"]["slack"][0]["blocks"][0]["type"] == "header"
    assert "<script" not in detail["rendered"]["html"]
    shown = (await viewer.get(f"/api/orgs/acme/monitors/{monitor['id']}")).json()
    assert shown["last_run_status"] == "ok"
    assert (await viewer.post(run, json={})).status_code == 403


async def test_a_failed_run_is_shown_on_the_monitor(
    sign_in: SignIn, personas: Personas, repo: Path
) -> None:
    member = await sign_in(personas.member)
    monitor = await _monitor(member, str(repo))
    shutil.rmtree(repo / ".git")  # the repository is gone from the server's disk
    response = await member.post(
        f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true", json={}
    )
    assert response.status_code == 409
    assert response.json()["detail"].startswith("The digest could not be made:")
    shown = (await member.get(f"/api/orgs/acme/monitors/{monitor['id']}")).json()
    assert shown["last_run_status"] == "error"
    assert shown["last_run_error"]


async def test_a_github_monitor_without_a_token_says_so(
    sign_in: SignIn, personas: Personas
) -> None:
    member = await sign_in(personas.member)
    monitor = await _monitor(member, "acme/app")
    response = await member.post(
        f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true", json={}
    )
    assert response.status_code == 409
    assert "No GitHub token" in response.json()["detail"]


async def test_bad_run_windows_are_400(sign_in: SignIn, personas: Personas, repo: Path) -> None:
    member = await sign_in(personas.member)
    monitor = await _monitor(member, str(repo))
    response = await member.post(
        f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true", json={"since": "whenever"}
    )
    assert response.status_code == 400
    assert "--since 'whenever' is not a date" in response.json()["detail"]


async def test_update_and_delete(sign_in: SignIn, personas: Personas, repo: Path) -> None:
    member = await sign_in(personas.member)
    monitor = await _monitor(member, str(repo))
    path = f"/api/orgs/acme/monitors/{monitor['id']}"
    updated = await member.patch(path, json={"paused": True, "sections": ["shipped"]})
    assert updated.status_code == 200
    assert (updated.json()["paused"], updated.json()["sections"]) == (True, ["shipped"])
    # A refused change changes nothing, not even the part that was valid.
    refused = await member.patch(path, json={"sections": ["numbers"], "paused": None})
    assert refused.status_code == 400
    assert (await member.get(path)).json()["sections"] == ["shipped"]
    admin = await sign_in(personas.admin)
    events = (await admin.get("/api/orgs/acme/audit")).json()["items"]
    updates = [e for e in events if e["action"] == "monitor.update"]
    assert [u["details"] for u in updates] == [{"changed": ["paused", "sections"]}]
    assert updates[0]["actor"]["label"] == personas.member.login
    assert (await member.delete(path)).status_code == 204
    assert (await member.get(path)).status_code == 404


async def test_a_monitors_sections_shape_its_digests(
    sign_in: SignIn, personas: Personas, repo: Path
) -> None:
    member = await sign_in(personas.member)
    monitor = await _monitor(member, str(repo), writer="builtin", sections=["numbers"])
    made = await member.post(
        f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true",
        json={"since": "2026-11-02", "until": "2026-11-09"},
    )
    headings = [line for line in made.json()["text"].splitlines() if line.startswith("## ")]
    assert headings == ["## Numbers"]


async def _connect(session: AsyncSession, user_id: object, token: str) -> None:
    await store_github_token(
        session,
        SecretBox.from_keys([ENCRYPTION_KEY]),
        token=token,
        scopes="read:user",
        user_id=user_id,  # type: ignore[arg-type]
    )
    await session.commit()


async def test_the_org_lists_whose_github_tokens_monitors_can_use(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    await _connect(session, personas.member.id, "ghp_memberTokenAAAA1111")
    await _connect(session, personas.outsider.id, "ghp_outsiderTokenBBBB2222")
    member = await sign_in(personas.member)
    assert (await member.put("/api/orgs/acme/github-tokens/mine")).status_code == 200
    outsider = await sign_in(personas.outsider)
    assert (await outsider.put("/api/orgs/acme/github-tokens/mine")).status_code == 404
    viewer = await sign_in(personas.viewer)
    response = await viewer.get("/api/orgs/acme/github-tokens")
    assert response.status_code == 200
    assert [t["login"] for t in response.json()] == [personas.member.login]
    assert response.json()[0]["token_hint"].endswith("1111")
    assert "ghp_memberTokenAAAA1111" not in response.text
    assert (await outsider.get("/api/orgs/acme/github-tokens")).status_code == 404


async def test_me_says_whether_you_have_connected_github(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    member = await sign_in(personas.member)
    assert (await member.get("/api/me")).json()["github"] is None
    await _connect(session, personas.member.id, "ghp_memberTokenCCCC3333")
    github = (await member.get("/api/me")).json()["github"]
    assert (github["login"], github["usable"], github["private_access"]) == (
        personas.member.login,
        True,
        False,
    )
    assert "ghp_memberTokenCCCC3333" not in (await member.get("/api/me")).text


async def test_the_pr_description_opt_in_is_kept_and_off_by_default(
    sign_in: SignIn, personas: Personas, repo: Path
) -> None:
    member = await sign_in(personas.member)
    monitor = await _monitor(member, str(repo))
    assert monitor["include_pr_descriptions"] is False
    path = f"/api/orgs/acme/monitors/{monitor['id']}"
    await member.patch(path, json={"include_pr_descriptions": True})
    assert (await member.get(path)).json()["include_pr_descriptions"] is True


async def test_a_quiet_scheduled_period_is_skipped_only_when_the_monitor_says_so(
    sign_in: SignIn, personas: Personas, repo: Path, session: AsyncSession, settings: Settings
) -> None:
    member = await sign_in(personas.member)
    skipping = await _monitor(member, str(repo), name="skips", skip_empty=True)
    keeping = await _monitor(member, str(repo), name="keeps")
    quiet = Window(since=datetime(2026, 10, 1, tzinfo=UTC), until=datetime(2026, 10, 8, tzinfo=UTC))
    busy = Window(since=datetime(2026, 11, 2, tzinfo=UTC), until=datetime(2026, 11, 9, tzinfo=UTC))
    scheduled = Trigger(kind="schedule", actor=Actor.system("scheduler"))

    async def run(monitor: dict[str, object], window: Window) -> DigestRecord | None:
        row = await session.get(Monitor, uuid.UUID(str(monitor["id"])))
        assert row is not None
        made = await make_digest(session, settings, row, window, scheduled)
        await session.commit()
        return made

    assert await run(skipping, quiet) is None
    assert (await run(keeping, quiet)) is not None
    assert (await run(skipping, busy)) is not None
    listed = (await member.get("/api/orgs/acme/digests")).json()["items"]
    assert sorted((d["monitor_name"], d["period"]["since"][:10]) for d in listed) == [
        ("keeps", "2026-10-01"),
        ("skips", "2026-11-02"),
    ]
    shown = (await member.get(f"/api/orgs/acme/monitors/{skipping['id']}")).json()
    assert shown["last_run_status"] == "ok"
    # Asked for by a person, a quiet period still gets its digest, in the quiet form.
    manual = await member.post(
        f"/api/orgs/acme/monitors/{skipping['id']}/digests?wait=true",
        json={"since": "2026-10-01", "until": "2026-10-08"},
    )
    assert "A quiet period" in manual.json()["text"]


async def test_one_digest_per_period_means_per_monitor_and_exact_period(
    sign_in: SignIn, personas: Personas, repo: Path
) -> None:
    """A period already digested blocks only that monitor and exactly that period: the
    same week for another monitor, or a period sharing only its start or only its end,
    is made."""
    member = await sign_in(personas.member)
    first = await _monitor(member, str(repo), writer="builtin", name="first")
    second = await _monitor(member, str(repo), writer="builtin", name="second")
    week = {"since": "2026-11-02", "until": "2026-11-09"}
    runs = [
        (first, week, 201),
        (second, week, 201),
        (first, {"since": "2026-11-02", "until": "2026-11-08"}, 201),
        (first, {"since": "2026-11-03", "until": "2026-11-09"}, 201),
        (first, week, 409),
    ]
    for monitor, period, expected in runs:
        made = await member.post(
            f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true", json=period
        )
        assert made.status_code == expected, (monitor["name"], period, made.text)
