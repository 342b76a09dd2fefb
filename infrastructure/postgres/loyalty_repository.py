"""Loyalty, write side: programmes, and members with their purchases, ledger and lots.

Every points movement locks the member's row first (`lock_membership`, SELECT … FOR UPDATE),
so two tills redeeming for her at once take turns and neither sees a stale balance; before
it, the use case holds her customer row (`PgCustomerRepository.hold`), the lock a merge
takes first, so that a merge and a movement of her points never wait for each other.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.loyalty.model import (
    LedgerEntry,
    LoyaltyRecord,
    Membership,
    PointLot,
    Programme,
    Purchase,
    QualifyingTotals,
    Refund,
    SalesChannel,
)
from domain.shared.lru import LruCache
from infrastructure.postgres.loyalty_rows import (
    any_of,
    entry_from_row,
    entry_to_row,
    is_default_programme,
    load_programmes,
    load_purchases,
    lot_from_row,
    lot_to_row,
    membership_from_row,
    membership_to_row,
    perk_offer_rows,
    programme_to_row,
    purchase_line_to_row,
    purchase_to_row,
    reward_to_row,
    tier_change_from_row,
    tier_change_to_row,
    tier_to_row,
)
from infrastructure.postgres.prepared import PreparedInsert, PreparedQuery, PreparedUpdate
from infrastructure.postgres.tables import (
    TZ,
    loyalty_ledger,
    loyalty_memberships,
    loyalty_point_lots,
    loyalty_programmes,
    loyalty_rewards,
    loyalty_tier_changes,
    loyalty_tier_perk_offers,
    loyalty_tiers,
    purchase_lines,
    purchase_refund_lines,
    purchase_refunds,
    purchases,
)
from infrastructure.postgres.unique import raising_duplicates

_m, _lots, _p = loyalty_memberships.c, loyalty_point_lots.c, purchases.c
PROGRAMMES_CACHED = 64



def _updating_all_but(table_columns: Any, *kept: str) -> dict[str, Any]:
    """SET every column to the proposed row's (`excluded`) but the `kept` ones."""
    return {name: column for name, column in table_columns.items() if name not in kept}


class ProgrammeCache(LruCache[UUID, Programme]):
    """Programmes as last loaded, by id. Every purchase needs its programme: checking the
    stored version is one indexed read, where loading the definition is three; a saved
    programme has a new version, so a stale definition is never used. A brand runs a
    handful of programmes; the bound only keeps a stream of ids from growing it."""

    def __init__(self, capacity: int = PROGRAMMES_CACHED) -> None:
        super().__init__(capacity)


class PgProgrammeRepository:
    def __init__(self, connection: AsyncConnection, cache: ProgrammeCache | None = None) -> None:
        self._connection = connection
        # `is None`, not `or`: an empty cache is falsy, and the shared one starts empty.
        self._cache = cache if cache is not None else ProgrammeCache()

    async def get(self, programme_id: UUID) -> Programme | None:
        return await self._one(await _VERSION_BY_ID.fetchrow(self._connection, id=programme_id))

    async def get_by_code(self, code: str) -> Programme | None:
        return await self._one(await _VERSION_BY_CODE.fetchrow(self._connection, code=code))

    async def default(self) -> Programme | None:
        return await self._one(await _VERSION_OF_DEFAULT.fetchrow(self._connection))

    async def save(self, programme: Programme) -> None:
        # A race with another creation of the same code is lost here: Duplicate.
        with raising_duplicates():
            await self._upsert(loyalty_programmes, [programme_to_row(programme)], "created_at")
        kept_tiers = [tier.id for tier in programme.tiers]
        # A dropped tier's perks go with it (ON DELETE CASCADE); the kept ones' are rewritten.
        await self._connection.execute(delete(loyalty_tiers).where(
            loyalty_tiers.c.programme_id == programme.id, loyalty_tiers.c.id.not_in(kept_tiers)))
        await self._upsert(loyalty_tiers,
                           [tier_to_row(programme.id, tier) for tier in programme.tiers])
        await self._connection.execute(delete(loyalty_tier_perk_offers).where(
            loyalty_tier_perk_offers.c.tier_id.in_(kept_tiers)))
        pointing = [row for tier in programme.tiers for row in perk_offer_rows(tier)]
        if pointing:
            await self._connection.execute(insert(loyalty_tier_perk_offers), pointing)
        await self._upsert(loyalty_rewards,
                           [reward_to_row(programme.id, reward) for reward in programme.rewards])

    async def tiers_in_use(self, programme_id: UUID) -> set[UUID]:
        changes = loyalty_tier_changes.c
        held = union(*(
            select(column.label("tier_id")).where(_m.programme_id == programme_id)
            for column in (_m.tier_id, _m.retained_tier_id, _m.override_tier_id)
        ), *(
            select(column.label("tier_id")).where(changes.programme_id == programme_id)
            for column in (changes.from_tier_id, changes.to_tier_id)
        ))
        rows = await self._connection.execute(held)
        return {tier_id for tier_id in rows.scalars() if tier_id is not None}

    async def _one(self, stored: Any) -> Programme | None:
        """The programme whose (id, version) was read: from the cache when it is current."""
        if stored is None:
            return None
        cached = self._cache.get(stored["id"])
        if cached is not None and cached.version == stored["version"]:
            return cached
        found = await load_programmes(self._connection, loyalty_programmes.c.id == stored["id"])
        if not found:  # deleted in between: programmes never are, but don't cache a ghost
            return None
        self._cache.put(stored["id"], found[0])
        return found[0]

    async def _upsert(self, table: Any, rows: list[dict[str, Any]], *kept: str) -> None:
        """Inserts the rows, or overwrites the stored ones with the same id."""
        if not rows:
            return
        statement = insert(table).values(rows)
        await self._connection.execute(statement.on_conflict_do_update(
            index_elements=["id"],
            set_=_updating_all_but(statement.excluded, "id", *kept)))


class PgLoyaltyRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    # --- members ---------------------------------------------------------------------------

    async def lock_membership(self, programme_id: UUID, customer_id: UUID) -> Membership | None:
        row = await _LOCK_MEMBERSHIP.fetchrow(
            self._connection, programme_id=programme_id, customer_id=customer_id)
        return membership_from_row(row) if row else None

    async def enrol(self, membership: Membership) -> Membership:
        # A concurrent enrolment of her makes this insert wait for it, then do nothing:
        # the lock below then finds her committed row.
        inserted = (await self._connection.execute(
            insert(loyalty_memberships).values(membership_to_row(membership))
            .on_conflict_do_nothing().returning(_m.customer_id)
        )).first()
        if inserted is not None:
            return membership
        stored = await self.lock_membership(membership.programme_id, membership.customer_id)
        assert stored is not None, "the conflicting membership is committed before we return"
        return stored

    async def save_membership(self, membership: Membership) -> None:
        await _SAVE_MEMBERSHIP.run(self._connection, membership_to_row(membership))
        if membership.tier_changes:
            await self._connection.execute(insert(loyalty_tier_changes), [
                tier_change_to_row(change) for change in membership.tier_changes])

    # --- ledger and lots ---------------------------------------------------------------------

    async def append_entries(self, entries: Sequence[LedgerEntry]) -> None:
        await _APPEND_ENTRIES.run(self._connection, [entry_to_row(entry) for entry in entries])

    async def get_entry(self, entry_id: UUID) -> LedgerEntry | None:
        row = (await self._connection.execute(
            select(loyalty_ledger).where(loyalty_ledger.c.id == entry_id)
        )).mappings().first()
        return entry_from_row(row) if row else None

    async def open_lots(self, programme_id: UUID, customer_id: UUID) -> list[PointLot]:
        rows = await self._connection.execute(
            select(loyalty_point_lots)
            .where(_lots.customer_id == customer_id, _lots.programme_id == programme_id,
                   _lots.remaining > 0)
            .order_by(_lots.earned_at, _lots.entry_id)
        )
        return [lot_from_row(row) for row in rows.mappings()]

    async def save_lots(self, lots: Sequence[PointLot]) -> None:
        await _SAVE_LOTS.run(self._connection, [lot_to_row(lot) for lot in lots])

    # --- purchases ------------------------------------------------------------------------------

    async def get_purchase(self, purchase_id: UUID) -> Purchase | None:
        return await self._one_purchase(_p.id == purchase_id)

    async def find_purchase(self, channel: SalesChannel, order_id: str) -> Purchase | None:
        return await self._one_purchase(and_(_p.channel == channel.value, _p.order_id == order_id))

    async def add_purchase(self, purchase: Purchase) -> None:
        await _ADD_PURCHASE.run(self._connection, [purchase_to_row(purchase)])
        await _ADD_LINES.run(self._connection, [
            purchase_line_to_row(purchase, line) for line in purchase.lines])

    async def move_purchases(self, from_customer_id: UUID, to_customer_id: UUID) -> None:
        """The purchases, then their lines, refunds and refund lines, found by purchase (the
        keys that lead their indexes). A return being recorded holds her customer row,
        which the merge locked before coming here, so none is under way; and should one
        hold its purchase's row (`add_refund`), the move waits for it, and the statements
        after see its rows."""
        moved = list((await self._connection.execute(
            update(purchases).where(_p.customer_id == from_customer_id)
            .values(customer_id=to_customer_id).returning(_p.id))).scalars())
        if not moved:
            return
        of_moved = any_of(moved)
        refunds = select(purchase_refunds.c.id).where(purchase_refunds.c.purchase_id == of_moved)
        for table, belongs in (
            (purchase_lines, purchase_lines.c.purchase_id == of_moved),
            (purchase_refunds, purchase_refunds.c.purchase_id == of_moved),
            (purchase_refund_lines, purchase_refund_lines.c.refund_id.in_(refunds)),
        ):
            # Not written twice where the shim kept for the previous release (migration
            # 0010) moved them with their purchase already.
            await self._connection.execute(
                update(table).where(belongs, table.c.customer_id != to_customer_id)
                .values(customer_id=to_customer_id))

    async def record_of(self, customer_id: UUID) -> LoyaltyRecord:
        def rows_of(table: Any, *order: Any) -> Any:
            return self._connection.execute(
                select(table).where(table.c.customer_id == customer_id).order_by(*order))

        memberships = await rows_of(loyalty_memberships, _m.enrolled_at, _m.programme_id)
        changes = await rows_of(loyalty_tier_changes, loyalty_tier_changes.c.id)
        ledger = await rows_of(loyalty_ledger, loyalty_ledger.c.recorded_at,
                               loyalty_ledger.c.id)
        bought = await load_purchases(self._connection, _p.customer_id == customer_id)
        return LoyaltyRecord(
            memberships=tuple(membership_from_row(r) for r in memberships.mappings()),
            tier_changes=tuple(tier_change_from_row(r) for r in changes.mappings()),
            purchases=tuple(sorted(bought, key=lambda p: (p.occurred_at, p.id))),
            ledger=tuple(entry_from_row(r) for r in ledger.mappings()),
        )

    async def programmes_of(self, customer_id: UUID) -> list[UUID]:
        rows = await self._connection.execute(
            select(_m.programme_id).where(_m.customer_id == customer_id)
            .order_by(_m.programme_id))
        return list(rows.scalars())

    async def add_refund(self, refund: Refund) -> None:
        # The purchase's row first: locked, it gives the customer the refund's rows carry,
        # and a merge moving it (`move_purchases`) either waits for this transaction or has
        # moved it already.
        customer_id = (await self._connection.execute(
            update(purchases).where(_p.id == refund.purchase_id).values(
                refunded_amount=_p.refunded_amount + refund.amount,
                refunded_points=_p.refunded_points + refund.points)
            .returning(_p.customer_id))).scalar_one()
        await self._connection.execute(insert(purchase_refunds).values(
            id=refund.id, purchase_id=refund.purchase_id, refund_ref=refund.refund_ref,
            occurred_at=refund.occurred_at, recorded_at=refund.recorded_at,
            customer_id=customer_id))
        await self._connection.execute(insert(purchase_refund_lines), [
            {"refund_id": refund.id, "line_no": line.line_no, "quantity": line.quantity,
             "amount": line.amount, "points": line.points, "customer_id": customer_id}
            for line in refund.lines])
        lines = purchase_lines.c
        await self._connection.execute(
            update(purchase_lines)
            .where(lines.purchase_id == refund.purchase_id,
                   lines.line_no == bindparam("returned_line", type_=Integer))
            .values(refunded_quantity=lines.refunded_quantity
                    + bindparam("returned_quantity", type_=Integer)),
            [{"returned_line": line.line_no, "returned_quantity": line.quantity}
             for line in refund.lines],
        )

    async def qualifying_totals(
        self, programme_id: UUID, customer_id: UUID, since: datetime, until: datetime | None
    ) -> QualifyingTotals:
        query = _QUALIFYING_SINCE if until is None else _QUALIFYING_BETWEEN
        row = await query.fetchrow(self._connection, programme_id=programme_id,
                                   customer_id=customer_id, since=since, until=until)
        assert row is not None, "an aggregate has one row"
        return QualifyingTotals(spend=row["spend"], points=int(row["points"]))

    # --- batch jobs ------------------------------------------------------------------------------

    async def members_to_review(
        self, programme_id: UUID, period_end: datetime, now: datetime,
        after: UUID | None, limit: int,
    ) -> list[UUID]:
        not_reviewed = and_(
            _m.enrolled_at < period_end,
            or_(_m.reviewed_through.is_(None), _m.reviewed_through < period_end))
        grace_over = _m.downgrade_due_at <= now
        override_over = and_(_m.override_tier_id.is_not(None), _m.override_expires_at <= now)
        query = (select(_m.customer_id)
                 .where(_m.programme_id == programme_id,
                        or_(not_reviewed, grace_over, override_over))
                 .order_by(_m.customer_id).limit(limit))
        if after is not None:
            query = query.where(_m.customer_id > after)
        return list((await self._connection.execute(query)).scalars())

    async def members_with_expired_lots(
        self, programme_id: UUID, now: datetime, after: UUID | None, limit: int
    ) -> list[UUID]:
        query = (select(_lots.customer_id).distinct()
                 .where(_lots.programme_id == programme_id, _lots.remaining > 0,
                        _lots.expires_at <= now)
                 .order_by(_lots.customer_id).limit(limit))
        if after is not None:
            query = query.where(_lots.customer_id > after)
        return list((await self._connection.execute(query)).scalars())

    async def _one_purchase(self, condition: ColumnElement[bool]) -> Purchase | None:
        found = await load_purchases(self._connection, condition)
        return found[0] if found else None


# --- shared with the read side ------------------------------------------------------------


def qualifying_sums() -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """Net spend and points of purchases, what their returns gave back taken off."""
    return (
        func.coalesce(func.sum(_p.net_amount - _p.refunded_amount), 0).label("spend"),
        func.coalesce(func.sum(_p.points - _p.refunded_points), 0).label("points"),
    )


def occurred_within(since: datetime, until: datetime | None) -> list[ColumnElement[bool]]:
    """[since, until), open-ended when `until` is None."""
    conditions = [_p.occurred_at >= since]
    if until is not None:
        conditions.append(_p.occurred_at < until)
    return conditions


# --- the purchase path's fixed statements, sent to asyncpg directly (prepared.py) ---------

def _programme_version(condition: ColumnElement[bool]) -> PreparedQuery:
    _r = loyalty_programmes.c
    return PreparedQuery(select(_r.id, _r.version).where(condition))


_VERSION_BY_ID = _programme_version(loyalty_programmes.c.id == bindparam("id"))
_VERSION_BY_CODE = _programme_version(loyalty_programmes.c.code == bindparam("code"))
_VERSION_OF_DEFAULT = _programme_version(is_default_programme())
_LOCK_MEMBERSHIP = PreparedQuery(
    select(loyalty_memberships)
    .where(_m.programme_id == bindparam("programme_id"),
           _m.customer_id == bindparam("customer_id"))
    .with_for_update())
_MEMBER_KEYS = ("programme_id", "customer_id")
_SAVE_MEMBERSHIP = PreparedUpdate(loyalty_memberships, _MEMBER_KEYS, [
    column.name for column in loyalty_memberships.columns if column.name not in _MEMBER_KEYS])
_APPEND_ENTRIES = PreparedInsert(loyalty_ledger)
_SAVE_LOTS = PreparedInsert(
    loyalty_point_lots, "ON CONFLICT (entry_id) DO UPDATE SET remaining = EXCLUDED.remaining")
_ADD_PURCHASE = PreparedInsert(purchases)
_ADD_LINES = PreparedInsert(purchase_lines)


def _qualifying(*window: ColumnElement[bool]) -> PreparedQuery:
    return PreparedQuery(select(*qualifying_sums()).where(
        _p.programme_id == bindparam("programme_id"),
        _p.customer_id == bindparam("customer_id"), *window))


_QUALIFYING_SINCE = _qualifying(_p.occurred_at >= bindparam("since", type_=TZ))
_QUALIFYING_BETWEEN = _qualifying(_p.occurred_at >= bindparam("since", type_=TZ),
                                  _p.occurred_at < bindparam("until", type_=TZ))
