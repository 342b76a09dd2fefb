"""Loyalty types: the programme and its tiers, a member's standing and points ledger, and the
purchases they come from. Every nested read goes through a DataLoader (api/graphql/loaders.py),
and all of a request's standings are read as of one instant (`info.context.now`)."""

import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Protocol
from uuid import UUID

import strawberry
from graphql import GraphQLError

from api.graphql.context import Info
from api.graphql.customers.types import CustomerType, load_customer
from api.graphql.loaders import MemberKey, PageKey
from api.graphql.money import MoneyType
from api.graphql.organisation.types import StoreType, load_store
from api.graphql.permissions import not_allowed_error
from api.graphql.relay import Connection, Node, connection_parts, page_request, to_global_id
from api.graphql.same_named import same_named
from domain.loyalty import model
from domain.loyalty.queries import MemberPriceQuote, QuotedLine, Standing, is_spend, standing
from domain.loyalty.rules import qualification_start
from domain.shared.access import Operation

# GraphQL enums are the domain's classes themselves, registered under their schema names.
SalesChannelEnum = model.SalesChannel
strawberry.enum(SalesChannelEnum, name="SalesChannel")
LedgerKindEnum = model.LedgerKind
strawberry.enum(LedgerKindEnum, name="PointsLedgerKind")
TierChangeReasonEnum = model.TierChangeReason
strawberry.enum(TierChangeReasonEnum, name="TierChangeReason")
QualifyingMeasureEnum = model.QualifyingMeasure
strawberry.enum(QualifyingMeasureEnum, name="QualifyingMeasure",
                description="What counts towards a tier: net spend, or points earned on purchases.")
QualificationWindowEnum = model.QualificationWindow
strawberry.enum(QualificationWindowEnum, name="QualificationWindow")
DowngradePolicyEnum = model.DowngradePolicy
strawberry.enum(DowngradePolicyEnum, name="DowngradePolicy")

MAX_EXPIRY_HORIZON_DAYS = 3660


@strawberry.type(name="TierPerk", description="One of a tier's benefits as members read it, "
                                              "and the partner offer that gives it, if one "
                                              "does.")
class TierPerkType:
    perk: strawberry.Private[model.Perk]
    text: str

    @classmethod
    def from_domain(cls, perk: model.Perk) -> "TierPerkType":
        return cls(perk=perk, **same_named(cls, perk))


@strawberry.type(name="LoyaltyTier", description="A level of a programme and its benefits.")
class LoyaltyTierType:
    code: str
    name: str
    rank: int = strawberry.field(description="0 is the tier every member starts in.")
    threshold: Decimal = strawberry.field(
        description="Qualifying spend (in the programme's currency) or points to reach it.")
    discount_percent: Decimal
    earn_multiplier: Decimal
    perks: list[str] = strawberry.field(description="The texts of perkDetails.")
    perk_details: list[TierPerkType] = strawberry.field(
        description="The tier's perks in order, with the partner offers that give them.")

    @classmethod
    def from_domain(cls, tier: model.Tier) -> "LoyaltyTierType":
        return cls(perks=[perk.text for perk in tier.perks],
                   perk_details=[TierPerkType.from_domain(perk) for perk in tier.perks],
                   **same_named(cls, tier))

    @classmethod
    def maybe(cls, tier: model.Tier | None) -> "LoyaltyTierType | None":
        return None if tier is None else cls.from_domain(tier)


@strawberry.type(name="BonusRule", description="Extra points on a category, during campaign "
                                               "dates, or both; the highest multiplier wins.")
class BonusRuleType:
    name: str
    multiplier: Decimal
    category: str | None
    starts_on: date | None
    ends_on: date | None = strawberry.field(description="Inclusive.")

    @classmethod
    def from_domain(cls, rule: model.BonusRule) -> "BonusRuleType":
        return cls(**same_named(cls, rule))


@strawberry.type(name="Reward", description="Something a member can take for points.")
class RewardType:
    code: str
    name: str
    points_cost: int
    description: str | None
    active: bool

    @classmethod
    def from_domain(cls, reward: model.Reward) -> "RewardType":
        return cls(**same_named(cls, reward))


@strawberry.type(name="LoyaltyProgramme",
                 description="A brand's tiers, earning rules and rewards.")
class LoyaltyProgrammeType(Node):
    source: strawberry.Private[model.Programme]
    code: str
    name: str
    currency_code: str
    measure: QualifyingMeasureEnum
    qualification_window: QualificationWindowEnum
    downgrade_policy: DowngradePolicyEnum
    grace_months: int
    points_per_unit: Decimal = strawberry.field(
        description="Base points per unit of currency spent.")
    birthday_multiplier: Decimal
    points_expire_after_months: int | None = strawberry.field(
        description="Null: points never expire.")
    point_value: MoneyType = strawberry.field(description="What one point pays at checkout.")
    time_zone: str = strawberry.field(
        description="Where its days, months and years begin (IANA name).")
    version: int

    @classmethod
    def from_domain(cls, programme: model.Programme) -> "LoyaltyProgrammeType":
        return cls(
            id=to_global_id("LoyaltyProgramme", programme.id), source=programme,
            currency_code=programme.currency, qualification_window=programme.window,
            downgrade_policy=programme.downgrade,
            point_value=MoneyType.of(programme.point_value, programme.currency),
            **same_named(cls, programme),
        )

    @strawberry.field(description="Lowest first.")
    def tiers(self) -> list[LoyaltyTierType]:
        return [LoyaltyTierType.from_domain(t) for t in self.source.tiers]

    @strawberry.field
    def bonus_rules(self) -> list[BonusRuleType]:
        return [BonusRuleType.from_domain(r) for r in self.source.bonus_rules]

    @strawberry.field(description="Inactive ones too (their ledger entries point at them).")
    def rewards(self) -> list[RewardType]:
        return [RewardType.from_domain(r) for r in self.source.rewards]


async def load_programme(info: Info, programme_id: UUID) -> model.Programme:
    programme = await info.context.loaders.loyalty_programme_by_id.load(programme_id)
    assert programme is not None, f"programme {programme_id} is missing"
    return programme


def _tier_or_none(programme: model.Programme, tier_id: UUID | None) -> model.Tier | None:
    """A tier of the history that the programme no longer has is null."""
    return next((t for t in programme.tiers if t.id == tier_id), None)


# --- the points ledger ------------------------------------------------------------------


@strawberry.type(name="PointsLedgerEntry",
                 description="One movement of points; never changed, put right by another.")
class PointsLedgerEntryType(Node):
    source: strawberry.Private[model.LedgerEntry]
    kind: LedgerKindEnum
    points: int = strawberry.field(description="Signed: what it added to the balance.")
    occurred_at: datetime
    recorded_at: datetime
    actor: str = strawberry.field(description="The API client or staff who moved them.")
    reason: str | None
    expires_at: datetime | None = strawberry.field(
        description="EARN and added ADJUST: when what is left of these points expires.")
    order_ref: str | None = strawberry.field(description="Points paid at checkout: the order.")

    @classmethod
    def from_domain(cls, entry: model.LedgerEntry) -> "PointsLedgerEntryType":
        return cls(id=to_global_id("PointsLedgerEntry", entry.id), source=entry,
                   **same_named(cls, entry))

    @strawberry.field(description="Points paid at checkout: the money they paid.")
    async def money_value(self, info: Info) -> MoneyType | None:
        if self.source.money_value is None:
            return None
        programme = await load_programme(info, self.source.programme_id)
        return MoneyType.of(self.source.money_value, programme.currency)

    @strawberry.field(description="The purchase it earned on or reversed.")
    async def purchase(self, info: Info) -> "PurchaseType | None":
        return await load_purchase(info, self.source.purchase_id)

    @strawberry.field
    async def reward(self, info: Info) -> RewardType | None:
        if self.source.reward_id is None:
            return None
        programme = await load_programme(info, self.source.programme_id)
        found = next((r for r in programme.rewards if r.id == self.source.reward_id), None)
        return RewardType.from_domain(found) if found else None

    @strawberry.field(description="REVERSE: the entry it reverses.")
    async def reverses(self, info: Info) -> "PointsLedgerEntryType | None":
        if self.source.reverses_id is None:
            return None
        entry = await info.context.loaders.ledger_entry.load(self.source.reverses_id)
        return PointsLedgerEntryType.from_domain(entry) if entry else None


@strawberry.type
class PointsLedgerConnection(Connection[PointsLedgerEntryType]):
    pass


@strawberry.type(name="TierChange", description="A move of the member's tier, and why.")
class TierChangeType:
    from_tier: LoyaltyTierType | None = strawberry.field(description="Null when the member joined.")
    to_tier: LoyaltyTierType | None = strawberry.field(
        description="Null only if the programme no longer has that tier.")
    reason: TierChangeReasonEnum
    occurred_at: datetime
    actor: str
    note: str | None

    @classmethod
    def from_domain(cls, change: model.TierChange,
                    programme: model.Programme) -> "TierChangeType":
        return cls(
            from_tier=LoyaltyTierType.maybe(_tier_or_none(programme, change.from_tier_id)),
            to_tier=LoyaltyTierType.maybe(_tier_or_none(programme, change.to_tier_id)),
            **same_named(cls, change),
        )


@strawberry.type(name="TierOverride", description="A tier given by hand, in force now.")
class TierOverrideType:
    tier: LoyaltyTierType
    reason: str
    set_by: str
    set_at: datetime
    expires_at: datetime | None = strawberry.field(description="Null: until lifted.")


# --- a member's standing -----------------------------------------------------------------


@strawberry.type(name="LoyaltyMembership",
                 description="A customer's standing in a programme, as of this request.")
class LoyaltyMembershipType:
    view: strawberry.Private[Standing]
    totals: strawberry.Private[model.QualifyingTotals]
    now: strawberry.Private[datetime]

    @property
    def _programme(self) -> model.Programme:
        return self.view.programme

    @property
    def _membership(self) -> model.Membership:
        return self.view.membership

    def _key(self, *extra: object) -> MemberKey:
        return MemberKey(self._programme.id, self._membership.customer_id, extra)

    @strawberry.field
    def programme(self) -> LoyaltyProgrammeType:
        return LoyaltyProgrammeType.from_domain(self._programme)

    @strawberry.field(description="The tier in force: a tier override while it lasts, else "
                                  "the earned tier.")
    def tier(self) -> LoyaltyTierType:
        return LoyaltyTierType.from_domain(self.view.tier)

    @strawberry.field(description="The tier the member's purchases earned (or the policy kept).")
    def earned_tier(self) -> LoyaltyTierType:
        return LoyaltyTierType.from_domain(self.view.earned_tier)

    @strawberry.field(description="The next tier up; null at the top.")
    def next_tier(self) -> LoyaltyTierType | None:
        return LoyaltyTierType.maybe(self.view.next_tier)

    @strawberry.field(description="Spend still needed for the next tier, in this window; "
                                  "null at the top or in a POINTS programme.")
    def spend_to_next_tier(self) -> MoneyType | None:
        if not is_spend(self._programme) or self.view.to_next_tier is None:
            return None
        return MoneyType.of(self.view.to_next_tier, self._programme.currency)

    @strawberry.field(description="Points still needed for the next tier, in this window; "
                                  "null at the top or in a SPEND programme.")
    def points_to_next_tier(self) -> int | None:
        if is_spend(self._programme) or self.view.to_next_tier is None:
            return None
        return math.ceil(self.view.to_next_tier)

    @strawberry.field(description="Net spend in the qualification window, returns taken off.")
    def qualifying_spend(self) -> MoneyType:
        return MoneyType.of(self.totals.spend, self._programme.currency)

    @strawberry.field(description="Points earned on purchases in the window, reversals off.")
    def qualifying_points(self) -> int:
        return self.totals.points

    @strawberry.field(description="Where the window counting towards the member's tier begins.")
    def qualification_window_start(self) -> datetime:
        return self.view.window_start

    @strawberry.field(description="The sum of the member's ledger.")
    def points_balance(self) -> int:
        return self._membership.points_balance

    @strawberry.field(description="Points that expire within this many days if not spent.")
    async def points_expiring_soon(self, info: Info, within_days: int = 30) -> int:
        if not 0 <= within_days <= MAX_EXPIRY_HORIZON_DAYS:
            raise GraphQLError(f"withinDays: 0 to {MAX_EXPIRY_HORIZON_DAYS}",
                               extensions={"code": "BAD_USER_INPUT"})
        until = self.now + timedelta(days=within_days)
        expiring: int = await info.context.loaders.points_expiring.load(
            self._key(self.now, until))
        return expiring

    @strawberry.field(description="The tier override in force, if any.")
    def tier_override(self) -> TierOverrideType | None:
        override = self._membership.override
        if override is None or not override.active(self.now):
            return None
        return TierOverrideType(
            tier=LoyaltyTierType.from_domain(self._programme.tier(override.tier_id)),
            **same_named(TierOverrideType, override),
        )

    @strawberry.field(description="In a grace period: when the member's tier drops unless "
                                  "re-earned.")
    def downgrade_due_at(self) -> datetime | None:
        return self._membership.downgrade_due_at

    @strawberry.field
    def member_since(self) -> datetime:
        return self._membership.enrolled_at

    @strawberry.field(description="Points movements, newest first.")
    async def ledger(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> PointsLedgerConnection:
        key = PageKey(self._membership.customer_id, self._programme.id,
                      page_request(first, after, last, before))
        page = await info.context.loaders.ledger.load(key)
        return PointsLedgerConnection(
            **connection_parts(page, PointsLedgerEntryType.from_domain))

    @strawberry.field(description="Every move of the member's tier, oldest first.")
    async def tier_history(self, info: Info) -> list[TierChangeType]:
        changes = await info.context.loaders.tier_history.load(self._key())
        return [TierChangeType.from_domain(c, self._programme) for c in changes]


async def load_membership(
    info: Info, programme: model.Programme, customer_id: UUID
) -> LoyaltyMembershipType | None:
    """The member's standing in `programme` as of this request; None for a non-member."""
    loaders, now = info.context.loaders, info.context.now
    membership = await loaders.membership.load(MemberKey(programme.id, customer_id))
    if membership is None:
        return None
    window = (qualification_start(programme, now), None)
    totals = await loaders.qualifying_totals.load(MemberKey(programme.id, customer_id, window))
    return LoyaltyMembershipType(view=standing(programme, membership, totals, now),
                                 totals=totals, now=now)


async def load_programme_membership(
    info: Info, programme_id: UUID, customer_id: UUID
) -> LoyaltyMembershipType | None:
    return await load_membership(info, await load_programme(info, programme_id), customer_id)


# --- purchases ---------------------------------------------------------------------------


@strawberry.type(name="PurchaseLine")
class PurchaseLineType:
    line_no: int = strawberry.field(description="1-based, as sent.")
    sku: str
    name: str | None
    category: str | None
    quantity: int
    unit_price: MoneyType
    discount: MoneyType = strawberry.field(description="Off the whole line.")
    margin: MoneyType | None
    net_amount: MoneyType = strawberry.field(description="quantity * unitPrice - discount.")
    points: int = strawberry.field(description="What the line earned.")
    refunded_quantity: int

    @classmethod
    def from_domain(cls, line: model.PurchaseLine, currency: str) -> "PurchaseLineType":
        return cls(
            unit_price=MoneyType.of(line.unit_price, currency),
            discount=MoneyType.of(line.discount, currency),
            margin=MoneyType.maybe(line.margin, currency),
            net_amount=MoneyType.of(line.net, currency), **same_named(cls, line),
        )


@strawberry.type(name="RefundLine")
class RefundLineType:
    line_no: int
    quantity: int
    amount: MoneyType = strawberry.field(description="The share of the line's net amount.")
    points: int = strawberry.field(description="The share of the line's points reversed.")


@strawberry.type(name="Refund", description="A return of some or all of a purchase.")
class RefundType:
    id: strawberry.ID
    refund_ref: str = strawberry.field(description="The till's or shop's id for the return.")
    occurred_at: datetime
    recorded_at: datetime
    amount: MoneyType
    points: int = strawberry.field(description="Points reversed.")
    lines: list[RefundLineType]

    @classmethod
    def from_domain(cls, refund: model.Refund, currency: str) -> "RefundType":
        return cls(
            id=to_global_id("Refund", refund.id), amount=MoneyType.of(refund.amount, currency),
            points=refund.points,
            lines=[RefundLineType(amount=MoneyType.of(line.amount, currency),
                                  **same_named(RefundLineType, line))
                   for line in refund.lines],
            **same_named(cls, refund),
        )


@strawberry.type(name="Purchase", description="A sale from a till or a web shop.")
class PurchaseType(Node):
    source: strawberry.Private[model.Purchase]
    channel: SalesChannelEnum
    order_id: str = strawberry.field(description="Unique per channel: the idempotency key.")
    occurred_at: datetime
    recorded_at: datetime
    payment_total: MoneyType = strawberry.field(
        description="What the customer paid, as the till says.")
    net_amount: MoneyType = strawberry.field(description="The lines' net amounts added up.")
    refunded_amount: MoneyType
    points_earned: int

    @classmethod
    def from_domain(cls, purchase: model.Purchase) -> "PurchaseType":
        currency = purchase.currency
        return cls(
            id=to_global_id("Purchase", purchase.id), source=purchase,
            payment_total=MoneyType.of(purchase.payment_total, currency),
            net_amount=MoneyType.of(purchase.net_amount, currency),
            refunded_amount=MoneyType.of(purchase.refunded_amount, currency),
            points_earned=purchase.points, **same_named(cls, purchase),
        )

    @strawberry.field
    def lines(self) -> list[PurchaseLineType]:
        return [PurchaseLineType.from_domain(line, self.source.currency)
                for line in self.source.lines]

    @strawberry.field(description="Oldest first.")
    def refunds(self) -> list[RefundType]:
        return [RefundType.from_domain(r, self.source.currency) for r in self.source.refunds]

    @strawberry.field
    async def customer(self, info: Info) -> CustomerType:
        return await load_customer(info, self.source.customer_id)

    @strawberry.field
    async def store(self, info: Info) -> StoreType | None:
        return await load_store(info, self.source.store_id)


@strawberry.type
class PurchaseConnection(Connection[PurchaseType]):
    pass


async def load_purchase(info: Info, purchase_id: UUID | None) -> PurchaseType | None:
    if purchase_id is None:
        return None
    purchase = await info.context.loaders.purchase.load(purchase_id)
    return PurchaseType.from_domain(purchase) if purchase else None


# --- member prices -----------------------------------------------------------------------


@strawberry.type(name="MemberPriceLine")
class MemberPriceLineType:
    sku: str
    quantity: int
    amount: MoneyType = strawberry.field(description="quantity * unitPrice - discount.")
    member_discount: MoneyType
    member_amount: MoneyType

    @classmethod
    def from_domain(cls, line: QuotedLine, currency: str) -> "MemberPriceLineType":
        return cls(amount=MoneyType.of(line.amount, currency),
                   member_discount=MoneyType.of(line.member_discount, currency),
                   member_amount=MoneyType.of(line.member_amount, currency),
                   **same_named(cls, line))


@strawberry.type(name="MemberPriceQuote",
                 description="Prices with the member's tier discount; nothing is written.")
class MemberPriceQuoteType:
    programme: LoyaltyProgrammeType
    tier: LoyaltyTierType = strawberry.field(description="The tier whose discount applies.")
    lines: list[MemberPriceLineType]
    subtotal: MoneyType
    member_discount: MoneyType
    total: MoneyType

    @classmethod
    def from_domain(cls, quote: MemberPriceQuote) -> "MemberPriceQuoteType":
        currency = quote.currency
        return cls(
            programme=LoyaltyProgrammeType.from_domain(quote.programme),
            tier=LoyaltyTierType.from_domain(quote.tier),
            lines=[MemberPriceLineType.from_domain(line, currency) for line in quote.lines],
            subtotal=MoneyType.of(quote.subtotal, currency),
            member_discount=MoneyType.of(quote.member_discount, currency),
            total=MoneyType.of(quote.total, currency),
        )


def require_loyalty_read(info: Info) -> None:
    """A customer's loyalty is for those who may read it (not partners, not analytics)."""
    viewer = info.context.viewer
    if not viewer.may(Operation.LOYALTY_READ):
        raise not_allowed_error(f"{viewer.role.value} may not {Operation.LOYALTY_READ.value}")


@strawberry.type
class CustomerLoyaltyFields:
    """What loyalty gives a customer (added to Customer in schema.py)."""

    @strawberry.field(description="The customer's standing in a loyalty programme (the default "
                                  "one when none is named); null when the customer is not a "
                                  "member.")
    async def loyalty(
        self, root: strawberry.Parent[CustomerType], info: Info, programme: str | None = None
    ) -> LoyaltyMembershipType | None:
        require_loyalty_read(info)
        found = await info.context.loaders.loyalty_programme.load(programme)
        return None if found is None else await load_membership(info, found, root.uuid)

    @strawberry.field(description="The customer's purchases, newest first, with their lines "
                                  "and returns.")
    async def purchases(
        self, root: strawberry.Parent[CustomerType], info: Info, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> PurchaseConnection:
        require_loyalty_read(info)
        key = PageKey(root.uuid, None, page_request(first, after, last, before))
        page = await info.context.loaders.purchases.load(key)
        return PurchaseConnection(**connection_parts(page, PurchaseType.from_domain))


class NamesItsPurchase(Protocol):
    @property
    def purchase_id(self) -> UUID | None: ...


class WithPurchaseSource(Protocol):
    """Another context's type whose domain object may name the purchase behind it: a
    partner's grant (loyalty's types know nothing of the alliance's)."""

    @property
    def source(self) -> NamesItsPurchase: ...


@strawberry.type
class GrantLoyaltyFields:
    """What loyalty gives a partner's grant (added to Grant in schema.py)."""

    @strawberry.field(description="The purchase that issued it (a purchase's or a birthday "
                                  "month's offer); null when staff issued it by hand or a "
                                  "tier reached did. For those who may read the member's "
                                  "loyalty: never a partner.")
    async def purchase(self, root: strawberry.Parent[WithPurchaseSource],
                       info: Info) -> PurchaseType | None:
        require_loyalty_read(info)
        return await load_purchase(info, root.source.purchase_id)
