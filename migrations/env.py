"""Alembic environment. The connection comes from infrastructure.migrations (which the CLI
and the tests call); Alembic's own command line works too with RAPPORT_DATABASE_URL set."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from infrastructure.postgres.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from infrastructure.migrations import run_with_engine_from_settings

    asyncio.run(run_with_engine_from_settings(_run))


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `rapport migrate`")
run_migrations_online()
