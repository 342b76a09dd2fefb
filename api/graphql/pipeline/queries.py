"""Pipeline queries: the pipelines, a board of where every deal stands, deals and leads by
filters, and a pipeline's analytics over a range of days. Every read is within the
viewer's reach (a clerk: her stores' and her own)."""

from dataclasses import replace
from datetime import date
from typing import Annotated
from uuid import UUID

import strawberry

from api.graphql.context import Info
from api.graphql.permissions import refused_read
from api.graphql.pipeline.types import (
    DealConnection,
    DealOrderEnum,
    DealStatusEnum,
    LeadConnection,
    LeadStatusEnum,
    LeadType,
    PipelineAnalyticsType,
    PipelineBoardType,
    PipelineType,
    deals_connection,
)
from api.graphql.relay import connection_parts, filter_uuid, lookup_uuid, page_request
from domain.pipeline.model import DealStatus, LeadStatus, Pipeline
from domain.pipeline.queries import (
    MAX_RANGE_DAYS,
    AnalyticsScope,
    BoardFilter,
    DealFilter,
    DealOrder,
    LeadFilter,
    analytics_reach,
    days_range,
)
from domain.shared.errors import DomainError


@strawberry.input(description="Every field given must match.")
class DealFilterInput:
    pipeline_id: strawberry.ID | None = None
    stage_id: list[strawberry.ID] | None = strawberry.field(
        default=None, description="In any of these stages.")
    owner_id: strawberry.ID | None = None
    store_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    status: list[DealStatusEnum] | None = None
    stalled: bool | None = strawberry.field(
        default=None, description="true: open and in its stage longer than the stage's SLA; "
                                  "false: not stalled.")
    closes_from: date | None = strawberry.field(
        default=None, description="Expected to close on or after this day.")
    closes_until: date | None = strawberry.field(
        default=None, description="Expected to close on or before this day.")

    def to_domain(self, order: DealOrder) -> DealFilter:
        at = ("filter",)
        return DealFilter(
            pipeline_id=filter_uuid(self.pipeline_id, "Pipeline", (*at, "pipeline_id")),
            stage_ids=tuple(filter(None, (filter_uuid(s, "PipelineStage", (*at, "stage_id"))
                                          for s in self.stage_id or ()))),
            owner_id=filter_uuid(self.owner_id, "Staff", (*at, "owner_id")),
            store_id=filter_uuid(self.store_id, "Store", (*at, "store_id")),
            customer_id=filter_uuid(self.customer_id, "Customer", (*at, "customer_id")),
            statuses=tuple(DealStatus(s) for s in self.status or ()), stalled=self.stalled,
            closes_from=self.closes_from, closes_until=self.closes_until, order=order)


@strawberry.input(description="Every field given must match.")
class LeadFilterInput:
    status: list[LeadStatusEnum] | None = None
    owner_id: strawberry.ID | None = None
    store_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    follow_up_due_by: date | None = strawberry.field(
        default=None, description="Open, with a follow-up due on or before this day.")

    def to_domain(self) -> LeadFilter:
        at = ("filter",)
        return LeadFilter(
            statuses=tuple(LeadStatus(s) for s in self.status or ()),
            owner_id=filter_uuid(self.owner_id, "Staff", (*at, "owner_id")),
            store_id=filter_uuid(self.store_id, "Store", (*at, "store_id")),
            customer_id=filter_uuid(self.customer_id, "Customer", (*at, "customer_id")),
            follow_up_due_by=self.follow_up_due_by)


def board_arguments(
    pipeline_id: str, owner_id: str | None = None, store_id: str | None = None
) -> tuple[UUID | None, UUID | None, UUID | None]:
    """The board's arguments as the query service (and the compiled read) takes them: an id
    of another type finds no pipeline; a bad owner or store id is refused."""
    return (lookup_uuid(pipeline_id, "Pipeline"), filter_uuid(owner_id, "Staff", ("owner_id",)),
            filter_uuid(store_id, "Store", ("store_id",)))


async def _pipeline(info: Info, pipeline_id: strawberry.ID) -> Pipeline | None:
    found = lookup_uuid(pipeline_id, "Pipeline")
    return None if found is None else await info.context.loaders.pipeline.load(found)


@strawberry.type
class PipelineQueries:
    @strawberry.field(description="Every pipeline, by name.")
    async def pipelines(self, info: Info) -> list[PipelineType]:
        return [PipelineType.from_domain(p) for p in await info.context.queries.pipeline
                .pipelines()]

    @strawberry.field(description="A pipeline by id; null when there is none.")
    async def pipeline(self, info: Info, id: strawberry.ID) -> PipelineType | None:
        found = await _pipeline(info, id)
        return PipelineType.from_domain(found) if found else None

    @strawberry.field(description="Where every deal of the pipeline stands: each active stage "
                                  "with its deals' count, amount, weighted amount and its "
                                  "deals, longest in the stage first, of one owner or store "
                                  "if given. One SQL statement (compiled) or a few (executed), "
                                  "however many deals.")
    async def pipeline_board(
        self, info: Info, pipeline_id: strawberry.ID, owner_id: strawberry.ID | None = None,
        store_id: strawberry.ID | None = None,
    ) -> PipelineBoardType | None:
        pipeline_uuid, owner, store = board_arguments(pipeline_id, owner_id, store_id)
        where = BoardFilter(owner_id=owner, store_id=store,
                            reach=info.context.viewer.customer_reach)
        pipeline = None if pipeline_uuid is None else await info.context.loaders.pipeline.load(
            pipeline_uuid)
        if pipeline is None:
            return None
        columns = await info.context.queries.pipeline.board(pipeline.id, where)
        return PipelineBoardType.from_domain(pipeline, columns, where)

    @strawberry.field(description="Deals, newest first or longest in their stage first.")
    async def deals(
        self, info: Info, filter: DealFilterInput | None = None,
        order: DealOrderEnum = DealOrder.NEWEST_FIRST, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> DealConnection:
        request = page_request(first, after, last, before)
        where = (filter or DealFilterInput()).to_domain(DealOrder(order))
        where = replace(where, reach=info.context.viewer.customer_reach)
        return deals_connection(await info.context.queries.pipeline.deals(where, request))

    @strawberry.field(description="Leads, newest first.")
    async def leads(
        self, info: Info, filter: LeadFilterInput | None = None, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> LeadConnection:
        request = page_request(first, after, last, before)
        where = (filter or LeadFilterInput()).to_domain()
        where = replace(where, reach=info.context.viewer.customer_reach)
        page = await info.context.queries.pipeline.leads(where, request)
        return LeadConnection(**connection_parts(page, LeadType.from_domain))

    @strawberry.field(description="How the pipeline's stages perform over a range of days "
                                  f"(both included, at most {MAX_RANGE_DAYS}), of one owner or "
                                  "store if given: funnel, time in stage, stalled deals, "
                                  "outcomes, forecast, lead conversion. Computed in the "
                                  "database.")
    async def pipeline_analytics(
        self, info: Info, pipeline_id: strawberry.ID,
        from_: Annotated[date, strawberry.argument(name="from")], to: date,
        owner_id: strawberry.ID | None = None, store_id: strawberry.ID | None = None,
    ) -> PipelineAnalyticsType | None:
        try:
            since, until = days_range(from_, to)
        except DomainError as refusal:
            raise refused_read(refusal) from None
        scope_of = {"owner_id": filter_uuid(owner_id, "Staff", ("owner_id",)),
                    "store_id": filter_uuid(store_id, "Store", ("store_id",))}
        pipeline = await _pipeline(info, pipeline_id)
        if pipeline is None:
            return None
        scope = AnalyticsScope(pipeline.id, since, until, info.context.now,
                               reach=analytics_reach(info.context.viewer), **scope_of)
        return PipelineAnalyticsType(scope=scope, currency=pipeline.currency,
                                     pipeline=PipelineType.from_domain(pipeline), from_=from_,
                                     to=to)
