"""How query services read.

Dynamic statements (filters, cursors) go through SQLAlchemy Core. Fixed lookups that every
request makes (rows by ids, child lists) are compiled once and run on the asyncpg connection
under the pool as prepared statements: SQLAlchemy's per-execution work costs about as much
as the query itself on these.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Table, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.postgres.prepared import PreparedQuery


async def fetch_all(engine: AsyncEngine, query: Select[Any]) -> Sequence[Any]:
    async with engine.connect() as connection:
        rows: Sequence[Any] = (await connection.execute(query)).mappings().all()
        return rows


@dataclass(frozen=True)
class PreparedRead:
    """A fixed SELECT with named bind parameters, compiled once at import, run on a
    connection of its own."""

    query: PreparedQuery

    @classmethod
    def of(cls, query: Select[Any]) -> "PreparedRead":
        return cls(PreparedQuery(query))

    async def fetch(self, engine: AsyncEngine, **values: Any) -> Sequence[Any]:
        async with engine.connect() as connection:
            return await self.query.fetch(connection, **values)


def rows_by_ids(table: Table, column: str = "id", order_by: str | None = None) -> PreparedRead:
    """Rows whose `column` is any of the `ids` passed to `fetch(engine, ids=[...])`."""
    ids = bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))
    query = select(table).where(table.c[column] == any_(ids))
    if order_by is not None:
        query = query.order_by(table.c[column], table.c[order_by])
    return PreparedRead.of(query)
