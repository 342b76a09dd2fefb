from datetime import datetime
from uuid import UUID

import strawberry

from api.graphql.context import Info
from api.graphql.relay import Node, to_global_id
from api.graphql.same_named import same_named
from domain.organisation.model import Staff, Store


@strawberry.type(name="Store", description="A shop of the brand.")
class StoreType(Node):
    code: str
    name: str
    city: str | None
    created_at: datetime

    @classmethod
    def from_domain(cls, store: Store) -> "StoreType":
        return cls(id=to_global_id("Store", store.id), **same_named(cls, store))


@strawberry.type(name="Staff", description="A member of staff: owns customers and cases.")
class StaffType(Node):
    store_uuid: strawberry.Private[UUID | None]
    name: str
    email: str
    created_at: datetime

    @strawberry.field
    async def store(self, info: Info) -> StoreType | None:
        return await load_store(info, self.store_uuid)

    @classmethod
    def from_domain(cls, staff: Staff) -> "StaffType":
        return cls(id=to_global_id("Staff", staff.id), store_uuid=staff.store_id,
                   **same_named(cls, staff))


async def load_store(info: Info, store_id: UUID | None) -> StoreType | None:
    if store_id is None:
        return None
    store = await info.context.loaders.store.load(store_id)
    return StoreType.from_domain(store) if store else None


async def load_staff(info: Info, staff_id: UUID | None) -> StaffType | None:
    if staff_id is None:
        return None
    staff = await info.context.loaders.staff.load(staff_id)
    return StaffType.from_domain(staff) if staff else None
