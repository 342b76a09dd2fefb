"""A deal's history on PostgreSQL: the database refuses to change or remove a move, but for
a merge's move of her history to the survivor; and two clerks moving one deal at once take
turns, the second refused for its stale version."""

import asyncio

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.pipeline.commands import MoveDeal
from domain.pipeline.deals import move_deal
from domain.pipeline.model import Deal, Pipeline
from domain.shared.errors import DomainError, ErrorCode
from infrastructure.postgres.tables import deal_moves
from infrastructure.postgres.unit_of_work import PgUnitOfWork
from tests.builders import ADMIN, a_customer, a_deal, a_pipeline, stage_named
from tests.fakes import FixedClock


async def _a_deal(db: AsyncEngine) -> tuple[Pipeline, Deal]:
    clock = FixedClock()
    floor = await a_pipeline(PgUnitOfWork(db, clock))
    deal = await a_deal(PgUnitOfWork(db, clock), await a_customer(PgUnitOfWork(db, clock)),
                        floor)
    return floor, deal


@pytest.mark.parametrize("statement", [
    "UPDATE deal_moves SET moved_at = moved_at - interval '1 day'",
    "UPDATE deal_moves SET customer_id = customer_id, kind = 'WON'",
    "DELETE FROM deal_moves",
    "TRUNCATE deal_moves CASCADE",
])
async def test_the_database_refuses_to_change_or_remove_a_move(
    db: AsyncEngine, statement: str
) -> None:
    await _a_deal(db)
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.begin() as connection:
            await connection.execute(text(statement))
    async with db.connect() as connection:
        count = select(func.count()).select_from(deal_moves)
        assert (await connection.execute(count)).scalar_one() == 1


async def test_a_move_may_change_hands_to_another_customer_alone(db: AsyncEngine) -> None:
    clock = FixedClock()
    _, deal = await _a_deal(db)
    survivor = await a_customer(PgUnitOfWork(db, clock), display_name="Mrs. Li")
    async with db.begin() as connection:
        await connection.execute(text("UPDATE deals SET customer_id = :to"), {"to": survivor.id})
        await connection.execute(text("UPDATE deal_moves SET customer_id = :to"),
                                 {"to": survivor.id})
    async with PgUnitOfWork(db, clock) as uow:
        [opening] = await uow.pipeline.moves_of(deal.id)
    assert opening.customer_id == survivor.id


async def test_two_clerks_moving_one_deal_at_once_take_turns(db: AsyncEngine) -> None:
    clock = FixedClock()
    floor, deal = await _a_deal(db)

    async def move(to: str) -> object:
        command = MoveDeal(deal.id, stage_named(floor, to).id, deal.version,
                           lost_reason="price" if to == "Lost" else None)
        try:
            return await move_deal(command, uow=PgUnitOfWork(db, clock), viewer=ADMIN)
        except DomainError as refused:
            return refused.errors[0].code

    outcomes = await asyncio.gather(move("Meeting"), move("Lost"))
    assert sum(outcome is ErrorCode.CONFLICT for outcome in outcomes) == 1
    async with PgUnitOfWork(db, clock) as uow:
        assert len(await uow.pipeline.moves_of(deal.id)) == 2
