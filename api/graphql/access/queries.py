import strawberry
from graphql import GraphQLError

from api.graphql.access.types import ApiClientType
from api.graphql.context import Info
from domain.access.commands import ListApiClients
from domain.shared.errors import DomainError


def refused_query(error: DomainError) -> GraphQLError:
    """A query the use case refused, as a GraphQL error whose code says why (NOT_ALLOWED)."""
    return GraphQLError(str(error), extensions={"code": error.errors[0].code.value})


@strawberry.type
class AccessQueries:
    @strawberry.field(description="Every API client with its keys, oldest first (ADMIN only).")
    async def api_clients(self, info: Info) -> list[ApiClientType]:
        try:
            clients = await info.context.use_cases.list_api_clients(ListApiClients())
        except DomainError as error:
            raise refused_query(error) from None
        return [ApiClientType.from_domain(c) for c in clients]
