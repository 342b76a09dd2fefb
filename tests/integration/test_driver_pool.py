"""The asyncpg pool of compiled reads and the key check: a connection for every caller
while one is free, and a TimeoutError (answered 503, faults.py) when none is in time."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import make_url

from infrastructure.postgres.driver_pool import DriverPool


@pytest.fixture
async def one_connection(database_url: str) -> AsyncIterator[DriverPool]:
    pool = DriverPool(make_url(database_url), pool_size=1, statement_timeout_ms=5_000,
                      acquire_timeout_ms=200)
    yield pool
    await pool.close()


async def test_callers_take_turns_on_the_free_connection(one_connection: DriverPool) -> None:
    answers = await asyncio.gather(*(one_connection.fetchval("SELECT $1::int", n)
                                     for n in range(5)))

    assert answers == [0, 1, 2, 3, 4]
    assert one_connection.state() == (0, 1, 0)


async def test_no_connection_free_within_the_acquire_timeout_is_a_timeout(
    one_connection: DriverPool,
) -> None:
    async with one_connection.connection():
        with pytest.raises(TimeoutError):
            await one_connection.fetchval("SELECT 1")

    assert await one_connection.fetchval("SELECT 1") == 1
    assert one_connection.state() == (0, 1, 0)
