"""What callers ask the loyalty context to do."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from domain.loyalty.model import (
    DowngradePolicy,
    QualificationWindow,
    QualifyingMeasure,
    SalesChannel,
)
from domain.shared.errors import FieldError


@dataclass(frozen=True)
class OfferRef:
    """A partner offer as a programme's definition names it: by its partner's code and its
    own, which are the same in every environment the definition is saved to (ids are not)."""

    partner_code: str
    code: str


@dataclass(frozen=True)
class PerkSpec:
    text: str
    offer: OfferRef | None = None  # the partner offer that gives it; None: plain text


@dataclass(frozen=True)
class TierSpec:
    code: str
    name: str
    threshold: Decimal
    discount_percent: Decimal = Decimal(0)
    earn_multiplier: Decimal = Decimal(1)
    # Plain texts: each keeps the offer the tier's perk of that text pointed at, so that a
    # caller who knows nothing of offers does not unlink them (domain/loyalty/perks.py).
    perks: tuple[str, ...] = ()
    # Instead of `perks`: the tier's perks exactly, each pointing at an offer or not.
    perk_details: tuple[PerkSpec, ...] | None = None


@dataclass(frozen=True)
class BonusRuleSpec:
    name: str
    multiplier: Decimal
    category: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None


@dataclass(frozen=True)
class RewardSpec:
    code: str
    name: str
    points_cost: int
    description: str | None = None
    active: bool = True


@dataclass(frozen=True)
class SaveProgramme:
    """The whole definition of a programme, created or replaced by `code`. Tiers are given
    lowest first; their rank is their position. Tiers and rewards keep their ids by code."""

    code: str
    name: str
    currency: str
    tiers: tuple[TierSpec, ...]
    measure: QualifyingMeasure = QualifyingMeasure.SPEND
    window: QualificationWindow = QualificationWindow.ROLLING_12_MONTHS
    downgrade: DowngradePolicy = DowngradePolicy.AT_PERIOD_END
    grace_months: int = 0
    points_per_unit: Decimal = Decimal(1)
    birthday_multiplier: Decimal = Decimal(1)
    points_expire_after_months: int | None = None
    point_value: Decimal = Decimal("0.01")
    time_zone: str = "UTC"
    bonus_rules: tuple[BonusRuleSpec, ...] = ()
    rewards: tuple[RewardSpec, ...] = ()
    expected_version: int | None = None


@dataclass(frozen=True)
class LineInput:
    sku: str
    quantity: int
    unit_price: Decimal
    discount: Decimal = Decimal(0)
    name: str | None = None
    category: str | None = None
    margin: Decimal | None = None


@dataclass(frozen=True)
class RecordPurchase:
    customer_id: UUID
    channel: SalesChannel
    order_id: str  # unique per channel: the idempotency key
    occurred_at: datetime
    currency: str
    payment_total: Decimal
    lines: tuple[LineInput, ...]
    store_id: UUID | None = None
    programme_code: str | None = None  # None: the default programme

    @property
    def idempotency_key(self) -> str:
        return self.order_id


@dataclass(frozen=True)
class UnreadablePurchase:
    """A batch item whose input could not even become a command (an id of the wrong kind, a
    decimal that is no number), with why. It stays in the batch so that it counts towards
    the batch's size and gets its own result in its place."""

    errors: tuple[FieldError, ...]


@dataclass(frozen=True)
class RecordPurchaseBatch:
    """Purchases a till kept while offline, recorded one by one in the order given."""

    purchases: tuple[RecordPurchase | UnreadablePurchase, ...]


@dataclass(frozen=True)
class RefundLineInput:
    line_no: int
    quantity: int


@dataclass(frozen=True)
class RefundPurchase:
    """A return. Name the purchase by id, or by channel and order id. No lines: everything
    not yet returned. `refund_ref` (the till's return id) makes a retry replay."""

    refund_ref: str
    occurred_at: datetime
    purchase_id: UUID | None = None
    channel: SalesChannel | None = None
    order_id: str | None = None
    lines: tuple[RefundLineInput, ...] = ()


@dataclass(frozen=True)
class RedeemReward:
    customer_id: UUID
    reward_code: str
    quantity: int = 1
    programme_code: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class PayWithPoints:
    """Points spent at checkout, worth `points * point_value` off the order `order_ref`."""

    customer_id: UUID
    points: int
    order_ref: str
    programme_code: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class AdjustPoints:
    customer_id: UUID
    points: int  # positive adds a lot, negative takes points away
    reason: str
    programme_code: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class OverrideTier:
    customer_id: UUID
    tier_code: str | None  # None lifts an override
    reason: str
    expires_at: datetime | None = None
    programme_code: str | None = None


@dataclass(frozen=True)
class ClosePeriod:
    """Reviews every member's tier for the last period that ended by `as_of` (now if
    None), and applies downgrades whose grace ran out and overrides that expired."""

    programme_code: str | None = None
    as_of: datetime | None = None


@dataclass(frozen=True)
class ExpirePoints:
    programme_code: str | None = None
    as_of: datetime | None = None


@dataclass(frozen=True)
class QuoteLine:
    sku: str
    quantity: int
    unit_price: Decimal
    discount: Decimal = Decimal(0)
    category: str | None = None


@dataclass(frozen=True)
class QuoteMemberPrice:
    customer_id: UUID
    currency: str
    lines: tuple[QuoteLine, ...]
    programme_code: str | None = None
