"""Request-scoped DataLoaders: every nested read is batched, so a page of customers with
nested lists costs one statement per list, whatever the page size."""

import functools
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from strawberry.dataloader import DataLoader

from domain.cases.model import Case, RoutingRule
from domain.customers.model import ContactPoint, ExternalReference, HouseholdMember
from domain.customers.queries import CustomerSummary
from domain.interactions.model import Interaction
from domain.organisation.model import Staff, Store
from domain.shared.paging import Page, PageRequest
from infrastructure.bootstrap import Queries

V = TypeVar("V")


def _by_key(
    fetch: Callable[[Sequence[UUID]], Awaitable[dict[UUID, V]]], default: Any = None
) -> DataLoader[UUID, Any]:
    async def load(keys: list[UUID]) -> list[Any]:
        found = await fetch(keys)
        return [found.get(key, default) for key in keys]

    return DataLoader(load_fn=load)


@dataclass(frozen=True)
class PageKey:
    """One parent's page: the same filter and page arguments batch into one statement."""

    parent_id: UUID
    where: Hashable
    page: PageRequest


def _pages(
    fetch: Callable[[Sequence[UUID], Any, PageRequest], Awaitable[dict[UUID, Page[V]]]],
) -> DataLoader[PageKey, Page[V]]:
    async def load(keys: list[PageKey]) -> list[Page[V]]:
        groups: dict[tuple[Hashable, PageRequest], list[UUID]] = defaultdict(list)
        for key in keys:
            groups[(key.where, key.page)].append(key.parent_id)
        pages: dict[PageKey, Page[V]] = {}
        for (where, page), parent_ids in groups.items():
            found = await fetch(parent_ids, where, page)
            for parent_id in parent_ids:
                pages[PageKey(parent_id, where, page)] = found.get(parent_id, Page())
        return [pages[key] for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    def __init__(self, queries: Queries) -> None:
        customers, organisation = queries.customers, queries.organisation
        self.customer: DataLoader[UUID, CustomerSummary | None] = _by_key(customers.by_ids)
        self.contact_points: DataLoader[UUID, list[ContactPoint]] = _by_key(
            customers.contact_points, default=[])
        self.household: DataLoader[UUID, list[HouseholdMember]] = _by_key(
            customers.household, default=[])
        self.external_refs: DataLoader[UUID, list[ExternalReference]] = _by_key(
            customers.external_refs, default=[])
        self.interaction: DataLoader[UUID, Interaction | None] = _by_key(
            queries.interactions.by_ids)
        self.timeline: DataLoader[PageKey, Page[Interaction]] = _pages(
            queries.interactions.timelines)
        self.case: DataLoader[UUID, Case | None] = _by_key(queries.cases.by_ids)
        self.customer_cases: DataLoader[PageKey, Page[Case]] = _pages(
            queries.cases.for_customers)
        self.contact_point: DataLoader[UUID, Any] = _by_key(
            functools.partial(customers.items_by_ids, ContactPoint))
        self.household_member: DataLoader[UUID, Any] = _by_key(
            functools.partial(customers.items_by_ids, HouseholdMember))
        self.external_reference: DataLoader[UUID, Any] = _by_key(
            functools.partial(customers.items_by_ids, ExternalReference))
        self.routing_rule: DataLoader[UUID, RoutingRule | None] = _by_key(
            queries.cases.routing_rules_by_ids)
        self.staff: DataLoader[UUID, Staff | None] = _by_key(organisation.staff_by_ids)
        self.store: DataLoader[UUID, Store | None] = _by_key(organisation.stores_by_ids)

