"""What callers ask of the customers context. Field paths in errors use these names."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from domain.customers.model import ConsentPurpose, ContactKind, Occasion, Relationship


@dataclass(frozen=True)
class ConsentInput:
    """`source` says where the answer was given ("POS", "WEB", "paper form"); without one the
    history names the caller (its subject) as the source."""

    purpose: ConsentPurpose
    granted: bool
    source: str | None = None


@dataclass(frozen=True)
class ContactPointInput:
    kind: ContactKind
    value: str
    label: str | None = None
    platform: str | None = None
    verified: bool = False
    consents: tuple[ConsentInput, ...] = ()


@dataclass(frozen=True)
class ImportantDateInput:
    occasion: Occasion
    date: date
    label: str | None = None


@dataclass(frozen=True)
class HouseholdMemberInput:
    name: str
    relationship: Relationship
    birth_date: date | None = None
    important_dates: tuple[ImportantDateInput, ...] = ()


@dataclass(frozen=True)
class ExternalReferenceInput:
    system: str
    value: str


@dataclass(frozen=True)
class CreateCustomer:
    """`profile` holds Profile field names; absent ones take their defaults."""

    profile: Mapping[str, Any]
    contact_points: tuple[ContactPointInput, ...] = ()
    household: tuple[HouseholdMemberInput, ...] = ()
    external_refs: tuple[ExternalReferenceInput, ...] = ()
    idempotency_key: str | None = None


@dataclass(frozen=True)
class UpdateCustomer:
    """`changes` holds only the Profile fields to change; None clears an optional field."""

    customer_id: UUID
    changes: Mapping[str, Any]
    expected_version: int | None = None


@dataclass(frozen=True)
class ArchiveCustomer:
    customer_id: UUID
    expected_version: int | None = None


@dataclass(frozen=True)
class RestoreCustomer:
    customer_id: UUID
    expected_version: int | None = None


@dataclass(frozen=True)
class MergeCustomers:
    survivor_id: UUID
    duplicate_id: UUID


@dataclass(frozen=True)
class AddContactPoint:
    customer_id: UUID
    contact_point: ContactPointInput
    expected_version: int | None = None


@dataclass(frozen=True)
class UpdateContactPoint:
    """`changes` may hold value, label, platform, verified and consents (merged by purpose)."""

    customer_id: UUID
    contact_point_id: UUID
    changes: Mapping[str, Any] = field(default_factory=dict)
    expected_version: int | None = None


@dataclass(frozen=True)
class AddHouseholdMember:
    customer_id: UUID
    member: HouseholdMemberInput
    expected_version: int | None = None


@dataclass(frozen=True)
class UpdateHouseholdMember:
    """`changes` may hold name, relationship, birth_date and important_dates (replaced whole)."""

    customer_id: UUID
    member_id: UUID
    changes: Mapping[str, Any] = field(default_factory=dict)
    expected_version: int | None = None


@dataclass(frozen=True)
class AddExternalReference:
    customer_id: UUID
    reference: ExternalReferenceInput
    expected_version: int | None = None


@dataclass(frozen=True)
class UpdateExternalReference:
    customer_id: UUID
    reference_id: UUID
    value: str
    expected_version: int | None = None


@dataclass(frozen=True)
class RemoveCustomerItem:
    """Removes a contact point, household member or external reference by its id."""

    customer_id: UUID
    item_id: UUID
    expected_version: int | None = None


@dataclass(frozen=True)
class ExportCustomerData:
    customer_id: UUID


@dataclass(frozen=True)
class EraseCustomer:
    """`reason` is kept in the CustomerErased event: the request's reference, not its text."""

    customer_id: UUID
    reason: str
