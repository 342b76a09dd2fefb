"""Loyalty inputs and their commands. Decimals arrive as strings; a text that is no number,
like a bad id, becomes a userError at its field (api/graphql/money.py)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry

from api.graphql.loyalty.types import (
    DowngradePolicyEnum,
    QualificationWindowEnum,
    QualifyingMeasureEnum,
    SalesChannelEnum,
)
from api.graphql.money import decimal_of, optional_decimal_of
from api.graphql.relay import optional_uuid_of, uuid_of
from domain.loyalty import commands
from domain.loyalty.model import (
    DowngradePolicy,
    QualificationWindow,
    QualifyingMeasure,
    SalesChannel,
)
from domain.shared.errors import DomainError

Path = tuple[str, ...]


def _programme_code() -> Any:
    """The `programme` input field of every loyalty mutation (a field specification, which
    strawberry types as Any so that it can stand as any field's default)."""
    return strawberry.field(
        default=None, description="The programme's code; null: the default programme.")


# --- programmes --------------------------------------------------------------------------


@strawberry.input(description="A partner offer by its partner's code and its own, as "
                              "`offers` shows them (`partner { code }`, `code`): the same in "
                              "every environment the definition is saved to.")
class TierPerkOfferInput:
    partner_code: str
    code: str

    def to_domain(self) -> commands.OfferRef:
        return commands.OfferRef(self.partner_code, self.code)


@strawberry.input(description="One of a tier's perks: what members read, and the partner "
                              "offer that gives it, if one does.")
class TierPerkInput:
    text: str
    offer: TierPerkOfferInput | None = strawberry.field(
        default=None, description="Null: plain text.")

    def to_domain(self) -> commands.PerkSpec:
        return commands.PerkSpec(self.text, None if self.offer is None else self.offer.to_domain())


@strawberry.input(description="A tier; its rank is its place in the list, lowest first.")
class LoyaltyTierInput:
    code: str
    name: str
    threshold: Decimal = strawberry.field(
        description="Qualifying spend or points; the first tier's is 0.")
    discount_percent: Decimal = Decimal(0)
    earn_multiplier: Decimal = Decimal(1)
    perks: list[str] = strawberry.field(
        default_factory=list,
        description="Plain texts. A perk of a text the tier had keeps the offer it pointed at.")
    perk_details: list[TierPerkInput] | None = strawberry.field(
        default=None, description="Instead of perks: the tier's perks exactly, each pointing "
                                  "at a partner offer or not.")

    def to_domain(self, at: Path) -> commands.TierSpec:
        return commands.TierSpec(
            code=self.code, name=self.name,
            threshold=decimal_of(self.threshold, (*at, "threshold")),
            discount_percent=decimal_of(self.discount_percent, (*at, "discount_percent")),
            earn_multiplier=decimal_of(self.earn_multiplier, (*at, "earn_multiplier")),
            perks=tuple(self.perks),
            perk_details=None if self.perk_details is None else tuple(
                perk.to_domain() for perk in self.perk_details),
        )


@strawberry.input(description="Extra points on a category, during dates, or both.")
class BonusRuleInput:
    name: str
    multiplier: Decimal
    category: str | None = None
    starts_on: date | None = None
    ends_on: date | None = strawberry.field(default=None, description="Inclusive.")

    def to_domain(self, at: Path) -> commands.BonusRuleSpec:
        return commands.BonusRuleSpec(
            name=self.name, multiplier=decimal_of(self.multiplier, (*at, "multiplier")),
            category=self.category, starts_on=self.starts_on, ends_on=self.ends_on,
        )


@strawberry.input
class RewardInput:
    code: str
    name: str
    points_cost: int
    description: str | None = None
    active: bool = True

    def to_domain(self) -> commands.RewardSpec:
        return commands.RewardSpec(self.code, self.name, self.points_cost, self.description,
                                   self.active)


@strawberry.input(description="The whole definition of a programme, created or replaced by "
                              "code. Tiers and rewards keep their identity by code; a reward "
                              "left out is kept, inactive.")
class LoyaltyProgrammeSaveInput:
    code: str
    name: str
    currency_code: str
    tiers: list[LoyaltyTierInput]
    measure: QualifyingMeasureEnum = QualifyingMeasure.SPEND
    qualification_window: QualificationWindowEnum = (
        QualificationWindow.ROLLING_12_MONTHS)
    downgrade_policy: DowngradePolicyEnum = (
        DowngradePolicy.AT_PERIOD_END)
    grace_months: int = 0
    points_per_unit: Decimal = Decimal(1)
    birthday_multiplier: Decimal = Decimal(1)
    points_expire_after_months: int | None = None
    point_value: Decimal = strawberry.field(
        default=Decimal("0.01"), description="Money one point pays at checkout.")
    time_zone: str = strawberry.field(
        default="UTC", description="IANA name, e.g. Asia/Shanghai: where the programme's "
                                   "days, months and years begin (campaigns, birthdays, periods).")
    bonus_rules: list[BonusRuleInput] = strawberry.field(default_factory=list)
    rewards: list[RewardInput] = strawberry.field(default_factory=list)
    expected_version: int | None = None

    def to_command(self) -> commands.SaveProgramme:
        return commands.SaveProgramme(
            code=self.code, name=self.name, currency=self.currency_code,
            tiers=tuple(t.to_domain(("tiers", str(i))) for i, t in enumerate(self.tiers)),
            measure=QualifyingMeasure(self.measure),
            window=QualificationWindow(self.qualification_window),
            downgrade=DowngradePolicy(self.downgrade_policy), grace_months=self.grace_months,
            points_per_unit=decimal_of(self.points_per_unit, ("points_per_unit",)),
            birthday_multiplier=decimal_of(self.birthday_multiplier, ("birthday_multiplier",)),
            points_expire_after_months=self.points_expire_after_months,
            point_value=decimal_of(self.point_value, ("point_value",)),
            time_zone=self.time_zone,
            bonus_rules=tuple(r.to_domain(("bonus_rules", str(i)))
                              for i, r in enumerate(self.bonus_rules)),
            rewards=tuple(r.to_domain() for r in self.rewards),
            expected_version=self.expected_version,
        )


# --- purchases and returns ---------------------------------------------------------------


@strawberry.input
class PurchaseLineInput:
    sku: str
    quantity: int
    unit_price: Decimal
    discount: Decimal = strawberry.field(
        default=Decimal(0), description="Off the whole line.")
    name: str | None = None
    category: str | None = None
    margin: Decimal | None = None

    def to_domain(self, at: Path) -> commands.LineInput:
        return commands.LineInput(
            sku=self.sku, quantity=self.quantity,
            unit_price=decimal_of(self.unit_price, (*at, "unit_price")),
            discount=decimal_of(self.discount, (*at, "discount")),
            name=self.name, category=self.category,
            margin=optional_decimal_of(self.margin, (*at, "margin")),
        )


@strawberry.input(description="A sale. (channel, orderId) is the idempotency key: the same "
                              "order again replays the first result; other content under the "
                              "same order id is refused.")
class PurchaseRecordInput:
    customer_id: strawberry.ID
    channel: SalesChannelEnum
    order_id: str
    occurred_at: datetime
    currency_code: str
    payment_total: Decimal
    lines: list[PurchaseLineInput]
    store_id: strawberry.ID | None = None
    programme: str | None = _programme_code()

    def to_command(self, at: Path = ()) -> commands.RecordPurchase:
        return commands.RecordPurchase(
            customer_id=uuid_of(self.customer_id, "Customer", (*at, "customer_id")),
            channel=SalesChannel(self.channel), order_id=self.order_id,
            occurred_at=self.occurred_at, currency=self.currency_code,
            payment_total=decimal_of(self.payment_total, (*at, "payment_total")),
            lines=tuple(line.to_domain((*at, "lines", str(i)))
                        for i, line in enumerate(self.lines)),
            store_id=optional_uuid_of(self.store_id, "Store", (*at, "store_id")),
            programme_code=self.programme,
        )


@strawberry.input(description="Purchases a till kept while offline, recorded one by one in "
                              "this order (at most 500).")
class PurchaseRecordBatchInput:
    purchases: list[PurchaseRecordInput]

    def to_command(self) -> commands.RecordPurchaseBatch:
        """Every item in its place; one that can't become a command carries its errors, so
        the use case still counts it and reports it where it was sent."""
        return commands.RecordPurchaseBatch(tuple(_readable(p) for p in self.purchases))


def _readable(
    purchase: PurchaseRecordInput,
) -> commands.RecordPurchase | commands.UnreadablePurchase:
    try:
        return purchase.to_command()
    except DomainError as refused:
        return commands.UnreadablePurchase(refused.errors)


@strawberry.input
class RefundLineInput:
    line_no: int
    quantity: int

    def to_domain(self) -> commands.RefundLineInput:
        return commands.RefundLineInput(self.line_no, self.quantity)


@strawberry.input(description="A return: name the purchase by purchaseId, or by channel and "
                              "orderId. No lines: everything not yet returned. Retrying with "
                              "the same refundRef replays the first result.")
class PurchaseRefundInput:
    refund_ref: str
    occurred_at: datetime
    purchase_id: strawberry.ID | None = None
    channel: SalesChannelEnum | None = None
    order_id: str | None = None
    lines: list[RefundLineInput] = strawberry.field(default_factory=list)

    def to_command(self) -> commands.RefundPurchase:
        return commands.RefundPurchase(
            refund_ref=self.refund_ref, occurred_at=self.occurred_at,
            purchase_id=optional_uuid_of(self.purchase_id, "Purchase", ("purchase_id",)),
            channel=SalesChannel(self.channel) if self.channel is not None else None,
            order_id=self.order_id, lines=tuple(line.to_domain() for line in self.lines),
        )


# --- points and tiers ----------------------------------------------------------------------


@strawberry.input
class RewardRedeemInput:
    customer_id: strawberry.ID
    reward_code: str
    quantity: int = 1
    programme: str | None = _programme_code()
    idempotency_key: str | None = None

    def to_command(self) -> commands.RedeemReward:
        return commands.RedeemReward(
            uuid_of(self.customer_id, "Customer", ("customer_id",)), self.reward_code,
            self.quantity, self.programme, self.idempotency_key)


@strawberry.input(description="Points spent at checkout, worth points * pointValue off the "
                              "order orderRef (rounded down to the smallest coin).")
class PointsPayInput:
    customer_id: strawberry.ID
    points: int
    order_ref: str
    programme: str | None = _programme_code()
    idempotency_key: str | None = None

    def to_command(self) -> commands.PayWithPoints:
        return commands.PayWithPoints(
            uuid_of(self.customer_id, "Customer", ("customer_id",)), self.points,
            self.order_ref, self.programme, self.idempotency_key)


@strawberry.input(description="A correction by hand: positive adds points, negative takes "
                              "them away (never below zero). The reason is kept.")
class PointsAdjustInput:
    customer_id: strawberry.ID
    points: int
    reason: str
    programme: str | None = _programme_code()
    idempotency_key: str | None = None

    def to_command(self) -> commands.AdjustPoints:
        return commands.AdjustPoints(
            uuid_of(self.customer_id, "Customer", ("customer_id",)), self.points,
            self.reason, self.programme, self.idempotency_key)


@strawberry.input(description="Gives the member a tier by hand until expiresAt (or until lifted); "
                              "tierCode null lifts the override.")
class LoyaltyTierOverrideInput:
    customer_id: strawberry.ID
    tier_code: str | None
    reason: str
    expires_at: datetime | None = None
    programme: str | None = _programme_code()

    def to_command(self) -> commands.OverrideTier:
        return commands.OverrideTier(
            uuid_of(self.customer_id, "Customer", ("customer_id",)), self.tier_code,
            self.reason, self.expires_at, self.programme)


@strawberry.input
class MemberPriceLineInput:
    sku: str
    quantity: int
    unit_price: Decimal
    discount: Decimal = strawberry.field(
        default=Decimal(0), description="Off the whole line, before the member discount.")
    category: str | None = None

    def to_domain(self, at: Path) -> commands.QuoteLine:
        return commands.QuoteLine(
            sku=self.sku, quantity=self.quantity,
            unit_price=decimal_of(self.unit_price, (*at, "unit_price")),
            discount=decimal_of(self.discount, (*at, "discount")), category=self.category,
        )
