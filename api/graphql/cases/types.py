"""The Case type: a complaint, request or enquiry with an owner and a due time."""

from datetime import datetime
from uuid import UUID

import strawberry

from api.graphql.context import Info
from api.graphql.customers.types import CustomerType, load_customer
from api.graphql.interactions.types import ChannelEnum, InteractionType
from api.graphql.loaders import PageKey
from api.graphql.organisation.types import StaffType, StoreType, load_staff, load_store
from api.graphql.relay import Connection, Node, connection_parts, page_request, to_global_id
from api.graphql.same_named import same_named
from domain.cases import model
from domain.cases.queries import CaseFilter
from domain.shared.paging import PageRequest

# GraphQL enums are the domain's classes themselves, registered under their schema names.
CaseKindEnum = model.CaseKind
strawberry.enum(CaseKindEnum, name="CaseKind")
CasePriorityEnum = model.CasePriority
strawberry.enum(CasePriorityEnum, name="CasePriority")
CaseStatusEnum = model.CaseStatus
strawberry.enum(CaseStatusEnum, name="CaseStatus")


@strawberry.type(name="Case", description="A complaint, request or enquiry being handled.")
class CaseType(Node):
    customer_uuid: strawberry.Private[UUID]
    owner_uuid: strawberry.Private[UUID | None]
    store_uuid: strawberry.Private[UUID | None]
    origin_uuid: strawberry.Private[UUID | None]
    kind: CaseKindEnum
    category: str | None
    subject: str
    description: str | None
    channel: ChannelEnum | None
    priority: CasePriorityEnum
    status: CaseStatusEnum
    queue: str = strawberry.field(description="The work queue it sits in while unowned.")
    due_at: datetime = strawberry.field(description="When it should be resolved (SLA).")
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution_note: str | None
    follow_up_at: datetime | None = strawberry.field(
        description="When the follow-up visit after resolution is due."
    )
    version: int

    @classmethod
    def from_domain(cls, case: model.Case) -> "CaseType":
        return cls(
            id=to_global_id("Case", case.id), customer_uuid=case.customer_id,
            owner_uuid=case.owner_id, store_uuid=case.store_id,
            origin_uuid=case.origin_interaction_id, **same_named(cls, case),
        )

    @strawberry.field(description="Still open and past its due time.")
    def overdue(self, info: Info) -> bool:
        now = info.context.container.clock.now()
        return self.status in model.OPEN_STATUSES and self.due_at < now

    @strawberry.field
    async def customer(self, info: Info) -> CustomerType:
        return await load_customer(info, self.customer_uuid)

    @strawberry.field
    async def owner(self, info: Info) -> StaffType | None:
        return await load_staff(info, self.owner_uuid)

    @strawberry.field
    async def store(self, info: Info) -> StoreType | None:
        return await load_store(info, self.store_uuid)

    @strawberry.field(description="The interaction the case was opened from, if any.")
    async def origin_interaction(self, info: Info) -> InteractionType | None:
        if self.origin_uuid is None:
            return None
        interaction = await info.context.loaders.interaction.load(self.origin_uuid)
        return InteractionType.from_domain(interaction) if interaction else None


@strawberry.type
class CaseConnection(Connection[CaseType]):
    pass


@strawberry.type(name="CaseRoutingRule",
                 description="Sends matching new cases to an owner or a queue.")
class CaseRoutingRuleType(Node):
    owner_uuid: strawberry.Private[UUID | None]
    store_uuid: strawberry.Private[UUID | None]
    queue: str
    kind: CaseKindEnum | None
    category: str | None
    channel: ChannelEnum | None
    created_at: datetime

    @classmethod
    def from_domain(cls, rule: model.RoutingRule) -> "CaseRoutingRuleType":
        return cls(
            id=to_global_id("CaseRoutingRule", rule.id), owner_uuid=rule.owner_id,
            store_uuid=rule.store_id, **same_named(cls, rule),
        )

    @strawberry.field
    async def owner(self, info: Info) -> StaffType | None:
        return await load_staff(info, self.owner_uuid)

    @strawberry.field
    async def store(self, info: Info) -> StoreType | None:
        return await load_store(info, self.store_uuid)


def customer_cases_arguments(
    first: int | None = None, after: str | None = None, last: int | None = None,
    before: str | None = None, status: list[CaseStatusEnum] | None = None,
) -> tuple[CaseFilter, PageRequest]:
    """A customer's cases' arguments as the query service (and the compiled read) takes them."""
    where = CaseFilter(statuses=tuple(model.CaseStatus(s) for s in status or ()))
    return where, page_request(first, after, last, before)


@strawberry.type
class CustomerCasesFields:
    """What cases give a customer (added to Customer in schema.py)."""

    @strawberry.field(description="Cases of this customer, newest first.")
    async def cases(
        self, root: strawberry.Parent[CustomerType], info: Info, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
        status: list[CaseStatusEnum] | None = None,
    ) -> CaseConnection:
        key = PageKey(root.uuid, *customer_cases_arguments(first, after, last, before, status))
        page = await info.context.loaders.customer_cases.load(key)
        return CaseConnection(**connection_parts(page, CaseType.from_domain))


@strawberry.type
class InteractionCaseFields:
    """What cases give an interaction (added to Interaction in schema.py)."""

    @strawberry.field(name="case", description="The case this interaction belongs to, if any.")
    async def case_(self, root: strawberry.Parent[InteractionType], info: Info) -> CaseType | None:
        if root.case_uuid is None:
            return None
        case = await info.context.loaders.case.load(root.case_uuid)
        return CaseType.from_domain(case) if case else None
