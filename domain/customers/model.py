"""The customer aggregate and its value objects."""

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.customers.events import CustomerEvent
from domain.shared.events import Event


class CustomerKind(StrEnum):
    PERSON = "PERSON"
    ORGANISATION = "ORGANISATION"


class Gender(StrEnum):
    FEMALE = "FEMALE"
    MALE = "MALE"
    OTHER = "OTHER"
    UNDISCLOSED = "UNDISCLOSED"


class ContactKind(StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    ADDRESS = "ADDRESS"
    SOCIAL = "SOCIAL"


class ConsentPurpose(StrEnum):
    MARKETING_EMAIL = "MARKETING_EMAIL"
    MARKETING_SMS = "MARKETING_SMS"
    MARKETING_PHONE = "MARKETING_PHONE"
    MARKETING_POST = "MARKETING_POST"
    MARKETING_SOCIAL = "MARKETING_SOCIAL"
    PARTNER_SHARING = "PARTNER_SHARING"


class Relationship(StrEnum):
    SPOUSE = "SPOUSE"
    PARTNER = "PARTNER"
    CHILD = "CHILD"
    PARENT = "PARENT"
    SIBLING = "SIBLING"
    OTHER = "OTHER"


class Occasion(StrEnum):
    BIRTHDAY = "BIRTHDAY"
    ANNIVERSARY = "ANNIVERSARY"
    GRADUATION = "GRADUATION"
    TRIP = "TRIP"
    OTHER = "OTHER"


@dataclass(frozen=True)
class Consent:
    purpose: ConsentPurpose
    granted: bool
    recorded_at: datetime


@dataclass(frozen=True)
class ConsentEvent:
    """One entry of a contact point's consent history: an answer given or withdrawn for a
    purpose, where it came from (`source`: "POS", "WEB", "paper form"…) and who recorded it
    (the caller's subject). Append-only; it holds no contact value, so it survives erasure as
    the proof of consent."""

    contact_point_id: UUID
    purpose: ConsentPurpose
    granted: bool
    source: str
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class ContactPoint:
    """An email, phone, postal address or social handle. `value` is normalised (lower-case
    email, phone without separators) so lookups match however it was typed."""

    id: UUID
    kind: ContactKind
    value: str
    label: str | None = None
    platform: str | None = None
    verified: bool = False
    consents: tuple[Consent, ...] = ()

    def consent_for(self, purpose: ConsentPurpose) -> bool:
        return any(c.purpose == purpose and c.granted for c in self.consents)


@dataclass(frozen=True)
class ImportantDate:
    occasion: Occasion
    date: date
    label: str | None = None


@dataclass(frozen=True)
class HouseholdMember:
    id: UUID
    name: str
    relationship: Relationship
    birth_date: date | None = None
    important_dates: tuple[ImportantDate, ...] = ()


@dataclass(frozen=True)
class ExternalReference:
    """The customer's id in another system; unique per (system, value) across customers."""

    id: UUID
    system: str
    value: str


@dataclass(frozen=True)
class Profile:
    """What a customer says about themselves and what the brand noted: every editable field."""

    kind: CustomerKind
    display_name: str
    family_name: str | None = None
    given_name: str | None = None
    gender: Gender | None = None
    birth_date: date | None = None
    occupation: str | None = None
    preferences: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    custom_attributes: dict[str, Any] = field(default_factory=dict)
    owner_id: UUID | None = None
    home_store_id: UUID | None = None


PROFILE_FIELDS = frozenset(Profile.__dataclass_fields__)


@dataclass(frozen=True)
class CustomerHeader:
    """A customer's own row without her lists: enough for another context's use case to
    check she exists, who reaches her, and whether she was merged or erased."""

    id: UUID
    profile: Profile
    merged_into_id: UUID | None
    erased_at: datetime | None

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


@dataclass
class Customer:
    id: UUID
    profile: Profile
    created_at: datetime
    updated_at: datetime
    version: int = 1
    contact_points: list[ContactPoint] = field(default_factory=list)
    household: list[HouseholdMember] = field(default_factory=list)
    external_refs: list[ExternalReference] = field(default_factory=list)
    archived_at: datetime | None = None
    merged_into_id: UUID | None = None
    erased_at: datetime | None = None
    events: list[Event] = field(default_factory=list, repr=False, compare=False)
    # Consent history entries not yet written; the repository appends them when it stores
    # the customer, in the same transaction.
    consent_log: list[ConsentEvent] = field(default_factory=list, repr=False, compare=False)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def header(self) -> "CustomerHeader":
        return CustomerHeader(self.id, self.profile, self.merged_into_id, self.erased_at)

    def touch(self, now: datetime, event: CustomerEvent, **data: Any) -> None:
        """Every change bumps the version (optimistic concurrency) and records an event."""
        self.version += 1
        self.updated_at = now
        self.events.append(Event(event, self.id, now, data))

    def change_profile(self, profile: Profile, now: datetime) -> None:
        changed = [k for k in PROFILE_FIELDS if getattr(profile, k) != getattr(self.profile, k)]
        self.profile = profile
        self.touch(now, CustomerEvent.UPDATED, fields=sorted(changed))

    def replace_item(self, items: list[Any], updated: Any) -> None:
        index = next(i for i, item in enumerate(items) if item.id == updated.id)
        items[index] = updated

    def absorb(self, duplicate: "Customer", now: datetime) -> None:
        """Takes over what the duplicate knew: contact points and references move here, labels
        are united and empty profile fields are filled in from the duplicate."""
        known_contacts = {(c.kind, c.value): c for c in self.contact_points}
        for point in duplicate.contact_points:
            same = known_contacts.get((point.kind, point.value))
            if same is None:
                self.contact_points.append(point)
            else:
                # One address on two records: the latest answer per purpose holds, so a
                # withdrawal given on either record is honoured.
                both = replace(same, consents=_latest_answers(same.consents + point.consents))
                self.replace_item(self.contact_points, both)
        self.external_refs += duplicate.external_refs
        self.household += duplicate.household
        mine, theirs = self.profile, duplicate.profile
        filled = {
            name: getattr(theirs, name)
            for name in ("family_name", "given_name", "gender", "birth_date", "occupation",
                         "owner_id", "home_store_id")
            if getattr(mine, name) is None
        }
        self.profile = replace(
            mine,
            preferences=_union(mine.preferences, theirs.preferences),
            interests=_union(mine.interests, theirs.interests),
            tags=_union(mine.tags, theirs.tags),
            custom_attributes={**theirs.custom_attributes, **mine.custom_attributes},
            **filled,
        )
        self.touch(now, CustomerEvent.MERGED, duplicate_id=str(duplicate.id))

    def become_merged_into(self, survivor_id: UUID, now: datetime) -> None:
        self.contact_points, self.external_refs, self.household = [], [], []
        self.merged_into_id = survivor_id
        self.archived_at = self.archived_at or now
        self.touch(now, CustomerEvent.MERGED_INTO, survivor_id=str(survivor_id))


def _latest_answers(answers: tuple[Consent, ...]) -> tuple[Consent, ...]:
    latest: dict[ConsentPurpose, Consent] = {}
    for answer in answers:
        known = latest.get(answer.purpose)
        if known is None or answer.recorded_at > known.recorded_at:
            latest[answer.purpose] = answer
    return tuple(sorted(latest.values(), key=lambda c: c.purpose.value))


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(first + second))
