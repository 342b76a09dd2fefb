"""Case mutations: open, assign, start, resolve (with a follow-up), close, reopen; and the
routing rules that pick an owner."""

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import UUID

import strawberry

from api.graphql.cases.types import (
    CaseKindEnum,
    CasePriorityEnum,
    CaseRoutingRuleType,
    CaseType,
)
from api.graphql.context import Info
from api.graphql.errors import Renames, UserError
from api.graphql.interactions.types import ChannelEnum
from api.graphql.payloads import mutation_payload
from api.graphql.relay import optional_uuid_of, uuid_of
from domain.cases import commands
from domain.cases.model import Case, CaseKind, CasePriority, RoutingRule
from domain.interactions.model import Channel
from infrastructure.bootstrap import UseCase

C = TypeVar("C")


@strawberry.type
class CasePayload:
    case: CaseType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="The new case, routed.")
class CaseOpenPayload(CasePayload):
    pass


@strawberry.type(description="The case with its new owner.")
class CaseAssignPayload(CasePayload):
    pass


@strawberry.type(description="The case, now IN_PROGRESS.")
class CaseStartPayload(CasePayload):
    pass


@strawberry.type(description="The case, RESOLVED, follow-up set.")
class CaseResolvePayload(CasePayload):
    pass


@strawberry.type(description="The case, CLOSED.")
class CaseClosePayload(CasePayload):
    pass


@strawberry.type(description="The case, back IN_PROGRESS.")
class CaseReopenPayload(CasePayload):
    pass


@strawberry.type(description="The new rule.")
class CaseRoutingRuleCreatePayload:
    rule: CaseRoutingRuleType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="The id of the deleted rule.")
class CaseRoutingRuleDeletePayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


CP = TypeVar("CP", bound=CasePayload, covariant=True)


class CasePayloadClass(Protocol[CP]):
    def __call__(self, *, case: CaseType | None = ...,
                 user_errors: list[UserError] = ...) -> CP: ...


def _case_id(source: "CaseAssignInput | CaseTransitionInput | CaseResolveInput") -> UUID:
    return uuid_of(source.case_id, "Case", ("case_id",))


def _optional_channel(value: Channel | None) -> Channel | None:
    return Channel(value) if value is not None else None


@strawberry.input(description="Give customerId, or interactionId to open it from a contact "
                              "(customer, channel and store then come from it).")
class CaseOpenInput:
    kind: CaseKindEnum
    subject: str
    customer_id: strawberry.ID | None = None
    interaction_id: strawberry.ID | None = None
    category: str | None = None
    description: str | None = None
    priority: CasePriorityEnum = CasePriority.NORMAL
    channel: ChannelEnum | None = None
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
    kind: CaseKindEnum | None = None
    category: str | None = None
    channel: ChannelEnum | None = None
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


async def _case_payload(
    info: Info, payload: CasePayloadClass[CP], use_case: UseCase[C, Case],
    command: Callable[[], C], renames: Renames | None = None,
) -> CP:
    def answer(case: Case) -> CP:
        return payload(case=CaseType.from_domain(case))

    return await mutation_payload(info, use_case, command, answer, payload, renames)


def _transition(source: CaseTransitionInput,
                command: Callable[[UUID, int | None], C]) -> Callable[[], C]:
    return lambda: command(_case_id(source), source.expected_version)


@strawberry.type
class CaseMutations:
    @strawberry.mutation(description="Opens a case and routes it to an owner or a queue.")
    async def case_open(self, info: Info, input: CaseOpenInput) -> CaseOpenPayload:
        return await _case_payload(info, CaseOpenPayload, info.context.use_cases.cases.open_case,
                                   input.to_command)

    @strawberry.mutation
    async def case_assign(self, info: Info, input: CaseAssignInput) -> CaseAssignPayload:
        return await _case_payload(info, CaseAssignPayload,
                                   info.context.use_cases.cases.assign_case, input.to_command)

    @strawberry.mutation(description="OPEN → IN_PROGRESS.")
    async def case_start(self, info: Info, input: CaseTransitionInput) -> CaseStartPayload:
        return await _case_payload(info, CaseStartPayload, info.context.use_cases.cases.start_case,
                                   _transition(input, commands.StartCase), MOVES)

    @strawberry.mutation(description="IN_PROGRESS → RESOLVED, scheduling the follow-up visit.")
    async def case_resolve(self, info: Info, input: CaseResolveInput) -> CaseResolvePayload:
        return await _case_payload(info, CaseResolvePayload,
                                   info.context.use_cases.cases.resolve_case, input.to_command,
                                   MOVES)

    @strawberry.mutation(description="RESOLVED → CLOSED.")
    async def case_close(self, info: Info, input: CaseTransitionInput) -> CaseClosePayload:
        return await _case_payload(info, CaseClosePayload, info.context.use_cases.cases.close_case,
                                   _transition(input, commands.CloseCase), MOVES)

    @strawberry.mutation(description="RESOLVED → IN_PROGRESS, when the follow-up finds more to do.")
    async def case_reopen(self, info: Info, input: CaseTransitionInput) -> CaseReopenPayload:
        return await _case_payload(info, CaseReopenPayload,
                                   info.context.use_cases.cases.reopen_case,
                                   _transition(input, commands.ReopenCase), MOVES)

    @strawberry.mutation
    async def case_routing_rule_create(
        self, info: Info, input: CaseRoutingRuleCreateInput
    ) -> CaseRoutingRuleCreatePayload:
        def answer(rule: RoutingRule) -> CaseRoutingRuleCreatePayload:
            return CaseRoutingRuleCreatePayload(rule=CaseRoutingRuleType.from_domain(rule))

        return await mutation_payload(info, info.context.use_cases.cases.create_routing_rule,
                                      input.to_command, answer, CaseRoutingRuleCreatePayload)

    @strawberry.mutation
    async def case_routing_rule_delete(
        self, info: Info, id: strawberry.ID
    ) -> CaseRoutingRuleDeletePayload:
        def command() -> commands.DeleteRoutingRule:
            return commands.DeleteRoutingRule(uuid_of(id, "CaseRoutingRule", ("id",)))

        def answer(deleted: UUID) -> CaseRoutingRuleDeletePayload:
            return CaseRoutingRuleDeletePayload(deleted_id=id)

        return await mutation_payload(info, info.context.use_cases.cases.delete_routing_rule,
                                      command, answer, CaseRoutingRuleDeletePayload,
                                      {"rule_id": ("id",)})
