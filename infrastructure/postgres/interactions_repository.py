"""Interactions, write side: append only."""

from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.interactions.model import GeoPoint, Interaction
from infrastructure.postgres.rows import Row, model_row, read_model
from infrastructure.postgres.tables import TZ, customers, interactions


def interaction_from_row(row: Row) -> Interaction:
    """The point is two columns, both set or both null."""
    geo = GeoPoint(row["latitude"], row["longitude"]) if row["latitude"] is not None else None
    return read_model(Interaction, row, geo=geo)


def _interaction_to_row(interaction: Interaction) -> dict[str, Any]:
    geo = interaction.geo
    return model_row(interaction, omit=("geo",), latitude=geo.latitude if geo else None,
                     longitude=geo.longitude if geo else None)


# One statement: the interaction inserted, and her last-interaction time moved forward if it
# is newer. Not a profile edit: the version stays, so clerks' open forms don't go stale.
# Built once, so every interaction reuses its compiled form.
_added = insert(interactions).values({
    column.name: bindparam(f"new_{column.name}", type_=column.type)
    for column in interactions.columns
}).cte("added")
_ADD_INTERACTION = update(customers).add_cte(_added).where(
    customers.c.id == bindparam("new_customer_id")
).values(last_interaction_at=func.greatest(
    customers.c.last_interaction_at, bindparam("new_occurred_at", type_=TZ)))


class PgInteractionRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, interaction_id: UUID) -> Interaction | None:
        query = select(interactions).where(interactions.c.id == interaction_id)
        row = (await self._connection.execute(query)).mappings().first()
        return interaction_from_row(row) if row else None

    async def add(self, interaction: Interaction) -> None:
        row = _interaction_to_row(interaction)
        await self._connection.execute(
            _ADD_INTERACTION, {f"new_{name}": value for name, value in row.items()})

    async def of_customer(self, customer_id: UUID) -> list[Interaction]:
        rows = await self._connection.execute(
            select(interactions).where(interactions.c.customer_id == customer_id)
            .order_by(interactions.c.occurred_at, interactions.c.id)
        )
        return [interaction_from_row(r) for r in rows.mappings()]

    async def move_to_customer(self, from_id: UUID, to_id: UUID) -> None:
        await self._connection.execute(
            update(interactions).where(interactions.c.customer_id == from_id)
            .values(customer_id=to_id)
        )
        latest = select(func.max(interactions.c.occurred_at)).where(
            interactions.c.customer_id == to_id
        ).scalar_subquery()
        await self._connection.execute(
            update(customers).where(customers.c.id == to_id).values(last_interaction_at=latest)
        )
        await self._connection.execute(
            update(customers).where(customers.c.id == from_id).values(last_interaction_at=None)
        )
