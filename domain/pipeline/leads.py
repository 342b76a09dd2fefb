"""Use cases for leads: a prospect comes in (a customer, or a new one created with the
lead), is followed up, and is sorted into a target, whose qualification opens a deal, or
no intent, with the reason. A customer has one lead being qualified at a time.

Interactions on her timeline are the follow-ups: the first one after a NEW lead came in
makes it CONTACTED (a reaction, in the interaction's transaction), and the read side counts
them (`FollowUps`).
"""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.customers.services import add_customer, customer_to_act_on
from domain.interactions.events import InteractionEvent
from domain.loyalty.events import LoyaltyEvent
from domain.organisation.services import require_staff, require_store
from domain.pipeline.commands import (
    LEAD_EDITABLE,
    CreateLead,
    DisqualifyLead,
    QualifyLead,
    UpdateLead,
)
from domain.pipeline.deals import (
    check_source,
    check_source_links,
    check_terms,
    open_deal,
)
from domain.pipeline.events import PipelineEvent
from domain.pipeline.model import Lead, LeadStatus
from domain.ports import UnitOfWork
from domain.reactions import Reactions
from domain.shared.access import Operation, Viewer
from domain.shared.errors import (
    DomainError,
    ErrorCode,
    UniqueKey,
    check_version,
    duplicate_as,
    errors_within,
    not_found,
)
from domain.shared.events import Event
from domain.shared.idempotency import first_result, remember_result
from domain.shared.ids import new_id
from domain.shared.validation import Problems

CREATE_SCOPE = "leadCreate"
HAS_OPEN_LEAD = "she has a lead being qualified already"


async def create_lead(cmd: CreateLead, *, uow: UnitOfWork, viewer: Viewer) -> Lead:
    viewer.require(Operation.DEAL_WORK)
    if (cmd.customer_id is None) == (cmd.new_customer is None):
        raise DomainError.single(("customer_id",), ErrorCode.INVALID,
                                 "give a customer, or a new one, not both")
    check_source(cmd.source)
    async with uow:
        first = await first_result(uow.idempotency, CREATE_SCOPE, cmd)
        if first is not None:
            return _reached(viewer, await _existing(uow, first))
        if cmd.new_customer is not None:
            with errors_within("customer"):  # her own key, if any, is the lead's
                customer, _ = await add_customer(uow, viewer, replace(
                    cmd.new_customer, idempotency_key=None))
            customer_id, home_store_id = customer.id, customer.profile.home_store_id
        else:
            assert cmd.customer_id is not None
            header = await customer_to_act_on(uow, viewer, cmd.customer_id)
            customer_id, home_store_id = header.id, header.profile.home_store_id
        await check_source_links(uow, customer_id, cmd.source)
        await require_staff(uow, cmd.owner_id, ("owner_id",))
        await require_store(uow, cmd.store_id, ("store_id",))
        if await uow.pipeline.open_lead_of(customer_id) is not None:
            raise DomainError.single(("customer_id",), ErrorCode.DUPLICATE, HAS_OPEN_LEAD)
        now = uow.clock.now()
        lead = _reached(viewer, Lead(
            id=new_id(), customer_id=customer_id, status=LeadStatus.NEW, source=cmd.source,
            created_at=now, updated_at=now, owner_id=cmd.owner_id or viewer.staff_id,
            store_id=cmd.store_id or home_store_id,
            next_follow_up_on=cmd.next_follow_up_on))
        with duplicate_as(UniqueKey.OPEN_LEAD, ("customer_id",), HAS_OPEN_LEAD):
            await uow.pipeline.add_lead(lead)
        uow.emit(_event(PipelineEvent.LEAD_CREATED, lead, now, channel=lead.source.channel))
        await remember_result(uow.idempotency, CREATE_SCOPE, cmd, lead.id)
        await uow.commit()
    return lead


async def update_lead(cmd: UpdateLead, *, uow: UnitOfWork, viewer: Viewer) -> Lead:
    """Its owner, store or next follow-up, while it is being qualified."""
    viewer.require(Operation.DEAL_WORK)
    problems = Problems()
    problems.editable(cmd.changes, LEAD_EDITABLE)
    problems.raise_if_any()
    changes: dict[str, Any] = dict(cmd.changes)

    async def change(lead: Lead, now: datetime) -> Lead:
        await require_staff(uow, changes.get("owner_id"), ("owner_id",))
        await require_store(uow, changes.get("store_id"), ("store_id",))
        return _reached(viewer, replace(lead, **changes))

    return await _change(uow, viewer, cmd.lead_id, cmd.expected_version,
                         PipelineEvent.LEAD_UPDATED, change)


async def qualify_lead(cmd: QualifyLead, *, uow: UnitOfWork, viewer: Viewer) -> Lead:
    """A target: the lead opens a deal on the terms given, from the lead's source, owned by
    the lead's owner at the lead's store unless the terms say otherwise."""
    viewer.require(Operation.DEAL_WORK)
    check_terms(cmd.terms, ("deal",), uow.clock.now())

    async def qualified(lead: Lead, now: datetime) -> Lead:
        terms = replace(cmd.terms, owner_id=cmd.terms.owner_id or lead.owner_id,
                        store_id=cmd.terms.store_id or lead.store_id)
        deal = await open_deal(uow, viewer, lead.customer_id, lead.store_id, terms,
                               lead.source, lead_id=lead.id, at=("deal",))
        return replace(lead, status=LeadStatus.QUALIFIED, deal_id=deal.id, closed_at=now)

    return await _change(uow, viewer, cmd.lead_id, cmd.expected_version,
                         PipelineEvent.LEAD_QUALIFIED, qualified)


async def disqualify_lead(cmd: DisqualifyLead, *, uow: UnitOfWork, viewer: Viewer) -> Lead:
    """No intent, with the reason."""
    viewer.require(Operation.DEAL_WORK)
    problems = Problems()
    reason = problems.text(("reason",), cmd.reason, max_length=500, required=True)
    problems.raise_if_any()

    async def disqualified(lead: Lead, now: datetime) -> Lead:
        return replace(lead, status=LeadStatus.UNQUALIFIED, unqualified_reason=reason,
                       closed_at=now)

    return await _change(uow, viewer, cmd.lead_id, cmd.expected_version,
                         PipelineEvent.LEAD_DISQUALIFIED, disqualified)


async def on_timeline_entry(event: Event, uow: UnitOfWork) -> None:
    """An interaction or a purchase on her timeline follows her new lead up: it is
    CONTACTED now. Her events carry her id as their aggregate's."""
    lead = await uow.pipeline.open_lead_of(event.aggregate_id)
    if lead is None or lead.status is not LeadStatus.NEW:
        return
    contacted = replace(lead, status=LeadStatus.CONTACTED, updated_at=event.occurred_at,
                        version=lead.version + 1)
    await uow.pipeline.save_lead(contacted)
    uow.emit(_event(PipelineEvent.LEAD_CONTACTED, contacted, event.occurred_at))


REACTIONS: Reactions = {
    InteractionEvent.RECORDED: (on_timeline_entry,),
    LoyaltyEvent.PURCHASE_RECORDED: (on_timeline_entry,),
}


# --- helpers ------------------------------------------------------------------------------


async def _change(uow: UnitOfWork, viewer: Viewer, lead_id: UUID,
                  expected_version: int | None, event: PipelineEvent,
                  change: Callable[[Lead, datetime], Awaitable[Lead]]) -> Lead:
    """Locks the open lead, checks its version, applies `change`, saves the next version."""
    async with uow:
        lead = await uow.pipeline.get_lead(lead_id, for_update=True)
        if lead is None:
            raise not_found(("lead_id",), "lead")
        _reached(viewer, lead)
        check_version(expected_version, lead.version)
        if not lead.open:
            raise DomainError.single(("lead_id",), ErrorCode.INVALID_TRANSITION,
                                     f"the lead is {lead.status.value} already")
        now = uow.clock.now()
        changed = replace(await change(lead, now), version=lead.version + 1, updated_at=now)
        await uow.pipeline.save_lead(changed)
        uow.emit(_event(event, changed, now, status=changed.status, deal_id=changed.deal_id))
        await uow.commit()
    return changed


async def _existing(uow: UnitOfWork, lead_id: UUID) -> Lead:
    lead = await uow.pipeline.get_lead(lead_id)
    if lead is None:
        raise not_found(("idempotency_key",), "first result")
    return lead


def _reached(viewer: Viewer, lead: Lead) -> Lead:
    """A clerk works the leads of her stores and those she owns."""
    viewer.require_reach(lead.customer_id, lead.store_id, lead.owner_id)
    return lead


def _event(name: PipelineEvent, lead: Lead, now: datetime, **data: object) -> Event:
    values = {key: str(value) for key, value in data.items() if value is not None}
    return Event(name, lead.id, now, {"customer_id": str(lead.customer_id), **values})
