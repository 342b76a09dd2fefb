"""What other contexts keep about a customer, as the customer record's own use cases need it.

Interactions, cases and loyalty build on customers (each acts on a customer's record), and
customers knows none of them. Yet a data export holds everything Rapport keeps about the
customer, and a merge moves everything the duplicate holds to the survivor. So those two
use cases ask each context that keeps customer data for its part through this port; the
composition root hands them the parts, in the order the export lists their sections.
"""

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from domain.ports import UnitOfWork


class CustomerPart(Protocol):
    @property
    def section(self) -> str:
        """Its key in the export document, e.g. "interactions"."""
        ...

    async def export(
        self, uow: UnitOfWork, customer_id: UUID, merged_ids: Sequence[UUID]
    ) -> object:
        """Its JSON-ready section of the customer's export: the customer's own, and that of
        the records merged into the customer (`merged_ids`) where they keep their own."""
        ...

    async def merge(
        self, uow: UnitOfWork, duplicate_id: UUID, survivor_id: UUID, actor: str
    ) -> None:
        """Moves what the duplicate holds to the survivor, in the merge's transaction."""
        ...
