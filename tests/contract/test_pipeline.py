"""The pipeline repository: pipelines and their stages, leads and the one open lead a
customer may have, deals with their source and products, the append-only moves, links,
and a merge's move of all of them."""

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from domain.customers.model import Customer
from domain.interactions.model import Channel
from domain.pipeline.model import (
    Deal,
    DealLink,
    DealProduct,
    DealStatus,
    LeadStatus,
    MoveKind,
    Pipeline,
    Source,
    Stage,
    StageKind,
)
from domain.shared.errors import Duplicate, UniqueKey
from domain.shared.ids import new_id
from tests.contract import records
from tests.contract.conftest import UowFactory, stored_customers
from tests.fakes import FixedClock


async def _pipeline(uow_factory: UowFactory, clock: FixedClock, **fields: Any) -> Pipeline:
    pipeline = records.a_pipeline_record(clock.now(), **fields)
    async with uow_factory() as uow:
        await uow.pipeline.add(pipeline)
        await uow.commit()
    return pipeline


async def _deal(uow_factory: UowFactory, pipeline: Pipeline, customer: Customer,
                clock: FixedClock, **fields: Any) -> Deal:
    deal = records.a_deal_record(pipeline, customer.id, clock.now(), **fields)
    async with uow_factory() as uow:
        await uow.pipeline.add_deal(deal)
        await uow.pipeline.add_move(records.a_move_record(
            deal, pipeline.stages[0], deal.opened_at, kind=MoveKind.OPENED, from_stage_id=None))
        await uow.commit()
    return deal


# --- pipelines and stages -------------------------------------------------------------------


async def test_a_pipeline_reads_back_with_its_stages_in_order(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    floor = await _pipeline(uow_factory, clock, code="floor")
    async with uow_factory() as uow:
        assert await uow.pipeline.get(floor.id) == floor
        assert await uow.pipeline.get(floor.id, for_update=True) == floor
        assert await uow.pipeline.get(floor.id, for_share=True) == floor
        assert await uow.pipeline.get_by_code("floor") == floor
        assert await uow.pipeline.get(new_id()) is None
        assert await uow.pipeline.stage(floor.stages[1].id) == floor.stages[1]
        assert await uow.pipeline.stage(new_id()) is None


async def test_a_second_pipeline_of_one_code_is_a_duplicate_and_the_transaction_goes_on(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    await _pipeline(uow_factory, clock, code="floor")
    other = records.a_pipeline_record(clock.now(), "b2b")
    async with uow_factory() as uow:
        with pytest.raises(Duplicate) as refused:
            await uow.pipeline.add(records.a_pipeline_record(clock.now(), "floor"))
        await uow.pipeline.add(other)
        await uow.commit()
    assert refused.value.key is UniqueKey.PIPELINE_CODE
    async with uow_factory() as uow:
        assert await uow.pipeline.get(other.id) == other


async def test_a_saved_pipeline_keeps_its_stages_renamed_reordered_retired_and_added(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    floor = await _pipeline(uow_factory, clock)
    call, meeting, won, lost = floor.stages
    fitting = Stage(new_id(), floor.id, "Fitting", 0, StageKind.OPEN, Decimal("0.6"), 2)
    changed = replace(floor.with_stages((replace(meeting, name="Showroom"), call, fitting, won,
                                         replace(lost, retired_at=clock.now()))),
                      version=2, allow_skips=True, updated_at=clock.advance(hours=1))
    async with uow_factory() as uow:
        await uow.pipeline.save(changed)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.pipeline.get(floor.id) == changed


async def test_deals_in_a_stage_are_counted_whatever_their_status(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    floor = await _pipeline(uow_factory, clock)
    li, lisa = await stored_customers(uow_factory, clock.now(), 2)
    await _deal(uow_factory, floor, li, clock)
    await _deal(uow_factory, floor, lisa, clock, status=DealStatus.LOST,
                stage_id=floor.stages[3].id)
    async with uow_factory() as uow:
        assert [await uow.pipeline.deals_in_stage(s.id) for s in floor.stages] == [1, 0, 0, 1]


# --- leads ------------------------------------------------------------------------------------


async def test_a_lead_reads_back_and_saves(uow_factory: UowFactory, clock: FixedClock) -> None:
    [li] = await stored_customers(uow_factory, clock.now(), 1)
    lead = records.a_lead_record(li.id, clock.now())
    async with uow_factory() as uow:
        await uow.pipeline.add_lead(lead)
        await uow.commit()
    contacted = replace(lead, status=LeadStatus.CONTACTED, version=2,
                        updated_at=clock.advance(days=1), next_follow_up_on=clock.now().date())
    async with uow_factory() as uow:
        assert await uow.pipeline.get_lead(lead.id) == lead
        assert await uow.pipeline.open_lead_of(li.id) == lead
        await uow.pipeline.save_lead(contacted)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.pipeline.get_lead(lead.id, for_update=True) == contacted
        assert await uow.pipeline.leads_of_customer(li.id) == [contacted]


async def test_a_second_open_lead_of_one_customer_is_a_duplicate(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    [li] = await stored_customers(uow_factory, clock.now(), 1)
    async with uow_factory() as uow:
        await uow.pipeline.add_lead(records.a_lead_record(li.id, clock.now()))
        await uow.commit()
    closed = records.a_lead_record(li.id, clock.now(), status=LeadStatus.UNQUALIFIED,
                                   unqualified_reason="no intent")
    async with uow_factory() as uow:
        with pytest.raises(Duplicate) as refused:
            await uow.pipeline.add_lead(records.a_lead_record(li.id, clock.now()))
        await uow.pipeline.add_lead(closed)  # a closed one is no clash
        await uow.commit()
    assert refused.value.key is UniqueKey.OPEN_LEAD
    async with uow_factory() as uow:
        assert len(await uow.pipeline.leads_of_customer(li.id)) == 2


async def test_a_customer_without_an_open_lead_has_none(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    [li] = await stored_customers(uow_factory, clock.now(), 1)
    async with uow_factory() as uow:
        await uow.pipeline.add_lead(records.a_lead_record(
            li.id, clock.now(), status=LeadStatus.QUALIFIED))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.pipeline.open_lead_of(li.id) is None


# --- deals, moves and links -------------------------------------------------------------------


async def test_a_deal_reads_back_with_its_source_and_products_and_saves(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    floor = await _pipeline(uow_factory, clock)
    li, referrer = await stored_customers(uow_factory, clock.now(), 2)
    deal = await _deal(uow_factory, floor, li, clock, expected_close_on=clock.now().date(),
                       source=Source(Channel.PHONE, "spring", referrer.id),
                       products=(DealProduct("WW-COAT-01", 1), DealProduct("SC-SILK-02", 2)))
    moved = replace(deal, stage_id=floor.stages[1].id, stage_entered_at=clock.advance(days=2),
                    version=2, updated_at=clock.now(), products=())
    async with uow_factory() as uow:
        assert await uow.pipeline.get_deal(deal.id) == deal
        await uow.pipeline.save_deal(moved)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.pipeline.get_deal(deal.id, for_update=True) == moved
        assert await uow.pipeline.deals_of_customer(li.id) == [moved]


async def test_moves_read_back_oldest_first(uow_factory: UowFactory, clock: FixedClock) -> None:
    floor = await _pipeline(uow_factory, clock)
    [li] = await stored_customers(uow_factory, clock.now(), 1)
    deal = await _deal(uow_factory, floor, li, clock)
    meeting = records.a_move_record(deal, floor.stages[1], clock.advance(days=1))
    lost = records.a_move_record(replace(deal, stage_id=floor.stages[1].id), floor.stages[3],
                                 clock.advance(days=1), kind=MoveKind.LOST, reason="price")
    async with uow_factory() as uow:
        await uow.pipeline.add_move(lost)
        await uow.pipeline.add_move(meeting)
        await uow.commit()
    async with uow_factory() as uow:
        moves = await uow.pipeline.moves_of(deal.id)
    assert [m.kind for m in moves] == [MoveKind.OPENED, MoveKind.MOVED, MoveKind.LOST]
    assert moves[1:] == [meeting, lost]


async def test_a_link_is_added_once(uow_factory: UowFactory, clock: FixedClock) -> None:
    floor = await _pipeline(uow_factory, clock)
    [li] = await stored_customers(uow_factory, clock.now(), 1)
    deal = await _deal(uow_factory, floor, li, clock)
    call = records.an_interaction(li.id, clock.now())
    async with uow_factory() as uow:
        await uow.interactions.add(call)
        await uow.commit()
    link = DealLink(deal.id, li.id, clock.now(), "staff:wang", interaction_id=call.id)
    async with uow_factory() as uow:
        assert await uow.pipeline.add_link(link)
        assert not await uow.pipeline.add_link(replace(link, linked_at=clock.advance(hours=1)))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.pipeline.links_of(deal.id) == [link]


# --- the customer record ----------------------------------------------------------------------


async def test_a_merge_moves_deals_moves_links_and_leads_to_the_survivor(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    floor = await _pipeline(uow_factory, clock)
    survivor, duplicate = await stored_customers(uow_factory, clock.now(), 2)
    deal = await _deal(uow_factory, floor, duplicate, clock)
    theirs = records.a_lead_record(duplicate.id, clock.now())
    hers = records.a_lead_record(survivor.id, clock.now())
    async with uow_factory() as uow:
        await uow.pipeline.add_lead(theirs)
        await uow.pipeline.add_lead(hers)
        await uow.commit()
    async with uow_factory() as uow:
        await uow.pipeline.move_to_customer(duplicate.id, survivor.id, "merged")
        await uow.commit()
    async with uow_factory() as uow:
        assert [d.id for d in await uow.pipeline.deals_of_customer(survivor.id)] == [deal.id]
        assert {m.customer_id for m in await uow.pipeline.moves_of(deal.id)} == {survivor.id}
        assert await uow.pipeline.open_lead_of(survivor.id) == hers
        moved = await uow.pipeline.get_lead(theirs.id)
        assert moved is not None
        assert (moved.customer_id, moved.status, moved.unqualified_reason) == (
            survivor.id, LeadStatus.UNQUALIFIED, "merged")
        assert await uow.pipeline.deals_of_customer(duplicate.id) == []


async def test_a_merge_keeps_the_duplicates_only_open_lead_open(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    survivor, duplicate = await stored_customers(uow_factory, clock.now(), 2)
    theirs = records.a_lead_record(duplicate.id, clock.now())
    async with uow_factory() as uow:
        await uow.pipeline.add_lead(theirs)
        await uow.pipeline.move_to_customer(duplicate.id, survivor.id, "merged")
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.pipeline.open_lead_of(survivor.id) == replace(
            theirs, customer_id=survivor.id)
