"""GET /api/me/export: everything about the person as one JSON download with a schema
version, and no secret anywhere in it (the ones seeded here are searched for)."""

from __future__ import annotations

import json
import secrets

import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.auth.cookies import SESSION_COOKIE
from infrasync.github.credentials import store_github_token
from infrasync.kit.crypto import SecretBox
from infrasync.models import ApiKey, AuthSession, Channel, EmailSuppression, GitHubCredential
from tests.compliance import world
from tests.conftest import Personas, SignIn, client_with

KEY = Fernet.generate_key().decode()
# Made per run; no fixture holds a secret.
GITHUB_TOKEN = "ghp_" + secrets.token_hex(18)
SLACK_URL = f"https://hooks.slack.com/services/T0/B0/{secrets.token_hex(12)}"
SIGNING_SECRET = "whsec_" + secrets.token_hex(16)
SMTP_PASSWORD = secrets.token_hex(12)


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {
        "encryption_keys": KEY,
        "smtp_url": f"smtp://mailer:{SMTP_PASSWORD}@127.0.0.1:2525",
    }


async def _seed(session: AsyncSession, personas: Personas) -> None:
    box = SecretBox.from_keys([KEY])
    admin, org = personas.admin, personas.org
    await store_github_token(
        session,
        box,
        token=GITHUB_TOKEN,
        scopes="read:user repo",
        user_id=admin.id,
        github_login=admin.login,
    )
    team = await world.email_channel(session, org, ["Admin-Of-Acme@example.test", "x@y.test"])
    quiet = await world.email_channel(session, org, [admin.email or ""], name="Releases")
    session.add(EmailSuppression(channel_id=quiet.id, address=admin.email, reason="unsubscribed"))
    elsewhere = await world.email_channel(session, personas.other_org, [admin.email or ""])
    session.add_all(
        [
            Channel(
                org_id=org.id,
                kind="slack",
                name="Slack",
                url_sealed=box.seal(SLACK_URL),
                hint="…abcd",
                created_by_id=admin.id,
            ),
            Channel(
                org_id=org.id,
                kind="webhook",
                name="Hook",
                url_sealed=box.seal("https://example.test/hook"),
                signing_secret_sealed=box.seal(SIGNING_SECRET),
                hint="example.test",
                created_by_id=admin.id,
            ),
        ]
    )
    monitor = await world.monitor(session, org, admin)
    await world.digest(session, org, monitor, admin)
    await world.digest(session, org, monitor, None)  # the schedule's, not theirs
    del team, elsewhere
    await session.commit()


async def test_the_export_holds_everything_about_you_and_no_secret(
    sign_in: SignIn, personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    await _seed(session, personas)
    admin = await sign_in(personas.admin)
    made = await admin.post("/api/orgs/acme/api-keys", json={"name": "CI", "role": "member"})
    api_key = made.json()["key"]
    owner = await sign_in(personas.owner)
    changed = await owner.patch(
        f"/api/orgs/acme/members/{personas.admin.id}", json={"role": "member"}
    )
    assert changed.status_code == 200, changed.text

    response = await admin.get("/api/me/export")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"] == (
        'attachment; filename="infrasync-export-admin-of-acme.json"'
    )
    document = response.json()
    assert document["schema_version"] == 1
    assert set(document) == {
        "schema_version",
        "exported_at",
        "profile",
        "memberships",
        "audit_entries",
        "digests_triggered",
        "github_connection",
        "email_channels",
    }
    assert document["profile"]["login"] == "admin-of-acme"
    assert document["profile"]["email"] == personas.admin.email
    assert [(m["org_slug"], m["role"]) for m in document["memberships"]] == [("acme", "member")]
    entries = {(e["action"], e["by_you"]) for e in document["audit_entries"]}
    assert ("api_key.create", True) in entries
    assert ("member.role_change", False) in entries  # about them, by the owner
    assert [d["trigger"] for d in document["digests_triggered"]] == ["manual"]
    assert document["github_connection"]["scopes"] == ["read:user", "repo"]
    assert document["github_connection"]["token_hint"]
    # Only their orgs' email channels, with whether their address still receives.
    assert sorted(
        (c["org_slug"], c["channel_name"], c["status"]) for c in document["email_channels"]
    ) == [("acme", "Releases", "unsubscribed"), ("acme", "Team mail", "receiving")]

    body = response.text
    credential = (await session.scalars(select(GitHubCredential))).one()
    sessions = (await session.scalars(select(AuthSession))).all()
    sealed = [c.url_sealed for c in (await session.scalars(select(Channel))).all()]
    key_hashes = [k.token_hash for k in (await session.scalars(select(ApiKey))).all()]
    secrets_seeded = [
        GITHUB_TOKEN,
        GITHUB_TOKEN[-8:],
        credential.encrypted_token,
        credential.token_hash,
        SLACK_URL,
        SLACK_URL.rsplit("/", 1)[1],
        SIGNING_SECRET,
        SMTP_PASSWORD,
        api_key,
        admin.cookies[SESSION_COOKIE].split(".")[0],
        *[s.token_hash for s in sessions],
        *[s for s in sealed if s],
        *key_hashes,
    ]
    leaked = [secret for secret in secrets_seeded if secret in body]
    assert leaked == []
    assert "url_sealed" not in body
    assert "token_hash" not in body
    json.loads(body)  # one JSON document


async def test_the_export_is_for_people_in_their_own_session(
    sign_in: SignIn, personas: Personas, app: FastAPI
) -> None:
    async with client_with(app) as nobody:
        assert (await nobody.get("/api/me/export")).status_code == 401
    outsider = await sign_in(personas.outsider)
    document = (await outsider.get("/api/me/export")).json()
    assert document["profile"]["login"] == "outsider"
    assert [m["org_slug"] for m in document["memberships"]] == ["globex"]
    assert document["github_connection"] is None
