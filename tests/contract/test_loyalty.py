"""The loyalty repository: memberships, the points ledger and its lots, purchases with
their refunds, and the pages of members the batch jobs work through."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from domain.customers.model import Customer
from domain.loyalty.model import (
    LoyaltyRecord,
    Programme,
    QualifyingTotals,
    SalesChannel,
    TierChangeReason,
    TierOverride,
)
from domain.shared.ids import new_id
from tests import builders
from tests.contract import records
from tests.contract.conftest import UowFactory, stored_customers
from tests.fakes import FixedClock


async def _programme_and_customers(
    uow_factory: UowFactory, clock: FixedClock, n: int = 1
) -> tuple[Programme, list[Customer]]:
    wardrobe = await builders.a_programme(uow_factory())
    return wardrobe, await stored_customers(uow_factory, clock.now(), n)


# --- memberships ---------------------------------------------------------------------------


async def test_an_enrolled_member_is_found_by_locking_her_membership(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe, [mrs_li] = await _programme_and_customers(uow_factory, clock)
    membership = records.a_membership(wardrobe, mrs_li.id, clock.now())
    async with uow_factory() as uow:
        assert await uow.loyalty.enrol(membership) is membership
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.loyalty.lock_membership(wardrobe.id, mrs_li.id) == membership


async def test_enrolling_a_member_again_returns_the_stored_membership(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe, [mrs_li] = await _programme_and_customers(uow_factory, clock)
    first = records.a_membership(wardrobe, mrs_li.id, clock.now())
    async with uow_factory() as uow:
        await uow.loyalty.enrol(first)
        await uow.commit()

    second = records.a_membership(wardrobe, mrs_li.id, clock.advance(days=1))
    async with uow_factory() as uow:
        assert await uow.loyalty.enrol(second) == first


async def test_a_missing_membership_is_none(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe, [mrs_li] = await _programme_and_customers(uow_factory, clock)

    async with uow_factory() as uow:
        assert await uow.loyalty.lock_membership(wardrobe.id, mrs_li.id) is None
        assert await uow.loyalty.programmes_of(mrs_li.id) == []


async def test_a_saved_membership_reads_back_without_its_pending_changes(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe, [mrs_li] = await _programme_and_customers(uow_factory, clock)
    membership = records.a_membership(wardrobe, mrs_li.id, clock.now())
    async with uow_factory() as uow:
        await uow.loyalty.enrol(membership)
        await uow.commit()
    now = clock.advance(days=30)
    silver, gold = wardrobe.tiers[1], wardrobe.tiers[2]
    membership.change_tier(silver.id, TierChangeReason.QUALIFIED, now, "till-7")
    membership.set_override(
        TierOverride(gold.id, "complaint made good", "manager", now, now + timedelta(days=90)),
        TierChangeReason.OVERRIDDEN, now, "manager", "the torn scarf")
    membership.points_balance, membership.reviewed_through = 1780, now
    membership.downgrade_due_at = now + timedelta(days=180)
    async with uow_factory() as uow:
        await uow.loyalty.save_membership(membership)
        await uow.commit()

    async with uow_factory() as uow:
        stored = await uow.loyalty.lock_membership(wardrobe.id, mrs_li.id)
    assert stored == records.without_pending(membership)


async def test_a_saved_membership_s_tier_changes_join_her_history_in_order(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe, [mrs_li] = await _programme_and_customers(uow_factory, clock)
    member, silver, gold = wardrobe.tiers
    membership = records.a_membership(wardrobe, mrs_li.id, clock.now())
    membership.change_tier(silver.id, TierChangeReason.QUALIFIED, clock.advance(days=1), "a")
    membership.change_tier(gold.id, TierChangeReason.QUALIFIED, clock.advance(days=1), "b")
    async with uow_factory() as uow:
        await uow.loyalty.enrol(membership)
        await uow.loyalty.save_membership(membership)
        await uow.commit()
    changes = list(membership.tier_changes)
    membership.tier_changes.clear()
    membership.change_tier(member.id, TierChangeReason.PERIOD_CLOSED, clock.advance(days=1),
                           "period close")
    changes += membership.tier_changes
    async with uow_factory() as uow:
        await uow.loyalty.save_membership(membership)
        await uow.commit()

    async with uow_factory() as uow:
        record = await uow.loyalty.record_of(mrs_li.id)
    assert list(record.tier_changes) == changes


async def test_a_member_s_programmes_are_those_she_is_enrolled_in(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe, [mrs_li, lisa] = await _programme_and_customers(uow_factory, clock, 2)
    cafe = await builders.a_programme(uow_factory(), code="cafe-club", name="Café club")
    async with uow_factory() as uow:
        for programme in (cafe, wardrobe):
            await uow.loyalty.enrol(records.a_membership(programme, mrs_li.id, clock.now()))
        await uow.loyalty.enrol(records.a_membership(cafe, lisa.id, clock.now()))
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.loyalty.programmes_of(mrs_li.id) == sorted([wardrobe.id, cafe.id])
        assert await uow.loyalty.programmes_of(lisa.id) == [cafe.id]


# --- the ledger and its lots ---------------------------------------------------------------


async def test_a_ledger_entry_appended_is_found_by_id(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe, [mrs_li] = await _programme_and_customers(uow_factory, clock)
    earned = records.an_earn(wardrobe, mrs_li.id, clock.now(), 1280, reason="wool coat",
                             expires_at=clock.now() + timedelta(days=365))
    async with uow_factory() as uow:
        await uow.loyalty.append_entries([earned])
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.loyalty.get_entry(earned.id) == earned
        assert await uow.loyalty.get_entry(new_id()) is None


async def test_open_lots_come_oldest_first_and_only_while_points_are_left(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe, [mrs_li] = await _programme_and_customers(uow_factory, clock)
    entries = [records.an_earn(wardrobe, mrs_li.id, clock.now() - timedelta(days=d), 100)
               for d in (1, 3, 2)]
    lots = [records.a_lot(entry) for entry in entries]
    spent = replace(lots[0], remaining=0)
    async with uow_factory() as uow:
        await uow.loyalty.append_entries(entries)
        await uow.loyalty.save_lots(lots)
        await uow.loyalty.save_lots([spent, replace(lots[1], remaining=40)])
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.loyalty.open_lots(wardrobe.id, mrs_li.id) == [
            replace(lots[1], remaining=40), lots[2]]  # three days old, then two


# --- purchases and refunds -----------------------------------------------------------------


async def test_a_purchase_added_is_found_by_id_and_by_its_order_with_its_lines(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe, [mrs_li] = await _programme_and_customers(uow_factory, clock)
    coat = records.a_purchase(wardrobe, mrs_li.id, clock.now(), order_id="HZ-000042")
    async with uow_factory() as uow:
        await uow.loyalty.add_purchase(coat)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.loyalty.get_purchase(coat.id) == coat
        assert await uow.loyalty.find_purchase(SalesChannel.POS, "HZ-000042") == coat


async def test_a_missing_purchase_is_none(uow_factory: UowFactory, clock: FixedClock) -> None:
    wardrobe, [mrs_li] = await _programme_and_customers(uow_factory, clock)
    async with uow_factory() as uow:
        await uow.loyalty.add_purchase(records.a_purchase(
            wardrobe, mrs_li.id, clock.now(), order_id="HZ-000042"))
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.loyalty.get_purchase(new_id()) is None
        assert await uow.loyalty.find_purchase(SalesChannel.WEB, "HZ-000042") is None


async def test_a_refund_joins_its_purchase_and_grows_its_returned_quantities(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe, [mrs_li] = await _programme_and_customers(uow_factory, clock)
    bought = records.a_purchase(wardrobe, mrs_li.id, clock.now())
    one_scarf = records.a_refund(bought, clock.advance(days=2), (2, 1))
    the_other = records.a_refund(bought, clock.advance(days=2), (2, 1))
    async with uow_factory() as uow:
        await uow.loyalty.add_purchase(bought)
        await uow.loyalty.add_refund(one_scarf)
        await uow.loyalty.add_refund(the_other)
        await uow.commit()

    async with uow_factory() as uow:
        stored = await uow.loyalty.get_purchase(bought.id)
    assert stored == bought.with_refund(one_scarf).with_refund(the_other)
    assert stored.lines[1].refunded_quantity == 2


async def test_qualifying_totals_count_the_window_s_purchases_less_their_refunds(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe, [mrs_li] = await _programme_and_customers(uow_factory, clock)
    start = clock.now()
    before = records.a_purchase(wardrobe, mrs_li.id, start - timedelta(seconds=1))
    inside = records.a_purchase(wardrobe, mrs_li.id, start)
    after = records.a_purchase(wardrobe, mrs_li.id, start + timedelta(days=30))
    scarf_back = records.a_refund(inside, start + timedelta(days=1), (2, 1))
    async with uow_factory() as uow:
        for purchase in (before, inside, after):
            await uow.loyalty.add_purchase(purchase)
        await uow.loyalty.add_refund(scarf_back)
        await uow.commit()

    async with uow_factory() as uow:
        window = await uow.loyalty.qualifying_totals(
            wardrobe.id, mrs_li.id, start, start + timedelta(days=30))
        open_ended = await uow.loyalty.qualifying_totals(wardrobe.id, mrs_li.id, start, None)
    assert window == QualifyingTotals(Decimal("1530.00"), 1530)
    assert open_ended == QualifyingTotals(Decimal("3310.00"), 3310)


async def test_qualifying_totals_of_no_purchase_are_zero(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe, [mrs_li] = await _programme_and_customers(uow_factory, clock)

    async with uow_factory() as uow:
        totals = await uow.loyalty.qualifying_totals(wardrobe.id, mrs_li.id, clock.now(), None)
    assert totals == QualifyingTotals(Decimal(0), 0)


async def test_a_merge_moves_the_duplicate_s_purchases_to_the_survivor(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe, [survivor, duplicate] = await _programme_and_customers(uow_factory, clock, 2)
    bought = records.a_purchase(wardrobe, duplicate.id, clock.now())
    async with uow_factory() as uow:
        await uow.loyalty.add_purchase(bought)
        await uow.loyalty.move_purchases(duplicate.id, survivor.id)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.loyalty.get_purchase(bought.id) == replace(
            bought, customer_id=survivor.id)
        assert (await uow.loyalty.record_of(duplicate.id)).purchases == ()


async def test_her_loyalty_record_holds_everything_of_hers_oldest_first(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe, [mrs_li, lisa] = await _programme_and_customers(uow_factory, clock, 2)
    membership = records.a_membership(wardrobe, mrs_li.id, clock.now())
    later = records.a_purchase(wardrobe, mrs_li.id, clock.now() + timedelta(days=2))
    earlier = records.a_purchase(wardrobe, mrs_li.id, clock.now() + timedelta(days=1))
    earned = [records.an_earn(wardrobe, mrs_li.id, p.occurred_at, p.points,
                              purchase_id=p.id) for p in (later, earlier)]
    async with uow_factory() as uow:
        await uow.loyalty.enrol(membership)
        for purchase in (later, earlier, records.a_purchase(wardrobe, lisa.id, clock.now())):
            await uow.loyalty.add_purchase(purchase)
        await uow.loyalty.append_entries(earned)
        await uow.commit()

    async with uow_factory() as uow:
        record = await uow.loyalty.record_of(mrs_li.id)
    assert record == LoyaltyRecord(memberships=(membership,), purchases=(earlier, later),
                                   ledger=tuple(earned[::-1]))


# --- the batch jobs' pages -----------------------------------------------------------------


async def test_members_to_review_are_paged_in_customer_id_order(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe, customers = await _programme_and_customers(uow_factory, clock, 4)
    period_end = clock.now() + timedelta(days=30)
    reviewed, unreviewed, grace_over, override_over = customers
    now = period_end + timedelta(days=1)
    gold = wardrobe.tiers[2]
    memberships = [
        records.a_membership(wardrobe, reviewed.id, clock.now(), reviewed_through=period_end),
        records.a_membership(wardrobe, unreviewed.id, clock.now()),
        records.a_membership(wardrobe, grace_over.id, clock.now(), reviewed_through=period_end,
                             downgrade_due_at=now),
        records.a_membership(wardrobe, override_over.id, clock.now(),
                             reviewed_through=period_end,
                             override=TierOverride(gold.id, "vip", "manager", clock.now(), now)),
    ]
    async with uow_factory() as uow:
        for membership in memberships:
            await uow.loyalty.enrol(membership)
        await uow.commit()
    due = sorted([unreviewed.id, grace_over.id, override_over.id])

    async with uow_factory() as uow:
        first = await uow.loyalty.members_to_review(wardrobe.id, period_end, now, None, 2)
        rest = await uow.loyalty.members_to_review(wardrobe.id, period_end, now, first[-1], 2)
    assert (first, rest) == (due[:2], due[2:])


async def test_members_with_expired_lots_are_paged_in_customer_id_order(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe, customers = await _programme_and_customers(uow_factory, clock, 4)
    now = clock.now() + timedelta(days=365)
    expired, also_expired, spent, still_good = customers
    lots = [
        (expired, 100, now), (expired, 50, now - timedelta(days=1)),
        (also_expired, 100, now), (spent, 0, now), (still_good, 100, now + timedelta(days=1)),
    ]
    entries = [records.an_earn(wardrobe, c.id, clock.now(), 100) for c, _, _ in lots]
    async with uow_factory() as uow:
        await uow.loyalty.append_entries(entries)
        await uow.loyalty.save_lots([records.a_lot(e, left, expires)
                                     for e, (_, left, expires) in zip(entries, lots,
                                                                       strict=True)])
        await uow.commit()
    due = sorted([expired.id, also_expired.id])

    async with uow_factory() as uow:
        first = await uow.loyalty.members_with_expired_lots(wardrobe.id, now, None, 1)
        rest = await uow.loyalty.members_with_expired_lots(wardrobe.id, now, first[-1], 5)
    assert (first, rest) == (due[:1], due[1:])
