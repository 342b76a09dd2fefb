"""Sales pipeline types: pipelines and stages, deals and their history, leads, the board,
and the analytics. Every nested read goes through a DataLoader (api/graphql/loaders.py);
"stalled" and days in stage are read as of the request (`info.context.now`).

A deal is shown to whoever reaches it (a clerk: her stores' and her own), its customer
with it; a customer's and a staff member's deals are filtered by the same reach.
"""

import asyncio
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import strawberry

from api.graphql.cases.types import CaseType
from api.graphql.context import Info
from api.graphql.customers.types import CustomerType, load_customer
from api.graphql.interactions.types import ChannelEnum, InteractionType
from api.graphql.loaders import PageKey
from api.graphql.loyalty.types import PurchaseType, load_purchase
from api.graphql.money import MoneyType
from api.graphql.organisation.types import StaffType, StoreType, load_staff, load_store
from api.graphql.permissions import require_field_operation
from api.graphql.relay import (
    Connection,
    Node,
    connection_parts,
    page_request,
    parse_global_id,
    to_global_id,
)
from api.graphql.same_named import same_named
from domain.pipeline import analytics, model
from domain.pipeline.queries import (
    AnalyticsScope,
    BoardColumn,
    BoardFilter,
    DealFilter,
    DealOrder,
)
from domain.pipeline.rules import weighted
from domain.shared.access import Operation
from domain.shared.paging import Page, PageRequest

# GraphQL enums are the domain's classes themselves, registered under their schema names.
StageKindEnum = model.StageKind
strawberry.enum(StageKindEnum, name="PipelineStageKind")
DealStatusEnum = model.DealStatus
strawberry.enum(DealStatusEnum, name="DealStatus")
LeadStatusEnum = model.LeadStatus
strawberry.enum(LeadStatusEnum, name="LeadStatus")
MoveKindEnum = model.MoveKind
strawberry.enum(MoveKindEnum, name="DealMoveKind")
DealOrderEnum = DealOrder
strawberry.enum(DealOrderEnum, name="DealOrder")


async def load_stage(info: Info, stage_id: UUID) -> model.Stage:
    stage = await info.context.loaders.stage.load(stage_id)
    assert stage is not None, f"stage {stage_id} is missing"
    return stage


async def load_pipeline(info: Info, pipeline_id: UUID) -> model.Pipeline:
    pipeline = await info.context.loaders.pipeline.load(pipeline_id)
    assert pipeline is not None, f"pipeline {pipeline_id} is missing"
    return pipeline


# --- pipelines and stages ----------------------------------------------------------------


@strawberry.type(name="PipelineStage", description="A step of a pipeline: open (the deal is "
                                                   "worked), won or lost.")
class PipelineStageType(Node):
    pipeline_uuid: strawberry.Private[UUID]
    name: str
    position: int = strawberry.field(description="Its place in the pipeline, from 1.")
    kind: StageKindEnum
    probability: Decimal = strawberry.field(
        description="The chance a deal in it is won, 0 to 1: what weighs its amount.")
    sla_days: int | None = strawberry.field(
        description="Days a deal is expected to stay; longer, it is stalled. Null: no limit.")
    retired_at: datetime | None = strawberry.field(
        description="Retired: it takes no more deals, and its history stays.")

    @classmethod
    def from_domain(cls, stage: model.Stage) -> "PipelineStageType":
        return cls(id=to_global_id("PipelineStage", stage.id), pipeline_uuid=stage.pipeline_id,
                   **same_named(cls, stage))

    @strawberry.field
    async def pipeline(self, info: Info) -> "PipelineType":
        return PipelineType.from_domain(await load_pipeline(info, self.pipeline_uuid))


@strawberry.type(name="Pipeline", description="Ordered sales stages a deal moves through.")
class PipelineType(Node):
    record: strawberry.Private[model.Pipeline]
    code: str
    name: str
    currency_code: str = strawberry.field(description="Every deal's amount is in it.")
    allow_skips: bool = strawberry.field(
        description="False: a deal goes forward one open stage at a time and is won from the "
                    "last one.")
    version: int = strawberry.field(description="Pass as expectedVersion when changing it or "
                                                "its stages.")
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def from_domain(cls, pipeline: model.Pipeline) -> "PipelineType":
        return cls(id=to_global_id("Pipeline", pipeline.id), record=pipeline,
                   currency_code=pipeline.currency, **same_named(cls, pipeline))

    @strawberry.field(description="In order; retired ones only when asked.")
    def stages(self, include_retired: bool = False) -> list[PipelineStageType]:
        shown = self.record.stages if include_retired else self.record.active_stages
        return [PipelineStageType.from_domain(stage) for stage in shown]


# --- deals --------------------------------------------------------------------------------


@strawberry.type(name="DealSource", description="Where a lead or a deal came from.")
class DealSourceType:
    record: strawberry.Private[model.Source]
    channel: ChannelEnum | None
    campaign: str | None

    @classmethod
    def from_domain(cls, source: model.Source) -> "DealSourceType":
        return cls(record=source, **same_named(cls, source))

    @strawberry.field(description="The customer who referred this one.")
    async def referred_by(self, info: Info) -> CustomerType | None:
        referrer = self.record.referred_by_id
        return None if referrer is None else await load_customer(info, referrer)

    @strawberry.field(description="The interaction that started it.")
    async def interaction(self, info: Info) -> InteractionType | None:
        if self.record.interaction_id is None:
            return None
        found = await info.context.loaders.interaction.load(self.record.interaction_id)
        return InteractionType.from_domain(found) if found else None


@strawberry.type(name="DealProduct", description="A product the customer is interested in.")
class DealProductType:
    sku: str
    quantity: int


@strawberry.type(name="DealMove", description="One step of a deal's history: from where, to "
                                              "where, when and who. Never changed.")
class DealMoveType:
    record: strawberry.Private[model.DealMove]
    kind: MoveKindEnum
    moved_at: datetime
    moved_by: str = strawberry.field(description="Who moved it: a clerk, an API client.")
    reason: str | None = strawberry.field(description="Why it was lost or reopened.")

    @classmethod
    def from_domain(cls, move: model.DealMove) -> "DealMoveType":
        return cls(record=move, **same_named(cls, move))

    @strawberry.field(name="from", description="Null for the opening.")
    async def from_stage(self, info: Info) -> PipelineStageType | None:
        stage_id = self.record.from_stage_id
        return None if stage_id is None else PipelineStageType.from_domain(
            await load_stage(info, stage_id))

    @strawberry.field(name="to")
    async def to_stage(self, info: Info) -> PipelineStageType:
        return PipelineStageType.from_domain(await load_stage(info, self.record.to_stage_id))

    @strawberry.field(description="The clerk who moved it, when one did.")
    async def staff(self, info: Info) -> StaffType | None:
        return await load_staff(info, self.record.staff_id)


@strawberry.type(name="Deal", description="A sale being worked: in one stage of its pipeline "
                                          "at a time, every move recorded.")
class DealType(Node):
    record: strawberry.Private[model.Deal]
    title: str
    amount: MoneyType
    status: DealStatusEnum
    lost_reason: str | None
    expected_close_on: date | None
    opened_at: datetime
    stage_entered_at: datetime = strawberry.field(description="When it came into its stage.")
    closed_at: datetime | None = strawberry.field(description="When it was won or lost.")
    updated_at: datetime
    version: int = strawberry.field(description="Pass as expectedVersion when moving or "
                                                "editing it.")
    source: DealSourceType
    products: list[DealProductType] = strawberry.field(description="Products of interest.")

    @classmethod
    def from_domain(cls, deal: model.Deal) -> "DealType":
        return cls(id=to_global_id("Deal", deal.id), record=deal,
                   amount=MoneyType.of(deal.amount, deal.currency),
                   source=DealSourceType.from_domain(deal.source),
                   products=[DealProductType(sku=p.sku, quantity=p.quantity)
                             for p in deal.products],
                   **same_named(cls, deal))

    @strawberry.field(description="Its amount times its stage's probability.")
    async def weighted_amount(self, info: Info) -> MoneyType:
        stage = await load_stage(info, self.record.stage_id)
        return MoneyType.of(weighted(self.record.amount, stage, self.record.currency),
                            self.record.currency)

    @strawberry.field(description="Open, in its stage longer than the stage's SLA.")
    async def stalled(self, info: Info) -> bool:
        stage = await load_stage(info, self.record.stage_id)
        return analytics.is_stalled(self.record, stage, info.context.now)

    @strawberry.field(description="Days in its current stage, so far.")
    def days_in_stage(self, info: Info) -> float:
        elapsed = info.context.now - self.record.stage_entered_at
        return round(elapsed.total_seconds() / analytics.SECONDS_A_DAY, 2)

    @strawberry.field
    async def customer(self, info: Info) -> CustomerType:
        return await load_customer(info, self.record.customer_id)

    @strawberry.field
    async def pipeline(self, info: Info) -> PipelineType:
        return PipelineType.from_domain(await load_pipeline(info, self.record.pipeline_id))

    @strawberry.field
    async def stage(self, info: Info) -> PipelineStageType:
        return PipelineStageType.from_domain(await load_stage(info, self.record.stage_id))

    @strawberry.field
    async def owner(self, info: Info) -> StaffType | None:
        return await load_staff(info, self.record.owner_id)

    @strawberry.field
    async def store(self, info: Info) -> StoreType | None:
        return await load_store(info, self.record.store_id)

    @strawberry.field(description="The lead that opened it, if one did.")
    async def lead(self, info: Info) -> "LeadType | None":
        if self.record.lead_id is None:
            return None
        found = await info.context.loaders.lead.load(self.record.lead_id)
        return LeadType.from_domain(found) if found else None

    @strawberry.field(description="The sale that won it at pickup, when one was recorded.")
    async def purchase(self, info: Info) -> PurchaseType | None:
        return await load_purchase(info, self.record.purchase_id)

    @strawberry.field(description="Every move, oldest first: the opening, moves, a win or a "
                                  "loss, reopenings.")
    async def history(self, info: Info) -> list[DealMoveType]:
        moves = await info.context.loaders.deal_moves.load(self.record.id)
        return [DealMoveType.from_domain(move) for move in moves]

    @strawberry.field(description="Interactions linked to it, in the order linked.")
    async def interactions(self, info: Info) -> list[InteractionType]:
        links = await info.context.loaders.deal_links.load(self.record.id)
        loader = info.context.loaders.interaction
        found = await asyncio.gather(*(loader.load(link.interaction_id) for link in links
                                       if link.interaction_id is not None))
        return [InteractionType.from_domain(i) for i in found if i is not None]

    @strawberry.field(description="Cases linked to it, in the order linked.")
    async def cases(self, info: Info) -> list[CaseType]:
        links = await info.context.loaders.deal_links.load(self.record.id)
        loader = info.context.loaders.case
        found = await asyncio.gather(*(loader.load(link.case_id) for link in links
                                       if link.case_id is not None))
        return [CaseType.from_domain(case) for case in found if case is not None]


@strawberry.type
class DealConnection(Connection[DealType]):
    pass


def deals_connection(page: Page[model.Deal]) -> DealConnection:
    return DealConnection(**connection_parts(page, DealType.from_domain))


# --- leads --------------------------------------------------------------------------------


@strawberry.type(name="Lead", description="A prospect being qualified: a target opens a deal, "
                                          "no intent is set aside with a reason.")
class LeadType(Node):
    record: strawberry.Private[model.Lead]
    status: LeadStatusEnum
    source: DealSourceType
    next_follow_up_on: date | None
    unqualified_reason: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = strawberry.field(description="When it was qualified or not.")
    version: int

    @classmethod
    def from_domain(cls, lead: model.Lead) -> "LeadType":
        return cls(id=to_global_id("Lead", lead.id), record=lead,
                   source=DealSourceType.from_domain(lead.source), **same_named(cls, lead))

    @strawberry.field
    async def customer(self, info: Info) -> CustomerType:
        return await load_customer(info, self.record.customer_id)

    @strawberry.field
    async def owner(self, info: Info) -> StaffType | None:
        return await load_staff(info, self.record.owner_id)

    @strawberry.field
    async def store(self, info: Info) -> StoreType | None:
        return await load_store(info, self.record.store_id)

    @strawberry.field(description="The deal qualifying it opened.")
    async def deal(self, info: Info) -> DealType | None:
        if self.record.deal_id is None:
            return None
        found = await info.context.loaders.deal.load(self.record.deal_id)
        return DealType.from_domain(found) if found else None

    @strawberry.field(description="Interactions on her timeline since the lead came in.")
    async def follow_ups(self, info: Info) -> int:
        return (await info.context.loaders.follow_ups.load(self.record.id)).count

    @strawberry.field(description="The latest of them.")
    async def last_follow_up_at(self, info: Info) -> datetime | None:
        return (await info.context.loaders.follow_ups.load(self.record.id)).last_at


@strawberry.type
class LeadConnection(Connection[LeadType]):
    pass


# --- the board ----------------------------------------------------------------------------


@strawberry.type(name="PipelineBoardColumn",
                 description="A stage and the deals in it now.")
class BoardColumnType:
    where: strawberry.Private[BoardFilter]
    stage_uuid: strawberry.Private[UUID]
    stage: PipelineStageType
    deal_count: int
    amount: MoneyType = strawberry.field(description="The deals' amounts added up.")
    weighted_amount: MoneyType = strawberry.field(
        description="amount times the stage's probability.")
    stalled_count: int = strawberry.field(description="Deals in it longer than its SLA.")

    @classmethod
    def from_domain(cls, column: BoardColumn, currency: str,
                    where: BoardFilter) -> "BoardColumnType":
        return cls(where=where, stage_uuid=column.stage.id,
                   stage=PipelineStageType.from_domain(column.stage), deal_count=column.deals,
                   amount=MoneyType.of(column.amount, currency),
                   weighted_amount=MoneyType.of(column.weighted_amount, currency),
                   stalled_count=column.stalled)

    @strawberry.field(description="The deals in it, longest in the stage first; every "
                                  "column's page is one statement.")
    async def deals(self, info: Info, first: int | None = None, after: str | None = None,
                    last: int | None = None, before: str | None = None) -> DealConnection:
        key = PageKey(self.stage_uuid, *board_deals_arguments(self.where, first, after, last,
                                                              before))
        return deals_connection(await info.context.loaders.stage_deals.load(key))


def board_deals_arguments(where: BoardFilter, first: int | None = None, after: str | None = None,
                          last: int | None = None, before: str | None = None
                          ) -> tuple[DealFilter, PageRequest]:
    """A board column's page of deals as the query service (and the compiled read) takes it."""
    return where.deals(), page_request(first, after, last, before)


@strawberry.type(name="PipelineBoard", description="Where every deal of a pipeline stands.")
class PipelineBoardType:
    pipeline: PipelineType
    columns: list[BoardColumnType]
    deal_count: int = strawberry.field(description="Open deals: those still in play, in the "
                                                   "open stages.")
    amount: MoneyType = strawberry.field(description="The open deals' amounts added up.")
    weighted_amount: MoneyType = strawberry.field(
        description="The open stages' weighted amounts added up: what the floor expects.")

    @classmethod
    def from_domain(cls, pipeline: model.Pipeline, columns: list[BoardColumn],
                    where: BoardFilter) -> "PipelineBoardType":
        currency = pipeline.currency
        in_play = [c for c in columns if c.stage.kind is model.StageKind.OPEN]
        return cls(
            pipeline=PipelineType.from_domain(pipeline),
            columns=[BoardColumnType.from_domain(column, currency, where)
                     for column in columns],
            deal_count=sum(column.deals for column in in_play),
            amount=MoneyType.of(sum((c.amount for c in in_play), Decimal(0)), currency),
            weighted_amount=MoneyType.of(sum((c.weighted_amount for c in in_play), Decimal(0)),
                                         currency))


# --- analytics ----------------------------------------------------------------------------


@strawberry.type(name="FunnelStep", description="How many deals opened in the range got this "
                                                "far or further (a skipped stage counts as "
                                                "passed).")
class FunnelStepType:
    stage_uuid: strawberry.Private[UUID]
    reached: int
    lost: int = strawberry.field(description="Of them, lost from this stage.")
    conversion_from_previous: float | None = strawberry.field(
        description="reached / the previous step's reached; null for the first step.")

    @strawberry.field
    async def stage(self, info: Info) -> PipelineStageType:
        return PipelineStageType.from_domain(await load_stage(info, self.stage_uuid))


def funnel_steps(steps: list[analytics.FunnelStep]) -> list[FunnelStepType]:
    return [FunnelStepType(stage_uuid=step.stage_id, reached=step.reached, lost=step.lost,
                           conversion_from_previous=None if i == 0 else analytics.rate(
                               step.reached, steps[i - 1].reached))
            for i, step in enumerate(steps)]


@strawberry.type(name="StageTiming", description="Time in an open stage: the stays that "
                                                 "ended in the range, in days.")
class StageTimingType:
    stage_uuid: strawberry.Private[UUID]
    stays: int
    median_days: float | None
    p90_days: float | None
    stalled: int = strawberry.field(description="Open deals in it now, longer than its SLA.")

    @strawberry.field
    async def stage(self, info: Info) -> PipelineStageType:
        return PipelineStageType.from_domain(await load_stage(info, self.stage_uuid))


@strawberry.type(name="DealOutcomes", description="Deals won or lost in the range.")
class OutcomesType:
    won: int
    lost: int
    win_rate: float | None = strawberry.field(description="won / (won + lost).")
    won_amount: MoneyType
    average_cycle_days: float | None = strawberry.field(
        description="From opening to winning, the won deals' average.")

    @classmethod
    def from_domain(cls, outcomes: analytics.Outcomes, currency: str) -> "OutcomesType":
        return cls(won=outcomes.won, lost=outcomes.lost, win_rate=outcomes.win_rate,
                   won_amount=MoneyType.of(outcomes.won_amount, currency),
                   average_cycle_days=outcomes.average_cycle_days)


@strawberry.type(name="OwnerOutcomes")
class OwnerOutcomesType:
    owner_uuid: strawberry.Private[UUID | None]
    outcomes: OutcomesType

    @strawberry.field(description="Null: the deals nobody owns.")
    async def owner(self, info: Info) -> StaffType | None:
        return await load_staff(info, self.owner_uuid)


@strawberry.type(name="StoreOutcomes")
class StoreOutcomesType:
    store_uuid: strawberry.Private[UUID | None]
    outcomes: OutcomesType

    @strawberry.field(description="Null: the deals of no store.")
    async def store(self, info: Info) -> StoreType | None:
        return await load_store(info, self.store_uuid)


@strawberry.type(name="ForecastMonth", description="Open deals expected to close in a month.")
class ForecastMonthType:
    month: str = strawberry.field(description="YYYY-MM.")
    deals: int
    amount: MoneyType
    weighted_amount: MoneyType = strawberry.field(
        description="Each deal's amount times its stage's probability, added up.")


@strawberry.type(name="LeadSourceConversion", description="Leads that came in in the range "
                                                          "from one source.")
class LeadSourceType:
    channel: ChannelEnum | None
    campaign: str | None
    referral: bool = strawberry.field(description="Referred by another customer.")
    leads: int
    qualified: int
    unqualified: int
    won: int = strawberry.field(description="Qualified, and their deal won.")
    conversion_rate: float | None = strawberry.field(description="qualified / leads.")

    @classmethod
    def from_domain(cls, source: analytics.SourceConversion) -> "LeadSourceType":
        return cls(conversion_rate=source.conversion_rate, **same_named(cls, source))


@strawberry.type(name="PipelineAnalytics", description=(
    "How a pipeline's stages perform over a range of days, computed in the database "
    "(docs/pipeline.md says what each number means)."))
class PipelineAnalyticsType:
    scope: strawberry.Private[AnalyticsScope]
    currency: strawberry.Private[str]
    pipeline: PipelineType
    from_: date = strawberry.field(name="from")
    to: date

    @strawberry.field(description="The deals opened in the range, stage by stage.")
    async def funnel(self, info: Info) -> list[FunnelStepType]:
        return funnel_steps(await info.context.loaders.funnel.load(self.scope))

    @strawberry.field(description="Time in each open stage, and what is stalled there now.")
    async def stages(self, info: Info) -> list[StageTimingType]:
        timings = await info.context.loaders.stage_timings.load(self.scope)
        return [StageTimingType(stage_uuid=t.stage_id, stays=t.stays, median_days=t.median_days,
                                p90_days=t.p90_days, stalled=t.stalled) for t in timings]

    @strawberry.field(description="Stalled deals in all, now.")
    async def stalled(self, info: Info) -> int:
        return sum(t.stalled for t in await info.context.loaders.stage_timings.load(self.scope))

    @strawberry.field(description="Deals won and lost in the range.")
    async def outcomes(self, info: Info) -> OutcomesType:
        found = await info.context.loaders.outcomes.load(self.scope)
        return OutcomesType.from_domain(found.overall, self.currency)

    @strawberry.field(description="The same, per owner.")
    async def owners(self, info: Info) -> list[OwnerOutcomesType]:
        found = await info.context.loaders.outcomes.load(self.scope)
        return [OwnerOutcomesType(owner_uuid=o.key,
                                  outcomes=OutcomesType.from_domain(o, self.currency))
                for o in found.by_owner]

    @strawberry.field(description="The same, per store.")
    async def stores(self, info: Info) -> list[StoreOutcomesType]:
        found = await info.context.loaders.outcomes.load(self.scope)
        return [StoreOutcomesType(store_uuid=o.key,
                                  outcomes=OutcomesType.from_domain(o, self.currency))
                for o in found.by_store]

    @strawberry.field(description="Open deals expected to close in the range, per month.")
    async def forecast(self, info: Info) -> list[ForecastMonthType]:
        months = await info.context.loaders.forecast.load(self.scope)
        return [ForecastMonthType(month=m.month, deals=m.deals,
                                  amount=MoneyType.of(m.amount, self.currency),
                                  weighted_amount=MoneyType.of(m.weighted_amount, self.currency))
                for m in months]

    @strawberry.field(description="Leads that came in in the range, per source (every lead: "
                                  "a lead is in no pipeline until qualified).")
    async def lead_sources(self, info: Info) -> list[LeadSourceType]:
        sources = await info.context.loaders.lead_sources.load(self.scope)
        return [LeadSourceType.from_domain(source) for source in sources]


# --- fields the pipeline gives other contexts' types --------------------------------------


def deal_arguments(info: Info, status: list[DealStatusEnum] | None, first: int | None,
                   after: str | None, last: int | None, before: str | None
                   ) -> tuple[DealFilter, PageRequest]:
    """A customer's or a staff member's deals, newest first, within the viewer's reach."""
    where = DealFilter(statuses=tuple(model.DealStatus(s) for s in status or ()),
                       reach=info.context.viewer.customer_reach)
    return where, page_request(first, after, last, before)


@strawberry.type
class CustomerPipelineFields:
    """What the pipeline gives a customer (added to Customer in schema.py)."""

    @strawberry.field(description="Her deals, newest first (a clerk's: those of her stores "
                                  "and her own).")
    async def deals(
        self, root: strawberry.Parent[CustomerType], info: Info,
        status: list[DealStatusEnum] | None = None, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> DealConnection:
        require_field_operation(info, Operation.DEAL_READ)
        key = PageKey(root.uuid, *deal_arguments(info, status, first, after, last, before))
        return deals_connection(await info.context.loaders.customer_deals.load(key))


@strawberry.type
class StaffPipelineFields:
    """What the pipeline gives a member of staff (added to Staff in schema.py)."""

    @strawberry.field(description="The deals she owns, newest first.")
    async def deals(
        self, root: strawberry.Parent[StaffType], info: Info,
        status: list[DealStatusEnum] | None = None, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> DealConnection:
        require_field_operation(info, Operation.DEAL_READ)
        staff_id = _uuid_of_node(root)
        key = PageKey(staff_id, *deal_arguments(info, status, first, after, last, before))
        return deals_connection(await info.context.loaders.owner_deals.load(key))


def _uuid_of_node(node: Node) -> UUID:
    parsed = parse_global_id(node.id)
    assert parsed is not None, "a node's own id"
    return parsed[1]
