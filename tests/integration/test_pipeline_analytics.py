"""The pipeline's analytics, computed in SQL over a generated history of ten thousand deals,
equal the same numbers computed in plain Python (domain/pipeline/analytics.py) from the
same rows, for the whole pipeline, one owner, one store and a clerk's reach."""

from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.pipeline import analytics
from domain.pipeline.model import Deal, DealMove, Lead, Pipeline
from domain.pipeline.queries import AnalyticsScope
from domain.shared.access import CustomerReach
from infrastructure.migrations import upgrade_to_head
from infrastructure.postgres.engine import create_engine
from infrastructure.postgres.pipeline_queries import PgPipelineQueries
from infrastructure.postgres.pipeline_rows import deal_from_row, lead_from_row, move_from_row
from infrastructure.postgres.tables import deal_moves, deals, leads, staff
from infrastructure.postgres.unit_of_work import PgUnitOfWork
from infrastructure.seed.bulk import seed_bulk
from infrastructure.seed.pipeline_history import Seller, copy_history, generate_history
from tests.builders import a_pipeline
from tests.conftest import create_scratch_database, drop_scratch_database
from tests.fakes import FixedClock

DEALS = 10_000
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Rows:
    """The history as read back from the database."""

    pipeline: Pipeline
    deals: list[Deal]
    moves: dict[UUID, list[DealMove]]
    leads: list[Lead]
    staff: list[tuple[UUID, UUID | None]]  # (id, store id)


@pytest.fixture(scope="module")
async def history(postgres_server_url: str) -> AsyncIterator[tuple[AsyncEngine, Rows]]:
    """A database of the module's own: two thousand customers, their stores and staff, and
    ten thousand deals with their moves and leads over the half year before NOW."""
    url = await create_scratch_database(postgres_server_url)
    engine = create_engine(url, pool_size=4)
    try:
        await upgrade_to_head(engine)
        await seed_bulk(url, customers=2_000, interactions_per_customer=0, stores=6, staff=18,
                        seed=14, progress=False, now=NOW)
        floor = await a_pipeline(PgUnitOfWork(engine, FixedClock(NOW)))
        connection = await asyncpg.connect(url)
        try:
            customers = [row[0] for row in await connection.fetch("SELECT id FROM customers")]
            sellers = [Seller(row[0], row[1]) for row in await connection.fetch(
                "SELECT id, store_id FROM staff")] + [Seller(None, None)]
            await copy_history(connection, generate_history(
                floor, customers, sellers, DEALS, now=NOW, seed=14))
        finally:
            await connection.close()
        yield engine, await _read_back(engine, floor)
    finally:
        await engine.dispose()
        await drop_scratch_database(url, postgres_server_url)


async def _read_back(engine: AsyncEngine, pipeline: Pipeline) -> Rows:
    async with engine.connect() as connection:
        deal_rows = (await connection.execute(select(deals))).mappings().all()
        move_rows = (await connection.execute(select(deal_moves))).mappings().all()
        lead_rows = (await connection.execute(select(leads))).mappings().all()
        staff_rows = (await connection.execute(select(staff.c.id, staff.c.store_id))).all()
    moves: dict[UUID, list[DealMove]] = defaultdict(list)
    for row in move_rows:
        moves[row["deal_id"]].append(move_from_row(row))
    return Rows(pipeline, [deal_from_row(row) for row in deal_rows], moves,
                [lead_from_row(row) for row in lead_rows],
                [(row[0], row[1]) for row in staff_rows])


def _scopes(rows: Rows) -> dict[str, AnalyticsScope]:
    (owner, _), (_, store), (clerk, clerk_store) = rows.staff[0], rows.staff[1], rows.staff[2]
    assert store is not None
    assert clerk_store is not None
    base = rows.pipeline.id
    return {
        "everyone, last 90 days": AnalyticsScope(base, NOW - timedelta(days=90), NOW, NOW),
        "one owner, the half year": AnalyticsScope(base, NOW - timedelta(days=200), NOW, NOW,
                                                   owner_id=owner),
        "one store, a month long ago": AnalyticsScope(
            base, NOW - timedelta(days=120), NOW - timedelta(days=90), NOW, store_id=store),
        "a clerk's reach, last 60 days": AnalyticsScope(
            base, NOW - timedelta(days=60), NOW, NOW,
            reach=CustomerReach(store_ids=frozenset({clerk_store}), owner_id=clerk)),
    }


SCOPES = ["everyone, last 90 days", "one owner, the half year", "one store, a month long ago",
          "a clerk's reach, last 60 days"]


def _in_scope(scope: AnalyticsScope) -> Callable[[Deal | Lead], bool]:
    def within(row: Deal | Lead) -> bool:
        return ((scope.owner_id is None or row.owner_id == scope.owner_id)
                and (scope.store_id is None or row.store_id == scope.store_id)
                and scope.reach.includes(row.customer_id, row.store_id, row.owner_id))

    return within


def _scoped_deals(rows: Rows, scope: AnalyticsScope) -> list[Deal]:
    return [deal for deal in rows.deals if _in_scope(scope)(deal)]


@pytest.fixture(params=SCOPES)
def scope(request: pytest.FixtureRequest, history: tuple[AsyncEngine, Rows]) -> AnalyticsScope:
    return _scopes(history[1])[request.param]


def _queries(history: tuple[AsyncEngine, Rows]) -> PgPipelineQueries:
    return PgPipelineQueries(history[0], FixedClock(NOW))


async def test_the_history_holds_every_case_the_numbers_must_get_right(
    history: tuple[AsyncEngine, Rows]
) -> None:
    _, rows = history
    kinds = {move.kind for moves in rows.moves.values() for move in moves}
    assert len(rows.deals) == DEALS
    assert {"OPENED", "MOVED", "WON", "LOST", "REOPENED"} <= {kind.value for kind in kinds}
    order = [stage.id for stage in rows.pipeline.open_stages]
    skipped = any(m.from_stage_id in order and m.to_stage_id in order
                  and order.index(m.to_stage_id) > order.index(m.from_stage_id) + 1
                  for moves in rows.moves.values() for m in moves)
    assert skipped


async def test_the_funnel_is_the_same_in_sql_and_in_python(
    history: tuple[AsyncEngine, Rows], scope: AnalyticsScope
) -> None:
    _, rows = history
    cohort = {deal.id: rows.moves[deal.id] for deal in _scoped_deals(rows, scope)
              if scope.since <= deal.opened_at < scope.until}
    expected = analytics.funnel(rows.pipeline.stages, cohort)
    assert expected[0].reached > 0
    assert await _queries(history).funnel(scope) == expected


async def test_time_in_stage_and_stalled_deals_are_the_same_in_sql_and_in_python(
    history: tuple[AsyncEngine, Rows], scope: AnalyticsScope
) -> None:
    _, rows = history
    scoped = _scoped_deals(rows, scope)
    stays = [stay for deal in scoped for stay in analytics.visits(rows.moves[deal.id])]
    timings = await _queries(history).stage_timings(scope)
    assert [t.stage_id for t in timings] == [s.id for s in rows.pipeline.open_stages]
    for timing, stage in zip(timings, rows.pipeline.open_stages, strict=True):
        days = analytics.days_in_stage(stays, stage.id, scope.since, scope.until)
        stalled = sum(1 for deal in scoped if deal.stage_id == stage.id
                      and analytics.is_stalled(deal, stage, NOW))
        assert (timing.stays, timing.stalled) == (len(days), stalled), stage.name
        assert timing.median_days == pytest.approx(analytics.percentile(days, 0.5), rel=1e-9)
        assert timing.p90_days == pytest.approx(analytics.percentile(days, 0.9), rel=1e-9)
    assert sum(t.stalled for t in timings) > 0


async def test_outcomes_overall_and_per_owner_and_store_are_the_same_in_sql_and_in_python(
    history: tuple[AsyncEngine, Rows], scope: AnalyticsScope
) -> None:
    _, rows = history
    scoped = _scoped_deals(rows, scope)
    found = await _queries(history).outcomes(scope)
    assert _plain(found.overall) == _plain(analytics.outcomes(scoped, scope.since, scope.until))
    for breakdown, key_of in ((found.by_owner, _owner), (found.by_store, _store)):
        closed = [d for d in scoped if d.closed_at and scope.since <= d.closed_at < scope.until]
        keys = {key_of(deal) for deal in closed}
        assert {o.key for o in breakdown} == keys
        for outcome in breakdown:
            mine = [d for d in scoped if key_of(d) == outcome.key]
            assert _plain(outcome) == _plain(analytics.outcomes(mine, scope.since, scope.until))


def _owner(deal: Deal) -> UUID | None:
    return deal.owner_id


def _store(deal: Deal) -> UUID | None:
    return deal.store_id


def _plain(outcomes: analytics.Outcomes) -> tuple[object, ...]:
    cycle = outcomes.average_cycle_days
    return (outcomes.won, outcomes.lost, outcomes.won_amount,
            None if cycle is None else pytest.approx(cycle, rel=1e-9))


async def test_the_weighted_forecast_is_the_same_in_sql_and_in_python(
    history: tuple[AsyncEngine, Rows], scope: AnalyticsScope
) -> None:
    _, rows = history
    stages = {stage.id: stage for stage in rows.pipeline.stages}
    expected = analytics.forecast(_scoped_deals(rows, scope), stages, "CNY", scope.first_day,
                                  scope.last_day)
    assert await _queries(history).forecast(scope) == expected


async def test_lead_conversion_by_source_is_the_same_in_sql_and_in_python(
    history: tuple[AsyncEngine, Rows], scope: AnalyticsScope
) -> None:
    _, rows = history
    status_of = {deal.id: deal.status for deal in rows.deals}
    groups: dict[tuple[object, ...], list[Lead]] = defaultdict(list)
    for lead in rows.leads:
        if _in_scope(scope)(lead) and scope.since <= lead.created_at < scope.until:
            source = lead.source
            groups[(source.channel, source.campaign, source.referred_by_id is not None)].append(
                lead)
    expected = {key: (len(of), sum(lead.status.value == "QUALIFIED" for lead in of),
                      sum(lead.status.value == "UNQUALIFIED" for lead in of),
                      sum(lead.deal_id is not None and status_of[lead.deal_id].value == "WON"
                          for lead in of)) for key, of in groups.items()}
    found = {(s.channel, s.campaign, s.referral): (s.leads, s.qualified, s.unqualified, s.won)
             for s in await _queries(history).lead_sources(scope)}
    assert found == expected
