"""The one way query services read: a pooled connection for a single statement."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncEngine


async def fetch_all(engine: AsyncEngine, query: Select[Any]) -> Sequence[Any]:
    async with engine.connect() as connection:
        return (await connection.execute(query)).mappings().all()
