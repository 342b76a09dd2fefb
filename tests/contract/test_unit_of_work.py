"""The unit of work: one transaction, committed only by `commit()`; the events of what it
wrote reach the outbox with it, or not at all."""

import pytest

from domain.audit.model import AuditAction, AuditEntry
from domain.customers.events import CustomerEvent
from domain.shared.events import Event
from tests.contract import records
from tests.contract.conftest import UowFactory
from tests.fakes import FixedClock

# These tests write events of their own to try the outbox itself.
pytestmark = pytest.mark.made_up_events


class Refused(Exception):
    """What a use case raising in the middle of its block looks like."""


async def test_a_write_committed_is_seen_by_the_next_unit_of_work(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    store = records.a_store(clock.now())
    async with uow_factory() as uow:
        await uow.stores.add(store)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.stores.get(store.id) == store


async def test_a_write_is_seen_inside_its_own_unit_of_work_before_commit(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    store = records.a_store(clock.now())
    async with uow_factory() as uow:
        await uow.stores.add(store)

        assert await uow.stores.get(store.id) == store


async def test_leaving_without_commit_discards_the_write(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    store = records.a_store(clock.now())
    async with uow_factory() as uow:
        await uow.stores.add(store)

    async with uow_factory() as uow:
        assert await uow.stores.get(store.id) is None


async def test_an_error_inside_the_block_discards_the_write(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    store = records.a_store(clock.now())

    async def refusing() -> None:
        async with uow_factory() as uow:
            await uow.stores.add(store)
            raise Refused

    with pytest.raises(Refused):
        await refusing()

    async with uow_factory() as uow:
        assert await uow.stores.get(store.id) is None


async def test_a_write_after_commit_needs_a_commit_of_its_own(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    kept, dropped = records.a_store(clock.now()), records.a_store(clock.now())
    async with uow_factory() as uow:
        await uow.stores.add(kept)
        await uow.commit()
        await uow.stores.add(dropped)

    async with uow_factory() as uow:
        assert await uow.stores.get(kept.id) == kept
        assert await uow.stores.get(dropped.id) is None


async def test_the_events_of_an_added_aggregate_reach_the_outbox_on_commit(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    customer = records.a_customer(clock.now())
    created = Event("CustomerCreated", customer.id, clock.now(), {"source": "POS"})
    customer.events.append(created)
    async with uow_factory() as uow:
        await uow.customers.add(customer)
        await uow.commit()

    assert await uow_factory.outbox() == [created]


async def test_the_events_of_a_loaded_and_saved_case_reach_the_outbox_in_order(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    customer = records.a_customer(clock.now())
    case = records.a_case(customer.id, clock.now())
    async with uow_factory() as uow:
        await uow.customers.add(customer)
        await uow.cases.add(case)
        await uow.commit()

    async with uow_factory() as uow:
        loaded = await uow.cases.get(case.id, for_update=True)
        assert loaded is not None
        loaded.start(clock.advance(minutes=5))
        loaded.assign(None, "escalations", clock.advance(minutes=5))
        await uow.cases.save(loaded)
        await uow.commit()

    assert [e.name for e in await uow_factory.outbox()] == ["CaseStatusChanged", "CaseAssigned"]


async def test_the_events_of_a_changed_aggregate_left_unsaved_never_reach_the_outbox(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    customer = records.a_customer(clock.now())
    async with uow_factory() as uow:
        await uow.customers.add(customer)
        await uow.commit()

    async with uow_factory() as uow:
        loaded = await uow.customers.get(customer.id)
        assert loaded is not None
        loaded.touch(clock.now(), CustomerEvent.UPDATED, fields=["tags"])
        await uow.commit()

    assert await uow_factory.outbox() == []


async def test_a_commit_writes_the_emitted_events_then_the_customers_then_the_cases(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    customer = records.a_customer(clock.now())
    case = records.a_case(customer.id, clock.now())
    case.events.append(Event("CaseOpened", case.id, clock.now()))
    customer.events.append(Event("CustomerCreated", customer.id, clock.now()))
    async with uow_factory() as uow:
        await uow.customers.add(customer)
        await uow.cases.add(case)
        uow.emit(Event("CustomerGreeted", customer.id, clock.now()))
        await uow.commit()

    assert [e.name for e in await uow_factory.outbox()] == [
        "CustomerGreeted", "CustomerCreated", "CaseOpened"]


async def test_emitted_events_reach_the_outbox_on_commit(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    customer = records.a_customer(clock.now())
    visited = Event("StoreVisited", customer.id, clock.now(), {"store": "hz-westlake"})
    async with uow_factory() as uow:
        uow.emit(visited)
        await uow.commit()

    assert await uow_factory.outbox() == [visited]


async def test_the_events_of_a_unit_of_work_left_without_commit_never_reach_the_outbox(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    customer = records.a_customer(clock.now())
    customer.events.append(Event("CustomerCreated", customer.id, clock.now()))
    async with uow_factory() as uow:
        await uow.customers.add(customer)
        uow.emit(Event("StoreVisited", customer.id, clock.now()))

    assert await uow_factory.outbox() == []


async def test_events_are_written_once_however_often_the_unit_of_work_commits(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    customer = records.a_customer(clock.now())
    customer.events.append(Event("CustomerCreated", customer.id, clock.now()))
    async with uow_factory() as uow:
        await uow.customers.add(customer)
        await uow.commit()
        await uow.commit()

    assert [e.name for e in await uow_factory.outbox()] == ["CustomerCreated"]


def _an_audit_entry(clock: FixedClock) -> AuditEntry:
    return AuditEntry(clock.now(), AuditAction.MUTATION, "create_customer", "clerk", "STAFF")


async def test_a_staged_audit_entry_is_written_by_commit_naming_what_the_events_name(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    customer = records.a_customer(clock.now())
    customer.events.append(Event("CustomerCreated", customer.id, clock.now()))
    async with uow_factory() as uow:
        uow.stage_audit(_an_audit_entry(clock))
        await uow.customers.add(customer)
        await uow.commit()

    written = uow.written_audit()
    assert written is not None
    assert written.target_ids == (customer.id,)


async def test_a_staged_audit_entry_is_not_written_without_commit(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        uow.stage_audit(_an_audit_entry(clock))

    assert uow.written_audit() is None
