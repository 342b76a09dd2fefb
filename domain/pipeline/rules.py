"""The rules of moving a deal, as pure functions of the pipeline and the deal: which moves
are allowed, what kind each is, and what a move does to the deal."""

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from domain.pipeline.model import (
    STATUS_OF_KIND,
    Deal,
    DealStatus,
    MoveKind,
    Pipeline,
    Stage,
    StageKind,
)
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.money import Money

_TO = ("to_stage_id",)


def move_kind(pipeline: Pipeline, deal: Deal, to: Stage) -> MoveKind:
    """What moving `deal` to `to` is, or why it is refused: a closed deal is reopened, not
    moved; a retired stage or another pipeline's takes no deals; without skips a deal goes
    forward one open stage at a time and is won from the last open stage only. Going back,
    and losing a deal, are allowed from any open stage."""
    if deal.closed:
        raise DomainError.single(("deal_id",), ErrorCode.DEAL_CLOSED,
                                 f"the deal is {deal.status.value}; reopen it first")
    _check_target(pipeline, deal, to)
    if to.id == deal.stage_id:
        raise DomainError.single(_TO, ErrorCode.INVALID_TRANSITION,
                                 "the deal is in this stage already")
    if not pipeline.allow_skips and _skips(pipeline, deal.stage_id, to):
        raise DomainError.single(_TO, ErrorCode.STAGE_SKIPPED,
                                 f"{pipeline.name} goes one stage at a time")
    return {StageKind.OPEN: MoveKind.MOVED, StageKind.WON: MoveKind.WON,
            StageKind.LOST: MoveKind.LOST}[to.kind]


def check_reopen(pipeline: Pipeline, deal: Deal, to: Stage) -> None:
    """A won or lost deal goes back into any open stage of its pipeline."""
    if not deal.closed:
        raise DomainError.single(("deal_id",), ErrorCode.INVALID_TRANSITION,
                                 "the deal is open; move it instead")
    _check_target(pipeline, deal, to)
    if to.kind is not StageKind.OPEN:
        raise DomainError.single(_TO, ErrorCode.INVALID_TRANSITION,
                                 "a deal is reopened into an open stage")


def check_opening_stage(pipeline: Pipeline, stage: Stage) -> None:
    """A deal opens in an open stage of its own pipeline that still takes deals."""
    if stage.pipeline_id != pipeline.id:
        raise DomainError.single(("stage_id",), ErrorCode.WRONG_PIPELINE,
                                 f"the stage is not one of {pipeline.name}'s")
    if stage.retired:
        raise DomainError.single(("stage_id",), ErrorCode.STAGE_RETIRED,
                                 f"{stage.name} is retired")
    if stage.kind is not StageKind.OPEN:
        raise DomainError.single(("stage_id",), ErrorCode.INVALID,
                                 "a deal opens in an open stage")


def moved(deal: Deal, to: Stage, kind: MoveKind, at: datetime, reason: str | None) -> Deal:
    """The deal after the move: in its new stage since `at`, closed by a win or a loss
    (a loss keeps its reason), open again after a reopening."""
    status = STATUS_OF_KIND[to.kind]
    return replace(
        deal, stage_id=to.id, stage_entered_at=at, status=status,
        closed_at=at if status is not DealStatus.OPEN else None,
        lost_reason=reason if kind is MoveKind.LOST else None,
        purchase_id=deal.purchase_id if status is DealStatus.WON else None,
        version=deal.version + 1,
    )


def weighted(amount: Decimal, stage: Stage, currency: str) -> Decimal:
    """What a deal (or a stage's deals) of `amount` is expected to bring: amount times the
    stage's win probability, to the currency's smallest unit, half up."""
    return Money.rounded(amount * stage.probability, currency).amount


def _check_target(pipeline: Pipeline, deal: Deal, to: Stage) -> None:
    if to.pipeline_id != deal.pipeline_id:
        raise DomainError.single(_TO, ErrorCode.WRONG_PIPELINE,
                                 f"the stage is not one of {pipeline.name}'s")
    if to.retired:
        raise DomainError.single(_TO, ErrorCode.STAGE_RETIRED,
                                 f"{to.name} is retired and takes no deals")


def _skips(pipeline: Pipeline, from_id: UUID, to: Stage) -> bool:
    """Whether going from the stage `from_id` to `to` leaves out an open stage on the way
    forward."""
    order = [stage.id for stage in pipeline.open_stages]
    here = order.index(from_id) if from_id in order else -1
    if to.kind is StageKind.OPEN:
        return order.index(to.id) > here + 1
    return to.kind is StageKind.WON and here != len(order) - 1
