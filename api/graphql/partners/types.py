"""Partner types: partners and their offers, the grants members hold, redemptions at a
partner's counter, coalition earn and settlement. Every nested read goes through a
DataLoader (api/graphql/loaders.py); a grant's state is read as of the request
(`info.context.now`).

What a partner sees: its own partner, offers, redemptions, purchases and settlement, and of
a member only `SharedMember` (through `grantValidate`). No partner-facing type leads to a
customer: `Grant` is reached only through a customer or by staff (`node`), and its
`customer` checks the viewer besides.
"""

import csv
import io
from datetime import datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

import strawberry

from api.graphql.context import Info
from api.graphql.customers.types import CustomerType
from api.graphql.errors import UserErrorCode
from api.graphql.loaders import PageKey
from api.graphql.money import MoneyType
from api.graphql.permissions import not_allowed_error, refused_read
from api.graphql.relay import Connection, Node, connection_parts, page_request, to_global_id
from domain.loyalty.model import LedgerEntry, Perk
from domain.partners import codes, model
from domain.partners.perks import perk_offer_shown
from domain.partners.queries import GrantFilter
from domain.partners.redemptions import GrantCheck
from domain.partners.settlement import CSV_COLUMNS, csv_rows
from domain.shared.access import Operation
from domain.shared.errors import DomainError

# GraphQL enums are the domain's classes themselves, registered under their schema names.
PartnerStatusEnum = model.PartnerStatus
strawberry.enum(PartnerStatusEnum, name="PartnerStatus")
BenefitKindEnum = model.BenefitKind
strawberry.enum(BenefitKindEnum, name="BenefitKind")
TriggerKindEnum = model.TriggerKind
strawberry.enum(TriggerKindEnum, name="OfferTriggerKind")
QuotaPeriodEnum = model.QuotaPeriod
strawberry.enum(QuotaPeriodEnum, name="QuotaPeriod")
PayerEnum = model.Payer
strawberry.enum(PayerEnum, name="CostPayer", description="Who pays for a benefit given.")
OfferStatusEnum = model.OfferStatus
strawberry.enum(OfferStatusEnum, name="OfferStatus")
GrantStateEnum = model.GrantState
strawberry.enum(GrantStateEnum, name="GrantState")
EntryKindEnum = model.EntryKind
strawberry.enum(EntryKindEnum, name="SettlementEntryKind")
DirectionEnum = model.Direction
strawberry.enum(DirectionEnum, name="SettlementDirection")


# The fields api/graphql/visibility.py keeps to viewers who see a partnership's terms.
TERMS_ONLY = ("Part of the partnership's terms, for the brand's staff and the partner: null "
              "for a web shop or app")


async def load_partner(info: Info, partner_id: UUID) -> model.Partner:
    partner = await info.context.loaders.partner.load(partner_id)
    assert partner is not None, f"partner {partner_id} is missing"
    return partner


async def load_offer(info: Info, offer_id: UUID) -> model.Offer:
    offer = await info.context.loaders.offer.load(offer_id)
    assert offer is not None, f"offer {offer_id} is missing"
    return offer


# --- partners and offers ---------------------------------------------------------------


@strawberry.type(name="Partner", description="A company of another industry in the "
                                             "brand's alliance.")
class PartnerType(Node):
    uuid: strawberry.Private[UUID]
    code: str = strawberry.field(description="What its API clients are bound to; never "
                                             "changes.")
    name: str
    industry: str
    currency_code: str = strawberry.field(description="What it is settled in.")
    contact_name: str | None = strawberry.field(description=f"{TERMS_ONLY}.")
    contact_email: str | None = strawberry.field(description=f"{TERMS_ONLY}.")
    terms_days: int | None = strawberry.field(
        description=f"Days after a period closes to settle. {TERMS_ONLY}.")
    earn_rate: Decimal | None = strawberry.field(
        description="The brand's points a member earns per unit of its currency spent with "
                    "it; null: none.")
    point_value: MoneyType | None = strawberry.field(
        description=f"What it owes the brand per point its customers earn. {TERMS_ONLY}.")
    status: PartnerStatusEnum
    version: int = strawberry.field(description="Pass as expectedVersion when editing.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, partner: model.Partner) -> "PartnerType":
        assert partner.created_at is not None
        assert partner.updated_at is not None
        return cls(
            id=to_global_id("Partner", partner.id), uuid=partner.id, code=partner.code,
            name=partner.name, industry=partner.industry, currency_code=partner.currency,
            contact_name=partner.contact_name, contact_email=partner.contact_email,
            terms_days=partner.terms_days, earn_rate=partner.earn_rate,
            point_value=MoneyType.of(partner.point_value, partner.currency),
            status=partner.status, version=partner.version, created_at=partner.created_at,
            updated_at=partner.updated_at,
        )

    @strawberry.field(description=f"Its offers, oldest first. {TERMS_ONLY}.")
    async def offers(
        self, info: Info, status: OfferStatusEnum | None = None, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> "OfferConnection | None":
        key = PageKey(self.uuid, status, page_request(first, after, last, before))
        page = await info.context.loaders.partner_offers.load(key)
        return OfferConnection(**connection_parts(page, OfferType.from_domain))


@strawberry.type
class PartnerConnection(Connection[PartnerType]):
    pass


@strawberry.type(name="OfferBenefit", description="What a member gets; the field of its "
                                                  "kind is set, the others are null.")
class BenefitType:
    kind: BenefitKindEnum
    item: str | None = strawberry.field(description="FREE_ITEM: what, e.g. a movie ticket.")
    amount: MoneyType | None = strawberry.field(description="AMOUNT_OFF, at the partner.")
    percent: Decimal | None = strawberry.field(description="PERCENT_OFF, at the partner.")
    multiplier: Decimal | None = strawberry.field(
        description="POINTS_MULTIPLIER: the brand's points at the partner, times this.")


@strawberry.type(name="OfferEligibility",
                 description="Who may get the offer; every condition given must hold.")
class EligibilityType:
    tier_codes: list[str] = strawberry.field(description="Any of these tiers; empty: any.")
    interests: list[str] = strawberry.field(
        description="Any of these interests or tags, e.g. loves-films; empty: any.")
    programme_code: str | None = strawberry.field(description="Enrolled in this programme.")


@strawberry.type(name="OfferTrigger", description="What issues the offer to a member.")
class TriggerType:
    kind: TriggerKindEnum
    category: str | None = strawberry.field(description="PURCHASE: a line of this category.")
    sku: str | None = strawberry.field(description="PURCHASE: a line of this sku.")
    min_spend: Decimal | None = strawberry.field(
        description="PURCHASE: at least this net spend on the matching lines, in the "
                    "programme's currency.")
    tier_code: str | None = strawberry.field(
        description="TIER_REACHED: moving up to this tier; null: any move up.")


@strawberry.type(name="OfferQuota", description="How many grants may be issued; null: no "
                                                "limit of that kind.")
class QuotaType:
    total: int | None
    per_member: int | None
    per_period: int | None = strawberry.field(description="All members, in each period.")
    period: QuotaPeriodEnum


@strawberry.type(name="OfferCost", description="Who pays for a redemption, in the partner's "
                                               "settlement currency.")
class CostType:
    payer: PayerEnum
    unit_cost: MoneyType
    brand_share: Decimal = strawberry.field(description="SHARED: the brand's part, 0 to 1.")
    brand_owes: MoneyType = strawberry.field(
        description="What the brand owes the partner per redemption.")


@strawberry.type(name="Offer", description="What a partner gives members: the benefit, who "
                                           "gets it, what issues it, how many, when, and "
                                           "who pays.")
class OfferType(Node):
    source: strawberry.Private[model.Offer]
    code: str
    title: str
    description: str | None
    status: OfferStatusEnum
    valid_from: datetime | None = strawberry.field(description="When it starts issuing.")
    valid_until: datetime | None = strawberry.field(description="When it stops issuing.")
    grant_valid_days: int = strawberry.field(description="How long a grant is good for.")
    redeem_until: datetime | None = strawberry.field(
        description="No grant of it is good past this.")
    eligibility: EligibilityType
    trigger: TriggerType
    quota: QuotaType | None = strawberry.field(description=f"{TERMS_ONLY}.")
    version: int = strawberry.field(description="Pass as expectedVersion when editing.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, offer: model.Offer) -> "OfferType":
        assert offer.created_at is not None
        assert offer.updated_at is not None
        rule, trigger, quota = offer.eligibility, offer.trigger, offer.quota
        return cls(
            id=to_global_id("Offer", offer.id), source=offer, code=offer.code,
            title=offer.title, description=offer.description, status=offer.status,
            valid_from=offer.valid_from, valid_until=offer.valid_until,
            grant_valid_days=offer.grant_valid_days, redeem_until=offer.redeem_until,
            eligibility=EligibilityType(tier_codes=list(rule.tier_codes),
                                        interests=list(rule.interests),
                                        programme_code=rule.programme_code),
            trigger=TriggerType(kind=trigger.kind, category=trigger.category, sku=trigger.sku,
                                min_spend=trigger.min_spend, tier_code=trigger.tier_code),
            quota=QuotaType(total=quota.total, per_member=quota.per_member,
                            per_period=quota.per_period, period=quota.period),
            version=offer.version, created_at=offer.created_at, updated_at=offer.updated_at,
        )

    @classmethod
    def maybe(cls, offer: model.Offer | None) -> "OfferType | None":
        return None if offer is None else cls.from_domain(offer)

    @strawberry.field
    async def partner(self, info: Info) -> PartnerType:
        return PartnerType.from_domain(await load_partner(info, self.source.partner_id))

    @strawberry.field
    async def benefit(self, info: Info) -> BenefitType:
        benefit = self.source.benefit
        # Only an amount off is money: a free ticket at the counter reads no partner.
        amount = None if benefit.amount is None else MoneyType.of(
            benefit.amount, (await load_partner(info, self.source.partner_id)).currency)
        return BenefitType(kind=benefit.kind, item=benefit.item, amount=amount,
                           percent=benefit.percent, multiplier=benefit.multiplier)

    @strawberry.field(description=f"{TERMS_ONLY}.")
    async def cost(self, info: Info) -> CostType | None:
        cost = self.source.cost
        currency = (await load_partner(info, self.source.partner_id)).currency
        return CostType(payer=cost.payer, unit_cost=MoneyType.of(cost.unit_cost, currency),
                        brand_share=cost.brand_share,
                        brand_owes=MoneyType.of(cost.brand_owes, currency))


@strawberry.type
class OfferConnection(Connection[OfferType]):
    pass


# --- grants and redemptions ------------------------------------------------------------


@strawberry.type(name="Redemption", description="A partner giving a grant's benefit. "
                                                "Reversed within its window, the grant is "
                                                "good again.")
class RedemptionType(Node):
    source: strawberry.Private[model.Redemption]
    location: str = strawberry.field(description="Where, as the partner's counter said.")
    redeemed_at: datetime
    redeemed_by: str = strawberry.field(description="The partner's API client.")
    reversed_at: datetime | None
    reverse_reason: str | None

    @classmethod
    def from_domain(cls, redemption: model.Redemption) -> "RedemptionType":
        return cls(id=to_global_id("Redemption", redemption.id), source=redemption,
                   location=redemption.location, redeemed_at=redemption.redeemed_at,
                   redeemed_by=redemption.redeemed_by, reversed_at=redemption.reversed_at,
                   reverse_reason=redemption.reverse_reason)

    @strawberry.field(description="True once reversed.")
    def reversed(self) -> bool:
        return self.source.reversed

    @strawberry.field(description="What the member bought at the partner, when it said.")
    async def amount(self, info: Info) -> MoneyType | None:
        if self.source.amount is None:
            return None
        partner = await load_partner(info, self.source.partner_id)
        return MoneyType.of(self.source.amount, partner.currency)

    @strawberry.field(description="The grant's code, in groups of four.")
    async def code(self, info: Info) -> str:
        grant = await info.context.loaders.grant.load(self.source.grant_id)
        assert grant is not None
        return codes.displayed(grant.code)

    @strawberry.field
    async def offer(self, info: Info) -> OfferType:
        return OfferType.from_domain(await load_offer(info, self.source.offer_id))


def require_customer_of_grant(info: Info, customer: CustomerType) -> None:
    """Who holds a grant is for those who may read that customer: never a partner."""
    viewer = info.context.viewer
    if not viewer.may(Operation.CUSTOMER_READ):
        raise not_allowed_error(f"{viewer.role.value} may not {Operation.CUSTOMER_READ.value}")
    try:
        viewer.require_reach(customer.uuid, customer.home_store_uuid, customer.owner_uuid)
    except DomainError as refusal:
        raise refused_read(refusal) from None


@strawberry.type(name="Grant", description="One offer issued to one member, with a "
                                           "single-use code.")
class GrantType(Node):
    source: strawberry.Private[model.Grant]
    code: str = strawberry.field(description="Shown in groups of four, as the member shows "
                                             "it at the partner's counter.")
    issued_at: datetime
    expires_at: datetime
    issued_by: str = strawberry.field(description="system (a trigger), or the staff who "
                                                  "issued it by hand.")
    reason: str | None = strawberry.field(description="Why staff issued or revoked it.")
    redeemed_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_domain(cls, grant: model.Grant) -> "GrantType":
        return cls(id=to_global_id("Grant", grant.id), source=grant,
                   code=codes.displayed(grant.code), issued_at=grant.issued_at,
                   expires_at=grant.expires_at, issued_by=grant.issued_by, reason=grant.reason,
                   redeemed_at=grant.redeemed_at, revoked_at=grant.revoked_at)

    @strawberry.field(description="As of now: an issued grant past its expiry is EXPIRED.")
    def state(self, info: Info) -> GrantStateEnum:
        return self.source.state_at(info.context.now)

    @strawberry.field
    async def offer(self, info: Info) -> OfferType:
        return OfferType.from_domain(await load_offer(info, self.source.offer_id))

    @strawberry.field
    async def partner(self, info: Info) -> PartnerType:
        return PartnerType.from_domain(await load_partner(info, self.source.partner_id))

    @strawberry.field(description="Who holds it.")
    async def customer(self, info: Info) -> CustomerType:
        summary = await info.context.loaders.customer.load(self.source.customer_id)
        assert summary is not None
        customer = CustomerType.from_summary(summary)
        require_customer_of_grant(info, customer)
        return customer

    @strawberry.field(description="Its redemptions, reversed ones too, oldest first.")
    async def redemptions(self, info: Info) -> list[RedemptionType]:
        found = await info.context.loaders.grant_redemptions.load(self.source.id)
        return [RedemptionType.from_domain(r) for r in found]


@strawberry.type
class GrantConnection(Connection[GrantType]):
    pass


@strawberry.type(name="SharedMember", description="What a member agreed to share with "
                                                  "partners (PARTNER_SHARING): nothing else.")
class SharedMemberType:
    first_name: str | None
    tier_name: str | None


@strawberry.type(name="GrantCheck", description="What a partner's counter learns of a code: "
                                                "whether it is good now, for what, until "
                                                "when, and what the member shares.")
class GrantCheckType:
    source: strawberry.Private[GrantCheck]
    code: str = strawberry.field(description="In groups of four; as typed when it could not "
                                             "be read.")
    valid: bool = strawberry.field(description="True: it may be redeemed now.")
    problem: UserErrorCode | None = strawberry.field(
        description="Why not: CODE_MISTYPED, UNKNOWN_CODE (none of yours), ALREADY_REDEEMED, "
                    "EXPIRED, REVOKED.")
    expires_at: datetime | None
    member: SharedMemberType | None = strawberry.field(
        description="Null when she does not share with partners.")

    @classmethod
    def from_domain(cls, check: GrantCheck) -> "GrantCheckType":
        grant, member = check.grant, check.member
        shown = codes.displayed(check.code) if grant is not None else check.code
        return cls(source=check, code=shown, valid=check.valid, problem=check.problem,
                   expires_at=grant.expires_at if grant else None,
                   member=SharedMemberType(first_name=member.first_name,
                                           tier_name=member.tier_name) if member else None)

    @strawberry.field(description="The offer it is a grant of; null for no grant of yours.")
    def offer(self) -> OfferType | None:
        return OfferType.maybe(self.source.offer)


# --- coalition earn --------------------------------------------------------------------


@strawberry.type(name="PartnerPurchase", description="A member's purchase reported by a "
                                                     "partner, earning the brand's points.")
class PartnerPurchaseType(Node):
    source: strawberry.Private[model.PartnerPurchase]
    order_id: str = strawberry.field(description="The partner's own: its idempotency key.")
    amount: MoneyType
    occurred_at: datetime
    recorded_at: datetime
    points: int = strawberry.field(description="What she earned.")
    returned_amount: MoneyType
    returned_points: int

    @classmethod
    def from_domain(cls, purchase: model.PartnerPurchase) -> "PartnerPurchaseType":
        currency = purchase.currency
        return cls(id=to_global_id("PartnerPurchase", purchase.id), source=purchase,
                   order_id=purchase.order_id, amount=MoneyType.of(purchase.amount, currency),
                   occurred_at=purchase.occurred_at, recorded_at=purchase.recorded_at,
                   points=purchase.points,
                   returned_amount=MoneyType.of(purchase.returned_amount, currency),
                   returned_points=purchase.returned_points)


# --- settlement ------------------------------------------------------------------------


@strawberry.type(name="SettlementLine", description="One total of a settlement: per offer "
                                                    "and kind of entry.")
class SettlementLineType:
    source: strawberry.Private[model.SettlementLine]
    kind: EntryKindEnum
    direction: DirectionEnum
    count: int = strawberry.field(description="Entries added up.")
    amount: MoneyType = strawberry.field(description="Signed: reversals and returns are "
                                                     "negative.")
    points: int = strawberry.field(description="Coalition earn: points issued, net.")

    @strawberry.field(description="Null for coalition earn.")
    async def offer(self, info: Info) -> OfferType | None:
        if self.source.offer_id is None:
            return None
        return OfferType.from_domain(await load_offer(info, self.source.offer_id))


@strawberry.type(name="Settlement", description="What a partner and the brand owe each other "
                                                "for one period, in its settlement currency.")
class SettlementType:
    source: strawberry.Private[model.Settlement]
    period: str = strawberry.field(description="A calendar month in UTC, YYYY-MM.")
    currency_code: str
    closed: bool = strawberry.field(description="Closed: its entries never change; later "
                                                "corrections land in the next open period.")
    lines: list[SettlementLineType]
    brand_owes: MoneyType = strawberry.field(description="For benefits the partner gave.")
    partner_owes: MoneyType = strawberry.field(description="For points its customers earned.")
    net_to_partner: MoneyType = strawberry.field(
        description="brandOwes - partnerOwes: negative, the partner pays the difference.")

    @classmethod
    def from_domain(cls, settlement: model.Settlement) -> "SettlementType":
        currency = settlement.currency
        return cls(
            source=settlement, period=settlement.period, currency_code=currency,
            closed=settlement.closed,
            lines=[SettlementLineType(source=line, kind=line.kind, direction=line.direction,
                                      count=line.count,
                                      amount=MoneyType.of(line.amount, currency),
                                      points=line.points) for line in settlement.lines],
            brand_owes=MoneyType.of(settlement.brand_owes, currency),
            partner_owes=MoneyType.of(settlement.partner_owes, currency),
            net_to_partner=MoneyType.of(settlement.net_to_partner, currency),
        )

    @strawberry.field
    async def partner(self, info: Info) -> PartnerType:
        return PartnerType.from_domain(await load_partner(info, self.source.partner_id))

    @strawberry.field(description="Every entry of the period, oldest first, as CSV with a "
                                  "header row (period, occurred_at, kind, direction, amount, "
                                  "currency, points, offer_id, entry_id): no member in it.")
    async def csv(self, info: Info) -> str:
        settlement = self.source
        entries = await info.context.queries.partners.settlement_entries(
            settlement.partner_id, settlement.period)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_rows(entries))
        return out.getvalue()


# --- fields partners give other contexts' types ------------------------------------------


def require_benefit_read(info: Info) -> None:
    """A customer's benefits are for those who serve her (not partners, not analytics)."""
    viewer = info.context.viewer
    if not viewer.may(Operation.BENEFIT_READ):
        raise not_allowed_error(f"{viewer.role.value} may not {Operation.BENEFIT_READ.value}")


@strawberry.type
class CustomerPartnerFields:
    """What the alliance gives a customer (added to Customer in schema.py)."""

    @strawberry.field(description="Her partner benefits, newest first; `state` as of now.")
    async def benefits(
        self, root: strawberry.Parent[CustomerType], info: Info,
        state: GrantStateEnum | None = None, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> GrantConnection:
        require_benefit_read(info)
        where = GrantFilter(now=info.context.now, state=state)
        key = PageKey(root.uuid, where, page_request(first, after, last, before))
        page = await info.context.loaders.benefits.load(key)
        return GrantConnection(**connection_parts(page, GrantType.from_domain))


class WithLedgerEntry(Protocol):
    """A points ledger entry's GraphQL type, as far as partners need it (the loyalty type
    itself is loyalty's: the two contexts do not import each other)."""

    @property
    def source(self) -> LedgerEntry: ...


@strawberry.type
class LedgerEntryPartnerFields:
    """What the alliance gives a points ledger entry (added in schema.py)."""

    @strawberry.field(description="The partner the points were earned (or returned) at.")
    async def partner(self, root: strawberry.Parent[WithLedgerEntry],
                      info: Info) -> "PartnerNameType | None":
        partner_id = root.source.partner_id
        if partner_id is None:
            return None
        return PartnerNameType.from_domain(await load_partner(info, partner_id))


class WithPerk(Protocol):
    """A tier perk's GraphQL type, as far as partners need it (loyalty's own)."""

    @property
    def perk(self) -> Perk: ...


@strawberry.type
class TierPerkPartnerFields:
    """What the alliance gives a tier's perk (added in schema.py)."""

    @strawberry.field(description=(
        "The partner offer that gives this perk; null for plain text. A web shop or app "
        "(STOREFRONT) gets null also while members can't get the offer (not ACTIVE, outside "
        "its dates, or of a suspended partner), and shows the text alone; partners and "
        "analytics always get null; staff and admins see the offer whatever its status."))
    async def offer(self, root: strawberry.Parent[WithPerk], info: Info) -> "OfferType | None":
        offer_id = root.perk.offer_id
        if offer_id is None:
            return None
        offer = await load_offer(info, offer_id)
        partner = await load_partner(info, offer.partner_id)
        shown = perk_offer_shown(info.context.viewer, offer, partner, info.context.now)
        return OfferType.from_domain(offer) if shown else None


@strawberry.type(name="PartnerName", description=(
    "A partner as a member's ledger names it: who, not its terms, contacts or offers, which "
    "are for the brand's staff (`partner(id:)`)."))
class PartnerNameType:
    code: str
    name: str
    industry: str

    @classmethod
    def from_domain(cls, partner: model.Partner) -> "PartnerNameType":
        return cls(code=partner.code, name=partner.name, industry=partner.industry)
