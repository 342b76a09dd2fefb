"""Partner inputs and their commands. Decimals arrive as strings; a text that is no number,
like a bad id, becomes a userError at its field (api/graphql/money.py)."""

from datetime import datetime
from decimal import Decimal

import strawberry

from api.graphql.customers.inputs import ExternalReferenceInput
from api.graphql.flat_inputs import flat_input
from api.graphql.money import decimal_of, optional_decimal_of
from api.graphql.partners.types import (
    BenefitKindEnum,
    OfferStatusEnum,
    PayerEnum,
    QuotaPeriodEnum,
    TriggerKindEnum,
)
from api.graphql.relay import uuid_of
from api.graphql.updates import sent
from domain.partners import commands
from domain.partners.model import (
    Benefit,
    BenefitKind,
    CostSharing,
    Eligibility,
    OfferStatus,
    Payer,
    Quota,
    QuotaPeriod,
    Trigger,
    TriggerKind,
)

Path = tuple[str, ...]


# --- partners --------------------------------------------------------------------------


@strawberry.input
class PartnerCreateInput:
    code: str = strawberry.field(description="A slug its API clients are bound to, e.g. "
                                             "wanda-cinema; never changes.")
    name: str
    industry: str
    currency_code: str = strawberry.field(description="What it is settled in; never changes.")
    contact_name: str | None = None
    contact_email: str | None = None
    terms_days: int = 30
    earn_rate: Decimal | None = strawberry.field(
        default=None, description="The brand's points per unit of its currency spent with "
                                  "it; null: members earn none there.")
    point_value: Decimal = strawberry.field(
        default=Decimal("0.01"), description="What it owes per point so earned.")

    def to_command(self) -> commands.CreatePartner:
        return commands.CreatePartner(
            code=self.code, name=self.name, industry=self.industry, currency=self.currency_code,
            contact_name=self.contact_name, contact_email=self.contact_email,
            terms_days=self.terms_days,
            earn_rate=optional_decimal_of(self.earn_rate, ("earn_rate",)),
            point_value=decimal_of(self.point_value, ("point_value",)),
        )


@strawberry.input(description="Only the fields sent change; null clears an optional one.")
class PartnerUpdateInput:
    partner_id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.UNSET
    industry: str | None = strawberry.UNSET
    contact_name: str | None = strawberry.UNSET
    contact_email: str | None = strawberry.UNSET
    terms_days: int | None = strawberry.UNSET
    earn_rate: Decimal | None = strawberry.UNSET
    point_value: Decimal | None = strawberry.UNSET

    def to_command(self) -> commands.UpdatePartner:
        changes = sent(self, ("name", "industry", "contact_name", "contact_email",
                              "terms_days", "earn_rate", "point_value"))
        for name in ("earn_rate", "point_value"):
            if name in changes:
                changes[name] = optional_decimal_of(changes[name], (name,))
        return commands.UpdatePartner(
            partner_id=uuid_of(self.partner_id, "Partner", ("partner_id",)), changes=changes,
            expected_version=self.expected_version)


@strawberry.input
class PartnerSuspendInput:
    partner_id: strawberry.ID
    reason: str
    expected_version: int | None = None

    def to_command(self) -> commands.SuspendPartner:
        return commands.SuspendPartner(
            partner_id=uuid_of(self.partner_id, "Partner", ("partner_id",)), reason=self.reason,
            expected_version=self.expected_version)


@strawberry.input
class PartnerReactivateInput:
    partner_id: strawberry.ID
    expected_version: int | None = None

    def to_command(self) -> commands.ReactivatePartner:
        return commands.ReactivatePartner(
            partner_id=uuid_of(self.partner_id, "Partner", ("partner_id",)),
            expected_version=self.expected_version)


@strawberry.input
class PartnerApiClientCreateInput:
    partner_id: strawberry.ID
    name: str = strawberry.field(description="Unique among active clients, e.g. "
                                             "cinema-counter.")

    def to_command(self) -> commands.CreatePartnerApiClient:
        return commands.CreatePartnerApiClient(
            partner_id=uuid_of(self.partner_id, "Partner", ("partner_id",)), name=self.name)


# --- offers ----------------------------------------------------------------------------


@strawberry.input(description="Give the field of its kind: item, amount, percent or "
                              "multiplier.")
class OfferBenefitInput:
    kind: BenefitKindEnum
    item: str | None = None
    amount: Decimal | None = strawberry.field(default=None,
                                              description="In the partner's currency.")
    percent: Decimal | None = None
    multiplier: Decimal | None = None

    def to_domain(self, at: Path) -> Benefit:
        return Benefit(kind=BenefitKind(self.kind), item=self.item,
                       amount=optional_decimal_of(self.amount, (*at, "amount")),
                       percent=optional_decimal_of(self.percent, (*at, "percent")),
                       multiplier=optional_decimal_of(self.multiplier, (*at, "multiplier")))


@strawberry.input(description="Every condition given must hold; none: anyone.")
class OfferEligibilityInput:
    tier_codes: list[str] = strawberry.field(default_factory=list)
    interests: list[str] = strawberry.field(default_factory=list,
                                            description="Any of these, e.g. loves-films.")
    programme_code: str | None = None

    def to_domain(self) -> Eligibility:
        return Eligibility(tier_codes=tuple(self.tier_codes), interests=tuple(self.interests),
                           programme_code=self.programme_code)


@strawberry.input
class OfferTriggerInput:
    kind: TriggerKindEnum
    category: str | None = None
    sku: str | None = None
    min_spend: Decimal | None = strawberry.field(
        default=None, description="PURCHASE: net, in the programme's currency.")
    tier_code: str | None = None

    def to_domain(self, at: Path) -> Trigger:
        return Trigger(kind=TriggerKind(self.kind), category=self.category, sku=self.sku,
                       min_spend=optional_decimal_of(self.min_spend, (*at, "min_spend")),
                       tier_code=self.tier_code)


@strawberry.input(description="Null: no limit of that kind.")
class OfferQuotaInput:
    total: int | None = None
    per_member: int | None = 1
    per_period: int | None = None
    period: QuotaPeriodEnum = QuotaPeriod.MONTH

    def to_domain(self) -> Quota:
        return Quota(total=self.total, per_member=self.per_member, per_period=self.per_period,
                     period=QuotaPeriod(self.period))


@strawberry.input(description="Who pays for a redemption, in the partner's currency.")
class OfferCostInput:
    payer: PayerEnum
    unit_cost: Decimal
    brand_share: Decimal = strawberry.field(default=Decimal(1),
                                            description="SHARED only: 0 to 1.")

    def to_domain(self, at: Path) -> CostSharing:
        return CostSharing(payer=Payer(self.payer),
                           unit_cost=decimal_of(self.unit_cost, (*at, "unit_cost")),
                           brand_share=decimal_of(self.brand_share, (*at, "brand_share")))


@strawberry.input
class OfferCreateInput:
    partner_id: strawberry.ID
    code: str = strawberry.field(description="A slug, unique per partner.")
    title: str
    benefit: OfferBenefitInput
    trigger: OfferTriggerInput
    cost: OfferCostInput
    description: str | None = None
    eligibility: OfferEligibilityInput | None = None
    quota: OfferQuotaInput | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    grant_valid_days: int = 30
    redeem_until: datetime | None = None

    def to_command(self) -> commands.CreateOffer:
        return commands.CreateOffer(
            partner_id=uuid_of(self.partner_id, "Partner", ("partner_id",)), code=self.code,
            title=self.title, benefit=self.benefit.to_domain(("benefit",)),
            trigger=self.trigger.to_domain(("trigger",)), cost=self.cost.to_domain(("cost",)),
            description=self.description,
            eligibility=(self.eligibility or OfferEligibilityInput()).to_domain(),
            quota=(self.quota or OfferQuotaInput()).to_domain(),
            valid_from=self.valid_from, valid_until=self.valid_until,
            grant_valid_days=self.grant_valid_days, redeem_until=self.redeem_until,
        )


@strawberry.input(description="Only the fields sent change; a part sent (benefit, trigger…) "
                              "is replaced whole.")
class OfferUpdateInput:
    offer_id: strawberry.ID
    expected_version: int | None = None
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    benefit: OfferBenefitInput | None = strawberry.UNSET
    eligibility: OfferEligibilityInput | None = strawberry.UNSET
    trigger: OfferTriggerInput | None = strawberry.UNSET
    quota: OfferQuotaInput | None = strawberry.UNSET
    cost: OfferCostInput | None = strawberry.UNSET
    valid_from: datetime | None = strawberry.UNSET
    valid_until: datetime | None = strawberry.UNSET
    grant_valid_days: int | None = strawberry.UNSET
    redeem_until: datetime | None = strawberry.UNSET

    def to_command(self) -> commands.UpdateOffer:
        changes = sent(self, ("title", "description", "valid_from", "valid_until",
                              "grant_valid_days", "redeem_until"))
        # A part is never cleared: null leaves it as it is (the defaults are explicit).
        if self.benefit:
            changes["benefit"] = self.benefit.to_domain(("benefit",))
        if self.trigger:
            changes["trigger"] = self.trigger.to_domain(("trigger",))
        if self.cost:
            changes["cost"] = self.cost.to_domain(("cost",))
        if self.eligibility:
            changes["eligibility"] = self.eligibility.to_domain()
        if self.quota:
            changes["quota"] = self.quota.to_domain()
        return commands.UpdateOffer(
            offer_id=uuid_of(self.offer_id, "Offer", ("offer_id",)), changes=changes,
            expected_version=self.expected_version)


@strawberry.input(description="DRAFT → ACTIVE ⇄ PAUSED → ENDED (for good).")
class OfferStatusChangeInput:
    offer_id: strawberry.ID
    status: OfferStatusEnum
    expected_version: int | None = None

    def to_command(self) -> commands.ChangeOfferStatus:
        return commands.ChangeOfferStatus(
            offer_id=uuid_of(self.offer_id, "Offer", ("offer_id",)),
            status=OfferStatus(self.status), expected_version=self.expected_version)


# --- grants ----------------------------------------------------------------------------


@strawberry.input(description="Staff giving a member an offer by hand, with a reason.")
class GrantIssueInput:
    offer_id: strawberry.ID
    customer_id: strawberry.ID
    reason: str

    def to_command(self) -> commands.IssueGrant:
        return commands.IssueGrant(
            offer_id=uuid_of(self.offer_id, "Offer", ("offer_id",)),
            customer_id=uuid_of(self.customer_id, "Customer", ("customer_id",)),
            reason=self.reason)


@strawberry.input
class GrantRevokeInput:
    grant_id: strawberry.ID
    reason: str

    def to_command(self) -> commands.RevokeGrant:
        return commands.RevokeGrant(grant_id=uuid_of(self.grant_id, "Grant", ("grant_id",)),
                                    reason=self.reason)


@flat_input  # the counter's hot mutation: made in one step (flat_inputs.py)
@strawberry.input
class GrantRedeemInput:
    code: str = strawberry.field(description="As the member shows it: any case, with or "
                                             "without dashes.")
    idempotency_key: str = strawberry.field(
        description="Yours: the same key again replays the first redemption.")
    location: str = strawberry.field(description="Where: a counter, a cinema.")
    amount: Decimal | None = strawberry.field(
        default=None, description="What the member bought with it, in your currency.")

    def to_command(self) -> commands.RedeemGrant:
        return commands.RedeemGrant(code=self.code, idempotency_key=self.idempotency_key,
                                    location=self.location,
                                    amount=optional_decimal_of(self.amount, ("amount",)))


@strawberry.input
class GrantRedemptionReverseInput:
    redemption_id: strawberry.ID
    reason: str

    def to_command(self) -> commands.ReverseRedemption:
        return commands.ReverseRedemption(
            redemption_id=uuid_of(self.redemption_id, "Redemption", ("redemption_id",)),
            reason=self.reason)


# --- coalition earn --------------------------------------------------------------------


@strawberry.input(description="A member's purchase with you: she earns the brand's points.")
class PartnerPurchaseRecordInput:
    member: ExternalReferenceInput = strawberry.field(
        description="Her card or account with the brand, e.g. {system: \"pos-card\", value: …}.")
    order_id: str = strawberry.field(description="Yours: the same order again replays.")
    amount: Decimal
    currency_code: str
    occurred_at: datetime
    programme: str | None = strawberry.field(
        default=None, description="The programme's code; null: the default programme.")

    def to_command(self) -> commands.RecordPartnerPurchase:
        return commands.RecordPartnerPurchase(
            member_system=self.member.system, member_reference=self.member.value,
            order_id=self.order_id, amount=decimal_of(self.amount, ("amount",)),
            currency=self.currency_code, occurred_at=self.occurred_at,
            programme_code=self.programme)


@strawberry.input(description="All or part of a purchase with you returned.")
class PartnerPurchaseReturnInput:
    order_id: str
    return_ref: str = strawberry.field(description="Yours: the same return again replays.")
    amount: Decimal | None = strawberry.field(
        default=None, description="Null: the whole of what is left.")

    def to_command(self) -> commands.ReturnPartnerPurchase:
        return commands.ReturnPartnerPurchase(
            order_id=self.order_id, return_ref=self.return_ref,
            amount=optional_decimal_of(self.amount, ("amount",)))
