"""One contract, two backends: every test here runs on the in-memory fakes (tests/fakes.py)
and on the Postgres adapters, so the fakes the unit tests trust cannot drift from the real
thing. Where the two disagree, Postgres is right and the fake is fixed.

A test asks for `uow_factory` and calls it for each unit of work it needs; the units it
makes share one database (the fake's committed state, or the test's emptied Postgres), so a
second unit of work sees what the first one committed. `uow_factory.outbox()` reads the
events committed so far, oldest first, from whichever backend it is.
"""

from datetime import datetime
from typing import Protocol

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.customers.model import Customer
from domain.ports import UnitOfWork
from domain.reactions import NO_REACTIONS, Reactions
from domain.shared.events import Event
from infrastructure.postgres.loyalty_repository import ProgrammeCache
from infrastructure.postgres.tables import outbox
from infrastructure.postgres.unit_of_work import PgUnitOfWork
from tests.contract import records
from tests.fakes import FakeUnitOfWork, FixedClock

BACKENDS = ["fake", "postgres"]


class UowFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...

    async def outbox(self) -> list[Event]: ...

    def reacting(self, reactions: Reactions) -> "UowFactory":
        """Units of work over the database as committed so far that run `reactions` when
        they commit: the test goes on with them (a fake's copy of the data is its own)."""


class _FakeUnits:
    """One FakeUnitOfWork entered again and again: its committed state is the database."""

    def __init__(self, clock: FixedClock) -> None:
        self._uow = FakeUnitOfWork(clock)

    def __call__(self) -> UnitOfWork:
        return self._uow

    def reacting(self, reactions: Reactions) -> UowFactory:
        reacting = _FakeUnits(self._uow.fixed_clock)
        reacting._uow = FakeUnitOfWork(self._uow.fixed_clock, reactions)
        reacting._uow.data = self._uow.snapshot()
        return reacting

    async def outbox(self) -> list[Event]:
        return self._uow.events


class _PostgresUnits:
    """Units of work as the composition root makes them: one programme cache for all."""

    def __init__(self, engine: AsyncEngine, clock: FixedClock,
                 reactions: Reactions = NO_REACTIONS) -> None:
        self._engine, self._clock, self._reactions = engine, clock, reactions
        self._programmes = ProgrammeCache()

    def __call__(self) -> UnitOfWork:
        return PgUnitOfWork(self._engine, self._clock, self._programmes, self._reactions)

    def reacting(self, reactions: Reactions) -> UowFactory:
        return _PostgresUnits(self._engine, self._clock, reactions)

    async def outbox(self) -> list[Event]:
        async with self._engine.connect() as connection:
            rows = await connection.execute(select(outbox).order_by(outbox.c.id))
            return [Event(r.name, r.aggregate_id, r.occurred_at, r.data) for r in rows]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture(params=BACKENDS)
def uow_factory(request: pytest.FixtureRequest, clock: FixedClock) -> UowFactory:
    """Asks for the database only on the Postgres run, so the fake run needs none."""
    if request.param == "fake":
        return _FakeUnits(clock)
    engine: AsyncEngine = request.getfixturevalue("db")
    return _PostgresUnits(engine, clock)


async def stored_customers(uow_factory: UowFactory, now: datetime, n: int) -> list[Customer]:
    """`n` customers, added and committed: whom the other records belong to."""
    made = [records.a_customer(now, name=f"Customer {i}") for i in range(n)]
    async with uow_factory() as uow:
        for customer in made:
            await uow.customers.add(customer)
        await uow.commit()
    return made
