"""The query service of compiled reads: runs their statements.

They run on a pool of their own, straight on asyncpg: a compiled read is one prepared
statement whose single value is the answer, and going through SQLAlchemy's async layer
(three greenlet hops per checkout) would cost about as much Python time as the rest of the
request. The pool opens on first use and holds up to RAPPORT_DB_POOL_SIZE connections, to
the primary or, through a `ReadReplica`, to the replica.
"""

import asyncio

import asyncpg
from sqlalchemy.engine import URL

from infrastructure.postgres.compiled.compiler import Statement
from infrastructure.postgres.replica import ReadReplica


class PgCompiledReads:
    def __init__(
        self, url: URL, *, pool_size: int, statement_timeout_ms: int,
        acquire_timeout_ms: int = 30_000, connect_timeout_ms: int = 10_000,
        replica: ReadReplica | None = None,
    ) -> None:
        """`replica`: connect through it instead of to `url`."""
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._replica = replica
        self._returns = 0  # the replica's returns this pool's connections are opened after
        self._pool_size = pool_size
        self._acquire_timeout = acquire_timeout_ms / 1000
        self._connect_timeout = connect_timeout_ms / 1000
        self.waiting = 0  # callers waiting for a connection (the pool metrics)
        self._server_settings = {
            "statement_timeout": str(statement_timeout_ms),
            "timezone": "UTC",
            # A compiled statement is a large expression tree that costs ~0.3 ms to plan;
            # left to choose, Postgres keeps re-planning some of them for every execution.
            # Their plans are index lookups whatever the values, so plan them once. (Page sizes
            # are no values: they are written into the SQL, see mapping.PageQuery.shape.)
            "plan_cache_mode": "force_generic_plan",
        }
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def data_json(self, statement: Statement) -> bytes:
        """The `data` object of the answer: JSON built by Postgres, as UTF-8 bytes."""
        self.waiting += 1
        try:
            pool = self._pool or await self._open()
            if self._replica is not None and self._replica.returns() != self._returns:
                # Some connections may have been opened on the primary while it was away.
                self._returns = self._replica.returns()
                await pool.expire_connections()
            # A connection the server closed while idle is replaced here by asyncpg's pool;
            # no free one in time is a TimeoutError (infrastructure/postgres/faults.py).
            connection = await pool.acquire(timeout=self._acquire_timeout)
        finally:
            self.waiting -= 1
        try:
            data: bytes = await connection.fetchval(statement.sql, *statement.parameters)
            return data
        finally:
            await pool.release(connection)

    def pool_state(self) -> tuple[int, int, int]:
        """Connections in use, idle, and callers waiting for one (the pool metrics)."""
        if self._pool is None:
            return 0, 0, self.waiting
        idle = self._pool.get_idle_size()
        return self._pool.get_size() - idle, idle, self.waiting

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _open(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                replica = self._replica
                self._pool = await asyncpg.create_pool(
                    None if replica else self._dsn, connect=replica.connect if replica else None,
                    min_size=1, max_size=self._pool_size,
                    server_settings=self._server_settings, reset=_keep_session,
                    timeout=self._connect_timeout,
                )
            return self._pool


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Compiled reads set no session state, so a released connection needs no reset: this
    skips the round trip of asyncpg's default one (RESET ALL, UNLISTEN *, ...)."""
