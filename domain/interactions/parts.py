"""The customer's timeline as a part of the customer record (domain/customers/parts.py): its
section of the data export, and its move to the survivor of a merge."""

from collections.abc import Sequence
from uuid import UUID

from domain.interactions.model import Interaction
from domain.organisation.names import Names
from domain.ports import UnitOfWork
from domain.shared.documents import Document, id_text, time_text


class InteractionsPart:
    section = "interactions"

    async def export(
        self, uow: UnitOfWork, customer_id: UUID, merged_ids: Sequence[UUID]
    ) -> list[Document]:
        """The merged records' interactions moved to the customer with the merge."""
        interactions = await uow.interactions.of_customer(customer_id)
        names = await Names.read(uow, (i.staff_id for i in interactions),
                                 (i.store_id for i in interactions))
        return [_interaction(i, names) for i in interactions]

    async def merge(
        self, uow: UnitOfWork, duplicate_id: UUID, survivor_id: UUID, actor: str
    ) -> None:
        await uow.interactions.move_to_customer(duplicate_id, survivor_id)


def _interaction(interaction: Interaction, names: Names) -> Document:
    geo = interaction.geo
    return {
        "id": str(interaction.id),
        "channel": interaction.channel.value,
        "direction": interaction.direction.value,
        "kind": interaction.kind,
        "occurredAt": time_text(interaction.occurred_at),
        "recordedAt": time_text(interaction.recorded_at),
        "summary": interaction.summary,
        "payload": dict(interaction.payload),
        "store": names.store(interaction.store_id),
        "place": interaction.place,
        "location": {"latitude": geo.latitude, "longitude": geo.longitude} if geo else None,
        "staff": names.staff(interaction.staff_id),
        "caseId": id_text(interaction.case_id),
    }
