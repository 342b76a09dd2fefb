"""Spending, adjusting and expiring points (domain/loyalty/points.py)."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from domain.customers.model import Customer
from domain.loyalty.commands import AdjustPoints, ExpirePoints, PayWithPoints, RedeemReward
from domain.loyalty.model import LedgerEntry, LedgerKind, Programme
from domain.loyalty.points import (
    PointsMoved,
    adjust_points,
    expire_points,
    pay_with_points,
    redeem_reward,
)
from domain.shared.access import Role, Viewer
from domain.shared.errors import ErrorCode
from domain.shared.ids import new_id
from tests.builders import (
    ADMIN,
    Problem,
    a_customer,
    a_line,
    a_programme,
    a_purchase,
    problems,
    refused,
    the_hangzhou_store,
)
from tests.fakes import DEFAULT_NOW, FakeUnitOfWork

pytestmark = pytest.mark.usefixtures("ledger_holds")

JAN_2025, JUN_2025 = datetime(2025, 1, 10, tzinfo=UTC), datetime(2025, 6, 10, tzinfo=UTC)


def _balance(uow: FakeUnitOfWork, programme: Programme, customer: Customer) -> int:
    return uow.data.memberships[(programme.id, customer.id)].points_balance


def _lots(uow: FakeUnitOfWork, customer: Customer) -> list[int]:
    """What is left of her lots, oldest first."""
    lots = sorted((lot for lot in uow.data.lots.values() if lot.customer_id == customer.id),
                  key=lambda lot: lot.earned_at)
    return [lot.remaining for lot in lots]


def _entries(uow: FakeUnitOfWork, customer: Customer, kind: LedgerKind) -> list[LedgerEntry]:
    return [e for e in uow.data.ledger.values() if e.customer_id == customer.id and e.kind is kind]


async def _redeem(uow: FakeUnitOfWork, customer: Customer, reward: str = "tea-set",
                  **fields: Any) -> PointsMoved:
    return await redeem_reward(RedeemReward(customer.id, reward, **fields), uow=uow, viewer=ADMIN)


async def _pay(uow: FakeUnitOfWork, customer: Customer, points: int, **fields: Any) -> PointsMoved:
    command = PayWithPoints(customer.id, points, "HZ-ORDER-77", **fields)
    return await pay_with_points(command, uow=uow, viewer=ADMIN)


async def _adjust(uow: FakeUnitOfWork, customer: Customer, points: int,
                  viewer: Viewer = ADMIN, reason: str = "complaint CS-118 made good",
                  **fields: Any) -> PointsMoved:
    command = AdjustPoints(customer.id, points, reason, **fields)
    return await adjust_points(command, uow=uow, viewer=viewer)


async def _refused(uow: FakeUnitOfWork, attempt: Any) -> set[Problem]:
    return problems(await refused(uow, attempt))


class TestRedeemReward:
    async def test_a_reward_costs_its_points(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        moved = await _redeem(uow, mrs_li)
        assert (moved.entry.kind, moved.entry.points, moved.balance) == (
            LedgerKind.REDEEM, -500, 780)
        assert moved.entry.reward_id == programme.rewards[0].id
        assert _balance(uow, programme, mrs_li) == 780

    async def test_several_of_a_reward_cost_that_many_times_its_points(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        assert (await _redeem(uow, mrs_li, quantity=2)).balance == 280

    async def test_points_are_spent_from_the_oldest_lot_first(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id, a_line("600.00"))
        uow.fixed_clock.advance(hours=1)
        await a_purchase(uow, mrs_li.id, a_line("600.00"))
        await _redeem(uow, mrs_li, quantity=2)
        assert _lots(uow, mrs_li) == [0, 200]

    async def test_a_redemption_raises_a_points_redeemed_event(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        await _redeem(uow, mrs_li)
        assert uow.events[-1].name == "PointsRedeemed"
        assert uow.events[-1].data["balance"] == 780

    async def test_more_than_the_balance_is_refused(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id, a_line("499.00"))
        assert await _refused(uow, _redeem(uow, mrs_li)) == {
            (("points",), ErrorCode.INSUFFICIENT_POINTS)}

    async def test_someone_not_yet_a_member_has_no_points(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        assert await _refused(uow, _redeem(uow, mrs_li)) == {
            (("customer_id",), ErrorCode.INSUFFICIENT_POINTS)}

    async def test_an_unknown_reward_is_refused(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        assert await _refused(uow, _redeem(uow, mrs_li, "spa-day")) == {
            (("reward_code",), ErrorCode.NOT_FOUND)}

    async def test_a_withdrawn_reward_is_refused(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        await a_programme(uow, rewards=())
        assert await _refused(uow, _redeem(uow, mrs_li)) == {
            (("reward_code",), ErrorCode.NOT_FOUND)}

    async def test_a_quantity_out_of_range_is_refused(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        assert await _refused(uow, _redeem(uow, mrs_li, quantity=0)) == {
            (("quantity",), ErrorCode.INVALID)}

    async def test_a_retry_with_the_same_key_replays_and_writes_nothing(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        first = await _redeem(uow, mrs_li, idempotency_key="till-7-0042")
        before = uow.snapshot()
        again = await _redeem(uow, mrs_li, idempotency_key="till-7-0042")
        assert (again.entry, again.balance, again.replayed) == (first.entry, 780, True)
        assert uow.snapshot() == before

    async def test_the_same_key_for_another_redemption_is_refused(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        await _redeem(uow, mrs_li, idempotency_key="till-7-0042")
        assert await _refused(uow, _redeem(uow, mrs_li, quantity=2,
                                           idempotency_key="till-7-0042")) == {
            (("idempotency_key",), ErrorCode.IDEMPOTENCY_KEY_REUSED)}


class TestPayWithPoints:
    async def test_points_pay_their_money_value_at_checkout(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        moved = await _pay(uow, mrs_li, 1234)
        assert moved.paid is not None
        assert (moved.paid.amount, moved.paid.currency) == (Decimal("12.34"), "CNY")
        assert (moved.entry.points, moved.entry.money_value, moved.entry.order_ref) == (
            -1234, Decimal("12.34"), "HZ-ORDER-77")

    async def test_the_money_value_is_rounded_down_to_the_cent(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await a_programme(uow, point_value=Decimal("0.015"))
        await a_purchase(uow, mrs_li.id)
        moved = await _pay(uow, mrs_li, 333)  # 4.995
        assert moved.paid is not None
        assert moved.paid.amount == Decimal("4.99")

    async def test_too_few_points_to_pay_a_cent_are_refused(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        assert await _refused(uow, _pay(uow, mrs_li, 0)) == {(("points",), ErrorCode.INVALID)}

    async def test_a_fraction_of_a_cent_is_refused(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await a_programme(uow, point_value=Decimal("0.001"))
        await a_purchase(uow, mrs_li.id)
        assert await _refused(uow, _pay(uow, mrs_li, 9)) == {(("points",), ErrorCode.INVALID)}

    async def test_more_than_the_balance_is_refused(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        assert await _refused(uow, _pay(uow, mrs_li, 1281)) == {
            (("points",), ErrorCode.INSUFFICIENT_POINTS)}


class TestAdjustPoints:
    async def _clerk_and_customer(self, uow: FakeUnitOfWork) -> tuple[Viewer, Customer]:
        store = await the_hangzhou_store(uow)
        clerk = Viewer(Role.STAFF, "staff:wang-fang", staff_id=new_id(),
                       store_ids=frozenset({store.id}))
        return clerk, await a_customer(uow, display_name="Mrs. Li", home_store_id=store.id)

    async def test_a_clerk_adds_points_with_her_reason_and_name(
        self, uow: FakeUnitOfWork, programme: Programme
    ) -> None:
        clerk, mrs_li = await self._clerk_and_customer(uow)
        moved = await _adjust(uow, mrs_li, 200, viewer=clerk)
        assert (moved.entry.kind, moved.entry.points, moved.balance) == (
            LedgerKind.ADJUST, 200, 200)
        assert (moved.entry.reason, moved.entry.actor) == ("complaint CS-118 made good",
                                                           "staff:wang-fang")

    async def test_added_points_form_a_lot_that_expires_like_earned_ones(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await a_programme(uow, points_expire_after_months=12)
        moved = await _adjust(uow, mrs_li, 200)
        assert moved.entry.expires_at == datetime(2027, 3, 2, 9, 30, tzinfo=UTC)
        assert _lots(uow, mrs_li) == [200]

    async def test_points_taken_away_come_from_the_oldest_lot(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        moved = await _adjust(uow, mrs_li, -80, reason="double-scanned coupon")
        assert (moved.entry.points, moved.balance) == (-80, 1200)
        assert _lots(uow, mrs_li) == [1200]

    async def test_taking_away_more_than_the_balance_is_refused(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        assert await _refused(uow, _adjust(uow, mrs_li, -1281)) == {
            (("points",), ErrorCode.INSUFFICIENT_POINTS)}

    async def test_a_reason_is_required(self, uow: FakeUnitOfWork, mrs_li: Customer) -> None:
        assert await _refused(uow, _adjust(uow, mrs_li, 200, reason="  ")) == {
            (("reason",), ErrorCode.REQUIRED)}

    async def test_zero_points_is_no_adjustment(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        assert await _refused(uow, _adjust(uow, mrs_li, 0)) == {(("points",), ErrorCode.INVALID)}

    async def test_a_storefront_may_not_adjust_points(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        shop = Viewer(Role.STOREFRONT, "client:web", member_id=mrs_li.id)
        assert await _refused(uow, _adjust(uow, mrs_li, 200, viewer=shop)) == {
            ((), ErrorCode.NOT_ALLOWED)}


class TestExpirePoints:
    @pytest.fixture
    async def expiring(self, uow: FakeUnitOfWork, mrs_li: Customer) -> Programme:
        """Points that expire after 12 months; Mrs. Li bought in January and June 2025."""
        programme = await a_programme(uow, points_expire_after_months=12)
        for when in (JAN_2025, JUN_2025):
            uow.fixed_clock.set(when)
            await a_purchase(uow, mrs_li.id, a_line("1000.00"))
        uow.fixed_clock.set(DEFAULT_NOW)
        return programme

    async def _expire(self, uow: FakeUnitOfWork, as_of: datetime | None = None) -> Any:
        return await expire_points(ExpirePoints(as_of=as_of), new_uow=lambda: uow,
                                   viewer=ADMIN)

    async def test_a_lot_past_its_expiry_loses_what_is_left(
        self, uow: FakeUnitOfWork, expiring: Programme, mrs_li: Customer
    ) -> None:
        await self._expire(uow)
        assert _lots(uow, mrs_li) == [0, 1000]
        assert _balance(uow, expiring, mrs_li) == 1000

    async def test_the_expire_entry_is_dated_at_the_lots_expiry(
        self, uow: FakeUnitOfWork, expiring: Programme, mrs_li: Customer
    ) -> None:
        await self._expire(uow)
        [entry] = _entries(uow, mrs_li, LedgerKind.EXPIRE)
        [january] = [e for e in _entries(uow, mrs_li, LedgerKind.EARN)
                     if e.occurred_at == JAN_2025]
        assert (entry.points, entry.occurred_at, entry.lot_id) == (
            -1000, datetime(2026, 1, 10, tzinfo=UTC), january.id)

    async def test_only_what_was_not_spent_expires(
        self, uow: FakeUnitOfWork, expiring: Programme, mrs_li: Customer
    ) -> None:
        uow.fixed_clock.set(datetime(2025, 7, 1, tzinfo=UTC))
        await _redeem(uow, mrs_li)  # from the January lot
        uow.fixed_clock.set(DEFAULT_NOW)
        report = await self._expire(uow)
        assert (report.members, report.lots, report.points) == (1, 1, 500)

    async def test_the_report_counts_members_lots_and_points(
        self, uow: FakeUnitOfWork, expiring: Programme, mrs_li: Customer
    ) -> None:
        uow.fixed_clock.set(datetime(2026, 6, 30, tzinfo=UTC))
        report = await self._expire(uow)
        assert (report.programme_code, report.members, report.lots, report.points) == (
            "wardrobe", 1, 2, 2000)

    async def test_a_second_run_changes_nothing(
        self, uow: FakeUnitOfWork, expiring: Programme, mrs_li: Customer
    ) -> None:
        await self._expire(uow)
        before = uow.snapshot()
        report = await self._expire(uow)
        assert (report.members, report.lots, report.points) == (0, 0, 0)
        assert uow.snapshot() == before

    async def test_an_as_of_in_the_future_is_refused(
        self, uow: FakeUnitOfWork, expiring: Programme
    ) -> None:
        future = datetime(2026, 12, 31, tzinfo=UTC)
        assert await _refused(uow, self._expire(uow, as_of=future)) == {
            (("as_of",), ErrorCode.INVALID)}
