"""The query service of compiled reads: runs their statements.

They run on an asyncpg pool of their own (driver_pool.py): a compiled read is one prepared
statement whose single value is the answer, and going through SQLAlchemy's async layer
would cost about as much Python time as the rest of the request. The pool is to the
primary or, through a `ReadReplica`, to the replica.
"""

from infrastructure.postgres.compiled.compiler import Statement
from infrastructure.postgres.driver_pool import DriverPool


class PgCompiledReads:
    def __init__(self, pool: DriverPool) -> None:
        self._pool = pool

    async def data_json(self, statement: Statement) -> bytes:
        """The `data` object of the answer: JSON built by Postgres, as UTF-8 bytes."""
        data: bytes = await self._pool.fetchval(statement.sql, *statement.parameters)
        return data

    def pool_state(self) -> tuple[int, int, int]:
        """Connections in use, idle, and callers waiting for one (the pool metrics)."""
        return self._pool.state()

    async def close(self) -> None:
        await self._pool.close()
