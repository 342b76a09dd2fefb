"""The customer record's merge and export reach what other contexts keep about the customer
only through the parts they are given (domain/customers/parts.py)."""

from collections.abc import Sequence
from uuid import UUID

from domain.customers.commands import ExportCustomerData, MergeCustomers
from domain.customers.privacy import export_customer_data
from domain.customers.services import merge_customers
from domain.ports import UnitOfWork
from tests.builders import ADMIN, a_customer, refused
from tests.fakes import FakeUnitOfWork


class NotesPart:
    """Another context's part, as a test double: it answers with what it was asked."""

    section = "notes"

    def __init__(self) -> None:
        self.merged: list[tuple[UUID, UUID, str]] = []

    async def export(
        self, uow: UnitOfWork, customer_id: UUID, merged_ids: Sequence[UUID]
    ) -> object:
        return {"of": str(customer_id), "merged": [str(i) for i in merged_ids]}

    async def merge(
        self, uow: UnitOfWork, duplicate_id: UUID, survivor_id: UUID, actor: str
    ) -> None:
        self.merged.append((duplicate_id, survivor_id, actor))


async def test_a_merge_asks_each_part_to_move_the_duplicates_share(
    uow: FakeUnitOfWork,
) -> None:
    survivor, duplicate = await a_customer(uow), await a_customer(uow)
    notes = NotesPart()
    await merge_customers(MergeCustomers(survivor.id, duplicate.id), uow=uow, viewer=ADMIN,
                          parts=(notes,))
    assert notes.merged == [(duplicate.id, survivor.id, ADMIN.subject)]


async def test_an_export_holds_each_parts_section_after_the_record(
    uow: FakeUnitOfWork,
) -> None:
    survivor, duplicate = await a_customer(uow), await a_customer(uow)
    await merge_customers(MergeCustomers(survivor.id, duplicate.id), uow=uow, viewer=ADMIN,
                          parts=())
    document = await export_customer_data(ExportCustomerData(duplicate.id), uow=uow,
                                          viewer=ADMIN, parts=(NotesPart(),))
    assert document["notes"] == {"of": str(survivor.id), "merged": [str(duplicate.id)]}
    assert list(document)[-2:] == ["mergedRecords", "notes"]


async def test_a_refused_merge_asks_no_part(uow: FakeUnitOfWork) -> None:
    customer = await a_customer(uow)
    notes = NotesPart()
    command = MergeCustomers(customer.id, customer.id)
    await refused(uow, merge_customers(command, uow=uow, viewer=ADMIN, parts=(notes,)))
    assert notes.merged == []
