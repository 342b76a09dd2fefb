"""Stores and staff: the minimum for owners and locations (authentication comes later)."""

import strawberry

from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.organisation.types import StaffType, StoreType
from api.graphql.payloads import mutation_payload
from api.graphql.relay import optional_uuid_of
from domain.organisation.commands import CreateStaff, CreateStore
from domain.organisation.model import Staff, Store


@strawberry.type(description="The new store.")
class StoreCreatePayload:
    store: StoreType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="The new staff.")
class StaffCreatePayload:
    staff: StaffType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


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
    async def store_create(self, info: Info, input: StoreCreateInput) -> StoreCreatePayload:
        def command() -> CreateStore:
            return CreateStore(code=input.code, name=input.name, city=input.city)

        def answer(store: Store) -> StoreCreatePayload:
            return StoreCreatePayload(store=StoreType.from_domain(store))

        return await mutation_payload(info, info.context.use_cases.organisation.create_store,
                                      command, answer, StoreCreatePayload)

    @strawberry.mutation
    async def staff_create(self, info: Info, input: StaffCreateInput) -> StaffCreatePayload:
        def command() -> CreateStaff:
            return CreateStaff(name=input.name, email=input.email,
                               store_id=optional_uuid_of(input.store_id, "Store", ("store_id",)))

        def answer(staff: Staff) -> StaffCreatePayload:
            return StaffCreatePayload(staff=StaffType.from_domain(staff))

        return await mutation_payload(info, info.context.use_cases.organisation.create_staff,
                                      command, answer, StaffCreatePayload)
