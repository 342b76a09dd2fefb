"""Opening, moving, winning, losing and reopening deals; each refusal writes nothing."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.customers.model import Customer
from domain.loyalty.model import Programme, SalesChannel
from domain.pipeline.commands import (
    CreateDeal,
    DealSale,
    LinkToDeal,
    MoveDeal,
    ReopenDeal,
    UpdateDeal,
)
from domain.pipeline.deals import (
    create_deal,
    link_to_deal,
    move_deal,
    reopen_deal,
    update_deal,
)
from domain.pipeline.model import Deal, DealProduct, DealStatus, MoveKind, Pipeline, Source
from domain.shared.errors import ErrorCode
from tests.builders import (
    ADMIN,
    a_case,
    a_clerk_of,
    a_customer,
    a_deal,
    a_line,
    a_pipeline,
    a_staff_member,
    a_store,
    an_interaction,
    deal_terms,
    problems,
    refused,
    stage_named,
    walked,
)
from tests.fakes import DEFAULT_NOW, FakeUnitOfWork

TO_PICKUP = ("Meeting", "Product inspection", "Contract signed", "Pickup/delivery")


@pytest.fixture
async def floor(uow: FakeUnitOfWork) -> Pipeline:
    return await a_pipeline(uow)


@pytest.fixture
async def li(uow: FakeUnitOfWork) -> Customer:
    return await a_customer(uow)


def _sale(**changes: Any) -> DealSale:
    sale = DealSale(channel=SalesChannel.POS, order_id="HZ-PICKUP-1", occurred_at=DEFAULT_NOW,
                    currency="CNY", payment_total=Decimal("4800.00"),
                    lines=(a_line("4800.00"),))
    return replace(sale, **changes)


def _move(deal: Deal, pipeline: Pipeline, stage: str, **fields: Any) -> MoveDeal:
    return MoveDeal(deal.id, stage_named(pipeline, stage).id, deal.version, **fields)


class TestCreateDeal:
    async def test_a_deal_opens_in_the_first_stage_with_its_opening_move(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        deal = await a_deal(uow, li, floor)
        assert (deal.stage_id, deal.status, deal.version) == (
            stage_named(floor, "Phone contact").id, DealStatus.OPEN, 1)
        [opening] = uow.data.deal_moves
        assert (opening.kind, opening.from_stage_id, opening.to_stage_id, opening.moved_at) == (
            MoveKind.OPENED, None, deal.stage_id, uow.clock.now())
        assert uow.event_names[-1] == "DealOpened"

    async def test_a_negative_amount_is_refused(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        error = await refused(uow, a_deal(uow, li, floor, amount=Decimal("-1.00")))
        assert problems(error) == {(("amount",), ErrorCode.INVALID)}

    async def test_a_deal_is_in_its_pipelines_currency(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        error = await refused(uow, a_deal(uow, li, floor, currency="EUR"))
        assert problems(error) == {(("currency",), ErrorCode.CURRENCY_MISMATCH)}

    async def test_a_deal_does_not_open_in_another_pipelines_stage(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        other = await a_pipeline(uow)
        error = await refused(uow, a_deal(
            uow, li, floor, stage_id=stage_named(other, "Meeting").id))
        assert problems(error) == {(("stage_id",), ErrorCode.WRONG_PIPELINE)}

    async def test_a_deal_does_not_open_in_a_won_stage(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        error = await refused(uow, a_deal(uow, li, floor, stage_id=stage_named(floor, "Won").id))
        assert problems(error) == {(("stage_id",), ErrorCode.INVALID)}

    async def test_a_referral_names_another_customer(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        error = await refused(uow, a_deal(uow, li, floor, source=Source(referred_by_id=li.id)))
        assert problems(error) == {(("source", "referred_by_id"), ErrorCode.INVALID)}

    async def test_the_same_key_replays_the_first_deal(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        command = CreateDeal(li.id, deal_terms(floor), idempotency_key="tablet-7:1")
        first = await create_deal(command, uow=uow, viewer=ADMIN)
        again = await create_deal(command, uow=uow, viewer=ADMIN)
        assert again == first
        assert len(uow.data.deals) == 1

    async def test_a_clerks_deal_is_hers_at_the_customers_store(
        self, uow: FakeUnitOfWork, floor: Pipeline
    ) -> None:
        store = await a_store(uow)
        clerk = await a_staff_member(uow, store_id=store.id)
        customer = await a_customer(uow, display_name="Mrs. Li", home_store_id=store.id)
        deal = await a_deal(uow, customer, floor, viewer=a_clerk_of(clerk))
        assert (deal.owner_id, deal.store_id) == (clerk.id, store.id)


class TestMoveDeal:
    async def test_a_move_records_from_to_when_and_who(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        deal = await a_deal(uow, li, floor)
        uow.fixed_clock.advance(days=2)
        moved = await move_deal(_move(deal, floor, "Meeting"), uow=uow, viewer=ADMIN)
        assert moved.move is not None
        assert (moved.move.from_stage_id, moved.move.to_stage_id, moved.move.moved_at,
                moved.move.moved_by, moved.move.kind) == (
            deal.stage_id, stage_named(floor, "Meeting").id, uow.clock.now(), ADMIN.subject,
            MoveKind.MOVED)
        assert (moved.deal.version, moved.deal.stage_entered_at) == (2, uow.clock.now())

    async def test_a_move_against_an_old_version_is_refused(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        deal = await a_deal(uow, li, floor)
        await move_deal(_move(deal, floor, "Meeting"), uow=uow, viewer=ADMIN)
        error = await refused(uow, move_deal(_move(deal, floor, "Lost", lost_reason="price"),
                                             uow=uow, viewer=ADMIN))
        assert problems(error) == {(("expected_version",), ErrorCode.CONFLICT)}

    async def test_an_unknown_stage_is_not_found(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        deal = await a_deal(uow, li, floor)
        error = await refused(uow, move_deal(MoveDeal(deal.id, li.id), uow=uow, viewer=ADMIN))
        assert problems(error) == {(("to_stage_id",), ErrorCode.NOT_FOUND)}

    async def test_another_pipelines_stage_is_refused(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        other = await a_pipeline(uow)
        deal = await a_deal(uow, li, floor)
        error = await refused(uow, move_deal(_move(deal, other, "Meeting"), uow=uow,
                                             viewer=ADMIN))
        assert problems(error) == {(("to_stage_id",), ErrorCode.WRONG_PIPELINE)}

    async def test_a_lost_deal_needs_a_reason(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        deal = await a_deal(uow, li, floor)
        error = await refused(uow, move_deal(_move(deal, floor, "Lost"), uow=uow, viewer=ADMIN))
        assert problems(error) == {(("lost_reason",), ErrorCode.REQUIRED)}

    async def test_a_lost_deal_keeps_its_reason(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        deal = await a_deal(uow, li, floor)
        moved = await move_deal(_move(deal, floor, "Lost", lost_reason="Bought elsewhere"),
                                uow=uow, viewer=ADMIN)
        assert (moved.deal.status, moved.deal.lost_reason) == (DealStatus.LOST,
                                                               "Bought elsewhere")
        assert uow.event_names[-1] == "DealLost"

    async def test_a_closed_deal_is_not_moved(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        deal = await a_deal(uow, li, floor)
        lost = await walked(uow, deal, floor, "Lost", lost_reason="Too dear")
        error = await refused(uow, move_deal(_move(lost, floor, "Meeting"), uow=uow,
                                             viewer=ADMIN))
        assert problems(error) == {(("deal_id",), ErrorCode.DEAL_CLOSED)}

    async def test_a_move_may_say_when_it_happened_but_not_before_the_last(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        deal = await a_deal(uow, li, floor)
        error = await refused(uow, move_deal(
            _move(deal, floor, "Meeting", occurred_at=deal.stage_entered_at - timedelta(hours=1)),
            uow=uow, viewer=ADMIN))
        assert problems(error) == {(("occurred_at",), ErrorCode.INVALID)}

    async def test_the_same_key_replays_the_move(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        deal = await a_deal(uow, li, floor)
        command = _move(deal, floor, "Meeting", idempotency_key="tablet-7:2")
        first = await move_deal(command, uow=uow, viewer=ADMIN)
        again = await move_deal(command, uow=uow, viewer=ADMIN)
        assert (again.deal, again.replayed) == (first.deal, True)
        assert len(uow.data.deal_moves) == 2  # the opening and one move


class TestWinWithSale:
    async def test_winning_at_pickup_records_the_sale_in_the_same_transaction(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer, programme: Programme
    ) -> None:
        deal = await walked(uow, await a_deal(uow, li, floor), floor, *TO_PICKUP)
        won = await move_deal(_move(deal, floor, "Won", sale=_sale()), uow=uow, viewer=ADMIN)
        assert won.purchase is not None
        assert (won.deal.status, won.deal.purchase_id) == (DealStatus.WON, won.purchase.id)
        assert uow.data.purchases[won.purchase.id].customer_id == li.id
        assert {"PurchaseRecorded", "DealWon"} <= set(uow.event_names)

    async def test_the_same_win_again_replays_it(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer, programme: Programme
    ) -> None:
        deal = await walked(uow, await a_deal(uow, li, floor), floor, *TO_PICKUP)
        command = _move(deal, floor, "Won", sale=_sale())
        first = await move_deal(command, uow=uow, viewer=ADMIN)
        before = uow.snapshot()
        again = await move_deal(command, uow=uow, viewer=ADMIN)
        assert (again.replayed, again.deal, again.purchase) == (True, first.deal,
                                                                first.purchase)
        assert uow.snapshot() == before

    async def test_a_refused_sale_leaves_the_deal_where_it_was(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer, programme: Programme
    ) -> None:
        deal = await walked(uow, await a_deal(uow, li, floor), floor, *TO_PICKUP)
        error = await refused(uow, move_deal(_move(deal, floor, "Won", sale=_sale(lines=())),
                                             uow=uow, viewer=ADMIN))
        assert problems(error) == {(("sale", "lines"), ErrorCode.REQUIRED)}

    async def test_only_a_win_records_a_sale(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer, programme: Programme
    ) -> None:
        deal = await a_deal(uow, li, floor)
        error = await refused(uow, move_deal(_move(deal, floor, "Meeting", sale=_sale()),
                                             uow=uow, viewer=ADMIN))
        assert problems(error) == {(("sale",), ErrorCode.INVALID)}


class TestReopenDeal:
    async def test_a_reopening_is_recorded_and_opens_the_deal_again(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        lost = await walked(uow, await a_deal(uow, li, floor), floor, "Lost",
                            lost_reason="Too dear")
        reopened = await reopen_deal(ReopenDeal(
            lost.id, stage_named(floor, "Meeting").id, "She called back", lost.version),
            uow=uow, viewer=ADMIN)
        assert reopened.move is not None
        assert (reopened.deal.status, reopened.move.kind, reopened.move.reason) == (
            DealStatus.OPEN, MoveKind.REOPENED, "She called back")

    async def test_a_reopening_needs_a_reason(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        lost = await walked(uow, await a_deal(uow, li, floor), floor, "Lost",
                            lost_reason="Too dear")
        error = await refused(uow, reopen_deal(ReopenDeal(
            lost.id, stage_named(floor, "Meeting").id, " "), uow=uow, viewer=ADMIN))
        assert problems(error) == {(("reason",), ErrorCode.REQUIRED)}


class TestUpdateDeal:
    async def test_an_open_deals_terms_change(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        deal = await a_deal(uow, li, floor)
        changed = await update_deal(UpdateDeal(deal.id, {
            "amount": Decimal("5200.00"), "products": (DealProduct(" WW-COAT-01 ", 2),)}, 1),
            uow=uow, viewer=ADMIN)
        assert (changed.amount, changed.products, changed.version) == (
            Decimal("5200.00"), (DealProduct("WW-COAT-01", 2),), 2)

    async def test_a_negative_amount_is_refused(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        deal = await a_deal(uow, li, floor)
        error = await refused(uow, update_deal(UpdateDeal(deal.id, {"amount": Decimal("-5")}),
                                               uow=uow, viewer=ADMIN))
        assert problems(error) == {(("amount",), ErrorCode.INVALID)}


class TestReach:
    async def test_a_clerk_does_not_move_another_stores_deal(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        theirs = await a_store(uow)
        deal = await a_deal(uow, li, floor, store_id=theirs.id)
        clerk = a_clerk_of(await a_staff_member(uow, store_id=(await a_store(uow)).id))
        error = await refused(uow, move_deal(_move(deal, floor, "Meeting"), uow=uow,
                                             viewer=clerk))
        assert problems(error) == {((), ErrorCode.NOT_ALLOWED)}

    async def test_a_clerk_moves_her_stores_deal(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        store = await a_store(uow)
        deal = await a_deal(uow, li, floor, store_id=store.id)
        clerk = a_clerk_of(await a_staff_member(uow, store_id=store.id))
        moved = await move_deal(_move(deal, floor, "Meeting"), uow=uow, viewer=clerk)
        assert moved.move is not None
        assert moved.move.staff_id == clerk.staff_id


class TestLinks:
    async def test_an_interaction_and_a_case_of_her_link_once(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        deal = await a_deal(uow, li, floor)
        call = await an_interaction(uow, li.id)
        case = await a_case(uow, li.id)
        await link_to_deal(LinkToDeal(deal.id, interaction_id=call.id), uow=uow, viewer=ADMIN)
        await link_to_deal(LinkToDeal(deal.id, case_id=case.id), uow=uow, viewer=ADMIN)
        await link_to_deal(LinkToDeal(deal.id, interaction_id=call.id), uow=uow, viewer=ADMIN)
        assert [(k.interaction_id, k.case_id) for k in uow.data.deal_links] == [
            (call.id, None), (None, case.id)]

    async def test_another_customers_interaction_is_refused(
        self, uow: FakeUnitOfWork, floor: Pipeline, li: Customer
    ) -> None:
        deal = await a_deal(uow, li, floor)
        call = await an_interaction(uow, (await a_customer(uow, display_name="Lisa")).id)
        error = await refused(uow, link_to_deal(LinkToDeal(deal.id, interaction_id=call.id),
                                                uow=uow, viewer=ADMIN))
        assert problems(error) == {(("interaction_id",), ErrorCode.INVALID)}
