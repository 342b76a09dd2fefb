"""The unit of work: one transaction, and the repositories that act inside it."""

from types import TracebackType
from typing import Protocol, Self

from domain.access.ports import ApiClientRepository
from domain.audit.model import AuditEntry
from domain.cases.ports import CaseRepository, RoutingRuleRepository
from domain.customers.ports import CustomerRepository
from domain.interactions.ports import InteractionRepository
from domain.loyalty.ports import LoyaltyRepository, ProgrammeRepository
from domain.organisation.ports import StaffRepository, StoreRepository
from domain.partners.ports import PartnerRepository
from domain.pipeline.ports import PipelineRepository
from domain.shared.clock import Clock
from domain.shared.events import Event
from domain.shared.idempotency import IdempotencyStore


class UnitOfWork(Protocol):
    """Entered once per use case. Leaving without `commit()` rolls everything back, so a use
    case that raises writes nothing. Events raised by saved aggregates or emitted go to the
    outbox in the same transaction."""

    # Read-only, so that an adapter may give its own repository classes (a Protocol's plain
    # attribute would have to be exactly the port's type).
    @property
    def clock(self) -> Clock: ...
    @property
    def customers(self) -> CustomerRepository: ...
    @property
    def interactions(self) -> InteractionRepository: ...
    @property
    def cases(self) -> CaseRepository: ...
    @property
    def routing_rules(self) -> RoutingRuleRepository: ...
    @property
    def stores(self) -> StoreRepository: ...
    @property
    def staff(self) -> StaffRepository: ...
    @property
    def idempotency(self) -> IdempotencyStore: ...
    @property
    def api_clients(self) -> ApiClientRepository: ...
    @property
    def programmes(self) -> ProgrammeRepository: ...
    @property
    def loyalty(self) -> LoyaltyRepository: ...
    @property
    def partners(self) -> PartnerRepository: ...
    @property
    def pipeline(self) -> PipelineRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Runs the reactions to the events raised in this unit of work (domain/reactions.py)
        inside its transaction, and to the events they raise in turn; then writes every
        event to the outbox and commits."""

    def emit(self, event: Event) -> None: ...

    def stage_audit(self, entry: AuditEntry) -> None:
        """`entry` is written by the next `commit()`, in its transaction, its targets joined
        by the ids of what that commit wrote (`ids_in_events`). Rolled back, it is not."""

    def written_audit(self) -> AuditEntry | None:
        """The staged entry as a commit wrote it; None until one has."""
