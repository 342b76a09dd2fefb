"""Case queries: work queues by owner, queue, status and overdue."""

from dataclasses import replace

import strawberry

from api.graphql.cases.types import CaseConnection, CaseRoutingRuleType, CaseStatusEnum, CaseType
from api.graphql.context import Info
from api.graphql.relay import connection_parts, filter_uuid, page_request
from domain.cases.model import CaseStatus
from domain.cases.queries import CaseFilter
from domain.shared.paging import PageRequest


@strawberry.input(description="Every field given must match.")
class CaseFilterInput:
    owner_id: strawberry.ID | None = None
    queue: str | None = None
    customer_id: strawberry.ID | None = None
    status: list[CaseStatusEnum] | None = None
    overdue: bool | None = strawberry.field(
        default=None, description="true: open and past due; false: not overdue."
    )

    def to_domain(self) -> CaseFilter:
        return CaseFilter(
            owner_id=filter_uuid(self.owner_id, "Staff", ("filter", "owner_id")),
            queue=self.queue,
            customer_id=filter_uuid(self.customer_id, "Customer", ("filter", "customer_id")),
            statuses=tuple(CaseStatus(s) for s in self.status or ()),
            overdue=self.overdue,
        )


@strawberry.type
class CaseQueries:
    @strawberry.field(description="Cases, newest first.")
    async def cases(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: CaseFilterInput | None = None,
    ) -> CaseConnection:
        where, page_asked = cases_arguments(first, after, last, before, filter)
        where = replace(where, reach=info.context.viewer.customer_reach)
        page = await info.context.queries.cases.page(where, page_asked)
        return CaseConnection(**connection_parts(page, CaseType.from_domain))

    @strawberry.field(description="The rules that route new cases, oldest first.")
    async def case_routing_rules(self, info: Info) -> list[CaseRoutingRuleType]:
        rules = await info.context.queries.cases.routing_rules()
        return [CaseRoutingRuleType.from_domain(r) for r in rules]


def cases_arguments(
    first: int | None = None, after: str | None = None, last: int | None = None,
    before: str | None = None, filter: CaseFilterInput | None = None,
) -> tuple[CaseFilter, PageRequest]:
    """The arguments of `cases` as the query service (and compiled reads) take them."""
    return (filter or CaseFilterInput()).to_domain(), page_request(first, after, last, before)
