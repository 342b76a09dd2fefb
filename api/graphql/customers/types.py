"""The Customer type and its parts."""

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.loaders import PageKey
from api.graphql.organisation.types import StaffType, StoreType, load_staff, load_store
from api.graphql.permissions import not_allowed_error
from api.graphql.relay import Connection, Node, connection_parts, page_request, to_global_id
from domain.cases.model import CaseStatus
from domain.cases.queries import CaseFilter
from domain.customers import model
from domain.customers.queries import CustomerSummary
from domain.interactions.queries import TimelineFilter
from domain.shared.access import Operation
from domain.shared.paging import PageRequest

if TYPE_CHECKING:
    from api.graphql.cases.types import CaseConnection, CaseStatusEnum
    from api.graphql.interactions.types import InteractionConnection, TimelineFilterInput
    from api.graphql.loyalty.types import LoyaltyMembershipType, PurchaseConnection

# GraphQL enums are the domain's classes themselves, registered under their schema names.
CustomerKind = model.CustomerKind
strawberry.enum(CustomerKind, name="CustomerKind")
Gender = model.Gender
strawberry.enum(Gender, name="Gender")
ContactKind = model.ContactKind
strawberry.enum(ContactKind, name="ContactKind")
ConsentPurpose = model.ConsentPurpose
strawberry.enum(ConsentPurpose, name="ConsentPurpose")
Relationship = model.Relationship
strawberry.enum(Relationship, name="Relationship")
Occasion = model.Occasion
strawberry.enum(Occasion, name="Occasion")

_INTERACTIONS = "api.graphql.interactions.types"
_CASES = "api.graphql.cases.types"
_LOYALTY = "api.graphql.loyalty.types"


@strawberry.type(description="A customer's answer for one purpose, and when it was given.")
class Consent:
    purpose: ConsentPurpose
    granted: bool
    recorded_at: datetime


@strawberry.type(name="ConsentEvent",
                 description="One entry of a consent history: an answer given or withdrawn.")
class ConsentEventType:
    purpose: ConsentPurpose
    granted: bool
    source: str = strawberry.field(
        description="Where the answer was given (POS, WEB, paper form…); the recorder's "
                    "subject when the caller named none."
    )
    recorded_at: datetime
    recorded_by: str = strawberry.field(description="The API client or staff who recorded it.")

    @classmethod
    def from_domain(cls, entry: model.ConsentEvent) -> "ConsentEventType":
        return cls(purpose=entry.purpose, granted=entry.granted, source=entry.source,
                   recorded_at=entry.recorded_at, recorded_by=entry.recorded_by)


@strawberry.type(name="ContactPoint", description="An email, phone, address or social handle.")
class ContactPointType(Node):
    uuid: strawberry.Private[UUID]
    kind: ContactKind
    value: str
    label: str | None
    platform: str | None
    verified: bool
    consents: list[Consent]

    @strawberry.field(description="Every answer given or withdrawn for this point, oldest "
                                  "first: the proof of consent.")
    async def consent_history(self, info: Info) -> list[ConsentEventType]:
        entries = await info.context.loaders.consent_history.load(self.uuid)
        return [ConsentEventType.from_domain(e) for e in entries]

    @classmethod
    def from_domain(cls, point: model.ContactPoint) -> "ContactPointType":
        return cls(
            id=to_global_id("ContactPoint", point.id), uuid=point.id, kind=point.kind,
            value=point.value,
            label=point.label, platform=point.platform, verified=point.verified,
            consents=[Consent(purpose=c.purpose, granted=c.granted, recorded_at=c.recorded_at)
                      for c in point.consents],
        )


@strawberry.type(description="A dated occasion: a birthday, an anniversary, a family trip.")
class ImportantDate:
    occasion: Occasion
    date: date
    label: str | None


@strawberry.type(name="HouseholdMember", description="Someone in the customer's household.")
class HouseholdMemberType(Node):
    name: str
    relationship: Relationship
    birth_date: date | None
    important_dates: list[ImportantDate]

    @classmethod
    def from_domain(cls, member: model.HouseholdMember) -> "HouseholdMemberType":
        return cls(
            id=to_global_id("HouseholdMember", member.id), name=member.name,
            relationship=member.relationship, birth_date=member.birth_date,
            important_dates=[ImportantDate(occasion=d.occasion, date=d.date, label=d.label)
                             for d in member.important_dates],
        )


@strawberry.type(name="ExternalReference",
                 description="The customer's id in another system: POS card, shop account…")
class ExternalReferenceType(Node):
    system: str
    value: str

    @classmethod
    def from_domain(cls, ref: model.ExternalReference) -> "ExternalReferenceType":
        return cls(id=to_global_id("ExternalReference", ref.id), system=ref.system,
                   value=ref.value)


@strawberry.type(name="Customer",
                 description="A person or organisation: one record, whatever the channel.")
class CustomerType(Node):
    uuid: strawberry.Private[UUID]
    owner_uuid: strawberry.Private[UUID | None]
    home_store_uuid: strawberry.Private[UUID | None]
    kind: CustomerKind
    display_name: str
    family_name: str | None
    given_name: str | None
    gender: Gender | None
    birth_date: date | None
    occupation: str | None
    preferences: list[str]
    interests: list[str]
    tags: list[str]
    custom_attributes: JSON = strawberry.field(description="A JSON object of your own fields.")
    version: int = strawberry.field(description="Pass as expectedVersion when editing.")
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    last_interaction_at: datetime | None
    erased_at: datetime | None = strawberry.field(
        description="When the personal data was erased (customerErase); null if never."
    )

    @classmethod
    def from_summary(cls, s: CustomerSummary) -> "CustomerType":
        p = s.profile
        return cls(
            id=to_global_id("Customer", s.id), uuid=s.id, owner_uuid=p.owner_id,
            home_store_uuid=p.home_store_id, kind=p.kind, display_name=p.display_name,
            family_name=p.family_name, given_name=p.given_name, gender=p.gender,
            birth_date=p.birth_date, occupation=p.occupation, preferences=list(p.preferences),
            interests=list(p.interests), tags=list(p.tags),
            custom_attributes=JSON(p.custom_attributes),
            version=s.version, created_at=s.created_at, updated_at=s.updated_at,
            archived_at=s.archived_at, last_interaction_at=s.last_interaction_at,
            erased_at=s.erased_at,
        )

    @strawberry.field
    async def owner(self, info: Info) -> StaffType | None:
        return await load_staff(info, self.owner_uuid)

    @strawberry.field
    async def home_store(self, info: Info) -> StoreType | None:
        return await load_store(info, self.home_store_uuid)

    @strawberry.field
    async def contact_points(self, info: Info) -> list[ContactPointType]:
        points = await info.context.loaders.contact_points.load(self.uuid)
        return [ContactPointType.from_domain(p) for p in points]

    @strawberry.field
    async def household(self, info: Info) -> list[HouseholdMemberType]:
        members = await info.context.loaders.household.load(self.uuid)
        return [HouseholdMemberType.from_domain(m) for m in members]

    @strawberry.field
    async def external_refs(self, info: Info) -> list[ExternalReferenceType]:
        refs = await info.context.loaders.external_refs.load(self.uuid)
        return [ExternalReferenceType.from_domain(r) for r in refs]

    @strawberry.field(description="Interactions, newest first.")
    async def timeline(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: Annotated["TimelineFilterInput", strawberry.lazy(_INTERACTIONS)] | None = None,
    ) -> Annotated["InteractionConnection", strawberry.lazy(_INTERACTIONS)]:
        from api.graphql.interactions.types import InteractionConnection, InteractionType

        key = PageKey(self.uuid, *timeline_arguments(first, after, last, before, filter))
        page = await info.context.loaders.timeline.load(key)
        return InteractionConnection(**connection_parts(page, InteractionType.from_domain))

    @strawberry.field(description="Cases of this customer, newest first.")
    async def cases(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        status: list[Annotated["CaseStatusEnum", strawberry.lazy(_CASES)]] | None = None,
    ) -> Annotated["CaseConnection", strawberry.lazy(_CASES)]:
        from api.graphql.cases.types import CaseConnection, CaseType

        key = PageKey(self.uuid, *customer_cases_arguments(first, after, last, before, status))
        page = await info.context.loaders.customer_cases.load(key)
        return CaseConnection(**connection_parts(page, CaseType.from_domain))

    @strawberry.field(description="Her standing in a loyalty programme (the default one when "
                                  "none is named); null when she is not a member.")
    async def loyalty(
        self, info: Info, programme: str | None = None
    ) -> Annotated["LoyaltyMembershipType", strawberry.lazy(_LOYALTY)] | None:
        from api.graphql.loyalty.types import load_membership

        require_loyalty_read(info)
        found = await info.context.loaders.loyalty_programme.load(programme)
        return None if found is None else await load_membership(info, found, self.uuid)

    @strawberry.field(description="Her purchases, newest first, with their lines and returns.")
    async def purchases(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> Annotated["PurchaseConnection", strawberry.lazy(_LOYALTY)]:
        from api.graphql.loyalty.types import PurchaseConnection, PurchaseType

        require_loyalty_read(info)
        key = PageKey(self.uuid, None, page_request(first, after, last, before))
        page = await info.context.loaders.purchases.load(key)
        return PurchaseConnection(**connection_parts(page, PurchaseType.from_domain))


@strawberry.type
class CustomerConnection(Connection[CustomerType]):
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many customers match, across all pages.")
    async def total_count(self) -> int:
        return await self.count()


# The arguments of the customer's connections as the query services (and compiled reads)
# take them.


def timeline_arguments(
    first: int | None = None, after: str | None = None, last: int | None = None,
    before: str | None = None, filter: "TimelineFilterInput | None" = None,
) -> tuple[TimelineFilter, PageRequest]:
    where = filter.to_domain() if filter else TimelineFilter()
    return where, page_request(first, after, last, before)


def customer_cases_arguments(
    first: int | None = None, after: str | None = None, last: int | None = None,
    before: str | None = None, status: "list[CaseStatusEnum] | None" = None,
) -> tuple[CaseFilter, PageRequest]:
    where = CaseFilter(statuses=tuple(CaseStatus(s) for s in status or ()))
    return where, page_request(first, after, last, before)


def require_loyalty_read(info: Info) -> None:
    """A customer's loyalty is for those who may read it (not partners, not analytics)."""
    viewer = info.context.viewer
    if not viewer.may(Operation.LOYALTY_READ):
        raise not_allowed_error(f"{viewer.role.value} may not {Operation.LOYALTY_READ.value}")


async def load_customer(info: Info, customer_id: UUID) -> CustomerType:
    """The customer an interaction or a case belongs to (there always is one)."""
    summary = await info.context.loaders.customer.load(customer_id)
    assert summary is not None, f"customer {customer_id} is missing"
    return CustomerType.from_summary(summary)
