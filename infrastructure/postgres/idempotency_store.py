"""Idempotency keys in Postgres.

`claim` inserts the key with ON CONFLICT DO NOTHING: when another transaction holds the same
key uncommitted, Postgres makes this insert wait for it, so a concurrent retry sees the first
call's committed result instead of racing it.
"""

from uuid import UUID

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.shared.idempotency import Claim
from infrastructure.postgres.prepared import PreparedQuery
from infrastructure.postgres.tables import idempotency_keys

_keys = idempotency_keys.c
# Every idempotent write claims a key first: sent to asyncpg directly (prepared.py).
_CLAIM = PreparedQuery(
    insert(idempotency_keys).values(
        scope=bindparam("claimed_scope"), key=bindparam("claimed_key"),
        fingerprint=bindparam("claimed_fingerprint"),
        result_id=bindparam("claimed_result_id", type_=PgUUID(as_uuid=True)))
    .on_conflict_do_nothing().returning(_keys.key))
_EARLIER_CLAIM = PreparedQuery(select(_keys.fingerprint, _keys.result_id).where(
    _keys.scope == bindparam("scope"), _keys.key == bindparam("key")))


class PgIdempotencyStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def claim(
        self, scope: str, key: str, fingerprint: str, result_id: UUID | None = None
    ) -> Claim | None:
        inserted = await _CLAIM.fetchrow(
            self._connection, claimed_scope=scope, claimed_key=key,
            claimed_fingerprint=fingerprint, claimed_result_id=result_id)
        if inserted is not None:
            return None
        row = await _EARLIER_CLAIM.fetchrow(self._connection, scope=scope, key=key)
        assert row is not None, "a conflicting key is committed before the insert returns"
        return Claim(fingerprint=row["fingerprint"], result_id=row["result_id"])

    async def complete(self, scope: str, key: str, result_id: UUID) -> None:
        await self._connection.execute(
            update(idempotency_keys).where(_keys.scope == scope, _keys.key == key)
            .values(result_id=result_id)
        )
