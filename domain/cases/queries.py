"""The cases read port."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from domain.cases.model import Case, CaseStatus, RoutingRule
from domain.shared.access import EVERYONE, CustomerReach
from domain.shared.paging import Page, PageRequest


@dataclass(frozen=True)
class CaseFilter:
    """`overdue`: open and past its due time, by the adapter's clock. No statuses: any.
    `reach`: only cases of these stores, owners or customer (a clerk's, a member's)."""

    owner_id: UUID | None = None
    queue: str | None = None
    customer_id: UUID | None = None
    statuses: tuple[CaseStatus, ...] = ()
    overdue: bool | None = None
    reach: CustomerReach = EVERYONE


class CaseQueries(Protocol):
    async def by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Case]: ...
    async def page(self, where: CaseFilter, page: PageRequest) -> Page[Case]: ...

    async def for_customers(
        self, customer_ids: Sequence[UUID], where: CaseFilter, page: PageRequest
    ) -> dict[UUID, Page[Case]]: ...

    async def routing_rules(self) -> list[RoutingRule]: ...
    async def routing_rules_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, RoutingRule]: ...
