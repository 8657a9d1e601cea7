"""`infrasync admin rotate-keys` re-encrypts channel URLs and signing secrets too."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import select

from infrasync.db import create_engine_for, session_factory
from infrasync.kit.crypto import SecretBox
from infrasync.models import Channel
from tests.factories import make_org
from tests.live_server import run_cli

URL = "https://hooks.slack.com/services/T0001/B0001/secretpart"
SIGNING = "whsec_" + "C" * 32


async def test_rotate_keys_reseals_channel_urls_and_signing_secrets(
    database_url: str, tmp_path: Path
) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    old = SecretBox([old_key])
    engine = create_engine_for(database_url)
    sessions = session_factory(engine)
    async with sessions() as session:
        org = await make_org(session, "Acme")
        session.add_all(
            [
                Channel(org_id=org.id, kind="slack", name="s", url_sealed=old.seal(URL)),
                Channel(
                    org_id=org.id,
                    kind="webhook",
                    name="w",
                    url_sealed=old.seal("https://example.com/in"),
                    signing_secret_sealed=old.seal(SIGNING),
                ),
            ]
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
    assert "Re-encrypted 3 stored secret" in result.stderr
    assert URL not in result.stderr + result.stdout

    new = SecretBox([new_key])
    async with sessions() as session:
        channels = {c.name: c for c in await session.scalars(select(Channel))}
    await engine.dispose()
    assert channels["s"].url_sealed is not None
    assert new.open(channels["s"].url_sealed) == URL
    assert channels["w"].signing_secret_sealed is not None
    assert new.open(channels["w"].signing_secret_sealed) == SIGNING
