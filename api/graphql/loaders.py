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
from domain.loyalty.model import (
    LedgerEntry,
    Membership,
    Programme,
    Purchase,
    QualifyingTotals,
    TierChange,
)
from domain.organisation.model import Staff, Store
from domain.partners.model import Grant, Offer, Partner, Redemption
from domain.pipeline.analytics import (
    ForecastMonth,
    FunnelStep,
    OutcomeBreakdown,
    SourceConversion,
    StageTiming,
)
from domain.pipeline.model import Deal, DealLink, DealMove, Lead, Pipeline, Stage
from domain.pipeline.queries import AnalyticsScope, FollowUps
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


def _each(fetch: Callable[[K], Awaitable[V]]) -> DataLoader[K, V]:
    """One read per distinct key, each asked once however many fields need it (a
    programme by code, one range's analytics)."""

    async def load(keys: list[K]) -> list[V]:
        return [await fetch(key) for key in keys]

    return _SharedLoader(load_fn=load)


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


@dataclass(frozen=True)
class MemberKey:
    """One member of one programme; `extra` (a window, a horizon) is the same for the whole
    request, so the keys of a page batch into one statement per programme."""

    programme_id: UUID
    customer_id: UUID
    extra: tuple[Any, ...] = ()


def _per_member(
    fetch: Callable[..., Awaitable[dict[UUID, Any]]], default: Any = None
) -> DataLoader[MemberKey, Any]:
    """`fetch(programme_id, customer_ids, *extra)`, once per programme and extra."""

    async def load(keys: list[MemberKey]) -> list[Any]:
        groups: dict[tuple[UUID, tuple[Any, ...]], list[UUID]] = defaultdict(list)
        for key in keys:
            groups[(key.programme_id, key.extra)].append(key.customer_id)
        found: dict[MemberKey, Any] = {}
        for (programme_id, extra), customer_ids in groups.items():
            rows = await fetch(programme_id, customer_ids, *extra)
            for customer_id in customer_ids:
                found[MemberKey(programme_id, customer_id, extra)] = rows.get(customer_id, default)
        return [found[key] for key in keys]

    return _SharedLoader(load_fn=load)


class Loaders:
    """One of each loader per request, each made the first time a resolver asks for it: most
    requests need two or three of the two dozen."""

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

    # Loyalty.

    @functools.cached_property
    def loyalty_programme(self) -> DataLoader[str | None, Programme | None]:
        """By code; None is the default programme. A request names one or two."""
        return _each(self._queries.loyalty.programme)

    @functools.cached_property
    def loyalty_programme_by_id(self) -> DataLoader[UUID, Programme | None]:
        return _by_key(self._queries.loyalty.programmes_by_ids)

    @functools.cached_property
    def membership(self) -> DataLoader[MemberKey, Membership | None]:
        return _per_member(self._queries.loyalty.memberships)

    @functools.cached_property
    def qualifying_totals(self) -> DataLoader[MemberKey, QualifyingTotals]:
        """extra: (since, until)."""
        return _per_member(self._queries.loyalty.qualifying_totals, default=QualifyingTotals())

    @functools.cached_property
    def points_expiring(self) -> DataLoader[MemberKey, int]:
        """extra: (now, until)."""
        return _per_member(self._queries.loyalty.points_expiring, default=0)

    @functools.cached_property
    def tier_history(self) -> DataLoader[MemberKey, list[TierChange]]:
        return _per_member(self._queries.loyalty.tier_histories, default=[])

    @functools.cached_property
    def ledger(self) -> DataLoader[PageKey, Page[LedgerEntry]]:
        """PageKey.where is the programme id."""
        ledgers = self._queries.loyalty.ledgers
        return _pages(lambda customer_ids, programme_id, page:
                      ledgers(programme_id, customer_ids, page))

    @functools.cached_property
    def ledger_entry(self) -> DataLoader[UUID, LedgerEntry | None]:
        return _by_key(self._queries.loyalty.entries_by_ids)

    @functools.cached_property
    def purchases(self) -> DataLoader[PageKey, Page[Purchase]]:
        purchases = self._queries.loyalty.purchases
        return _pages(lambda customer_ids, _where, page: purchases(customer_ids, page))

    @functools.cached_property
    def purchase(self) -> DataLoader[UUID, Purchase | None]:
        return _by_key(self._queries.loyalty.purchases_by_ids)

    # Partners.

    @functools.cached_property
    def partner(self) -> DataLoader[UUID, Partner | None]:
        return _by_key(self._queries.partners.partners_by_ids)

    @functools.cached_property
    def offer(self) -> DataLoader[UUID, Offer | None]:
        return _by_key(self._queries.partners.offers_by_ids)

    @functools.cached_property
    def partner_offers(self) -> DataLoader[PageKey, Page[Offer]]:
        """PageKey.where is the status asked for, or None."""
        return _pages(self._queries.partners.offers_of_partners)

    @functools.cached_property
    def benefits(self) -> DataLoader[PageKey, Page[Grant]]:
        """A customer's grants; PageKey.where is a GrantFilter."""
        return _pages(self._queries.partners.grants_of_customers)

    @functools.cached_property
    def grant(self) -> DataLoader[UUID, Grant | None]:
        return _by_key(self._queries.partners.grants_by_ids)

    @functools.cached_property
    def grant_redemptions(self) -> DataLoader[UUID, list[Redemption]]:
        return _by_key(self._queries.partners.redemptions_of_grants, default=[])

    @functools.cached_property
    def redemption(self) -> DataLoader[UUID, Redemption | None]:
        return _by_key(self._queries.partners.redemptions_by_ids)

    # The sales pipeline.

    @functools.cached_property
    def pipeline(self) -> DataLoader[UUID, Pipeline | None]:
        return _by_key(self._queries.pipeline.pipelines_by_ids)

    @functools.cached_property
    def stage(self) -> DataLoader[UUID, Stage | None]:
        return _by_key(self._queries.pipeline.stages_by_ids)

    @functools.cached_property
    def deal(self) -> DataLoader[UUID, Deal | None]:
        return _by_key(self._queries.pipeline.deals_by_ids)

    @functools.cached_property
    def deal_moves(self) -> DataLoader[UUID, list[DealMove]]:
        return _by_key(self._queries.pipeline.moves_of_deals, default=[])

    @functools.cached_property
    def deal_links(self) -> DataLoader[UUID, list[DealLink]]:
        return _by_key(self._queries.pipeline.links_of_deals, default=[])

    @functools.cached_property
    def customer_deals(self) -> DataLoader[PageKey, Page[Deal]]:
        """PageKey.where is a DealFilter."""
        return _pages(self._queries.pipeline.deals_of_customers)

    @functools.cached_property
    def stage_deals(self) -> DataLoader[PageKey, Page[Deal]]:
        """A board column's deals; PageKey.where is a DealFilter."""
        return _pages(self._queries.pipeline.deals_in_stages)

    @functools.cached_property
    def owner_deals(self) -> DataLoader[PageKey, Page[Deal]]:
        """A member of staff's deals; PageKey.where is a DealFilter."""
        return _pages(self._queries.pipeline.deals_of_owners)

    @functools.cached_property
    def lead(self) -> DataLoader[UUID, Lead | None]:
        return _by_key(self._queries.pipeline.leads_by_ids)

    @functools.cached_property
    def follow_ups(self) -> DataLoader[UUID, FollowUps]:
        return _by_key(self._queries.pipeline.follow_ups, default=FollowUps())

    @functools.cached_property
    def funnel(self) -> DataLoader[AnalyticsScope, list[FunnelStep]]:
        return _each(self._queries.pipeline.funnel)

    @functools.cached_property
    def stage_timings(self) -> DataLoader[AnalyticsScope, list[StageTiming]]:
        return _each(self._queries.pipeline.stage_timings)

    @functools.cached_property
    def outcomes(self) -> DataLoader[AnalyticsScope, OutcomeBreakdown]:
        return _each(self._queries.pipeline.outcomes)

    @functools.cached_property
    def forecast(self) -> DataLoader[AnalyticsScope, list[ForecastMonth]]:
        return _each(self._queries.pipeline.forecast)

    @functools.cached_property
    def lead_sources(self) -> DataLoader[AnalyticsScope, list[SourceConversion]]:
        return _each(self._queries.pipeline.lead_sources)
