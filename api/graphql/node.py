"""`node(id)` and `nodes(ids)`: any object by its global id (Relay)."""

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import strawberry

from api.graphql.cases.types import CaseRoutingRuleType, CaseType
from api.graphql.context import Info
from api.graphql.customers.types import (
    ContactPointType,
    CustomerType,
    ExternalReferenceType,
    HouseholdMemberType,
)
from api.graphql.interactions.types import InteractionType
from api.graphql.loyalty.types import LoyaltyProgrammeType, PointsLedgerEntryType, PurchaseType
from api.graphql.organisation.types import StaffType, StoreType
from api.graphql.partners.types import GrantType, OfferType, PartnerType, RedemptionType
from api.graphql.permissions import not_allowed_error, refused_read
from api.graphql.pipeline.types import DealType, LeadType, PipelineStageType, PipelineType
from api.graphql.relay import Node, parse_global_id
from domain.cases.model import Case
from domain.customers.model import ContactPoint, ExternalReference, HouseholdMember
from domain.customers.queries import CustomerSummary
from domain.interactions.model import Interaction
from domain.loyalty.model import LedgerEntry, Purchase
from domain.partners.model import Grant, Redemption
from domain.pipeline.model import Deal, Lead
from domain.shared.access import Viewer
from domain.shared.errors import DomainError


async def _load(info: Info, loader: str, present: Callable[[Any], Node], key: UUID) -> Node | None:
    found = await getattr(info.context.loaders, loader).load(key)
    if not found:
        return None
    _require_reach(info.context.viewer, found)
    return present(found)


def _require_reach(viewer: Viewer, found: Any) -> None:
    """A viewer who does not reach every customer gets only nodes they would reach through
    the root fields: their customers, their cases and interactions; parts of a customer
    (contact points, household, references, purchases, points) only through the customer."""
    if viewer.customer_reach.everyone:
        return
    match found:
        case CustomerSummary(id=customer_id, profile=profile):
            reach = (customer_id, profile.home_store_id, profile.owner_id)
        case Case() | Interaction():
            owner = found.owner_id if isinstance(found, Case) else found.staff_id
            reach = (found.customer_id, found.store_id, owner)
        case Deal() | Lead():
            reach = (found.customer_id, found.store_id, found.owner_id)
        case (ContactPoint() | HouseholdMember() | ExternalReference() | Purchase()
              | LedgerEntry() | Grant() | Redemption()):
            raise not_allowed_error("ask for the customer this belongs to instead")
        case _:
            return
    try:
        viewer.require_reach(*reach)
    except DomainError as refusal:
        raise refused_read(refusal) from None


_RESOLVERS: dict[str, Callable[[Info, UUID], Awaitable[Node | None]]] = {
    "ContactPoint": lambda info, key: _load(
        info, "contact_point", ContactPointType.from_domain, key),
    "HouseholdMember": lambda info, key: _load(
        info, "household_member", HouseholdMemberType.from_domain, key),
    "ExternalReference": lambda info, key: _load(
        info, "external_reference", ExternalReferenceType.from_domain, key),
    "CaseRoutingRule": lambda info, key: _load(
        info, "routing_rule", CaseRoutingRuleType.from_domain, key),
    "Customer": lambda info, key: _load(info, "customer", CustomerType.from_summary, key),
    "Interaction": lambda info, key: _load(info, "interaction", InteractionType.from_domain, key),
    "Case": lambda info, key: _load(info, "case", CaseType.from_domain, key),
    "Staff": lambda info, key: _load(info, "staff", StaffType.from_domain, key),
    "Store": lambda info, key: _load(info, "store", StoreType.from_domain, key),
    "LoyaltyProgramme": lambda info, key: _load(
        info, "loyalty_programme_by_id", LoyaltyProgrammeType.from_domain, key),
    "Purchase": lambda info, key: _load(info, "purchase", PurchaseType.from_domain, key),
    "PointsLedgerEntry": lambda info, key: _load(
        info, "ledger_entry", PointsLedgerEntryType.from_domain, key),
    "Partner": lambda info, key: _load(info, "partner", PartnerType.from_domain, key),
    "Offer": lambda info, key: _load(info, "offer", OfferType.from_domain, key),
    "Grant": lambda info, key: _load(info, "grant", GrantType.from_domain, key),
    "Redemption": lambda info, key: _load(
        info, "redemption", RedemptionType.from_domain, key),
    "Pipeline": lambda info, key: _load(info, "pipeline", PipelineType.from_domain, key),
    "PipelineStage": lambda info, key: _load(info, "stage", PipelineStageType.from_domain, key),
    "Deal": lambda info, key: _load(info, "deal", DealType.from_domain, key),
    "Lead": lambda info, key: _load(info, "lead", LeadType.from_domain, key),
}


async def resolve_node(info: Info, global_id: str) -> Node | None:
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] not in _RESOLVERS:
        return None
    type_name, key = parsed
    return await _RESOLVERS[type_name](info, key)


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any object by its global id; null when there is none.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(description="Several objects by global id, in the order asked.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        import asyncio

        return list(await asyncio.gather(*(resolve_node(info, i) for i in ids)))
