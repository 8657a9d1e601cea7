"""`infrasync admin rotate-keys` re-encrypts every stored GitHub token under the first key,
on SQLite and Postgres, as a real process."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet

from infrasync.db import create_engine_for, session_factory
from infrasync.github.credentials import github_credential_for, reveal_token, store_github_token
from infrasync.kit.crypto import SecretBox
from tests.factories import make_org
from tests.github.conftest import new_token
from tests.live_server import run_cli


async def test_rotate_keys_re_encrypts_under_the_first_key(
    database_url: str, tmp_path: Path
) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = new_token()
    engine = create_engine_for(database_url)
    sessions = session_factory(engine)
    async with sessions() as session:
        org = await make_org(session, "Acme")
        await store_github_token(
            session, SecretBox([old_key]), token=token, scopes="repo", org_id=org.id
        )
        await session.commit()

    result = run_cli(
        "admin",
        "rotate-keys",
        cwd=tmp_path,
        INFRASYNC_DATABASE_URL=database_url,
        INFRASYNC_ENCRYPTION_KEYS=f"{new_key},{old_key}",
    )
    assert result.returncode == 0, result.stderr
    assert "Re-encrypted 1 stored secret" in result.stderr
    assert token not in result.stderr + result.stdout

    async with sessions() as session:
        credential = await github_credential_for(session, org_id=org.id)
        assert credential is not None
        assert reveal_token(credential, SecretBox([new_key])).get_secret_value() == token
    await engine.dispose()

    # The old key can go now; dropping the only key that opens them cannot.
    unrelated = Fernet.generate_key().decode()
    failed = run_cli(
        "admin",
        "rotate-keys",
        cwd=tmp_path,
        INFRASYNC_DATABASE_URL=database_url,
        INFRASYNC_ENCRYPTION_KEYS=unrelated,
    )
    assert failed.returncode == 1
    lines = [line for line in failed.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "cannot be decrypted" in lines[0]
