"""Which moves a deal may make, and what a move does to it: pure rules on a pipeline and a
deal, no unit of work."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from domain.pipeline.model import (
    Deal,
    DealStatus,
    MoveKind,
    Pipeline,
    Stage,
    StageKind,
)
from domain.pipeline.rules import check_reopen, move_kind, moved, weighted
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.ids import new_id
from tests.fakes import DEFAULT_NOW

NAMES = ("Phone contact", "Meeting", "Product inspection", "Contract signed",
         "Pickup/delivery")


def _pipeline(allow_skips: bool = False) -> Pipeline:
    pipeline_id = new_id()
    stages = [Stage(new_id(), pipeline_id, name, 0, StageKind.OPEN, Decimal("0.2"), 7)
              for name in NAMES]
    stages += [Stage(new_id(), pipeline_id, "Won", 0, StageKind.WON, Decimal(1)),
               Stage(new_id(), pipeline_id, "Lost", 0, StageKind.LOST, Decimal(0))]
    return Pipeline(new_id(), "floor", "Sales floor", "CNY", allow_skips, ()).with_stages(
        tuple(replace(stage, pipeline_id=pipeline_id) for stage in stages))


def _named(pipeline: Pipeline, name: str) -> Stage:
    return next(stage for stage in pipeline.stages if stage.name == name)


def _deal_in(pipeline: Pipeline, name: str, status: DealStatus = DealStatus.OPEN) -> Deal:
    stage = _named(pipeline, name)
    return Deal(id=new_id(), customer_id=new_id(), pipeline_id=stage.pipeline_id,
                stage_id=stage.id, title="Coat", amount=Decimal("4800.00"), currency="CNY",
                opened_at=DEFAULT_NOW, stage_entered_at=DEFAULT_NOW, updated_at=DEFAULT_NOW,
                status=status)


def _refusal(pipeline: Pipeline, deal: Deal, to: Stage) -> ErrorCode:
    with pytest.raises(DomainError) as refused:
        move_kind(pipeline, deal, to)
    return refused.value.errors[0].code


def test_a_deal_moves_forward_to_the_next_stage() -> None:
    floor = _pipeline()
    assert move_kind(floor, _deal_in(floor, "Meeting"),
                     _named(floor, "Product inspection")) is MoveKind.MOVED


def test_without_skips_a_deal_may_not_jump_a_stage() -> None:
    floor = _pipeline()
    assert _refusal(floor, _deal_in(floor, "Phone contact"),
                    _named(floor, "Product inspection")) is ErrorCode.STAGE_SKIPPED


def test_with_skips_a_deal_may_jump_stages() -> None:
    floor = _pipeline(allow_skips=True)
    assert move_kind(floor, _deal_in(floor, "Phone contact"),
                     _named(floor, "Contract signed")) is MoveKind.MOVED


def test_a_deal_may_go_back_to_any_earlier_stage() -> None:
    floor = _pipeline()
    assert move_kind(floor, _deal_in(floor, "Contract signed"),
                     _named(floor, "Phone contact")) is MoveKind.MOVED


def test_without_skips_a_deal_is_won_only_from_the_last_open_stage() -> None:
    floor = _pipeline()
    assert _refusal(floor, _deal_in(floor, "Contract signed"),
                    _named(floor, "Won")) is ErrorCode.STAGE_SKIPPED
    assert move_kind(floor, _deal_in(floor, "Pickup/delivery"),
                     _named(floor, "Won")) is MoveKind.WON


def test_a_deal_may_be_lost_from_any_open_stage() -> None:
    floor = _pipeline()
    assert move_kind(floor, _deal_in(floor, "Phone contact"),
                     _named(floor, "Lost")) is MoveKind.LOST


def test_a_closed_deal_is_not_moved() -> None:
    floor = _pipeline()
    won = _deal_in(floor, "Won", DealStatus.WON)
    assert _refusal(floor, won, _named(floor, "Meeting")) is ErrorCode.DEAL_CLOSED


def test_a_retired_stage_takes_no_deals() -> None:
    floor = _pipeline()
    meeting = replace(_named(floor, "Meeting"), retired_at=DEFAULT_NOW)
    assert _refusal(floor, _deal_in(floor, "Phone contact"), meeting) is ErrorCode.STAGE_RETIRED


def test_another_pipelines_stage_is_refused() -> None:
    floor, other = _pipeline(), _pipeline()
    assert _refusal(floor, _deal_in(floor, "Phone contact"),
                    _named(other, "Meeting")) is ErrorCode.WRONG_PIPELINE


def test_moving_to_the_stage_it_is_in_is_refused() -> None:
    floor = _pipeline()
    assert _refusal(floor, _deal_in(floor, "Meeting"),
                    _named(floor, "Meeting")) is ErrorCode.INVALID_TRANSITION


def test_a_retired_stage_between_does_not_count_as_skipped() -> None:
    floor = _pipeline()
    meeting = _named(floor, "Meeting")
    floor = replace(floor, stages=tuple(replace(s, retired_at=DEFAULT_NOW) if s == meeting
                                        else s for s in floor.stages))
    assert move_kind(floor, _deal_in(floor, "Phone contact"),
                     _named(floor, "Product inspection")) is MoveKind.MOVED


def test_a_closed_deal_is_reopened_into_an_open_stage_only() -> None:
    floor = _pipeline()
    lost = _deal_in(floor, "Lost", DealStatus.LOST)
    check_reopen(floor, lost, _named(floor, "Meeting"))
    with pytest.raises(DomainError) as refused:
        check_reopen(floor, lost, _named(floor, "Won"))
    assert refused.value.errors[0].code is ErrorCode.INVALID_TRANSITION


def test_an_open_deal_is_not_reopened() -> None:
    floor = _pipeline()
    with pytest.raises(DomainError) as refused:
        check_reopen(floor, _deal_in(floor, "Meeting"), _named(floor, "Phone contact"))
    assert refused.value.errors[0].code is ErrorCode.INVALID_TRANSITION


def test_a_loss_closes_the_deal_with_its_reason_and_a_reopening_clears_it() -> None:
    floor = _pipeline()
    later = DEFAULT_NOW + timedelta(days=2)
    lost = moved(_deal_in(floor, "Meeting"), _named(floor, "Lost"), MoveKind.LOST, later,
                 "bought elsewhere")
    assert (lost.status, lost.closed_at, lost.lost_reason, lost.stage_entered_at,
            lost.version) == (DealStatus.LOST, later, "bought elsewhere", later, 2)

    again = moved(lost, _named(floor, "Meeting"), MoveKind.REOPENED, later, "called back")
    assert (again.status, again.closed_at, again.lost_reason) == (DealStatus.OPEN, None, None)


def test_a_weighted_amount_is_rounded_half_up_to_the_currency_unit() -> None:
    stage = replace(_named(_pipeline(), "Meeting"), probability=Decimal("0.15"))
    assert weighted(Decimal("0.30"), stage, "CNY") == Decimal("0.05")  # 0.045 → 0.05
    assert weighted(Decimal("1001"), stage, "JPY") == Decimal("150")  # 150.15
