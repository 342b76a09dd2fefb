from datetime import datetime

import strawberry

from api.graphql.relay import Node, to_global_id
from api.graphql.same_named import same_named
from domain.access.model import ApiClient, ApiKey
from domain.shared.access import Role

# GraphQL enums are the domain's classes themselves, registered under their schema names.
RoleEnum = Role
strawberry.enum(RoleEnum, name="Role", description="What a caller may do and see.")


@strawberry.type(name="ApiKey", description="One key of an API client. Its secret is never "
                                            "shown again after it was issued; only its prefix.")
class ApiKeyType(Node):
    prefix: str = strawberry.field(description="The public start of the key: rk_<prefix>_…")
    created_at: datetime
    expires_at: datetime | None = strawberry.field(
        description="When the key stops working; null: never (set when a rotation ends it).")
    revoked_at: datetime | None
    last_used_at: datetime | None = strawberry.field(
        description="The last request made with the key, to the minute.")

    @classmethod
    def from_domain(cls, key: ApiKey) -> "ApiKeyType":
        return cls(id=to_global_id("ApiKey", key.id), **same_named(cls, key))


@strawberry.type(name="ApiClient", description="A program that calls the API with a key, "
                                               "acting in one role.")
class ApiClientType(Node):
    name: str
    role: RoleEnum
    partner_code: str | None = strawberry.field(description="PARTNER clients: which partner.")
    created_at: datetime
    revoked_at: datetime | None = strawberry.field(
        description="Set once revoked: every key of the client fails from then on.")
    keys: list[ApiKeyType] = strawberry.field(description="Every key issued, oldest first.")

    @classmethod
    def from_domain(cls, client: ApiClient) -> "ApiClientType":
        return cls(id=to_global_id("ApiClient", client.id),
                   keys=[ApiKeyType.from_domain(k) for k in client.keys],
                   **same_named(cls, client))
