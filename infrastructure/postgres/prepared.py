"""Fixed statements sent to asyncpg directly, under SQLAlchemy's connection: the one way to
reach the driver (`driver_of`) and the statements built once for it.

A purchase sends about fifteen statements; SQLAlchemy's per-execution work (cache key,
parameter processing, result wrapping, the greenlet hop) costs ~160 µs of CPU each, more
than asyncpg itself. Statements whose shape never changes are therefore built once here as
SQL text and sent to asyncpg directly, on the write path (inside the unit of work's
transaction: `transactions_on_the_driver`) and for hot reads (`reading.PreparedRead`).
asyncpg encodes every value itself but JSON, which is sent as text (`to_json`, as
SQLAlchemy writes it) into a `::jsonb` parameter.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
from sqlalchemy import JSON, ClauseElement, Table, event
from sqlalchemy.dialects import registry
from sqlalchemy.engine import AdaptedConnection, Connection, Dialect, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.compiler import SQLCompiler

from infrastructure.postgres.engine import to_json

DIALECT: Dialect = registry.load("postgresql.asyncpg")()

# SQLAlchemy's asyncpg adapter sends BEGIN lazily, with its own first statement: a statement
# sent to asyncpg before it would run outside the transaction (and a FOR UPDATE lock would
# end with the statement); tests/integration/test_loyalty_ledger.py's concurrent redemptions
# fail then. So a connection that mixes both paths in a transaction (the unit of work's)
# runs its transactions on the driver instead: SQLAlchemy in AUTOCOMMIT sends no BEGIN of
# its own, and BEGIN goes to asyncpg with the first statement of either path: from
# `driver_of`, or, when SQLAlchemy's transaction begins first, from its "begin" event.
# SQLAlchemy's own transaction is begun only by its own statements: a unit of work that
# sends only fixed statements never pays its greenlet hops (about 40 µs each).
_ON_THE_DRIVER = "rapport.transactions_on_the_driver"


def in_autocommit(engine: AsyncEngine) -> AsyncEngine:
    """`engine`, or a copy of it on the same pool, whose connections are in AUTOCOMMIT
    from their checkout on (no round trip: the adapter only stops sending BEGIN)."""
    if engine.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def transactions_on_the_driver(connection: AsyncConnection) -> asyncpg.Connection:
    """Makes `connection`, from an engine `in_autocommit`, run its transactions on the
    driver (see above); the caller ends them there (COMMIT or ROLLBACK), then SQLAlchemy's
    when it began one (`connection.in_transaction()`). Before the connection goes back to
    the pool, `back_to_sqlalchemy` undoes this."""
    sync = connection.sync_connection
    assert sync is not None, "a connection checked out"
    assert not sync.invalidated, "a connection just checked out is valid"
    assert sync.get_execution_options().get("isolation_level") == "AUTOCOMMIT", (
        "a connection of an engine in_autocommit: else SQLAlchemy sends BEGIN itself")
    driver = sync.connection.driver_connection
    assert driver is not None, "the connection is open"
    connection.info[_ON_THE_DRIVER] = driver
    return driver


def back_to_sqlalchemy(connection: AsyncConnection) -> None:
    """The pooled connection's `info` outlives this checkout: the next one is SQLAlchemy's
    (which resets the isolation level itself)."""
    connection.info.pop(_ON_THE_DRIVER, None)


@event.listens_for(Engine, "begin")
def _begin_on_the_driver(connection: Connection) -> None:
    driver = connection.info.get(_ON_THE_DRIVER)
    if driver is not None and not driver.is_in_transaction():  # else a fixed statement began
        adapted = connection.connection.dbapi_connection
        assert isinstance(adapted, AdaptedConnection), "an asyncio driver"
        adapted.run_async(lambda driver: driver.execute("BEGIN"))


async def driver_of(connection: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under `connection` (SQLAlchemy's public
    `get_raw_connection().driver_connection`), inside its transaction when it runs them on
    the driver; refused when SQLAlchemy counts a transaction the server has not begun."""
    on_the_driver: asyncpg.Connection | None = connection.info.get(_ON_THE_DRIVER)
    if on_the_driver is not None:
        if not on_the_driver.is_in_transaction():
            await on_the_driver.execute("BEGIN")
        return on_the_driver
    driver = (await _raw_connection(connection)).driver_connection
    assert driver is not None, "the connection is open"
    assert not connection.in_transaction() or driver.is_in_transaction(), (
        "BEGIN not sent yet: a statement sent to asyncpg first would run outside the"
        " transaction; use transactions_on_the_driver")
    return driver


async def _raw_connection(connection: AsyncConnection) -> PoolProxiedConnection:
    """`get_raw_connection()` without its greenlet hop while the connection is open and
    valid: then `Connection.connection` only returns what it holds. The hop (~40 µs, paid by
    every fixed statement) is needed only to reconnect an invalidated connection."""
    sync = connection.sync_connection
    if sync is not None and not sync.closed and not sync.invalidated:
        return sync.connection
    return await connection.get_raw_connection()


class PreparedQuery:
    """A fixed SELECT with named parameters: `await q.fetch(connection, id=…)`."""

    def __init__(self, query: ClauseElement) -> None:
        compiled = query.compile(dialect=DIALECT)
        assert isinstance(compiled, SQLCompiler), "a statement, not DDL"
        self._sql = compiled.string
        self._parameters = tuple(compiled.positiontup or ())
        # Literals in the statement (LIMIT 1, COALESCE(…, 0)) are parameters too, with values.
        self._literals = {name: bind.effective_value for name, bind in compiled.binds.items()
                          if bind.value is not None}

    async def fetch(self, connection: AsyncConnection, **values: Any) -> list[asyncpg.Record]:
        arguments = (values[name] if name in values else self._literals[name]
                     for name in self._parameters)
        driver = await driver_of(connection)
        return list(await driver.fetch(self._sql, *arguments))

    async def fetchrow(self, connection: AsyncConnection, **values: Any) -> asyncpg.Record | None:
        rows = await self.fetch(connection, **values)
        return rows[0] if rows else None


class PreparedInsert:
    """INSERT of rows given as dicts with the same keys (the columns they set), with an
    optional ON CONFLICT clause. Several rows go in one executemany."""

    def __init__(self, table: Table, on_conflict: str = "") -> None:
        self._table, self._on_conflict = table.name, on_conflict
        self._json = frozenset(c.name for c in table.columns if isinstance(c.type, JSON))
        self._statements: dict[tuple[str, ...], str] = {}  # by the columns rows set

    async def run(self, connection: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        columns = tuple(rows[0])
        sql = self._sql(columns)
        values = [self.values(row, columns) for row in rows]
        driver = await driver_of(connection)
        if len(values) == 1:
            await driver.execute(sql, *values[0])
        else:
            await driver.executemany(sql, values)

    async def inserted(self, connection: AsyncConnection, row: Mapping[str, Any]) -> bool:
        """One row; False when the ON CONFLICT clause (DO NOTHING) left it out."""
        driver = await driver_of(connection)
        columns = tuple(row)
        status: str = await driver.execute(self._sql(columns), *self.values(row, columns))
        return status == "INSERT 0 1"

    def values(self, row: Mapping[str, Any], columns: Sequence[str]) -> tuple[Any, ...]:
        return tuple(to_json(row[c]) if c in self._json else row[c] for c in columns)

    def _sql(self, columns: tuple[str, ...]) -> str:
        sql = self._statements.get(columns)
        if sql is None:
            sql = self._statements[columns] = self.statement(columns)
        return sql

    def statement(self, columns: Sequence[str], rows: int = 1, first: int = 1) -> str:
        """INSERT of `rows` rows, its parameters numbered from `first`, row by row."""
        width = len(columns)
        tuples = ", ".join(
            "(" + ", ".join(f"${first + row * width + number}"
                            + ("::jsonb" if column in self._json else "")
                            for number, column in enumerate(columns)) + ")"
            for row in range(rows))
        return (f"INSERT INTO {self._table} ({', '.join(columns)}) VALUES {tuples}"
                f" {self._on_conflict}").strip()


# By each insert (its table and ON CONFLICT clause), the columns its rows set and how many
# rows: the statement.
_TOGETHER: dict[tuple[tuple["PreparedInsert", tuple[str, ...], int], ...], str] = {}


async def insert_together(
    connection: AsyncConnection, *inserts: tuple[PreparedInsert, Sequence[Mapping[str, Any]]]
) -> None:
    """The rows of several inserts in one statement, one round trip: each insert but the
    last in a data-modifying WITH, which PostgreSQL runs to completion whatever the last
    one reads (the unit of work's outbox rows and audit entry at its commit). An insert
    with no rows is left out. Each insert's rows set the same columns; a statement is built
    once per shape (inserts, columns, row counts), so callers keep the row counts few."""
    present = [(insert, rows, tuple(rows[0])) for insert, rows in inserts if rows]
    if not present:
        return
    shape = tuple((insert, columns, len(rows)) for insert, rows, columns in present)
    sql = _TOGETHER.get(shape)
    if sql is None:
        parts, first = [], 1
        for insert, rows, columns in present:
            parts.append(insert.statement(columns, len(rows), first))
            first += len(columns) * len(rows)
        *withs, last = parts
        written = ", ".join(f"written_{n} AS ({part})" for n, part in enumerate(withs))
        sql = _TOGETHER[shape] = f"WITH {written} {last}" if withs else last
    values = [value for insert, rows, columns in present
              for row in rows for value in insert.values(row, columns)]
    driver = await driver_of(connection)
    await driver.execute(sql, *values)


class PreparedUpdate:
    """UPDATE of one row found by `keys`, setting `columns`, from a dict with both."""

    def __init__(self, table: Table, keys: Sequence[str], columns: Sequence[str]) -> None:
        ordered = (*keys, *columns)
        sets = ", ".join(f"{name} = ${ordered.index(name) + 1}" for name in columns)
        where = " AND ".join(f"{name} = ${ordered.index(name) + 1}" for name in keys)
        self._order = ordered
        self._sql = f"UPDATE {table.name} SET {sets} WHERE {where}"

    async def run(self, connection: AsyncConnection, row: Mapping[str, Any]) -> None:
        driver = await driver_of(connection)
        await driver.execute(self._sql, *(row[name] for name in self._order))
