"""The read side on a streaming replica (RAPPORT_READ_DATABASE_URL).

The query services and the compiled reads open their connections through `ReadReplica`: to
the replica, or, once it could not be reached (down, restarting, refusing connections, not
answering within CONNECT_TIMEOUT), to the primary, with a warning in the log. Every
RETRY_AFTER, the next read starts a try of the replica in the background; when it answers,
the connections opened on the primary meanwhile are replaced as they are next used, so
reads go back to the replica by themselves, and no request waits for a replica that is away.

Writes never come here: the units of work, authentication and the audit log hold the
primary's engine, and a request that wrote reads the primary from then on
(api/graphql/context.py).

A replica that answers but lags behind keeps serving: its reads are as old as its lag, which
`status()` tells /readyz, and `watch_lag()` keeps in `last_lag_seconds` for the metric.
"""

import asyncio
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.postgres.engine import async_url, create_engine, server_settings

log = logging.getLogger(__name__)

# Once the replica could not be reached, reads stay on the primary this long before it is
# tried again, in the background. A replica that doesn't answer within CONNECT_TIMEOUT is
# unreachable: the read that finds out waits that long, those after it don't.
RETRY_AFTER = 5.0
CONNECT_TIMEOUT = 2.0
# How often `watch_lag` reads the lag for its metric. The gauge's callback runs in the
# exporter's thread, away from the event loop that can ask the replica, so it reports the
# last reading: at most this old, and one small query per interval whatever the scrapes.
LAG_READ_EVERY = 5.0

# What opening a connection raises when the replica can't serve: the network (refused,
# unreachable, timed out), the server (starting up, shutting down, too many clients,
# refused login), the driver.
_UNREACHABLE = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)

# Replay lag: nothing, when the replica has replayed all it received from a running WAL
# receiver (an idle primary writes nothing, and the last replayed commit grows old without
# the replica being behind); else the age of the last commit it replayed. The receiver's row
# exists while it runs (its other columns are hidden from roles without pg_read_all_stats).
_STATE = """
SELECT in_recovery, receiving,
       CASE WHEN in_recovery THEN pg_is_wal_replay_paused() END AS paused,
       CASE WHEN NOT in_recovery THEN NULL
            WHEN receiving AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0.0
            ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
       END AS lag_seconds
FROM (SELECT pg_is_in_recovery() AS in_recovery,
             EXISTS (SELECT FROM pg_stat_wal_receiver) AS receiving) AS server
"""


@dataclass(frozen=True)
class ReplicaState:
    """What the replica says of itself. `lag_seconds` None: not a replica, or nothing
    replayed since it started."""

    in_recovery: bool
    receiving: bool
    paused: bool
    lag_seconds: float | None

    def describe(self) -> str:
        if not self.in_recovery:
            return "not a replica: pg_is_in_recovery() is false"
        behind = ("lag unknown, nothing replayed since it started" if self.lag_seconds is None
                  else f"{self.lag_seconds:.1f} s behind")
        if self.paused:
            return f"{behind}, replay paused"
        if not self.receiving:
            return f"{behind}, receiving no WAL from the primary"
        return f"ok, {behind}"


class ReadReplica:
    """The replica's engine (for the query services) and `connect` (for the compiled reads'
    pool), both falling back to the primary while the replica can't be reached."""

    def __init__(
        self, replica_url: str, primary_url: str, *, pool_size: int, statement_timeout_ms: int,
        pool_timeout_ms: int = 30_000, retry_after: float = RETRY_AFTER,
        connect_timeout: float = CONNECT_TIMEOUT, lag_read_every: float = LAG_READ_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._replica_dsn, self._primary_dsn = _dsn(replica_url), _dsn(primary_url)
        self._settings = server_settings(statement_timeout_ms)
        self._retry_after, self._connect_timeout, self._clock = retry_after, connect_timeout, clock
        self._lag_read_every = lag_read_every
        self.last_lag_seconds: float | None = None  # what `watch_lag` read last
        self._unreachable: str | None = None  # why, while reads go to the primary
        self._retry_at = 0.0
        self._trying: asyncio.Task[None] | None = None
        self._returns = 0
        self._on_primary: weakref.WeakSet[asyncpg.Connection] = weakref.WeakSet()
        self.engine: AsyncEngine = create_engine(replica_url, pool_size=pool_size,
                                                 pool_timeout_ms=pool_timeout_ms,
                                                 connect=self._connect_for_engine)
        event.listen(self.engine.sync_engine, "checkout", self._replace_if_stale)

    async def connect(self, dsn: None = None, **options: Any) -> asyncpg.Connection:
        """A connection for reads, called as asyncpg's pool calls `asyncpg.connect`: with
        its options, and the pool's `dsn`, None (the server is chosen here). The replica
        gets its own short timeout, so that a replica away falls back quickly; the primary
        the pool's."""
        options.setdefault("server_settings", self._settings)
        pool_timeout = options.pop("timeout", None)
        if self._unreachable is None:
            try:
                connection: asyncpg.Connection = await asyncpg.connect(
                    self._replica_dsn, timeout=self._connect_timeout, **options)
            except _UNREACHABLE as error:
                self._fell_back(error)
            else:
                return connection
        else:
            self.returns()
        if pool_timeout is not None:
            options["timeout"] = pool_timeout
        connection = await asyncpg.connect(self._primary_dsn, **options)
        self._on_primary.add(connection)
        return connection

    def returns(self) -> int:
        """How many times the replica came back: a pool whose connections were opened
        before the last return opens them afresh. Also starts a try of the replica, when
        reads are on the primary and one is due."""
        if (self._unreachable is not None and self._trying is None
                and self._clock() >= self._retry_at):
            self._retry_at = self._clock() + self._retry_after
            self._trying = asyncio.get_running_loop().create_task(self._try_again())
        return self._returns

    def on_primary(self, connection: asyncpg.Connection) -> bool:
        """Whether `connection` was opened on the primary, the replica being unreachable."""
        return connection in self._on_primary

    async def state(self) -> ReplicaState:
        """Asks the replica itself; raises what connecting or asking raises."""
        connection = await asyncpg.connect(self._replica_dsn, timeout=self._connect_timeout,
                                           server_settings=self._settings)
        try:
            row = await connection.fetchrow(_STATE)
        finally:
            await connection.close()
        assert row is not None  # one row, always
        return ReplicaState(in_recovery=row["in_recovery"], receiving=row["receiving"],
                            paused=bool(row["paused"]), lag_seconds=row["lag_seconds"])

    async def status(self) -> str:
        """The replica as /readyz shows it: "ok, 0.3 s behind", or what is wrong with it.
        Asking is a try too: reads move to the primary or back with what it finds."""
        try:
            state = await self.state()
        except _UNREACHABLE as error:
            if self._unreachable is None:
                self._fell_back(error)
            return f"unreachable: {type(error).__name__}; reads go to the primary"
        self._came_back()
        return state.describe()

    async def watch_lag(self) -> None:
        """Reads the lag as /readyz does (`state()`) into `last_lag_seconds`, now and every
        `lag_read_every` seconds, until cancelled. None while it is unknown: the replica
        unreachable or promoted, or nothing replayed since it started."""
        while True:
            try:
                self.last_lag_seconds = (await self.state()).lag_seconds
            except _UNREACHABLE as error:
                log.debug("replica lag not read (%s)", type(error).__name__)
                self.last_lag_seconds = None
            await asyncio.sleep(self._lag_read_every)

    async def dispose(self) -> None:
        if self._trying is not None:
            self._trying.cancel()
        await self.engine.dispose()

    async def _try_again(self) -> None:
        try:
            connection = await asyncpg.connect(self._replica_dsn, timeout=self._connect_timeout,
                                               server_settings=self._settings)
            await connection.close()
        except _UNREACHABLE as error:
            log.debug("read replica still unreachable (%s)", type(error).__name__)
        else:
            self._came_back()
        finally:
            self._trying = None

    async def _connect_for_engine(self) -> asyncpg.Connection:
        return await self.connect()

    def _replace_if_stale(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        """On checkout from the engine's pool, a connection is dropped, and the pool opens
        another through `connect`, when the server closed it (the replica stopped: asyncpg
        saw it go, SQLAlchemy's pool would only find out by failing a read on it), or when it
        was opened on the primary while the replica was away and the replica is back."""
        self.returns()
        connection = dbapi_connection.driver_connection
        if connection.is_closed():
            raise DisconnectionError("the server closed the connection")
        if self._unreachable is None and self.on_primary(connection):
            raise DisconnectionError("the read replica is back")

    def _fell_back(self, error: BaseException) -> None:
        if self._unreachable is None:
            log.warning("read replica unreachable (%s: %s): reads go to the primary, and try "
                        "the replica again every %g s", type(error).__name__, error,
                        self._retry_after)
        self._unreachable = type(error).__name__
        self._retry_at = self._clock() + self._retry_after

    def _came_back(self) -> None:
        if self._unreachable is not None:
            log.warning("read replica reachable again: reads go to it")
            self._unreachable = None
            self._returns += 1


def _dsn(url: str) -> str:
    """A libpq URL for asyncpg from any PostgreSQL URL the settings accept."""
    return "postgresql://" + async_url(url).removeprefix("postgresql+asyncpg://")
