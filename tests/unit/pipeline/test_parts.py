"""The pipeline as part of the customer record: her export, and a merge."""

from domain.customers.model import Customer
from domain.pipeline.commands import CreateLead
from domain.pipeline.leads import create_lead
from domain.pipeline.model import LeadStatus
from domain.pipeline.parts import PipelinePart
from tests.builders import ADMIN, a_customer, a_deal, a_pipeline, walked
from tests.fakes import FakeUnitOfWork


async def _lead_of(uow: FakeUnitOfWork, customer: Customer) -> None:
    await create_lead(CreateLead(customer_id=customer.id), uow=uow, viewer=ADMIN)


async def test_her_export_lists_her_leads_and_deals_with_their_moves(
    uow: FakeUnitOfWork
) -> None:
    floor = await a_pipeline(uow)
    li = await a_customer(uow)
    await _lead_of(uow, li)
    await walked(uow, await a_deal(uow, li, floor), floor, "Meeting")
    async with uow:
        section = await PipelinePart().export(uow, li.id, [])
    assert [lead["status"] for lead in section["leads"]] == ["NEW"]
    [deal] = section["deals"]
    assert [move["kind"] for move in deal["moves"]] == ["OPENED", "MOVED"]


async def test_a_merge_moves_the_duplicates_deals_and_sets_aside_her_second_open_lead(
    uow: FakeUnitOfWork
) -> None:
    floor = await a_pipeline(uow)
    survivor, duplicate = await a_customer(uow), await a_customer(uow, display_name="Li")
    await _lead_of(uow, survivor)
    await _lead_of(uow, duplicate)
    deal = await a_deal(uow, duplicate, floor)
    async with uow:
        await PipelinePart().merge(uow, duplicate.id, survivor.id, "test")
        await uow.commit()
    assert uow.data.deals[deal.id].customer_id == survivor.id
    assert {m.customer_id for m in uow.data.deal_moves} == {survivor.id}
    assert sorted(lead.status for lead in uow.data.leads.values()
                  if lead.customer_id == survivor.id) == [LeadStatus.NEW, LeadStatus.UNQUALIFIED]
