import strawberry

from api.graphql.context import Info
from api.graphql.organisation.types import StaffType, StoreType


@strawberry.type
class OrganisationQueries:
    @strawberry.field(description="Every store, by code.")
    async def stores(self, info: Info) -> list[StoreType]:
        return [StoreType.from_domain(s) for s in await info.context.queries.organisation
                .all_stores()]

    @strawberry.field(description="Every member of staff, by name.")
    async def staff(self, info: Info) -> list[StaffType]:
        return [StaffType.from_domain(s) for s in await info.context.queries.organisation
                .all_staff()]
