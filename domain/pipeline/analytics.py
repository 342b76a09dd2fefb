"""What the moves say about a pipeline: the funnel, time in stage, outcomes, the weighted
forecast and lead conversion, as read models, and the same numbers as pure functions of
plain rows.

The query service computes these in SQL, over every deal of the range, and never loads the
deals; the functions here define what each number means (a stay in a stage, a reopening,
a skipped stage, a percentile), are what the unit tests pin down, and what the integration
test computes again from the same rows to check the SQL.

- **Stay** (`Visit`): a deal in one stage, from the move into it to the next move (None
  while it is still there). A deal moved back, or reopened, stays in a stage twice; a
  skipped stage it never stayed in.
- **Time in stage**: the stays that ended in the range, in days; the median and the 90th
  percentile interpolate as PostgreSQL's `percentile_cont` does.
- **Funnel**: the deals opened in the range, and for each open stage (in order) and the won
  stage after them, how many got that far or further. A skipped stage counts as passed; a
  deal that went back keeps the furthest it got.
- **Outcomes**: deals won or lost in the range, as they stand: win rate, amount won, average
  cycle (opened to won), overall and per owner and store.
- **Forecast**: open deals expected to close in the range, per month: their amount, and
  amount times their stage's win probability.
- **Lead conversion**: leads that came in in the range, per source (channel, campaign,
  referral): qualified, unqualified, and won through the deal they opened.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from domain.interactions.model import Channel
from domain.pipeline.model import Deal, DealMove, DealStatus, MoveKind, Stage, StageKind
from domain.shared.money import Money

SECONDS_A_DAY = 86_400


@dataclass(frozen=True)
class FunnelStep:
    stage_id: UUID
    reached: int  # deals opened in the range that got this far or further
    lost: int  # of those, lost from this stage


@dataclass(frozen=True)
class StageTiming:
    stage_id: UUID
    stays: int  # stays in the stage that ended in the range
    median_days: float | None
    p90_days: float | None
    stalled: int  # open deals in it now, longer than its SLA


@dataclass(frozen=True)
class Outcomes:
    """Deals closed in the range: all of them, or one owner's or store's (`key`, None for
    those without one)."""

    won: int
    lost: int
    won_amount: Decimal
    average_cycle_days: float | None
    key: UUID | None = None

    @property
    def win_rate(self) -> float | None:
        return rate(self.won, self.won + self.lost)


@dataclass(frozen=True)
class OutcomeBreakdown:
    overall: Outcomes
    by_owner: tuple[Outcomes, ...]  # by owner id, those without one last
    by_store: tuple[Outcomes, ...]


@dataclass(frozen=True)
class ForecastMonth:
    month: str  # "2026-05"
    deals: int
    amount: Decimal
    weighted_amount: Decimal


@dataclass(frozen=True)
class SourceConversion:
    channel: Channel | None
    campaign: str | None
    referral: bool
    leads: int
    qualified: int
    unqualified: int
    won: int

    @property
    def conversion_rate(self) -> float | None:
        return rate(self.qualified, self.leads)


@dataclass(frozen=True)
class Visit:
    """One stay of a deal in a stage."""

    deal_id: UUID
    stage_id: UUID
    entered_at: datetime
    left_at: datetime | None

    @property
    def days(self) -> float | None:
        if self.left_at is None:
            return None
        return (self.left_at - self.entered_at).total_seconds() / SECONDS_A_DAY


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def visits(moves: Iterable[DealMove]) -> list[Visit]:
    """A deal's stays, from its moves: each move starts a stay in the stage it went to,
    which the next move ends."""
    ordered = sorted(moves, key=lambda move: (move.moved_at, move.id))
    return [Visit(move.deal_id, move.to_stage_id, move.moved_at,
                  ordered[i + 1].moved_at if i + 1 < len(ordered) else None)
            for i, move in enumerate(ordered)]


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont: linear interpolation between the two closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    below, above = math.floor(position), math.ceil(position)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def days_in_stage(stays: Iterable[Visit], stage_id: UUID, since: datetime,
                  until: datetime) -> list[float]:
    """The lengths of the stays in `stage_id` that ended in [since, until), in days."""
    return [visit.days for visit in stays
            if visit.stage_id == stage_id and visit.left_at is not None
            and since <= visit.left_at < until and visit.days is not None]


def stage_ranks(stages: Sequence[Stage]) -> dict[UUID, int]:
    """Each active open stage's place in the funnel, from 1, and the won stages after them;
    lost and retired stages have none."""
    active = [stage for stage in sorted(stages, key=lambda s: (s.position, s.id))
              if not stage.retired]
    ranks = {stage.id: number for number, stage in
             enumerate((s for s in active if s.kind is StageKind.OPEN), start=1)}
    beyond = len(ranks) + 1
    ranks.update({stage.id: beyond for stage in active if stage.kind is StageKind.WON})
    return ranks


def funnel(stages: Sequence[Stage], moves_of_cohort: Mapping[UUID, Sequence[DealMove]]
           ) -> list[FunnelStep]:
    """The funnel of the deals whose moves are given (those opened in the range)."""
    ranks = stage_ranks(stages)
    furthest = [max((ranks.get(move.to_stage_id, 0) for move in moves), default=0)
                for moves in moves_of_cohort.values()]
    lost_from: dict[UUID, set[UUID]] = defaultdict(set)
    for moves in moves_of_cohort.values():
        for move in moves:
            if move.kind is MoveKind.LOST and move.from_stage_id is not None:
                lost_from[move.from_stage_id].add(move.deal_id)
    ordered = sorted(ranks.items(), key=lambda item: item[1])
    return [FunnelStep(stage_id, sum(1 for best in furthest if best >= rank),
                       len(lost_from[stage_id])) for stage_id, rank in ordered]


def is_stalled(deal: Deal, stage: Stage, now: datetime) -> bool:
    """Open, in an open stage with an SLA, for longer than it."""
    return (deal.status is DealStatus.OPEN and stage.kind is StageKind.OPEN
            and stage.sla_days is not None
            and (now - deal.stage_entered_at).total_seconds() > stage.sla_days * SECONDS_A_DAY)


def outcomes(deals: Iterable[Deal], since: datetime, until: datetime) -> Outcomes:
    closed = [d for d in deals if d.closed_at is not None and since <= d.closed_at < until
              and d.status is not DealStatus.OPEN]
    won = [d for d in closed if d.status is DealStatus.WON]
    cycles = [(d.closed_at - d.opened_at).total_seconds() / SECONDS_A_DAY
              for d in won if d.closed_at is not None]
    return Outcomes(won=len(won), lost=len(closed) - len(won),
                    won_amount=sum((d.amount for d in won), Decimal(0)),
                    average_cycle_days=sum(cycles) / len(cycles) if cycles else None)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def forecast(deals: Iterable[Deal], stages: Mapping[UUID, Stage], currency: str,
             first_day: date, last_day: date) -> list[ForecastMonth]:
    """Open deals expected to close between the two days (both included), per month: the
    weighted amount is the month's sum of amount times probability, rounded once, half up."""
    months: dict[str, list[Deal]] = defaultdict(list)
    for deal in deals:
        close = deal.expected_close_on
        if deal.status is DealStatus.OPEN and close is not None and first_day <= close <= last_day:
            months[month_of(close)].append(deal)
    return [ForecastMonth(
        month, len(of_month), sum((d.amount for d in of_month), Decimal(0)),
        Money.rounded(sum((d.amount * stages[d.stage_id].probability for d in of_month),
                          Decimal(0)), currency).amount)
        for month, of_month in sorted(months.items())]
