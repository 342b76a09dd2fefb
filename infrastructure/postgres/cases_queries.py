"""Cases, read side: work queues (by owner, status, overdue) and customers' cases."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.cases.model import OPEN_STATUSES, Case, RoutingRule
from domain.cases.queries import CaseFilter
from domain.shared.clock import Clock
from domain.shared.paging import Page, PageRequest
from infrastructure.postgres.cases_repository import case_from_row, routing_rule_from_row
from infrastructure.postgres.paging import (
    Ordering,
    group_pages,
    id_column,
    pages_per_parent,
    timestamp_column,
)
from infrastructure.postgres.reach import reach_condition
from infrastructure.postgres.reading import fetch_all, rows_by_ids
from infrastructure.postgres.tables import case_routing_rules, cases

_k = cases.c
NEWEST_FIRST = Ordering(
    [timestamp_column(_k.opened_at, "opened_at"), id_column(_k.id)], descending=True
)

_BY_IDS = rows_by_ids(cases)
_RULES_BY_IDS = rows_by_ids(case_routing_rules)


class PgCaseQueries:
    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def _conditions(self, where: CaseFilter) -> list[Any]:
        conditions: list[Any] = []
        for column, value in (
            (_k.owner_id, where.owner_id),
            (_k.queue, where.queue),
            (_k.customer_id, where.customer_id),
        ):
            if value is not None:
                conditions.append(column == value)
        if where.statuses:
            conditions.append(_k.status.in_([s.value for s in where.statuses]))
        if where.overdue is not None:
            overdue = and_(
                _k.status.in_([s.value for s in OPEN_STATUSES]), _k.due_at < self._clock.now()
            )
            conditions.append(overdue if where.overdue else ~overdue)
        reach = reach_condition(where.reach, _k.customer_id, _k.store_id, _k.owner_id)
        if reach is not None:
            conditions.append(reach)
        return conditions

    async def by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Case]:
        rows = await _BY_IDS.fetch(self._engine, ids=list(ids))
        return {row["id"]: case_from_row(row) for row in rows}

    async def page(self, where: CaseFilter, page: PageRequest) -> Page[Case]:
        query = select(cases).where(*self._conditions(where))
        query = NEWEST_FIRST.apply(query, page.validated())
        return NEWEST_FIRST.page(await fetch_all(self._engine, query), page, case_from_row)

    async def for_customers(
        self, customer_ids: Sequence[UUID], where: CaseFilter, page: PageRequest
    ) -> dict[UUID, Page[Case]]:
        def cases_of(customer_id: ColumnElement[Any]) -> Select[Any]:
            return select(cases).where(
                _k.customer_id == customer_id, *self._conditions(where)
            )

        query = pages_per_parent(cases_of, customer_ids, NEWEST_FIRST, page.validated())
        return group_pages(await fetch_all(self._engine, query), customer_ids, NEWEST_FIRST,
                           page, case_from_row)

    async def routing_rules_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, RoutingRule]:
        rows = await _RULES_BY_IDS.fetch(self._engine, ids=list(ids))
        return {row["id"]: routing_rule_from_row(row) for row in rows}

    async def routing_rules(self) -> list[RoutingRule]:
        query = select(case_routing_rules).order_by(
            case_routing_rules.c.created_at, case_routing_rules.c.id
        )
        rows = await fetch_all(self._engine, query)
        return [routing_rule_from_row(row) for row in rows]
