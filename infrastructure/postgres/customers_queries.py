"""Customers, read side: summaries, pages and batched child lists for the API."""

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import Select, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.customers.model import (
    ConsentEvent,
    ContactKind,
    ContactPoint,
    ExternalReference,
    HouseholdMember,
)
from domain.customers.queries import CustomerFilter, CustomerSortKey, CustomerSummary
from domain.shared.paging import Page, PageRequest
from infrastructure.postgres.customers_rows import (
    consent_event_from_row,
    contact_point_from_row,
    external_ref_from_row,
    household_member_from_row,
    profile_from_row,
)
from infrastructure.postgres.paging import (
    Ordering,
    id_column,
    text_column,
    timestamp_column,
)
from infrastructure.postgres.reach import reach_condition
from infrastructure.postgres.reading import PreparedRead, fetch_all, rows_by_ids
from infrastructure.postgres.rows import Row, read_model
from infrastructure.postgres.tables import (
    LAST_INTERACTION_SORT_KEY,
    consent_events,
    contact_points,
    customers,
    external_refs,
    household_members,
)

T = TypeVar("T")
_c = customers.c

SORT_COLUMNS = {
    CustomerSortKey.NAME: [text_column(_c.display_name, "display_name"), id_column(_c.id)],
    CustomerSortKey.CREATED_AT: [timestamp_column(_c.created_at, "created_at"), id_column(_c.id)],
    CustomerSortKey.LAST_INTERACTION_AT: [
        timestamp_column(LAST_INTERACTION_SORT_KEY, "last_interaction_sort"),
        id_column(_c.id),
    ],
}


def ordering_for(sort: CustomerSortKey, reverse: bool) -> Ordering:
    return Ordering(SORT_COLUMNS[sort], descending=reverse)


_BY_IDS = rows_by_ids(customers)
_CONTACT_POINTS = rows_by_ids(contact_points, "customer_id", order_by="position")
_HOUSEHOLD = rows_by_ids(household_members, "customer_id", order_by="position")
_EXTERNAL_REFS = rows_by_ids(external_refs, "customer_id", order_by="id")
_CONSENT_HISTORY = PreparedRead.of(
    select(consent_events)
    .where(consent_events.c.contact_point_id
           == any_(bindparam("ids", type_=ARRAY(PgUUID(as_uuid=True)))))
    .order_by(consent_events.c.contact_point_id, consent_events.c.recorded_at,
              consent_events.c.id)
)
_ITEMS_BY_IDS: dict[type, tuple[PreparedRead, Callable[[Any], Any]]] = {
    ContactPoint: (rows_by_ids(contact_points), contact_point_from_row),
    HouseholdMember: (rows_by_ids(household_members), household_member_from_row),
    ExternalReference: (rows_by_ids(external_refs), external_ref_from_row),
}


def summary_from_row(row: Row) -> CustomerSummary:
    return read_model(CustomerSummary, row, profile=profile_from_row(row))


def _conditions(where: CustomerFilter) -> list[Any]:
    conditions: list[Any] = [_c.merged_into_id.is_(None), _c.erased_at.is_(None)]
    if where.archived is not None:
        archived = _c.archived_at.isnot(None)
        conditions.append(archived if where.archived else ~archived)
    if where.search:
        # ILIKE on the trigram-indexed column: an index scan, not a table scan.
        conditions.append(_c.search_text.ilike(search_pattern(where.search), escape="\\"))
    if where.tags:
        conditions.append(_c.tags.contains(list(where.tags)))
    if where.interests:
        conditions.append(_c.interests.contains(list(where.interests)))
    for column, value in ((_c.home_store_id, where.home_store_id), (_c.owner_id, where.owner_id)):
        if value is not None:
            conditions.append(column == value)
    if where.created_after is not None:
        conditions.append(_c.created_at >= where.created_after)
    if where.created_before is not None:
        conditions.append(_c.created_at < where.created_before)
    reach = reach_condition(where.reach, _c.id, _c.home_store_id, _c.owner_id)
    if reach is not None:
        conditions.append(reach)
    return conditions


def search_pattern(search: str) -> str:
    """What `search_text` is matched against with ILIKE (backslash escapes)."""
    return "%" + _escape_like(search.strip().lower()) + "%"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class PgCustomerQueries:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def by_ids(self, ids: Sequence[UUID]) -> dict[UUID, CustomerSummary]:
        rows = await _BY_IDS.fetch(self._engine, ids=list(ids))
        wanted = [r["merged_into_id"] for r in rows if r["merged_into_id"] is not None]
        survivors = (
            {r["id"]: r for r in await _BY_IDS.fetch(self._engine, ids=wanted)} if wanted else {}
        )
        return {
            row["id"]: summary_from_row(survivors.get(row["merged_into_id"], row))
            for row in rows
        }

    async def by_external_ref(self, system: str, value: str) -> CustomerSummary | None:
        owner = select(external_refs.c.customer_id).where(
            external_refs.c.system == system, external_refs.c.value == value
        )
        return await self._first(select(customers).where(_c.id.in_(owner.scalar_subquery())))

    async def by_email(self, email: str) -> CustomerSummary | None:
        return await self._by_contact(ContactKind.EMAIL, email.strip().lower())

    async def by_phone(self, phone: str) -> CustomerSummary | None:
        return await self._by_contact(ContactKind.PHONE, phone)

    async def _by_contact(self, kind: ContactKind, value: str) -> CustomerSummary | None:
        """Several people may share a phone (a household); the longest-standing active
        customer answers."""
        holders = select(contact_points.c.customer_id).where(
            contact_points.c.kind == kind.value, contact_points.c.value == value
        )
        return await self._first(
            select(customers)
            .where(_c.id.in_(holders), _c.merged_into_id.is_(None))
            .order_by(_c.archived_at.isnot(None), _c.created_at, _c.id)
            .limit(1)
        )

    async def _first(self, query: Select[Any]) -> CustomerSummary | None:
        rows = await fetch_all(self._engine, query)
        return summary_from_row(rows[0]) if rows else None

    async def page(
        self, where: CustomerFilter, sort: CustomerSortKey, reverse: bool, page: PageRequest
    ) -> Page[CustomerSummary]:
        ordering = ordering_for(sort, reverse)
        query = select(customers, LAST_INTERACTION_SORT_KEY.label("last_interaction_sort"))
        query = ordering.apply(query.where(*_conditions(where)), page.validated())
        return ordering.page(await fetch_all(self._engine, query), page, summary_from_row)

    async def count(self, where: CustomerFilter) -> int:
        query = select(func.count()).select_from(customers).where(*_conditions(where))
        async with self._engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def contact_points(self, ids: Sequence[UUID]) -> dict[UUID, list[ContactPoint]]:
        return await self._children(_CONTACT_POINTS, ids, contact_point_from_row)

    async def household(self, ids: Sequence[UUID]) -> dict[UUID, list[HouseholdMember]]:
        return await self._children(_HOUSEHOLD, ids, household_member_from_row)

    async def external_refs(self, ids: Sequence[UUID]) -> dict[UUID, list[ExternalReference]]:
        return await self._children(_EXTERNAL_REFS, ids, external_ref_from_row)

    async def consent_history(self, point_ids: Sequence[UUID]) -> dict[UUID, list[ConsentEvent]]:
        grouped: dict[UUID, list[ConsentEvent]] = defaultdict(list)
        for row in await _CONSENT_HISTORY.fetch(self._engine, ids=list(point_ids)):
            grouped[row["contact_point_id"]].append(consent_event_from_row(row))
        return grouped

    async def items_by_ids(
        self, kind: type[ContactPoint] | type[HouseholdMember] | type[ExternalReference],
        ids: Sequence[UUID],
    ) -> dict[UUID, ContactPoint | HouseholdMember | ExternalReference]:
        read, present = _ITEMS_BY_IDS[kind]
        return {row["id"]: present(row) for row in await read.fetch(self._engine, ids=list(ids))}

    async def _children(
        self, read: PreparedRead, ids: Sequence[UUID], present: Callable[[Any], T]
    ) -> dict[UUID, list[T]]:
        grouped: dict[UUID, list[T]] = defaultdict(list)
        for row in await read.fetch(self._engine, ids=list(ids)):
            grouped[row["customer_id"]].append(present(row))
        return grouped
