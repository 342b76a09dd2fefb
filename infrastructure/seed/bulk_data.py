"""Rows of a large, realistic data set, drawn deterministically from a seed. No I/O here.

The customer aggregate is built as domain objects and turned into rows by the repository's own
mappers (`customers_rows`), so a bulk row is what `PgCustomerRepository.add` would have written:
the same search_text, the same JSON shapes. Interactions and cases are written column by column
the way their repositories write them.
"""

import random
import unicodedata
from bisect import bisect
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any, Generic, NamedTuple, TypeVar
from uuid import UUID

import orjson
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import JSONB

from domain.cases.model import CaseKind, CasePriority, CaseStatus, SlaPolicy
from domain.customers.commands import ConsentInput
from domain.customers.model import (
    ConsentPurpose,
    ContactKind,
    ContactPoint,
    CustomerKind,
    ExternalReference,
    Gender,
    HouseholdMember,
    ImportantDate,
    Occasion,
    Profile,
    Relationship,
)
from domain.customers.queries import CustomerSummary
from domain.customers.rules import merge_consents
from domain.interactions.model import Channel, Direction
from infrastructure.postgres import tables
from infrastructure.postgres.customers_rows import (
    contact_point_to_row,
    external_ref_to_row,
    household_member_to_row,
    profile_to_row,
    search_text,
)
from infrastructure.postgres.rows import model_row
from infrastructure.seed import vocabulary as words

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MINUTE = 60_000_000  # microseconds: every instant here is an int of µs since the epoch
HOUR = 60 * MINUTE
DAY = 24 * HOUR
YEAR = 365 * DAY
CASE_SHARE = 0.02
INTERACTION_HISTORY = 2 * YEAR
CUSTOMER_HISTORY = 3 * YEAR

Row = tuple[Any, ...]
T = TypeVar("T")


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def instant(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


_RAND_B = (1 << 62) - 1


def uuid7(us: int, rng: random.Random) -> UUID:
    """A UUIDv7 (RFC 9562) carrying the millisecond of `us`, its 74 random bits drawn from
    `rng`: reproducible, and ordered like the times they carry."""
    rand = rng.getrandbits(74)
    millis = us // 1000
    return UUID(int=millis << 80 | 0x7 << 76 | (rand >> 62) << 64 | 0b10 << 62 | rand & _RAND_B)


def json_text(value: Any) -> str:
    """asyncpg's COPY takes JSONB as text."""
    return orjson.dumps(value).decode()


class Weighted(Generic[T]):
    """Draws items by weight; the cumulative weights are computed once."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self._items = [item for item, _ in pairs]
        self._cumulative = list(accumulate(weight for _, weight in pairs))

    def draw(self, rng: random.Random) -> T:
        return self._items[bisect(self._cumulative, rng.random() * self._cumulative[-1])]


class InteractionRow(NamedTuple):
    """One `interactions` row; the field names are the column names COPY writes."""

    id: UUID
    customer_id: UUID
    channel: str
    direction: str
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    summary: str | None
    payload: str
    store_id: UUID | None
    latitude: float | None
    longitude: float | None
    place: str | None
    staff_id: UUID | None


class CaseRow(NamedTuple):
    id: UUID
    customer_id: UUID
    kind: str
    category: str
    subject: str
    description: str | None
    channel: str
    store_id: UUID | None
    origin_interaction_id: UUID | None
    priority: str
    status: str
    owner_id: UUID | None
    queue: str
    due_at: datetime
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution_note: str | None
    follow_up_at: datetime | None
    version: int


class TableRows:
    """Turns repository-shaped dicts into COPY tuples in the table's column order. A column
    the dict lacks fails loudly, so a schema change cannot slip past the seed."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.columns = tuple(table.c.keys())
        self._is_json = tuple(isinstance(c.type, JSONB) for c in table.columns)

    def row(self, values: Mapping[str, Any]) -> Row:
        return tuple(
            json_text(values[name]) if is_json else values[name]
            for name, is_json in zip(self.columns, self._is_json, strict=True)
        )


CUSTOMERS = TableRows(tables.customers)
CONTACT_POINTS = TableRows(tables.contact_points)
HOUSEHOLD_MEMBERS = TableRows(tables.household_members)
EXTERNAL_REFS = TableRows(tables.external_refs)
STORE_COLUMNS = ("id", "code", "name", "city", "created_at")
STAFF_COLUMNS = ("id", "name", "email", "store_id", "created_at")


@dataclass(frozen=True)
class BulkSpec:
    customers: int
    interactions_per_customer: int
    stores: int
    staff: int
    seed: int
    now: datetime
    # Unique per run on one database: store codes, staff emails and references carry it.
    run_tag: str


@dataclass(frozen=True)
class _Store:
    id: UUID
    name: str
    city: words.City
    latitude: float
    longitude: float


@dataclass(frozen=True)
class _Name:
    family: str
    given: str
    display: str
    email_local: str
    chinese: bool


@dataclass(frozen=True)
class _Timeline:
    """What one customer's interactions are drawn from."""

    customer_id: UUID
    home_store: _Store | None
    occurred: list[int]  # ascending
    opens_case: bool


@dataclass(frozen=True)
class _Touchpoint:
    channel: Channel
    kind: str
    describe: Callable[[random.Random], tuple[str, dict[str, Any]]]
    direction: Direction = Direction.INBOUND
    at_store: bool = False
    served: bool = False  # a clerk may be recorded


def _purchase(rng: random.Random) -> tuple[str, dict[str, Any]]:
    products = rng.sample(words.PRODUCTS, rng.choice((1, 1, 1, 2, 2, 3)))
    lines = [(product, rng.choice((1, 1, 1, 2))) for product in products]
    more = f" and {len(lines) - 1} more" if len(lines) > 1 else ""
    return f"Bought {products[0].name}{more}", words.purchase_payload(lines)


def _visit(rng: random.Random) -> tuple[str, dict[str, Any]]:
    return "Store visit", {"duration_minutes": rng.randrange(5, 90)}


def _check_in(rng: random.Random) -> tuple[str, dict[str, Any]]:
    return "Checked in near the counter", {"source": rng.choice(("mini-program", "app"))}


def _enquiry(rng: random.Random) -> tuple[str, dict[str, Any]]:
    topic = rng.choice(words.ENQUIRY_TOPICS)
    return f"Asked about {topic}", {"topic": topic}


def _social(rng: random.Random) -> tuple[str, dict[str, Any]]:
    platform = rng.choice(("wechat", "weibo", "xiaohongshu"))
    return f"Reacted to a post on {platform}", {"platform": platform, "post": rng.randrange(10**6)}


def _reminder(rng: random.Random) -> tuple[str, dict[str, Any]]:
    occasion = rng.choice(words.REMINDER_OCCASIONS)
    return f"Sent a {occasion} reminder", {"occasion": occasion}


TOUCHPOINTS = Weighted([
    (_Touchpoint(Channel.POS, "purchase", _purchase, at_store=True, served=True), 35),
    (_Touchpoint(Channel.WEB, "purchase", _purchase), 10),
    (_Touchpoint(Channel.MOBILE_APP, "purchase", _purchase), 5),
    (_Touchpoint(Channel.VISIT, "visit", _visit, at_store=True, served=True), 15),
    (_Touchpoint(Channel.CHECK_IN, "check-in", _check_in, at_store=True), 10),
    (_Touchpoint(Channel.PHONE, "enquiry", _enquiry), 8),
    (_Touchpoint(Channel.EMAIL, "enquiry", _enquiry), 4),
    (_Touchpoint(Channel.SOCIAL, "social", _social), 5),
    (_Touchpoint(Channel.SMS, "reminder", _reminder, direction=Direction.OUTBOUND), 8),
])
GENDERS = Weighted([
    (Gender.FEMALE, 65), (Gender.MALE, 28), (Gender.UNDISCLOSED, 5), (Gender.OTHER, 2),
])
LABEL_COUNTS = Weighted([(0, 30), (1, 35), (2, 25), (3, 10)])
CONTACT_COUNTS = Weighted([(1, 45), (2, 40), (3, 15)])
CASE_KINDS = Weighted([(CaseKind.COMPLAINT, 50), (CaseKind.REQUEST, 30), (CaseKind.ENQUIRY, 20)])
PRIORITIES = Weighted([
    (CasePriority.LOW, 15), (CasePriority.NORMAL, 55), (CasePriority.HIGH, 25),
    (CasePriority.URGENT, 5),
])
# Recent cases are still being worked on; older ones are mostly settled, a few left overdue.
FRESH_CASE_STATUSES = Weighted([
    (CaseStatus.OPEN, 40), (CaseStatus.IN_PROGRESS, 35), (CaseStatus.RESOLVED, 25),
])
SETTLED_CASE_STATUSES = Weighted([
    (CaseStatus.OPEN, 2), (CaseStatus.IN_PROGRESS, 4), (CaseStatus.RESOLVED, 19),
    (CaseStatus.CLOSED, 75),
])
RELATIVES = (Relationship.SPOUSE, Relationship.CHILD, Relationship.PARENT)
CASE_LIFECYCLE = (CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.CLOSED)
SLA = SlaPolicy.default()
_SLA_MICROS = {p: d // timedelta(microseconds=1) for p, d in SLA.resolve_within.items()}
_FOLLOW_UP_MICROS = SLA.follow_up_after // timedelta(microseconds=1)
_STORE_SITES = [
    (city, district)
    for index in range(max(len(c.districts) for c in words.CITIES))
    for city in words.CITIES
    for district in city.districts[index:index + 1]
]
_OPEN_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _date_between(rng: random.Random, first: date, last: date) -> date:
    return date.fromordinal(rng.randrange(first.toordinal(), last.toordinal() + 1))


class BulkData:
    """Draws stores, staff, customers and interactions in that order (one seed, one data set).

    `customer_rows()` and `interaction_rows()` are generators, so rows can stream to the
    database while later ones are drawn; the child rows they draw on the way (contact points,
    household, references; cases) are collected in lists, ready when the stream ends.
    """

    def __init__(self, spec: BulkSpec) -> None:
        if spec.stores < 1:
            raise ValueError("bulk data needs at least one store")
        self.spec = spec
        self._rng = random.Random(f"{spec.seed}:{spec.run_tag}")
        self._now = micros(spec.now)
        self._stores: list[_Store] = []
        self._store_index: dict[UUID, _Store] = {}
        self._staff: list[UUID] = []
        self._staff_by_store: dict[UUID, list[UUID]] = {}
        self._timelines: list[_Timeline] = []
        self.contact_point_rows: list[Row] = []
        self.household_rows: list[Row] = []
        self.external_ref_rows: list[Row] = []
        self.case_rows: list[CaseRow] = []

    def store_rows(self) -> list[Row]:
        rows = []
        for index in range(self.spec.stores):
            city, district = _STORE_SITES[index % len(_STORE_SITES)]
            again = index // len(_STORE_SITES)
            name = f"{city.name} {district}" + (f" {again + 1}" if again else "")
            created = self._now - 5 * YEAR + index * DAY
            store = _Store(
                uuid7(created, self._rng), name, city,
                latitude=city.latitude + self._rng.uniform(-0.05, 0.05),
                longitude=city.longitude + self._rng.uniform(-0.05, 0.05),
            )
            self._stores.append(store)
            self._store_index[store.id] = store
            code = f"{self.spec.run_tag}-{city.code}{index:03d}"
            rows.append((store.id, code, name, city.name, instant(created)))
        return rows

    def staff_rows(self) -> list[Row]:
        rows = []
        for index in range(self.spec.staff):
            store = self._stores[index % len(self._stores)]
            name = self._chinese_name(female=self._rng.random() < 0.7)
            email = f"{name.email_local}.{index}@{self.spec.run_tag}.staff.example.com"
            created = self._now - 4 * YEAR + index * HOUR
            member_id = uuid7(created, self._rng)
            self._staff.append(member_id)
            self._staff_by_store.setdefault(store.id, []).append(member_id)
            rows.append((member_id, name.display, email, store.id, instant(created)))
        return rows

    def customer_rows(self) -> Iterator[Row]:
        rng, count = self._rng, self.spec.customers
        # Sorted, so ids (which carry created_at) ascend in the order rows are written.
        joined = sorted(
            rng.randrange(self._now - CUSTOMER_HISTORY, self._now - HOUR) for _ in range(count)
        )
        for index, created in enumerate(joined):
            yield self._customer_row(index, created)

    def interaction_rows(self) -> Iterator[InteractionRow]:
        for timeline in self._timelines:
            touches = [self._interaction(timeline, occurred) for occurred in timeline.occurred]
            yield from touches
            if timeline.opens_case:
                self.case_rows.append(self._case(timeline, touches))

    def _customer_row(self, index: int, created: int) -> Row:
        rng = self._rng
        customer_id = uuid7(created, rng)
        at = instant(created)
        profile, name = self._profile()
        contacts = [self._contact_point(name, created, at) for _ in range(CONTACT_COUNTS.draw(rng))]
        household = self._household(created, name) if name and rng.random() < 0.12 else []
        refs = self._external_refs(index, created)
        occurred = self._occurred(created)
        self._timelines.append(
            _Timeline(customer_id, self._store_by_id(profile.home_store_id), occurred,
                      opens_case=rng.random() < CASE_SHARE)
        )
        self._collect(self.contact_point_rows, CONTACT_POINTS, customer_id,
                      [contact_point_to_row(c) for c in contacts])
        self._collect(self.household_rows, HOUSEHOLD_MEMBERS, customer_id,
                      [household_member_to_row(m) for m in household])
        self._collect(self.external_ref_rows, EXTERNAL_REFS, customer_id,
                      [external_ref_to_row(r) for r in refs])
        summary = CustomerSummary(
            id=customer_id, profile=profile, version=1, created_at=at, updated_at=at,
            archived_at=None, last_interaction_at=instant(occurred[-1]) if occurred else None,
        )
        # Her read model's columns (rows.py), so a new field of it is seeded with its
        # default, and the columns only the table keeps.
        return CUSTOMERS.row(model_row(
            summary, omit=("profile",), merged_into_id=None,
            search_text=search_text(profile, contacts), **profile_to_row(profile),
        ))

    @staticmethod
    def _collect(
        into: list[Row], rows: TableRows, customer_id: UUID, items: list[dict[str, Any]]
    ) -> None:
        """As the repository's `_insert_children`: the customer's id, and list positions."""
        positional = "position" in rows.table.c
        for position, values in enumerate(items):
            extra = {"customer_id": customer_id} | ({"position": position} if positional else {})
            into.append(rows.row(values | extra))

    def _profile(self) -> tuple[Profile, _Name | None]:
        rng = self._rng
        home = rng.choice(self._stores) if rng.random() < 0.85 else None
        owner = self._owner_near(home) if rng.random() < 0.2 else None
        home_id = home.id if home else None
        if rng.random() < 0.03:
            company = f"{rng.choice(words.ORGANISATION_NAMES)} {rng.choice(words.CITIES).name}"
            organisation = Profile(CustomerKind.ORGANISATION, display_name=company,
                                   home_store_id=home_id, owner_id=owner)
            return organisation, None
        gender = GENDERS.draw(rng)
        female = gender is Gender.FEMALE or (gender is not Gender.MALE and rng.random() < 0.5)
        name = self._chinese_name(female) if rng.random() < 0.7 else self._western_name(female)
        profile = Profile(
            CustomerKind.PERSON, display_name=name.display, family_name=name.family,
            given_name=name.given, gender=gender,
            birth_date=(
                _date_between(rng, date(1950, 1, 1), date(2006, 12, 31))
                if rng.random() < 0.85 else None
            ),
            occupation=rng.choice(words.OCCUPATIONS) if rng.random() < 0.5 else None,
            preferences=self._labels(words.PREFERENCES),
            interests=self._labels(words.INTERESTS),
            tags=self._labels(words.TAGS),
            custom_attributes=(
                {"acquisition": rng.choice(("store", "web", "referral", "wechat-mini-program"))}
                if rng.random() < 0.6 else {}
            ),
            home_store_id=home_id, owner_id=owner,
        )
        return profile, name

    def _labels(self, vocabulary: Sequence[str]) -> tuple[str, ...]:
        count = LABEL_COUNTS.draw(self._rng)
        return tuple(self._rng.sample(vocabulary, count)) if count else ()

    def _owner_near(self, store: _Store | None) -> UUID | None:
        pool = (self._staff_by_store.get(store.id) if store else None) or self._staff
        return self._rng.choice(pool) if pool else None

    def _store_by_id(self, store_id: UUID | None) -> _Store | None:
        return self._store_index.get(store_id) if store_id else None

    def _chinese_name(self, female: bool) -> _Name:
        rng = self._rng
        family, family_pinyin = rng.choice(words.CHINESE_FAMILY_NAMES)
        pool = words.CHINESE_GIVEN_NAMES_FEMALE if female else words.CHINESE_GIVEN_NAMES_MALE
        given, given_pinyin = rng.choice(pool)
        return _Name(family, given, family + given, f"{given_pinyin}.{family_pinyin}", True)

    def _western_name(self, female: bool) -> _Name:
        rng = self._rng
        family = rng.choice(words.WESTERN_FAMILY_NAMES)
        pool = words.WESTERN_GIVEN_NAMES_FEMALE if female else words.WESTERN_GIVEN_NAMES_MALE
        given = rng.choice(pool)
        return _Name(family, given, f"{given} {family}", _ascii(f"{given}.{family}"), False)

    def _contact_point(self, name: _Name | None, created: int, at: datetime) -> ContactPoint:
        rng = self._rng
        if rng.random() < 0.55:
            kind, value = ContactKind.PHONE, self._phone(name)
            asked = [ConsentInput(ConsentPurpose.MARKETING_SMS, rng.random() < 0.5)]
            if rng.random() < 0.3:
                asked.append(ConsentInput(ConsentPurpose.MARKETING_PHONE, rng.random() < 0.2))
        else:
            kind, value = ContactKind.EMAIL, self._email(name)
            asked = [ConsentInput(ConsentPurpose.MARKETING_EMAIL, rng.random() < 0.6)]
        return ContactPoint(
            id=uuid7(created, rng), kind=kind, value=value,
            label=rng.choice(words.CONTACT_LABELS), verified=rng.random() < 0.5,
            consents=merge_consents((), tuple(asked), at),
        )

    def _phone(self, name: _Name | None) -> str:
        rng = self._rng
        if name is None or name.chinese:
            prefix = rng.choice(words.CHINESE_MOBILE_PREFIXES)
            return f"+86{prefix}{rng.randrange(10**8):08d}"
        if rng.random() < 0.5:
            return f"+447{rng.randrange(10**9):09d}"
        return f"+1{rng.randrange(2, 10)}{rng.randrange(10**9):09d}"

    def _email(self, name: _Name | None) -> str:
        rng = self._rng
        if name is None:
            return f"orders{rng.randrange(1000)}@trade{rng.randrange(10**4)}.example.cn"
        domains = words.CHINESE_EMAIL_DOMAINS if name.chinese else words.WESTERN_EMAIL_DOMAINS
        domain = rng.choice(domains)
        if domain == "qq.com":
            return f"{rng.randrange(10**7, 10**10)}@qq.com"
        return f"{name.email_local}{rng.randrange(1, 1000)}@{domain}"

    def _household(self, created: int, name: _Name) -> list[HouseholdMember]:
        rng = self._rng
        relationships = rng.sample(RELATIVES, rng.choice((1, 1, 2)))
        return [self._relative(relationship, name, created) for relationship in relationships]

    def _relative(self, relationship: Relationship, name: _Name, created: int) -> HouseholdMember:
        rng = self._rng
        relative = self._relative_name(name)
        born: date | None = None
        dates: tuple[ImportantDate, ...] = ()
        if relationship is Relationship.SPOUSE:
            wedding = _date_between(rng, date(1975, 1, 1), date(2024, 12, 31))
            dates = (ImportantDate(Occasion.ANNIVERSARY, wedding, "Wedding anniversary"),)
        elif relationship is Relationship.CHILD:
            born = _date_between(rng, date(1990, 1, 1), date(2023, 12, 31))
            dates = (ImportantDate(Occasion.BIRTHDAY, born, "Birthday"),)
        else:
            born = _date_between(rng, date(1930, 1, 1), date(1970, 12, 31))
        return HouseholdMember(uuid7(created, rng), relative, relationship, born, dates)

    def _relative_name(self, name: _Name) -> str:
        female = self._rng.random() < 0.5
        if name.chinese:
            return name.family + self._chinese_name(female).given
        return f"{self._western_name(female).given} {name.family}"

    def _external_refs(self, index: int, created: int) -> list[ExternalReference]:
        rng = self._rng
        refs = []
        if rng.random() < 0.75:
            card = f"{self.spec.run_tag.upper()}-{index:07d}"
            refs.append(ExternalReference(uuid7(created, rng), "pos-card", card))
        if rng.random() < 0.25:
            open_id = "o" + "".join(rng.choices(_OPEN_ID_ALPHABET, k=27))
            refs.append(ExternalReference(uuid7(created, rng), "wechat", open_id))
        return refs

    def _occurred(self, created: int) -> list[int]:
        start = max(created, self._now - INTERACTION_HISTORY)
        end = self._now - MINUTE
        rng = self._rng
        return sorted(rng.randrange(start, end) for _ in range(self.spec.interactions_per_customer))

    def _interaction(self, timeline: _Timeline, occurred: int) -> InteractionRow:
        rng = self._rng
        touchpoint = TOUCHPOINTS.draw(rng)
        recorded = min(occurred + rng.randrange(5 * MINUTE), self._now)
        store = self._store_for(timeline) if touchpoint.at_store else None
        staff = self._clerk_at(store) if touchpoint.served else None
        latitude = longitude = place = None
        if touchpoint.channel is Channel.CHECK_IN and store is not None:
            latitude = store.latitude + rng.uniform(-0.002, 0.002)
            longitude = store.longitude + rng.uniform(-0.002, 0.002)
            place = f"{store.name} counter"
        summary, payload = touchpoint.describe(rng)
        return InteractionRow(
            uuid7(recorded, rng), timeline.customer_id, touchpoint.channel.value,
            touchpoint.direction.value, touchpoint.kind, instant(occurred), instant(recorded),
            summary, json_text(payload), store.id if store else None, latitude, longitude, place,
            staff,
        )

    def _store_for(self, timeline: _Timeline) -> _Store:
        if timeline.home_store is not None and self._rng.random() < 0.75:
            return timeline.home_store
        return self._rng.choice(self._stores)

    def _clerk_at(self, store: _Store | None) -> UUID | None:
        clerks = self._staff_by_store.get(store.id) if store else None
        return self._rng.choice(clerks) if clerks and self._rng.random() < 0.6 else None

    def _case(self, timeline: _Timeline, touches: list[InteractionRow]) -> CaseRow:
        """As `open_case` from an interaction would, then moved along its lifecycle."""
        rng, now = self._rng, self._now
        origin = rng.choice(touches) if touches else None
        kind = CASE_KINDS.draw(rng)
        category, subject = rng.choice(words.CASE_SUBJECTS[kind.value])
        priority = PRIORITIES.draw(rng)
        if origin is not None:
            opened = min(micros(origin.recorded_at) + rng.randrange(MINUTE, 2 * HOUR), now)
        else:
            opened = rng.randrange(now - 180 * DAY, now)
        statuses = FRESH_CASE_STATUSES if now - opened < 3 * DAY else SETTLED_CASE_STATUSES
        status = statuses.draw(rng)
        moments = [opened]
        for _ in range(CASE_LIFECYCLE.index(status)):
            moments.append(min(moments[-1] + rng.randrange(10 * MINUTE, 2 * DAY), now))
        resolved = moments[2] if len(moments) > 2 else None
        home = timeline.home_store
        return CaseRow(
            id=uuid7(opened, rng), customer_id=timeline.customer_id, kind=kind.value,
            category=category, subject=subject,
            description=origin.summary if origin else None,
            channel=origin.channel if origin else rng.choice(("PHONE", "EMAIL", "WEB")),
            store_id=origin.store_id if origin else (home.id if home else None),
            origin_interaction_id=origin.id if origin else None,
            priority=priority.value, status=status.value,
            owner_id=rng.choice(self._staff) if self._staff and rng.random() < 0.85 else None,
            queue="complaints" if kind is CaseKind.COMPLAINT else "default",
            due_at=instant(opened + _SLA_MICROS[priority]), opened_at=instant(opened),
            updated_at=instant(moments[-1]),
            resolved_at=instant(resolved) if resolved else None,
            closed_at=instant(moments[3]) if len(moments) > 3 else None,
            resolution_note=rng.choice(words.RESOLUTION_NOTES) if resolved else None,
            follow_up_at=instant(resolved + _FOLLOW_UP_MICROS) if resolved else None,
            version=len(moments),
        )
