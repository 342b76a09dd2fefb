"""The interaction repository: append-only touchpoints, moved whole by a merge."""

from domain.shared.ids import new_id
from tests.contract import records
from tests.contract.conftest import UowFactory, stored_customers
from tests.fakes import FixedClock


async def test_an_interaction_added_and_committed_is_found_by_id(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    [lisa] = await stored_customers(uow_factory, clock.now(), 1)
    check_in = records.an_interaction(lisa.id, clock.now())
    async with uow_factory() as uow:
        await uow.interactions.add(check_in)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.interactions.get(check_in.id) == check_in


async def test_an_interaction_without_place_or_payload_reads_back_as_bare(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    [lisa] = await stored_customers(uow_factory, clock.now(), 1)
    call = records.an_interaction(lisa.id, clock.now(), summary=None, payload={}, geo=None,
                                  place=None)
    async with uow_factory() as uow:
        await uow.interactions.add(call)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.interactions.get(call.id) == call


async def test_a_missing_interaction_is_none(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.interactions.get(new_id()) is None


async def test_a_merge_moves_every_interaction_to_the_survivor(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    survivor, duplicate = await stored_customers(uow_factory, clock.now(), 2)
    theirs = [records.an_interaction(duplicate.id, clock.advance(hours=1)) for _ in range(2)]
    mine = records.an_interaction(survivor.id, clock.advance(hours=1))
    async with uow_factory() as uow:
        for interaction in (*theirs, mine):
            await uow.interactions.add(interaction)
        await uow.interactions.move_to_customer(duplicate.id, survivor.id)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.interactions.of_customer(duplicate.id) == []
        moved = await uow.interactions.of_customer(survivor.id)
    assert [i.id for i in moved] == [*(i.id for i in theirs), mine.id]
    assert {i.customer_id for i in moved} == {survivor.id}
