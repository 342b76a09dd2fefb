"""Stores and staff: found by id, by code, by email."""

from domain.shared.ids import new_id
from tests.contract import records
from tests.contract.conftest import UowFactory
from tests.fakes import FixedClock


async def test_a_store_is_found_by_id_and_by_code(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    west_lake = records.a_store(clock.now(), "hz-westlake")
    async with uow_factory() as uow:
        await uow.stores.add(records.a_store(clock.now()))
        await uow.stores.add(west_lake)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.stores.get(west_lake.id) == west_lake
        assert await uow.stores.get_by_code("hz-westlake") == west_lake


async def test_a_missing_store_is_none(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.stores.get(new_id()) is None
        assert await uow.stores.get_by_code("sh-nowhere") is None


async def test_a_staff_member_is_found_by_id_and_by_email(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    west_lake = records.a_store(clock.now())
    wang_fang = records.a_staff_member(clock.now(), "wang.fang@brand.example", west_lake.id)
    head_office = records.a_staff_member(clock.now())
    async with uow_factory() as uow:
        await uow.stores.add(west_lake)
        await uow.staff.add(wang_fang)
        await uow.staff.add(head_office)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.staff.get(wang_fang.id) == wang_fang
        assert await uow.staff.get(head_office.id) == head_office
        assert await uow.staff.get_by_email("wang.fang@brand.example") == wang_fang


async def test_a_missing_staff_member_is_none(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.staff.get(new_id()) is None
        assert await uow.staff.get_by_email("nobody@brand.example") is None
