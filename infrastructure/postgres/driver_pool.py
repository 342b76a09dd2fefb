"""A pool of asyncpg connections of its own, for work that sends fixed statements and has
no use for SQLAlchemy: the compiled reads (compiled/reads.py) and the API-key check
(api_keys.py).

Checking a connection out of SQLAlchemy's async pool and running a statement through it
costs three greenlet hops and SQLAlchemy's per-execution work: about as much Python time
as the rest of a compiled read, and a tenth of a partner's redemption. This pool opens on
first use and holds up to `pool_size` connections, to `url` or, through a `ReadReplica`,
to the replica.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy.engine import URL

from infrastructure.postgres.replica import ReadReplica


class DriverPool:
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
            # are no values: they are written into the SQL, see mapping.PageQuery.shape.) The
            # key check's plan is an index lookup by the key's prefix, whatever it is.
            "plan_cache_mode": "force_generic_plan",
        }
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection for the block. One the server closed while idle is replaced by
        asyncpg's pool; none free in time is a TimeoutError (faults.py)."""
        pool, connection = await self._acquire()
        try:
            yield connection
        finally:
            await pool.release(connection)

    async def fetchval(self, sql: str, *parameters: Any) -> Any:
        """The first value of the statement's first row, on a connection of the pool: as
        `connection()` does, without a context manager's generator (a compiled read's
        whole work here)."""
        pool, connection = await self._acquire()
        try:
            return await connection.fetchval(sql, *parameters)
        finally:
            await pool.release(connection)

    async def _acquire(self) -> tuple[asyncpg.Pool, asyncpg.Connection]:
        self.waiting += 1
        try:
            pool = self._pool or await self._open()
            if self._replica is not None and self._replica.returns() != self._returns:
                # Some connections may have been opened on the primary while it was away.
                self._returns = self._replica.returns()
                await pool.expire_connections()
            # With a connection idle, acquiring it waits for no one (a closed one is
            # reopened within the connect timeout): no timer to arm and cancel.
            timeout = None if pool.get_idle_size() else self._acquire_timeout
            return pool, await pool.acquire(timeout=timeout)
        finally:
            self.waiting -= 1

    def state(self) -> tuple[int, int, int]:
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
    """What runs on this pool sets no session state, so a released connection needs no
    reset: this skips the round trip of asyncpg's default one (RESET ALL, UNLISTEN *, ...)."""
