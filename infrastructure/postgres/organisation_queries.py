"""Stores and staff, read side."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.organisation.model import Staff, Store
from domain.shared.validation import normalise_email
from infrastructure.postgres.reading import fetch_all, rows_by_ids
from infrastructure.postgres.tables import staff, stores

_STAFF_BY_IDS = rows_by_ids(staff)
_STORES_BY_IDS = rows_by_ids(stores)


class PgOrganisationQueries:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def staff_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Staff]:
        rows = await _STAFF_BY_IDS.fetch(self._engine, ids=list(ids))
        return {row["id"]: Staff(**row) for row in rows}

    async def stores_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Store]:
        rows = await _STORES_BY_IDS.fetch(self._engine, ids=list(ids))
        return {row["id"]: Store(**row) for row in rows}

    async def staff_by_email(self, email: str) -> Staff | None:
        query = select(staff).where(staff.c.email == (normalise_email(email) or ""))
        rows = await fetch_all(self._engine, query)
        return Staff(**rows[0]) if rows else None

    async def all_staff(self) -> list[Staff]:
        query = select(staff).order_by(staff.c.name, staff.c.id)
        return [Staff(**row) for row in await fetch_all(self._engine, query)]

    async def all_stores(self) -> list[Store]:
        return [
            Store(**row)
            for row in await fetch_all(self._engine, select(stores).order_by(stores.c.code))
        ]
