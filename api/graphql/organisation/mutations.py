"""Stores and staff: the minimum for owners and locations (authentication comes later)."""

from typing import Any

import strawberry

from api.graphql.context import Info
from api.graphql.errors import payload_or_user_errors
from api.graphql.organisation.types import StaffType, StoreType
from api.graphql.payloads import payload_type
from api.graphql.relay import optional_uuid_of
from domain.organisation.commands import CreateStaff, CreateStore

StoreCreatePayload = payload_type("StoreCreatePayload", "store", StoreType, "The new store.")
StaffCreatePayload = payload_type("StaffCreatePayload", "staff", StaffType, "The new staff.")


@strawberry.input
class StoreCreateInput:
    code: str = strawberry.field(description="Short unique code, e.g. hz-westlake.")
    name: str
    city: str | None = None


@strawberry.input
class StaffCreateInput:
    name: str
    email: str
    store_id: strawberry.ID | None = None


@strawberry.type
class OrganisationMutations:
    @strawberry.mutation
    async def store_create(self, info: Info, input: StoreCreateInput) -> StoreCreatePayload:  # type: ignore[valid-type]
        async def attempt() -> Any:
            command = CreateStore(code=input.code, name=input.name, city=input.city)
            return StoreType.from_domain(await info.context.use_cases.create_store(command))

        return await payload_or_user_errors(StoreCreatePayload, "store", attempt)

    @strawberry.mutation
    async def staff_create(self, info: Info, input: StaffCreateInput) -> StaffCreatePayload:  # type: ignore[valid-type]
        async def attempt() -> Any:
            command = CreateStaff(
                name=input.name, email=input.email,
                store_id=optional_uuid_of(input.store_id, "Store", ("store_id",)),
            )
            return StaffType.from_domain(await info.context.use_cases.create_staff(command))

        return await payload_or_user_errors(StaffCreatePayload, "staff", attempt)
