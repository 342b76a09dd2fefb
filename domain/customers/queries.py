"""The customers read port: what the API asks, shaped for its pages and nested lists."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, Self
from uuid import UUID

from domain.customers.model import (
    ConsentEvent,
    ContactPoint,
    ExternalReference,
    HouseholdMember,
    Profile,
)
from domain.shared.access import EVERYONE, CustomerReach, Role, Viewer
from domain.shared.paging import Page, PageRequest
from domain.shared.validation import normalise_email, normalise_phone


@dataclass(frozen=True)
class CustomerSummary:
    """A customer without its child lists, which load separately and in batches."""

    id: UUID
    profile: Profile
    version: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    last_interaction_at: datetime | None
    erased_at: datetime | None = None


class CustomerSortKey(StrEnum):
    NAME = "NAME"
    CREATED_AT = "CREATED_AT"
    LAST_INTERACTION_AT = "LAST_INTERACTION_AT"


@dataclass(frozen=True)
class CustomerFilter:
    """Archived customers are left out unless `archived` is True (only them) or None (all).
    Merged duplicates and erased customers are never listed."""

    search: str | None = None
    tags: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    home_store_id: UUID | None = None
    owner_id: UUID | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    archived: bool | None = False
    reach: CustomerReach = EVERYONE


@dataclass(frozen=True)
class ById:
    customer_id: UUID


# A handle as a caller types it finds what was stored from the same text: `of` normalises it
# as the customer rules (domain/customers/rules.py) did when they stored it.


@dataclass(frozen=True)
class ByExternalRef:
    system: str
    value: str

    @classmethod
    def of(cls, system: str, value: str) -> Self:
        """Systems are stored as lower-case slugs, values trimmed."""
        return cls(system.strip().lower(), value.strip())


@dataclass(frozen=True)
class ByEmail:
    email: str

    @classmethod
    def of(cls, email: str) -> Self:
        """Case and surrounding blanks don't count; a text that is no address is still
        looked up as typed (lower-cased), and finds whoever holds exactly that."""
        return cls(normalise_email(email) or email.strip().lower())


@dataclass(frozen=True)
class ByPhone:
    phone: str

    @classmethod
    def of(cls, phone: str) -> Self:
        """Separators (blanks, dashes, dots, brackets) don't count; a text that is no phone
        number becomes the empty number, which nobody holds."""
        return cls(normalise_phone(phone) or "")


# One customer by one of its handles. A merged duplicate's id finds the survivor; an email or
# phone shared by several finds the longest-standing active one.
CustomerLookup = ById | ByExternalRef | ByEmail | ByPhone


def require_lookup_reach(viewer: Viewer, lookup: CustomerLookup, found: CustomerSummary) -> None:
    """A customer found by a lookup is the viewer's to see when she reaches it; a web shop or
    till also reaches the member whose external reference it holds (her card, her shop
    account), which is how it learns her id."""
    if isinstance(lookup, ByExternalRef) and viewer.role is Role.STOREFRONT:
        return
    viewer.require_reach(found.id, found.profile.home_store_id, found.profile.owner_id)


class CustomerQueries(Protocol):
    async def by_ids(self, ids: Sequence[UUID]) -> dict[UUID, CustomerSummary]:
        """Keyed by the requested id; a merged duplicate's id maps to its survivor."""
        ...

    async def by_external_ref(self, system: str, value: str) -> CustomerSummary | None: ...
    async def by_email(self, email: str) -> CustomerSummary | None: ...
    async def by_phone(self, phone: str) -> CustomerSummary | None: ...

    async def page(
        self, where: CustomerFilter, sort: CustomerSortKey, reverse: bool, page: PageRequest
    ) -> Page[CustomerSummary]: ...

    async def count(self, where: CustomerFilter) -> int: ...

    async def contact_points(self, ids: Sequence[UUID]) -> dict[UUID, list[ContactPoint]]: ...
    async def household(self, ids: Sequence[UUID]) -> dict[UUID, list[HouseholdMember]]: ...
    async def external_refs(self, ids: Sequence[UUID]) -> dict[UUID, list[ExternalReference]]: ...

    async def consent_history(self, point_ids: Sequence[UUID]) -> dict[UUID, list[ConsentEvent]]:
        """By contact point id, oldest first."""
        ...

    async def items_by_ids(
        self, kind: type[ContactPoint] | type[HouseholdMember] | type[ExternalReference],
        ids: Sequence[UUID],
    ) -> dict[UUID, ContactPoint | HouseholdMember | ExternalReference]:
        """Contact points, household members or external references by their own ids."""
        ...
