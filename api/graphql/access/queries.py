import strawberry

from api.graphql.access.types import ApiClientType
from api.graphql.context import Info
from api.graphql.permissions import refused_read
from domain.access.commands import ListApiClients
from domain.shared.errors import DomainError


@strawberry.type
class AccessQueries:
    @strawberry.field(description="Every API client with its keys, oldest first (ADMIN only).")
    async def api_clients(self, info: Info) -> list[ApiClientType]:
        try:
            clients = await info.context.use_cases.access.list_api_clients(ListApiClients())
        except DomainError as error:
            raise refused_read(error) from None
        return [ApiClientType.from_domain(c) for c in clients]
