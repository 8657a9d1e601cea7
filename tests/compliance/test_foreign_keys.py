"""What refers to a person outlives them with the reference set to null (ON DELETE SET
NULL), declared so by the migrations on both databases; what belongs to them goes with
them (CASCADE). SQLite enforces neither unless every connection says PRAGMA
foreign_keys=ON (db.py), which a pooled connection is checked for here."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import delete, inspect, text
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.db import sync_engine_for
from infrasync.models import (
    ApiKey,
    AuditEvent,
    Channel,
    DigestRecord,
    DigestRun,
    Invite,
    Monitor,
    User,
)
from infrasync.models.membership import Role
from tests.compliance import world
from tests.conftest import Personas
from tests.factories import add_member, make_user

# Rows that refer to a person and must keep working once the person is purged.
SET_NULL = {
    ("api_keys", "created_by_id"),
    ("audit_events", "actor_user_id"),
    ("channels", "created_by_id"),
    ("digest_runs", "triggered_by_user_id"),
    ("digests", "triggered_by_user_id"),
    ("invites", "accepted_by_id"),
    ("invites", "invited_by_id"),
    ("monitor_feeds", "enabled_by_id"),
    ("monitors", "created_by_id"),
}
# Rows that are the person's own and go with them.
CASCADE = {
    ("auth_sessions", "user_id"),
    ("github_credentials", "user_id"),
    ("github_token_offers", "user_id"),
    ("login_links", "user_id"),
    ("memberships", "user_id"),
}


def test_the_migrations_declare_each_reference_to_a_person(database_url: str) -> None:
    engine = sync_engine_for(database_url)
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            found = {}
            for table in inspector.get_table_names():
                for key in inspector.get_foreign_keys(table):
                    if key["referred_table"] == "users":
                        (column,) = key["constrained_columns"]
                        found[(table, column)] = (key.get("options") or {}).get("ondelete")
    finally:
        engine.dispose()
    # A new column referring to users fails here until it says what a purge does to it.
    assert found == {
        **dict.fromkeys(SET_NULL, "SET NULL"),
        **dict.fromkeys(CASCADE, "CASCADE"),
    }


async def test_every_pooled_sqlite_connection_enforces_foreign_keys(
    app: FastAPI, backend: str
) -> None:
    if backend != "sqlite":
        return  # Postgres always enforces them
    engine = app.state.engine
    seen = []
    for _ in range(3):  # checked out and back: the pool hands the same connection again
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            seen.append(id(raw.driver_connection))
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    assert len(set(seen)) < len(seen)  # a reused connection was among them


async def test_deleting_a_person_sets_every_reference_to_null_and_keeps_the_rows(
    personas: Personas, session: AsyncSession
) -> None:
    gone = await make_user(session, "gone")
    await add_member(session, personas.org, gone, Role.ADMIN)
    monitor = await world.monitor(session, personas.org, gone)
    digest = await world.digest(session, personas.org, monitor, gone)
    run = await world.queued_run(session, personas.org, monitor, gone)
    invite = await world.invite(session, personas.org, gone)
    channel = await world.email_channel(session, personas.org, ["gone@example.test"])
    channel.created_by_id = gone.id
    key = ApiKey(
        org_id=personas.org.id,
        name="CI",
        role=Role.ADMIN,
        token_hash="f" * 64,
        hint="isk_ff",
        created_by_id=gone.id,
    )
    event = AuditEvent(
        actor_type="user", actor_user_id=gone.id, actor_label="gone", action="x", details={}
    )
    session.add_all([key, event])
    await session.commit()
    rows = [monitor, digest, run, invite, channel, key, event]

    # Straight to the database: the rule is the schema's, not the ORM's.
    await session.execute(delete(User).where(User.id == gone.id))
    await session.commit()

    for row in rows:
        await session.refresh(row)  # still there: refresh raises for a deleted row
    references = [
        monitor.created_by_id,
        digest.triggered_by_user_id,
        run.triggered_by_user_id,
        invite.invited_by_id,
        channel.created_by_id,
        key.created_by_id,
        event.actor_user_id,
    ]
    assert references == [None] * 7
    assert (digest.triggered_by_label, event.actor_label) == ("gone", "gone")
    assert isinstance(monitor, Monitor)
    assert isinstance(digest, DigestRecord)
    assert isinstance(run, DigestRun)
    assert isinstance(invite, Invite)
    assert isinstance(channel, Channel)
