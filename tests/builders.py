"""Terse arrangement of unit-test scenarios on the fakes.

Everything is made through its use case, so an arranged scenario is one the domain itself
could have produced. Inputs default to Mrs. Li of Hangzhou (DESIGN.md §1).
"""

from collections.abc import Awaitable
from datetime import date, datetime
from decimal import Decimal
from itertools import count
from typing import Any
from uuid import UUID

import pytest

from domain.cases.commands import CloseCase, CreateRoutingRule, OpenCase, ResolveCase, StartCase
from domain.cases.model import Case, CaseKind, CaseStatus, RoutingRule, SlaPolicy
from domain.cases.parts import CasesPart
from domain.cases.services import (
    close_case,
    create_routing_rule,
    open_case,
    resolve_case,
    start_case,
)
from domain.customers.commands import (
    ConsentInput,
    ContactPointInput,
    CreateCustomer,
    ExternalReferenceInput,
    HouseholdMemberInput,
    ImportantDateInput,
    UpdateContactPoint,
)
from domain.customers.model import (
    ConsentPurpose,
    ContactKind,
    Customer,
    Occasion,
    Relationship,
)
from domain.customers.parts import CustomerPart
from domain.customers.services import create_customer, update_contact_point
from domain.interactions.commands import RecordInteraction
from domain.interactions.model import Channel, Interaction
from domain.interactions.parts import InteractionsPart
from domain.interactions.services import record_interaction
from domain.loyalty.commands import (
    LineInput,
    RecordPurchase,
    RefundLineInput,
    RefundPurchase,
    RewardSpec,
    SaveProgramme,
    TierSpec,
)
from domain.loyalty.model import Programme, Purchase, SalesChannel
from domain.loyalty.parts import LoyaltyPart
from domain.loyalty.programmes import save_programme
from domain.loyalty.purchases import RefundRecorded, record_purchase, refund_purchase
from domain.organisation.commands import CreateStaff, CreateStore
from domain.organisation.model import Staff, Store
from domain.organisation.services import create_staff, create_store
from domain.partners import codes
from domain.partners.commands import (
    ChangeOfferStatus,
    CreateOffer,
    CreatePartner,
    IssueGrant,
    RedeemGrant,
    SuspendPartner,
)
from domain.partners.grants import issue_grant
from domain.partners.model import (
    Benefit,
    BenefitKind,
    CostSharing,
    Eligibility,
    Grant,
    Offer,
    OfferStatus,
    Partner,
    Payer,
    Quota,
    Trigger,
    TriggerKind,
)
from domain.partners.offers import change_offer_status, create_offer
from domain.partners.partners import create_partner, suspend_partner
from domain.partners.perks import PartnerPerkOffers
from domain.pipeline.commands import CreateDeal, CreatePipeline, DealTerms, MoveDeal, StageSpec
from domain.pipeline.deals import create_deal, move_deal
from domain.pipeline.model import Deal, Pipeline, Source, Stage, StageKind
from domain.pipeline.pipelines import create_pipeline
from domain.ports import UnitOfWork
from domain.reactions import NO_REACTIONS, Reactions
from domain.shared.access import Role, Viewer
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.ids import new_id
from tests.fakes import DEFAULT_NOW, FakeData, FakeUnitOfWork, FixedClock

ADMIN = Viewer.system("test")
# What the composition root hands the customer record's merge and export, in this order.
PARTS: tuple[CustomerPart, ...] = (InteractionsPart(), CasesPart(), LoyaltyPart())

Problem = tuple[tuple[str, ...], ErrorCode]
PERK_OFFERS = PartnerPerkOffers()  # how a programme's perks find partner offers

_serial = count(1)


def a_uow(now: datetime = DEFAULT_NOW, reactions: Reactions = NO_REACTIONS) -> FakeUnitOfWork:
    """`reactions`: what commits run about other contexts' events (the service's are
    `domain.partners.grants.REACTIONS`); none unless a test needs them."""
    return FakeUnitOfWork(FixedClock(now), reactions)


# Reading errors and checking that nothing was written.


def problems(error: DomainError) -> set[Problem]:
    """The (field path, code) pairs of a refusal; messages are for people, not tests."""
    return {(e.field, e.code) for e in error.errors}


def assert_nothing_committed(uow: FakeUnitOfWork, before: FakeData) -> None:
    assert not uow.committed
    assert uow.snapshot() == before


async def refused(uow: FakeUnitOfWork, attempt: Awaitable[object]) -> DomainError:
    """Awaits a use case that must refuse its input, checks it committed nothing (no commit,
    committed state and outbox as before) and returns the error."""
    before = uow.snapshot()
    uow.committed = False
    with pytest.raises(DomainError) as caught:
        await attempt
    assert_nothing_committed(uow, before)
    return caught.value


# Organisation.


async def a_store(uow: UnitOfWork, code: str | None = None, name: str = "West Lake") -> Store:
    return await create_store(
        CreateStore(code=code or f"hz-{next(_serial):03d}", name=name, city="Hangzhou"),
        uow=uow,
        viewer=ADMIN,
    )


async def a_staff_member(
    uow: UnitOfWork, name: str = "Wang Fang", store_id: UUID | None = None
) -> Staff:
    email = f"clerk{next(_serial)}@brand.example"
    return await create_staff(
        CreateStaff(name=name, email=email, store_id=store_id), uow=uow, viewer=ADMIN
    )


# Customers.


def an_email(value: str = "mrs.li@example.com", **fields: Any) -> ContactPointInput:
    return ContactPointInput(kind=ContactKind.EMAIL, value=value, **fields)


def a_phone(value: str = "+86 138 0571 0187", **fields: Any) -> ContactPointInput:
    return ContactPointInput(kind=ContactKind.PHONE, value=value, **fields)


def a_consent(purpose: ConsentPurpose, granted: bool = True) -> ConsentInput:
    return ConsentInput(purpose=purpose, granted=granted)


def a_ref(system: str = "pos-card", value: str | None = None) -> ExternalReferenceInput:
    return ExternalReferenceInput(system=system, value=value or f"HZ-{next(_serial):06d}")


def a_member(
    name: str = "Li Xiaoming", relationship: Relationship = Relationship.CHILD, **fields: Any
) -> HouseholdMemberInput:
    return HouseholdMemberInput(name=name, relationship=relationship, **fields)


def a_birthday(on: date, label: str | None = None) -> ImportantDateInput:
    return ImportantDateInput(occasion=Occasion.BIRTHDAY, date=on, label=label)


def create_command(**fields: Any) -> CreateCustomer:
    """`create_command(given_name="Mei", contact_points=(an_email(),))`: CreateCustomer
    fields go to the command, anything else into the profile."""
    own = {k: fields.pop(k) for k in list(fields) if k in CreateCustomer.__dataclass_fields__}
    profile = fields if fields else {"display_name": "Mrs. Li"}
    return CreateCustomer(**{"profile": profile, **own})


async def a_customer(uow: UnitOfWork, **fields: Any) -> Customer:
    return await create_customer(create_command(**fields), uow=uow, viewer=ADMIN)


async def customers(uow: UnitOfWork, n: int) -> list[Customer]:
    return [await a_customer(uow, display_name=f"Customer {i}") for i in range(n)]


# Interactions.


def record_command(customer_id: UUID, at: datetime, **fields: Any) -> RecordInteraction:
    defaults: dict[str, Any] = {"channel": Channel.POS, "kind": "purchase"}
    return RecordInteraction(customer_id=customer_id, occurred_at=at, **{**defaults, **fields})


async def an_interaction(
    uow: UnitOfWork, customer_id: UUID, at: datetime | None = None, **fields: Any
) -> Interaction:
    command = record_command(customer_id, at or uow.clock.now(), **fields)
    return await record_interaction(command, uow=uow, viewer=ADMIN)


# Cases.


def open_command(customer_id: UUID | None = None, **fields: Any) -> OpenCase:
    defaults: dict[str, Any] = {"kind": CaseKind.COMPLAINT, "subject": "Scarf came torn"}
    return OpenCase(customer_id=customer_id, **{**defaults, **fields})


async def a_case(
    uow: UnitOfWork, customer_id: UUID | None, *, sla: SlaPolicy | None = None, **fields: Any
) -> Case:
    command = open_command(customer_id, **fields)
    return await open_case(command, uow=uow, viewer=ADMIN, sla=sla or SlaPolicy.default())


async def a_case_in(uow: UnitOfWork, status: CaseStatus) -> Case:
    """A case of a new customer, driven through the use cases to `status`."""
    customer = await a_customer(uow)
    case = await a_case(uow, customer.id)
    path = [CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.CLOSED]
    for step in path[1 : path.index(status) + 1]:
        if step is CaseStatus.IN_PROGRESS:
            case = await start_case(StartCase(case.id), uow=uow, viewer=ADMIN)
        elif step is CaseStatus.RESOLVED:
            case = await resolve_case(
                ResolveCase(case.id, "Replaced the scarf"),
                uow=uow,
                viewer=ADMIN,
                sla=SlaPolicy.default(),
            )
        else:
            case = await close_case(CloseCase(case.id), uow=uow, viewer=ADMIN)
    assert case.status is status
    return case


async def a_routing_rule(uow: UnitOfWork, **fields: Any) -> RoutingRule:
    return await create_routing_rule(CreateRoutingRule(**fields), uow=uow, viewer=ADMIN)


# Loyalty: the brand's programme, in CNY. Member from 0, Silver from 5,000 spent in the
# window, Gold from 20,000; one point per yuan.

TIERS = (
    TierSpec("member", "Member", Decimal(0)),
    TierSpec("silver", "Silver", Decimal(5000), Decimal(5), Decimal("1.5")),
    TierSpec("gold", "Gold", Decimal(20000), Decimal(10), Decimal(2)),
)
TEA_SET = RewardSpec("tea-set", "Longjing tea set", 500)


def a_programme_command(**changes: Any) -> SaveProgramme:
    defaults: dict[str, Any] = {"code": "wardrobe", "name": "Wardrobe Club", "currency": "CNY",
                                "tiers": TIERS, "rewards": (TEA_SET,)}
    return SaveProgramme(**{**defaults, **changes})


def saving_programme(uow: UnitOfWork, viewer: Viewer = ADMIN,
                     **changes: Any) -> Awaitable[Programme]:
    """The save of `a_programme_command(**changes)`, to await (or to expect `refused`)."""
    return save_programme(a_programme_command(**changes), uow=uow, viewer=viewer,
                          offers=PERK_OFFERS)


async def a_programme(uow: UnitOfWork, **changes: Any) -> Programme:
    return await saving_programme(uow, **changes)


async def the_hangzhou_store(uow: FakeUnitOfWork) -> Store:
    """Mrs. Li's store by West Lake, made the first time it is asked for."""
    found = next((s for s in uow.data.stores.values() if s.code == "hz-westlake"), None)
    return found or await a_store(uow, "hz-westlake")


def a_line(unit_price: str = "1280.00", quantity: int = 1, **fields: Any) -> LineInput:
    defaults: dict[str, Any] = {"sku": "WW-COAT-01", "name": "Wool coat", "category": "coats"}
    return LineInput(quantity=quantity, unit_price=Decimal(unit_price), **{**defaults, **fields})


def a_purchase_command(customer_id: UUID, *lines: LineInput, **changes: Any) -> RecordPurchase:
    """One coat at the till unless `lines` say otherwise; paid what the lines cost."""
    lines = lines or (a_line(),)
    defaults: dict[str, Any] = {
        "channel": SalesChannel.POS, "order_id": f"HZ-{next(_serial):06d}",
        "occurred_at": DEFAULT_NOW, "currency": "CNY",
        "payment_total": sum((ln.quantity * ln.unit_price - ln.discount for ln in lines),
                             Decimal(0)),
    }
    return RecordPurchase(customer_id=customer_id, lines=lines, **{**defaults, **changes})


async def a_purchase(
    uow: FakeUnitOfWork, customer_id: UUID, *lines: LineInput, viewer: Viewer = ADMIN,
    **changes: Any,
) -> Purchase:
    """Recorded now, at the Hangzhou store (see `a_purchase_command`)."""
    defaults = {"occurred_at": uow.clock.now(), "store_id": (await the_hangzhou_store(uow)).id}
    command = a_purchase_command(customer_id, *lines, **{**defaults, **changes})
    return (await record_purchase(command, uow=uow, viewer=viewer)).purchase


def a_refund_command(purchase: Purchase, *lines: tuple[int, int], **changes: Any) -> RefundPurchase:
    """A return of `lines` as (line no, quantity); none returns the whole purchase."""
    defaults: dict[str, Any] = {"refund_ref": f"RT-{next(_serial):06d}",
                                "occurred_at": DEFAULT_NOW, "purchase_id": purchase.id,
                                "lines": tuple(RefundLineInput(n, q) for n, q in lines)}
    return RefundPurchase(**{**defaults, **changes})


async def a_refund(
    uow: FakeUnitOfWork, purchase: Purchase, *lines: tuple[int, int], **changes: Any
) -> RefundRecorded:
    command = a_refund_command(purchase, *lines, **{"occurred_at": uow.clock.now(), **changes})
    return await refund_purchase(command, uow=uow, viewer=ADMIN)


def assert_ledger_holds(uow: FakeUnitOfWork) -> None:
    """The ledger invariant, for every member: her balance is the sum of her entries, and
    her open lots hold that sum when it is not negative (a negative one holds nothing)."""
    data = uow.data
    for member, membership in data.memberships.items():
        ledger_sum = sum(e.points for e in data.ledger.values()
                         if (e.programme_id, e.customer_id) == member)
        lots = sum(lot.remaining for lot in data.lots.values()
                   if (lot.programme_id, lot.customer_id) == member)
        assert membership.points_balance == ledger_sum, f"{member}: balance off the ledger"
        assert lots == max(ledger_sum, 0), f"{member}: lots off the ledger"


# Partners: the cinema by Jing'an Temple, settled in CNY, and Lisa, who loves films and
# agreed to the alliance (DESIGN.md §1). Offers are made active unless a test says not.

MASCARA = a_line("299.00", sku="EY-MASC-01", name="Mascara", category="mascara")
A_TICKET = Benefit(BenefitKind.FREE_ITEM, item="2D ticket")
BUYING_MASCARA = Trigger(TriggerKind.PURCHASE, category="mascara")
BRAND_PAYS_35 = CostSharing(Payer.BRAND, Decimal("35.00"))
FILM_LOVERS = Eligibility(interests=("loves-films",))


def a_partner_command(**changes: Any) -> CreatePartner:
    defaults: dict[str, Any] = {"code": f"wanda-{next(_serial)}", "name": "Wanda Cinema",
                                "industry": "cinema", "currency": "CNY",
                                "contact_email": "alliance@wanda.example"}
    return CreatePartner(**{**defaults, **changes})


async def a_partner(uow: UnitOfWork, **changes: Any) -> Partner:
    return await create_partner(a_partner_command(**changes), uow=uow, viewer=ADMIN)


async def suspend(uow: UnitOfWork, partner: Partner) -> Partner:
    """`partner`, suspended by the brand: its keys fail and its offers stop issuing."""
    return await suspend_partner(SuspendPartner(partner.id, "Contract under review"), uow=uow,
                                 viewer=ADMIN)


async def a_cafe(uow: UnitOfWork, **changes: Any) -> Partner:
    """The café next door, where a member earns a point per yuan, worth 5 fen to the brand."""
    defaults: dict[str, Any] = {"code": f"cafe-{next(_serial)}", "name": "Blue Bottle",
                                "industry": "café", "earn_rate": Decimal(1),
                                "point_value": Decimal("0.05")}
    return await a_partner(uow, **{**defaults, **changes})


def an_offer_command(partner: Partner, **changes: Any) -> CreateOffer:
    """A movie ticket for a film lover who buys mascara, once per member; the brand pays
    the cinema 35 yuan a ticket."""
    defaults: dict[str, Any] = {"code": f"ticket-{next(_serial)}", "title": "A movie ticket",
                                "benefit": A_TICKET, "trigger": BUYING_MASCARA,
                                "cost": BRAND_PAYS_35, "eligibility": FILM_LOVERS,
                                "quota": Quota(per_member=1)}
    return CreateOffer(partner_id=partner.id, **{**defaults, **changes})


async def an_offer(uow: UnitOfWork, partner: Partner,
                   status: OfferStatus = OfferStatus.ACTIVE, **changes: Any) -> Offer:
    """Created, then moved to `status` along the transitions an offer allows."""
    offer = await create_offer(an_offer_command(partner, **changes), uow=uow, viewer=ADMIN)
    path = {OfferStatus.DRAFT: (), OfferStatus.ACTIVE: (OfferStatus.ACTIVE,),
            OfferStatus.PAUSED: (OfferStatus.ACTIVE, OfferStatus.PAUSED),
            OfferStatus.ENDED: (OfferStatus.ENDED,)}
    for step in path[status]:
        offer = await move_offer(uow, offer, step)
    return offer


async def move_offer(uow: UnitOfWork, offer: Offer, status: OfferStatus) -> Offer:
    """`offer` moved to `status` by the brand's admin."""
    return await change_offer_status(ChangeOfferStatus(offer.id, status), uow=uow,
                                     viewer=ADMIN)


def partner_sharing(granted: bool = True) -> ConsentInput:
    return a_consent(ConsentPurpose.PARTNER_SHARING, granted)


def a_consenting_member_command(given_name: str = "Lisa",
                                interests: tuple[str, ...] = ("loves-films",),
                                consents: bool = True, **fields: Any) -> CreateCustomer:
    """A customer who agreed (or, `consents=False`, declined) to share with partners, on
    her email; more fields as `create_command` takes them."""
    email = an_email(f"{given_name.lower()}.{next(_serial)}@example.com",
                     consents=(partner_sharing(consents),))
    return create_command(display_name=f"{given_name} Wang", given_name=given_name,
                          interests=interests, contact_points=(email,), **fields)


async def a_consenting_member(uow: UnitOfWork, given_name: str = "Lisa",
                              interests: tuple[str, ...] = ("loves-films",),
                              consents: bool = True, **fields: Any) -> Customer:
    command = a_consenting_member_command(given_name, interests, consents, **fields)
    return await create_customer(command, uow=uow, viewer=ADMIN)


async def withdraw_partner_sharing(uow: UnitOfWork, customer: Customer) -> Customer:
    """She says no to the alliance on every contact point of hers."""
    for point in customer.contact_points:
        customer = await update_contact_point(
            UpdateContactPoint(customer.id, point.id, {"consents": (partner_sharing(False),)}),
            uow=uow, viewer=ADMIN)
    return customer


def a_partner_client(partner: Partner, client_id: UUID | None = None) -> Viewer:
    """One of the partner's API clients, as its key authenticates it."""
    client = client_id or new_id()
    return Viewer(Role.PARTNER, f"client:{client}", client_id=client,
                  partner_code=partner.code)


async def a_grant(uow: UnitOfWork, offer: Offer, customer: Customer,
                  reason: str = "A film on us, for the torn scarf") -> Grant:
    """Issued by staff: no purchase needed, but her consent, the offer and its quota hold."""
    return await issue_grant(IssueGrant(offer.id, customer.id, reason), uow=uow, viewer=ADMIN)


def a_redeem_command(grant: Grant, **changes: Any) -> RedeemGrant:
    """The code as the member shows it, typed at counter 3 with a till's fresh key."""
    defaults: dict[str, Any] = {"code": codes.displayed(grant.code),
                                "idempotency_key": f"till-3-{next(_serial)}",
                                "location": "Jing'an counter 3"}
    return RedeemGrant(**{**defaults, **changes})


# The sales pipeline: the sales floor of DESIGN.md §1, in CNY, one stage at a time.

FLOOR_STAGES = (
    StageSpec("Phone contact", probability=Decimal("0.1"), sla_days=3),
    StageSpec("Meeting", probability=Decimal("0.3"), sla_days=7),
    StageSpec("Product inspection", probability=Decimal("0.5"), sla_days=7),
    StageSpec("Contract signed", probability=Decimal("0.8"), sla_days=14),
    StageSpec("Pickup/delivery", probability=Decimal("0.9"), sla_days=7),
    StageSpec("Won", StageKind.WON),
    StageSpec("Lost", StageKind.LOST),
)


def a_pipeline_command(**changes: Any) -> CreatePipeline:
    defaults: dict[str, Any] = {"code": f"floor-{next(_serial)}", "name": "Sales floor",
                                "currency": "CNY", "stages": FLOOR_STAGES}
    return CreatePipeline(**{**defaults, **changes})


async def a_pipeline(uow: UnitOfWork, **changes: Any) -> Pipeline:
    return await create_pipeline(a_pipeline_command(**changes), uow=uow, viewer=ADMIN)


def stage_named(pipeline: Pipeline, name: str) -> Stage:
    return next(stage for stage in pipeline.stages if stage.name == name)


def deal_terms(pipeline: Pipeline, **changes: Any) -> DealTerms:
    defaults: dict[str, Any] = {"title": "Wool coat for the winter", "amount": Decimal("4800.00"),
                                "currency": pipeline.currency}
    return DealTerms(pipeline_id=pipeline.id, **{**defaults, **changes})


async def a_deal(uow: UnitOfWork, customer: Customer, pipeline: Pipeline,
                 viewer: Viewer = ADMIN, **changes: Any) -> Deal:
    """In the pipeline's first stage unless `stage_id` says; `source` goes to the command,
    the rest to its terms."""
    source = changes.pop("source", Source())
    command = CreateDeal(customer.id, deal_terms(pipeline, **changes), source)
    return await create_deal(command, uow=uow, viewer=viewer)


async def walked(uow: UnitOfWork, deal: Deal, pipeline: Pipeline, *names: str,
                 viewer: Viewer = ADMIN, **fields: Any) -> Deal:
    """The deal moved through the stages named, in turn; `fields` go with the last move."""
    for number, name in enumerate(names, start=1):
        last = fields if number == len(names) else {}
        moved = await move_deal(MoveDeal(deal.id, stage_named(pipeline, name).id,
                                         deal.version, **last), uow=uow, viewer=viewer)
        deal = moved.deal
    return deal


def a_clerk_of(staff: Staff) -> Viewer:
    """The clerk as her requests act: her stores, her id."""
    stores = frozenset({staff.store_id}) if staff.store_id else frozenset()
    return Viewer(Role.STAFF, f"staff:{staff.email}", staff_id=staff.id, store_ids=stores)
