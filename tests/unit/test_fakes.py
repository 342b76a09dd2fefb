"""The fakes keep the promises of the ports they stand for; the other unit tests rely on it."""

from datetime import timedelta

import pytest

from domain.customers.commands import CreateCustomer
from domain.customers.events import CustomerEvent
from domain.customers.model import ExternalReference
from domain.customers.services import create_customer
from domain.interactions.commands import RecordInteraction
from domain.interactions.model import Channel
from domain.interactions.services import record_interaction
from domain.shared.errors import Duplicate, ErrorCode, UniqueKey
from domain.shared.events import Event
from domain.shared.ids import new_id
from tests.builders import ADMIN, a_customer, a_ref, problems, refused
from tests.fakes import DEFAULT_NOW, FakeUnitOfWork, FixedClock


class TestFixedClock:
    def test_it_stands_still_until_set_or_advanced(self) -> None:
        clock = FixedClock()
        assert clock.now() == clock.now() == DEFAULT_NOW
        assert clock.advance(hours=2) == DEFAULT_NOW + timedelta(hours=2)
        clock.advance(timedelta(minutes=1), seconds=30)
        assert clock.now() == DEFAULT_NOW + timedelta(hours=2, minutes=1, seconds=30)
        clock.set(DEFAULT_NOW)
        assert clock.now() == DEFAULT_NOW


class TestFakeUnitOfWork:
    async def test_leaving_without_commit_discards_every_change(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        before = uow.snapshot()
        async with uow:
            loaded = await uow.customers.get(customer.id)
            assert loaded is not None
            loaded.touch(uow.clock.now(), CustomerEvent.UPDATED, fields=["tags"])
            await uow.customers.save(loaded)
            await uow.idempotency.claim("scope", "key", "digest")
            uow.emit(Event("Something", customer.id, uow.clock.now()))
        assert not uow.committed
        assert uow.snapshot() == before

    async def test_an_exception_inside_the_block_discards_every_change(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow)
        before = uow.snapshot()

        async def archive_then_fail() -> None:
            async with uow:
                loaded = await uow.customers.get(customer.id)
                assert loaded is not None
                loaded.archived_at = uow.clock.now()
                await uow.customers.save(loaded)
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            await archive_then_fail()
        assert uow.snapshot() == before

    async def test_commit_makes_the_working_copy_the_committed_state(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow)
        async with uow:
            loaded = await uow.customers.get(customer.id)
            assert loaded is not None
            loaded.touch(uow.clock.now(), CustomerEvent.UPDATED, fields=["tags"])
            await uow.customers.save(loaded)
            await uow.commit()
        assert uow.committed
        assert uow.stored_customer(customer.id).version == 2

    async def test_a_loaded_aggregate_is_a_copy_so_unsaved_changes_are_lost(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow)
        async with uow:
            loaded = await uow.customers.get(customer.id)
            assert loaded is not None
            loaded.touch(uow.clock.now(), CustomerEvent.UPDATED, fields=["tags"])
            await uow.commit()
        assert uow.stored_customer(customer.id).version == 1
        assert "CustomerUpdated" not in uow.event_names

    async def test_events_of_saved_aggregates_and_emitted_ones_reach_the_outbox_on_commit(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow)
        async with uow:
            loaded = await uow.customers.get(customer.id)
            assert loaded is not None
            loaded.touch(uow.clock.now(), CustomerEvent.UPDATED, fields=["tags"])
            await uow.customers.save(loaded)
            uow.emit(Event("Emitted", customer.id, uow.clock.now()))
            assert uow.event_names == ["CustomerCreated"]
            await uow.commit()
        assert uow.event_names == ["CustomerCreated", "Emitted", "CustomerUpdated"]
        assert loaded.events == []

    async def test_repositories_refuse_to_work_outside_the_block(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        with pytest.raises(AssertionError, match="outside"):
            await uow.customers.get(customer.id)

    async def test_a_second_external_reference_with_the_same_system_and_value_is_refused(
        self, uow: FakeUnitOfWork
    ) -> None:
        await a_customer(uow, external_refs=(a_ref("pos-card", "HZ-1"),))
        other = await a_customer(uow)
        async with uow:
            loaded = await uow.customers.get(other.id)
            assert loaded is not None
            loaded.external_refs.append(ExternalReference(new_id(), "pos-card", "HZ-1"))
            with pytest.raises(Duplicate) as caught:
                await uow.customers.save(loaded)
        assert caught.value.key is UniqueKey.EXTERNAL_REF


class TestUseCasesOnTheFake:
    async def test_a_use_case_that_fails_after_writing_leaves_the_store_unchanged(
        self, uow: FakeUnitOfWork
    ) -> None:
        # The key is claimed inside the transaction before the owner is found missing.
        attempt = CreateCustomer(
            profile={"display_name": "Mrs. Li", "owner_id": new_id()}, idempotency_key="k1"
        )
        error = await refused(uow, create_customer(attempt, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("owner_id",), ErrorCode.NOT_FOUND)}
        assert uow.data.idempotency == {}

    async def test_a_failed_write_does_not_burn_its_idempotency_key(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow)
        bad = RecordInteraction(
            customer_id=customer.id,
            channel=Channel.POS,
            kind="purchase",
            occurred_at=uow.clock.now(),
            staff_id=customer.id,
            idempotency_key="receipt-1",
        )
        await refused(uow, record_interaction(bad, uow=uow, viewer=ADMIN))
        good = RecordInteraction(
            customer_id=customer.id,
            channel=Channel.POS,
            kind="purchase",
            occurred_at=uow.clock.now(),
            idempotency_key="receipt-1",
        )
        interaction = await record_interaction(good, uow=uow, viewer=ADMIN)
        assert uow.interactions_of(customer.id) == [interaction]
