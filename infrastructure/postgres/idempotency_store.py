"""Idempotency keys in Postgres.

`claim` inserts the key with ON CONFLICT DO NOTHING: when another transaction holds the same
key uncommitted, Postgres makes this insert wait for it, so a concurrent retry sees the first
call's committed result instead of racing it.
"""

from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.shared.idempotency import Claim
from infrastructure.postgres.tables import idempotency_keys

_keys = idempotency_keys.c


class PgIdempotencyStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def claim(self, scope: str, key: str, fingerprint: str) -> Claim | None:
        inserted = await self._connection.execute(
            insert(idempotency_keys)
            .values(scope=scope, key=key, fingerprint=fingerprint)
            .on_conflict_do_nothing()
            .returning(_keys.key)
        )
        if inserted.first() is not None:
            return None
        row = (await self._connection.execute(
            select(_keys.fingerprint, _keys.result_id)
            .where(_keys.scope == scope, _keys.key == key)
        )).first()
        assert row is not None, "a conflicting key is committed before the insert returns"
        return Claim(fingerprint=row.fingerprint, result_id=row.result_id)

    async def complete(self, scope: str, key: str, result_id: UUID) -> None:
        await self._connection.execute(
            update(idempotency_keys).where(_keys.scope == scope, _keys.key == key)
            .values(result_id=result_id)
        )
