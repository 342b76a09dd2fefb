"""Customers, write side: load and store the aggregate with its child lists."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Table,
    Text,
    any_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.customers.model import ConsentEvent, Customer, CustomerHeader
from infrastructure.postgres.customers_rows import (
    consent_event_from_row,
    consent_event_to_row,
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
from infrastructure.postgres.prepared import PreparedQuery
from infrastructure.postgres.rows import read_model
from infrastructure.postgres.tables import (
    cases,
    consent_events,
    contact_points,
    customers,
    external_refs,
    household_members,
    interactions,
)
from infrastructure.postgres.unique import raising_duplicates

# An erased customer's cases keep their facts; the subject, a required text, reads this.
ERASED_CASE_SUBJECT = "[erased]"

# (table, attribute of Customer, row writer, row reader)
_CHILDREN: list[tuple[Table, str, Callable[[Any], dict[str, Any]], Callable[[Any], Any]]] = [
    (contact_points, "contact_points", contact_point_to_row, contact_point_from_row),
    (household_members, "household", household_member_to_row, household_member_from_row),
    (external_refs, "external_refs", external_ref_to_row, external_ref_from_row),
]


# Other contexts' use cases read her row on every write (a purchase): sent to asyncpg
# directly, see prepared.py.
_HEADER = PreparedQuery(select(customers).where(customers.c.id == bindparam("customer_id")))
# FOR KEY SHARE: the weakest lock a merge's FOR UPDATE waits for; her edits (FOR UPDATE as
# well) wait too, as they would for the foreign keys to her row of the rows written next.
_HOLD = PreparedQuery(select(customers).where(customers.c.id == bindparam("customer_id"))
                      .with_for_update(read=True, key_share=True))


class PgCustomerRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        # Added or saved: the unit of work publishes their events, and only theirs (a change
        # never written must not be announced).
        self.seen: list[Customer] = []

    async def header(self, customer_id: UUID) -> CustomerHeader | None:
        return await self._header(_HEADER, customer_id)

    async def hold(self, customer_id: UUID) -> CustomerHeader | None:
        return await self._header(_HOLD, customer_id)

    async def _header(self, query: PreparedQuery, customer_id: UUID) -> CustomerHeader | None:
        row = await query.fetchrow(self._connection, customer_id=customer_id)
        if row is None:
            return None
        return read_model(CustomerHeader, row, profile=profile_from_row(row))

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
            erased_at=row["erased_at"],
        )
        for table, attribute, _, read in _CHILDREN:
            order = table.c.position if "position" in table.c else table.c.id
            rows = await self._connection.execute(
                select(table).where(table.c.customer_id == customer_id).order_by(order)
            )
            setattr(customer, attribute, [read(r) for r in rows.mappings()])
        return customer

    async def add(self, customer: Customer) -> None:
        await self._connection.execute(insert(customers).values(
            id=customer.id, **self._row(customer), created_at=customer.created_at,
            last_interaction_at=None,
        ))
        await self._insert_children(customer)
        await self._append_consent_log(customer)
        self.seen.append(customer)

    async def save(self, customer: Customer) -> None:
        await self._connection.execute(
            update(customers).where(customers.c.id == customer.id).values(**self._row(customer))
        )
        for table, _, _, _ in _CHILDREN:
            await self._connection.execute(delete(table).where(table.c.customer_id == customer.id))
        await self._insert_children(customer)
        await self._append_consent_log(customer)
        self.seen.append(customer)

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

    async def move_consent_history(
        self, from_id: UUID, to_id: UUID, folded_points: Mapping[UUID, UUID]
    ) -> None:
        history = consent_events.c
        point: Any = history.contact_point_id
        if folded_points:
            point = case(dict(folded_points), value=history.contact_point_id,
                         else_=history.contact_point_id)
        await self._connection.execute(
            update(consent_events).where(history.customer_id == from_id)
            .values(customer_id=to_id, contact_point_id=point)
        )

    async def consent_history(self, customer_id: UUID) -> list[ConsentEvent]:
        rows = await self._connection.execute(
            select(consent_events).where(consent_events.c.customer_id == customer_id)
            .order_by(consent_events.c.recorded_at, consent_events.c.id)
        )
        return [consent_event_from_row(r) for r in rows.mappings()]

    async def merged_duplicates(self, customer_id: UUID) -> list[UUID]:
        rows = await self._connection.execute(
            select(customers.c.id).where(customers.c.merged_into_id == customer_id)
            .order_by(customers.c.id)
        )
        return list(rows.scalars())

    async def erase_activity_text(
        self, customer_id: UUID, kept_payload_keys: frozenset[str]
    ) -> None:
        entry = func.jsonb_each(interactions.c.payload).table_valued("key", "value")
        kept = bindparam("kept", sorted(kept_payload_keys), type_=ARRAY(Text))
        payload = (
            select(func.coalesce(func.jsonb_object_agg(entry.c.key, entry.c.value),
                                 literal({}, JSONB)))
            .where(entry.c.key == any_(kept)).scalar_subquery()
        )
        await self._connection.execute(
            update(interactions).where(interactions.c.customer_id == customer_id).values(
                summary=None, place=None, latitude=None, longitude=None, payload=payload,
            )
        )
        await self._connection.execute(
            update(cases).where(cases.c.customer_id == customer_id).values(
                subject=ERASED_CASE_SUBJECT, description=None, resolution_note=None,
            )
        )

    def _row(self, customer: Customer) -> dict[str, Any]:
        return {
            **profile_to_row(customer.profile),
            "version": customer.version,
            "updated_at": customer.updated_at,
            "archived_at": customer.archived_at,
            "merged_into_id": customer.merged_into_id,
            "erased_at": customer.erased_at,
            # An erased customer is found by no search, not even for its neutral name.
            "search_text": "" if customer.is_erased
            else search_text(customer.profile, customer.contact_points),
        }

    async def _append_consent_log(self, customer: Customer) -> None:
        if customer.consent_log:
            await self._connection.execute(insert(consent_events), [
                {**consent_event_to_row(entry), "customer_id": customer.id}
                for entry in customer.consent_log
            ])
            customer.consent_log.clear()

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
            # A race with another write of the same external reference is lost here.
            with raising_duplicates():
                await self._connection.execute(insert(table), rows)
