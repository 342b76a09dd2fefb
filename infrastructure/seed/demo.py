"""`seed_demo`: the people of DESIGN.md §1 as data, written through the use cases.

Safe to run again: stores, staff, the routing rule and customers are looked up by their
natural keys (code, email, criteria, external reference) before being created; interactions and
the case carry idempotency keys. Their commands are dated from the customer's `created_at`,
which is the same on every run, so a repeat is a faithful retry that replays the first result.
The loyalty programme is looked up by its code; purchases replay by their order ids, the
return by its refund reference, the redemption by its idempotency key. The alliance's
partners and the cinema's offer are looked up by their codes, the café's purchase by its
order id, and each partner's demo API client by its name: its key is printed when it is
created, the one time it can be (Rapport keeps only a hash).
"""

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, astuple, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from domain.access.commands import ListApiClients
from domain.cases.commands import CreateRoutingRule, OpenCase, ResolveCase, StartCase
from domain.cases.model import Case, CaseKind, CasePriority, CaseStatus, RoutingRule
from domain.cases.services import OPEN_SCOPE
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
    Gender,
    Occasion,
    Relationship,
)
from domain.interactions.commands import RecordInteraction
from domain.interactions.model import Channel, Direction, GeoPoint, Interaction
from domain.interactions.services import RECORD_SCOPE
from domain.loyalty.commands import (
    BonusRuleSpec,
    LineInput,
    OfferRef,
    PerkSpec,
    RecordPurchase,
    RedeemReward,
    RefundLineInput,
    RefundPurchase,
    RewardSpec,
    SaveProgramme,
    TierSpec,
)
from domain.loyalty.model import DowngradePolicy, Programme, SalesChannel
from domain.organisation.commands import CreateStaff, CreateStore
from domain.organisation.model import Staff, Store
from domain.partners.commands import (
    ChangeOfferStatus,
    CreateOffer,
    CreatePartner,
    CreatePartnerApiClient,
    RecordPartnerPurchase,
)
from domain.partners.model import (
    Benefit,
    BenefitKind,
    CostSharing,
    Eligibility,
    Offer,
    OfferStatus,
    Partner,
    Payer,
    Trigger,
    TriggerKind,
)
from domain.partners.queries import OfferFilter
from domain.pipeline.commands import (
    CreateDeal,
    CreateLead,
    DealTerms,
    DisqualifyLead,
    MoveDeal,
    QualifyLead,
    ReopenDeal,
)
from domain.pipeline.deals import CREATE_SCOPE as DEAL_SCOPE
from domain.pipeline.leads import CREATE_SCOPE as LEAD_SCOPE
from domain.pipeline.model import Deal, Lead, Pipeline, Source
from domain.ports import UnitOfWork
from domain.shared.access import Role, Viewer
from domain.shared.paging import PageRequest
from infrastructure.bootstrap import Container
from infrastructure.seed.demo_pipeline import (
    QIAN_DEAL,
    SALES_FLOOR,
    DemoDeal,
    Prospect,
    demo_deals,
    prospects,
    sales_floor,
)
from infrastructure.seed.vocabulary import PRODUCTS_BY_SKU, Product, purchase_payload

T = TypeVar("T")

HANGZHOU, JINGAN = "hz-westlake", "sh-jingan"
HANGZHOU_CLERK = "wang.fang@hz-westlake.example.com"
JINGAN_CLERK = "chen.jing@sh-jingan.example.com"
SERVICE_LEAD = "zhou.min@service.example.com"
LI_CARD = ExternalReferenceInput("pos-card", "HZ-000187")
LISA_OPEN_ID = ExternalReferenceInput("wechat", "oLisa9Zr3kT2mQ8vX1pN4dY7wH0e")
LISA_PHONE = "+86 186 2100 5566"
# She joined the alliance at the counter: partners may offer her benefits and see her first
# name and tier.
LISA_SHARES = ConsentInput(ConsentPurpose.PARTNER_SHARING, True, source="POS")
COMPLAINT_QUEUE = "complaints"

STORES = (
    CreateStore(code=HANGZHOU, name="Hangzhou West Lake", city="Hangzhou"),
    CreateStore(code=JINGAN, name="Shanghai Jing'an", city="Shanghai"),
)


@dataclass(frozen=True)
class StaffMember:
    name: str
    email: str
    store_code: str | None


STAFF = (
    StaffMember("Wang Fang 王芳", HANGZHOU_CLERK, HANGZHOU),
    StaffMember("Chen Jing 陈静", JINGAN_CLERK, JINGAN),
    StaffMember("Zhou Min 周敏", SERVICE_LEAD, None),  # customer service: owns complaints
)


@dataclass(frozen=True)
class Organisation:
    stores: dict[str, Store]  # by code
    staff: dict[str, Staff]  # by email

    def store_id(self, code: str | None) -> UUID | None:
        return self.stores[code].id if code else None

    def staff_id(self, email: str | None) -> UUID | None:
        return self.staff[email].id if email else None


@dataclass(frozen=True)
class Moment:
    """One interaction of a story, `days_before` its anchor (the customer's `created_at`, or
    the case's `opened_at`): the same instant on every run."""

    key: str
    days_before: float
    channel: Channel
    kind: str
    summary: str
    direction: Direction = Direction.INBOUND
    payload: dict[str, Any] = field(default_factory=dict)
    store: str | None = None
    staff: str | None = None
    geo: GeoPoint | None = None
    place: str | None = None


def _sale(*skus: str) -> dict[str, Any]:
    return purchase_payload([(PRODUCTS_BY_SKU[sku], 1) for sku in skus])


def mrs_li(org: Organisation, today: date) -> CreateCustomer:
    return CreateCustomer(
        profile={
            "display_name": "李秀英 Mrs. Li", "family_name": "李", "given_name": "秀英",
            "gender": Gender.FEMALE, "birth_date": date(1968, 4, 12),
            "occupation": "retired teacher",
            "preferences": ("silk", "muted colours", "size M"),
            "interests": ("gardening",), "tags": ("vip", "villa-owner"),
            "custom_attributes": {"membership": "women's wear", "member_since": "2015-03-08"},
            "home_store_id": org.store_id(HANGZHOU), "owner_id": org.staff_id(HANGZHOU_CLERK),
        },
        contact_points=(
            ContactPointInput(ContactKind.PHONE, "+86 139 5712 0187", label="mobile",
                              verified=True,
                              consents=(ConsentInput(ConsentPurpose.MARKETING_SMS, True),)),
            ContactPointInput(ContactKind.EMAIL, "li.xiuying@163.com", label="personal",
                              consents=(ConsentInput(ConsentPurpose.MARKETING_EMAIL, True),)),
        ),
        household=(
            HouseholdMemberInput("李明", Relationship.CHILD, birth_date=date(2006, 9, 15)),
            HouseholdMemberInput("张伟", Relationship.SPOUSE, birth_date=date(1966, 1, 30),
                                 important_dates=(
                ImportantDateInput(Occasion.ANNIVERSARY, date(1992, 10, 2), "Wedding anniversary"),
                # Still to come whenever the demo is seeded, so its reminders are due.
                ImportantDateInput(Occasion.TRIP, today + timedelta(days=45),
                                   "Family trip to Sanya"),
            )),
        ),
        external_refs=(LI_CARD,),
    )


LI_MOMENTS = (
    Moment("demo:li:blouse", 300, Channel.POS, "purchase", "Bought a silk blouse and a scarf",
           payload=_sale("WW-SILK-BLOUSE-01", "WW-SCARF-05"), store=HANGZHOU,
           staff=HANGZHOU_CLERK),
    Moment("demo:li:gardening", 160, Channel.VISIT, "visit",
           "Mentioned she loves gardening in her villa's garden",
           payload={"noted_interest": "gardening"}, store=HANGZHOU, staff=HANGZHOU_CLERK),
    Moment("demo:li:repellent", 150, Channel.VISIT, "gift",
           "The store gave her mosquito repellent for her garden", direction=Direction.OUTBOUND,
           payload={"gift": "mosquito repellent", "because": "gardening"}, store=HANGZHOU,
           staff=HANGZHOU_CLERK),
    Moment("demo:li:autumn", 95, Channel.SMS, "reminder",
           "Season change: the autumn silk collection is in", direction=Direction.OUTBOUND,
           payload={"occasion": "season change"}),
    Moment("demo:li:coat", 40, Channel.POS, "purchase", "Bought a wool coat",
           payload=_sale("WW-WOOL-COAT-04"), store=HANGZHOU, staff=HANGZHOU_CLERK),
    Moment("demo:li:zip-call", 3, Channel.PHONE, "complaint",
           "Called: the zip of the wool coat broke after two wears",
           payload={"sku": "WW-WOOL-COAT-04"}, store=HANGZHOU),
)
LI_COMPLAINT_KEY = "demo:li:zip-complaint"
LI_COMPLAINT_CALL = "demo:li:zip-call"
# Dated from the case's opening: she brought the coat in as the case was taken on.
LI_REPAIR_VISIT = Moment(
    "demo:li:zip-repair", 0, Channel.VISIT, "follow-up",
    "Brought the coat in; the zip was replaced free of charge while she waited",
    payload={"sku": "WW-WOOL-COAT-04", "remedy": "zip replaced"}, store=HANGZHOU,
    staff=HANGZHOU_CLERK,
)


def lisa(org: Organisation) -> CreateCustomer:
    return CreateCustomer(
        profile={
            "display_name": "Lisa Zhou", "family_name": "Zhou", "given_name": "Lisa",
            "gender": Gender.FEMALE, "birth_date": date(1994, 7, 21),
            "occupation": "marketing manager", "preferences": ("matte finish",),
            "interests": ("films",), "tags": ("white-collar", "loves-films"),
            "home_store_id": org.store_id(JINGAN), "owner_id": org.staff_id(JINGAN_CLERK),
        },
        contact_points=(
            ContactPointInput(ContactKind.PHONE, LISA_PHONE, label="mobile",
                              consents=(ConsentInput(ConsentPurpose.MARKETING_SMS, True),
                                        LISA_SHARES)),
            ContactPointInput(ContactKind.SOCIAL, "lisa_zhou_sh", platform="wechat",
                              consents=(ConsentInput(ConsentPurpose.MARKETING_SOCIAL, True),)),
        ),
        external_refs=(LISA_OPEN_ID,),
    )


LISA_MOMENTS = (
    Moment("demo:lisa:film-post", 60, Channel.SOCIAL, "social",
           "Liked the brand's post about the Shanghai film festival",
           payload={"platform": "wechat", "post": "shanghai-film-festival"}),
    Moment("demo:lisa:eye-shadow", 30, Channel.POS, "purchase", "Bought an eye shadow palette",
           payload=_sale("CS-EYESHADOW-11"), store=JINGAN, staff=JINGAN_CLERK),
    Moment("demo:lisa:check-in", 1, Channel.CHECK_IN, "check-in",
           "Checked in near the Jing'an Temple counter", payload={"source": "mini-program"},
           store=JINGAN, geo=GeoPoint(31.2231, 121.4454), place="Jing'an Temple counter"),
)


# --- loyalty: the programme, and what Mrs. Li and Lisa bought, returned and redeemed ---------

PROGRAMME_CODE = "rapport-rewards"
# Gold's perk that the cinema gives (see the alliance below).
GOLD_TICKET = "A free movie ticket at Lumière Cinema"
SKINCARE_CAMPAIGN_DAYS = (40, 20)  # from 40 days before the first seeding to 20 days after


def rewards_programme(today: date, *, partner_perks: bool = True) -> SaveProgramme:
    """Spend 5,000 CNY in 12 months for Silver, 20,000 for Gold (docs/loyalty.md). Gold's
    movie ticket points at the cinema's offer, which must exist by then, unless not
    `partner_perks` (the benches seed no alliance): then it is plain text."""
    campaign_before, campaign_after = SKINCARE_CAMPAIGN_DAYS
    gold_perks = ("free alterations", "private shopping evenings", GOLD_TICKET)
    gold = TierSpec("gold", "Gold", Decimal(20000), Decimal(10), Decimal("1.5"), gold_perks)
    if partner_perks:
        gold = replace(gold, perks=(), perk_details=tuple(
            PerkSpec(text, TICKET_REF if text == GOLD_TICKET else None) for text in gold_perks))
    return SaveProgramme(
        code=PROGRAMME_CODE, name="Rapport Rewards", currency="CNY",
        tiers=(
            TierSpec("member", "Member", Decimal(0)),
            TierSpec("silver", "Silver", Decimal(5000), Decimal(5), Decimal("1.25"),
                     ("free alterations",)),
            gold,
        ),
        downgrade=DowngradePolicy.GRACE_PERIOD, grace_months=3,
        points_per_unit=Decimal(1), birthday_multiplier=Decimal(2),
        points_expire_after_months=24, point_value=Decimal("0.01"),
        time_zone="Asia/Shanghai",
        bonus_rules=(BonusRuleSpec(
            "Skincare festival", Decimal(2), category="skincare",
            starts_on=today - timedelta(days=campaign_before),
            ends_on=today + timedelta(days=campaign_after)),),
        rewards=(
            RewardSpec("gift-wrap", "Silk gift wrapping", 300),
            RewardSpec("alteration", "A free alteration", 800),
            RewardSpec("hand-cream", "Travel-size hand cream", 1500),
            RewardSpec("voucher-50", "A 50 CNY voucher", 5000),
        ),
    )


@dataclass(frozen=True)
class Item:
    sku: str
    quantity: int = 1
    discount: str = "0.00"  # off the whole line

    def line(self) -> LineInput:
        product: Product = PRODUCTS_BY_SKU[self.sku]
        return LineInput(self.sku, self.quantity, Decimal(product.price), Decimal(self.discount),
                         name=product.name, category=product.category)


@dataclass(frozen=True)
class Sale:
    """A purchase `days_before` the customer's `created_at`; its order id is its key."""

    order_id: str
    days_before: float
    items: tuple[Item, ...]
    channel: SalesChannel = SalesChannel.POS
    store: str | None = None


@dataclass(frozen=True)
class Return:
    order_id: str
    refund_ref: str
    days_before: float
    lines: tuple[RefundLineInput, ...]  # line number and quantity


LI_SALES = (
    Sale("HZ-DEMO-LI-0001", 280, (Item("WW-CASH-CARDI-02"), Item("CS-CREAM-15")),
         store=HANGZHOU),
    Sale("HZ-DEMO-LI-0002", 200, (Item("WW-LINEN-DRESS-03"), Item("WW-SILK-BLOUSE-01")),
         store=HANGZHOU),
    # Takes her past 5,000 CNY in 12 months: Silver from here on.
    Sale("HZ-DEMO-LI-0003", 120, (Item("CS-SERUM-14", 2, "50.00"), Item("WW-SCARF-05")),
         store=HANGZHOU),
    # In the skincare festival, earning as a Silver member.
    Sale("HZ-DEMO-LI-0004", 25, (Item("CS-LIPSTICK-13"), Item("CS-CREAM-15")), store=HANGZHOU),
)
# One of the two serums came back; she stays Silver.
LI_RETURN = Return("HZ-DEMO-LI-0003", "HZ-DEMO-LI-R001", 110, (RefundLineInput(1, 1),))
LI_REDEMPTION_KEY = "demo:li:reward:hand-cream"
LI_REWARD = "hand-cream"
LISA_SALES = (
    Sale("APP-DEMO-LISA-0001", 75, (Item("CS-LIPSTICK-13"), Item("CS-CREAM-15")),
         channel=SalesChannel.MOBILE_APP),
    # At the Jing'an Temple counter after her check-in, the mascara the terminal recommended
    # (she bought eye shadow last time): it issues her the cinema's ticket.
    Sale("SH-DEMO-LISA-0002", 0.9, (Item("CS-MASCARA-12"),), store=JINGAN),
)


# --- the alliance: the cinema and the café, the cinema's offer, Lisa's coffee ---------------

CINEMA, CAFE = "lumiere-cinema", "daily-grind-cafe"
PARTNERS = (
    CreatePartner(CINEMA, "Lumière Cinema 光影影城", "cinema", "CNY",
                  contact_name="Sun Li", contact_email="partners@lumiere-cinema.example.com"),
    # A coffee earns the brand's points: 1 a yuan, for which the café owes 0.05 CNY each.
    CreatePartner(CAFE, "Daily Grind Café", "café", "CNY", contact_name="Ma Rui",
                  contact_email="hello@daily-grind.example.com", earn_rate=Decimal(1),
                  point_value=Decimal("0.05")),
)
TICKET_OFFER = "free-movie-ticket"
TICKET_REF = OfferRef(CINEMA, TICKET_OFFER)
FILM_LOVERS = "loves-films"


def ticket_offer(cinema_id: UUID) -> CreateOffer:
    """Eye make-up bought by a film lover issues a ticket; the brand pays the cinema 35 CNY
    for each one redeemed. A grant is good for a year, so the docs' examples keep working."""
    return CreateOffer(
        cinema_id, TICKET_OFFER, "A free movie ticket",
        Benefit(BenefitKind.FREE_ITEM, item="one 2D movie ticket"),
        Trigger(TriggerKind.PURCHASE, category="eye make-up"),
        CostSharing(Payer.BRAND, Decimal("35.00")),
        description="Any 2D screening at Lumière Cinema, with a purchase of eye make-up.",
        eligibility=Eligibility(interests=(FILM_LOVERS,)), grant_valid_days=365)


@dataclass(frozen=True)
class PartnerSale:
    """A member's purchase reported by a partner, `days_before` her `created_at`."""

    partner_code: str
    order_id: str
    days_before: float
    amount: str


# A latte and a croissant at the café by the counter, with her WeChat account.
LISA_COFFEE = PartnerSale(CAFE, "DG-DEMO-000042", 0.85, "58.00")
DEMO_CLIENT = "{code}-demo"  # each partner's API client for the docs' examples


@dataclass(frozen=True)
class SeedReport:
    """What one run created or moved on; all zero when the demo data was already there."""

    stores: int = 0
    staff: int = 0
    routing_rules: int = 0
    customers: int = 0
    interactions: int = 0
    cases: int = 0
    case_transitions: int = 0
    programmes: int = 0
    purchases: int = 0
    refunds: int = 0
    redemptions: int = 0
    partners: int = 0
    offers: int = 0
    consents: int = 0
    partner_purchases: int = 0
    api_clients: int = 0
    pipelines: int = 0
    leads: int = 0
    deals: int = 0
    deal_moves: int = 0
    # The keys of the API clients this run created, by partner code: shown this once.
    keys: tuple[tuple[str, str], ...] = ()

    @property
    def changed_nothing(self) -> bool:
        return not any(astuple(self))

    def __str__(self) -> str:
        if self.changed_nothing:
            return "demo data already present: nothing changed"
        done = [f"{count} {name.replace('_', ' ')}" for name, count in asdict(self).items()
                if name != "keys" and count]
        keys = [f"API key of {code} (shown this once): {key}" for code, key in self.keys]
        return "\n".join(["demo data seeded: " + ", ".join(done), *keys])


async def seed_demo(container: Container) -> SeedReport:
    return await _DemoSeeder(container).run()


class _DemoSeeder:
    def __init__(self, container: Container) -> None:
        self._use_cases = container.use_cases
        self._queries = container.queries
        self._new_uow = container.uow_factory
        self._clock = container.clock
        self._tally: Counter[str] = Counter()
        self._keys: list[tuple[str, str]] = []

    async def run(self) -> SeedReport:
        org = await self._organisation()
        await self._complaints_rule(org)
        partners = {command.code: await self._partner(command) for command in PARTNERS}
        await self._ticket_offer(partners[CINEMA])
        await self._programme()  # after the cinema's offer, which Gold's perk points at
        li = await self._customer(mrs_li(org, self._clock.now().date()))
        li_moments = await self._record_all(li, LI_MOMENTS, org)
        await self._complaint(li, li_moments[LI_COMPLAINT_CALL], org)
        await self._buy_all(li, LI_SALES, org)
        await self._return(li, LI_RETURN)
        await self._redeem(li, LI_REWARD, LI_REDEMPTION_KEY)
        lisa_zhou = await self._customer(lisa(org))
        await self._share_with_partners(lisa_zhou)
        await self._record_all(lisa_zhou, LISA_MOMENTS, org)
        await self._buy_all(lisa_zhou, LISA_SALES, org)
        await self._partner_sale(lisa_zhou, LISA_OPEN_ID, LISA_COFFEE, partners[CAFE])
        for partner in partners.values():
            await self._api_client(partner)
        await self._sales_floor(org, {"li": li, "lisa": lisa_zhou})
        return SeedReport(**self._tally, keys=tuple(self._keys))

    async def _organisation(self) -> Organisation:
        stores = {store.code: await self._store(store) for store in STORES}
        staff = {member.email: await self._staff_member(member, stores) for member in STAFF}
        return Organisation(stores, staff)

    async def _store(self, command: CreateStore) -> Store:
        return await self._ensure(
            "stores", lambda uow: uow.stores.get_by_code(command.code),
            lambda: self._use_cases.organisation.create_store(command),
        )

    async def _staff_member(self, member: StaffMember, stores: dict[str, Store]) -> Staff:
        store_id = stores[member.store_code].id if member.store_code else None
        command = CreateStaff(member.name, member.email, store_id)
        return await self._ensure(
            "staff", lambda uow: uow.staff.get_by_email(member.email),
            lambda: self._use_cases.organisation.create_staff(command),
        )

    async def _complaints_rule(self, org: Organisation) -> RoutingRule:
        command = CreateRoutingRule(queue=COMPLAINT_QUEUE, owner_id=org.staff_id(SERVICE_LEAD),
                                    kind=CaseKind.COMPLAINT)

        async def find(uow: UnitOfWork) -> RoutingRule | None:
            return next((rule for rule in await uow.routing_rules.all()
                         if (rule.queue, rule.owner_id, rule.criteria())
                         == (command.queue, command.owner_id, {"kind": command.kind})), None)

        return await self._ensure(
            "routing_rules", find, lambda: self._use_cases.cases.create_routing_rule(command)
        )

    async def _customer(self, command: CreateCustomer) -> Customer:
        """Known by the external reference the story gives them."""
        ref = command.external_refs[0]

        async def find(uow: UnitOfWork) -> Customer | None:
            customer_id = await uow.customers.find_by_external_ref(ref.system, ref.value)
            return await uow.customers.get(customer_id) if customer_id else None

        return await self._ensure(
            "customers", find, lambda: self._use_cases.customers.create_customer(command)
        )

    async def _record_all(
        self, customer: Customer, moments: tuple[Moment, ...], org: Organisation
    ) -> dict[str, Interaction]:
        anchor = customer.created_at
        return {m.key: await self._record(customer, m, anchor, org) for m in moments}

    async def _record(
        self, customer: Customer, moment: Moment, anchor: datetime, org: Organisation,
        case_id: UUID | None = None,
    ) -> Interaction:
        command = RecordInteraction(
            customer_id=customer.id, channel=moment.channel, kind=moment.kind,
            occurred_at=_days_before(anchor, moment.days_before),
            direction=moment.direction, summary=moment.summary, payload=moment.payload,
            store_id=org.store_id(moment.store), geo=moment.geo, place=moment.place,
            staff_id=org.staff_id(moment.staff), case_id=case_id, idempotency_key=moment.key,
        )
        return await self._keyed("interactions", RECORD_SCOPE, moment.key,
                                 lambda: self._use_cases.interactions.record_interaction(command))

    async def _complaint(self, customer: Customer, call: Interaction, org: Organisation) -> Case:
        """Opened from the call, routed to the service lead by the rule, worked on, resolved
        with a follow-up (回访) scheduled; each step only if the case has not taken it yet."""
        opening = OpenCase(
            kind=CaseKind.COMPLAINT, subject="Faulty zip on a wool coat",
            interaction_id=call.id, category="product-quality", priority=CasePriority.HIGH,
            description="The zip broke after two wears; she wants it repaired before winter.",
            idempotency_key=LI_COMPLAINT_KEY,
        )
        case: Case = await self._keyed("cases", OPEN_SCOPE, LI_COMPLAINT_KEY,
                                       lambda: self._use_cases.cases.open_case(opening))
        if case.status is CaseStatus.OPEN:
            case = await self._use_cases.cases.start_case(StartCase(case.id))
            self._tally["case_transitions"] += 1
        await self._record(customer, LI_REPAIR_VISIT, case.opened_at, org, case_id=case.id)
        if case.status is CaseStatus.IN_PROGRESS:
            case = await self._use_cases.cases.resolve_case(ResolveCase(
                case.id, "Zip replaced free of charge; she was pleased. Follow-up call to check "
                "the coat is fine.",
            ))
            self._tally["case_transitions"] += 1
        return case

    async def _programme(self) -> Programme:
        command = rewards_programme(self._clock.now().date())
        return await self._ensure(
            "programmes", lambda uow: uow.programmes.get_by_code(PROGRAMME_CODE),
            lambda: self._use_cases.loyalty.save_programme(command),
        )

    async def _buy_all(self, customer: Customer, sales: tuple[Sale, ...],
                       org: Organisation) -> None:
        """Oldest first, as the tills sent them: each earns at the tier she held then."""
        for sale in sorted(sales, key=lambda s: -s.days_before):
            lines = tuple(item.line() for item in sale.items)
            recorded = await self._use_cases.loyalty.record_purchase(RecordPurchase(
                customer_id=customer.id, channel=sale.channel, order_id=sale.order_id,
                occurred_at=_days_before(customer.created_at, sale.days_before),
                currency="CNY",
                payment_total=sum((line.quantity * line.unit_price - line.discount
                                   for line in lines), Decimal(0)),
                lines=lines, store_id=org.store_id(sale.store), programme_code=PROGRAMME_CODE,
            ))
            self._count("purchases", replayed=recorded.replayed)

    async def _return(self, customer: Customer, given: Return) -> None:
        refunded = await self._use_cases.loyalty.refund_purchase(RefundPurchase(
            refund_ref=given.refund_ref,
            occurred_at=_days_before(customer.created_at, given.days_before),
            channel=SalesChannel.POS, order_id=given.order_id, lines=given.lines,
        ))
        self._count("refunds", replayed=refunded.replayed)

    async def _redeem(self, customer: Customer, reward_code: str, key: str) -> None:
        moved = await self._use_cases.loyalty.redeem_reward(RedeemReward(
            customer_id=customer.id, reward_code=reward_code, programme_code=PROGRAMME_CODE,
            idempotency_key=key,
        ))
        self._count("redemptions", replayed=moved.replayed)

    async def _partner(self, command: CreatePartner) -> Partner:
        return await self._ensure(
            "partners", lambda uow: uow.partners.get_by_code(command.code),
            lambda: self._use_cases.partners.create_partner(command),
        )

    async def _ticket_offer(self, cinema: Partner) -> Offer:
        """Created and made active; an offer paused by hand since stays paused (a draft is
        only left by a run stopped between the two)."""
        page = await self._queries.partners.offers(OfferFilter(partner_id=cinema.id),
                                                   PageRequest(first=100))
        offer = next((offer for offer in page.nodes if offer.code == TICKET_OFFER), None)
        if offer is None:
            offer = await self._use_cases.partners.create_offer(ticket_offer(cinema.id))
            self._tally["offers"] += 1
        if offer.status is OfferStatus.DRAFT:
            offer = await self._use_cases.partners.change_offer_status(
                ChangeOfferStatus(offer.id, OfferStatus.ACTIVE, offer.version))
        return offer

    async def _share_with_partners(self, customer: Customer) -> None:
        """Her consent, given on her phone; a database seeded before the alliance gets it
        too, so her mascara issues her ticket there as well."""
        phone = next(point for point in customer.contact_points
                     if point.kind is ContactKind.PHONE)
        if phone.consent_for(ConsentPurpose.PARTNER_SHARING):
            return
        await self._use_cases.customers.update_contact_point(UpdateContactPoint(
            customer.id, phone.id, {"consents": (LISA_SHARES,)}))
        self._tally["consents"] += 1

    async def _partner_sale(self, customer: Customer, card: ExternalReferenceInput,
                            sale: PartnerSale, partner: Partner) -> None:
        """Reported as the partner reports it, with its own key's role. Looked up first: a
        partner may not report a sale months old, which a replay of it would be."""
        if await self._read(lambda uow: uow.partners.partner_purchase(partner.id,
                                                                       sale.order_id)):
            return
        counter = Viewer(Role.PARTNER, f"client:{DEMO_CLIENT.format(code=partner.code)}",
                         partner_code=partner.code)
        recorded = await self._use_cases.partners.record_partner_purchase.acting_as(counter)(
            RecordPartnerPurchase(
                card.system, card.value, sale.order_id, Decimal(sale.amount), partner.currency,
                _days_before(customer.created_at, sale.days_before),
                programme_code=PROGRAMME_CODE))
        self._count("partner_purchases", replayed=recorded.replayed)

    async def _api_client(self, partner: Partner) -> None:
        name = DEMO_CLIENT.format(code=partner.code)
        clients = await self._use_cases.access.list_api_clients(ListApiClients())
        if any(client.name == name and not client.revoked for client in clients):
            return
        issued = await self._use_cases.partners.create_partner_api_client(
            CreatePartnerApiClient(partner.id, name))
        self._tally["api_clients"] += 1
        self._keys.append((partner.code, issued.key))

    async def _sales_floor(self, org: Organisation, customers: dict[str, Customer]) -> None:
        """The pipeline, the prospects' leads, and the deals walked through their steps:
        on a second run every step is there already (a deal's version counts its moves)."""
        floor = await self._ensure("pipelines",
                                   lambda uow: uow.pipeline.get_by_code(SALES_FLOOR),
                                   lambda: self._use_cases.pipeline.create_pipeline(
                                       sales_floor()))
        assert floor.created_at is not None
        ids = {key: customer.id for key, customer in customers.items()}
        places = (HANGZHOU, JINGAN, HANGZHOU_CLERK, JINGAN_CLERK)
        for prospect in prospects(*places):
            lead = await self._lead(floor, org, prospect, ids)
            ids[prospect.key] = lead.customer_id
        for deal in demo_deals(*places):
            await self._deal(floor, org, deal, ids[deal.customer])

    async def _lead(self, floor: Pipeline, org: Organisation, prospect: Prospect,
                    ids: dict[str, UUID]) -> Lead:
        anchor = _anchor(floor)
        key = f"demo:lead:{prospect.key}"
        lead: Lead = await self._keyed("leads", LEAD_SCOPE, key, lambda: (
            self._use_cases.pipeline.create_lead(CreateLead(
                source=Source(prospect.channel, prospect.campaign,
                              ids.get(prospect.referred_by or "")),
                new_customer=CreateCustomer(profile={
                    "display_name": prospect.display_name,
                    "home_store_id": org.store_id(prospect.store)}),
                owner_id=org.staff_id(prospect.clerk), store_id=org.store_id(prospect.store),
                next_follow_up_on=(anchor + timedelta(days=prospect.follow_up_in_days)).date()
                if prospect.follow_up_in_days else None, idempotency_key=key))))
        use = self._use_cases.pipeline
        if prospect.call is not None:
            await self._keyed("interactions", RECORD_SCOPE, f"{key}:call", lambda: (
                self._use_cases.interactions.record_interaction(RecordInteraction(
                    customer_id=lead.customer_id, channel=Channel.PHONE, kind="call",
                    occurred_at=_days_before(lead.created_at, -1 / 86_400),  # a second on
                    direction=Direction.OUTBOUND,
                    summary=prospect.call, store_id=org.store_id(prospect.store),
                    staff_id=org.staff_id(prospect.clerk), idempotency_key=f"{key}:call"))))
        if not lead.open:
            return lead
        if prospect.unqualified is not None:
            lead = await use.disqualify_lead(DisqualifyLead(lead.id, prospect.unqualified))
        elif prospect.qualified is not None:
            title, amount, days_before, close_in = QIAN_DEAL
            lead = await use.qualify_lead(QualifyLead(lead.id, DealTerms(
                floor.id, title, Decimal(amount), floor.currency,
                expected_close_on=(anchor + timedelta(days=close_in)).date(),
                opened_at=anchor - timedelta(days=days_before))))
            self._tally["deals"] += 1
        return lead

    async def _deal(self, floor: Pipeline, org: Organisation, given: DemoDeal,
                    customer_id: UUID) -> Deal:
        anchor = _anchor(floor)
        key = f"demo:deal:{given.key}"
        deal: Deal = await self._keyed("deals", DEAL_SCOPE, key, lambda: (
            self._use_cases.pipeline.create_deal(CreateDeal(
                customer_id, DealTerms(
                    floor.id, given.title, Decimal(given.amount), floor.currency,
                    owner_id=org.staff_id(given.clerk), store_id=org.store_id(given.store),
                    expected_close_on=(anchor + timedelta(days=given.close_in_days)).date(),
                    products=given.products,
                    opened_at=anchor - timedelta(days=given.opened_days_before)),
                Source(given.channel, given.campaign), idempotency_key=key))))
        use = self._use_cases.pipeline
        stage_of = {stage.name: stage.id for stage in floor.stages}
        for number, step in enumerate(given.steps, start=1):
            if deal.version > number:  # moved there on an earlier run
                continue
            at = anchor - timedelta(days=step.days_before)
            if step.reopen_reason is not None:
                deal = (await use.reopen_deal(ReopenDeal(
                    deal.id, stage_of[step.stage], step.reopen_reason, deal.version,
                    occurred_at=at))).deal
            else:
                deal = (await use.move_deal(MoveDeal(
                    deal.id, stage_of[step.stage], deal.version, lost_reason=step.lost_reason,
                    occurred_at=at))).deal
            self._tally["deal_moves"] += 1
        return deal

    def _count(self, tally: str, *, replayed: bool) -> None:
        if not replayed:
            self._tally[tally] += 1

    async def _ensure(
        self, tally: str, find: Callable[[UnitOfWork], Awaitable[T | None]],
        create: Callable[[], Awaitable[T]],
    ) -> T:
        existing = await self._read(find)
        if existing is not None:
            return existing
        created = await create()
        self._tally[tally] += 1
        return created

    async def _keyed(
        self, tally: str, scope: str, key: str, write: Callable[[], Awaitable[T]]
    ) -> T:
        """Writes (or, for a used key, replays); counts only what is new."""
        used = await self._read(lambda uow: uow.idempotency.claim(scope, key, ""))
        result = await write()
        if used is None:
            self._tally[tally] += 1
        return result

    async def _read(self, look: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """Runs `look` in a unit of work that is never committed, so nothing it does stays:
        an idempotency claim made there only tells whether the key was taken."""
        async with self._new_uow() as uow:
            return await look(uow)


def _anchor(floor: Pipeline) -> datetime:
    """What the sales floor's history is dated from: the same on every run."""
    assert floor.created_at is not None
    return floor.created_at.astimezone(UTC)


def _days_before(anchor: datetime, days: float) -> datetime:
    """In UTC whatever the clock's zone: the fingerprint of a retry must not change."""
    return (anchor - timedelta(days=days)).astimezone(UTC)
