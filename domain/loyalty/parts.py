"""Loyalty as a part of the customer record (domain/customers/parts.py): its section of the
data export (export.py), and the fold of the duplicate's points and tier into the survivor's
when two records merge (merging.py)."""

from collections.abc import Sequence
from uuid import UUID

from domain.loyalty.export import loyalty_section
from domain.loyalty.merging import fold_loyalty
from domain.ports import UnitOfWork
from domain.shared.documents import Document


class LoyaltyPart:
    section = "loyalty"

    async def export(
        self, uow: UnitOfWork, customer_id: UUID, merged_ids: Sequence[UUID]
    ) -> Document:
        """The merged records' ledgers stay theirs, so they are listed too."""
        return await loyalty_section(uow, [customer_id, *merged_ids])

    async def merge(
        self, uow: UnitOfWork, duplicate_id: UUID, survivor_id: UUID, actor: str
    ) -> None:
        await fold_loyalty(uow, duplicate_id, survivor_id, actor)
