"""Creating API clients, rotating their keys, revoking them (ADMIN only). A key's secret is
in the create and rotate payloads, once, and nowhere else ever after."""

from collections.abc import Callable
from typing import Any

import strawberry

from api.graphql.access.types import ApiClientType, RoleEnum
from api.graphql.context import Info
from api.graphql.errors import UserError, payload_or_user_errors
from api.graphql.payloads import payload_type
from api.graphql.relay import uuid_of
from domain.access.commands import (
    DEFAULT_OVERLAP_HOURS,
    CreateApiClient,
    RevokeApiClient,
    RotateApiKey,
)
from domain.access.model import IssuedKey
from domain.shared.access import Operation

_SECRET = ("The key the client sends (Authorization: Bearer rk_…). Shown here once: Rapport "
           "keeps only its hash, so store it now.")

ApiClientRevokePayload = payload_type(
    "ApiClientRevokePayload", "api_client", ApiClientType, "The revoked client.")


@strawberry.type(description="The new client and its first key.")
class ApiClientCreatePayload:
    api_client: ApiClientType | None
    secret: str | None = strawberry.field(description=_SECRET)
    user_errors: list[UserError]


@strawberry.type(description="The client with its new key; its older keys end after the "
                             "overlap.")
class ApiKeyRotatePayload:
    api_client: ApiClientType | None
    secret: str | None = strawberry.field(description=_SECRET)
    user_errors: list[UserError]


@strawberry.input
class ApiClientCreateInput:
    name: str = strawberry.field(description="Unique among active clients, e.g. web-shop.")
    role: RoleEnum  # type: ignore[valid-type]
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


def _issued(payload: Callable[..., Any]) -> Callable[..., Any]:
    """A payload maker for payload_or_user_errors: the client and the secret of `issued`."""

    def make(issued: IssuedKey | None, user_errors: list[UserError]) -> Any:
        if issued is None:
            return payload(api_client=None, secret=None, user_errors=user_errors)
        return payload(api_client=ApiClientType.from_domain(issued.client), secret=issued.key,
                       user_errors=user_errors)

    return make


@strawberry.type
class AccessMutations:
    @strawberry.mutation(description="A new API client and its first key (ADMIN only).")
    async def api_client_create(
        self, info: Info, input: ApiClientCreateInput
    ) -> ApiClientCreatePayload:
        async def attempt() -> IssuedKey:
            command = CreateApiClient(name=input.name, role=str(input.role),
                                      partner_code=input.partner_code)
            issued: IssuedKey = await info.context.use_cases.create_api_client(command)
            return issued

        return await payload_or_user_errors(_issued(ApiClientCreatePayload), "issued", attempt)

    @strawberry.mutation(description="A new key for a client; its current keys keep working "
                                     "for overlapHours more (ADMIN only).")
    async def api_key_rotate(self, info: Info, input: ApiKeyRotateInput) -> ApiKeyRotatePayload:
        async def attempt() -> IssuedKey:
            _may_manage(info)
            command = RotateApiKey(
                api_client_id=uuid_of(input.api_client_id, "ApiClient", ("api_client_id",)),
                overlap_hours=input.overlap_hours,
            )
            issued: IssuedKey = await info.context.use_cases.rotate_api_key(command)
            return issued

        return await payload_or_user_errors(_issued(ApiKeyRotatePayload), "issued", attempt)

    @strawberry.mutation(description="Every key of the client fails from now on (ADMIN only).")
    async def api_client_revoke(
        self, info: Info, input: ApiClientRevokeInput
    ) -> ApiClientRevokePayload:  # type: ignore[valid-type]
        async def attempt() -> Any:
            _may_manage(info)
            command = RevokeApiClient(
                api_client_id=uuid_of(input.api_client_id, "ApiClient", ("api_client_id",)))
            return ApiClientType.from_domain(
                await info.context.use_cases.revoke_api_client(command))

        return await payload_or_user_errors(ApiClientRevokePayload, "api_client", attempt)
