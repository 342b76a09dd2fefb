"""One rich data set for comparing the compiled and the executed read paths: the demo stories
of DESIGN.md §1 plus customers, interactions and cases covering every kind of value a read
can answer (every enum, nulls and their absence, non-ASCII, quotes and backslashes in what
NAME cursors encode, timestamps with and without microseconds, merged and archived
customers, overdue cases). Written through the use cases, as the API would write it."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text

from api.graphql.relay import to_global_id
from domain.cases.commands import (
    CloseCase,
    CreateRoutingRule,
    OpenCase,
    ReopenCase,
    ResolveCase,
    StartCase,
)
from domain.cases.model import CaseKind, CasePriority
from domain.customers.commands import (
    ArchiveCustomer,
    ConsentInput,
    ContactPointInput,
    CreateCustomer,
    EraseCustomer,
    ExternalReferenceInput,
    HouseholdMemberInput,
    ImportantDateInput,
    MergeCustomers,
)
from domain.customers.model import (
    ConsentPurpose,
    ContactKind,
    CustomerKind,
    Gender,
    Occasion,
    Relationship,
)
from domain.interactions.commands import RecordInteraction
from domain.interactions.model import Channel, Direction, GeoPoint
from domain.loyalty.commands import (
    AdjustPoints,
    BonusRuleSpec,
    ExpirePoints,
    LineInput,
    OverrideTier,
    PayWithPoints,
    RecordPurchase,
    RedeemReward,
    RefundLineInput,
    RefundPurchase,
    RewardSpec,
    SaveProgramme,
    TierSpec,
)
from domain.loyalty.model import (
    DowngradePolicy,
    QualificationWindow,
    QualifyingMeasure,
    SalesChannel,
)
from domain.organisation.commands import CreateStaff, CreateStore
from infrastructure.bootstrap import Container
from infrastructure.seed.demo import (
    LI_CARD,
    LI_COMPLAINT_KEY,
    LISA_OPEN_ID,
    PROGRAMME_CODE,
    seed_demo,
)
from tests.e2e.conftest import MovableClock

WHOLE_SECONDS = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)
_TABLES_OF_TYPES = {
    "Customer": "customers", "ContactPoint": "contact_points",
    "HouseholdMember": "household_members", "ExternalReference": "external_refs",
    "Interaction": "interactions", "Case": "cases", "CaseRoutingRule": "case_routing_rules",
    "Store": "stores", "Staff": "staff", "LoyaltyProgramme": "loyalty_programmes",
    "Purchase": "purchases", "PointsLedgerEntry": "loyalty_ledger",
    "Pipeline": "pipelines", "PipelineStage": "pipeline_stages", "Deal": "deals",
}
# A second programme unlike the demo's in every setting a standing depends on: points, not
# spend; calendar years in New York; a currency without decimals; points that expire soon.
MILES = "miles"
# Created, and so versioned and dated, on whole seconds.
_IN_WHOLE_SECONDS = {"organisation", "bare", "filler3", "filler4", "filler9"}
_GEOS = (GeoPoint(30.0, 120.0), GeoPoint(-33.8688, 151.2093), GeoPoint(0.0, -0.5),
         GeoPoint(89.999999, -179.123456789), None)
_PAYLOADS: tuple[dict[str, Any], ...] = (
    {},
    {"receipt": "HZ-2026-0042", "total": "1280.00", "lines": [{"sku": "A", "qty": 2}]},
    {"note": 'said "hi" \\ 你好', "score": 4.5, "big": 12345678901234, "ok": False,
     "nothing": None},
)


@dataclass
class RichData:
    """Global ids and handles of what was written, for building queries."""

    ids: dict[str, list[str]] = field(default_factory=dict)  # every row, by GraphQL type
    li: str = ""
    lisa: str = ""
    complaint: str = ""  # Mrs. Li's complaint about the zip (DESIGN.md §1)
    merged: dict[str, str] = field(default_factory=dict)  # duplicate → survivor
    archived: str = ""
    external_refs: list[tuple[str, str]] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    moments: list[datetime] = field(default_factory=list)  # stored instants, for ranges
    programmes: list[str] = field(default_factory=list)  # codes


@contextmanager
def whole_seconds(clock: MovableClock, start: datetime) -> Iterator[None]:
    """The clock ticks one whole second per reading, from `start`: stored timestamps
    without microseconds."""
    ticks = iter(range(1_000_000))
    clock.now = lambda: start + timedelta(seconds=next(ticks))  # type: ignore[method-assign]  # a test's clock is told the time
    try:
        yield
    finally:
        del clock.now


async def seed_rich_data(container: Container, clock: MovableClock) -> RichData:
    await seed_demo(container)
    seeder = _Seeder(container, clock)
    await seeder.organisation()
    customers = await seeder.customers()
    await seeder.interactions_and_cases(customers)
    await seeder.loyalty(customers)
    await seeder.merge_and_archive(customers)
    # Five hours on: the urgent case is overdue, as is the old request.
    clock.advance(timedelta(hours=5))
    await seeder.collect(container)
    return seeder.data


class _Seeder:
    def __init__(self, container: Container, clock: MovableClock) -> None:
        self.use, self.queries, self.clock = container.use_cases, container.queries, clock
        self.data = RichData(
            external_refs=[astuple_ref(LI_CARD), astuple_ref(LISA_OPEN_ID)],
            emails=["li.xiuying@163.com"], phones=["+86 139 5712 0187", "+86 186 2100 5566"],
        )
        self.store: dict[str, UUID] = {}
        self.staff: dict[str, UUID] = {}

    async def organisation(self) -> None:
        use = self.use
        beijing = await use.organisation.create_store(CreateStore(
            "bj-sanlitun", 'Beijing "Sanlitun" \\ Flagship'))
        chengdu = await use.organisation.create_store(
            CreateStore("cd-taikoo", "成都太古里", "Chengdu"))
        with whole_seconds(self.clock, WHOLE_SECONDS):
            agot = await use.organisation.create_staff(
                CreateStaff("Ågot O'Brien", "agot@example.com"))
        liu = await use.organisation.create_staff(
            CreateStaff("刘洋", "liu.yang@example.com", beijing.id))
        self.store = {s.code: s.id for s in await self.queries.organisation.all_stores()}
        self.staff = {s.email: s.id for s in await self.queries.organisation.all_staff()}
        assert chengdu.id == self.store["cd-taikoo"]
        for rule in (
            CreateRoutingRule(queue="returns", kind=CaseKind.REQUEST, channel=Channel.WEB),
            CreateRoutingRule(owner_id=liu.id, store_id=beijing.id, category="fit"),
            CreateRoutingRule(queue="enquiries", kind=CaseKind.ENQUIRY),
        ):
            await use.cases.create_routing_rule(rule)
        assert agot.id == self.staff["agot@example.com"]

    async def customers(self) -> dict[str, UUID]:
        found = {}
        for key, ref in (("li", LI_CARD), ("lisa", LISA_OPEN_ID)):
            summary = await self.queries.customers.by_external_ref(ref.system, ref.value)
            assert summary is not None
            found[key] = summary.id
        made = {}
        for number, (key, command) in enumerate(self._customer_commands().items()):
            if key in _IN_WHOLE_SECONDS:
                with whole_seconds(self.clock, WHOLE_SECONDS + timedelta(hours=number)):
                    made[key] = (await self.use.customers.create_customer(command)).id
            else:
                made[key] = (await self.use.customers.create_customer(command)).id
        self.data.external_refs += [
            ("erp", "SR-0001"), ("shop", "org-7"), ("pos-card", "BJ-000042"),
            ("wechat", "o-zhang-family"), ("shop", "u-42"), ("erp", "SR-0001-dup"),
        ]
        self.data.emails += ["orders@silkroad.example.com", "zoe@example.com",
                             "lisa.z@example.com", "old@example.com"]
        self.data.phones.append("+86 21 5555 0100")
        return {**found, **made}

    def _customer_commands(self) -> dict[str, CreateCustomer]:
        commands = {
            "organisation": _organisation(self.staff["agot@example.com"]),
            "bare": CreateCustomer(profile={"display_name": "王小明"}),
            "zoe": _zoe(self.store["bj-sanlitun"]),
            "emoji": CreateCustomer(
                profile={"display_name": "Emoji 😀 Fan", "gender": Gender.UNDISCLOSED,
                         "tags": ("loves-films",), "interests": ("films",)},
                # Shares Mrs. Li's phone: the longest-standing customer answers a lookup.
                contact_points=(ContactPointInput(ContactKind.PHONE, "+86 139 5712 0187"),),
            ),
            "family": _family(self.store["cd-taikoo"], self.staff["liu.yang@example.com"]),
            "lisa_twin": CreateCustomer(
                profile={"display_name": "Lisa Z.", "tags": ("white-collar",)},
                contact_points=(ContactPointInput(ContactKind.EMAIL, "lisa.z@example.com"),),
                external_refs=(ExternalReferenceInput("shop", "u-42"),),
            ),
            "organisation_twin": CreateCustomer(
                profile={"display_name": "Silk Road Trading", "kind": CustomerKind.ORGANISATION},
                external_refs=(ExternalReferenceInput("erp", "SR-0001-dup"),),
            ),
            "archived": CreateCustomer(
                profile={"display_name": "Old Customer 旧", "tags": ("vip",)},
                contact_points=(ContactPointInput(ContactKind.EMAIL, "old@example.com"),
                                ContactPointInput(ContactKind.PHONE, "+86 186 2100 5566")),
            ),
        }
        hangzhou, clerk = self.store["hz-westlake"], self.staff[
            "wang.fang@hz-westlake.example.com"]
        for number in range(12):
            commands[f"filler{number}"] = CreateCustomer(profile={
                "display_name": f"Customer {number:02d}",
                "tags": ("vip",) if number % 3 == 0 else ("regular", "films")[: number % 3],
                "interests": ("films",) if number % 4 == 0 else (),
                "home_store_id": hangzhou if number % 2 else None,
                "owner_id": clerk if number % 5 == 0 else None,
            })
        return commands

    async def record(self, customer_id: UUID, channel: Channel, at: datetime,
                     **fields: Any) -> UUID:
        kind = fields.pop("kind", channel.value.lower().replace("_", "-"))
        recorded = await self.use.interactions.record_interaction(
            RecordInteraction(customer_id, channel, kind, at, **fields))
        self.data.moments.append(recorded.occurred_at)
        recorded_id: UUID = recorded.id
        return recorded_id

    async def interactions_and_cases(self, customers: dict[str, UUID]) -> None:
        now = self.clock.now()
        stores, staff = list(self.store.values()), list(self.staff.values())
        touches = []
        for number, channel in enumerate(Channel):
            # Every other one on a whole second, the rest with microseconds.
            at = now - timedelta(days=number + 1, microseconds=123457 * (number % 2))
            touches.append(await self.record(
                customers["zoe" if number % 3 else "organisation"], channel,
                at.replace(microsecond=0) if number % 2 == 0 else at,
                direction=list(Direction)[number % 3],
                summary=None if number % 4 == 0 else f"{channel.value} touchpoint {number}",
                payload=_PAYLOADS[number % 3],
                store_id=stores[number % len(stores)] if number % 3 != 2 else None,
                staff_id=staff[number % len(staff)] if number % 2 else None,
                geo=_GEOS[number % 5], place="Counter 3, 三里屯" if number % 5 == 0 else None,
            ))
        for number in range(6):
            at = now - timedelta(hours=number * 7 + 1)
            await self.record(customers[f"filler{number}"],
                              Channel.POS if number % 2 else Channel.WEB,
                              at.replace(microsecond=0) if number % 2 else at, kind="purchase")
        twin_call = await self.record(customers["lisa_twin"], Channel.PHONE,
                                      now - timedelta(days=3), kind="call",
                                      summary="asked about the film tie-in")
        await self.cases(customers, touches[1], twin_call, now)

    async def cases(self, customers: dict[str, UUID], touch: UUID, twin_call: UUID,
                    now: datetime) -> None:
        """Every status, routed by rules or given to an owner, some from interactions."""
        use, store = self.use, self.store
        urgent = await use.cases.open_case(OpenCase(
            CaseKind.COMPLAINT, "Wrong size delivered", customers["zoe"],
            priority=CasePriority.URGENT, channel=Channel.WEB, store_id=store["bj-sanlitun"],
            owner_id=self.staff["agot@example.com"]))
        await self.record(customers["zoe"], Channel.VISIT, now - timedelta(minutes=30),
                          kind="follow-up", case_id=urgent.id)
        await use.cases.open_case(OpenCase(CaseKind.ENQUIRY, "Stock of 成都 store?",
                                     customers["family"], priority=CasePriority.LOW))
        started = await use.cases.open_case(OpenCase(CaseKind.REQUEST, "Alteration",
                                               interaction_id=touch, category="fit",
                                               store_id=store["bj-sanlitun"]))
        await use.cases.start_case(StartCase(started.id))
        resolved = await use.cases.open_case(OpenCase(
            CaseKind.REQUEST, "Return a scarf", customers["organisation"], channel=Channel.WEB,
            description='"too long" \\ 太长'))
        await use.cases.start_case(StartCase(resolved.id))
        await use.cases.resolve_case(ResolveCase(
            resolved.id, "Refunded", follow_up_at=now + timedelta(days=2, microseconds=7)))
        closed = await use.cases.open_case(OpenCase(CaseKind.COMPLAINT, "Rude reply",
                                              customers["emoji"], priority=CasePriority.HIGH))
        await use.cases.start_case(StartCase(closed.id))
        await use.cases.resolve_case(ResolveCase(closed.id, "Apologised"))
        await use.cases.close_case(CloseCase(closed.id))
        reopened = await use.cases.open_case(OpenCase(CaseKind.COMPLAINT, "Zip again",
                                                customers["family"], category="product-quality"))
        await use.cases.start_case(StartCase(reopened.id))
        await use.cases.resolve_case(ResolveCase(reopened.id, "Replaced"))
        await use.cases.reopen_case(ReopenCase(reopened.id))
        await use.cases.open_case(
            OpenCase(CaseKind.ENQUIRY, "Film tie-in", interaction_id=twin_call))
        with whole_seconds(self.clock, now.replace(microsecond=0) - timedelta(days=9)):
            await use.cases.open_case(OpenCase(CaseKind.REQUEST, "Old request", customers["bare"],
                                         priority=CasePriority.URGENT))

    async def loyalty(self, customers: dict[str, UUID]) -> None:
        """Besides the demo's (Mrs. Li, Lisa): members of both programmes at every kind of
        standing, with every kind of ledger entry, returns, overrides in force and lapsed,
        and points expiring within days."""
        use, now = self.use, self.clock.now()
        self.data.programmes = [PROGRAMME_CODE, MILES]
        await use.loyalty.save_programme(SaveProgramme(
            MILES, "Sky Miles 里程", "JPY", (
                TierSpec("base", "Base", Decimal(0)),
                TierSpec("plus", "Plus", Decimal(1000), Decimal("2.5"), Decimal("1.125"),
                         ("lounge",)),
                TierSpec("top", "Top 顶级", Decimal("5000.5"), Decimal(7), Decimal(2)),
            ),
            measure=QualifyingMeasure.POINTS, window=QualificationWindow.CALENDAR_YEAR,
            downgrade=DowngradePolicy.NEVER, points_per_unit=Decimal("0.1"),
            points_expire_after_months=1, point_value=Decimal("0.5"),
            time_zone="America/New_York",
            bonus_rules=(BonusRuleSpec("Films", Decimal("1.5"), category="films"),
                         BonusRuleSpec("New year", Decimal(3),
                                       starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 3))),
            rewards=(RewardSpec("seat", "Seat upgrade", 100, "an aisle seat"),
                     RewardSpec("old", "Retired reward", 50, active=False)),
        ))
        store = self.store["bj-sanlitun"]

        async def buy(who: str, order: str, days: float, *lines: LineInput,
                      programme: str | None = None, currency: str = "CNY") -> UUID:
            total = sum((line.quantity * line.unit_price - line.discount for line in lines),
                        Decimal(0))
            recorded = await use.loyalty.record_purchase(RecordPurchase(
                customers[who], SalesChannel.POS if days % 2 else SalesChannel.WEB, order,
                now - timedelta(days=days, microseconds=int(days * 1000) % 7), currency,
                total, lines, store_id=store if days % 3 else None, programme_code=programme))
            purchase: UUID = recorded.purchase.id
            return purchase

        coat = LineInput("COAT-01", 1, Decimal("4800.00"), name="Wool coat 大衣",
                         category="outerwear", margin=Decimal("1200.50"))
        scarf = LineInput("SCARF-05", 3, Decimal("300.00"), Decimal("50.00"),
                          category="accessories")
        ticket = LineInput("FILM-2", 2, Decimal(1800), category="films")
        bag = LineInput("BAG-9", 1, Decimal(25000), name='The "big" bag \\')
        # Zoë: both programmes; her miles earned weeks ago expire within days.
        await buy("zoe", "RICH-Z1", 5, coat, scarf)
        await buy("zoe", "RICH-Z2", 1.5, scarf)
        await buy("zoe", "RICH-M1", 20, ticket, programme=MILES, currency="JPY")
        miles = await buy("zoe", "RICH-M2", 3, ticket, bag, programme=MILES, currency="JPY")
        await use.loyalty.refund_purchase(RefundPurchase(
            "RICH-M2-R1", now - timedelta(days=2), purchase_id=miles,
            lines=(RefundLineInput(1, 1),)))
        await use.loyalty.refund_purchase(RefundPurchase(
            "RICH-M2-R2", now - timedelta(days=1, hours=3), purchase_id=miles,
            lines=(RefundLineInput(1, 1), RefundLineInput(2, 1))))
        await use.loyalty.pay_with_points(PayWithPoints(customers["zoe"], 7, "ORDER-7",
                                                        programme_code=MILES))
        await use.loyalty.adjust_points(AdjustPoints(customers["zoe"], 250, "goodwill 补偿",
                                                     programme_code=MILES))
        await use.loyalty.adjust_points(AdjustPoints(customers["zoe"], -20, "correction",
                                                     programme_code=MILES))
        await use.loyalty.redeem_reward(RedeemReward(customers["zoe"], "seat",
                                                     programme_code=MILES))
        # The family: Gold by hand until next year; a Top override that lapses (see the
        # five hours at the end of seed_rich_data).
        await buy("family", "RICH-F1", 40, coat)
        await buy("family", "RICH-F2", 38, bag, programme=MILES, currency="JPY")
        await use.loyalty.override_tier(OverrideTier(customers["family"], "gold", "VIP 贵宾",
                                                     expires_at=now + timedelta(days=400)))
        await use.loyalty.override_tier(OverrideTier(customers["family"], "top", "trial",
                                                     expires_at=now + timedelta(hours=2),
                                                     programme_code=MILES))
        # Top of the demo programme; an override given and lifted.
        await buy("organisation", "RICH-O1", 10, bag, bag)
        await use.loyalty.override_tier(OverrideTier(customers["organisation"], "member",
                                                     "test", programme_code=PROGRAMME_CODE))
        await use.loyalty.override_tier(OverrideTier(customers["organisation"], None, "lifted"))
        for number in range(4):
            await buy(f"filler{number}", f"RICH-C{number}", number * 2 + 0.5,
                      scarf if number % 2 else coat,
                      programme=MILES if number == 3 else None,
                      currency="JPY" if number == 3 else "CNY")
        await use.loyalty.expire_points(ExpirePoints(MILES))

    async def merge_and_archive(self, customers: dict[str, UUID]) -> None:
        use, data = self.use, self.data
        await use.customers.merge_customers(
            MergeCustomers(customers["lisa"], customers["lisa_twin"]))
        await use.customers.merge_customers(MergeCustomers(customers["organisation"],
                                                 customers["organisation_twin"]))
        await use.customers.archive_customer(ArchiveCustomer(customers["archived"]))
        # Listed nowhere any more, but its id still reads, with erasedAt set.
        await use.customers.erase_customer(EraseCustomer(customers["filler11"], "DSR-0001"))
        gid = {key: to_global_id("Customer", value) for key, value in customers.items()}
        data.li, data.lisa, data.archived = gid["li"], gid["lisa"], gid["archived"]
        data.merged = {gid["lisa_twin"]: gid["lisa"],
                       gid["organisation_twin"]: gid["organisation"]}

    async def collect(self, container: Container) -> None:
        """Every row's global id, and the demo complaint's."""
        async with container.engine.connect() as connection:
            for type_name, table in _TABLES_OF_TYPES.items():
                rows = await connection.execute(text(f"SELECT id FROM {table} ORDER BY id"))
                self.data.ids[type_name] = [to_global_id(type_name, r.id) for r in rows]
            complaint = (await connection.execute(
                text("SELECT result_id FROM idempotency_keys WHERE key = :key"),
                {"key": LI_COMPLAINT_KEY})).scalar_one()
        self.data.complaint = to_global_id("Case", UUID(str(complaint)))


def astuple_ref(ref: ExternalReferenceInput) -> tuple[str, str]:
    return ref.system, ref.value


def _organisation(owner: UUID) -> CreateCustomer:
    return CreateCustomer(
        profile={
            "kind": CustomerKind.ORGANISATION, "display_name": '"Silk Road" Trading \\ Co.',
            "tags": ("b2b", "distributor", "会员"), "interests": ("silk",),
            "custom_attributes": {"tier": "gold", "credit": 1.5, "limit": 200000,
                                  "contacts": [1, 2.25, {"note": None, "名": "值"}],
                                  "active": True},
            "owner_id": owner,
        },
        contact_points=(
            ContactPointInput(ContactKind.ADDRESS, "88 Nanjing Rd, 上海", label="office"),
            ContactPointInput(ContactKind.EMAIL, "Orders@SilkRoad.example.com", verified=True,
                              consents=(ConsentInput(ConsentPurpose.MARKETING_EMAIL, True,
                                                     source="paper form"),
                                        ConsentInput(ConsentPurpose.PARTNER_SHARING, False))),
            ContactPointInput(ContactKind.SOCIAL, "silkroad_official", platform="weibo"),
            ContactPointInput(ContactKind.PHONE, "+86 21 5555 0100",
                              consents=(ConsentInput(ConsentPurpose.MARKETING_PHONE, False),)),
        ),
        external_refs=(ExternalReferenceInput("erp", "SR-0001"),
                       ExternalReferenceInput("shop", "org-7")),
    )


def _zoe(home_store: UUID) -> CreateCustomer:
    return CreateCustomer(
        profile={
            "display_name": 'Zoë "Zee" O\'Neil\\', "given_name": "Zoë", "family_name": "O'Neil",
            "gender": Gender.OTHER, "birth_date": date(1990, 2, 28), "occupation": "architect",
            "interests": ("films", "running"), "tags": ("vip",),
            "preferences": ("vegan", "size S"), "home_store_id": home_store,
        },
        contact_points=(ContactPointInput(ContactKind.EMAIL, "zoe@example.com", verified=True),),
        external_refs=(ExternalReferenceInput("pos-card", "BJ-000042"),),
    )


def _family(home_store: UUID, owner: UUID) -> CreateCustomer:
    return CreateCustomer(
        profile={"display_name": "Zhang Family 张家", "gender": Gender.MALE,
                 "tags": ("vip", "villa-owner"), "home_store_id": home_store, "owner_id": owner},
        household=(
            HouseholdMemberInput("张小红", Relationship.CHILD, date(2015, 6, 1), (
                ImportantDateInput(Occasion.BIRTHDAY, date(2015, 6, 1), "her birthday"),
                ImportantDateInput(Occasion.GRADUATION, date(2027, 7, 1)),
            )),
            HouseholdMemberInput("Grandpa Zhang", Relationship.PARENT),
            HouseholdMemberInput("Mei", Relationship.SPOUSE, date(1980, 12, 31), (
                ImportantDateInput(Occasion.ANNIVERSARY, date(2005, 5, 20), 'our "day"'),
                ImportantDateInput(Occasion.OTHER, date(2026, 12, 24)),
            )),
        ),
        external_refs=(ExternalReferenceInput("wechat", "o-zhang-family"),),
    )
