"""The hand-written migrations build exactly the schema that infrastructure/postgres/tables.py
describes, can be undone, and tell whether a database is at head."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Index, inspect, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.migrations import alembic_config, is_at_head, upgrade_to_head
from infrastructure.postgres.engine import create_engine
from infrastructure.postgres.tables import metadata

DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy's is unannotated


@pytest.fixture
async def empty_engine(empty_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(empty_database_url, pooled=False)
    yield engine
    await engine.dispose()


def _compared_by_alembic(connection: Connection) -> list[Any]:
    options = {"compare_type": True, "compare_server_default": True}
    return list(compare_metadata(MigrationContext.configure(connection, opts=options), metadata))


def _expected_in_definition(index: Index) -> list[str]:
    """What PostgreSQL's own definition of `index` must show of the parts Alembic does not
    compare: the access method, operator classes and the predicate of a partial index."""
    options = index.dialect_options["postgresql"]
    expected = [f"USING {options['using'] or 'btree'} "]
    expected += [f"{column} {operator_class}" for column, operator_class in options["ops"].items()]
    if options["where"] is not None:
        predicate = options["where"].compile(dialect=DIALECT)
        expected.append(f"WHERE ({predicate})")
    return expected


async def _index_definition_differences(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
        ))
        definitions: dict[str, str] = {name: definition for name, definition in rows}
    differences = []
    for index in (index for table in metadata.tables.values() for index in table.indexes):
        definition = definitions.get(str(index.name), "")
        differences += [f"{index.name} lacks {part!r}: {definition}"
                        for part in _expected_in_definition(index) if part not in definition]
        if index.dialect_options["postgresql"]["where"] is None and " WHERE " in definition:
            differences.append(f"{index.name} is partial: {definition}")
    return differences


async def _schema_differences(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        differences = await connection.run_sync(_compared_by_alembic)
    return differences + await _index_definition_differences(engine)


async def _table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def _downgrade_to_base(engine: AsyncEngine) -> None:
    def downgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")

    async with engine.begin() as connection:
        await connection.run_sync(downgrade)


async def test_migrating_an_empty_database_builds_exactly_the_described_schema(
    empty_engine: AsyncEngine,
) -> None:
    await upgrade_to_head(empty_engine)

    assert await _schema_differences(empty_engine) == []
    assert await _table_names(empty_engine) == {*metadata.tables, "alembic_version"}


async def test_the_comparison_notices_a_schema_that_drifted(empty_engine: AsyncEngine) -> None:
    await upgrade_to_head(empty_engine)
    async with empty_engine.begin() as connection:
        await connection.execute(text("DROP INDEX ix_customers_last_interaction_id"))
        await connection.execute(text("DROP INDEX ix_outbox_unpublished"))
        await connection.execute(text("CREATE INDEX ix_outbox_unpublished ON outbox (id)"))
        await connection.execute(text("ALTER TABLE stores ALTER COLUMN city TYPE varchar(10)"))

    differences = await _schema_differences(empty_engine)

    assert len(differences) == 4, differences  # the missing index counts in both comparisons
    assert "ix_outbox_unpublished lacks 'WHERE (published_at IS NULL)'" in str(differences)


async def test_downgrading_to_base_removes_everything_and_upgrading_again_rebuilds_it(
    empty_engine: AsyncEngine,
) -> None:
    await upgrade_to_head(empty_engine)

    await _downgrade_to_base(empty_engine)
    assert await _table_names(empty_engine) <= {"alembic_version"}
    assert not await is_at_head(empty_engine)

    await upgrade_to_head(empty_engine)
    assert await _schema_differences(empty_engine) == []


async def test_an_empty_database_is_not_at_head_until_upgraded(
    empty_engine: AsyncEngine,
) -> None:
    assert not await is_at_head(empty_engine)

    await upgrade_to_head(empty_engine)

    assert await is_at_head(empty_engine)
