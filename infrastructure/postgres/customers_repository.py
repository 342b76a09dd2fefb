"""Customers, write side: load and store the aggregate with its child lists."""

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.customers.model import Customer
from domain.shared.errors import DomainError, ErrorCode
from infrastructure.postgres.customers_rows import (
    contact_point_from_row,
    contact_point_to_row,
    external_ref_from_row,
    external_ref_to_row,
    household_member_from_row,
    household_member_to_row,
    profile_from_row,
    profile_to_row,
    search_text,
)
from infrastructure.postgres.tables import (
    contact_points,
    customers,
    external_refs,
    household_members,
)

# (table, attribute of Customer, row writer, row reader)
_CHILDREN: list[tuple[Table, str, Callable[[Any], dict[str, Any]], Callable[[Any], Any]]] = [
    (contact_points, "contact_points", contact_point_to_row, contact_point_from_row),
    (household_members, "household", household_member_to_row, household_member_from_row),
    (external_refs, "external_refs", external_ref_to_row, external_ref_from_row),
]


class PgCustomerRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self.seen: list[Customer] = []

    async def get(self, customer_id: UUID, *, for_update: bool = False) -> Customer | None:
        query = select(customers).where(customers.c.id == customer_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._connection.execute(query)).mappings().first()
        if row is None:
            return None
        customer = Customer(
            id=row["id"], profile=profile_from_row(row), created_at=row["created_at"],
            updated_at=row["updated_at"], version=row["version"],
            archived_at=row["archived_at"], merged_into_id=row["merged_into_id"],
        )
        for table, attribute, _, read in _CHILDREN:
            order = table.c.position if "position" in table.c else table.c.id
            rows = await self._connection.execute(
                select(table).where(table.c.customer_id == customer_id).order_by(order)
            )
            setattr(customer, attribute, [read(r) for r in rows.mappings()])
        self.seen.append(customer)
        return customer

    async def add(self, customer: Customer) -> None:
        await self._connection.execute(insert(customers).values(
            id=customer.id, **self._row(customer), created_at=customer.created_at,
            last_interaction_at=None,
        ))
        await self._insert_children(customer)
        self.seen.append(customer)

    async def save(self, customer: Customer) -> None:
        await self._connection.execute(
            update(customers).where(customers.c.id == customer.id).values(**self._row(customer))
        )
        for table, _, _, _ in _CHILDREN:
            await self._connection.execute(delete(table).where(table.c.customer_id == customer.id))
        await self._insert_children(customer)

    async def find_by_external_ref(self, system: str, value: str) -> UUID | None:
        query = select(external_refs.c.customer_id).where(
            external_refs.c.system == system, external_refs.c.value == value
        )
        found: UUID | None = (await self._connection.execute(query)).scalar()
        return found

    async def redirect_merged(self, from_id: UUID, to_id: UUID) -> None:
        await self._connection.execute(
            update(customers).where(customers.c.merged_into_id == from_id)
            .values(merged_into_id=to_id)
        )

    def _row(self, customer: Customer) -> dict[str, Any]:
        return {
            **profile_to_row(customer.profile),
            "version": customer.version,
            "updated_at": customer.updated_at,
            "archived_at": customer.archived_at,
            "merged_into_id": customer.merged_into_id,
            "search_text": search_text(customer.profile, customer.contact_points),
        }

    async def _insert_children(self, customer: Customer) -> None:
        for table, attribute, write, _ in _CHILDREN:
            items: Sequence[Any] = getattr(customer, attribute)
            if not items:
                continue
            rows = [
                {**write(item), "customer_id": customer.id}
                | ({"position": index} if "position" in table.c else {})
                for index, item in enumerate(items)
            ]
            try:
                await self._connection.execute(insert(table), rows)
            except IntegrityError as error:
                if table is external_refs:
                    # Lost a race with another write of the same reference; the unit of work
                    # rolls back, so the aborted transaction goes nowhere.
                    raise DomainError.single(
                        ("external_refs",), ErrorCode.DUPLICATE,
                        "an external reference already belongs to another customer",
                    ) from error
                raise
