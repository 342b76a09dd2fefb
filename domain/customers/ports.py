from collections.abc import Mapping
from typing import Protocol
from uuid import UUID

from domain.customers.model import ConsentEvent, Customer, CustomerHeader


class CustomerRepository(Protocol):
    async def get(self, customer_id: UUID, *, for_update: bool = False) -> Customer | None:
        """The record as stored, merged duplicates included (see `merged_into_id`)."""
        ...

    async def header(self, customer_id: UUID) -> CustomerHeader | None:
        """Her own row only (one statement): for use cases that don't change her."""
        ...

    async def hold(self, customer_id: UUID) -> CustomerHeader | None:
        """As `header`, her row held until the transaction ends against a merge (which
        locks it for update) and nothing else: other writes of hers go on. Waits for a
        merge of hers under way, and reads her row as it left it."""
        ...

    async def add(self, customer: Customer) -> None: ...

    async def save(self, customer: Customer) -> None:
        """Writes a loaded customer back; its version was already bumped by the change.
        `add` and `save` also append the customer's pending `consent_log` to its history."""
        ...

    async def find_by_external_ref(self, system: str, value: str) -> UUID | None: ...

    async def redirect_merged(self, from_id: UUID, to_id: UUID) -> None:
        """Points every customer merged into `from_id` at `to_id`, so a lookup is one hop."""
        ...

    async def move_consent_history(
        self, from_id: UUID, to_id: UUID, folded_points: Mapping[UUID, UUID]
    ) -> None:
        """A merge: the history of `from_id` now belongs to `to_id`; entries of a contact
        point in `folded_points` (dropped as the same address) move to the point it maps to."""
        ...

    # What Rapport holds about one customer, for an export or an erasure.

    async def consent_history(self, customer_id: UUID) -> list[ConsentEvent]:
        """Every entry, of current and former contact points, oldest first."""
        ...

    async def merged_duplicates(self, customer_id: UUID) -> list[UUID]:
        """The records merged into this customer."""
        ...

    async def erase_activity_text(
        self, customer_id: UUID, kept_payload_keys: frozenset[str]
    ) -> None:
        """Clears the free text of the customer's interactions (summary, place, location, and
        every payload key but `kept_payload_keys`) and cases (subject, description,
        resolution note); channel, kind, times, store, staff, status and amounts stay."""
        ...
