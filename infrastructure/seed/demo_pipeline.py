"""The sales floor of DESIGN.md §1 as demo data: its pipeline (phone contact → meeting →
product inspection → contract signed → pickup/delivery, then won or lost), prospects in
every state of a lead, and deals in every stage with their history, each step dated from
the pipeline's creation so that a second seeding replays the first.

The clerks work their own stores: Wang Fang Mrs. Li's in Hangzhou, Chen Jing Lisa's in
Jing'an. Mrs. Qian came recommended by Mrs. Li; her lead was qualified into a deal.
"""

from dataclasses import dataclass
from decimal import Decimal

from domain.interactions.model import Channel
from domain.pipeline.commands import CreatePipeline, StageSpec
from domain.pipeline.model import DealProduct, StageKind

SALES_FLOOR = "sales-floor"
PHONE, MEETING, INSPECTION, CONTRACT, PICKUP = (
    "Phone contact", "Meeting", "Product inspection", "Contract signed", "Pickup/delivery")
WON, LOST = "Won", "Lost"


def sales_floor() -> CreatePipeline:
    return CreatePipeline(
        code=SALES_FLOOR, name="Sales floor", currency="CNY", stages=(
            StageSpec(PHONE, probability=Decimal("0.1"), sla_days=3),
            StageSpec(MEETING, probability=Decimal("0.3"), sla_days=7),
            StageSpec(INSPECTION, probability=Decimal("0.5"), sla_days=7),
            StageSpec(CONTRACT, probability=Decimal("0.8"), sla_days=14),
            StageSpec(PICKUP, probability=Decimal("0.9"), sla_days=7),
            StageSpec(WON, StageKind.WON),
            StageSpec(LOST, StageKind.LOST),
        ))


@dataclass(frozen=True)
class Step:
    """A move `days_before` the pipeline's creation: to `stage`, lost with `lost_reason`,
    or reopened with `reopen_reason`."""

    stage: str
    days_before: float
    lost_reason: str | None = None
    reopen_reason: str | None = None


@dataclass(frozen=True)
class DemoDeal:
    key: str  # its idempotency key is demo:deal:<key>
    customer: str  # "li", "lisa", or a prospect's key
    title: str
    amount: str
    store: str
    clerk: str
    opened_days_before: float
    close_in_days: int  # expected to close this many days after the pipeline's creation
    steps: tuple[Step, ...] = ()
    products: tuple[DealProduct, ...] = ()
    channel: Channel | None = None
    campaign: str | None = None


@dataclass(frozen=True)
class Prospect:
    """A lead, for a new customer created with it."""

    key: str  # its idempotency key is demo:lead:<key>
    display_name: str
    store: str
    clerk: str
    channel: Channel
    campaign: str | None = None
    referred_by: str | None = None  # "li"
    follow_up_in_days: int | None = None
    call: str | None = None  # a call on her timeline since: the lead is CONTACTED
    unqualified: str | None = None  # why there is no intent
    qualified: str | None = None  # the key of the deal qualifying it opened


def demo_deals(hangzhou: str, jingan: str, wang: str, chen: str) -> tuple[DemoDeal, ...]:
    return (
        DemoDeal("li-cashmere", "li", "Cashmere coat, camel", "6800.00", hangzhou, wang, 34, -10,
                 (Step(MEETING, 31), Step(INSPECTION, 27), Step(CONTRACT, 20), Step(PICKUP, 12),
                  Step(WON, 10)), (DealProduct("WW-CASH-CARDI-02"),), Channel.VISIT),
        DemoDeal("li-scarves", "li", "Silk scarves for her daughter-in-law", "1836.00",
                 hangzhou, wang, 25, 20,
                 (Step(MEETING, 23), Step(LOST, 18, lost_reason="Waiting for the spring prints"),
                  Step(MEETING, 6, reopen_reason="The spring prints came in; she called back")),
                 (DealProduct("WW-SCARF-05", 4),), Channel.PHONE),
        DemoDeal("li-boots", "li", "Winter boots", "2400.00", hangzhou, wang, 15, 3,
                 (Step(MEETING, 13), Step(INSPECTION, 10), Step(CONTRACT, 7), Step(PICKUP, 2)),
                 channel=Channel.VISIT),
        DemoDeal("li-gloves", "li", "Leather gloves for her husband", "880.00", hangzhou, wang,
                 5, 25, channel=Channel.PHONE),
        DemoDeal("lisa-dress", "lisa", "Evening dress for the film festival", "3600.00",
                 jingan, chen, 12, 15, (Step(MEETING, 10), Step(INSPECTION, 5)),
                 (DealProduct("WW-LINEN-DRESS-03"),), Channel.SOCIAL, "film-festival"),
        DemoDeal("lisa-tote", "lisa", "Leather tote", "5200.00", jingan, chen, 28, 10,
                 (Step(MEETING, 26), Step(INSPECTION, 22), Step(CONTRACT, 15)),
                 channel=Channel.CHECK_IN),
        DemoDeal("lisa-trench", "lisa", "Trench coat", "2980.00", jingan, chen, 20, 5,
                 (Step(MEETING, 18), Step(LOST, 14, lost_reason="Bought a down jacket instead")),
                 (DealProduct("WW-WOOL-COAT-04"),), Channel.SOCIAL),
    )


def prospects(hangzhou: str, jingan: str, wang: str, chen: str) -> tuple[Prospect, ...]:
    return (
        Prospect("zhao", "赵敏 Ms. Zhao", jingan, chen, Channel.SOCIAL, "spring-coats",
                 follow_up_in_days=2),
        Prospect("wu", "吴强 Mr. Wu", hangzhou, wang, Channel.PHONE, follow_up_in_days=5,
                 call="Called back: wants a suit for his son's wedding"),
        Prospect("sun", "孙丽 Ms. Sun", hangzhou, wang, Channel.VISIT,
                 unqualified="Browsing for a friend: no intent"),
        Prospect("qian", "钱芳 Mrs. Qian", hangzhou, wang, Channel.OTHER, referred_by="li",
                 qualified="qian-coat"),
    )


# The deal Mrs. Qian's lead opened, two days before the pipeline's creation.
QIAN_DEAL = ("Wool coat, navy", "4800.00", 2, 30)
