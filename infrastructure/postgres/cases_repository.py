"""Cases and routing rules, write side."""

from dataclasses import fields
from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.cases.model import Case, CaseKind, CasePriority, CaseStatus, RoutingRule
from domain.interactions.model import Channel
from infrastructure.postgres.tables import case_routing_rules, cases

_CASE_COLUMNS = [f.name for f in fields(Case) if f.name != "events"]


def case_from_row(row: Any) -> Case:
    values = {name: row[name] for name in _CASE_COLUMNS}
    values.update(
        kind=CaseKind(row["kind"]), priority=CasePriority(row["priority"]),
        status=CaseStatus(row["status"]),
        channel=Channel(row["channel"]) if row["channel"] else None,
    )
    return Case(**values)


def _case_to_row(case: Case) -> dict[str, Any]:
    row = {name: getattr(case, name) for name in _CASE_COLUMNS}
    row.update(
        kind=case.kind.value, priority=case.priority.value, status=case.status.value,
        channel=case.channel.value if case.channel else None,
    )
    return row


def routing_rule_from_row(row: Any) -> RoutingRule:
    return RoutingRule(
        id=row["id"], created_at=row["created_at"], queue=row["queue"], owner_id=row["owner_id"],
        kind=CaseKind(row["kind"]) if row["kind"] else None, category=row["category"],
        channel=Channel(row["channel"]) if row["channel"] else None, store_id=row["store_id"],
    )


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
        await self._connection.execute(insert(case_routing_rules).values(
            id=rule.id, created_at=rule.created_at, queue=rule.queue, owner_id=rule.owner_id,
            kind=rule.kind.value if rule.kind else None, category=rule.category,
            channel=rule.channel.value if rule.channel else None, store_id=rule.store_id,
        ))

    async def delete(self, rule_id: UUID) -> bool:
        result = await self._connection.execute(
            delete(case_routing_rules).where(case_routing_rules.c.id == rule_id)
        )
        return bool(result.rowcount)
