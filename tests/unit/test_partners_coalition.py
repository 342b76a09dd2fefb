"""Coalition earn (domain/partners/coalition.py): a member earns the brand's points at a
partner (a coffee at the café), the partner owes the brand their value, and a return at
the partner takes back its share of both. The partner's order id is its idempotency key."""

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from domain.customers.model import Customer
from domain.loyalty.commands import RedeemReward
from domain.loyalty.model import LedgerEntry, LedgerKind, Programme
from domain.loyalty.points import redeem_reward
from domain.partners.coalition import (
    PartnerPurchaseRecorded,
    record_partner_purchase,
    return_partner_purchase,
)
from domain.partners.commands import RecordPartnerPurchase, ReturnPartnerPurchase, SuspendPartner
from domain.partners.model import EntryKind, Partner, PartnerPurchase
from domain.partners.partners import suspend_partner
from domain.shared.access import Role, Viewer
from domain.shared.errors import ErrorCode
from tests.builders import (
    ADMIN,
    Problem,
    a_cafe,
    a_consenting_member,
    a_partner,
    a_partner_client,
    a_ref,
    problems,
    refused,
    withdraw_partner_sharing,
)
from tests.fakes import DEFAULT_NOW, FakeUnitOfWork

pytestmark = pytest.mark.usefixtures("ledger_holds")

LISAS_CARD = "LISA-0001"


@pytest.fixture
async def cafe(uow: FakeUnitOfWork, programme: Programme) -> Partner:
    """A point per yuan, each point worth 5 fen to the brand."""
    return await a_cafe(uow)


@pytest.fixture
def till(cafe: Partner) -> Viewer:
    return a_partner_client(cafe)


@pytest.fixture
async def lisa(uow: FakeUnitOfWork, programme: Programme) -> Customer:
    return await a_consenting_member(uow, external_refs=(a_ref("brand-card", LISAS_CARD),))


def a_coffee(amount: str = "58.50", **changes: Any) -> RecordPartnerPurchase:
    """A latte and a cake, paid at the café with Lisa's card shown."""
    defaults: dict[str, Any] = {"member_system": "brand-card", "member_reference": LISAS_CARD,
                                "order_id": "CAFE-0001", "currency": "CNY",
                                "occurred_at": DEFAULT_NOW - timedelta(minutes=5)}
    return RecordPartnerPurchase(amount=Decimal(amount), **{**defaults, **changes})


async def _recorded(uow: FakeUnitOfWork, till: Viewer,
                    command: RecordPartnerPurchase | None = None) -> PartnerPurchaseRecorded:
    return await record_partner_purchase(command or a_coffee(), uow=uow, viewer=till)


async def _recording(uow: FakeUnitOfWork, till: Viewer,
                     command: RecordPartnerPurchase) -> set[Problem]:
    attempt = record_partner_purchase(command, uow=uow, viewer=till)
    return problems(await refused(uow, attempt))


async def _returned(uow: FakeUnitOfWork, till: Viewer, amount: str | None = None,
                    **changes: Any) -> PartnerPurchaseRecorded:
    defaults: dict[str, Any] = {"order_id": "CAFE-0001", "return_ref": "RT-1"}
    command = ReturnPartnerPurchase(amount=None if amount is None else Decimal(amount),
                                    **{**defaults, **changes})
    return await return_partner_purchase(command, uow=uow, viewer=till)


def _balance(uow: FakeUnitOfWork, programme: Programme, customer: Customer) -> int:
    return uow.data.memberships[(programme.id, customer.id)].points_balance


def _ledger(uow: FakeUnitOfWork, customer: Customer) -> list[LedgerEntry]:
    return [e for e in uow.data.ledger.values() if e.customer_id == customer.id]


def _settled(uow: FakeUnitOfWork) -> list[tuple[EntryKind, Decimal, int]]:
    return [(e.kind, e.amount, e.points) for e in uow.data.settlement_entries]


def _stored(uow: FakeUnitOfWork, recorded: PartnerPurchaseRecorded) -> PartnerPurchase:
    return uow.data.partner_purchases[recorded.purchase.id]


@pytest.mark.usefixtures("lisa")
class TestEarn:
    async def test_she_earns_the_partners_rate_rounded_down(
        self, uow: FakeUnitOfWork, programme: Programme, till: Viewer, lisa: Customer
    ) -> None:
        recorded = await _recorded(uow, till)
        assert recorded.purchase.points == 58
        assert _balance(uow, programme, lisa) == 58

    async def test_a_fractional_rate_is_rounded_down_too(
        self, uow: FakeUnitOfWork, lisa: Customer
    ) -> None:
        generous = await a_cafe(uow, earn_rate=Decimal("1.5"))
        recorded = await _recorded(uow, a_partner_client(generous), a_coffee("10.99"))
        assert recorded.purchase.points == 16

    async def test_the_points_are_one_earn_entry_naming_the_partner(
        self, uow: FakeUnitOfWork, cafe: Partner, till: Viewer, lisa: Customer
    ) -> None:
        recorded = await _recorded(uow, till)
        [entry] = _ledger(uow, lisa)
        assert (entry.kind, entry.points, entry.partner_id) == (LedgerKind.EARN, 58, cafe.id)
        assert recorded.purchase.earn_entry_id == entry.id

    async def test_the_partner_owes_the_points_value(
        self, uow: FakeUnitOfWork, cafe: Partner, till: Viewer
    ) -> None:
        recorded = await _recorded(uow, till)
        [entry] = uow.data.settlement_entries
        assert (entry.kind, entry.amount, entry.points, entry.partner_purchase_id) == (
            EntryKind.COALITION_EARN, Decimal("2.90"), 58, recorded.purchase.id)
        assert (entry.partner_id, entry.currency, entry.period) == (cafe.id, "CNY", "2026-03")

    async def test_the_purchase_is_kept_and_announced(
        self, uow: FakeUnitOfWork, till: Viewer, lisa: Customer
    ) -> None:
        recorded = await _recorded(uow, till)
        assert _stored(uow, recorded) == recorded.purchase
        assert (recorded.purchase.customer_id, recorded.replayed) == (lisa.id, False)
        assert uow.event_names[-1] == "PartnerPurchaseRecorded"

    async def test_a_purchase_too_small_for_a_point_earns_no_entry(
        self, uow: FakeUnitOfWork, till: Viewer, lisa: Customer
    ) -> None:
        recorded = await _recorded(uow, till, a_coffee("0.50"))
        assert (recorded.purchase.points, recorded.purchase.earn_entry_id) == (0, None)
        assert _ledger(uow, lisa) == []

    async def test_the_member_reference_is_read_as_the_brand_stores_it(
        self, uow: FakeUnitOfWork, till: Viewer, lisa: Customer
    ) -> None:
        recorded = await _recorded(uow, till, a_coffee(member_system=" Brand-Card ",
                                                       member_reference=f" {LISAS_CARD} "))
        assert recorded.purchase.customer_id == lisa.id


class TestEarnWithoutPartnerSharing:
    """A member who shares nothing with partners still earns with her card at their
    counter; what the partner is told of it is what it would be told of anyone."""

    async def test_she_earns_though_she_withdrew_her_consent(
        self, uow: FakeUnitOfWork, programme: Programme, till: Viewer, lisa: Customer
    ) -> None:
        await withdraw_partner_sharing(uow, lisa)
        recorded = await _recorded(uow, till)
        assert (recorded.purchase.customer_id, recorded.purchase.points) == (lisa.id, 58)
        assert _balance(uow, programme, lisa) == 58

    async def test_the_answer_is_the_one_a_member_who_shares_gets(
        self, uow: FakeUnitOfWork, till: Viewer, lisa: Customer
    ) -> None:
        mei = await a_consenting_member(uow, "Mei", consents=False,
                                        external_refs=(a_ref("brand-card", "MEI-0001"),))
        hers = (await _recorded(uow, till, a_coffee(member_reference="MEI-0001",
                                                    order_id="CAFE-0002"))).purchase
        lisas = (await _recorded(uow, till)).purchase
        assert _of_anyone(hers) == _of_anyone(lisas)
        assert hers.customer_id == mei.id


def _of_anyone(purchase: PartnerPurchase) -> PartnerPurchase:
    """The purchase without what is its own alone: its ids, its member's, its order's."""
    nobody = UUID(int=0)
    return replace(purchase, id=nobody, customer_id=nobody, order_id="", fingerprint="",
                   earn_entry_id=None)


@pytest.mark.usefixtures("lisa")
class TestEarnIdempotency:
    async def test_a_retry_of_the_order_replays_it_and_writes_nothing(
        self, uow: FakeUnitOfWork, till: Viewer
    ) -> None:
        first = await _recorded(uow, till)
        before = uow.snapshot()
        again = await _recorded(uow, till)
        assert (again.purchase, again.replayed) == (first.purchase, True)
        assert uow.snapshot() == before

    async def test_blanks_around_the_order_id_do_not_make_it_another_order(
        self, uow: FakeUnitOfWork, till: Viewer
    ) -> None:
        first = await _recorded(uow, till)
        again = await _recorded(uow, till, a_coffee(order_id=" CAFE-0001 "))
        assert (again.purchase.id, again.replayed) == (first.purchase.id, True)

    async def test_the_same_order_id_with_other_content_is_refused(
        self, uow: FakeUnitOfWork, till: Viewer
    ) -> None:
        await _recorded(uow, till)
        assert await _recording(uow, till, a_coffee("99.00")) == {
            (("order_id",), ErrorCode.IDEMPOTENCY_KEY_REUSED)}

    async def test_another_partner_may_use_the_same_order_id(
        self, uow: FakeUnitOfWork, programme: Programme, till: Viewer, lisa: Customer
    ) -> None:
        await _recorded(uow, till)
        bakery = await a_cafe(uow, name="Paul Bakery")
        again = await _recorded(uow, a_partner_client(bakery))
        assert not again.replayed
        assert _balance(uow, programme, lisa) == 116


@pytest.mark.usefixtures("lisa")
class TestEarnRefusals:
    async def test_a_currency_other_than_the_partners(
        self, uow: FakeUnitOfWork, till: Viewer
    ) -> None:
        assert await _recording(uow, till, a_coffee(currency="USD")) == {
            (("currency",), ErrorCode.CURRENCY_MISMATCH)}

    async def test_a_currency_that_is_not_one(self, uow: FakeUnitOfWork, till: Viewer) -> None:
        assert await _recording(uow, till, a_coffee(currency="yuan")) == {
            (("currency",), ErrorCode.INVALID)}

    async def test_an_unknown_member(self, uow: FakeUnitOfWork, till: Viewer) -> None:
        assert await _recording(uow, till, a_coffee(member_reference="NOBODY-1")) == {
            (("member_reference",), ErrorCode.NOT_FOUND)}

    async def test_a_partner_with_no_earn_rate(self, uow: FakeUnitOfWork) -> None:
        cinema = await a_partner(uow)
        assert await _recording(uow, a_partner_client(cinema), a_coffee()) == {
            ((), ErrorCode.NOT_ALLOWED)}

    @pytest.mark.parametrize("amount", ["0.00", "-58.50", "58.505"])
    async def test_an_amount_that_is_not_a_positive_sum_of_money(
        self, uow: FakeUnitOfWork, till: Viewer, amount: str
    ) -> None:
        assert await _recording(uow, till, a_coffee(amount)) == {
            (("amount",), ErrorCode.INVALID)}

    @pytest.mark.parametrize("occurred_at", [
        DEFAULT_NOW + timedelta(minutes=6),  # beyond the tills' clock skew
        DEFAULT_NOW - timedelta(days=91),
        datetime(2026, 3, 2, 9, 0),
    ])
    async def test_a_time_in_the_future_too_long_ago_or_without_a_zone(
        self, uow: FakeUnitOfWork, till: Viewer, occurred_at: datetime
    ) -> None:
        assert await _recording(uow, till, a_coffee(occurred_at=occurred_at)) == {
            (("occurred_at",), ErrorCode.INVALID)}

    async def test_an_order_id_that_is_blank(self, uow: FakeUnitOfWork, till: Viewer) -> None:
        assert await _recording(uow, till, a_coffee(order_id=" ")) == {
            (("order_id",), ErrorCode.REQUIRED)}

    async def test_a_suspended_partner(
        self, uow: FakeUnitOfWork, cafe: Partner, till: Viewer
    ) -> None:
        await suspend_partner(SuspendPartner(cafe.id, "Unpaid invoices"), uow=uow, viewer=ADMIN)
        assert await _recording(uow, till, a_coffee()) == {((), ErrorCode.SUSPENDED)}

    async def test_staff_may_not_report_a_partners_purchase(self, uow: FakeUnitOfWork) -> None:
        assert await _recording(uow, Viewer(Role.STAFF, "staff:wang"), a_coffee()) == {
            ((), ErrorCode.NOT_ALLOWED)}


@pytest.mark.usefixtures("lisa")
class TestReturn:
    async def test_a_partial_return_takes_back_its_share_of_the_points(
        self, uow: FakeUnitOfWork, programme: Programme, till: Viewer, lisa: Customer
    ) -> None:
        await _recorded(uow, till, a_coffee("100.00"))
        returned = await _returned(uow, till, "30.00")
        assert (returned.purchase.returned_amount, returned.purchase.returned_points) == (
            Decimal("30.00"), 30)
        assert _balance(uow, programme, lisa) == 70
        reverse = _ledger(uow, lisa)[-1]
        assert (reverse.kind, reverse.points, reverse.reverses_id) == (
            LedgerKind.REVERSE, -30, returned.purchase.earn_entry_id)

    async def test_a_partial_return_takes_back_its_share_of_what_the_partner_owes(
        self, uow: FakeUnitOfWork, till: Viewer
    ) -> None:
        await _recorded(uow, till, a_coffee("100.00"))
        await _returned(uow, till, "30.00")
        assert _settled(uow) == [(EntryKind.COALITION_EARN, Decimal("5.00"), 100),
                                 (EntryKind.COALITION_RETURN, Decimal("-1.50"), -30)]

    async def test_a_whole_return_takes_back_every_point(
        self, uow: FakeUnitOfWork, programme: Programme, till: Viewer, lisa: Customer
    ) -> None:
        await _recorded(uow, till)
        returned = await _returned(uow, till)
        assert returned.purchase.returned_amount == Decimal("58.50")
        assert _balance(uow, programme, lisa) == 0

    async def test_the_last_return_takes_what_the_shares_left_so_they_add_up(
        self, uow: FakeUnitOfWork, programme: Programme, till: Viewer, lisa: Customer
    ) -> None:
        await _recorded(uow, till)  # 58.50 yuan, 58 points
        first = await _returned(uow, till, "10.00", return_ref="RT-1")
        rest = await _returned(uow, till, return_ref="RT-2")
        assert (first.purchase.returned_points, rest.purchase.returned_points) == (9, 58)
        assert _balance(uow, programme, lisa) == 0
        assert sum(points for *_, points in _settled(uow)) == 0

    async def test_returning_more_than_is_left_is_refused(
        self, uow: FakeUnitOfWork, till: Viewer
    ) -> None:
        await _recorded(uow, till)
        await _returned(uow, till, "50.00", return_ref="RT-1")
        error = await refused(uow, _returned(uow, till, "8.51", return_ref="RT-2"))
        assert problems(error) == {(("amount",), ErrorCode.ALREADY_REFUNDED)}

    async def test_returning_a_fully_returned_purchase_again_is_refused(
        self, uow: FakeUnitOfWork, till: Viewer
    ) -> None:
        await _recorded(uow, till)
        await _returned(uow, till, return_ref="RT-1")
        error = await refused(uow, _returned(uow, till, return_ref="RT-2"))
        assert problems(error) == {(("amount",), ErrorCode.ALREADY_REFUNDED)}

    async def test_a_return_after_the_points_were_spent_leaves_a_negative_balance(
        self, uow: FakeUnitOfWork, programme: Programme, till: Viewer, lisa: Customer
    ) -> None:
        await _recorded(uow, till, a_coffee("600.00"))
        await redeem_reward(RedeemReward(lisa.id, "tea-set"), uow=uow, viewer=ADMIN)
        await _returned(uow, till)
        assert _balance(uow, programme, lisa) == 100 - 600

    async def test_an_unknown_order_is_not_found(self, uow: FakeUnitOfWork, till: Viewer) -> None:
        error = await refused(uow, _returned(uow, till, order_id="CAFE-9999"))
        assert problems(error) == {(("order_id",), ErrorCode.NOT_FOUND)}

    async def test_another_partners_order_is_not_found(
        self, uow: FakeUnitOfWork, till: Viewer
    ) -> None:
        await _recorded(uow, till)
        bakery = await a_cafe(uow, name="Paul Bakery")
        error = await refused(uow, _returned(uow, a_partner_client(bakery)))
        assert problems(error) == {(("order_id",), ErrorCode.NOT_FOUND)}

    async def test_a_return_ref_is_required(self, uow: FakeUnitOfWork, till: Viewer) -> None:
        await _recorded(uow, till)
        error = await refused(uow, _returned(uow, till, return_ref=" "))
        assert problems(error) == {(("return_ref",), ErrorCode.REQUIRED)}


@pytest.mark.usefixtures("lisa")
class TestReturnIdempotency:
    async def test_a_retry_of_the_return_replays_it_and_writes_nothing(
        self, uow: FakeUnitOfWork, till: Viewer
    ) -> None:
        await _recorded(uow, till)
        first = await _returned(uow, till, "10.00")
        before = uow.snapshot()
        again = await _returned(uow, till, "10.00")
        assert (again.purchase, again.replayed) == (first.purchase, True)
        assert uow.snapshot() == before

    async def test_the_same_return_ref_with_another_amount_is_refused(
        self, uow: FakeUnitOfWork, till: Viewer
    ) -> None:
        await _recorded(uow, till)
        await _returned(uow, till, "10.00")
        error = await refused(uow, _returned(uow, till, "20.00"))
        assert problems(error) == {(("return_ref",), ErrorCode.IDEMPOTENCY_KEY_REUSED)}

    async def test_blanks_around_the_order_id_and_return_ref_do_not_make_another_return(
        self, uow: FakeUnitOfWork, till: Viewer
    ) -> None:
        await _recorded(uow, till)
        first = await _returned(uow, till, "10.00")
        again = await _returned(uow, till, "10.00", order_id=" CAFE-0001 ", return_ref=" RT-1 ")
        assert (again.purchase, again.replayed) == (first.purchase, True)

    async def test_the_same_return_ref_on_another_order_is_another_return(
        self, uow: FakeUnitOfWork, till: Viewer
    ) -> None:
        await _recorded(uow, till)
        await _recorded(uow, till, replace(a_coffee(), order_id="CAFE-0002"))
        await _returned(uow, till, "10.00")
        other = await _returned(uow, till, "10.00", order_id="CAFE-0002")
        assert not other.replayed
