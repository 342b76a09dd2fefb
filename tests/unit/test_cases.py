"""Cases: opening (validation, origin interaction, SLA, idempotency), the status machine,
resolution and follow-up, assignment, and overdue."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from itertools import product
from typing import Any

import pytest

from domain.cases.commands import (
    AssignCase,
    CloseCase,
    ReopenCase,
    ResolveCase,
    StartCase,
)
from domain.cases.model import (
    DEFAULT_QUEUE,
    OPEN_STATUSES,
    TRANSITIONS,
    Case,
    CaseKind,
    CasePriority,
    CaseStatus,
    SlaPolicy,
)
from domain.cases.services import (
    assign_case,
    close_case,
    open_case,
    reopen_case,
    resolve_case,
    start_case,
)
from domain.customers.commands import MergeCustomers
from domain.customers.services import merge_customers
from domain.interactions.model import Channel
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.ids import new_id
from tests.builders import (
    ADMIN,
    PARTS,
    Problem,
    a_case,
    a_case_in,
    a_customer,
    a_staff_member,
    a_store,
    an_interaction,
    open_command,
    problems,
    refused,
)
from tests.fakes import DEFAULT_NOW, FakeUnitOfWork, FixedClock

OPEN, IN_PROGRESS, RESOLVED, CLOSED = CaseStatus
CUSTOM_SLA = SlaPolicy(
    {
        CasePriority.URGENT: timedelta(minutes=30),
        CasePriority.HIGH: timedelta(hours=2),
        CasePriority.NORMAL: timedelta(hours=8),
        CasePriority.LOW: timedelta(days=2),
    },
    follow_up_after=timedelta(days=1),
)

BAD_INPUTS: dict[str, tuple[dict[str, Any], Problem]] = {
    "no subject": ({"subject": "  "}, (("subject",), ErrorCode.REQUIRED)),
    "subject too long": ({"subject": "s" * 201}, (("subject",), ErrorCode.TOO_LONG)),
    "description too long": ({"description": "d" * 5001}, (("description",), ErrorCode.TOO_LONG)),
    "category not a slug": ({"category": "Torn Scarf"}, (("category",), ErrorCode.INVALID)),
}


class TestOpenCaseValidation:
    @pytest.mark.parametrize(("fields", "expected"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
    async def test_bad_input_is_refused_at_its_field(
        self, uow: FakeUnitOfWork, sla: SlaPolicy, fields: dict[str, Any], expected: Problem
    ) -> None:
        customer = await a_customer(uow)
        command = open_command(customer.id, **fields)
        error = await refused(uow, open_case(command, uow=uow, viewer=ADMIN, sla=sla))
        assert problems(error) == {expected}

    async def test_a_subject_and_a_customer_or_interaction_are_required(
        self, uow: FakeUnitOfWork, sla: SlaPolicy
    ) -> None:
        command = open_command(None, subject="")
        error = await refused(uow, open_case(command, uow=uow, viewer=ADMIN, sla=sla))
        assert problems(error) == {
            (("subject",), ErrorCode.REQUIRED),
            (("customer_id",), ErrorCode.REQUIRED),
        }

    @pytest.mark.parametrize("field", ["customer_id", "interaction_id", "store_id", "owner_id"])
    async def test_an_unknown_link_is_not_found(
        self, uow: FakeUnitOfWork, sla: SlaPolicy, field: str
    ) -> None:
        customer = await a_customer(uow)
        fields = {"customer_id": customer.id, field: new_id()}
        command = open_command(**fields)
        error = await refused(uow, open_case(command, uow=uow, viewer=ADMIN, sla=sla))
        assert problems(error) == {((field,), ErrorCode.NOT_FOUND)}

    async def test_an_interaction_of_another_customer_is_invalid(
        self, uow: FakeUnitOfWork, sla: SlaPolicy
    ) -> None:
        customer, other = await a_customer(uow), await a_customer(uow)
        interaction = await an_interaction(uow, other.id)
        command = open_command(customer.id, interaction_id=interaction.id)
        error = await refused(uow, open_case(command, uow=uow, viewer=ADMIN, sla=sla))
        assert problems(error) == {(("interaction_id",), ErrorCode.INVALID)}


class TestOpenCase:
    async def test_a_new_case_is_open_unassigned_and_announced(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        customer = await a_customer(uow)
        case = await a_case(
            uow,
            customer.id,
            subject=" Scarf came torn ",
            category="Quality",
            description="Seam split on first wear",
            priority=CasePriority.HIGH,
        )
        assert uow.stored_case(case.id) == case
        assert (case.status, case.version, case.opened_at, case.updated_at) == (
            OPEN,
            1,
            clock.now(),
            clock.now(),
        )
        assert (case.subject, case.category, case.customer_id) == (
            "Scarf came torn",
            "quality",
            customer.id,
        )
        assert (case.owner_id, case.queue) == (None, DEFAULT_QUEUE)
        assert [(e.name, e.aggregate_id, e.data) for e in uow.events[-1:]] == [
            ("CaseOpened", case.id, {"queue": DEFAULT_QUEUE})
        ]

    async def test_a_case_opened_from_an_interaction_inherits_customer_channel_and_store(
        self, uow: FakeUnitOfWork
    ) -> None:
        store = await a_store(uow)
        customer = await a_customer(uow)
        visit = await an_interaction(
            uow, customer.id, channel=Channel.IN_STORE_TERMINAL, store_id=store.id
        )
        case = await a_case(uow, None, interaction_id=visit.id)
        assert (case.customer_id, case.channel, case.store_id, case.origin_interaction_id) == (
            customer.id,
            Channel.IN_STORE_TERMINAL,
            store.id,
            visit.id,
        )

    async def test_a_channel_given_wins_over_the_interactions(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        visit = await an_interaction(uow, customer.id, channel=Channel.POS)
        case = await a_case(uow, customer.id, interaction_id=visit.id, channel=Channel.PHONE)
        assert case.channel is Channel.PHONE

    @pytest.mark.parametrize("priority", list(CasePriority))
    async def test_the_due_time_follows_the_default_sla_of_its_priority(
        self, uow: FakeUnitOfWork, priority: CasePriority
    ) -> None:
        expected = {"URGENT": 4, "HIGH": 24, "NORMAL": 72, "LOW": 7 * 24}[priority]
        customer = await a_customer(uow)
        case = await a_case(uow, customer.id, priority=priority)
        assert case.due_at == case.opened_at + timedelta(hours=expected)

    @pytest.mark.parametrize("priority", list(CasePriority))
    async def test_the_due_time_follows_a_custom_sla(
        self, uow: FakeUnitOfWork, priority: CasePriority
    ) -> None:
        customer = await a_customer(uow)
        case = await a_case(uow, customer.id, sla=CUSTOM_SLA, priority=priority)
        assert case.due_at == DEFAULT_NOW + CUSTOM_SLA.resolve_within[priority]

    async def test_a_case_for_a_merged_duplicate_lands_on_the_survivor(
        self, uow: FakeUnitOfWork
    ) -> None:
        survivor, duplicate = await a_customer(uow), await a_customer(uow)
        await merge_customers(MergeCustomers(survivor.id, duplicate.id), uow=uow, viewer=ADMIN,
                              parts=PARTS)
        case = await a_case(uow, duplicate.id)
        assert case.customer_id == survivor.id

    async def test_a_duplicates_id_with_an_interaction_moved_to_the_survivor_is_accepted(
        self, uow: FakeUnitOfWork
    ) -> None:
        survivor, duplicate = await a_customer(uow), await a_customer(uow)
        visit = await an_interaction(uow, duplicate.id)
        await merge_customers(MergeCustomers(survivor.id, duplicate.id), uow=uow, viewer=ADMIN,
                              parts=PARTS)
        case = await a_case(uow, duplicate.id, interaction_id=visit.id)
        assert case.customer_id == survivor.id


class TestOpenCaseIdempotency:
    async def test_the_same_key_with_the_same_input_replays_the_first_case(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        customer = await a_customer(uow)
        first = await a_case(uow, customer.id, idempotency_key="web-complaint-9")
        before = uow.snapshot()
        clock.advance(minutes=1)
        again = await a_case(uow, customer.id, idempotency_key="web-complaint-9")
        assert again == first
        assert uow.snapshot() == before

    async def test_the_same_key_with_another_input_is_refused(
        self, uow: FakeUnitOfWork, sla: SlaPolicy
    ) -> None:
        customer = await a_customer(uow)
        await a_case(uow, customer.id, idempotency_key="web-complaint-9")
        command = open_command(customer.id, subject="Other", idempotency_key="web-complaint-9")
        error = await refused(uow, open_case(command, uow=uow, viewer=ADMIN, sla=sla))
        assert problems(error) == {(("idempotency_key",), ErrorCode.IDEMPOTENCY_KEY_REUSED)}


# The status machine ---------------------------------------------------------------------

ALLOWED = {(src, dst) for src, targets in TRANSITIONS.items() for dst in targets}


def _a_case_in(status: CaseStatus) -> Case:
    now = DEFAULT_NOW
    return Case(
        id=new_id(),
        customer_id=new_id(),
        kind=CaseKind.REQUEST,
        subject="Alteration",
        priority=CasePriority.NORMAL,
        opened_at=now,
        due_at=now + timedelta(days=3),
        queue=DEFAULT_QUEUE,
        updated_at=now,
        status=status,
    )


class TestStatusMachine:
    def test_the_documented_moves_are_the_allowed_ones(self) -> None:
        documented = {
            (OPEN, IN_PROGRESS),
            (IN_PROGRESS, RESOLVED),
            (RESOLVED, CLOSED),
            (RESOLVED, IN_PROGRESS),
        }
        assert documented == ALLOWED

    @pytest.mark.parametrize(("src", "dst"), sorted(ALLOWED))
    def test_an_allowed_move_changes_the_status_and_the_version(
        self, src: CaseStatus, dst: CaseStatus
    ) -> None:
        case = _a_case_in(src)
        later = DEFAULT_NOW + timedelta(hours=1)
        case.move_to(dst, later)
        assert (case.status, case.version, case.updated_at) == (dst, 2, later)
        assert case.events[-1].data == {"status": dst.value}

    @pytest.mark.parametrize(("src", "dst"), sorted(set(product(CaseStatus, CaseStatus)) - ALLOWED))
    def test_every_other_move_is_an_invalid_transition(
        self, src: CaseStatus, dst: CaseStatus
    ) -> None:
        case = _a_case_in(src)
        with pytest.raises(DomainError) as caught:
            case.move_to(dst, DEFAULT_NOW)
        assert problems(caught.value) == {(("status",), ErrorCode.INVALID_TRANSITION)}
        assert (case.status, case.version) == (src, 1)


Move = Callable[[FakeUnitOfWork, Case], Awaitable[Case]]

MOVES: dict[str, tuple[Move, CaseStatus, CaseStatus]] = {
    # use case: (call, the one status it moves from, the status it moves to)
    "start": (lambda u, c: start_case(StartCase(c.id), uow=u, viewer=ADMIN), OPEN, IN_PROGRESS),
    "resolve": (
        lambda u, c: resolve_case(
            ResolveCase(c.id, "Refunded"), uow=u, viewer=ADMIN, sla=SlaPolicy.default()
        ),
        IN_PROGRESS,
        RESOLVED,
    ),
    "close": (lambda u, c: close_case(CloseCase(c.id), uow=u, viewer=ADMIN), RESOLVED, CLOSED),
    "reopen": (
        lambda u, c: reopen_case(ReopenCase(c.id), uow=u, viewer=ADMIN),
        RESOLVED,
        IN_PROGRESS,
    ),
}


class TestTransitionUseCases:
    @pytest.mark.parametrize("move", MOVES)
    async def test_each_use_case_makes_its_move(self, uow: FakeUnitOfWork, move: str) -> None:
        call, src, dst = MOVES[move]
        case = await a_case_in(uow, src)
        moved = await call(uow, case)
        assert uow.stored_case(case.id) == moved
        assert (moved.status, moved.version) == (dst, case.version + 1)
        assert "CaseStatusChanged" in uow.event_names

    @pytest.mark.parametrize(
        ("move", "status"),
        [(m, s) for m, s in product(MOVES, CaseStatus) if s is not MOVES[m][1]],
    )
    async def test_from_any_other_status_it_is_an_invalid_transition(
        self, uow: FakeUnitOfWork, move: str, status: CaseStatus
    ) -> None:
        case = await a_case_in(uow, status)
        error = await refused(uow, MOVES[move][0](uow, case))
        assert problems(error) == {(("status",), ErrorCode.INVALID_TRANSITION)}

    @pytest.mark.parametrize("move", MOVES)
    async def test_an_unknown_case_is_not_found(self, uow: FakeUnitOfWork, move: str) -> None:
        ghost = _a_case_in(OPEN)
        error = await refused(uow, MOVES[move][0](uow, ghost))
        assert problems(error) == {(("case_id",), ErrorCode.NOT_FOUND)}

    async def test_a_stale_expected_version_is_refused_with_conflict(
        self, uow: FakeUnitOfWork
    ) -> None:
        case = await a_case_in(uow, IN_PROGRESS)
        command = ResolveCase(case.id, "Refunded", expected_version=1)
        error = await refused(
            uow, resolve_case(command, uow=uow, viewer=ADMIN, sla=SlaPolicy.default())
        )
        assert problems(error) == {(("expected_version",), ErrorCode.CONFLICT)}

    async def test_the_current_expected_version_is_accepted(self, uow: FakeUnitOfWork) -> None:
        case = await a_case_in(uow, OPEN)
        started = await start_case(StartCase(case.id, expected_version=1), uow=uow, viewer=ADMIN)
        assert started.status is IN_PROGRESS


class TestResolveCase:
    async def test_a_resolution_note_is_required(self, uow: FakeUnitOfWork, sla: SlaPolicy) -> None:
        case = await a_case_in(uow, IN_PROGRESS)
        error = await refused(
            uow, resolve_case(ResolveCase(case.id, "  "), uow=uow, viewer=ADMIN, sla=sla)
        )
        assert problems(error) == {(("resolution_note",), ErrorCode.REQUIRED)}

    async def test_resolving_records_the_note_and_time_and_schedules_the_given_follow_up(
        self, uow: FakeUnitOfWork, clock: FixedClock, sla: SlaPolicy
    ) -> None:
        case = await a_case_in(uow, IN_PROGRESS)
        now = clock.advance(hours=5)
        visit = now + timedelta(days=10)
        command = ResolveCase(case.id, " Replaced the scarf ", follow_up_at=visit)
        resolved = await resolve_case(command, uow=uow, viewer=ADMIN, sla=sla)
        assert (resolved.resolution_note, resolved.resolved_at, resolved.follow_up_at) == (
            "Replaced the scarf",
            now,
            visit,
        )
        assert uow.stored_case(case.id) == resolved
        assert uow.events[-1].name == "FollowUpScheduled"
        assert uow.events[-1].data == {"follow_up_at": visit.isoformat()}

    @pytest.mark.parametrize("policy", [SlaPolicy.default(), CUSTOM_SLA], ids=["default", "custom"])
    async def test_without_a_time_the_follow_up_comes_after_the_policys_delay(
        self, uow: FakeUnitOfWork, clock: FixedClock, policy: SlaPolicy
    ) -> None:
        case = await a_case_in(uow, IN_PROGRESS)
        resolved = await resolve_case(
            ResolveCase(case.id, "Refunded"), uow=uow, viewer=ADMIN, sla=policy
        )
        assert resolved.follow_up_at == clock.now() + policy.follow_up_after

    async def test_a_follow_up_in_the_past_is_refused(
        self, uow: FakeUnitOfWork, clock: FixedClock, sla: SlaPolicy
    ) -> None:
        case = await a_case_in(uow, IN_PROGRESS)
        command = ResolveCase(case.id, "Refunded", follow_up_at=clock.now() - timedelta(minutes=1))
        error = await refused(uow, resolve_case(command, uow=uow, viewer=ADMIN, sla=sla))
        assert problems(error) == {(("follow_up_at",), ErrorCode.INVALID)}

    async def test_a_follow_up_without_offset_is_refused(
        self, uow: FakeUnitOfWork, clock: FixedClock, sla: SlaPolicy
    ) -> None:
        case = await a_case_in(uow, IN_PROGRESS)
        naive = (clock.now() + timedelta(days=1)).replace(tzinfo=None)
        command = ResolveCase(case.id, "Refunded", follow_up_at=naive)
        error = await refused(uow, resolve_case(command, uow=uow, viewer=ADMIN, sla=sla))
        assert problems(error) == {(("follow_up_at",), ErrorCode.INVALID)}


class TestCloseAndReopen:
    async def test_closing_records_the_time(self, uow: FakeUnitOfWork, clock: FixedClock) -> None:
        case = await a_case_in(uow, RESOLVED)
        now = clock.advance(days=3)
        closed = await close_case(CloseCase(case.id), uow=uow, viewer=ADMIN)
        assert (closed.status, closed.closed_at) == (CLOSED, now)

    async def test_reopening_clears_the_resolution_times(self, uow: FakeUnitOfWork) -> None:
        case = await a_case_in(uow, RESOLVED)
        reopened = await reopen_case(ReopenCase(case.id), uow=uow, viewer=ADMIN)
        stored = uow.stored_case(case.id)
        assert stored == reopened
        assert (stored.status, stored.resolved_at, stored.follow_up_at) == (IN_PROGRESS, None, None)

    async def test_a_reopened_case_can_be_resolved_again(
        self, uow: FakeUnitOfWork, clock: FixedClock, sla: SlaPolicy
    ) -> None:
        case = await a_case_in(uow, RESOLVED)
        await reopen_case(ReopenCase(case.id), uow=uow, viewer=ADMIN)
        now = clock.advance(days=1)
        again = await resolve_case(
            ResolveCase(case.id, "Second try"), uow=uow, viewer=ADMIN, sla=sla
        )
        assert (again.resolution_note, again.resolved_at) == ("Second try", now)


class TestAssignCase:
    async def test_assigning_sets_owner_and_queue(self, uow: FakeUnitOfWork) -> None:
        clerk = await a_staff_member(uow)
        case = await a_case_in(uow, OPEN)
        assigned = await assign_case(
            AssignCase(case.id, clerk.id, queue="VIP-Desk"), uow=uow, viewer=ADMIN
        )
        assert (assigned.owner_id, assigned.queue, assigned.version) == (clerk.id, "vip-desk", 2)
        assert uow.stored_case(case.id) == assigned
        assert uow.events[-1].name == "CaseAssigned"
        assert uow.events[-1].data == {"owner_id": str(clerk.id), "queue": "vip-desk"}

    async def test_without_a_queue_the_case_stays_in_its_queue(self, uow: FakeUnitOfWork) -> None:
        case = await a_case_in(uow, IN_PROGRESS)
        assigned = await assign_case(AssignCase(case.id, None), uow=uow, viewer=ADMIN)
        assert (assigned.owner_id, assigned.queue) == (None, case.queue)

    async def test_an_unknown_owner_is_not_found(self, uow: FakeUnitOfWork) -> None:
        case = await a_case_in(uow, OPEN)
        error = await refused(
            uow, assign_case(AssignCase(case.id, new_id()), uow=uow, viewer=ADMIN)
        )
        assert problems(error) == {(("owner_id",), ErrorCode.NOT_FOUND)}

    async def test_a_queue_must_be_a_slug(self, uow: FakeUnitOfWork) -> None:
        case = await a_case_in(uow, OPEN)
        command = AssignCase(case.id, None, queue="VIP desk!")
        error = await refused(uow, assign_case(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("queue",), ErrorCode.INVALID)}

    @pytest.mark.parametrize("status", [OPEN, IN_PROGRESS, RESOLVED])
    async def test_a_case_not_closed_can_be_reassigned(
        self, uow: FakeUnitOfWork, status: CaseStatus
    ) -> None:
        clerk = await a_staff_member(uow)
        case = await a_case_in(uow, status)
        assert (
            await assign_case(AssignCase(case.id, clerk.id), uow=uow, viewer=ADMIN)
        ).owner_id == clerk.id

    async def test_a_closed_case_cannot_be_reassigned(self, uow: FakeUnitOfWork) -> None:
        clerk = await a_staff_member(uow)
        case = await a_case_in(uow, CLOSED)
        error = await refused(
            uow, assign_case(AssignCase(case.id, clerk.id), uow=uow, viewer=ADMIN)
        )
        assert problems(error) == {(("case_id",), ErrorCode.INVALID_TRANSITION)}

    async def test_a_stale_expected_version_is_refused_with_conflict(
        self, uow: FakeUnitOfWork
    ) -> None:
        case = await a_case_in(uow, IN_PROGRESS)
        command = AssignCase(case.id, None, queue="vip", expected_version=1)
        error = await refused(uow, assign_case(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("expected_version",), ErrorCode.CONFLICT)}


class TestOverdue:
    @pytest.mark.parametrize("status", sorted(OPEN_STATUSES))
    def test_an_open_case_past_its_due_time_is_overdue(self, status: CaseStatus) -> None:
        case = _a_case_in(status)
        assert case.is_overdue(case.due_at + timedelta(seconds=1))

    @pytest.mark.parametrize("status", sorted(OPEN_STATUSES))
    def test_an_open_case_at_or_before_its_due_time_is_not_overdue(
        self, status: CaseStatus
    ) -> None:
        case = _a_case_in(status)
        assert not case.is_overdue(case.due_at)
        assert not case.is_overdue(case.opened_at)

    @pytest.mark.parametrize("status", [RESOLVED, CLOSED])
    def test_a_resolved_or_closed_case_is_never_overdue(self, status: CaseStatus) -> None:
        case = _a_case_in(status)
        assert not case.is_overdue(case.due_at + timedelta(days=365))

    async def test_an_urgent_case_is_overdue_four_hours_after_opening(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        customer = await a_customer(uow)
        case = await a_case(uow, customer.id, priority=CasePriority.URGENT)
        assert not case.is_overdue(clock.advance(hours=4))
        assert case.is_overdue(clock.advance(minutes=1))
