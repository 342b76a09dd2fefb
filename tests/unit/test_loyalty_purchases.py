"""Purchases and returns (domain/loyalty/purchases.py): the facts points and tiers come from."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from domain.customers.commands import EraseCustomer, MergeCustomers
from domain.customers.model import Customer
from domain.customers.privacy import erase_customer
from domain.customers.services import merge_customers
from domain.loyalty.commands import (
    BonusRuleSpec,
    ClosePeriod,
    LineInput,
    RecordPurchase,
    RecordPurchaseBatch,
    RedeemReward,
    UnreadablePurchase,
)
from domain.loyalty.model import (
    LedgerEntry,
    LedgerKind,
    Membership,
    Programme,
    Purchase,
    QualifyingMeasure,
    SalesChannel,
    TierChangeReason,
)
from domain.loyalty.points import redeem_reward
from domain.loyalty.purchases import (
    MAX_BATCH,
    BatchStatus,
    record_purchase,
    record_purchase_batch,
    refund_purchase,
)
from domain.loyalty.tiers import close_period
from domain.shared.access import Role, Viewer
from domain.shared.errors import ErrorCode, FieldError
from domain.shared.ids import new_id
from tests.builders import (
    ADMIN,
    PARTS,
    Problem,
    a_customer,
    a_line,
    a_programme,
    a_purchase,
    a_purchase_command,
    a_refund,
    a_refund_command,
    problems,
    refused,
)
from tests.fakes import DEFAULT_NOW, FakeUnitOfWork

pytestmark = pytest.mark.usefixtures("ledger_holds")

SCARF = a_line("459.00", quantity=2, sku="WW-SCARF-05", name="Silk scarf", category="silk")


def _membership(uow: FakeUnitOfWork, programme: Programme, customer: Customer) -> Membership:
    return uow.data.memberships[(programme.id, customer.id)]


def _tier(uow: FakeUnitOfWork, programme: Programme, customer: Customer) -> str:
    return programme.tier(_membership(uow, programme, customer).tier_id).code


def _history(uow: FakeUnitOfWork, customer: Customer) -> list[TierChangeReason]:
    return [c.reason for c in uow.data.tier_changes if c.customer_id == customer.id]


def _ledger(uow: FakeUnitOfWork, customer: Customer) -> list[LedgerEntry]:
    return [e for e in uow.data.ledger.values() if e.customer_id == customer.id]


def _balance(uow: FakeUnitOfWork, programme: Programme, customer: Customer) -> int:
    return _membership(uow, programme, customer).points_balance


def _left_of_lot(uow: FakeUnitOfWork, purchase: Purchase) -> int:
    """What is left of the points the purchase earned."""
    assert purchase.earn_entry_id is not None
    return uow.data.lots[purchase.earn_entry_id].remaining


async def _qualifying_spend(uow: FakeUnitOfWork, programme: Programme,
                            customer: Customer) -> Decimal:
    async with uow:
        totals = await uow.loyalty.qualifying_totals(
            programme.id, customer.id, DEFAULT_NOW - timedelta(days=365), None)
    return totals.spend


async def _record(uow: FakeUnitOfWork, command: RecordPurchase,
                  viewer: Viewer = ADMIN) -> Purchase:
    return (await record_purchase(command, uow=uow, viewer=viewer)).purchase


async def _refusal(uow: FakeUnitOfWork, customer_id: UUID, *lines: LineInput,
                   viewer: Viewer = ADMIN, **changes: Any) -> set[Problem]:
    command = a_purchase_command(customer_id, *lines, **changes)
    return problems(await refused(uow, record_purchase(command, uow=uow, viewer=viewer)))


class TestRecordPurchase:
    async def test_each_line_earns_its_net_amount_in_points(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id, a_line("1280.00"), SCARF)
        assert [line.points for line in purchase.lines] == [1280, 918]
        assert _balance(uow, programme, mrs_li) == 2198

    async def test_a_campaign_day_is_the_day_where_the_brand_sells(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        campaign = BonusRuleSpec("Spring opening", Decimal(2), starts_on=date(2026, 3, 1),
                                 ends_on=date(2026, 3, 1))
        await a_programme(uow, time_zone="Asia/Shanghai", bonus_rules=(campaign,))
        half_past_midnight_in_hangzhou = datetime(2026, 2, 28, 16, 30, tzinfo=UTC)
        purchase = await a_purchase(uow, mrs_li.id, a_line("100.00"),
                                    occurred_at=half_past_midnight_in_hangzhou)
        assert purchase.points == 200

    async def test_the_points_are_one_earn_entry_of_the_purchase(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id)
        [entry] = _ledger(uow, mrs_li)
        assert (entry.kind, entry.points, entry.purchase_id) == (LedgerKind.EARN, 1280,
                                                                 purchase.id)
        assert purchase.earn_entry_id == entry.id

    async def test_her_first_purchase_enrols_her_in_the_entry_tier(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        assert _tier(uow, programme, mrs_li) == "member"
        assert _history(uow, mrs_li) == [TierChangeReason.ENROLLED]
        assert uow.event_names[-3:] == ["LoyaltyMemberEnrolled", "PointsEarned",
                                        "PurchaseRecorded"]

    async def test_its_event_says_when_it_was_sold_as_well_as_when_it_was_recorded(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        sold_at = DEFAULT_NOW - timedelta(hours=20)  # a till that was offline overnight
        await a_purchase(uow, mrs_li.id, occurred_at=sold_at)
        recorded = next(e for e in uow.events if e.name == "PurchaseRecorded")
        assert (recorded.occurred_at, recorded.data["occurred_at"]) == (
            DEFAULT_NOW, sold_at.isoformat())

    async def test_crossing_a_threshold_upgrades_her_at_once(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        await a_purchase(uow, mrs_li.id, a_line("4000.00"))
        assert _tier(uow, programme, mrs_li) == "silver"
        assert _history(uow, mrs_li) == [TierChangeReason.ENROLLED, TierChangeReason.QUALIFIED]

    async def test_an_upgrade_raises_a_tier_changed_event(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id, a_line("6000.00"))
        [changed] = [e for e in uow.events if e.name == "LoyaltyTierChanged"]
        assert changed.data["to_tier_id"] == str(programme.tiers[1].id)

    async def test_the_new_tiers_multiplier_applies_to_later_purchases_only(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        upgrading = await a_purchase(uow, mrs_li.id, a_line("6000.00"))
        later = await a_purchase(uow, mrs_li.id, a_line("100.00"))
        assert (upgrading.points, later.points) == (6000, 150)

    async def test_a_fully_discounted_purchase_earns_no_entry(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        gift = a_line("459.00", discount=Decimal("459.00"))
        purchase = await a_purchase(uow, mrs_li.id, gift, payment_total=Decimal(0))
        assert (purchase.points, purchase.earn_entry_id) == (0, None)
        assert _ledger(uow, mrs_li) == []

    async def test_a_points_measured_programme_counts_points_towards_a_tier(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        await a_programme(uow, measure=QualifyingMeasure.POINTS,
                          bonus_rules=(BonusRuleSpec("Coats", Decimal(2), category="coats"),))
        await a_purchase(uow, mrs_li.id, a_line("2500.00"))
        assert _tier(uow, programme, mrs_li) == "silver"

    async def test_in_her_birthday_month_a_purchase_earns_the_birthday_bonus(
        self, uow: FakeUnitOfWork, programme: Programme
    ) -> None:
        await a_programme(uow, birthday_multiplier=Decimal(2))
        born_in_march = await a_customer(uow, display_name="Mrs. Li", birth_date=date(1972, 3, 18))
        assert (await a_purchase(uow, born_in_march.id, a_line("100.00"))).points == 200

    async def test_a_purchase_shows_on_her_timeline(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id)
        [visit] = uow.interactions_of(mrs_li.id)
        assert (visit.kind, visit.payload["purchase_id"]) == ("purchase", str(purchase.id))

    async def test_a_storefront_may_record_for_the_member_it_acts_for(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        shop = Viewer(Role.STOREFRONT, "client:web", member_id=mrs_li.id)
        purchase = await a_purchase(uow, mrs_li.id, viewer=shop, channel=SalesChannel.WEB)
        assert purchase.customer_id == mrs_li.id

    async def test_a_merged_duplicates_id_records_on_the_survivor(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        duplicate = await a_customer(uow, display_name="Li Mei (web)")
        await merge_customers(MergeCustomers(mrs_li.id, duplicate.id), uow=uow, viewer=ADMIN,
                              parts=PARTS)
        purchase = await a_purchase(uow, duplicate.id)
        assert purchase.customer_id == mrs_li.id
        assert _balance(uow, programme, mrs_li) == 1280


class TestPurchaseIdempotency:
    async def test_replaying_an_order_returns_the_first_result_and_writes_nothing(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        command = a_purchase_command(mrs_li.id)
        first = await record_purchase(command, uow=uow, viewer=ADMIN)
        before = uow.snapshot()
        again = await record_purchase(command, uow=uow, viewer=ADMIN)
        assert (again.purchase, again.replayed) == (first.purchase, True)
        assert uow.snapshot() == before

    async def test_the_same_order_id_with_other_content_is_refused(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        first = await a_purchase(uow, mrs_li.id)
        assert await _refusal(uow, mrs_li.id, a_line("99.00"), order_id=first.order_id,
                              occurred_at=first.occurred_at, store_id=first.store_id) == {
            (("order_id",), ErrorCode.IDEMPOTENCY_KEY_REUSED)}

    async def test_the_same_order_id_on_another_channel_is_another_purchase(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        at_the_till = await a_purchase(uow, mrs_li.id, order_id="A-1001")
        online = await a_purchase(uow, mrs_li.id, order_id="A-1001", channel=SalesChannel.WEB)
        assert online.id != at_the_till.id
        assert _balance(uow, programme, mrs_li) == 2560


    async def test_blanks_around_an_order_id_do_not_make_it_another_order(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        command = a_purchase_command(mrs_li.id, order_id="A-1001")
        first = await record_purchase(command, uow=uow, viewer=ADMIN)
        padded = replace(command, order_id=" A-1001 ")
        retried = await record_purchase(padded, uow=uow, viewer=ADMIN)
        assert retried.replayed
        assert retried.purchase.id == first.purchase.id


class TestPurchaseRefusals:
    async def test_a_currency_other_than_the_programmes(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        assert await _refusal(uow, mrs_li.id, currency="EUR") == {
            (("currency",), ErrorCode.INVALID)}

    @pytest.mark.parametrize("quantity", [-1, 0])
    async def test_a_quantity_that_is_not_positive(
        self, uow: FakeUnitOfWork, mrs_li: Customer, quantity: int
    ) -> None:
        assert await _refusal(uow, mrs_li.id, a_line(quantity=quantity),
                              payment_total=Decimal(0)) == {
            (("lines", "0", "quantity"), ErrorCode.INVALID)}

    async def test_a_discount_above_what_the_line_costs(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        assert await _refusal(uow, mrs_li.id, a_line("100.00", discount=Decimal("100.01")),
                              payment_total=Decimal(0)) == {
            (("lines", "0", "discount"), ErrorCode.INVALID)}

    async def test_an_unknown_customer(self, uow: FakeUnitOfWork, mrs_li: Customer) -> None:
        assert await _refusal(uow, new_id()) == {(("customer_id",), ErrorCode.NOT_FOUND)}

    async def test_an_unknown_store(self, uow: FakeUnitOfWork, mrs_li: Customer) -> None:
        assert await _refusal(uow, mrs_li.id, store_id=new_id()) == {
            (("store_id",), ErrorCode.NOT_FOUND)}

    async def test_an_unknown_programme(self, uow: FakeUnitOfWork, mrs_li: Customer) -> None:
        assert await _refusal(uow, mrs_li.id, programme_code="airline") == {
            (("programme_code",), ErrorCode.NOT_FOUND)}

    async def test_a_time_in_the_future(self, uow: FakeUnitOfWork, mrs_li: Customer) -> None:
        assert await _refusal(uow, mrs_li.id, occurred_at=DEFAULT_NOW + timedelta(hours=1)) == {
            (("occurred_at",), ErrorCode.INVALID)}

    async def test_an_erased_customer(self, uow: FakeUnitOfWork, mrs_li: Customer) -> None:
        await erase_customer(EraseCustomer(mrs_li.id, "DSR-2026-114"), uow=uow, viewer=ADMIN)
        assert await _refusal(uow, mrs_li.id) == {(("customer_id",), ErrorCode.ERASED)}

    async def test_a_storefront_acting_for_another_member(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        shop = Viewer(Role.STOREFRONT, "client:web", member_id=new_id())
        assert await _refusal(uow, mrs_li.id, viewer=shop) == {((), ErrorCode.NOT_ALLOWED)}


class TestRefund:
    async def test_a_partial_return_reverses_the_lines_share_of_points(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id, a_line("1280.00"), SCARF)
        returned = await a_refund(uow, purchase, (2, 1))
        assert (returned.refund.amount, returned.refund.points) == (Decimal("459.00"), 459)
        assert _balance(uow, programme, mrs_li) == 2198 - 459
        reverse = _ledger(uow, mrs_li)[-1]
        assert (reverse.kind, reverse.points, reverse.reverses_id) == (
            LedgerKind.REVERSE, -459, purchase.earn_entry_id)

    async def test_a_partial_return_takes_its_share_off_the_qualifying_spend(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id, a_line("1280.00"), SCARF)
        await a_refund(uow, purchase, (2, 1))
        assert await _qualifying_spend(uow, programme, mrs_li) == Decimal("1739.00")

    async def test_a_return_records_the_returned_quantity_on_the_line(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id, a_line("1280.00"), SCARF)
        returned = await a_refund(uow, purchase, (2, 1))
        assert [line.refunded_quantity for line in returned.purchase.lines] == [0, 1]
        assert uow.data.purchases[purchase.id] == returned.purchase

    async def test_a_return_can_undo_the_upgrade_it_paid_for(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id, a_line("3000.00", quantity=2))
        await a_refund(uow, purchase, (1, 1))
        assert _tier(uow, programme, mrs_li) == "member"
        assert _history(uow, mrs_li)[-1] is TierChangeReason.REFUNDED

    async def test_a_return_never_takes_her_below_the_tier_a_period_close_retained(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        uow.fixed_clock.set(datetime(2026, 2, 15, tzinfo=UTC))
        purchase = await a_purchase(uow, mrs_li.id, a_line("3000.00", quantity=2))
        uow.fixed_clock.set(DEFAULT_NOW)
        await close_period(ClosePeriod(), new_uow=lambda: uow, viewer=ADMIN)
        await a_refund(uow, purchase)
        assert _tier(uow, programme, mrs_li) == "silver"

    async def test_a_whole_return_gives_back_every_line(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id, a_line("1280.00"), SCARF)
        returned = await a_refund(uow, purchase)
        assert (returned.refund.amount, returned.refund.points) == (Decimal("2198.00"), 2198)
        assert _balance(uow, programme, mrs_li) == 0
        assert await _qualifying_spend(uow, programme, mrs_li) == 0

    async def test_a_return_shows_on_her_timeline(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id)
        await a_refund(uow, purchase)
        assert sorted(i.kind for i in uow.interactions_of(mrs_li.id)) == ["purchase", "return"]

    async def test_a_purchase_can_be_named_by_channel_and_order_id(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id)
        command = a_refund_command(purchase, purchase_id=None, channel=SalesChannel.POS,
                                   order_id=purchase.order_id)
        returned = await refund_purchase(command, uow=uow, viewer=ADMIN)
        assert returned.refund.purchase_id == purchase.id

    async def test_replaying_a_return_returns_the_first_and_writes_nothing(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id, a_line("1280.00"), SCARF)
        command = a_refund_command(purchase, (2, 1))
        first = await refund_purchase(command, uow=uow, viewer=ADMIN)
        before = uow.snapshot()
        again = await refund_purchase(command, uow=uow, viewer=ADMIN)
        assert (again.refund, again.replayed) == (first.refund, True)
        assert uow.snapshot() == before

    async def test_a_return_after_the_points_were_spent_leaves_a_negative_balance(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id)
        await redeem_reward(RedeemReward(mrs_li.id, "tea-set", quantity=2), uow=uow,
                            viewer=ADMIN)
        await a_refund(uow, purchase)
        assert _balance(uow, programme, mrs_li) == 280 - 1280

    async def test_the_next_purchase_pays_a_negative_balance_back_first(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id)
        await redeem_reward(RedeemReward(mrs_li.id, "tea-set", quantity=2), uow=uow,
                            viewer=ADMIN)
        await a_refund(uow, purchase)
        later = await a_purchase(uow, mrs_li.id, a_line("1500.00"))
        assert _balance(uow, programme, mrs_li) == 500
        assert _left_of_lot(uow, later) == 500

    async def test_a_return_takes_its_points_from_its_own_lot_first(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        older = await a_purchase(uow, mrs_li.id)
        returned = await a_purchase(uow, mrs_li.id, a_line("300.00"))
        await a_refund(uow, returned)
        assert (_left_of_lot(uow, older), _left_of_lot(uow, returned)) == (1280, 0)


class TestRefundRefusals:
    async def test_returning_more_than_was_bought(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id, SCARF)
        command = a_refund_command(purchase, (1, 3))
        error = await refused(uow, refund_purchase(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("lines", "0", "quantity"), ErrorCode.INVALID)}

    async def test_a_return_dated_before_its_purchase(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id)
        command = a_refund_command(purchase, occurred_at=purchase.occurred_at - timedelta(days=1))
        error = await refused(uow, refund_purchase(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("occurred_at",), ErrorCode.INVALID)}

    async def test_returning_a_line_the_purchase_lacks(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id)
        command = a_refund_command(purchase, (2, 1))
        error = await refused(uow, refund_purchase(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("lines", "0", "line_no"), ErrorCode.NOT_FOUND)}

    async def test_returning_a_fully_returned_purchase_again(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id)
        await a_refund(uow, purchase)
        command = a_refund_command(purchase)
        error = await refused(uow, refund_purchase(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("lines",), ErrorCode.ALREADY_REFUNDED)}

    async def test_returning_a_fully_returned_line_again(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id, a_line("1280.00"), SCARF)
        await a_refund(uow, purchase, (1, 1))
        command = a_refund_command(purchase, (1, 1))
        error = await refused(uow, refund_purchase(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("lines", "0", "quantity"), ErrorCode.ALREADY_REFUNDED)}

    async def test_the_same_return_id_with_other_lines(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        purchase = await a_purchase(uow, mrs_li.id, a_line("1280.00"), SCARF)
        await a_refund(uow, purchase, (2, 1), refund_ref="RT-9")
        command = a_refund_command(purchase, (1, 1), refund_ref="RT-9")
        error = await refused(uow, refund_purchase(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("refund_ref",), ErrorCode.IDEMPOTENCY_KEY_REUSED)}

    async def test_an_unknown_purchase(self, uow: FakeUnitOfWork, mrs_li: Customer) -> None:
        purchase = await a_purchase(uow, mrs_li.id)
        command = a_refund_command(purchase, purchase_id=new_id())
        error = await refused(uow, refund_purchase(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("purchase_id",), ErrorCode.NOT_FOUND)}


class TestPurchaseBatch:
    async def test_each_purchase_gets_its_own_result_in_order(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        commands = tuple(a_purchase_command(mrs_li.id) for _ in range(3))
        outcome = await record_purchase_batch(RecordPurchaseBatch(commands),
                                              new_uow=lambda: uow, viewer=ADMIN)
        assert [(i.index, i.result and i.result.purchase.order_id) for i in outcome.items] == [
            (n, c.order_id) for n, c in enumerate(commands)]
        assert (outcome.recorded, outcome.replayed, outcome.rejected) == (3, 0, 0)

    async def test_a_bad_purchase_does_not_hold_back_the_others(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        bad = a_purchase_command(mrs_li.id, a_line(quantity=-1), payment_total=Decimal(0))
        commands = (a_purchase_command(mrs_li.id), bad, a_purchase_command(mrs_li.id))
        outcome = await record_purchase_batch(RecordPurchaseBatch(commands),
                                              new_uow=lambda: uow, viewer=ADMIN)
        assert [i.status for i in outcome.items] == [
            BatchStatus.RECORDED, BatchStatus.REJECTED, BatchStatus.RECORDED]
        assert {(e.field, e.code) for e in outcome.items[1].errors} == {
            (("lines", "0", "quantity"), ErrorCode.INVALID)}
        assert _balance(uow, programme, mrs_li) == 2560

    async def test_a_replayed_purchase_is_reported_as_replayed(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        command = a_purchase_command(mrs_li.id)
        outcome = await record_purchase_batch(RecordPurchaseBatch((command, command)),
                                              new_uow=lambda: uow, viewer=ADMIN)
        assert [i.status for i in outcome.items] == [BatchStatus.RECORDED, BatchStatus.REPLAYED]
        assert (outcome.recorded, outcome.replayed, outcome.rejected) == (1, 1, 0)

    async def test_an_unreadable_item_is_rejected_in_its_place_and_counted(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        unreadable = UnreadablePurchase((FieldError(
            ("customer_id",), ErrorCode.INVALID, "not a Customer id"),))
        commands = (a_purchase_command(mrs_li.id), unreadable, a_purchase_command(mrs_li.id))
        outcome = await record_purchase_batch(RecordPurchaseBatch(commands),
                                              new_uow=lambda: uow, viewer=ADMIN)
        assert [(i.index, i.status) for i in outcome.items] == [
            (0, BatchStatus.RECORDED), (1, BatchStatus.REJECTED), (2, BatchStatus.RECORDED)]
        assert outcome.items[1].errors == unreadable.errors
        assert (outcome.recorded, outcome.replayed, outcome.rejected) == (2, 0, 1)
        assert _balance(uow, programme, mrs_li) == 2560

    async def test_unreadable_items_count_towards_the_batch_limit(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        unreadable = UnreadablePurchase((FieldError(("payment_total",), ErrorCode.INVALID,
                                                    "not a number"),))
        commands: tuple[RecordPurchase | UnreadablePurchase, ...] = (
            a_purchase_command(mrs_li.id), *(unreadable,) * MAX_BATCH)
        attempt = record_purchase_batch(RecordPurchaseBatch(commands), new_uow=lambda: uow,
                                        viewer=ADMIN)
        assert problems(await refused(uow, attempt)) == {(("purchases",), ErrorCode.TOO_LARGE)}

    async def test_a_viewer_who_may_not_record_is_refused_even_unreadable_items(
        self, uow: FakeUnitOfWork
    ) -> None:
        unreadable = UnreadablePurchase((FieldError(("customer_id",), ErrorCode.INVALID,
                                                    "not a Customer id"),))
        attempt = record_purchase_batch(RecordPurchaseBatch((unreadable,)), new_uow=lambda: uow,
                                        viewer=Viewer(Role.PARTNER, "client:cinema",
                                                       partner_code="cinema"))
        assert problems(await refused(uow, attempt)) == {((), ErrorCode.NOT_ALLOWED)}

    async def test_more_than_the_batch_limit_is_refused(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        commands = tuple(a_purchase_command(mrs_li.id) for _ in range(MAX_BATCH + 1))
        attempt = record_purchase_batch(RecordPurchaseBatch(commands), new_uow=lambda: uow,
                                        viewer=ADMIN)
        assert problems(await refused(uow, attempt)) == {(("purchases",), ErrorCode.TOO_LARGE)}

    async def test_an_empty_batch_is_refused(self, uow: FakeUnitOfWork) -> None:
        attempt = record_purchase_batch(RecordPurchaseBatch(()), new_uow=lambda: uow,
                                        viewer=ADMIN)
        assert problems(await refused(uow, attempt)) == {(("purchases",), ErrorCode.REQUIRED)}
