"""Case mutations: open, assign, start, resolve (with a follow-up), close, reopen; and the
routing rules that pick an owner."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

import strawberry

from api.graphql.cases.types import (
    CaseKindEnum,
    CasePriorityEnum,
    CaseRoutingRuleType,
    CaseType,
)
from api.graphql.context import Info
from api.graphql.errors import Renames, payload_or_user_errors
from api.graphql.interactions.types import ChannelEnum
from api.graphql.payloads import payload_type
from api.graphql.relay import optional_uuid_of, uuid_of
from domain.cases import commands
from domain.cases.model import CaseKind, CasePriority
from domain.interactions.model import Channel


def _case_payload(name: str, description: str) -> Any:
    return payload_type(name, "case", CaseType, description)


CaseOpenPayload = _case_payload("CaseOpenPayload", "The new case, routed.")
CaseAssignPayload = _case_payload("CaseAssignPayload", "The case with its new owner.")
CaseStartPayload = _case_payload("CaseStartPayload", "The case, now IN_PROGRESS.")
CaseResolvePayload = _case_payload("CaseResolvePayload", "The case, RESOLVED, follow-up set.")
CaseClosePayload = _case_payload("CaseClosePayload", "The case, CLOSED.")
CaseReopenPayload = _case_payload("CaseReopenPayload", "The case, back IN_PROGRESS.")
CaseRoutingRuleCreatePayload = payload_type(
    "CaseRoutingRuleCreatePayload", "rule", CaseRoutingRuleType, "The new rule."
)
CaseRoutingRuleDeletePayload = payload_type(
    "CaseRoutingRuleDeletePayload", "deleted_id", strawberry.ID, "The id of the deleted rule."
)


def _case_id(source: Any) -> Any:
    return uuid_of(source.case_id, "Case", ("case_id",))


def _optional_channel(value: Any) -> Channel | None:
    return Channel(value) if value is not None else None


@strawberry.input(description="Give customerId, or interactionId to open it from a contact "
                              "(customer, channel and store then come from it).")
class CaseOpenInput:
    kind: CaseKindEnum  # type: ignore[valid-type]
    subject: str
    customer_id: strawberry.ID | None = None
    interaction_id: strawberry.ID | None = None
    category: str | None = None
    description: str | None = None
    priority: CasePriorityEnum = CasePriority.NORMAL  # type: ignore[valid-type]
    channel: ChannelEnum | None = None  # type: ignore[valid-type]
    store_id: strawberry.ID | None = None
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Skip routing and give it to this member of staff."
    )
    idempotency_key: str | None = None

    def to_command(self) -> commands.OpenCase:
        return commands.OpenCase(
            kind=CaseKind(self.kind), subject=self.subject,
            customer_id=optional_uuid_of(self.customer_id, "Customer", ("customer_id",)),
            interaction_id=optional_uuid_of(self.interaction_id, "Interaction",
                                            ("interaction_id",)),
            category=self.category, description=self.description,
            priority=CasePriority(self.priority), channel=_optional_channel(self.channel),
            store_id=optional_uuid_of(self.store_id, "Store", ("store_id",)),
            owner_id=optional_uuid_of(self.owner_id, "Staff", ("owner_id",)),
            idempotency_key=self.idempotency_key,
        )


@strawberry.input(description="ownerId null returns the case to its queue.")
class CaseAssignInput:
    case_id: strawberry.ID
    owner_id: strawberry.ID | None
    queue: str | None = None
    expected_version: int | None = None

    def to_command(self) -> commands.AssignCase:
        return commands.AssignCase(
            _case_id(self), optional_uuid_of(self.owner_id, "Staff", ("owner_id",)),
            self.queue, self.expected_version,
        )


@strawberry.input
class CaseTransitionInput:
    case_id: strawberry.ID
    expected_version: int | None = None


@strawberry.input(description="followUpAt defaults to the configured delay after now.")
class CaseResolveInput:
    case_id: strawberry.ID
    resolution_note: str
    follow_up_at: datetime | None = None
    expected_version: int | None = None

    def to_command(self) -> commands.ResolveCase:
        return commands.ResolveCase(_case_id(self), self.resolution_note, self.follow_up_at,
                                    self.expected_version)


@strawberry.input(description="Criteria left out match anything; the most specific rule wins.")
class CaseRoutingRuleCreateInput:
    queue: str | None = None
    owner_id: strawberry.ID | None = None
    kind: CaseKindEnum | None = None  # type: ignore[valid-type]
    category: str | None = None
    channel: ChannelEnum | None = None  # type: ignore[valid-type]
    store_id: strawberry.ID | None = None

    def to_command(self) -> commands.CreateRoutingRule:
        return commands.CreateRoutingRule(
            queue=self.queue, owner_id=optional_uuid_of(self.owner_id, "Staff", ("owner_id",)),
            kind=CaseKind(self.kind) if self.kind else None, category=self.category,
            channel=_optional_channel(self.channel),
            store_id=optional_uuid_of(self.store_id, "Store", ("store_id",)),
        )


# A move the case's status does not allow is a problem with the case the input names.
MOVES = {"status": ("case_id",)}


async def _run(
    info: Info, payload: Any, use_case: str, command: Callable[[], Any],
    renames: Renames | None = None,
) -> Any:
    async def attempt() -> CaseType:
        case = await getattr(info.context.use_cases, use_case)(command())
        return CaseType.from_domain(case)

    return await payload_or_user_errors(payload, "case", attempt, renames)


def _transition(source: CaseTransitionInput, command: Any) -> Callable[[], Any]:
    return lambda: command(_case_id(source), source.expected_version)


@strawberry.type
class CaseMutations:
    @strawberry.mutation(description="Opens a case and routes it to an owner or a queue.")
    async def case_open(self, info: Info, input: CaseOpenInput) -> CaseOpenPayload:  # type: ignore[valid-type]
        return await _run(info, CaseOpenPayload, "open_case", input.to_command)

    @strawberry.mutation
    async def case_assign(self, info: Info, input: CaseAssignInput) -> CaseAssignPayload:  # type: ignore[valid-type]
        return await _run(info, CaseAssignPayload, "assign_case", input.to_command)

    @strawberry.mutation(description="OPEN → IN_PROGRESS.")
    async def case_start(self, info: Info, input: CaseTransitionInput) -> CaseStartPayload:  # type: ignore[valid-type]
        return await _run(info, CaseStartPayload, "start_case",
                          _transition(input, commands.StartCase), MOVES)

    @strawberry.mutation(description="IN_PROGRESS → RESOLVED, scheduling the follow-up visit.")
    async def case_resolve(self, info: Info, input: CaseResolveInput) -> CaseResolvePayload:  # type: ignore[valid-type]
        return await _run(info, CaseResolvePayload, "resolve_case", input.to_command, MOVES)

    @strawberry.mutation(description="RESOLVED → CLOSED.")
    async def case_close(self, info: Info, input: CaseTransitionInput) -> CaseClosePayload:  # type: ignore[valid-type]
        return await _run(info, CaseClosePayload, "close_case",
                          _transition(input, commands.CloseCase), MOVES)

    @strawberry.mutation(description="RESOLVED → IN_PROGRESS, when the follow-up finds more to do.")
    async def case_reopen(self, info: Info, input: CaseTransitionInput) -> CaseReopenPayload:  # type: ignore[valid-type]
        return await _run(info, CaseReopenPayload, "reopen_case",
                          _transition(input, commands.ReopenCase), MOVES)

    @strawberry.mutation
    async def case_routing_rule_create(
        self, info: Info, input: CaseRoutingRuleCreateInput
    ) -> CaseRoutingRuleCreatePayload:  # type: ignore[valid-type]
        async def attempt() -> CaseRoutingRuleType:
            rule = await info.context.use_cases.create_routing_rule(input.to_command())
            return CaseRoutingRuleType.from_domain(rule)

        return await payload_or_user_errors(CaseRoutingRuleCreatePayload, "rule", attempt)

    @strawberry.mutation
    async def case_routing_rule_delete(
        self, info: Info, id: strawberry.ID
    ) -> CaseRoutingRuleDeletePayload:  # type: ignore[valid-type]
        async def attempt() -> strawberry.ID:
            rule_id = uuid_of(id, "CaseRoutingRule", ("id",))
            await info.context.use_cases.delete_routing_rule(commands.DeleteRoutingRule(rule_id))
            return id

        return await payload_or_user_errors(CaseRoutingRuleDeletePayload, "deleted_id", attempt,
                                            {"rule_id": ("id",)})
