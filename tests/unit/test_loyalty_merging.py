"""Merging a duplicate customer moves her purchases, points and tier to the survivor
(domain/loyalty/merging.py, called by merge_customers)."""

import pytest

from domain.customers.commands import ExportCustomerData, MergeCustomers
from domain.customers.model import Customer
from domain.customers.privacy import export_customer_data
from domain.customers.services import merge_customers
from domain.loyalty.commands import RedeemReward
from domain.loyalty.model import LedgerKind, Membership, Programme, TierChangeReason
from domain.loyalty.points import redeem_reward
from tests.builders import ADMIN, PARTS, a_customer, a_line, a_programme, a_purchase, a_refund
from tests.fakes import FakeUnitOfWork

pytestmark = pytest.mark.usefixtures("ledger_holds")


@pytest.fixture
async def web_account(uow: FakeUnitOfWork, programme: Programme) -> Customer:
    """Mrs. Li again, as the web shop first knew her: a duplicate to merge."""
    return await a_customer(uow)


async def _merge(uow: FakeUnitOfWork, survivor: Customer, duplicate: Customer) -> None:
    await merge_customers(MergeCustomers(survivor.id, duplicate.id), uow=uow, viewer=ADMIN,
                          parts=PARTS)


def _member(uow: FakeUnitOfWork, programme: Programme, customer: Customer) -> Membership:
    return uow.data.memberships[(programme.id, customer.id)]


async def test_the_duplicates_points_move_to_the_survivor(
    uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer, web_account: Customer
) -> None:
    await a_purchase(uow, mrs_li.id, a_line("500.00"))
    await a_purchase(uow, web_account.id, a_line("1500.00"))

    await _merge(uow, mrs_li, web_account)

    assert _member(uow, programme, mrs_li).points_balance == 2000
    assert _member(uow, programme, web_account).points_balance == 0


async def test_moved_points_expire_when_they_would_have(
    uow: FakeUnitOfWork, mrs_li: Customer, web_account: Customer
) -> None:
    await a_programme(uow, points_expire_after_months=24)
    await a_purchase(uow, web_account.id, a_line("1500.00"))
    earned = next(lot for lot in uow.data.lots.values() if lot.customer_id == web_account.id)

    await _merge(uow, mrs_li, web_account)

    moved = next(lot for lot in uow.data.lots.values() if lot.customer_id == mrs_li.id)
    assert (moved.remaining, moved.expires_at) == (1500, earned.expires_at)


async def test_the_move_is_on_both_ledgers_with_its_reason(
    uow: FakeUnitOfWork, mrs_li: Customer, web_account: Customer
) -> None:
    await a_purchase(uow, web_account.id, a_line("1500.00"))

    await _merge(uow, mrs_li, web_account)

    adjustments = {(e.customer_id, e.points, e.reason) for e in uow.data.ledger.values()
                   if e.kind is LedgerKind.ADJUST}
    assert adjustments == {
        (mrs_li.id, 1500, f"merged from customer {web_account.id}"),
        (web_account.id, -1500, f"merged into customer {mrs_li.id}"),
    }


async def test_the_duplicates_purchases_become_the_survivors_and_can_be_returned(
    uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer, web_account: Customer
) -> None:
    coat = await a_purchase(uow, web_account.id, a_line("1500.00"))
    await _merge(uow, mrs_li, web_account)

    await a_refund(uow, coat)

    assert uow.data.purchases[coat.id].customer_id == mrs_li.id
    assert _member(uow, programme, mrs_li).points_balance == 0


async def test_the_survivor_keeps_the_higher_tier(
    uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer, web_account: Customer
) -> None:
    await a_purchase(uow, mrs_li.id, a_line("100.00"))
    await a_purchase(uow, web_account.id, a_line("6000.00"))

    await _merge(uow, mrs_li, web_account)

    survivor = _member(uow, programme, mrs_li)
    assert programme.tier(survivor.tier_id).code == "silver"
    assert uow.data.tier_changes[-1].reason is TierChangeReason.MERGED


async def test_their_spend_together_can_take_her_over_a_threshold(
    uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer, web_account: Customer
) -> None:
    await a_purchase(uow, mrs_li.id, a_line("2600.00"))
    await a_purchase(uow, web_account.id, a_line("2600.00"))

    await _merge(uow, mrs_li, web_account)

    assert programme.tier(_member(uow, programme, mrs_li).tier_id).code == "silver"
    assert uow.data.tier_changes[-1].reason is TierChangeReason.QUALIFIED


async def test_a_survivor_who_never_bought_is_enrolled_by_the_merge(
    uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer, web_account: Customer
) -> None:
    await a_purchase(uow, web_account.id, a_line("800.00"))

    await _merge(uow, mrs_li, web_account)

    assert _member(uow, programme, mrs_li).points_balance == 800


async def test_a_negative_balance_moves_too(
    uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer, web_account: Customer
) -> None:
    coat = await a_purchase(uow, web_account.id, a_line("600.00"))
    await redeem_reward(RedeemReward(web_account.id, "tea-set"), uow=uow, viewer=ADMIN)
    await a_refund(uow, coat)  # 600 points reversed after 500 were spent: -500
    await a_purchase(uow, mrs_li.id, a_line("800.00"))

    await _merge(uow, mrs_li, web_account)

    assert _member(uow, programme, mrs_li).points_balance == 300
    assert _member(uow, programme, web_account).points_balance == 0


async def test_her_data_export_holds_the_duplicates_ledger_too(
    uow: FakeUnitOfWork, mrs_li: Customer, web_account: Customer
) -> None:
    await a_purchase(uow, web_account.id, a_line("1500.00"))
    await _merge(uow, mrs_li, web_account)

    document = await export_customer_data(ExportCustomerData(mrs_li.id), uow=uow, viewer=ADMIN,
                                          parts=PARTS)

    ledger = document["loyalty"]["pointsLedger"]
    assert sorted((e["kind"], e["points"]) for e in ledger) == [
        ("ADJUST", -1500), ("ADJUST", 1500), ("EARN", 1500)]
    assert [p["paymentTotal"] for p in document["loyalty"]["purchases"]] == ["1500.00"]
