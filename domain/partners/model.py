"""The alliance: partner companies, the offers they give members, the grants issued to one
member each, and what the brand and each partner owe each other.

A partner is another company calling with its own API clients (role PARTNER, bound to the
partner's code). An offer says what a member gets, who may get it, what issues it, how
many may be issued, when it is valid and who pays. A grant is one offer issued to one
member with a single-use code (`domain/partners/codes.py`); the partner that gives the
benefit redeems it, once. Every redemption and every point a member earns at a partner is
a settlement entry; a closed period's entries never change.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from domain.shared.events import Event


class PartnerStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"  # its keys fail and its offers issue nothing, until reactivated


@dataclass(frozen=True)
class Partner:
    """`code` is what its API clients are bound to (their `partner_code`): a slug that never
    changes. Settlement is in `currency`, every `terms_days` after a period closes.
    `earn_rate` is how many of the brand's points a member earns per unit of the partner's
    currency spent with it (None: members earn nothing there), and `point_value` what the
    partner owes the brand per point so issued."""

    id: UUID
    code: str
    name: str
    industry: str
    currency: str
    contact_name: str | None = None
    contact_email: str | None = None
    terms_days: int = 30
    earn_rate: Decimal | None = None
    point_value: Decimal = Decimal("0.01")
    status: PartnerStatus = PartnerStatus.ACTIVE
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status is PartnerStatus.ACTIVE


class BenefitKind(StrEnum):
    FREE_ITEM = "FREE_ITEM"  # `item`: a movie ticket, a coffee
    AMOUNT_OFF = "AMOUNT_OFF"  # `amount` in the partner's currency
    PERCENT_OFF = "PERCENT_OFF"  # `percent` of what is bought at the partner
    POINTS_MULTIPLIER = "POINTS_MULTIPLIER"  # the brand's points at the partner, times `multiplier`


@dataclass(frozen=True)
class Benefit:
    kind: BenefitKind
    item: str | None = None
    amount: Decimal | None = None
    percent: Decimal | None = None
    multiplier: Decimal | None = None


@dataclass(frozen=True)
class Eligibility:
    """Who may get the offer; every condition given must hold (empty: anyone).
    `tier_codes` any of them; `interests` any of them, matched against her interests and
    tags; `programme_code` enrolled in it."""

    tier_codes: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    programme_code: str | None = None


class TriggerKind(StrEnum):
    PURCHASE = "PURCHASE"  # a purchase with `category` or `sku` on a line, of `min_spend` or more
    TIER_REACHED = "TIER_REACHED"  # she moves up to `tier_code` (or any tier above the entry)
    BIRTHDAY_MONTH = "BIRTHDAY_MONTH"  # her first purchase in her birthday month
    MANUAL = "MANUAL"  # staff issue it, with a reason


@dataclass(frozen=True)
class Trigger:
    kind: TriggerKind
    category: str | None = None
    sku: str | None = None
    min_spend: Decimal | None = None  # net, in the programme's currency
    tier_code: str | None = None


class QuotaPeriod(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


@dataclass(frozen=True)
class Quota:
    """How many grants may be issued: in all, to one member, and in one period (all
    members). None: no limit of that kind."""

    total: int | None = None
    per_member: int | None = 1
    per_period: int | None = None
    period: QuotaPeriod = QuotaPeriod.MONTH


class Payer(StrEnum):
    BRAND = "BRAND"  # the brand pays the partner `unit_cost` per redemption
    PARTNER = "PARTNER"  # the partner gives it at its own cost: nothing is owed
    SHARED = "SHARED"  # the brand pays `brand_share` of `unit_cost`


@dataclass(frozen=True)
class CostSharing:
    payer: Payer
    unit_cost: Decimal  # in the partner's settlement currency
    brand_share: Decimal = Decimal(1)  # of unit_cost, between 0 and 1

    @property
    def brand_owes(self) -> Decimal:
        """What the brand owes the partner for one redemption."""
        if self.payer is Payer.PARTNER:
            return Decimal(0)
        share = Decimal(1) if self.payer is Payer.BRAND else self.brand_share
        return self.unit_cost * share


class OfferStatus(StrEnum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    ENDED = "ENDED"  # for good


# What each status may move to; ENDED is final.
OFFER_TRANSITIONS: dict[OfferStatus, frozenset[OfferStatus]] = {
    OfferStatus.DRAFT: frozenset({OfferStatus.ACTIVE, OfferStatus.ENDED}),
    OfferStatus.ACTIVE: frozenset({OfferStatus.PAUSED, OfferStatus.ENDED}),
    OfferStatus.PAUSED: frozenset({OfferStatus.ACTIVE, OfferStatus.ENDED}),
    OfferStatus.ENDED: frozenset(),
}


@dataclass(frozen=True)
class Offer:
    """`valid_from`/`valid_until` bound when it issues; a grant is good for
    `grant_valid_days` after it is issued, never past `redeem_until` when that is set."""

    id: UUID
    partner_id: UUID
    code: str  # a slug, unique per partner: how tiers' perks and the CLI name it
    title: str
    benefit: Benefit
    trigger: Trigger
    cost: CostSharing
    description: str | None = None
    eligibility: Eligibility = Eligibility()
    quota: Quota = Quota()
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    grant_valid_days: int = 30
    redeem_until: datetime | None = None
    status: OfferStatus = OfferStatus.DRAFT
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def issuing_at(self, moment: datetime) -> bool:
        return (
            self.status is OfferStatus.ACTIVE
            and (self.valid_from is None or moment >= self.valid_from)
            and (self.valid_until is None or moment < self.valid_until)
        )

    def grant_expiry(self, issued_at: datetime) -> datetime:
        expiry = issued_at + timedelta(days=self.grant_valid_days)
        return min(expiry, self.redeem_until) if self.redeem_until else expiry


class GrantState(StrEnum):
    ISSUED = "ISSUED"
    REDEEMED = "REDEEMED"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


@dataclass(frozen=True)
class Grant:
    """One offer issued to one member. `source_key` says what issued it ("purchase:<id>",
    "tier:<tier id>", "birthday:2026", "manual:<id>"): unique per offer and member among
    the grants not revoked, so a trigger that fires twice (a till's retry, a replayed
    event) issues once. A revoked grant gives its source back, as it gives back its place
    in the quota: the member never had the benefit, so her birthday purchase returned,
    her next one that month issues it. A redeemed or expired grant keeps it: she had the
    benefit, or let it lapse."""

    id: UUID
    offer_id: UUID
    partner_id: UUID
    customer_id: UUID
    code: str  # canonical form, without separators (codes.py)
    source_key: str
    issued_at: datetime
    expires_at: datetime
    issued_by: str
    state: GrantState = GrantState.ISSUED
    purchase_id: UUID | None = None  # the purchase that issued it: its return revokes it
    reason: str | None = None  # why staff issued or revoked it
    redeemed_at: datetime | None = None
    revoked_at: datetime | None = None
    events: list[Event] = field(default_factory=list, compare=False, repr=False)

    def state_at(self, now: datetime) -> GrantState:
        """An issued grant past its expiry is expired, whether or not the job ran yet."""
        if self.state is GrantState.ISSUED and now >= self.expires_at:
            return GrantState.EXPIRED
        return self.state

    def redeemed(self, now: datetime) -> "Grant":
        return replace(self, state=GrantState.REDEEMED, redeemed_at=now)

    def reinstated(self) -> "Grant":
        """Back to issued when its redemption is reversed (expiry still applies)."""
        return replace(self, state=GrantState.ISSUED, redeemed_at=None)

    def revoked(self, now: datetime, reason: str) -> "Grant":
        return replace(self, state=GrantState.REVOKED, revoked_at=now, reason=reason)

    def expired(self) -> "Grant":
        return replace(self, state=GrantState.EXPIRED)


@dataclass(frozen=True)
class Redemption:
    """A partner giving a grant's benefit. `idempotency_key` is the partner's: a retry of
    the same redemption replays it. Reversed within the window, the grant is good again."""

    id: UUID
    grant_id: UUID
    partner_id: UUID
    offer_id: UUID
    customer_id: UUID
    idempotency_key: str
    fingerprint: str
    location: str
    redeemed_at: datetime
    redeemed_by: str
    amount: Decimal | None = None  # what the member bought at the partner, when it says
    reversed_at: datetime | None = None
    reverse_reason: str | None = None

    @property
    def reversed(self) -> bool:
        return self.reversed_at is not None


class EntryKind(StrEnum):
    REDEMPTION = "REDEMPTION"  # a benefit given: the brand owes the partner its share
    REDEMPTION_REVERSAL = "REDEMPTION_REVERSAL"
    COALITION_EARN = "COALITION_EARN"  # points issued at the partner: it owes their value
    COALITION_RETURN = "COALITION_RETURN"


class Direction(StrEnum):
    BRAND_OWES = "BRAND_OWES"
    PARTNER_OWES = "PARTNER_OWES"


_DIRECTION = {EntryKind.REDEMPTION: Direction.BRAND_OWES,
              EntryKind.REDEMPTION_REVERSAL: Direction.BRAND_OWES,
              EntryKind.COALITION_EARN: Direction.PARTNER_OWES,
              EntryKind.COALITION_RETURN: Direction.PARTNER_OWES}


def direction_of(kind: EntryKind) -> Direction:
    """Who owes whom for an entry of `kind`."""
    return _DIRECTION[kind]


def period_of(moment: datetime) -> str:
    """The settlement period `moment` falls in: its calendar month in UTC, `2026-12`."""
    return f"{moment.year:04d}-{moment.month:02d}"


def next_period(period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def period_bounds(period: str) -> tuple[date, date]:
    """First day of the period, and first day of the next."""
    year, month = (int(part) for part in period.split("-"))
    following = next_period(period)
    return date(year, month, 1), date(int(following[:4]), int(following[5:]), 1)


@dataclass(frozen=True)
class SettlementEntry:
    """One amount owed, in the partner's currency, signed: a reversal or a return is
    negative. `period` is where it is settled: the month it happened in, or the first open
    one after it when that month is closed already."""

    id: UUID
    partner_id: UUID
    period: str
    kind: EntryKind
    amount: Decimal
    currency: str
    occurred_at: datetime
    customer_id: UUID  # whose benefit or points; kept off partners' exports
    offer_id: UUID | None = None
    redemption_id: UUID | None = None
    partner_purchase_id: UUID | None = None
    points: int = 0

    @property
    def direction(self) -> Direction:
        return direction_of(self.kind)


@dataclass(frozen=True)
class SettlementPeriod:
    partner_id: UUID
    period: str
    closed_at: datetime | None = None
    closed_by: str | None = None

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


@dataclass(frozen=True)
class PartnerPurchase:
    """A member's purchase reported by a partner, earning the brand's points. Its
    `order_id` is the partner's own, the idempotency key per partner."""

    id: UUID
    partner_id: UUID
    customer_id: UUID
    programme_id: UUID
    order_id: str
    fingerprint: str
    amount: Decimal
    currency: str
    occurred_at: datetime
    recorded_at: datetime
    points: int
    earn_entry_id: UUID | None
    returned_amount: Decimal = Decimal(0)
    returned_points: int = 0


@dataclass(frozen=True)
class SettlementLine:
    """One total of a settlement: per offer (None for coalition earn) and kind."""

    kind: EntryKind
    direction: Direction
    offer_id: UUID | None
    count: int
    amount: Decimal
    points: int


@dataclass(frozen=True)
class Settlement:
    """What a partner and the brand owe each other for one period, in its currency."""

    partner_id: UUID
    period: str
    currency: str
    closed: bool
    lines: tuple[SettlementLine, ...]

    def total(self, direction: Direction) -> Decimal:
        return sum((line.amount for line in self.lines if line.direction is direction),
                   Decimal(0))

    @property
    def brand_owes(self) -> Decimal:
        return self.total(Direction.BRAND_OWES)

    @property
    def partner_owes(self) -> Decimal:
        return self.total(Direction.PARTNER_OWES)

    @property
    def net_to_partner(self) -> Decimal:
        """Positive: the brand pays the partner the difference; negative: the partner pays."""
        return self.brand_owes - self.partner_owes


@dataclass(frozen=True)
class SharedMember:
    """What a partner may see of a member who consented to partner sharing: nothing else,
    on any field."""

    first_name: str | None
    tier_name: str | None
