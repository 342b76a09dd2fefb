"""Loyalty: a brand's programme (tiers, earning rules, rewards), its members, the purchases
they earn on, and the points ledger.

The ledger is the truth about points: append-only entries whose sum is the balance. A
membership keeps that sum as a snapshot (`points_balance`), updated in the same transaction
as the entries, and the open lots (`PointLot`) from which points are spent and expire,
oldest first. `rapport loyalty check` proves the snapshot and the lots agree with the sum.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.loyalty.events import LoyaltyEvent
from domain.shared.events import Event


class QualifyingMeasure(StrEnum):
    SPEND = "SPEND"  # net amount bought, returns taken off
    POINTS = "POINTS"  # points earned on purchases, reversals taken off


class QualificationWindow(StrEnum):
    ROLLING_12_MONTHS = "ROLLING_12_MONTHS"  # reviewed at every month end
    CALENDAR_YEAR = "CALENDAR_YEAR"  # reviewed at every year end


class DowngradePolicy(StrEnum):
    AT_PERIOD_END = "AT_PERIOD_END"  # the tier follows the closing period's qualification
    GRACE_PERIOD = "GRACE_PERIOD"  # a member who falls short keeps her tier `grace_months`
    NEVER = "NEVER"  # a tier once reached is kept


class SalesChannel(StrEnum):
    POS = "POS"
    WEB = "WEB"
    MOBILE_APP = "MOBILE_APP"


class LedgerKind(StrEnum):
    EARN = "EARN"
    REDEEM = "REDEEM"
    EXPIRE = "EXPIRE"
    ADJUST = "ADJUST"
    REVERSE = "REVERSE"


class TierChangeReason(StrEnum):
    ENROLLED = "ENROLLED"
    QUALIFIED = "QUALIFIED"  # a purchase took her over a threshold
    REFUNDED = "REFUNDED"  # a return took her back under it
    PERIOD_CLOSED = "PERIOD_CLOSED"
    GRACE_ENDED = "GRACE_ENDED"
    OVERRIDDEN = "OVERRIDDEN"
    OVERRIDE_ENDED = "OVERRIDE_ENDED"
    MERGED = "MERGED"  # her duplicate record's tier, kept when it was the higher


@dataclass(frozen=True)
class Perk:
    """One of a tier's benefits as a member reads it ("free alterations"). It may point at
    the partner offer that gives it ("a free movie ticket at Lumière Cinema" → the cinema's
    offer): loyalty knows the offer only by its id (domain/loyalty/perks.py)."""

    text: str
    offer_id: UUID | None = None


@dataclass(frozen=True)
class Tier:
    id: UUID
    code: str
    name: str
    rank: int  # 0 is the tier every member starts in
    threshold: Decimal  # qualifying spend (money) or points, in the window
    discount_percent: Decimal = Decimal(0)
    earn_multiplier: Decimal = Decimal(1)
    perks: tuple[Perk, ...] = ()


@dataclass(frozen=True)
class BonusRule:
    """Extra points: on a category, during campaign dates, or both. Of the rules matching a
    line (and the birthday month), the highest multiplier applies; they do not stack."""

    name: str
    multiplier: Decimal
    category: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None  # inclusive

    def applies(self, category: str | None, on: date) -> bool:
        return (
            (self.category is None or self.category == category)
            and (self.starts_on is None or on >= self.starts_on)
            and (self.ends_on is None or on <= self.ends_on)
        )


@dataclass(frozen=True)
class Reward:
    id: UUID
    code: str
    name: str
    points_cost: int
    description: str | None = None
    active: bool = True


@dataclass(frozen=True)
class Programme:
    id: UUID
    code: str
    name: str
    currency: str
    tiers: tuple[Tier, ...]  # by rank, lowest first; the first has threshold 0
    measure: QualifyingMeasure = QualifyingMeasure.SPEND
    window: QualificationWindow = QualificationWindow.ROLLING_12_MONTHS
    downgrade: DowngradePolicy = DowngradePolicy.AT_PERIOD_END
    grace_months: int = 0
    points_per_unit: Decimal = Decimal(1)  # base points per currency unit spent
    birthday_multiplier: Decimal = Decimal(1)
    points_expire_after_months: int | None = None  # None: points never expire
    point_value: Decimal = Decimal("0.01")  # money one point pays at checkout
    time_zone: str = "UTC"  # IANA name: where its days, months and years begin
    bonus_rules: tuple[BonusRule, ...] = ()
    rewards: tuple[Reward, ...] = ()
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def entry_tier(self) -> Tier:
        return self.tiers[0]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def local_date(self, moment: datetime) -> date:
        """The day `moment` falls on where the brand sells (campaigns, birthdays)."""
        return moment.astimezone(self.zone).date()

    def tier(self, tier_id: UUID) -> Tier:
        return next(t for t in self.tiers if t.id == tier_id)

    def tier_by_code(self, code: str) -> Tier | None:
        return next((t for t in self.tiers if t.code == code), None)

    def tier_for(self, qualifying: Decimal) -> Tier:
        """The highest tier whose threshold `qualifying` reaches."""
        reached = self.entry_tier
        for tier in self.tiers:
            if qualifying >= tier.threshold:
                reached = tier
        return reached

    def next_tier(self, tier: Tier) -> Tier | None:
        return next((t for t in self.tiers if t.rank > tier.rank), None)

    def reward_by_code(self, code: str) -> Reward | None:
        return next((r for r in self.rewards if r.code == code), None)


@dataclass(frozen=True)
class TierOverride:
    """A tier given by hand (a VIP, a complaint made good), until `expires_at` if set."""

    tier_id: UUID
    reason: str
    set_by: str
    set_at: datetime
    expires_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class TierChange:
    customer_id: UUID
    programme_id: UUID
    from_tier_id: UUID | None
    to_tier_id: UUID
    reason: TierChangeReason
    occurred_at: datetime
    actor: str
    note: str | None = None


@dataclass
class Membership:
    """One customer in one programme. The aggregate every points movement and tier change
    of that customer goes through; repositories lock it first, so two tills serialise."""

    customer_id: UUID
    programme_id: UUID
    tier_id: UUID  # the tier earned (or kept by the downgrade policy)
    tier_since: datetime
    retained_tier_id: UUID  # what the last period close guaranteed; returns can't go below
    enrolled_at: datetime
    points_balance: int = 0  # always the sum of the ledger (a snapshot, checked)
    downgrade_due_at: datetime | None = None  # grace: the tier drops then unless re-earned
    override: TierOverride | None = None
    reviewed_through: datetime | None = None  # the last period end closed for her
    events: list[Event] = field(default_factory=list)
    tier_changes: list[TierChange] = field(default_factory=list)  # new, to be written

    def effective_tier_id(self, now: datetime) -> UUID:
        if self.override is not None and self.override.active(now):
            return self.override.tier_id
        return self.tier_id

    def change_tier(self, to_tier_id: UUID, reason: TierChangeReason, now: datetime,
                    actor: str, note: str | None = None) -> bool:
        """Moves her earned tier; False when she already holds it."""
        if to_tier_id == self.tier_id:
            return False
        before = self.tier_id
        self.tier_id, self.tier_since = to_tier_id, now
        self._record(before, to_tier_id, reason, now, actor, note)
        return True

    def set_override(self, override: TierOverride | None, reason: TierChangeReason,
                     now: datetime, actor: str, note: str | None = None) -> None:
        before = self.effective_tier_id(now)
        self.override = override
        self._record(before, self.effective_tier_id(now), reason, now, actor, note)

    def _record(self, before: UUID, after: UUID, reason: TierChangeReason, now: datetime,
                actor: str, note: str | None) -> None:
        """History and event: earned tiers for earned changes, the tier she is treated as
        for overrides."""
        self.tier_changes.append(TierChange(
            self.customer_id, self.programme_id, before, after, reason, now, actor, note))
        self.events.append(Event(LoyaltyEvent.TIER_CHANGED, self.customer_id, now, {
            "programme_id": str(self.programme_id), "from_tier_id": str(before),
            "to_tier_id": str(after), "reason": reason.value,
        }))


@dataclass(frozen=True)
class LedgerEntry:
    """One movement of points. Never changed or deleted; a mistake is put right by another
    entry (REVERSE points at the entry it reverses)."""

    id: UUID
    customer_id: UUID
    programme_id: UUID
    kind: LedgerKind
    points: int  # signed: EARN and positive ADJUST add, the others take away
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    reason: str | None = None
    purchase_id: UUID | None = None
    refund_id: UUID | None = None
    reward_id: UUID | None = None
    reverses_id: UUID | None = None
    lot_id: UUID | None = None  # EXPIRE: the lot that ran out
    expires_at: datetime | None = None  # EARN, positive ADJUST: when its lot runs out
    money_value: Decimal | None = None  # REDEEM at checkout: what the points paid
    order_ref: str | None = None  # REDEEM at checkout: the order they paid for
    partner_id: UUID | None = None  # earned (or reversed) at an alliance partner


@dataclass
class PointLot:
    """Points earned together, spent and expired together: an EARN or positive ADJUST
    entry and what is left of it. Spending takes from the oldest lot first (FIFO)."""

    entry_id: UUID
    customer_id: UUID
    programme_id: UUID
    earned_at: datetime
    expires_at: datetime | None
    points: int
    remaining: int


@dataclass(frozen=True)
class PurchaseLine:
    line_no: int  # 1-based, as sent
    sku: str
    quantity: int
    unit_price: Decimal
    discount: Decimal = Decimal(0)  # off the whole line
    name: str | None = None
    category: str | None = None
    margin: Decimal | None = None
    points: int = 0  # what the line earned
    refunded_quantity: int = 0

    @property
    def net(self) -> Decimal:
        return self.quantity * self.unit_price - self.discount


@dataclass(frozen=True)
class RefundLine:
    line_no: int
    quantity: int
    amount: Decimal  # the share of the line's net amount returned
    points: int  # the share of the line's points reversed


@dataclass(frozen=True)
class Refund:
    id: UUID
    purchase_id: UUID
    refund_ref: str  # the till's or shop's id for the return; retrying it replays
    occurred_at: datetime
    recorded_at: datetime
    lines: tuple[RefundLine, ...]

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def points(self) -> int:
        return sum(line.points for line in self.lines)


@dataclass(frozen=True)
class Purchase:
    """A sale from a till or a web shop: the fact loyalty and analytics are computed from.
    (channel, order_id) is unique: the order id is the idempotency key."""

    id: UUID
    programme_id: UUID
    customer_id: UUID
    channel: SalesChannel
    order_id: str
    occurred_at: datetime
    recorded_at: datetime
    currency: str
    payment_total: Decimal
    lines: tuple[PurchaseLine, ...]
    fingerprint: str  # of the input, to tell a faithful retry from a reused order id
    store_id: UUID | None = None
    earn_entry_id: UUID | None = None  # None when it earned nothing
    refunds: tuple[Refund, ...] = ()

    @property
    def points(self) -> int:
        return sum(line.points for line in self.lines)

    @property
    def net_amount(self) -> Decimal:
        return sum((line.net for line in self.lines), Decimal(0))

    @property
    def refunded_amount(self) -> Decimal:
        return sum((refund.amount for refund in self.refunds), Decimal(0))

    def line(self, line_no: int) -> PurchaseLine | None:
        return next((line for line in self.lines if line.line_no == line_no), None)

    def with_refund(self, refund: "Refund") -> "Purchase":
        """The purchase after `refund`: its lines' returned quantities grown by it."""
        returned = {line.line_no: line.quantity for line in refund.lines}
        lines = tuple(
            replace(line, refunded_quantity=line.refunded_quantity + returned[line.line_no])
            if line.line_no in returned else line
            for line in self.lines
        )
        return replace(self, lines=lines, refunds=(*self.refunds, refund))


@dataclass(frozen=True)
class LoyaltyRecord:
    """Everything loyalty holds about one customer, oldest first: for her data export."""

    memberships: tuple[Membership, ...] = ()
    tier_changes: tuple[TierChange, ...] = ()
    purchases: tuple[Purchase, ...] = ()
    ledger: tuple[LedgerEntry, ...] = ()


@dataclass(frozen=True)
class QualifyingTotals:
    """What counts towards a tier in a window: net spend and points earned, returns off."""

    spend: Decimal = Decimal(0)
    points: int = 0

    def measured(self, measure: QualifyingMeasure) -> Decimal:
        return self.spend if measure is QualifyingMeasure.SPEND else Decimal(self.points)
