"""The async SQLAlchemy engine over asyncpg."""

import json
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import (
    AsyncAdaptedQueuePool,
    ConnectionPoolEntry,
    NullPool,
    PoolProxiedConnection,
)


def async_url(url: str) -> str:
    """Accepts plain `postgresql://` URLs (as libpq and the embedded server give them)."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    raise ValueError(f"not a PostgreSQL URL: {url!r}")


def to_json(value: Any) -> str:
    """JSON as every JSON column is written, by SQLAlchemy or directly (prepared.py):
    non-ASCII as is, and what JSON lacks (dates, decimals, ids) as its text."""
    return json.dumps(value, ensure_ascii=False, default=str)


class MeasuredPool(AsyncAdaptedQueuePool):
    """SQLAlchemy's pool, counting the callers waiting for a connection (for the pool
    metrics: in use and idle it counts itself)."""

    waiting = 0
    # SQLAlchemy names a pool's logger after its class's module: keep it under "sqlalchemy",
    # which stays quiet unless asked, as the pool it extends does.
    _sqla_logger_namespace = "sqlalchemy.pool.impl.MeasuredPool"

    def _do_get(self) -> ConnectionPoolEntry:
        self.waiting += 1
        try:
            return super()._do_get()
        finally:
            self.waiting -= 1


def server_settings(statement_timeout_ms: int) -> dict[str, str]:
    """The session settings of every connection the service opens."""
    return {"statement_timeout": str(statement_timeout_ms), "timezone": "UTC"}


def create_engine(
    url: str, *, pool_size: int = 10, statement_timeout_ms: int = 15_000,
    pool_timeout_ms: int = 30_000, connect_timeout_ms: int = 10_000, pooled: bool = True,
    connect: Callable[[], Awaitable[Any]] | None = None,
) -> AsyncEngine:
    """`pool_timeout_ms`: how long a caller waits for a pooled connection before giving up
    (SQLAlchemy's TimeoutError); `connect_timeout_ms`: for a new connection to open (a
    server that drops packets would otherwise hold a request for asyncpg's 60 s).
    `connect`: opens each connection instead of the driver connecting to `url` (which then
    only names the dialect), with the session settings of `server_settings` and a timeout
    of its own."""
    pool: dict[str, Any] = (
        {"poolclass": MeasuredPool, "pool_size": pool_size, "max_overflow": 0,
         "pool_timeout": pool_timeout_ms / 1000, "pool_pre_ping": False}
        if pooled else {"poolclass": NullPool}
    )
    connecting: dict[str, Any] = (
        {"async_creator": connect} if connect is not None
        else {"connect_args": {"server_settings": server_settings(statement_timeout_ms),
                               "timeout": connect_timeout_ms / 1000}}
    )
    engine = create_async_engine(
        async_url(url), json_serializer=to_json,
        # An error's message must not carry the statement's values (customers' names,
        # emails): it goes to the log.
        hide_parameters=True,
        **connecting, **pool,
    )
    event.listen(engine.sync_engine.pool, "checkout", _refuse_closed)
    return engine


def _refuse_closed(dbapi_connection: Any, record: ConnectionPoolEntry,
                   proxy: PoolProxiedConnection) -> None:
    """A pooled connection that the server or the network closed while it sat idle (a
    restart, a failover) is replaced on checkout, so the first request after PostgreSQL
    comes back succeeds. asyncpg has already seen the socket close, so this costs no round
    trip, unlike `pool_pre_ping`, which would add one to every request."""
    driver = dbapi_connection.driver_connection
    if driver is not None and driver.is_closed():
        raise DisconnectionError("the pooled connection was closed")
