"""Inputs of the customer mutations, and their translation into domain commands."""

from datetime import date
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.graphql.customers.types import (
    ConsentPurpose,
    ContactKind,
    CustomerKind,
    Gender,
    Occasion,
    Relationship,
)
from api.graphql.relay import optional_uuid_of, uuid_of
from api.graphql.updates import sent
from domain.customers import commands, model

PROFILE_FIELDS = (
    "kind",
    "display_name",
    "family_name",
    "given_name",
    "gender",
    "birth_date",
    "occupation",
    "preferences",
    "interests",
    "tags",
    "custom_attributes",
)
LABEL_FIELDS = ("preferences", "interests", "tags")


@strawberry.input
class ConsentInput:
    purpose: ConsentPurpose
    granted: bool
    source: str | None = strawberry.field(
        default=None,
        description="Where the customer gave this answer: POS, WEB, paper form… (kept in the "
                    "consent history; the caller's identity when absent).",
    )

    def to_command(self) -> commands.ConsentInput:
        return commands.ConsentInput(model.ConsentPurpose(self.purpose), self.granted,
                                     self.source)


def _consents(given: list[ConsentInput] | None) -> tuple[commands.ConsentInput, ...]:
    return tuple(c.to_command() for c in given or ())


@strawberry.input
class ContactPointInput:
    kind: ContactKind
    value: str = strawberry.field(
        description="Email, phone (digits, + optional), address text or social handle."
    )
    label: str | None = None
    platform: str | None = strawberry.field(
        default=None, description="For SOCIAL: wechat, weibo, instagram…"
    )
    verified: bool = False
    consents: list[ConsentInput] | None = None

    def to_command(self) -> commands.ContactPointInput:
        return commands.ContactPointInput(
            kind=model.ContactKind(self.kind),
            value=self.value,
            label=self.label,
            platform=self.platform,
            verified=self.verified,
            consents=_consents(self.consents),
        )


@strawberry.input
class ImportantDateInput:
    occasion: Occasion
    date: date
    label: str | None = None

    def to_command(self) -> commands.ImportantDateInput:
        return commands.ImportantDateInput(model.Occasion(self.occasion), self.date, self.label)


def _dates(given: list[ImportantDateInput] | None) -> tuple[commands.ImportantDateInput, ...]:
    return tuple(d.to_command() for d in given or ())


@strawberry.input
class HouseholdMemberInput:
    name: str
    relationship: Relationship
    birth_date: date | None = None
    important_dates: list[ImportantDateInput] | None = None

    def to_command(self) -> commands.HouseholdMemberInput:
        return commands.HouseholdMemberInput(
            name=self.name,
            relationship=model.Relationship(self.relationship),
            birth_date=self.birth_date,
            important_dates=_dates(self.important_dates),
        )


@strawberry.input
class ExternalReferenceInput:
    system: str = strawberry.field(description="pos-card, shop, wechat… (lower-case slug)")
    value: str

    def to_command(self) -> commands.ExternalReferenceInput:
        return commands.ExternalReferenceInput(self.system, self.value)


def _profile_fields(source: Any, *, only_set: bool) -> dict[str, Any]:
    """Profile fields of an input; with `only_set`, just those the caller sent."""
    fields: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        value = getattr(source, name)
        if only_set and value is strawberry.UNSET:
            continue
        if name in LABEL_FIELDS:
            value = tuple(value or ())
        elif name == "custom_attributes":
            value = value if value is not None else {}
        fields[name] = value
    for name, type_name in (("owner_id", "Staff"), ("home_store_id", "Store")):
        value = getattr(source, name)
        if not (only_set and value is strawberry.UNSET):
            fields[name] = optional_uuid_of(value, type_name, (name,))
    return fields


@strawberry.input(description="A new customer. Give displayName, or givenName/familyName.")
class CustomerCreateInput:
    kind: CustomerKind = model.CustomerKind.PERSON
    display_name: str | None = None
    family_name: str | None = None
    given_name: str | None = None
    gender: Gender | None = None
    birth_date: date | None = None
    occupation: str | None = None
    preferences: list[str] | None = None
    interests: list[str] | None = None
    tags: list[str] | None = None
    custom_attributes: JSON | None = None
    owner_id: strawberry.ID | None = None
    home_store_id: strawberry.ID | None = None
    contact_points: list[ContactPointInput] | None = None
    household: list[HouseholdMemberInput] | None = None
    external_refs: list[ExternalReferenceInput] | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first result."
    )

    def to_command(self) -> commands.CreateCustomer:
        return commands.CreateCustomer(
            profile=_profile_fields(self, only_set=False),
            contact_points=tuple(c.to_command() for c in self.contact_points or ()),
            household=tuple(m.to_command() for m in self.household or ()),
            external_refs=tuple(r.to_command() for r in self.external_refs or ()),
            idempotency_key=self.idempotency_key,
        )


@strawberry.input(
    description="Changes to a customer's profile: only the fields you send "
    "change; null clears an optional field."
)
class CustomerUpdateInput:
    id: strawberry.ID
    expected_version: int | None = None
    kind: CustomerKind | None = strawberry.UNSET
    display_name: str | None = strawberry.UNSET
    family_name: str | None = strawberry.UNSET
    given_name: str | None = strawberry.UNSET
    gender: Gender | None = strawberry.UNSET
    birth_date: date | None = strawberry.UNSET
    occupation: str | None = strawberry.UNSET
    preferences: list[str] | None = strawberry.UNSET
    interests: list[str] | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    custom_attributes: JSON | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.UNSET
    home_store_id: strawberry.ID | None = strawberry.UNSET

    def to_command(self) -> commands.UpdateCustomer:
        changes = _profile_fields(self, only_set=True)
        if changes.get("kind", model.CustomerKind.PERSON) is None:
            changes.pop("kind")
        return commands.UpdateCustomer(
            customer_id=uuid_of(self.id, "Customer", ("id",)),
            changes=changes,
            expected_version=self.expected_version,
        )


@strawberry.input
class CustomerVersionInput:
    id: strawberry.ID
    expected_version: int | None = None


@strawberry.input
class CustomerMergeInput:
    survivor_id: strawberry.ID = strawberry.field(description="The customer that stays.")
    duplicate_id: strawberry.ID = strawberry.field(
        description="The customer merged away; its id then resolves to the survivor."
    )

    def to_command(self) -> commands.MergeCustomers:
        return commands.MergeCustomers(
            survivor_id=uuid_of(self.survivor_id, "Customer", ("survivor_id",)),
            duplicate_id=uuid_of(self.duplicate_id, "Customer", ("duplicate_id",)),
        )


def _customer_id(source: Any) -> Any:
    return uuid_of(source.customer_id, "Customer", ("customer_id",))


@strawberry.input
class ContactPointAddInput:
    customer_id: strawberry.ID
    contact_point: ContactPointInput
    expected_version: int | None = None

    def to_command(self) -> commands.AddContactPoint:
        return commands.AddContactPoint(
            _customer_id(self), self.contact_point.to_command(), self.expected_version
        )


@strawberry.input(description="Only the fields you send change; consents merge by purpose.")
class ContactPointUpdateInput:
    customer_id: strawberry.ID
    contact_point_id: strawberry.ID
    expected_version: int | None = None
    value: str | None = strawberry.UNSET
    label: str | None = strawberry.UNSET
    platform: str | None = strawberry.UNSET
    verified: bool | None = strawberry.UNSET
    consents: list[ConsentInput] | None = strawberry.UNSET

    def to_command(self) -> commands.UpdateContactPoint:
        changes = sent(self, ("value", "label", "platform", "verified"))
        if self.consents is not strawberry.UNSET:
            changes["consents"] = _consents(self.consents)
        return commands.UpdateContactPoint(
            customer_id=_customer_id(self),
            contact_point_id=uuid_of(self.contact_point_id, "ContactPoint", ("contact_point_id",)),
            changes=changes,
            expected_version=self.expected_version,
        )


@strawberry.input
class HouseholdMemberAddInput:
    customer_id: strawberry.ID
    member: HouseholdMemberInput
    expected_version: int | None = None

    def to_command(self) -> commands.AddHouseholdMember:
        return commands.AddHouseholdMember(
            _customer_id(self), self.member.to_command(), self.expected_version
        )


@strawberry.input(description="Only the fields you send change; importantDates replace the list.")
class HouseholdMemberUpdateInput:
    customer_id: strawberry.ID
    member_id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.UNSET
    relationship: Relationship | None = strawberry.UNSET
    birth_date: date | None = strawberry.UNSET
    important_dates: list[ImportantDateInput] | None = strawberry.UNSET

    def to_command(self) -> commands.UpdateHouseholdMember:
        changes = sent(self, ("name", "relationship", "birth_date"))
        if self.important_dates is not strawberry.UNSET:
            changes["important_dates"] = _dates(self.important_dates)
        return commands.UpdateHouseholdMember(
            customer_id=_customer_id(self),
            member_id=uuid_of(self.member_id, "HouseholdMember", ("member_id",)),
            changes=changes,
            expected_version=self.expected_version,
        )


@strawberry.input
class ExternalReferenceAddInput:
    customer_id: strawberry.ID
    reference: ExternalReferenceInput
    expected_version: int | None = None

    def to_command(self) -> commands.AddExternalReference:
        return commands.AddExternalReference(
            _customer_id(self), self.reference.to_command(), self.expected_version
        )


@strawberry.input
class ExternalReferenceUpdateInput:
    customer_id: strawberry.ID
    reference_id: strawberry.ID
    value: str
    expected_version: int | None = None

    def to_command(self) -> commands.UpdateExternalReference:
        return commands.UpdateExternalReference(
            customer_id=_customer_id(self),
            reference_id=uuid_of(self.reference_id, "ExternalReference", ("reference_id",)),
            value=self.value,
            expected_version=self.expected_version,
        )


@strawberry.input(
    description="Removes a contact point, household member or external reference from a customer."
)
class CustomerItemRemoveInput:
    customer_id: strawberry.ID
    id: strawberry.ID
    expected_version: int | None = None

    def to_command(self, type_name: str) -> commands.RemoveCustomerItem:
        return commands.RemoveCustomerItem(
            _customer_id(self), uuid_of(self.id, type_name, ("id",)), self.expected_version
        )
