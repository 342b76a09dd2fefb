"""Creating API clients, rotating their keys, revoking them (ADMIN only). A key's secret is
in the create and rotate payloads, once, and nowhere else ever after."""

from collections.abc import Callable
from typing import Protocol, TypeVar

import strawberry

from api.graphql.access.types import ApiClientType, RoleEnum
from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.payloads import mutation_payload
from api.graphql.relay import uuid_of
from domain.access.commands import (
    DEFAULT_OVERLAP_HOURS,
    CreateApiClient,
    RevokeApiClient,
    RotateApiKey,
)
from domain.access.model import ApiClient, IssuedKey
from domain.shared.access import Operation

_SECRET = ("The key the client sends (Authorization: Bearer rk_…). Shown here once: Rapport "
           "keeps only its hash, so store it now.")


@strawberry.type(description="The revoked client.")
class ApiClientRevokePayload:
    api_client: ApiClientType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class IssuedKeyPayload:
    api_client: ApiClientType | None = None
    secret: str | None = strawberry.field(default=None, description=_SECRET)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="The new client and its first key.")
class ApiClientCreatePayload(IssuedKeyPayload):
    pass


@strawberry.type(description="The client with its new key; its older keys end after the "
                             "overlap.")
class ApiKeyRotatePayload(IssuedKeyPayload):
    pass


@strawberry.input
class ApiClientCreateInput:
    name: str = strawberry.field(description="Unique among active clients, e.g. web-shop.")
    role: RoleEnum
    partner_code: str | None = strawberry.field(
        default=None, description="Which partner: required for PARTNER, refused otherwise.")


@strawberry.input
class ApiKeyRotateInput:
    api_client_id: strawberry.ID
    overlap_hours: int = strawberry.field(
        default=DEFAULT_OVERLAP_HOURS,
        description="How long the current keys keep working beside the new one; 0 ends them "
                    "at once.")


@strawberry.input
class ApiClientRevokeInput:
    api_client_id: strawberry.ID


def _may_manage(info: Info) -> None:
    """Refuses a caller who may not manage API clients before its input is even read, so the
    answer tells it nothing, not even whether an id was well-formed. The use cases check
    again: they are the rule, for every entry point."""
    info.context.viewer.require(Operation.API_CLIENT_MANAGE)


IP = TypeVar("IP", bound=IssuedKeyPayload, covariant=True)


class IssuedKeyPayloadClass(Protocol[IP]):
    def __call__(self, *, api_client: ApiClientType | None = ..., secret: str | None = ...,
                 user_errors: list[UserError] = ...) -> IP: ...


def _issued(payload: IssuedKeyPayloadClass[IP]) -> Callable[[IssuedKey], IP]:
    """The answer of a mutation that issues a key: the client, and the secret, once."""
    def answer(issued: IssuedKey) -> IP:
        return payload(api_client=ApiClientType.from_domain(issued.client), secret=issued.key)

    return answer


@strawberry.type
class AccessMutations:
    @strawberry.mutation(description="A new API client and its first key (ADMIN only).")
    async def api_client_create(
        self, info: Info, input: ApiClientCreateInput
    ) -> ApiClientCreatePayload:
        def command() -> CreateApiClient:
            return CreateApiClient(name=input.name, role=str(input.role),
                                   partner_code=input.partner_code)

        return await mutation_payload(info, info.context.use_cases.access.create_api_client,
                                      command, _issued(ApiClientCreatePayload),
                                      ApiClientCreatePayload)

    @strawberry.mutation(description="A new key for a client; its current keys keep working "
                                     "for overlapHours more (ADMIN only).")
    async def api_key_rotate(self, info: Info, input: ApiKeyRotateInput) -> ApiKeyRotatePayload:
        def command() -> RotateApiKey:
            _may_manage(info)
            return RotateApiKey(
                api_client_id=uuid_of(input.api_client_id, "ApiClient", ("api_client_id",)),
                overlap_hours=input.overlap_hours,
            )

        return await mutation_payload(info, info.context.use_cases.access.rotate_api_key,
                                      command, _issued(ApiKeyRotatePayload), ApiKeyRotatePayload)

    @strawberry.mutation(description="Every key of the client fails from now on (ADMIN only).")
    async def api_client_revoke(
        self, info: Info, input: ApiClientRevokeInput
    ) -> ApiClientRevokePayload:
        def command() -> RevokeApiClient:
            _may_manage(info)
            return RevokeApiClient(
                api_client_id=uuid_of(input.api_client_id, "ApiClient", ("api_client_id",)))

        def answer(client: ApiClient) -> ApiClientRevokePayload:
            return ApiClientRevokePayload(api_client=ApiClientType.from_domain(client))

        return await mutation_payload(info, info.context.use_cases.access.revoke_api_client,
                                      command, answer, ApiClientRevokePayload)
