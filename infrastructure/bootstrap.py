"""The composition root: settings → engine → unit of work → use cases and query services.

Nothing else constructs adapters. Use cases are plain functions in `domain/*/services.py`;
here each is bound to what it asks for by keyword (`uow`, `sla`), cosmicpython-style, so a
new use case needs only a line in USE_CASES.
"""

import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.cases import services as cases
from domain.customers import services as customers
from domain.interactions import services as interactions
from domain.organisation import services as organisation
from domain.ports import UnitOfWork
from domain.shared.clock import Clock
from infrastructure.clock import SystemClock
from infrastructure.postgres.cases_queries import PgCaseQueries
from infrastructure.postgres.compiled.reads import PgCompiledReads
from infrastructure.postgres.customers_queries import PgCustomerQueries
from infrastructure.postgres.interactions_queries import PgInteractionQueries
from infrastructure.postgres.organisation_queries import PgOrganisationQueries
from infrastructure.postgres.unit_of_work import PgUnitOfWork
from infrastructure.settings import Settings

tracer = trace.get_tracer("rapport.use_cases")

USE_CASES: list[Callable[..., Awaitable[Any]]] = [
    customers.create_customer, customers.update_customer, customers.archive_customer,
    customers.restore_customer, customers.merge_customers,
    customers.add_contact_point, customers.update_contact_point, customers.remove_contact_point,
    customers.add_household_member, customers.update_household_member,
    customers.remove_household_member,
    customers.add_external_reference, customers.update_external_reference,
    customers.remove_external_reference,
    interactions.record_interaction,
    cases.open_case, cases.assign_case, cases.start_case, cases.resolve_case, cases.close_case,
    cases.reopen_case, cases.create_routing_rule, cases.delete_routing_rule,
    organisation.create_store, organisation.create_staff,
]


class UseCases:
    """Every use case with its dependencies bound: `await use_cases.create_customer(cmd)`.
    Each call gets a fresh unit of work."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], settings: Settings) -> None:
        providers: dict[str, Callable[[], Any]] = {"uow": uow_factory, "sla": lambda: settings.sla}
        for use_case in USE_CASES:
            wanted = [p for p in inspect.signature(use_case).parameters.values()
                      if p.kind is inspect.Parameter.KEYWORD_ONLY]
            setattr(self, use_case.__name__, self._bind(use_case, wanted, providers))

    @staticmethod
    def _bind(
        use_case: Callable[..., Awaitable[Any]],
        wanted: list[inspect.Parameter],
        providers: dict[str, Callable[[], Any]],
    ) -> Callable[[Any], Awaitable[Any]]:
        span_name = f"use case {use_case.__name__}"

        @functools.wraps(use_case)
        async def run(command: Any) -> Any:
            with tracer.start_as_current_span(span_name):
                return await use_case(command, **{p.name: providers[p.name]() for p in wanted})

        return run

    def __getattr__(self, name: str) -> Callable[[Any], Awaitable[Any]]:
        raise AttributeError(f"no use case named {name!r}; add it to bootstrap.USE_CASES")


@dataclass(frozen=True)
class Queries:
    customers: PgCustomerQueries
    interactions: PgInteractionQueries
    cases: PgCaseQueries
    organisation: PgOrganisationQueries
    compiled: PgCompiledReads


@dataclass(frozen=True)
class Container:
    settings: Settings
    engine: AsyncEngine
    clock: Clock
    use_cases: UseCases
    queries: Queries

    def uow_factory(self) -> UnitOfWork:
        return PgUnitOfWork(self.engine, self.clock)

    async def close(self) -> None:
        """Closes what the container opened itself (the engine belongs to its creator)."""
        await self.queries.compiled.close()


def build_container(
    settings: Settings, engine: AsyncEngine, *, clock: Clock | None = None
) -> Container:
    clock = clock or SystemClock()

    def new_unit_of_work() -> UnitOfWork:
        return PgUnitOfWork(engine, clock)

    # Reads are single statements: in autocommit they skip the BEGIN/ROLLBACK round trips.
    reads = engine.execution_options(isolation_level="AUTOCOMMIT")
    return Container(
        settings=settings,
        engine=engine,
        clock=clock,
        use_cases=UseCases(new_unit_of_work, settings),
        queries=Queries(
            customers=PgCustomerQueries(reads),
            interactions=PgInteractionQueries(reads),
            cases=PgCaseQueries(reads, clock),
            organisation=PgOrganisationQueries(reads),
            compiled=PgCompiledReads(engine.url, pool_size=settings.db_pool_size,
                                     statement_timeout_ms=settings.statement_timeout_ms),
        ),
    )
