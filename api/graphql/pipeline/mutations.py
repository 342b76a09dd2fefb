"""Pipeline mutations: each translates its input into a command, runs the use case, and
turns what it returns into a payload, or its DomainError into userErrors. Pipelines and
stages are an admin's; leads and deals a clerk's (her stores' and her own)."""

from collections.abc import Callable
from typing import Protocol, TypeVar

import strawberry

from api.graphql.context import Info
from api.graphql.errors import Renames, UserError
from api.graphql.loyalty.types import PurchaseType
from api.graphql.payloads import mutation_payload
from api.graphql.pipeline.inputs import (
    DealCreateInput,
    DealLinkInput,
    DealMoveInput,
    DealReopenInput,
    DealUpdateInput,
    LeadCreateInput,
    LeadDisqualifyInput,
    LeadQualifyInput,
    LeadUpdateInput,
    PipelineCreateInput,
    PipelineStageAddInput,
    PipelineStageRetireInput,
    PipelineStagesReorderInput,
    PipelineStageUpdateInput,
    PipelineUpdateInput,
)
from api.graphql.pipeline.types import DealMoveType, DealType, LeadType, PipelineType
from domain.pipeline.deals import DealMoved
from domain.pipeline.model import Deal, Lead, Pipeline
from infrastructure.bootstrap import UseCase

C = TypeVar("C")
R = TypeVar("R")

# Where a command's field sits in the input when the names differ.
RENAMES: Renames = {
    "currency": ("currency_code",),
    "changes": (),
    "deal.currency": ("deal", "currency_code"),
    "sale.currency": ("sale", "currency_code"),
    "sale.programme_code": ("sale", "programme"),
    "sale.customer_id": ("deal_id",),  # the sale is the deal's customer's
}


@strawberry.type
class PipelinePayload:
    pipeline: PipelineType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="The new pipeline.")
class PipelineCreatePayload(PipelinePayload):
    pass


@strawberry.type(description="The pipeline as saved.")
class PipelineUpdatePayload(PipelinePayload):
    pass


@strawberry.type(description="The pipeline with its new stage.")
class PipelineStageAddPayload(PipelinePayload):
    pass


@strawberry.type(description="The pipeline with the stage as saved.")
class PipelineStageUpdatePayload(PipelinePayload):
    pass


@strawberry.type(description="The pipeline with its stages in their new order.")
class PipelineStagesReorderPayload(PipelinePayload):
    pass


@strawberry.type(description="The pipeline; the stage is retired and keeps its history.")
class PipelineStageRetirePayload(PipelinePayload):
    pass


@strawberry.type
class LeadPayload:
    lead: LeadType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="The new lead (the first one, when its key is replayed).")
class LeadCreatePayload(LeadPayload):
    pass


@strawberry.type(description="The lead as saved.")
class LeadUpdatePayload(LeadPayload):
    pass


@strawberry.type(description="The lead, QUALIFIED, and the deal it opened.")
class LeadQualifyPayload(LeadPayload):
    deal: DealType | None = None


@strawberry.type(description="The lead, UNQUALIFIED.")
class LeadDisqualifyPayload(LeadPayload):
    pass


@strawberry.type
class DealPayload:
    deal: DealType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="The new deal in its first stage (the first one, when its key "
                             "is replayed).")
class DealCreatePayload(DealPayload):
    pass


@strawberry.type(description="The deal as saved.")
class DealUpdatePayload(DealPayload):
    pass


@strawberry.type(description="The deal with the interaction or case linked.")
class DealLinkPayload(DealPayload):
    pass


@strawberry.type
class DealMovedPayload(DealPayload):
    move: DealMoveType | None = strawberry.field(
        default=None, description="The move recorded; null when replayed.")


@strawberry.type(description="The deal in its new stage, the move, and the sale a win "
                             "recorded.")
class DealMovePayload(DealMovedPayload):
    purchase: PurchaseType | None = None
    replayed: bool | None = strawberry.field(
        default=None, description="True: this move was made before; nothing changed.")


@strawberry.type(description="The deal, open again, and its reopening move.")
class DealReopenPayload(DealMovedPayload):
    pass


P = TypeVar("P", covariant=True)


class PipelinePayloadOf(Protocol[P]):
    def __call__(self, *, pipeline: PipelineType | None = None,
                 user_errors: list[UserError] = ...) -> P: ...


class LeadPayloadOf(Protocol[P]):
    def __call__(self, *, lead: LeadType | None = None,
                 user_errors: list[UserError] = ...) -> P: ...


class DealPayloadOf(Protocol[P]):
    def __call__(self, *, deal: DealType | None = None,
                 user_errors: list[UserError] = ...) -> P: ...


async def _pipeline(info: Info, payload: PipelinePayloadOf[R], use_case: UseCase[C, Pipeline],
                    command: Callable[[], C]) -> R:
    return await mutation_payload(
        info, use_case, command, lambda p: payload(pipeline=PipelineType.from_domain(p)),
        payload, RENAMES)


async def _lead(info: Info, payload: LeadPayloadOf[R], use_case: UseCase[C, Lead],
                command: Callable[[], C]) -> R:
    return await mutation_payload(info, use_case, command,
                                  lambda lead: payload(lead=LeadType.from_domain(lead)),
                                  payload, RENAMES)


async def _deal(info: Info, payload: DealPayloadOf[R], use_case: UseCase[C, Deal],
                command: Callable[[], C]) -> R:
    return await mutation_payload(info, use_case, command,
                                  lambda deal: payload(deal=DealType.from_domain(deal)),
                                  payload, RENAMES)


def _moved(moved: DealMoved) -> tuple[DealType, DealMoveType | None]:
    return (DealType.from_domain(moved.deal),
            DealMoveType.from_domain(moved.move) if moved.move else None)


@strawberry.type
class PipelineMutations:
    # --- pipelines and stages (ADMIN) --------------------------------------------------------

    @strawberry.mutation(description="Defines a pipeline and its stages.")
    async def pipeline_create(self, info: Info,
                              input: PipelineCreateInput) -> PipelineCreatePayload:
        return await _pipeline(info, PipelineCreatePayload,
                               info.context.use_cases.pipeline.create_pipeline, input.to_command)

    @strawberry.mutation(description="Renames a pipeline or says whether stages may be skipped.")
    async def pipeline_update(self, info: Info,
                              input: PipelineUpdateInput) -> PipelineUpdatePayload:
        return await _pipeline(info, PipelineUpdatePayload,
                               info.context.use_cases.pipeline.update_pipeline, input.to_command)

    @strawberry.mutation(description="Adds a stage, before another or after the last.")
    async def pipeline_stage_add(self, info: Info,
                                 input: PipelineStageAddInput) -> PipelineStageAddPayload:
        return await _pipeline(info, PipelineStageAddPayload,
                               info.context.use_cases.pipeline.add_stage, input.to_command)

    @strawberry.mutation(description="Renames a stage, or changes its probability or SLA.")
    async def pipeline_stage_update(
        self, info: Info, input: PipelineStageUpdateInput
    ) -> PipelineStageUpdatePayload:
        return await _pipeline(info, PipelineStageUpdatePayload,
                               info.context.use_cases.pipeline.update_stage, input.to_command)

    @strawberry.mutation(description="Puts the active stages in a new order.")
    async def pipeline_stages_reorder(
        self, info: Info, input: PipelineStagesReorderInput
    ) -> PipelineStagesReorderPayload:
        return await _pipeline(info, PipelineStagesReorderPayload,
                               info.context.use_cases.pipeline.reorder_stages, input.to_command)

    @strawberry.mutation(description="Retires a stage no deal is in: it takes no more deals "
                                     "and keeps its history.")
    async def pipeline_stage_retire(
        self, info: Info, input: PipelineStageRetireInput
    ) -> PipelineStageRetirePayload:
        return await _pipeline(info, PipelineStageRetirePayload,
                               info.context.use_cases.pipeline.retire_stage, input.to_command)

    # --- leads (STAFF) -------------------------------------------------------------------------

    @strawberry.mutation(description="A prospect comes in: a customer, or a new one with it.")
    async def lead_create(self, info: Info, input: LeadCreateInput) -> LeadCreatePayload:
        return await _lead(info, LeadCreatePayload, info.context.use_cases.pipeline.create_lead,
                           input.to_command)

    @strawberry.mutation(description="A lead's owner, store or next follow-up.")
    async def lead_update(self, info: Info, input: LeadUpdateInput) -> LeadUpdatePayload:
        return await _lead(info, LeadUpdatePayload, info.context.use_cases.pipeline.update_lead,
                           input.to_command)

    @strawberry.mutation(description="The lead is a target: it opens a deal.")
    async def lead_qualify(self, info: Info, input: LeadQualifyInput) -> LeadQualifyPayload:
        async def answer(lead: Lead) -> LeadQualifyPayload:
            deal = await info.context.loaders.deal.load(lead.deal_id) if lead.deal_id else None
            return LeadQualifyPayload(lead=LeadType.from_domain(lead),
                                      deal=DealType.from_domain(deal) if deal else None)

        return await mutation_payload(info, info.context.use_cases.pipeline.qualify_lead,
                                      input.to_command, answer, LeadQualifyPayload, RENAMES)

    @strawberry.mutation(description="No intent: the lead is set aside with the reason.")
    async def lead_disqualify(self, info: Info,
                              input: LeadDisqualifyInput) -> LeadDisqualifyPayload:
        return await _lead(info, LeadDisqualifyPayload,
                           info.context.use_cases.pipeline.disqualify_lead, input.to_command)

    # --- deals (STAFF) -------------------------------------------------------------------------

    @strawberry.mutation(description="Opens a deal for a customer in a pipeline.")
    async def deal_create(self, info: Info, input: DealCreateInput) -> DealCreatePayload:
        return await _deal(info, DealCreatePayload, info.context.use_cases.pipeline.create_deal,
                           input.to_command)

    @strawberry.mutation(description="An open deal's title, amount, owner, store, expected "
                                     "close date or products.")
    async def deal_update(self, info: Info, input: DealUpdateInput) -> DealUpdatePayload:
        return await _deal(info, DealUpdatePayload, info.context.use_cases.pipeline.update_deal,
                           input.to_command)

    @strawberry.mutation(description="Moves a deal to another stage of its pipeline (a won or "
                                     "lost stage closes it); the move is recorded.")
    async def deal_move(self, info: Info, input: DealMoveInput) -> DealMovePayload:
        def answer(moved: DealMoved) -> DealMovePayload:
            deal, move = _moved(moved)
            purchase = PurchaseType.from_domain(moved.purchase) if moved.purchase else None
            return DealMovePayload(deal=deal, move=move, purchase=purchase,
                                   replayed=moved.replayed)

        return await mutation_payload(info, info.context.use_cases.pipeline.move_deal,
                                      input.to_command, answer, DealMovePayload, RENAMES)

    @strawberry.mutation(description="A won or lost deal back into an open stage.")
    async def deal_reopen(self, info: Info, input: DealReopenInput) -> DealReopenPayload:
        def answer(moved: DealMoved) -> DealReopenPayload:
            deal, move = _moved(moved)
            return DealReopenPayload(deal=deal, move=move)

        return await mutation_payload(info, info.context.use_cases.pipeline.reopen_deal,
                                      input.to_command, answer, DealReopenPayload, RENAMES)

    @strawberry.mutation(description="Links an interaction or a case of the customer to the "
                                     "deal.")
    async def deal_link(self, info: Info, input: DealLinkInput) -> DealLinkPayload:
        return await _deal(info, DealLinkPayload, info.context.use_cases.pipeline.link_to_deal,
                           input.to_command)
