"""The async SQLAlchemy engine over asyncpg."""

import json
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool


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


def server_settings(statement_timeout_ms: int) -> dict[str, str]:
    """The session settings of every connection the service opens."""
    return {"statement_timeout": str(statement_timeout_ms), "timezone": "UTC"}


def create_engine(
    url: str, *, pool_size: int = 10, statement_timeout_ms: int = 15_000, pooled: bool = True,
    connect: Callable[[], Awaitable[Any]] | None = None,
) -> AsyncEngine:
    """`connect`: opens each connection instead of the driver connecting to `url` (which then
    only names the dialect), with the session settings of `server_settings` itself."""
    pool: dict[str, Any] = (
        {"pool_size": pool_size, "max_overflow": 0, "pool_pre_ping": False}
        if pooled else {"poolclass": NullPool}
    )
    connecting: dict[str, Any] = (
        {"async_creator": connect} if connect is not None
        else {"connect_args": {"server_settings": server_settings(statement_timeout_ms)}}
    )
    return create_async_engine(async_url(url), json_serializer=to_json, **connecting, **pool)
