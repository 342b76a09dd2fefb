"""The customer's cases as a part of the customer record (domain/customers/parts.py): their
section of the data export, and their move to the survivor of a merge."""

from collections.abc import Sequence
from uuid import UUID

from domain.cases.model import Case
from domain.organisation.names import Names
from domain.ports import UnitOfWork
from domain.shared.documents import Document, time_text


class CasesPart:
    section = "cases"

    async def export(
        self, uow: UnitOfWork, customer_id: UUID, merged_ids: Sequence[UUID]
    ) -> list[Document]:
        """The merged records' cases moved to the customer with the merge."""
        cases = await uow.cases.of_customer(customer_id)
        names = await Names.read(uow, (c.owner_id for c in cases), (c.store_id for c in cases))
        return [_case(c, names) for c in cases]

    async def merge(
        self, uow: UnitOfWork, duplicate_id: UUID, survivor_id: UUID, actor: str
    ) -> None:
        await uow.cases.move_to_customer(duplicate_id, survivor_id)


def _case(case: Case, names: Names) -> Document:
    return {
        "id": str(case.id),
        "kind": case.kind.value,
        "category": case.category,
        "subject": case.subject,
        "description": case.description,
        "channel": case.channel.value if case.channel else None,
        "store": names.store(case.store_id),
        "priority": case.priority.value,
        "status": case.status.value,
        "owner": names.staff(case.owner_id),
        "queue": case.queue,
        "openedAt": time_text(case.opened_at),
        "dueAt": time_text(case.due_at),
        "updatedAt": time_text(case.updated_at),
        "resolvedAt": time_text(case.resolved_at),
        "resolutionNote": case.resolution_note,
        "followUpAt": time_text(case.follow_up_at),
        "closedAt": time_text(case.closed_at),
    }
