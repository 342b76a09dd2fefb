"""Staff and stores as a document names them: read once each, and a record that is gone
still named by its id."""

from collections.abc import Iterable
from uuid import UUID

from domain.organisation.model import Staff, Store
from domain.ports import UnitOfWork
from domain.shared.documents import Document


class Names:
    def __init__(self, staff: dict[UUID, Staff], stores: dict[UUID, Store]) -> None:
        self._staff, self._stores = staff, stores

    @classmethod
    async def read(
        cls, uow: UnitOfWork, staff_ids: Iterable[UUID | None],
        store_ids: Iterable[UUID | None],
    ) -> "Names":
        staff: dict[UUID, Staff] = {}
        for staff_id in set(filter(None, staff_ids)):
            member = await uow.staff.get(staff_id)
            if member is not None:
                staff[staff_id] = member
        stores: dict[UUID, Store] = {}
        for store_id in set(filter(None, store_ids)):
            store = await uow.stores.get(store_id)
            if store is not None:
                stores[store_id] = store
        return cls(staff, stores)

    def staff(self, staff_id: UUID | None) -> Document | None:
        if staff_id is None:
            return None
        member = self._staff.get(staff_id)
        if member is None:
            return {"id": str(staff_id), "name": None}
        return {"id": str(member.id), "name": member.name}

    def store(self, store_id: UUID | None) -> Document | None:
        if store_id is None:
            return None
        store = self._stores.get(store_id)
        if store is None:
            return {"id": str(store_id), "code": None, "name": None}
        return {"id": str(store.id), "code": store.code, "name": store.name}
