"""Stored GitHub tokens: encrypted at rest, private access only when granted, key rotation
— on SQLite and Postgres."""

from __future__ import annotations

import uuid

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.github.credentials import (
    ROTATION_BATCH,
    github_credential_for,
    mark_token_rejected,
    parse_scopes,
    private_access_scopes,
    remove_github_token,
    reveal_token,
    rotate_encryption,
    store_github_token,
)
from infrasync.kit.crypto import DecryptionFailed, SecretBox
from infrasync.kit.tokens import hash_token
from infrasync.models import GitHubCredential, User
from tests.conftest import Personas
from tests.github.conftest import new_token

SIGN_IN = "read:user,user:email"


@pytest.fixture
def box() -> SecretBox:
    return SecretBox([Fernet.generate_key().decode()])


async def _raw_rows(session: AsyncSession) -> list[str]:
    rows = (await session.execute(text("SELECT * FROM github_credentials"))).all()
    return [" ".join(str(value) for value in row) for row in rows]


async def test_a_token_is_stored_encrypted_and_given_back_only_with_the_key(
    session: AsyncSession, personas: Personas, box: SecretBox
) -> None:
    token = new_token()
    stored = await store_github_token(
        session, box, token=token, scopes=SIGN_IN, user_id=personas.member.id, github_login="mona"
    )
    await session.commit()
    for row in await _raw_rows(session):
        assert token not in row
    credential = await github_credential_for(session, user_id=personas.member.id)
    assert credential is not None
    assert reveal_token(credential, box).get_secret_value() == token
    assert credential.token_hash == hash_token(token)
    assert credential.token_hint == "…" + token[-4:]
    assert credential.scopes == ["read:user", "user:email"]
    assert not credential.private_access
    assert not stored.private_access_granted
    with pytest.raises(DecryptionFailed) as caught:
        reveal_token(credential, SecretBox([Fernet.generate_key().decode()]))
    assert token not in str(caught.value)


async def test_granting_private_access_upgrades_the_stored_token_once(
    session: AsyncSession, personas: Personas, box: SecretBox
) -> None:
    await store_github_token(
        session, box, token=new_token(), scopes=SIGN_IN, user_id=personas.admin.id
    )
    assert private_access_scopes(SIGN_IN) == "read:user repo user:email"
    upgraded_token = new_token()
    granted = await store_github_token(
        session,
        box,
        token=upgraded_token,
        scopes="repo,read:user,user:email",
        user_id=personas.admin.id,
    )
    assert granted.replaced
    assert granted.private_access_granted  # the sign-in flow audits this
    assert granted.credential.private_access
    again = await store_github_token(
        session, box, token=new_token(), scopes="repo, read:user", user_id=personas.admin.id
    )
    assert not again.private_access_granted
    await session.commit()
    assert len(await _raw_rows(session)) == 1  # replaced, never duplicated


async def test_an_org_token_and_a_user_token_live_side_by_side(
    session: AsyncSession, personas: Personas, box: SecretBox
) -> None:
    await store_github_token(session, box, token=new_token(), scopes="repo", org_id=personas.org.id)
    await store_github_token(
        session, box, token=new_token(), scopes=SIGN_IN, user_id=personas.owner.id
    )
    org = await github_credential_for(session, org_id=personas.org.id)
    user = await github_credential_for(session, user_id=personas.owner.id)
    assert org is not None
    assert org.private_access
    assert user is not None
    assert not user.private_access
    with pytest.raises(ValueError, match="exactly one user or one org"):
        await store_github_token(
            session,
            box,
            token=new_token(),
            scopes="",
            user_id=personas.owner.id,
            org_id=personas.org.id,
        )


async def test_a_token_github_rejected_is_not_used_until_replaced(
    session: AsyncSession, personas: Personas, box: SecretBox
) -> None:
    stored = await store_github_token(
        session, box, token=new_token(), scopes="", user_id=personas.viewer.id
    )
    await mark_token_rejected(session, stored.credential)
    assert await github_credential_for(session, user_id=personas.viewer.id) is None
    await store_github_token(session, box, token=new_token(), scopes="", user_id=personas.viewer.id)
    assert await github_credential_for(session, user_id=personas.viewer.id) is not None
    assert await remove_github_token(session, user_id=personas.viewer.id)
    assert await github_credential_for(session, user_id=personas.viewer.id) is None


async def test_rotating_keys_re_encrypts_every_token_under_the_first_key(
    session: AsyncSession, personas: Personas
) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    old_box = SecretBox([old_key])
    tokens = {}
    for person in (personas.owner, personas.admin, personas.member):
        tokens[person.id] = new_token()
        await store_github_token(
            session, old_box, token=tokens[person.id], scopes="", user_id=person.id
        )
    await session.commit()
    assert await rotate_encryption(session, SecretBox([new_key, old_key])) == 3
    await session.commit()
    new_only = SecretBox([new_key])
    for user_id, token in tokens.items():
        credential = await github_credential_for(session, user_id=user_id)
        assert credential is not None
        assert reveal_token(credential, new_only).get_secret_value() == token
        with pytest.raises(DecryptionFailed):
            reveal_token(credential, old_box)


async def test_rotating_keys_re_encrypts_every_token_when_there_are_several_batches(
    session: AsyncSession,
) -> None:
    """More tokens than one batch holds: each batch starts after the last id of the one
    before, so every token is re-encrypted exactly once."""
    count = 2 * ROTATION_BATCH + 1
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    old_box = SecretBox([old_key])
    tokens = {uuid.uuid4(): new_token() for _ in range(count)}
    await session.execute(
        insert(User),
        [
            {"id": user_id, "login": f"user-{number}", "github_id": 5_000_000 + number}
            for number, user_id in enumerate(tokens)
        ],
    )
    await session.execute(
        insert(GitHubCredential),
        [
            {
                "user_id": user_id,
                "encrypted_token": old_box.seal(token),
                "token_hash": hash_token(token),
                "token_hint": "…" + token[-4:],
            }
            for user_id, token in tokens.items()
        ],
    )
    await session.commit()

    assert await rotate_encryption(session, SecretBox([new_key, old_key])) == count
    await session.commit()

    new_only = SecretBox([new_key])
    stored = (
        await session.scalars(select(GitHubCredential).execution_options(populate_existing=True))
    ).all()
    assert len(stored) == count
    for credential in stored:
        assert credential.user_id is not None
        assert reveal_token(credential, new_only).get_secret_value() == tokens[credential.user_id]


def test_scopes_are_read_as_github_writes_them() -> None:
    assert parse_scopes("repo,read:user") == ["read:user", "repo"]
    assert parse_scopes("repo, read:user , ") == ["read:user", "repo"]
    assert parse_scopes(["user:email", "user:email"]) == ["user:email"]
    assert parse_scopes("") == []
