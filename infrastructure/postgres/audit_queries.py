"""The audit log, read side: newest first, filtered by who, what, which record and when."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.audit.model import AuditEntry
from domain.audit.queries import AuditFilter
from domain.shared.paging import Page, PageRequest
from infrastructure.postgres.audit_log import entry_from_row
from infrastructure.postgres.paging import Ordering, SortColumn, timestamp_column
from infrastructure.postgres.reading import fetch_all
from infrastructure.postgres.tables import audit_log

_a = audit_log.c
# Entries of one instant keep their order of writing: the serial id breaks ties.
NEWEST_FIRST = Ordering(
    [timestamp_column(_a.at, "at"), SortColumn(_a.id, "id", int)], descending=True
)


def _conditions(where: AuditFilter) -> list[Any]:
    conditions: list[Any] = []
    for column, value in ((_a.subject, where.subject), (_a.operation, where.operation),
                          (_a.action, where.action.value if where.action else None)):
        if value is not None:
            conditions.append(column == value)
    if where.target_id is not None:
        # `target_ids @> ARRAY[id]`: the GIN index answers it.
        conditions.append(_a.target_ids.contains([where.target_id]))
    if where.since is not None:
        conditions.append(_a.at >= where.since)
    if where.until is not None:
        conditions.append(_a.at < where.until)
    return conditions


class PgAuditQueries:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def page(self, where: AuditFilter, page: PageRequest) -> Page[AuditEntry]:
        query = NEWEST_FIRST.apply(select(audit_log).where(*_conditions(where)), page)
        return NEWEST_FIRST.page(await fetch_all(self._engine, query), page, entry_from_row)
