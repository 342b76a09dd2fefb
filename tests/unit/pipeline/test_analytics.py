"""What the numbers mean: stays in stages, time in stage with reopenings and skipped
stages, percentiles as PostgreSQL computes them, the funnel, outcomes and the forecast."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from domain.pipeline.analytics import (
    ForecastMonth,
    FunnelStep,
    days_in_stage,
    forecast,
    funnel,
    is_stalled,
    outcomes,
    percentile,
    stage_ranks,
    visits,
)
from domain.pipeline.model import (
    Deal,
    DealMove,
    DealStatus,
    MoveKind,
    Stage,
    StageKind,
)
from domain.shared.ids import new_id
from tests.fakes import DEFAULT_NOW

PIPELINE = new_id()
CALL, MEETING, INSPECTION = (Stage(new_id(), PIPELINE, name, position, StageKind.OPEN,
                                   Decimal(probability), 7)
                             for position, (name, probability) in enumerate(
                                 (("Call", "0.1"), ("Meeting", "0.3"), ("Inspection", "0.5")),
                                 start=1))
WON = Stage(new_id(), PIPELINE, "Won", 4, StageKind.WON, Decimal(1))
LOST = Stage(new_id(), PIPELINE, "Lost", 5, StageKind.LOST, Decimal(0))
STAGES = (CALL, MEETING, INSPECTION, WON, LOST)
BY_ID = {stage.id: stage for stage in STAGES}


def _day(n: float) -> datetime:
    return DEFAULT_NOW + timedelta(days=n)


def _moves(deal_id: UUID, *steps: tuple[float, Stage, MoveKind]) -> list[DealMove]:
    made, previous = [], None
    for day, stage, kind in steps:
        made.append(DealMove(new_id(), deal_id, new_id(), PIPELINE, stage.id, kind, _day(day),
                             "test", from_stage_id=previous))
        previous = stage.id
    return made


def _deal(stage: Stage = CALL, status: DealStatus = DealStatus.OPEN, amount: str = "100.00",
          **fields: Any) -> Deal:
    deal = Deal(id=new_id(), customer_id=new_id(), pipeline_id=PIPELINE, stage_id=stage.id,
                title="Coat", amount=Decimal(amount), currency="CNY", opened_at=_day(0),
                stage_entered_at=_day(0), updated_at=_day(0), status=status)
    return replace(deal, **fields)


def test_each_move_starts_a_stay_that_the_next_move_ends() -> None:
    deal = new_id()
    stays = visits(_moves(deal, (0, CALL, MoveKind.OPENED), (2, MEETING, MoveKind.MOVED)))
    assert [(v.stage_id, v.entered_at, v.left_at) for v in stays] == [
        (CALL.id, _day(0), _day(2)), (MEETING.id, _day(2), None)]


def test_a_reopened_deal_stays_in_a_stage_twice_and_both_stays_count() -> None:
    deal = new_id()
    stays = visits(_moves(deal, (0, CALL, MoveKind.OPENED), (1, MEETING, MoveKind.MOVED),
                          (3, LOST, MoveKind.LOST), (10, MEETING, MoveKind.REOPENED),
                          (14, INSPECTION, MoveKind.MOVED)))
    assert sorted(days_in_stage(stays, MEETING.id, _day(0), _day(30))) == [2.0, 4.0]
    assert days_in_stage(stays, LOST.id, _day(0), _day(30)) == [7.0]


def test_a_skipped_stage_has_no_stay() -> None:
    deal = new_id()
    stays = visits(_moves(deal, (0, CALL, MoveKind.OPENED), (1, INSPECTION, MoveKind.MOVED),
                          (2, MEETING, MoveKind.MOVED)))
    assert days_in_stage(stays, MEETING.id, _day(0), _day(30)) == []
    assert days_in_stage(stays, INSPECTION.id, _day(0), _day(30)) == [1.0]


def test_time_in_stage_counts_the_stays_that_ended_in_the_range() -> None:
    deal = new_id()
    stays = visits(_moves(deal, (0, CALL, MoveKind.OPENED), (5, MEETING, MoveKind.MOVED)))
    assert days_in_stage(stays, CALL.id, _day(5), _day(6)) == [5.0]
    assert days_in_stage(stays, CALL.id, _day(0), _day(5)) == []  # until is excluded


@pytest.mark.parametrize(("values", "fraction", "expected"), [
    ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
    ([1.0, 2.0, 3.0, 4.0], 0.9, 3.7),
    ([7.0], 0.9, 7.0),
    ([5.0, 1.0, 3.0], 0.5, 3.0),
])
def test_percentiles_interpolate_as_percentile_cont(values: list[float], fraction: float,
                                                    expected: float) -> None:
    assert percentile(values, fraction) == pytest.approx(expected)


def test_no_values_have_no_percentile() -> None:
    assert percentile([], 0.5) is None


def test_the_funnel_ranks_open_stages_then_won_and_leaves_lost_and_retired_out() -> None:
    retired = Stage(new_id(), PIPELINE, "Old", 6, StageKind.OPEN, Decimal("0.2"),
                    retired_at=_day(0))
    assert stage_ranks((*STAGES, retired)) == {CALL.id: 1, MEETING.id: 2, INSPECTION.id: 3,
                                               WON.id: 4}


def test_a_skipped_stage_counts_as_passed_in_the_funnel_and_going_back_keeps_the_furthest(
) -> None:
    skipper, back, lost = new_id(), new_id(), new_id()
    cohort = {
        skipper: _moves(skipper, (0, CALL, MoveKind.OPENED), (1, INSPECTION, MoveKind.MOVED)),
        back: _moves(back, (0, CALL, MoveKind.OPENED), (1, MEETING, MoveKind.MOVED),
                     (2, CALL, MoveKind.MOVED)),
        lost: _moves(lost, (0, CALL, MoveKind.OPENED), (1, LOST, MoveKind.LOST)),
    }
    assert funnel(STAGES, cohort) == [
        FunnelStep(CALL.id, 3, 1), FunnelStep(MEETING.id, 2, 0),
        FunnelStep(INSPECTION.id, 1, 0), FunnelStep(WON.id, 0, 0)]


def test_a_won_deal_has_passed_every_stage() -> None:
    deal = new_id()
    cohort = {deal: _moves(deal, (0, CALL, MoveKind.OPENED), (1, MEETING, MoveKind.MOVED),
                           (2, INSPECTION, MoveKind.MOVED), (3, WON, MoveKind.WON))}
    assert [step.reached for step in funnel(STAGES, cohort)] == [1, 1, 1, 1]


def test_a_deal_lost_twice_from_a_stage_counts_once_there() -> None:
    deal = new_id()
    cohort = {deal: _moves(deal, (0, CALL, MoveKind.OPENED), (1, LOST, MoveKind.LOST),
                           (2, CALL, MoveKind.REOPENED), (3, LOST, MoveKind.LOST))}
    assert funnel(STAGES, cohort)[0] == FunnelStep(CALL.id, 1, 1)


def test_a_deal_is_stalled_once_it_stays_longer_than_its_stages_sla() -> None:
    deal = _deal(MEETING, stage_entered_at=_day(0))
    assert not is_stalled(deal, MEETING, _day(7))
    assert is_stalled(deal, MEETING, _day(7.01))


def test_outcomes_count_deals_closed_in_the_range_and_average_the_won_ones_cycle() -> None:
    deals = [
        _deal(WON, DealStatus.WON, "300.00", opened_at=_day(0), closed_at=_day(4)),
        _deal(WON, DealStatus.WON, "200.00", opened_at=_day(2), closed_at=_day(4)),
        _deal(LOST, DealStatus.LOST, opened_at=_day(0), closed_at=_day(5)),
        _deal(LOST, DealStatus.LOST, opened_at=_day(0), closed_at=_day(40)),  # outside
        _deal(MEETING),  # open
    ]
    result = outcomes(deals, _day(1), _day(10))
    assert (result.won, result.lost, result.won_amount, result.average_cycle_days) == (
        2, 1, Decimal("500.00"), 3.0)
    assert result.win_rate == pytest.approx(2 / 3)


def test_the_forecast_weighs_open_deals_by_their_stage_and_rounds_each_month_once() -> None:
    deals = [
        _deal(CALL, amount="0.05", expected_close_on=date(2026, 4, 3)),  # 0.005
        _deal(CALL, amount="0.05", expected_close_on=date(2026, 4, 30)),  # 0.005
        _deal(INSPECTION, amount="1000.00", expected_close_on=date(2026, 5, 1)),
        _deal(WON, DealStatus.WON, amount="999.00", expected_close_on=date(2026, 5, 2)),
        _deal(MEETING, amount="50.00", expected_close_on=date(2026, 7, 1)),  # after the range
        _deal(MEETING, amount="50.00"),  # no expected date
    ]
    assert forecast(deals, BY_ID, "CNY", date(2026, 4, 1), date(2026, 6, 30)) == [
        ForecastMonth("2026-04", 2, Decimal("0.10"), Decimal("0.01")),  # 0.010, not 0.00
        ForecastMonth("2026-05", 1, Decimal("1000.00"), Decimal("500.00")),
    ]
