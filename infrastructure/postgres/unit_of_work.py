"""One transaction per use case, with every repository bound to it."""

from types import TracebackType
from typing import Self

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.shared.clock import Clock
from domain.shared.events import Event
from infrastructure.postgres.cases_repository import PgCaseRepository, PgRoutingRuleRepository
from infrastructure.postgres.customers_repository import PgCustomerRepository
from infrastructure.postgres.idempotency_store import PgIdempotencyStore
from infrastructure.postgres.interactions_repository import PgInteractionRepository
from infrastructure.postgres.organisation_repository import PgStaffRepository, PgStoreRepository
from infrastructure.postgres.tables import outbox


class PgUnitOfWork:
    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self.clock = clock
        self._connection: AsyncConnection | None = None
        self._emitted: list[Event] = []

    async def __aenter__(self) -> Self:
        connection = await self._engine.connect()
        await connection.begin()
        self._connection = connection
        self._emitted = []
        self.customers = PgCustomerRepository(connection)
        self.interactions = PgInteractionRepository(connection)
        self.cases = PgCaseRepository(connection)
        self.routing_rules = PgRoutingRuleRepository(connection)
        self.stores = PgStoreRepository(connection)
        self.staff = PgStaffRepository(connection)
        self.idempotency = PgIdempotencyStore(connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if connection.in_transaction():
            await connection.rollback()
        await connection.close()

    def emit(self, event: Event) -> None:
        self._emitted.append(event)

    async def commit(self) -> None:
        assert self._connection is not None, "commit() outside `async with`"
        events = self._collect_events()
        if events:
            await self._connection.execute(insert(outbox), [
                {"name": e.name, "aggregate_id": e.aggregate_id, "occurred_at": e.occurred_at,
                 "data": e.data}
                for e in events
            ])
        await self._connection.commit()

    def _collect_events(self) -> list[Event]:
        events = list(self._emitted)
        for aggregate in (*self.customers.seen, *self.cases.seen):
            events += aggregate.events
            aggregate.events.clear()
        self._emitted = []
        return events
