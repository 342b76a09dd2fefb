"""Several inserts in one statement (prepared.insert_together): a statement is kept per
shape of the inserts, and each insert keeps its own ON CONFLICT clause in it, even where
another insert into the same table has the same columns and rows."""

import asyncpg
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.postgres.prepared import PreparedInsert, insert_together

_NOTES = Table("together_notes", MetaData(), Column("id", Integer, primary_key=True))
_INSERT = PreparedInsert(_NOTES)
_INSERT_UNLESS_THERE = PreparedInsert(_NOTES, "ON CONFLICT DO NOTHING")
# Dropped with the test's transaction, committed or not.
_CREATE = "CREATE TEMPORARY TABLE together_notes (id int PRIMARY KEY) ON COMMIT DROP"


async def test_an_insert_that_skips_conflicts_skips_them_after_a_plain_one_of_its_shape(
    db: AsyncEngine,
) -> None:
    async with db.begin() as connection:
        await connection.execute(text(_CREATE))
        await insert_together(connection, (_INSERT, [{"id": 1}]))

        await insert_together(connection, (_INSERT_UNLESS_THERE, [{"id": 1}]))

        result = await connection.execute(text("SELECT id FROM together_notes"))
        assert result.scalars().all() == [1]


async def test_a_plain_insert_refuses_a_duplicate_after_a_skipping_one_of_its_shape(
    db: AsyncEngine,
) -> None:
    async with db.connect() as connection:
        await connection.begin()
        await connection.execute(text(_CREATE))
        await insert_together(connection, (_INSERT_UNLESS_THERE, [{"id": 1}, {"id": 2}]))

        with pytest.raises(asyncpg.UniqueViolationError):
            await insert_together(connection, (_INSERT, [{"id": 2}, {"id": 3}]))
