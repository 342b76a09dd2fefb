"""The loyalty fakes keep the promises of `domain/loyalty/ports.py`, as the Postgres adapter
does; the other loyalty unit tests rely on them."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from domain.customers.model import Customer
from domain.loyalty.model import Membership, Programme
from domain.shared.ids import new_id
from tests.builders import a_customer, a_line, a_programme, a_purchase, a_refund, customers
from tests.fakes import DEFAULT_NOW, FakeUnitOfWork

pytestmark = pytest.mark.usefixtures("ledger_holds")

WEEK = timedelta(days=7)


def _joining(programme: Programme, customer_id: UUID) -> Membership:
    entry = programme.entry_tier.id
    return Membership(customer_id, programme.id, entry, DEFAULT_NOW, entry, DEFAULT_NOW)


class TestEnrol:
    async def test_a_new_member_is_stored_and_returned_as_given(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        joining = _joining(programme, mrs_li.id)
        async with uow:
            assert await uow.loyalty.enrol(joining) is joining
            assert await uow.loyalty.lock_membership(programme.id, mrs_li.id) == joining

    async def test_enrolling_a_member_again_returns_the_stored_one(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        async with uow:
            stored = await uow.loyalty.enrol(_joining(programme, mrs_li.id))
        assert stored.points_balance == 1280


class TestQualifyingTotals:
    async def test_purchases_count_from_since_up_to_but_not_at_until(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        for days_ago in (14, 7, 0):
            uow.fixed_clock.set(DEFAULT_NOW - timedelta(days=days_ago))
            await a_purchase(uow, mrs_li.id, a_line("100.00"))
        async with uow:
            totals = await uow.loyalty.qualifying_totals(
                programme.id, mrs_li.id, DEFAULT_NOW - WEEK, DEFAULT_NOW)
        assert (totals.spend, totals.points) == (Decimal(100), 100)

    async def test_returns_are_taken_off(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id, a_line("100.00", quantity=3))
        await a_refund(uow, purchase, (1, 1))
        async with uow:
            totals = await uow.loyalty.qualifying_totals(programme.id, mrs_li.id,
                                                         DEFAULT_NOW - WEEK, None)
        assert (totals.spend, totals.points) == (Decimal(200), 200)


class TestLots:
    async def test_open_lots_are_those_with_points_left_oldest_first(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        newer = await a_purchase(uow, mrs_li.id)
        uow.fixed_clock.set(DEFAULT_NOW - WEEK)
        older = await a_purchase(uow, mrs_li.id)
        spent = await a_purchase(uow, mrs_li.id, a_line("10.00"))
        await a_refund(uow, spent)
        async with uow:
            lots = await uow.loyalty.open_lots(programme.id, mrs_li.id)
        assert [lot.entry_id for lot in lots] == [older.earn_entry_id, newer.earn_entry_id]

    async def test_saving_a_known_lot_writes_what_is_left_of_it(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        async with uow:
            [lot] = await uow.loyalty.open_lots(programme.id, mrs_li.id)
            lot.remaining = 80
            await uow.loyalty.save_lots([lot])
            assert [lot.remaining for lot in await uow.loyalty.open_lots(
                programme.id, mrs_li.id)] == [80]


class TestBatchQueries:
    @pytest.fixture
    async def members(self, uow: FakeUnitOfWork, programme: Programme) -> list[Customer]:
        """Five members who joined a year ago, not yet reviewed."""
        uow.fixed_clock.set(DEFAULT_NOW - timedelta(days=365))
        joined = await customers(uow, 5)
        for customer in joined:
            await a_purchase(uow, customer.id)
        uow.fixed_clock.set(DEFAULT_NOW)
        return joined

    async def test_members_to_review_come_a_page_at_a_time_in_id_order(
        self, uow: FakeUnitOfWork, programme: Programme, members: list[Customer]
    ) -> None:
        ids = sorted(c.id for c in members)
        end = datetime(2026, 3, 1, tzinfo=UTC)
        async with uow:
            first = await uow.loyalty.members_to_review(programme.id, end, DEFAULT_NOW, None, 2)
            rest = await uow.loyalty.members_to_review(programme.id, end, DEFAULT_NOW,
                                                       first[-1], 10)
        assert (first, rest) == (ids[:2], ids[2:])

    async def test_a_member_reviewed_through_the_period_end_is_not_due(
        self, uow: FakeUnitOfWork, programme: Programme, members: list[Customer]
    ) -> None:
        end = datetime(2026, 3, 1, tzinfo=UTC)
        reviewed = members[0]
        async with uow:
            membership = await uow.loyalty.lock_membership(programme.id, reviewed.id)
            assert membership is not None
            membership.reviewed_through = end
            await uow.loyalty.save_membership(membership)
            due = await uow.loyalty.members_to_review(programme.id, end, DEFAULT_NOW, None, 10)
        assert reviewed.id not in due
        assert len(due) == 4

    async def test_members_with_expired_lots_are_those_holding_points_past_expiry(
        self, uow: FakeUnitOfWork, programme: Programme, members: list[Customer]
    ) -> None:
        await a_programme(uow, points_expire_after_months=1)
        holder = await a_customer(uow)
        uow.fixed_clock.set(DEFAULT_NOW - timedelta(days=60))
        await a_purchase(uow, holder.id)
        uow.fixed_clock.set(DEFAULT_NOW)
        async with uow:
            due = await uow.loyalty.members_with_expired_lots(programme.id, DEFAULT_NOW,
                                                              None, 10)
        assert due == [holder.id]

    async def test_a_customer_of_another_programme_is_not_listed(
        self, uow: FakeUnitOfWork, programme: Programme, members: list[Customer]
    ) -> None:
        async with uow:
            due = await uow.loyalty.members_to_review(new_id(), DEFAULT_NOW, DEFAULT_NOW,
                                                      None, 10)
        assert due == []

