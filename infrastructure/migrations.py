"""Running Alembic from code: upgrade to head, and tell whether a database is at head (or
ahead of it, migrated by a newer release during a rolling upgrade)."""

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current_revision)


async def is_at_head(engine: AsyncEngine) -> bool:
    return await current_revision(engine) == head_revision()


def is_newer_than_head(revision: str | None) -> bool:
    """A revision this release does not know: one a newer release migrated the database to.
    Migrations only expand the schema while the previous release still runs on it
    (docs/operations.md, upgrades), so this release keeps working on it."""
    if revision is None or revision == head_revision():
        return False
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        return True
    return False


async def is_at_or_ahead_of_head(engine: AsyncEngine) -> bool:
    """Whether this release can serve on the database: at its head, or ahead of it."""
    current = await current_revision(engine)
    return current == head_revision() or is_newer_than_head(current)


async def upgrade_to_head(engine: AsyncEngine) -> None:
    def upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        await connection.run_sync(upgrade)


async def run_with_engine_from_settings(migrate: Callable[[Connection], None]) -> None:
    """For Alembic's own command line: the engine the settings describe."""
    from infrastructure.postgres.engine import create_engine
    from infrastructure.settings import Settings

    engine = create_engine(Settings.from_environment().database_url or "")
    async with engine.begin() as connection:
        await connection.run_sync(migrate)
    await engine.dispose()
