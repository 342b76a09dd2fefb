"""The audit log, write side: INSERT only. The table refuses UPDATE, DELETE and TRUNCATE
itself (migration 0004), so not even a bug here could rewrite history."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.audit.model import AuditEntry
from infrastructure.postgres.prepared import PreparedInsert
from infrastructure.postgres.rows import Row, model_row, read_model
from infrastructure.postgres.tables import audit_log

INSERT_ENTRIES = PreparedInsert(audit_log)  # rows of entry_to_row


def entry_to_row(entry: AuditEntry) -> dict[str, Any]:
    """Without the id, which the log gives."""
    return model_row(entry, omit=("id",), detail=dict(entry.detail))


def entry_from_row(row: Row) -> AuditEntry:
    return read_model(AuditEntry, row)


async def insert_entries(connection: AsyncConnection, entries: Sequence[AuditEntry]) -> None:
    """In the caller's transaction (the unit of work writes a mutation's entry this way)."""
    if entries:
        await INSERT_ENTRIES.run(connection, [entry_to_row(e) for e in entries])


class PgAuditLog:
    """Appends in a transaction of its own: refusals, failures, and reads of personal data.
    `engine` should be in autocommit: one INSERT needs no BEGIN/COMMIT round trips."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def append(self, entries: Sequence[AuditEntry]) -> None:
        if not entries:
            return
        async with self._engine.connect() as connection:
            await insert_entries(connection, entries)
            await connection.commit()
