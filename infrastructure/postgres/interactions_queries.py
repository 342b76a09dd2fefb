"""Interactions, read side: timelines, newest first, batched across customers."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.interactions.model import Interaction
from domain.interactions.queries import TimelineFilter
from domain.shared.paging import Page, PageRequest
from infrastructure.postgres.interactions_repository import interaction_from_row
from infrastructure.postgres.paging import (
    Ordering,
    group_pages,
    id_column,
    pages_per_parent,
    timestamp_column,
)
from infrastructure.postgres.reading import fetch_all, rows_by_ids
from infrastructure.postgres.tables import interactions

_i = interactions.c
NEWEST_FIRST = Ordering(
    [timestamp_column(_i.occurred_at, "occurred_at"), id_column(_i.id)], descending=True
)

_BY_IDS = rows_by_ids(interactions)


def _conditions(where: TimelineFilter) -> list[Any]:
    conditions: list[Any] = []
    if where.channels:
        conditions.append(_i.channel.in_([c.value for c in where.channels]))
    if where.kinds:
        conditions.append(_i.kind.in_(list(where.kinds)))
    if where.occurred_after is not None:
        conditions.append(_i.occurred_at >= where.occurred_after)
    if where.occurred_before is not None:
        conditions.append(_i.occurred_at < where.occurred_before)
    return conditions


class PgInteractionQueries:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Interaction]:
        rows = await _BY_IDS.fetch(self._engine, ids=list(ids))
        return {row["id"]: interaction_from_row(row) for row in rows}

    async def timelines(
        self, customer_ids: Sequence[UUID], where: TimelineFilter, page: PageRequest
    ) -> dict[UUID, Page[Interaction]]:
        def timeline_of(customer_id: ColumnElement[Any]) -> Select[Any]:
            return select(interactions).where(
                _i.customer_id == customer_id, *_conditions(where)
            )

        query = pages_per_parent(timeline_of, customer_ids, NEWEST_FIRST, page.validated())
        return group_pages(await fetch_all(self._engine, query), customer_ids, NEWEST_FIRST,
                           page, interaction_from_row)
