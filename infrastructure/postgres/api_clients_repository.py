"""API clients and their keys, write side."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import RowMapping, Select, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.access.model import ApiClient, ApiKey
from domain.shared.access import Role
from infrastructure.postgres.tables import api_clients, api_keys
from infrastructure.postgres.unique import raising_duplicates


def _key_from_row(row: RowMapping) -> ApiKey:
    return ApiKey(**row)


def _client_from_row(row: RowMapping, keys: Iterable[ApiKey]) -> ApiClient:
    return ApiClient(
        id=row["id"], name=row["name"], role=Role(row["role"]), partner_code=row["partner_code"],
        created_at=row["created_at"], revoked_at=row["revoked_at"], keys=tuple(keys),
    )


def _key_row(key: ApiKey) -> dict[str, Any]:
    """What the use cases write of a key: never `last_used_at`, which the verifier owns."""
    return {"id": key.id, "client_id": key.client_id, "prefix": key.prefix,
            "secret_hash": key.secret_hash, "created_at": key.created_at,
            "expires_at": key.expires_at, "revoked_at": key.revoked_at}


class PgApiClientRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, client_id: UUID, *, for_update: bool = False) -> ApiClient | None:
        query = select(api_clients).where(api_clients.c.id == client_id)
        if for_update:
            query = query.with_for_update()
        found = await self._with_keys(query)
        return found[0] if found else None

    async def get_active_by_name(self, name: str) -> ApiClient | None:
        found = await self._with_keys(select(api_clients).where(
            api_clients.c.name == name, api_clients.c.revoked_at.is_(None)))
        return found[0] if found else None

    async def all(self) -> list[ApiClient]:
        return await self._with_keys(
            select(api_clients).order_by(api_clients.c.created_at, api_clients.c.id))

    async def add(self, client: ApiClient) -> None:
        # A race with another client of the same name is lost here: Duplicate.
        with raising_duplicates():
            await self._connection.execute(insert(api_clients).values(
                id=client.id, name=client.name, role=client.role.value,
                partner_code=client.partner_code, created_at=client.created_at,
                revoked_at=client.revoked_at,
            ))
        await self._upsert_keys(client.keys)

    async def save(self, client: ApiClient) -> None:
        await self._connection.execute(
            update(api_clients).where(api_clients.c.id == client.id)
            .values(revoked_at=client.revoked_at)
        )
        await self._upsert_keys(client.keys)

    async def _upsert_keys(self, keys: Sequence[ApiKey]) -> None:
        if not keys:
            return
        statement = pg_insert(api_keys).values([_key_row(k) for k in keys])
        await self._connection.execute(statement.on_conflict_do_update(
            index_elements=[api_keys.c.id],
            set_={"expires_at": statement.excluded.expires_at,
                  "revoked_at": statement.excluded.revoked_at},
        ))

    async def _with_keys(self, clients_query: Select[Any]) -> list[ApiClient]:
        """The clients `clients_query` selects, each with its keys, oldest key first."""
        rows = (await self._connection.execute(clients_query)).mappings().all()
        if not rows:
            return []
        keys_query = (select(api_keys)
                      .where(api_keys.c.client_id.in_([r["id"] for r in rows]))
                      .order_by(api_keys.c.created_at, api_keys.c.id))
        keys: dict[UUID, list[ApiKey]] = defaultdict(list)
        for key_row in (await self._connection.execute(keys_query)).mappings():
            keys[key_row["client_id"]].append(_key_from_row(key_row))
        return [_client_from_row(r, keys[r["id"]]) for r in rows]
