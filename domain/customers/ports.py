from typing import Protocol
from uuid import UUID

from domain.customers.model import Customer


class CustomerRepository(Protocol):
    async def get(self, customer_id: UUID, *, for_update: bool = False) -> Customer | None:
        """The record as stored, merged duplicates included (see `merged_into_id`)."""
        ...

    async def add(self, customer: Customer) -> None: ...

    async def save(self, customer: Customer) -> None:
        """Writes a loaded customer back; its version was already bumped by the change."""
        ...

    async def find_by_external_ref(self, system: str, value: str) -> UUID | None: ...

    async def redirect_merged(self, from_id: UUID, to_id: UUID) -> None:
        """Points every customer merged into `from_id` at `to_id`, so a lookup is one hop."""
        ...
