"""`infrasync admin rotate-keys` re-encrypts channel URLs and signing secrets too, all of
them however many batches they take."""

from __future__ import annotations

import uuid
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.db import create_engine_for, session_factory
from infrasync.delivery.service import RESEAL_BATCH, reseal_secrets
from infrasync.kit.crypto import SecretBox
from infrasync.kit.time import utcnow
from infrasync.models import Channel
from tests.conftest import Personas
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


async def test_every_channel_is_resealed_once_when_there_are_several_batches(
    session: AsyncSession, personas: Personas
) -> None:
    """More channels than one batch holds (deleted ones too: their rows still hold
    secrets): each batch starts after the last id of the one before."""
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    old = SecretBox([old_key])
    urls = {uuid.uuid4(): f"https://example.com/in/{n}" for n in range(2 * RESEAL_BATCH + 1)}
    signed = set(list(urls)[::7])
    await session.execute(
        insert(Channel),
        [
            {
                "id": channel_id,
                "org_id": personas.org.id,
                "kind": "webhook",
                "name": f"hook {n}",
                "url_sealed": old.seal(url),
                "signing_secret_sealed": old.seal(f"{SIGNING}{n}")
                if channel_id in signed
                else None,
                "addresses": [],
                "deleted_at": utcnow() if n % 5 == 0 else None,
            }
            for n, (channel_id, url) in enumerate(urls.items())
        ],
    )
    session.add(Channel(org_id=personas.org.id, kind="email", name="mail", addresses=["a@b.c"]))
    await session.commit()

    resealed = await reseal_secrets(session, SecretBox([new_key, old_key]))
    await session.commit()

    assert resealed == len(urls) + len(signed)
    new = SecretBox([new_key])
    stored = (
        await session.scalars(
            select(Channel)
            .where(Channel.kind == "webhook")
            .execution_options(populate_existing=True)
        )
    ).all()
    assert len(stored) == len(urls)
    for channel in stored:
        assert channel.url_sealed is not None
        assert new.open(channel.url_sealed) == urls[channel.id]
        if channel.id in signed:
            assert channel.signing_secret_sealed is not None
            assert new.open(channel.signing_secret_sealed).startswith(SIGNING)
        else:
            assert channel.signing_secret_sealed is None
