"""Use cases of complaint and request handling: open, route, work, resolve, follow up."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import UUID

from domain.cases.commands import (
    AssignCase,
    CloseCase,
    CreateRoutingRule,
    DeleteRoutingRule,
    OpenCase,
    ReopenCase,
    ResolveCase,
    StartCase,
)
from domain.cases.events import CaseEvent
from domain.cases.model import DEFAULT_QUEUE, Case, RoutingRule, SlaPolicy, route
from domain.customers.services import customer_to_act_on
from domain.organisation.services import require_staff, require_store
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Viewer
from domain.shared.errors import DomainError, ErrorCode, check_version, not_found
from domain.shared.events import Event
from domain.shared.idempotency import first_result, remember_result
from domain.shared.ids import new_id
from domain.shared.validation import Problems

OPEN_SCOPE = "caseOpen"


async def open_case(cmd: OpenCase, *, uow: UnitOfWork, viewer: Viewer, sla: SlaPolicy) -> Case:
    viewer.require(Operation.CASE_OPEN)
    problems = Problems()
    subject = problems.text(("subject",), cmd.subject, max_length=200, required=True)
    description = problems.text(("description",), cmd.description, max_length=5000)
    category = problems.slug(("category",), cmd.category) if cmd.category else None
    if cmd.customer_id is None and cmd.interaction_id is None:
        problems.add(("customer_id",), ErrorCode.REQUIRED, "give a customer or an interaction")
    problems.raise_if_any()
    async with uow:
        first = await first_result(uow.idempotency, OPEN_SCOPE, cmd)
        if first is not None:
            return _reached(viewer, await _require_case(uow, first))
        customer_id, channel, store_id = cmd.customer_id, cmd.channel, cmd.store_id
        origin = None
        if cmd.interaction_id is not None:
            origin = await uow.interactions.get(cmd.interaction_id)
            if origin is None:
                raise not_found(("interaction_id",), "interaction")
            customer_id = customer_id or origin.customer_id
            channel, store_id = channel or origin.channel, store_id or origin.store_id
        assert customer_id is not None
        # Held, so that one opened while she is merged lands on the survivor.
        customer = await customer_to_act_on(uow, viewer, customer_id, hold=True)
        # Compared after following a merge: a duplicate's interactions moved to its survivor.
        if origin is not None and origin.customer_id != customer.id:
            raise DomainError.single(
                ("interaction_id",), ErrorCode.INVALID, "belongs to another customer"
            )
        await require_store(uow, store_id, ("store_id",))
        await require_staff(uow, cmd.owner_id, ("owner_id",))
        now = uow.clock.now()
        facts = {"kind": cmd.kind, "category": category, "channel": channel, "store_id": store_id}
        routed = route(await uow.routing_rules.all(), facts)
        case = Case(
            id=new_id(), customer_id=customer.id, kind=cmd.kind, subject=subject or "",
            priority=cmd.priority, opened_at=now, updated_at=now,
            due_at=now + sla.resolve_within[cmd.priority],
            owner_id=cmd.owner_id or routed.owner_id,
            queue=routed.queue, category=category, description=description, channel=channel,
            store_id=store_id, origin_interaction_id=cmd.interaction_id,
        )
        case.events.append(Event(CaseEvent.OPENED, case.id, now, {"queue": case.queue}))
        await uow.cases.add(case)
        await remember_result(uow.idempotency, OPEN_SCOPE, cmd, case.id)
        await uow.commit()
    return case


async def assign_case(cmd: AssignCase, *, uow: UnitOfWork, viewer: Viewer) -> Case:
    viewer.require(Operation.CASE_WORK)
    problems = Problems()
    queue = problems.slug(("queue",), cmd.queue) if cmd.queue else None
    problems.raise_if_any()

    async def change(case: Case, now: datetime) -> None:
        await require_staff(uow, cmd.owner_id, ("owner_id",))
        case.assign(cmd.owner_id, queue or case.queue, now)

    return await _change_case(uow, viewer, cmd.case_id, cmd.expected_version, change)


async def start_case(cmd: StartCase, *, uow: UnitOfWork, viewer: Viewer) -> Case:
    viewer.require(Operation.CASE_WORK)
    return await _transition(uow, viewer, cmd.case_id, cmd.expected_version,
                             lambda case, now: case.start(now))


async def resolve_case(
    cmd: ResolveCase, *, uow: UnitOfWork, viewer: Viewer, sla: SlaPolicy
) -> Case:
    viewer.require(Operation.CASE_WORK)
    problems = Problems()
    note = problems.text(("resolution_note",), cmd.resolution_note, max_length=5000,
                         required=True)
    if cmd.follow_up_at is not None and cmd.follow_up_at.tzinfo is None:
        problems.add(("follow_up_at",), ErrorCode.INVALID, "needs a time zone offset")
    problems.raise_if_any()

    def resolve(case: Case, now: datetime) -> None:
        # Answers are in UTC whatever offset the caller sent (docs/api.md).
        given = cmd.follow_up_at.astimezone(UTC) if cmd.follow_up_at else None
        follow_up_at = given or now + sla.follow_up_after
        if follow_up_at < now:
            raise DomainError.single(("follow_up_at",), ErrorCode.INVALID, "in the past")
        case.resolve(note or "", follow_up_at, now)

    return await _transition(uow, viewer, cmd.case_id, cmd.expected_version, resolve)


async def close_case(cmd: CloseCase, *, uow: UnitOfWork, viewer: Viewer) -> Case:
    viewer.require(Operation.CASE_WORK)
    return await _transition(uow, viewer, cmd.case_id, cmd.expected_version,
                             lambda case, now: case.close(now))


async def reopen_case(cmd: ReopenCase, *, uow: UnitOfWork, viewer: Viewer) -> Case:
    viewer.require(Operation.CASE_WORK)
    return await _transition(uow, viewer, cmd.case_id, cmd.expected_version,
                             lambda case, now: case.reopen(now))


async def create_routing_rule(
    cmd: CreateRoutingRule, *, uow: UnitOfWork, viewer: Viewer
) -> RoutingRule:
    viewer.require(Operation.ROUTING_MANAGE)
    problems = Problems()
    queue = problems.slug(("queue",), cmd.queue) if cmd.queue else DEFAULT_QUEUE
    category = problems.slug(("category",), cmd.category) if cmd.category else None
    problems.raise_if_any()
    async with uow:
        await require_staff(uow, cmd.owner_id, ("owner_id",))
        await require_store(uow, cmd.store_id, ("store_id",))
        rule = RoutingRule(
            id=new_id(), created_at=uow.clock.now(), queue=queue, owner_id=cmd.owner_id,
            kind=cmd.kind, category=category, channel=cmd.channel, store_id=cmd.store_id,
        )
        await uow.routing_rules.add(rule)
        await uow.commit()
    return rule


async def delete_routing_rule(cmd: DeleteRoutingRule, *, uow: UnitOfWork, viewer: Viewer) -> UUID:
    viewer.require(Operation.ROUTING_MANAGE)
    async with uow:
        if not await uow.routing_rules.delete(cmd.rule_id):
            raise not_found(("rule_id",), "routing rule")
        await uow.commit()
    return cmd.rule_id


async def _transition(
    uow: UnitOfWork, viewer: Viewer, case_id: UUID, expected_version: int | None,
    apply: Callable[[Case, datetime], None],
) -> Case:
    async def change(case: Case, now: datetime) -> None:
        apply(case, now)

    return await _change_case(uow, viewer, case_id, expected_version, change)


async def _change_case(
    uow: UnitOfWork, viewer: Viewer, case_id: UUID, expected_version: int | None,
    change: Callable[[Case, datetime], Awaitable[None]],
) -> Case:
    async with uow:
        case = await uow.cases.get(case_id, for_update=True)
        if case is None:
            raise not_found(("case_id",), "case")
        _reached(viewer, case)
        check_version(expected_version, case.version)
        await change(case, uow.clock.now())
        await uow.cases.save(case)
        await uow.commit()
    return case


def _reached(viewer: Viewer, case: Case) -> Case:
    """A clerk works the cases she owns and her stores' cases; a member sees her own."""
    viewer.require_reach(case.customer_id, case.store_id, case.owner_id)
    return case


async def _require_case(uow: UnitOfWork, case_id: UUID) -> Case:
    case = await uow.cases.get(case_id)
    if case is None:
        raise not_found(("case_id",), "case")
    return case
