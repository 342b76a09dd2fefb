"""Leads: a prospect comes in, is followed up by what happens on her timeline, and is
qualified into a deal or set aside with a reason."""

from datetime import date

import pytest

from domain.customers.model import Customer
from domain.interactions.model import Channel
from domain.pipeline.commands import CreateLead, DisqualifyLead, QualifyLead, UpdateLead
from domain.pipeline.leads import (
    REACTIONS,
    create_lead,
    disqualify_lead,
    qualify_lead,
    update_lead,
)
from domain.pipeline.model import Lead, LeadStatus, Pipeline, Source
from domain.shared.errors import ErrorCode
from tests.builders import (
    ADMIN,
    a_customer,
    a_pipeline,
    a_uow,
    an_interaction,
    create_command,
    deal_terms,
    problems,
    refused,
    stage_named,
)
from tests.fakes import FakeUnitOfWork

FROM_WECHAT = Source(channel=Channel.SOCIAL, campaign="spring-coats")


@pytest.fixture
async def li(uow: FakeUnitOfWork) -> Customer:
    return await a_customer(uow)


async def _lead(uow: FakeUnitOfWork, customer: Customer) -> Lead:
    return await create_lead(CreateLead(FROM_WECHAT, customer_id=customer.id), uow=uow,
                             viewer=ADMIN)


class TestCreateLead:
    async def test_a_lead_comes_in_new_with_its_source(
        self, uow: FakeUnitOfWork, li: Customer
    ) -> None:
        lead = await _lead(uow, li)
        assert (lead.status, lead.source, lead.customer_id) == (LeadStatus.NEW, FROM_WECHAT,
                                                                li.id)
        assert uow.event_names[-1] == "LeadCreated"

    async def test_a_new_prospect_is_created_with_her_lead(self, uow: FakeUnitOfWork) -> None:
        lead = await create_lead(CreateLead(
            FROM_WECHAT, new_customer=create_command(display_name="Ms. Zhao")),
            uow=uow, viewer=ADMIN)
        assert uow.stored_customer(lead.customer_id).profile.display_name == "Ms. Zhao"

    async def test_a_bad_new_prospect_is_refused_at_her_fields(
        self, uow: FakeUnitOfWork
    ) -> None:
        error = await refused(uow, create_lead(CreateLead(
            FROM_WECHAT, new_customer=create_command(display_name=" ")), uow=uow, viewer=ADMIN))
        assert problems(error) == {(("customer", "display_name"), ErrorCode.REQUIRED)}

    async def test_a_customer_has_one_lead_being_qualified(
        self, uow: FakeUnitOfWork, li: Customer
    ) -> None:
        await _lead(uow, li)
        error = await refused(uow, _lead(uow, li))
        assert problems(error) == {(("customer_id",), ErrorCode.DUPLICATE)}

    async def test_a_customer_or_a_new_one_is_needed(self, uow: FakeUnitOfWork) -> None:
        error = await refused(uow, create_lead(CreateLead(FROM_WECHAT), uow=uow, viewer=ADMIN))
        assert problems(error) == {(("customer_id",), ErrorCode.INVALID)}


class TestFollowUps:
    async def test_an_interaction_on_her_timeline_makes_a_new_lead_contacted(self) -> None:
        uow = a_uow(reactions=REACTIONS)
        customer = await a_customer(uow)
        lead = await _lead(uow, customer)
        await an_interaction(uow, customer.id, channel=Channel.PHONE, kind="call")
        contacted = uow.data.leads[lead.id]
        assert (contacted.status, contacted.version) == (LeadStatus.CONTACTED, 2)
        assert "LeadContacted" in uow.event_names

    async def test_a_lead_is_followed_up_on_a_day(self, uow: FakeUnitOfWork, li: Customer) -> None:
        lead = await _lead(uow, li)
        changed = await update_lead(UpdateLead(lead.id, {"next_follow_up_on": date(2026, 3, 9)},
                                               lead.version), uow=uow, viewer=ADMIN)
        assert (changed.next_follow_up_on, changed.version) == (date(2026, 3, 9), 2)


class TestQualify:
    async def test_qualifying_a_lead_opens_a_deal_from_its_source(
        self, uow: FakeUnitOfWork, li: Customer
    ) -> None:
        floor: Pipeline = await a_pipeline(uow)
        lead = await _lead(uow, li)
        qualified = await qualify_lead(QualifyLead(lead.id, deal_terms(floor)), uow=uow,
                                       viewer=ADMIN)
        assert qualified.deal_id is not None
        deal = uow.data.deals[qualified.deal_id]
        assert (qualified.status, deal.lead_id, deal.source, deal.stage_id) == (
            LeadStatus.QUALIFIED, lead.id, FROM_WECHAT, stage_named(floor, "Phone contact").id)

    async def test_a_bad_deal_is_refused_at_its_fields(
        self, uow: FakeUnitOfWork, li: Customer
    ) -> None:
        floor = await a_pipeline(uow)
        lead = await _lead(uow, li)
        error = await refused(uow, qualify_lead(QualifyLead(lead.id, deal_terms(
            floor, currency="EUR")), uow=uow, viewer=ADMIN))
        assert problems(error) == {(("deal", "currency"), ErrorCode.CURRENCY_MISMATCH)}

    async def test_an_unqualified_lead_needs_a_reason(
        self, uow: FakeUnitOfWork, li: Customer
    ) -> None:
        lead = await _lead(uow, li)
        error = await refused(uow, disqualify_lead(DisqualifyLead(lead.id, ""), uow=uow,
                                                   viewer=ADMIN))
        assert problems(error) == {(("reason",), ErrorCode.REQUIRED)}

    async def test_a_sorted_lead_is_not_sorted_again(
        self, uow: FakeUnitOfWork, li: Customer
    ) -> None:
        lead = await _lead(uow, li)
        await disqualify_lead(DisqualifyLead(lead.id, "No intent: browsing"), uow=uow,
                              viewer=ADMIN)
        error = await refused(uow, disqualify_lead(DisqualifyLead(lead.id, "again"), uow=uow,
                                                   viewer=ADMIN))
        assert problems(error) == {(("lead_id",), ErrorCode.INVALID_TRANSITION)}

    async def test_after_a_sorted_lead_she_may_come_in_again(
        self, uow: FakeUnitOfWork, li: Customer
    ) -> None:
        lead = await _lead(uow, li)
        await disqualify_lead(DisqualifyLead(lead.id, "No intent"), uow=uow, viewer=ADMIN)
        again = await _lead(uow, li)
        assert again.status is LeadStatus.NEW
