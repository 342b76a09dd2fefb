"""Loyalty, read side: members' standings, ledgers, tier histories and purchases, batched
across customers (one statement per nested list per page), and the ledger check."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.loyalty.model import (
    LedgerEntry,
    Membership,
    Programme,
    Purchase,
    QualifyingTotals,
    TierChange,
)
from domain.loyalty.queries import LedgerMismatch
from domain.shared.paging import Page, PageRequest
from infrastructure.postgres.loyalty_repository import occurred_within, qualifying_sums
from infrastructure.postgres.loyalty_rows import (
    any_of,
    entry_from_row,
    is_default_programme,
    load_programmes,
    load_purchases,
    membership_from_row,
    purchases_with_children,
    tier_change_from_row,
)
from infrastructure.postgres.paging import (
    Ordering,
    group_pages,
    id_column,
    pages_per_parent,
    timestamp_column,
)
from infrastructure.postgres.reading import fetch_all
from infrastructure.postgres.tables import (
    loyalty_ledger,
    loyalty_memberships,
    loyalty_point_lots,
    loyalty_programmes,
    loyalty_tier_changes,
    purchases,
)

_ledger, _lots, _m, _p = (loyalty_ledger.c, loyalty_point_lots.c, loyalty_memberships.c,
                          purchases.c)
LEDGER_NEWEST_FIRST = Ordering(
    [timestamp_column(_ledger.recorded_at, "recorded_at"), id_column(_ledger.id)],
    descending=True)
PURCHASES_NEWEST_FIRST = Ordering(
    [timestamp_column(_p.occurred_at, "occurred_at"), id_column(_p.id)], descending=True)


class PgLoyaltyQueries:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # --- programmes --------------------------------------------------------------------------

    async def programme(self, code: str | None) -> Programme | None:
        named = is_default_programme() if code is None else loyalty_programmes.c.code == code
        async with self._engine.connect() as connection:
            found = await load_programmes(connection, named)
        return found[0] if found else None

    async def programmes_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Programme]:
        if not ids:
            return {}
        async with self._engine.connect() as connection:
            found = await load_programmes(connection, loyalty_programmes.c.id == any_of(ids))
        return {programme.id: programme for programme in found}

    # --- members -------------------------------------------------------------------------------

    async def memberships(
        self, programme_id: UUID, customer_ids: Sequence[UUID]
    ) -> dict[UUID, Membership]:
        rows = await self._all(select(loyalty_memberships).where(
            _m.programme_id == programme_id, _m.customer_id == any_of(customer_ids)))
        return {row["customer_id"]: membership_from_row(row) for row in rows}

    async def qualifying_totals(
        self, programme_id: UUID, customer_ids: Sequence[UUID], since: datetime,
        until: datetime | None,
    ) -> dict[UUID, QualifyingTotals]:
        rows = await self._all(
            select(_p.customer_id, *qualifying_sums())
            .where(_p.programme_id == programme_id, _p.customer_id == any_of(customer_ids),
                   *occurred_within(since, until))
            .group_by(_p.customer_id))
        totals = {row["customer_id"]: QualifyingTotals(row["spend"], int(row["points"]))
                  for row in rows}
        return {customer_id: totals.get(customer_id, QualifyingTotals())
                for customer_id in customer_ids}

    async def points_expiring(
        self, programme_id: UUID, customer_ids: Sequence[UUID], now: datetime, until: datetime
    ) -> dict[UUID, int]:
        rows = await self._all(
            select(_lots.customer_id, func.sum(_lots.remaining).label("points"))
            .where(_lots.programme_id == programme_id, _lots.customer_id == any_of(customer_ids),
                   _lots.remaining > 0, _lots.expires_at > now, _lots.expires_at <= until)
            .group_by(_lots.customer_id))
        expiring = {row["customer_id"]: int(row["points"]) for row in rows}
        return {customer_id: expiring.get(customer_id, 0) for customer_id in customer_ids}

    async def ledgers(
        self, programme_id: UUID, customer_ids: Sequence[UUID], page: PageRequest
    ) -> dict[UUID, Page[LedgerEntry]]:
        def ledger_of(customer_id: ColumnElement[Any]) -> Select[Any]:
            return select(loyalty_ledger).where(
                _ledger.customer_id == customer_id, _ledger.programme_id == programme_id)

        query = pages_per_parent(ledger_of, customer_ids, LEDGER_NEWEST_FIRST, page.validated())
        return group_pages(await fetch_all(self._engine, query), customer_ids,
                           LEDGER_NEWEST_FIRST, page, entry_from_row)

    async def tier_histories(
        self, programme_id: UUID, customer_ids: Sequence[UUID]
    ) -> dict[UUID, list[TierChange]]:
        changes = loyalty_tier_changes.c
        rows = await self._all(
            select(loyalty_tier_changes)
            .where(changes.programme_id == programme_id,
                   changes.customer_id == any_of(customer_ids))
            .order_by(changes.customer_id, changes.id))
        histories: dict[UUID, list[TierChange]] = {customer_id: [] for customer_id in customer_ids}
        for row in rows:
            histories[row["customer_id"]].append(tier_change_from_row(row))
        return histories

    async def entries_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, LedgerEntry]:
        rows = await self._all(select(loyalty_ledger).where(_ledger.id == any_of(ids)))
        return {row["id"]: entry_from_row(row) for row in rows}

    # --- purchases -------------------------------------------------------------------------------

    async def purchases(
        self, customer_ids: Sequence[UUID], page: PageRequest
    ) -> dict[UUID, Page[Purchase]]:
        def purchases_of(customer_id: ColumnElement[Any]) -> Select[Any]:
            return select(purchases).where(_p.customer_id == customer_id)

        query = pages_per_parent(purchases_of, customer_ids, PURCHASES_NEWEST_FIRST,
                                 page.validated())
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
            loaded = await purchases_with_children(connection, rows)
        by_id = {purchase.id: purchase for purchase in loaded}
        return group_pages(rows, customer_ids, PURCHASES_NEWEST_FIRST, page,
                           lambda row: by_id[row["id"]])

    async def purchases_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Purchase]:
        async with self._engine.connect() as connection:
            found = await load_purchases(connection, _p.id == any_of(ids))
        return {purchase.id: purchase for purchase in found}

    # --- the ledger check -----------------------------------------------------------------------

    async def ledger_mismatches(self) -> list[LedgerMismatch]:
        rows = await self._all(_MISMATCHES)
        return [LedgerMismatch(row["programme_id"], row["customer_id"], int(row["balance"]),
                               int(row["ledger_sum"]), int(row["lots_remaining"]))
                for row in rows]

    async def _all(self, query: Select[Any]) -> Sequence[Any]:
        return await fetch_all(self._engine, query)


def _mismatches() -> Select[Any]:
    """Per member: the balance snapshot against SUM(ledger), and what the open lots hold
    against GREATEST(SUM(ledger), 0). Entries of someone without a membership row count too
    (the FULL JOIN), with a snapshot of 0."""
    member = (_ledger.programme_id, _ledger.customer_id)
    sums = (select(*member, func.sum(_ledger.points).label("total"))
            .group_by(*member).subquery("sums"))
    lot_member = (_lots.programme_id, _lots.customer_id)
    held = (select(*lot_member, func.sum(_lots.remaining).label("remaining"))
            .group_by(*lot_member).subquery("held"))
    members = (select(_m.programme_id, _m.customer_id, _m.points_balance)
               .subquery("members"))
    programme_id = func.coalesce(members.c.programme_id, sums.c.programme_id)
    customer_id = func.coalesce(members.c.customer_id, sums.c.customer_id)
    balance = func.coalesce(members.c.points_balance, 0)
    ledger_sum = func.coalesce(sums.c.total, 0)
    lots_remaining = func.coalesce(held.c.remaining, 0)
    joined = members.outerjoin(
        sums, (sums.c.programme_id == members.c.programme_id)
        & (sums.c.customer_id == members.c.customer_id), full=True,
    ).outerjoin(held, (held.c.programme_id == programme_id)
                & (held.c.customer_id == customer_id))
    return (
        select(programme_id.label("programme_id"), customer_id.label("customer_id"),
               balance.label("balance"), ledger_sum.label("ledger_sum"),
               lots_remaining.label("lots_remaining"))
        .select_from(joined)
        .where((balance != ledger_sum) | (lots_remaining != func.greatest(ledger_sum, 0)))
        .order_by(programme_id, customer_id)
    )


_MISMATCHES = _mismatches()
