"""The composition root: settings → engine → unit of work → use cases and query services.

Nothing else constructs adapters. The use cases' typed container is built in use_cases.py;
query services are typed by the read Protocols that `domain/` owns, so a resolver sees the
port, never the Postgres class behind it.

With a read replica, the query services and compiled reads are built twice: `queries` on the
replica (the read side), `primary_queries` on the primary (what a request reads once it has
written, and authentication). Without one, both are the same services on the primary.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.audit.queries import AuditQueries
from domain.cases.queries import CaseQueries
from domain.customers.queries import CustomerQueries
from domain.interactions.queries import InteractionQueries
from domain.loyalty.queries import LoyaltyQueries
from domain.organisation.queries import OrganisationQueries
from domain.partners.grants import REACTIONS as PARTNER_REACTIONS
from domain.partners.queries import PartnerQueries
from domain.pipeline.leads import REACTIONS as PIPELINE_REACTIONS
from domain.pipeline.queries import PipelineQueries
from domain.ports import UnitOfWork
from domain.reactions import NO_REACTIONS, Reactions, combined
from domain.shared.clock import Clock
from infrastructure.bootstrap.use_cases import UseCase, UseCases, Wiring, build_use_cases
from infrastructure.clock import SystemClock
from infrastructure.postgres.api_keys import PgApiKeys
from infrastructure.postgres.audit_log import PgAuditLog
from infrastructure.postgres.audit_queries import PgAuditQueries
from infrastructure.postgres.cases_queries import PgCaseQueries
from infrastructure.postgres.compiled.compiler import Statement
from infrastructure.postgres.compiled.reads import PgCompiledReads
from infrastructure.postgres.customers_queries import PgCustomerQueries
from infrastructure.postgres.driver_pool import DriverPool
from infrastructure.postgres.engine import MeasuredPool
from infrastructure.postgres.interactions_queries import PgInteractionQueries
from infrastructure.postgres.loyalty_queries import PgLoyaltyQueries
from infrastructure.postgres.loyalty_repository import ProgrammeCache
from infrastructure.postgres.organisation_queries import PgOrganisationQueries
from infrastructure.postgres.partners_queries import PgPartnerQueries
from infrastructure.postgres.pipeline_queries import PgPipelineQueries
from infrastructure.postgres.replica import ReadReplica
from infrastructure.postgres.unit_of_work import PgUnitOfWork
from infrastructure.settings import Settings
from infrastructure.telemetry import OFF, Telemetry, observe_pools, observe_replica_lag, untraced
from infrastructure.tokens import TokenSettings, TokenVerifier

__all__ = ["OFF", "REACTIONS", "Container", "Queries", "Telemetry", "UseCase", "UseCases",
           "build_container"]

# What the contexts do about one another's facts in the writer's transaction: loyalty's
# purchases and tier changes issue (and returns revoke) partners' grants; an interaction or
# a purchase follows a new lead up. Loyalty and interactions know nothing of partners or
# the pipeline; this is the one place that joins them.
REACTIONS: Reactions = combined(PARTNER_REACTIONS, PIPELINE_REACTIONS)

log = logging.getLogger(__name__)
Background = Callable[[], Coroutine[Any, Any, None]]  # runs until cancelled


class CompiledReads(Protocol):
    """Runs a compiled read: the JSON that PostgreSQL built for the statement."""

    async def data_json(self, statement: Statement) -> bytes: ...

    async def close(self) -> None: ...

    def pool_state(self) -> tuple[int, int, int]: ...


@dataclass(frozen=True)
class Queries:
    customers: CustomerQueries
    interactions: InteractionQueries
    cases: CaseQueries
    organisation: OrganisationQueries
    compiled: CompiledReads
    audit: AuditQueries
    loyalty: LoyaltyQueries
    partners: PartnerQueries
    pipeline: PipelineQueries


@dataclass(frozen=True)
class Container:
    settings: Settings
    engine: AsyncEngine
    clock: Clock
    use_cases: UseCases
    queries: Queries  # on the replica when there is one
    primary_queries: Queries  # the same services on the primary: `queries` when no replica
    api_keys: PgApiKeys
    tokens: TokenVerifier | None
    audit_log: PgAuditLog
    programmes: ProgrammeCache
    reactions: Reactions = field(default_factory=lambda: NO_REACTIONS)
    telemetry: Telemetry = OFF
    replica: ReadReplica | None = None
    # What runs while the service serves (`running`): the replica lag's readings, when a
    # metric reports them.
    background: tuple[Background, ...] = ()

    def uow_factory(self) -> UnitOfWork:
        return PgUnitOfWork(self.engine, self.clock, self.programmes, self.reactions)

    async def close(self) -> None:
        """Closes what the container opened itself (the engines, and the replica, belong to
        their creator)."""
        await self.queries.compiled.close()
        if self.primary_queries is not self.queries:
            await self.primary_queries.compiled.close()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """`background`, each in a task for as long as the block runs (the app's lifespan)."""
        with untraced():  # the tasks keep the context they were created in
            tasks = [asyncio.create_task(work(), name=work.__qualname__)
                     for work in self.background]
        for task in tasks:
            task.add_done_callback(_log_failure)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def build_container(
    settings: Settings, engine: AsyncEngine, *, clock: Clock | None = None,
    reactions: Reactions = REACTIONS, telemetry: Telemetry = OFF,
    replica: ReadReplica | None = None,
) -> Container:
    """`reactions`: what one context does, in the writer's transaction, about another's
    events (domain/reactions.py), by event name; the service's own unless a test says
    otherwise. `telemetry`: where spans and metrics go (off unless given). `replica`: where
    the read side goes; None, the primary (`engine`)."""
    clock = clock or SystemClock()
    programmes = ProgrammeCache()

    # Reads are single statements: in autocommit they skip the BEGIN/ROLLBACK round trips.
    # Units of work, in autocommit too, send BEGIN and COMMIT on the driver (prepared.py).
    on_primary = engine.execution_options(isolation_level="AUTOCOMMIT")

    def new_unit_of_work() -> UnitOfWork:
        return PgUnitOfWork(on_primary, clock, programmes, reactions)

    audit_log = PgAuditLog(on_primary)  # appends apart from a use case: one INSERT each
    # The primary's asyncpg pool: its compiled reads and the API-key check.
    on_the_driver = _driver_pool(settings, engine)
    primary_queries = _queries(on_primary, clock, compiled=PgCompiledReads(on_the_driver))
    queries = primary_queries if replica is None else _queries(
        replica.engine.execution_options(isolation_level="AUTOCOMMIT"), clock,
        compiled=PgCompiledReads(_driver_pool(settings, replica.engine, replica)))
    meter = telemetry.meter("rapport.postgres")
    background: tuple[Background, ...] = ()
    if meter is not None:
        pools = {"sqlalchemy": lambda: _pool_state(engine),
                 "compiled_reads": queries.compiled.pool_state}
        if replica is not None:
            pools["sqlalchemy_replica"] = lambda: _pool_state(replica.engine)
            observe_replica_lag(meter, lambda: replica.last_lag_seconds)
            background = (replica.watch_lag,)
        observe_pools(meter, pools)
    wiring = Wiring(new_unit_of_work, settings.sla, audit_log, clock,
                    tracer=telemetry.tracer("rapport.use_cases"))
    return Container(
        settings=settings,
        engine=engine,
        clock=clock,
        telemetry=telemetry,
        use_cases=build_use_cases(wiring),
        audit_log=audit_log,
        programmes=programmes,
        reactions=reactions,
        tokens=_token_verifier(settings),
        api_keys=PgApiKeys(on_the_driver, clock),
        queries=queries,
        primary_queries=primary_queries,
        replica=replica,
        background=background,
    )


def _driver_pool(settings: Settings, engine: AsyncEngine,
                 replica: ReadReplica | None = None) -> DriverPool:
    return DriverPool(engine.url, pool_size=settings.db_pool_size,
                      statement_timeout_ms=settings.statement_timeout_ms,
                      acquire_timeout_ms=settings.db_pool_timeout_ms,
                      connect_timeout_ms=settings.db_connect_timeout_ms, replica=replica)


def _queries(reads: AsyncEngine, clock: Clock, *, compiled: CompiledReads) -> Queries:
    return Queries(
        customers=PgCustomerQueries(reads),
        interactions=PgInteractionQueries(reads),
        cases=PgCaseQueries(reads, clock),
        organisation=PgOrganisationQueries(reads),
        audit=PgAuditQueries(reads),
        loyalty=PgLoyaltyQueries(reads),
        partners=PgPartnerQueries(reads),
        pipeline=PgPipelineQueries(reads, clock),
        compiled=compiled,
    )


def _log_failure(task: asyncio.Task[None]) -> None:
    """A background task ends only when cancelled: anything else is a bug, said at once."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("background task %s failed", task.get_name(), exc_info=error)


def _pool_state(engine: AsyncEngine) -> tuple[int, int, int]:
    """SQLAlchemy's pool: connections in use, idle, and callers waiting for one."""
    pool = engine.sync_engine.pool
    if not isinstance(pool, MeasuredPool):  # a NullPool (jobs, tests) keeps nothing
        return 0, 0, 0
    return pool.checkedout(), pool.checkedin(), pool.waiting


def _token_verifier(settings: Settings) -> TokenVerifier | None:
    if not (settings.tokens_enabled and settings.jwt_issuer and settings.jwt_audience):
        return None
    return TokenVerifier(TokenSettings(
        issuer=settings.jwt_issuer, audience=settings.jwt_audience,
        jwks_url=settings.jwt_jwks_url, public_key=settings.jwt_public_key,
        algorithms=settings.jwt_algorithms, leeway_seconds=settings.jwt_leeway_seconds,
    ))
