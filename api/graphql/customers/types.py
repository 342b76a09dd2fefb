"""The Customer type and its parts. Other contexts add their own fields to it (a customer's
timeline, cases, loyalty): see api/graphql/extending.py."""

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.organisation.types import StaffType, StoreType, load_staff, load_store
from api.graphql.relay import Connection, Node, to_global_id
from api.graphql.same_named import same_named
from domain.customers import model
from domain.customers.queries import CustomerSummary

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
        return cls(**same_named(cls, entry))


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
            id=to_global_id("ContactPoint", point.id), uuid=point.id,
            consents=[Consent(**same_named(Consent, c)) for c in point.consents],
            **same_named(cls, point),
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
            id=to_global_id("HouseholdMember", member.id),
            important_dates=[ImportantDate(**same_named(ImportantDate, d))
                             for d in member.important_dates],
            **same_named(cls, member),
        )


@strawberry.type(name="ExternalReference",
                 description="The customer's id in another system: POS card, shop account…")
class ExternalReferenceType(Node):
    system: str
    value: str

    @classmethod
    def from_domain(cls, ref: model.ExternalReference) -> "ExternalReferenceType":
        return cls(id=to_global_id("ExternalReference", ref.id), **same_named(cls, ref))


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
        """The fields the summary or its profile holds as they are shown are copied by name
        (api/graphql/same_named.py); the others are given here."""
        p = s.profile
        return cls(
            id=to_global_id("Customer", s.id), uuid=s.id, owner_uuid=p.owner_id,
            home_store_uuid=p.home_store_id, custom_attributes=JSON(p.custom_attributes),
            **same_named(cls, p, s),
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


@strawberry.type
class CustomerConnection(Connection[CustomerType]):
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many customers match, across all pages.")
    async def total_count(self) -> int:
        return await self.count()


async def load_customer(info: Info, customer_id: UUID) -> CustomerType:
    """The customer an interaction or a case belongs to (there always is one)."""
    summary = await info.context.loaders.customer.load(customer_id)
    assert summary is not None, f"customer {customer_id} is missing"
    return CustomerType.from_summary(summary)
