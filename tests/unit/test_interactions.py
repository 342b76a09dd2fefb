"""interactionRecord: validation, links, merged customers, idempotency, last interaction time."""

from dataclasses import replace
from datetime import timedelta, timezone
from typing import Any

import pytest

from domain.customers.commands import EraseCustomer, MergeCustomers
from domain.customers.privacy import erase_customer
from domain.customers.services import merge_customers
from domain.interactions.model import Channel, Direction, GeoPoint, Interaction
from domain.interactions.services import MAX_PAYLOAD_BYTES, record_interaction
from domain.shared.errors import ErrorCode
from domain.shared.ids import new_id
from tests.builders import (
    ADMIN,
    PARTS,
    Problem,
    a_case,
    a_customer,
    a_staff_member,
    a_store,
    an_interaction,
    problems,
    record_command,
    refused,
)
from tests.fakes import FakeUnitOfWork, FixedClock

SHANGHAI = timezone(timedelta(hours=8))

BAD_INPUTS: dict[str, tuple[dict[str, Any], Problem]] = {
    "kind not a slug": ({"kind": "Purchase Made"}, (("kind",), ErrorCode.INVALID)),
    "kind empty": ({"kind": " "}, (("kind",), ErrorCode.REQUIRED)),
    "kind too long": ({"kind": "k" * 65}, (("kind",), ErrorCode.TOO_LONG)),
    "summary too long": ({"summary": "s" * 2001}, (("summary",), ErrorCode.TOO_LONG)),
    "place too long": ({"place": "p" * 201}, (("place",), ErrorCode.TOO_LONG)),
    "payload too large": (
        {"payload": {"lines": "x" * MAX_PAYLOAD_BYTES}},
        (("payload",), ErrorCode.TOO_LARGE),
    ),
    "payload not an object": ({"payload": ["scarf"]}, (("payload",), ErrorCode.INVALID)),
    "payload not plain JSON": (
        {"payload": {"total": float("nan")}},
        (("payload",), ErrorCode.INVALID),
    ),
    "latitude over 90": ({"geo": GeoPoint(90.5, 120.0)}, (("geo",), ErrorCode.INVALID)),
    "latitude under -90": ({"geo": GeoPoint(-91.0, 120.0)}, (("geo",), ErrorCode.INVALID)),
    "longitude over 180": ({"geo": GeoPoint(30.0, 180.1)}, (("geo",), ErrorCode.INVALID)),
    "longitude under -180": ({"geo": GeoPoint(30.0, -181.0)}, (("geo",), ErrorCode.INVALID)),
}


class TestRecordInteractionValidation:
    @pytest.mark.parametrize(("fields", "expected"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
    async def test_bad_input_is_refused_at_its_field(
        self, uow: FakeUnitOfWork, fields: dict[str, Any], expected: Problem
    ) -> None:
        customer = await a_customer(uow)
        command = record_command(customer.id, uow.clock.now(), **fields)
        error = await refused(uow, record_interaction(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {expected}

    async def test_a_time_without_offset_is_refused(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        naive = uow.clock.now().replace(tzinfo=None)
        error = await refused(
            uow, record_interaction(record_command(customer.id, naive), uow=uow, viewer=ADMIN)
        )
        assert problems(error) == {(("occurred_at",), ErrorCode.INVALID)}

    async def test_a_time_more_than_five_minutes_ahead_is_refused(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow)
        ahead = uow.clock.now() + timedelta(minutes=5, seconds=1)
        error = await refused(
            uow, record_interaction(record_command(customer.id, ahead), uow=uow, viewer=ADMIN)
        )
        assert problems(error) == {(("occurred_at",), ErrorCode.INVALID)}

    async def test_a_till_five_minutes_fast_is_tolerated(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        ahead = uow.clock.now() + timedelta(minutes=5)
        interaction = await an_interaction(uow, customer.id, ahead)
        assert interaction.occurred_at == ahead

    async def test_the_edges_of_the_globe_are_accepted(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        for geo in (GeoPoint(90, 180), GeoPoint(-90, -180)):
            assert (await an_interaction(uow, customer.id, geo=geo)).geo == geo

    async def test_every_problem_is_reported_at_once(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        command = record_command(
            customer.id,
            uow.clock.now() + timedelta(hours=1),
            kind="Check In",
            summary="s" * 2001,
            payload=[],
            geo=GeoPoint(100, 0),
        )
        error = await refused(uow, record_interaction(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {
            (("kind",), ErrorCode.INVALID),
            (("summary",), ErrorCode.TOO_LONG),
            (("payload",), ErrorCode.INVALID),
            (("occurred_at",), ErrorCode.INVALID),
            (("geo",), ErrorCode.INVALID),
        }


class TestRecordInteraction:
    async def test_an_interaction_is_stored_with_everything_it_says(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        store = await a_store(uow)
        clerk = await a_staff_member(uow, store_id=store.id)
        customer = await a_customer(uow)
        occurred = clock.now() - timedelta(minutes=3)
        interaction = await an_interaction(
            uow,
            customer.id,
            occurred,
            channel=Channel.CHECK_IN,
            kind="Counter-Check-In",
            direction=Direction.INBOUND,
            summary="  Checked in at the Jing'an counter ",
            payload={"counter": 3},
            store_id=store.id,
            geo=GeoPoint(31.22, 121.45),
            place=" Jing'an Temple ",
            staff_id=clerk.id,
        )
        assert interaction == Interaction(
            id=interaction.id,
            customer_id=customer.id,
            channel=Channel.CHECK_IN,
            direction=Direction.INBOUND,
            kind="counter-check-in",
            occurred_at=occurred,
            recorded_at=clock.now(),
            summary="Checked in at the Jing'an counter",
            payload={"counter": 3},
            store_id=store.id,
            geo=GeoPoint(31.22, 121.45),
            place="Jing'an Temple",
            staff_id=clerk.id,
        )
        assert uow.interactions_of(customer.id) == [interaction]

    async def test_recording_is_announced(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        interaction = await an_interaction(uow, customer.id, kind="purchase")
        event = uow.events[-1]
        assert (event.name, event.aggregate_id, event.occurred_at) == (
            "InteractionRecorded",
            customer.id,
            uow.clock.now(),
        )
        assert event.data == {
            "interaction_id": str(interaction.id),
            "channel": "POS",
            "kind": "purchase",
        }

    async def test_recording_is_not_a_profile_edit(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        await an_interaction(uow, customer.id)
        assert uow.stored_customer(customer.id) == customer

    async def test_an_unknown_customer_is_not_found(self, uow: FakeUnitOfWork) -> None:
        command = record_command(new_id(), uow.clock.now())
        error = await refused(uow, record_interaction(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("customer_id",), ErrorCode.NOT_FOUND)}

    async def test_an_erased_customer_gets_no_new_interactions(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        await erase_customer(EraseCustomer(customer.id, "DSR-1"), uow=uow, viewer=ADMIN)
        command = record_command(customer.id, uow.clock.now())
        error = await refused(uow, record_interaction(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("customer_id",), ErrorCode.ERASED)}

    @pytest.mark.parametrize("field", ["store_id", "staff_id", "case_id"])
    async def test_an_unknown_link_is_not_found(self, uow: FakeUnitOfWork, field: str) -> None:
        customer = await a_customer(uow)
        command = record_command(customer.id, uow.clock.now(), **{field: new_id()})
        error = await refused(uow, record_interaction(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {((field,), ErrorCode.NOT_FOUND)}

    async def test_a_case_of_another_customer_is_invalid(self, uow: FakeUnitOfWork) -> None:
        customer, other = await a_customer(uow), await a_customer(uow)
        case = await a_case(uow, other.id)
        command = record_command(customer.id, uow.clock.now(), case_id=case.id)
        error = await refused(uow, record_interaction(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("case_id",), ErrorCode.INVALID)}

    async def test_a_case_of_the_same_customer_is_linked(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        case = await a_case(uow, customer.id)
        interaction = await an_interaction(uow, customer.id, case_id=case.id)
        assert interaction.case_id == case.id

    async def test_an_interaction_for_a_merged_duplicate_lands_on_the_survivor(
        self, uow: FakeUnitOfWork
    ) -> None:
        survivor, duplicate = await a_customer(uow), await a_customer(uow)
        await merge_customers(MergeCustomers(survivor.id, duplicate.id), uow=uow, viewer=ADMIN,
                              parts=PARTS)
        interaction = await an_interaction(uow, duplicate.id)
        assert interaction.customer_id == survivor.id
        assert uow.interactions_of(survivor.id) == [interaction]
        assert uow.events[-1].aggregate_id == survivor.id


class TestLastInteractionTime:
    async def test_it_moves_to_a_newer_interaction(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        customer = await a_customer(uow)
        await an_interaction(uow, customer.id, clock.now() - timedelta(days=2))
        newer = await an_interaction(uow, customer.id, clock.now() - timedelta(days=1))
        assert uow.data.last_interaction_at[customer.id] == newer.occurred_at

    async def test_it_does_not_move_back_for_an_older_one(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        customer = await a_customer(uow)
        newer = await an_interaction(uow, customer.id, clock.now())
        await an_interaction(uow, customer.id, clock.now() - timedelta(days=30))
        assert uow.data.last_interaction_at[customer.id] == newer.occurred_at

    async def test_it_compares_instants_not_wall_clocks(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        customer = await a_customer(uow)
        utc = await an_interaction(uow, customer.id, clock.now() - timedelta(hours=1))
        shanghai = utc.occurred_at.astimezone(SHANGHAI) - timedelta(minutes=10)
        await an_interaction(uow, customer.id, shanghai)
        assert uow.data.last_interaction_at[customer.id] == utc.occurred_at


class TestRecordInteractionIdempotency:
    async def test_the_same_key_with_the_same_input_replays_the_first_interaction(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        customer = await a_customer(uow)
        command = record_command(customer.id, clock.now(), idempotency_key="HZ-0042")
        first = await record_interaction(command, uow=uow, viewer=ADMIN)
        before = uow.snapshot()
        clock.advance(minutes=2)
        again = await record_interaction(command, uow=uow, viewer=ADMIN)
        assert again == first
        assert uow.snapshot() == before
        assert uow.interactions_of(customer.id) == [first]

    async def test_the_same_key_with_another_input_is_refused(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        customer = await a_customer(uow)
        command = record_command(customer.id, clock.now(), idempotency_key="HZ-0042")
        await record_interaction(command, uow=uow, viewer=ADMIN)
        changed = replace(command, summary="Silk scarf, size M")
        error = await refused(uow, record_interaction(changed, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("idempotency_key",), ErrorCode.IDEMPOTENCY_KEY_REUSED)}

    async def test_keys_of_customers_and_interactions_do_not_collide(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        customer = await a_customer(uow, idempotency_key="HZ-0042")
        command = record_command(customer.id, clock.now(), idempotency_key="HZ-0042")
        interaction = await record_interaction(command, uow=uow, viewer=ADMIN)
        assert uow.interactions_of(customer.id) == [interaction]
