"""Stores and staff, write side."""

from dataclasses import asdict
from typing import Any
from uuid import UUID

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.organisation.model import Staff, Store
from infrastructure.postgres.tables import staff, stores


async def _one(connection: AsyncConnection, table: Table, column: str, value: Any) -> Any:
    query = select(table).where(table.c[column] == value)
    return (await connection.execute(query)).mappings().first()


class PgStoreRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, store_id: UUID) -> Store | None:
        row = await _one(self._connection, stores, "id", store_id)
        return Store(**row) if row else None

    async def get_by_code(self, code: str) -> Store | None:
        row = await _one(self._connection, stores, "code", code)
        return Store(**row) if row else None

    async def add(self, store: Store) -> None:
        await self._connection.execute(insert(stores).values(**asdict(store)))


class PgStaffRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, staff_id: UUID) -> Staff | None:
        row = await _one(self._connection, staff, "id", staff_id)
        return Staff(**row) if row else None

    async def get_by_email(self, email: str) -> Staff | None:
        row = await _one(self._connection, staff, "email", email)
        return Staff(**row) if row else None

    async def add(self, member: Staff) -> None:
        await self._connection.execute(insert(staff).values(**asdict(member)))
