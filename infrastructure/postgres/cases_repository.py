"""Cases and routing rules, write side."""

from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.cases.model import Case, RoutingRule
from infrastructure.postgres.rows import Row, model_row, read_model
from infrastructure.postgres.tables import case_routing_rules, cases


def case_from_row(row: Row) -> Case:
    return read_model(Case, row, events=[])


def _case_to_row(case: Case) -> dict[str, Any]:
    return model_row(case, omit=("events",))


def routing_rule_from_row(row: Row) -> RoutingRule:
    return read_model(RoutingRule, row)


class PgCaseRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self.seen: list[Case] = []  # added or saved: whose events the unit of work publishes

    async def get(self, case_id: UUID, *, for_update: bool = False) -> Case | None:
        query = select(cases).where(cases.c.id == case_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._connection.execute(query)).mappings().first()
        if row is None:
            return None
        return case_from_row(row)

    async def add(self, case: Case) -> None:
        await self._connection.execute(insert(cases).values(**_case_to_row(case)))
        self.seen.append(case)

    async def save(self, case: Case) -> None:
        await self._connection.execute(
            update(cases).where(cases.c.id == case.id).values(**_case_to_row(case))
        )
        self.seen.append(case)

    async def move_to_customer(self, from_id: UUID, to_id: UUID) -> None:
        await self._connection.execute(
            update(cases).where(cases.c.customer_id == from_id).values(customer_id=to_id)
        )

    async def of_customer(self, customer_id: UUID) -> list[Case]:
        """Read for a document, not to change: not `seen`, so no events are collected."""
        rows = await self._connection.execute(
            select(cases).where(cases.c.customer_id == customer_id)
            .order_by(cases.c.opened_at, cases.c.id)
        )
        return [case_from_row(r) for r in rows.mappings()]


class PgRoutingRuleRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def all(self) -> list[RoutingRule]:
        rows = await self._connection.execute(
            select(case_routing_rules).order_by(case_routing_rules.c.created_at)
        )
        return [routing_rule_from_row(r) for r in rows.mappings()]

    async def add(self, rule: RoutingRule) -> None:
        await self._connection.execute(insert(case_routing_rules).values(model_row(rule)))

    async def delete(self, rule_id: UUID) -> bool:
        result = await self._connection.execute(
            delete(case_routing_rules).where(case_routing_rules.c.id == rule_id)
        )
        return bool(result.rowcount)
