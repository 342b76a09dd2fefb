"""The case and routing-rule repositories."""

from datetime import timedelta

from domain.cases.model import CaseKind
from domain.interactions.model import Channel
from domain.shared.ids import new_id
from tests.contract import records
from tests.contract.conftest import UowFactory, stored_customers
from tests.fakes import FixedClock


async def test_a_case_added_and_committed_is_found_by_id(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    [mrs_li] = await stored_customers(uow_factory, clock.now(), 1)
    complaint = records.a_case(mrs_li.id, clock.now(), category="quality")
    async with uow_factory() as uow:
        await uow.cases.add(complaint)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.cases.get(complaint.id) == complaint


async def test_a_missing_case_is_none(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.cases.get(new_id()) is None


async def test_a_saved_case_reads_back_resolved_with_its_new_version(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    [mrs_li] = await stored_customers(uow_factory, clock.now(), 1)
    complaint = records.a_case(mrs_li.id, clock.now())
    async with uow_factory() as uow:
        await uow.cases.add(complaint)
        await uow.commit()

    async with uow_factory() as uow:
        loaded = await uow.cases.get(complaint.id, for_update=True)
        assert loaded is not None
        loaded.start(clock.advance(hours=1))
        follow_up = clock.now() + timedelta(days=3)
        loaded.resolve("Replaced the scarf", follow_up, clock.advance(hours=1))
        await uow.cases.save(loaded)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.cases.get(complaint.id) == loaded
    assert loaded.version == complaint.version + 2


async def test_a_merge_moves_every_case_to_the_survivor(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    survivor, duplicate = await stored_customers(uow_factory, clock.now(), 2)
    complaint = records.a_case(duplicate.id, clock.now())
    async with uow_factory() as uow:
        await uow.cases.add(complaint)
        await uow.cases.move_to_customer(duplicate.id, survivor.id)
        await uow.commit()

    async with uow_factory() as uow:
        moved = await uow.cases.get(complaint.id)
    assert moved is not None
    assert moved.customer_id == survivor.id


async def test_routing_rules_come_oldest_first(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    newer = records.a_routing_rule(clock.advance(hours=1), kind=CaseKind.COMPLAINT,
                                   channel=Channel.PHONE, category="quality")
    older = records.a_routing_rule(clock.advance(hours=-2), queue="web")
    async with uow_factory() as uow:
        await uow.routing_rules.add(newer)
        await uow.routing_rules.add(older)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.routing_rules.all() == [older, newer]


async def test_a_deleted_routing_rule_is_gone_and_deleting_it_again_finds_nothing(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    rule = records.a_routing_rule(clock.now())
    async with uow_factory() as uow:
        await uow.routing_rules.add(rule)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.routing_rules.delete(rule.id) is True
        assert await uow.routing_rules.delete(rule.id) is False
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.routing_rules.all() == []
