"""The composition root: settings → engine → unit of work → use cases and query services.

Nothing else constructs adapters. Use cases are plain functions in `domain/*/services.py`;
here each is bound to what it asks for by keyword (`uow`, `sla`, or `new_uow`, the factory,
for batch jobs that commit in several transactions), cosmicpython-style, so a new use case
needs only a line in USE_CASES.
"""

import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.access import services as access
from domain.audit.ports import AuditLog
from domain.audit.recording import recorded
from domain.cases import services as cases
from domain.customers import privacy
from domain.customers import services as customers
from domain.interactions import services as interactions
from domain.loyalty import points, programmes, purchases, tiers
from domain.organisation import services as organisation
from domain.ports import UnitOfWork
from domain.shared.access import Viewer
from domain.shared.clock import Clock
from infrastructure.clock import SystemClock
from infrastructure.postgres.api_keys import PgApiKeys
from infrastructure.postgres.audit_log import PgAuditLog
from infrastructure.postgres.audit_queries import PgAuditQueries
from infrastructure.postgres.cases_queries import PgCaseQueries
from infrastructure.postgres.compiled.reads import PgCompiledReads
from infrastructure.postgres.customers_queries import PgCustomerQueries
from infrastructure.postgres.interactions_queries import PgInteractionQueries
from infrastructure.postgres.loyalty_queries import PgLoyaltyQueries
from infrastructure.postgres.loyalty_repository import ProgrammeCache
from infrastructure.postgres.organisation_queries import PgOrganisationQueries
from infrastructure.postgres.unit_of_work import PgUnitOfWork
from infrastructure.settings import Settings
from infrastructure.tokens import TokenSettings, TokenVerifier

tracer = trace.get_tracer("rapport.use_cases")

USE_CASES: list[Callable[..., Awaitable[Any]]] = [
    customers.create_customer, customers.update_customer, customers.archive_customer,
    customers.restore_customer, customers.merge_customers,
    customers.add_contact_point, customers.update_contact_point, customers.remove_contact_point,
    customers.add_household_member, customers.update_household_member,
    customers.remove_household_member,
    customers.add_external_reference, customers.update_external_reference,
    customers.remove_external_reference,
    privacy.export_customer_data, privacy.erase_customer,
    interactions.record_interaction,
    cases.open_case, cases.assign_case, cases.start_case, cases.resolve_case, cases.close_case,
    cases.reopen_case, cases.create_routing_rule, cases.delete_routing_rule,
    organisation.create_store, organisation.create_staff,
    access.create_api_client, access.rotate_api_key, access.revoke_api_client,
    access.list_api_clients,
    programmes.save_programme,
    purchases.record_purchase, purchases.record_purchase_batch, purchases.refund_purchase,
    points.redeem_reward, points.pay_with_points, points.adjust_points, points.expire_points,
    tiers.override_tier, tiers.close_period,
]


class UseCases:
    """Every use case with its dependencies bound: `await use_cases.create_customer(cmd)`.
    Each call gets a fresh unit of work and acts as this object's viewer: the container's
    own acts as the system (CLI, seed); a request's is `acting_as(its viewer)`.
    With an `audit_log`, every call is recorded in it (domain/audit/recording.py)."""

    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], settings: Settings,
        viewer: Viewer | None = None, *, audit_log: AuditLog | None = None,
        clock: Clock | None = None,
    ) -> None:
        providers: dict[str, Callable[[], Any]] = {
            "uow": uow_factory, "new_uow": lambda: uow_factory, "sla": lambda: settings.sla}
        record = None if audit_log is None else functools.partial(
            recorded, audit_log=audit_log, clock=clock or SystemClock())
        self._runners = {use_case.__name__: _bind(use_case, providers, record)
                         for use_case in USE_CASES}
        self._viewer = viewer or Viewer.system()

    def acting_as(self, viewer: Viewer) -> "UseCases":
        acting = object.__new__(UseCases)
        acting._runners, acting._viewer = self._runners, viewer
        return acting

    def __getattr__(self, name: str) -> Callable[[Any], Awaitable[Any]]:
        runner = self.__dict__["_runners"].get(name)
        if runner is None:
            raise AttributeError(f"no use case named {name!r}; add it to bootstrap.USE_CASES")
        return functools.partial(runner, viewer=self.__dict__["_viewer"])


def _bind(
    use_case: Callable[..., Awaitable[Any]], providers: dict[str, Callable[[], Any]],
    record: Callable[..., Awaitable[Any]] | None = None,
) -> Callable[..., Awaitable[Any]]:
    """The use case with what it asks for by keyword provided; `viewer` comes per call.
    `record` (audit) runs the call and writes its entry, in the call's unit of work."""
    wanted = [p.name for p in inspect.signature(use_case).parameters.values()
              if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "viewer"]
    span_name = f"use case {use_case.__name__}"

    @functools.wraps(use_case)
    async def run(command: Any, *, viewer: Viewer) -> Any:
        with tracer.start_as_current_span(span_name):
            provided = {n: providers[n]() for n in wanted}
            call = functools.partial(use_case, command, viewer=viewer, **provided)
            if record is None:
                return await call()
            return await record(use_case.__name__, command, viewer, call,
                                uow=provided.get("uow"))

    return run


@dataclass(frozen=True)
class Queries:
    customers: PgCustomerQueries
    interactions: PgInteractionQueries
    cases: PgCaseQueries
    organisation: PgOrganisationQueries
    compiled: PgCompiledReads
    audit: PgAuditQueries
    loyalty: PgLoyaltyQueries


@dataclass(frozen=True)
class Container:
    settings: Settings
    engine: AsyncEngine
    clock: Clock
    use_cases: UseCases
    queries: Queries
    api_keys: PgApiKeys
    tokens: TokenVerifier | None
    audit_log: PgAuditLog
    programmes: ProgrammeCache

    def uow_factory(self) -> UnitOfWork:
        return PgUnitOfWork(self.engine, self.clock, self.programmes)

    async def close(self) -> None:
        """Closes what the container opened itself (the engine belongs to its creator)."""
        await self.queries.compiled.close()


def build_container(
    settings: Settings, engine: AsyncEngine, *, clock: Clock | None = None
) -> Container:
    clock = clock or SystemClock()
    programmes = ProgrammeCache()

    def new_unit_of_work() -> UnitOfWork:
        return PgUnitOfWork(engine, clock, programmes)

    # Reads are single statements: in autocommit they skip the BEGIN/ROLLBACK round trips.
    reads = engine.execution_options(isolation_level="AUTOCOMMIT")
    audit_log = PgAuditLog(reads)  # appends apart from a use case: one INSERT each
    return Container(
        settings=settings,
        engine=engine,
        clock=clock,
        use_cases=UseCases(new_unit_of_work, settings, audit_log=audit_log, clock=clock),
        audit_log=audit_log,
        programmes=programmes,
        tokens=_token_verifier(settings),
        api_keys=PgApiKeys(engine, clock),
        queries=Queries(
            customers=PgCustomerQueries(reads),
            interactions=PgInteractionQueries(reads),
            cases=PgCaseQueries(reads, clock),
            organisation=PgOrganisationQueries(reads),
            audit=PgAuditQueries(reads),
            loyalty=PgLoyaltyQueries(reads),
            compiled=PgCompiledReads(engine.url, pool_size=settings.db_pool_size,
                                     statement_timeout_ms=settings.statement_timeout_ms),
        ),
    )


def _token_verifier(settings: Settings) -> TokenVerifier | None:
    if not (settings.tokens_enabled and settings.jwt_issuer and settings.jwt_audience):
        return None
    return TokenVerifier(TokenSettings(
        issuer=settings.jwt_issuer, audience=settings.jwt_audience,
        jwks_url=settings.jwt_jwks_url, public_key=settings.jwt_public_key,
        algorithms=settings.jwt_algorithms, leeway_seconds=settings.jwt_leeway_seconds,
    ))
