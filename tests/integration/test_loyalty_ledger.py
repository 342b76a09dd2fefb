"""The points ledger holds on real Postgres: after any sequence of movements, and under
real concurrency, a member's balance is the sum of her entries, her open lots hold
max(balance, 0), and the ledger check finds nothing wrong."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from uuid import UUID

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.customers.commands import MergeCustomers
from domain.loyalty.commands import (
    AdjustPoints,
    ClosePeriod,
    ExpirePoints,
    PayWithPoints,
    RedeemReward,
    RefundLineInput,
    RefundPurchase,
)
from domain.loyalty.model import DowngradePolicy, Membership
from domain.loyalty.points import ExpiryReport, PointsMoved
from domain.loyalty.purchases import PurchaseRecorded, RefundRecorded
from domain.loyalty.tiers import PeriodReport
from domain.shared.errors import DomainError, ErrorCode
from infrastructure.bootstrap import Container
from infrastructure.postgres.engine import create_engine
from infrastructure.postgres.tables import (
    loyalty_memberships,
    loyalty_point_lots,
    loyalty_tier_changes,
    purchases,
)
from infrastructure.postgres.unit_of_work import PgUnitOfWork
from tests.conftest import events_written
from tests.fakes import FixedClock
from tests.integration.loyalty_setup import (
    SCARF_COST,
    a_container,
    a_customer,
    a_line,
    a_programme,
    a_purchase,
    count_rows,
    ledger_sum,
    purchase_command,
)

T = TypeVar("T")
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CONCURRENT_TILLS = 16


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def wide_engine(database_url: str, db: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """An engine with a connection for each concurrent till (the session's has 10)."""
    engine = create_engine(database_url, pool_size=CONCURRENT_TILLS + 4)
    yield engine
    await engine.dispose()


@pytest.fixture
def container(wide_engine: AsyncEngine, clock: FixedClock) -> Container:
    return a_container(wide_engine, clock)


async def _membership(container: Container, customer_id: UUID) -> Membership:
    async with PgUnitOfWork(container.engine, container.clock) as uow:
        programme = await uow.programmes.default()
        assert programme is not None
        membership = await uow.loyalty.lock_membership(programme.id, customer_id)
    assert membership is not None
    return membership


async def _lots_remaining(engine: AsyncEngine, customer_id: UUID) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(
            select(func.coalesce(func.sum(loyalty_point_lots.c.remaining), 0))
            .where(loyalty_point_lots.c.customer_id == customer_id))).scalar_one())


async def assert_ledger_holds(container: Container, customer_id: UUID) -> int:
    """Her balance snapshot is her ledger's sum, her lots hold max(sum, 0), and the ledger
    check agrees; returns the balance."""
    balance = (await _membership(container, customer_id)).points_balance
    assert balance == await ledger_sum(container.engine, customer_id)
    assert await _lots_remaining(container.engine, customer_id) == max(balance, 0)
    assert await container.queries.loyalty.ledger_mismatches() == []
    return balance


async def _outcomes(*calls: Awaitable[T]) -> list[T | BaseException]:
    return await asyncio.gather(*calls, return_exceptions=True)


# --- a realistic sequence ------------------------------------------------------------------


async def test_the_ledger_holds_through_purchases_returns_spending_and_expiry(
    container: Container, clock: FixedClock
) -> None:
    await a_programme(container)
    li = await a_customer(container)
    old = await a_purchase(container, li.id, "old", NOW - timedelta(days=400), a_line("300.00"))
    dresses = await a_purchase(container, li.id, "dresses", NOW,
                               a_line("450.00", 2), a_line("120.00", sku="BELT"))
    await assert_ledger_holds(container, li.id)

    steps: list[Callable[[], Awaitable[object]]] = [
        lambda: container.use_cases.loyalty.expire_points(ExpirePoints()),
        lambda: container.use_cases.loyalty.refund_purchase(RefundPurchase(
            "part", NOW, purchase_id=dresses.purchase.id, lines=(RefundLineInput(1, 1),))),
        lambda: container.use_cases.loyalty.redeem_reward(RedeemReward(li.id, "silk-scarf")),
        lambda: container.use_cases.loyalty.pay_with_points(PayWithPoints(li.id, 50, "web-77")),
        lambda: container.use_cases.loyalty.adjust_points(AdjustPoints(li.id, 50, "goodwill")),
        lambda: container.use_cases.loyalty.adjust_points(
            AdjustPoints(li.id, -30, "double credit")),
        lambda: container.use_cases.loyalty.refund_purchase(RefundPurchase(
            "rest", NOW, purchase_id=dresses.purchase.id)),  # overdraws: the points were spent
        lambda: container.use_cases.loyalty.adjust_points(AdjustPoints(li.id, 1000, "repays it")),
    ]
    for step in steps:
        clock.advance(minutes=1)
        await step()
        await assert_ledger_holds(container, li.id)

    earned = old.purchase.points + dresses.purchase.points
    expired, returned = old.purchase.points, dresses.purchase.points
    assert await assert_ledger_holds(container, li.id) == (
        earned - expired - returned - SCARF_COST - 50 + 50 - 30 + 1000)


async def test_a_return_after_the_points_were_spent_overdraws_then_earning_repays(
    container: Container,
) -> None:
    await a_programme(container)
    li = await a_customer(container)
    coat = await a_purchase(container, li.id, "coat", NOW, a_line("600.00"))
    await container.use_cases.loyalty.redeem_reward(RedeemReward(li.id, "silk-scarf"))
    await container.use_cases.loyalty.refund_purchase(
        RefundPurchase("coat-back", NOW, purchase_id=coat.purchase.id))

    assert await assert_ledger_holds(container, li.id) == 600 - SCARF_COST - 600
    await a_purchase(container, li.id, "gloves", NOW, a_line("700.00"))
    assert await assert_ledger_holds(container, li.id) == 600 - SCARF_COST - 600 + 700


async def test_merging_a_duplicate_moves_her_points_and_purchases(
    container: Container,
) -> None:
    await a_programme(container)
    li = await a_customer(container)
    web_account = await a_customer(container, "Li Mei")
    await a_purchase(container, li.id, "till", NOW, a_line("600.00"))
    online = await a_purchase(container, web_account.id, "web", NOW, a_line("700.00"))

    await container.use_cases.customers.merge_customers(MergeCustomers(li.id, web_account.id))

    assert await assert_ledger_holds(container, li.id) == 1300
    assert await assert_ledger_holds(container, web_account.id) == 0
    await container.use_cases.loyalty.refund_purchase(
        RefundPurchase("web-back", NOW, purchase_id=online.purchase.id))
    assert await assert_ledger_holds(container, li.id) == 600


# --- concurrency ------------------------------------------------------------------------------


async def test_sixteen_concurrent_redemptions_never_take_the_balance_below_zero(
    container: Container,
) -> None:
    await a_programme(container)
    li = await a_customer(container)
    await a_purchase(container, li.id, "big", NOW, a_line("2300.00"))
    balance = await assert_ledger_holds(container, li.id)

    outcomes = await _outcomes(*(
        container.use_cases.loyalty.redeem_reward(RedeemReward(li.id, "silk-scarf"))
        for _ in range(CONCURRENT_TILLS)))

    redeemed = [o for o in outcomes if isinstance(o, PointsMoved)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(redeemed) == balance // SCARF_COST
    assert len(refused) == CONCURRENT_TILLS - len(redeemed)
    assert {e.errors[0].code for e in refused} == {ErrorCode.INSUFFICIENT_POINTS}
    assert min(o.balance for o in redeemed) >= 0
    assert await assert_ledger_holds(container, li.id) == balance % SCARF_COST


async def test_concurrent_first_purchases_enrol_her_once(container: Container) -> None:
    await a_programme(container)
    li = await a_customer(container)

    outcomes = await _outcomes(*(
        a_purchase(container, li.id, f"till-{n}", NOW, a_line("100.00"))
        for n in range(4)))

    assert all(isinstance(o, PurchaseRecorded) for o in outcomes)
    assert await count_rows(container.engine, loyalty_memberships) == 1
    assert await assert_ledger_holds(container, li.id) == 400


async def test_one_order_recorded_twice_at_once_is_one_purchase(container: Container) -> None:
    await a_programme(container)
    li = await a_customer(container)
    command = purchase_command(li.id, "receipt-42", NOW, a_line("100.00"))

    outcomes = await _outcomes(*(container.use_cases.loyalty.record_purchase(command)
                                 for _ in range(2)))

    recorded = [o for o in outcomes if isinstance(o, PurchaseRecorded)]
    assert sorted(o.replayed for o in recorded) == [False, True]
    assert len({o.purchase.id for o in recorded}) == 1
    assert await count_rows(container.engine, purchases) == 1
    assert await assert_ledger_holds(container, li.id) == 100


async def test_a_return_retried_at_once_returns_once(container: Container) -> None:
    await a_programme(container)
    li = await a_customer(container)
    coat = await a_purchase(container, li.id, "coat", NOW, a_line("600.00"))
    refund = RefundPurchase("back", NOW, purchase_id=coat.purchase.id)

    outcomes = await _outcomes(*(container.use_cases.loyalty.refund_purchase(refund)
                                 for _ in range(2)))

    assert sorted(o.replayed for o in outcomes if isinstance(o, RefundRecorded)) == [False, True]
    assert await assert_ledger_holds(container, li.id) == 0


# --- the batch jobs ---------------------------------------------------------------------------


async def _members_for_the_jobs(container: Container, clock: FixedClock) -> list[UUID]:
    """Li reached silver in February 2025 and bought nothing since: at the close of
    February 2026 her tier drops and her points expire. Lisa joined recently."""
    clock.set(datetime(2025, 2, 10, tzinfo=UTC))
    await a_programme(container)
    li, lisa = await a_customer(container), await a_customer(container, "Lisa")
    await a_purchase(container, li.id, "old", clock.now(), a_line("1200.00"))
    clock.set(NOW - timedelta(days=40))
    await a_purchase(container, lisa.id, "new", clock.now(), a_line("80.00"))
    clock.set(NOW)
    return [li.id, lisa.id]


async def test_closing_a_period_twice_changes_nothing_the_second_time(
    container: Container, clock: FixedClock
) -> None:
    members = await _members_for_the_jobs(container, clock)

    first: PeriodReport = await container.use_cases.loyalty.close_period(ClosePeriod())
    second: PeriodReport = await container.use_cases.loyalty.close_period(ClosePeriod())

    assert (first.reviewed, first.downgraded) == (2, 1)
    assert first.changes == [f"{members[0]}: silver → classic"]
    assert (second.reviewed, second.downgraded, second.changes) == (0, 0, [])
    for member in members:
        await assert_ledger_holds(container, member)


async def test_closing_a_period_concurrently_reviews_each_member_once(
    container: Container, clock: FixedClock
) -> None:
    members = await _members_for_the_jobs(container, clock)
    changes_before = await count_rows(container.engine, loyalty_tier_changes)

    reports = await asyncio.gather(
        container.use_cases.loyalty.close_period(ClosePeriod()),
        container.use_cases.loyalty.close_period(ClosePeriod()))

    assert sum(r.reviewed for r in reports) == len(members)
    assert sum(r.downgraded for r in reports) == 1
    assert await count_rows(container.engine, loyalty_tier_changes) == changes_before + 1
    assert await container.queries.loyalty.ledger_mismatches() == []


async def test_a_shortfall_in_a_grace_programme_tells_the_outbox_her_tier_is_at_risk(
    container: Container, clock: FixedClock
) -> None:
    clock.set(datetime(2025, 2, 10, tzinfo=UTC))
    programme = await a_programme(container, downgrade=DowngradePolicy.GRACE_PERIOD,
                                  grace_months=3)
    li = await a_customer(container)
    await a_purchase(container, li.id, "old", clock.now(), a_line("1200.00"))
    clock.set(NOW)

    await container.use_cases.loyalty.close_period(ClosePeriod())

    [at_risk] = await events_written(container.engine, "LoyaltyTierAtRisk")
    kept = await _membership(container, li.id)
    silver = programme.tier_by_code("silver")
    assert silver is not None
    assert kept.downgrade_due_at is not None
    assert (at_risk.aggregate_id, at_risk.data) == (li.id, {
        "programme_id": str(programme.id), "tier_id": str(silver.id),
        "downgrade_due_at": kept.downgrade_due_at.isoformat()})


async def test_expiring_points_twice_expires_them_once(
    container: Container, clock: FixedClock
) -> None:
    li, _ = await _members_for_the_jobs(container, clock)

    first: ExpiryReport = await container.use_cases.loyalty.expire_points(ExpirePoints())
    second: ExpiryReport = await container.use_cases.loyalty.expire_points(ExpirePoints())

    assert (first.members, first.lots, first.points) == (1, 1, 1200)
    assert (second.members, second.lots, second.points) == (0, 0, 0)
    assert await assert_ledger_holds(container, li) == 0


async def test_expiring_points_concurrently_expires_them_once(
    container: Container, clock: FixedClock
) -> None:
    li, lisa = await _members_for_the_jobs(container, clock)

    reports = await asyncio.gather(
        container.use_cases.loyalty.expire_points(ExpirePoints()),
        container.use_cases.loyalty.expire_points(ExpirePoints()))

    assert sum(r.members for r in reports) == 1
    assert sum(r.points for r in reports) == 1200
    assert await assert_ledger_holds(container, li) == 0
    assert await assert_ledger_holds(container, lisa) == 80
