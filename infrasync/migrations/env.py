"""Alembic's entry point. Infrasync calls Alembic from code (db.upgrade_to_head), which
puts the database URL in `config.attributes`; there is no alembic.ini."""

from alembic import context
from sqlalchemy import Connection

import infrasync.models  # registers every table with the metadata
from infrasync.db import sync_engine_for
from infrasync.kit.db import Base

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        user_module_prefix="infrasync.kit.db.",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = sync_engine_for(config.attributes["database_url"])
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


assert not context.is_offline_mode(), "Infrasync migrations run against a live database"
assert infrasync.models  # imported for its side effect
run_online()
