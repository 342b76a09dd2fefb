"""One transaction per use case, with every repository bound to it."""

from types import TracebackType
from typing import Self

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.audit.model import AuditEntry, ids_in_events
from domain.cases.model import Case
from domain.customers.model import Customer
from domain.partners.model import Grant
from domain.reactions import NO_REACTIONS, Reactions, react
from domain.shared.clock import Clock
from domain.shared.events import Event
from infrastructure.postgres.api_clients_repository import PgApiClientRepository
from infrastructure.postgres.audit_log import INSERT_ENTRIES, entry_to_row, insert_entries
from infrastructure.postgres.cases_repository import PgCaseRepository, PgRoutingRuleRepository
from infrastructure.postgres.customers_repository import PgCustomerRepository
from infrastructure.postgres.idempotency_store import PgIdempotencyStore
from infrastructure.postgres.interactions_repository import PgInteractionRepository
from infrastructure.postgres.loyalty_repository import (
    PgLoyaltyRepository,
    PgProgrammeRepository,
    ProgrammeCache,
)
from infrastructure.postgres.organisation_repository import PgStaffRepository, PgStoreRepository
from infrastructure.postgres.partners_repository import PgPartnerRepository
from infrastructure.postgres.pipeline_repository import PgPipelineRepository
from infrastructure.postgres.prepared import (
    PreparedInsert,
    back_to_sqlalchemy,
    in_autocommit,
    insert_together,
    transactions_on_the_driver,
)
from infrastructure.postgres.tables import outbox

_INSERT_OUTBOX = PreparedInsert(outbox)
# Up to this many events go in one statement with the audit entry (a statement per count,
# prepared once each); a commit of more sends the outbox's rows apart, in one executemany.
_OUTBOX_ROWS_WITH_AUDIT = 8


class PgUnitOfWork:
    def __init__(self, engine: AsyncEngine, clock: Clock,
                 programmes: ProgrammeCache | None = None,
                 reactions: Reactions = NO_REACTIONS) -> None:
        self._engine = in_autocommit(engine)  # transactions go to the driver (prepared.py)
        self._reactions = reactions
        # `is None`, not `or`: an empty cache is falsy, and the shared one starts empty.
        self._programmes = programmes if programmes is not None else ProgrammeCache()
        self.clock = clock
        self._connection: AsyncConnection | None = None
        self._driver: asyncpg.Connection | None = None
        self._emitted: list[Event] = []
        self._staged_audit: AuditEntry | None = None
        self._written_audit: AuditEntry | None = None

    async def __aenter__(self) -> Self:
        # Repositories send fixed statements to asyncpg directly (prepared.py): the transaction
        # is the driver's, begun with the first statement of either path.
        connection = await self._engine.connect()
        try:
            driver = transactions_on_the_driver(connection)
        except BaseException:
            await connection.close()
            raise
        self._connection, self._driver = connection, driver
        self._emitted = []
        self.customers = PgCustomerRepository(connection)
        self.interactions = PgInteractionRepository(connection)
        self.cases = PgCaseRepository(connection)
        self.routing_rules = PgRoutingRuleRepository(connection)
        self.stores = PgStoreRepository(connection)
        self.staff = PgStaffRepository(connection)
        self.idempotency = PgIdempotencyStore(connection)
        self.api_clients = PgApiClientRepository(connection)
        self.programmes = PgProgrammeRepository(connection, self._programmes)
        self.loyalty = PgLoyaltyRepository(connection)
        self.partners = PgPartnerRepository(connection)
        self.pipeline = PgPipelineRepository(connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        driver, self._driver = self._driver, None
        if connection is None:
            return
        try:
            if driver is not None and driver.is_in_transaction():
                await driver.execute("ROLLBACK")
        except BaseException:
            await connection.invalidate()  # never back to the pool inside a transaction
            raise
        finally:
            if not connection.invalidated:
                back_to_sqlalchemy(connection)
            await connection.close()

    def emit(self, event: Event) -> None:
        self._emitted.append(event)

    def stage_audit(self, entry: AuditEntry) -> None:
        self._staged_audit, self._written_audit = entry, None

    def written_audit(self) -> AuditEntry | None:
        return self._written_audit

    async def commit(self) -> None:
        assert self._connection is not None, "commit() outside `async with`"
        assert self._driver is not None
        # Reactions write in this transaction, before the outbox: theirs commit with it.
        events = await react(self, self._reactions, self._collect_events(),
                             self._collect_events)
        outbox_rows = [
            {"name": e.name, "aggregate_id": e.aggregate_id, "occurred_at": e.occurred_at,
             "data": e.data}
            for e in events
        ]
        audited = self._staged_audit
        if audited is not None:
            # The mutation's audit entry commits with it, or not at all (domain/audit/recording).
            audited = audited.targeting(ids_in_events(events))
        if audited is not None and 0 < len(outbox_rows) <= _OUTBOX_ROWS_WITH_AUDIT:
            # Both in one statement: a mutation's writes end in one round trip, not two.
            await insert_together(self._connection, (_INSERT_OUTBOX, outbox_rows),
                                  (INSERT_ENTRIES, [entry_to_row(audited)]))
        else:
            await _INSERT_OUTBOX.run(self._connection, outbox_rows)
            if audited is not None:
                await insert_entries(self._connection, [audited])
        if self._driver.is_in_transaction():
            await self._driver.execute("COMMIT")
        if self._connection.in_transaction():  # SQLAlchemy's, begun by its own statements
            await self._connection.commit()  # the next statement begins anew
        if audited is not None:
            self._staged_audit, self._written_audit = None, audited

    def _collect_events(self) -> list[Event]:
        events = list(self._emitted)
        aggregates: list[Customer | Case | Grant] = [
            *self.customers.seen, *self.cases.seen, *self.partners.seen]
        for aggregate in aggregates:
            events += aggregate.events
            aggregate.events.clear()
        self._emitted = []
        return events
