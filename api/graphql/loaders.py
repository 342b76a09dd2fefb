"""Request-scoped DataLoaders: every nested read is batched, so a page of customers with
nested lists costs one statement per list, whatever the page size."""

import asyncio
import functools
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from strawberry.dataloader import DataLoader

from domain.cases.model import Case, RoutingRule
from domain.customers.model import ConsentEvent, ContactPoint, ExternalReference, HouseholdMember
from domain.customers.queries import CustomerSummary
from domain.interactions.model import Interaction
from domain.organisation.model import Staff, Store
from domain.shared.paging import Page, PageRequest
from infrastructure.bootstrap import Queries

V = TypeVar("V")
K = TypeVar("K")


class _SharedLoader(DataLoader[K, V]):
    """Resolvers asking for the same key await one future. When an error nulls a subtree,
    graphql-core cancels its pending resolvers, and a task awaiting a future cancels that
    future: the resolvers elsewhere awaiting it would get CancelledError and the whole
    request would fail. Each caller awaits its own shield of the shared future instead."""

    def load(self, key: K) -> Awaitable[V]:
        return asyncio.shield(super().load(key))


def _by_key(
    fetch: Callable[[Sequence[UUID]], Awaitable[dict[UUID, V]]], default: Any = None
) -> DataLoader[UUID, Any]:
    async def load(keys: list[UUID]) -> list[Any]:
        found = await fetch(keys)
        return [found.get(key, default) for key in keys]

    return _SharedLoader(load_fn=load)


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

    return _SharedLoader(load_fn=load)


class Loaders:
    """One of each loader per request, each made the first time a resolver asks for it: most
    requests need two or three of the fourteen."""

    def __init__(self, queries: Queries) -> None:
        self._queries = queries

    @functools.cached_property
    def customer(self) -> DataLoader[UUID, CustomerSummary | None]:
        return _by_key(self._queries.customers.by_ids)

    @functools.cached_property
    def contact_points(self) -> DataLoader[UUID, list[ContactPoint]]:
        return _by_key(self._queries.customers.contact_points, default=[])

    @functools.cached_property
    def consent_history(self) -> DataLoader[UUID, list[ConsentEvent]]:
        """By contact point id."""
        return _by_key(self._queries.customers.consent_history, default=[])

    @functools.cached_property
    def household(self) -> DataLoader[UUID, list[HouseholdMember]]:
        return _by_key(self._queries.customers.household, default=[])

    @functools.cached_property
    def external_refs(self) -> DataLoader[UUID, list[ExternalReference]]:
        return _by_key(self._queries.customers.external_refs, default=[])

    @functools.cached_property
    def interaction(self) -> DataLoader[UUID, Interaction | None]:
        return _by_key(self._queries.interactions.by_ids)

    @functools.cached_property
    def timeline(self) -> DataLoader[PageKey, Page[Interaction]]:
        return _pages(self._queries.interactions.timelines)

    @functools.cached_property
    def case(self) -> DataLoader[UUID, Case | None]:
        return _by_key(self._queries.cases.by_ids)

    @functools.cached_property
    def customer_cases(self) -> DataLoader[PageKey, Page[Case]]:
        return _pages(self._queries.cases.for_customers)

    @functools.cached_property
    def contact_point(self) -> DataLoader[UUID, Any]:
        return _by_key(functools.partial(self._queries.customers.items_by_ids, ContactPoint))

    @functools.cached_property
    def household_member(self) -> DataLoader[UUID, Any]:
        return _by_key(functools.partial(self._queries.customers.items_by_ids, HouseholdMember))

    @functools.cached_property
    def external_reference(self) -> DataLoader[UUID, Any]:
        return _by_key(
            functools.partial(self._queries.customers.items_by_ids, ExternalReference)
        )

    @functools.cached_property
    def routing_rule(self) -> DataLoader[UUID, RoutingRule | None]:
        return _by_key(self._queries.cases.routing_rules_by_ids)

    @functools.cached_property
    def staff(self) -> DataLoader[UUID, Staff | None]:
        return _by_key(self._queries.organisation.staff_by_ids)

    @functools.cached_property
    def store(self) -> DataLoader[UUID, Store | None]:
        return _by_key(self._queries.organisation.stores_by_ids)
