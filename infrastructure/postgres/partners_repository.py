"""Partners, write side: partners, offers, grants, redemptions, partner purchases, the
settlement ledger and its periods, and failed code lookups.

What runs concurrently, and what keeps it right:
- Issuing against a quota locks the offer (`get_offer(for_update=True)`), so counts are
  true while the lock is held; redeeming locks the grant (`grant_to_redeem`),
  so sixteen tills redeeming one code take turns and the fifteen after the first see it
  redeemed.
- A writer of settlement entries holds their period's row FOR SHARE (`open_period`) until
  it commits; a close updates that row, so it waits for every such writer, and a writer
  that comes after the close finds the period closed and moves to the next. No entry is
  lost, none lands in a closed period.
- The expiry job takes the grants it expires with SKIP LOCKED: two jobs at once expire
  different grants, and neither waits for a grant being redeemed.
- Inserts that race for a unique key (a grant's code or source, a redemption's idempotency
  key, a partner's order id) do nothing on conflict and raise Duplicate, leaving the
  transaction usable (unique.py).
"""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.customers.model import ConsentPurpose
from domain.partners.model import (
    Grant,
    GrantState,
    Offer,
    OfferStatus,
    Partner,
    PartnerPurchase,
    Redemption,
    SettlementEntry,
    SharedMember,
    TriggerKind,
    next_period,
)
from domain.partners.ports import (
    GrantAtCounter,
    GrantCounts,
    GrantMember,
    GrantToRedeem,
    PartnerOffer,
    PartnerWithMisses,
)
from domain.shared.errors import UniqueKey
from infrastructure.postgres.loyalty_rows import is_default_programme
from infrastructure.postgres.partners_rows import (
    GRANT_COLUMNS,
    OFFER_COLUMNS,
    PARTNER_COLUMNS,
    Prefixed,
    entry_from_row,
    entry_to_row,
    grant_from_row,
    grant_to_row,
    offer_from_row,
    offer_to_row,
    partner_from_row,
    partner_purchase_from_row,
    partner_purchase_to_row,
    partner_to_row,
    redemption_from_row,
    redemption_to_row,
)
from infrastructure.postgres.prepared import PreparedInsert, PreparedQuery, PreparedUpdate
from infrastructure.postgres.tables import (
    TZ,
    contact_points,
    customers,
    loyalty_memberships,
    loyalty_programmes,
    loyalty_tiers,
    partner_code_misses,
    partner_grants,
    partner_offers,
    partner_purchases,
    partner_redemptions,
    partner_settlement_entries,
    partner_settlement_periods,
    partners,
    purchases,
)
from infrastructure.postgres.unique import duplicate_of, raising_duplicates

_pa, _o, _g = partners.c, partner_offers.c, partner_grants.c
_r, _pp, _sp = partner_redemptions.c, partner_purchases.c, partner_settlement_periods.c
_se, _miss = partner_settlement_entries.c, partner_code_misses.c


class PgPartnerRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self.seen: list[Grant] = []  # added or saved: whose events the unit of work publishes

    # --- partners -----------------------------------------------------------------------

    async def get(self, partner_id: UUID, *, for_update: bool = False) -> Partner | None:
        query = _LOCK_PARTNER if for_update else _GET_PARTNER
        row = await query.fetchrow(self._connection, id=partner_id)
        return partner_from_row(row) if row else None

    async def get_by_code(self, code: str) -> Partner | None:
        row = await _PARTNER_BY_CODE.fetchrow(self._connection, code=code)
        return partner_from_row(row) if row else None

    async def add(self, partner: Partner) -> None:
        if not await _ADD_PARTNER.inserted(self._connection, partner_to_row(partner)):
            raise await duplicate_of(
                (UniqueKey.PARTNER_CODE, lambda: self._holds(_PARTNER_CODE_HELD,
                                                             code=partner.code)))

    async def save(self, partner: Partner) -> None:
        await _SAVE_PARTNER.run(self._connection, partner_to_row(partner))

    # --- offers -------------------------------------------------------------------------

    async def get_offer(self, offer_id: UUID, *, for_update: bool = False) -> Offer | None:
        query = _LOCK_OFFER if for_update else _GET_OFFER
        row = await query.fetchrow(self._connection, id=offer_id)
        return offer_from_row(row) if row else None

    async def add_offer(self, offer: Offer) -> None:
        if not await _ADD_OFFER.inserted(self._connection, offer_to_row(offer)):
            raise await duplicate_of(
                (UniqueKey.OFFER_CODE, lambda: self._holds(
                    _OFFER_CODE_HELD, partner_id=offer.partner_id, code=offer.code)))

    async def save_offer(self, offer: Offer) -> None:
        with raising_duplicates():  # the code is not editable, but a save must not lie
            await _SAVE_OFFER.run(self._connection, offer_to_row(offer))

    async def offers_by_codes(self, codes: Collection[tuple[str, str]]) -> list[PartnerOffer]:
        if not codes:
            return []
        rows = (await self._connection.execute(
            select(*(_o[name] for name in OFFER_COLUMNS),
                   *(_pa[name].label(f"p_{name}") for name in PARTNER_COLUMNS))
            .select_from(partner_offers.join(partners, _pa.id == _o.partner_id))
            .where(tuple_(_pa.code, _o.code).in_(sorted(codes)))
        )).mappings()
        return [PartnerOffer(partner=partner_from_row(Prefixed(row, "p_")),
                             offer=offer_from_row(row)) for row in rows]

    async def issuing_offers(self, kinds: frozenset[TriggerKind], at: datetime) -> list[Offer]:
        rows = await _ISSUING_OFFERS.fetch(
            self._connection, kinds=sorted(kind.value for kind in kinds), now=at)
        return [offer_from_row(row) for row in rows]

    # --- grants -------------------------------------------------------------------------

    async def grant_counts(self, offer_id: UUID, customer_id: UUID, period_start: datetime,
                           period_end: datetime) -> GrantCounts:
        row = await _GRANT_COUNTS.fetchrow(self._connection, offer_id=offer_id,
                                           customer_id=customer_id, since=period_start,
                                           until=period_end)
        assert row is not None, "an aggregate has one row"
        return GrantCounts(total=row["total"], member=row["member"], period=row["period"])

    async def add_grant(self, grant: Grant) -> None:
        if not await _ADD_GRANT.inserted(self._connection, grant_to_row(grant)):
            raise await duplicate_of(
                (UniqueKey.GRANT_CODE, lambda: self._holds(_GRANT_CODE_HELD, code=grant.code)),
                (UniqueKey.GRANT_SOURCE, lambda: self._holds(
                    _GRANT_SOURCE_HELD, offer_id=grant.offer_id,
                    customer_id=grant.customer_id, source_key=grant.source_key)))
        self.seen.append(grant)

    async def get_grant(self, grant_id: UUID, *, for_update: bool = False) -> Grant | None:
        query = _LOCK_GRANT if for_update else _GET_GRANT
        row = await query.fetchrow(self._connection, id=grant_id)
        return grant_from_row(row) if row else None

    async def grant_at_counter(self, code: str, now: datetime) -> GrantAtCounter | None:
        row = await _AT_COUNTER.fetchrow(self._connection, code=code, now=now)
        if row is None:
            return None
        member = (SharedMember(first_name=row["m_first_name"], tier_name=row["m_tier_name"])
                  if row["m_shares"] else None)
        return GrantAtCounter(grant=grant_from_row(row),
                              offer=offer_from_row(Prefixed(row, "o_")),
                              partner=partner_from_row(Prefixed(row, "p_")), member=member)

    async def hold_grant_member(self, code: str, partner_id: UUID) -> GrantMember | None:
        row = await _HOLD_GRANT_MEMBER.fetchrow(self._connection, code=code,
                                                partner_id=partner_id)
        return GrantMember(row["id"], row["merged_into_id"]) if row else None

    async def grant_to_redeem(self, code: str) -> GrantToRedeem | None:
        row = await _TO_REDEEM.fetchrow(self._connection, code=code)
        if row is None:
            return None
        return GrantToRedeem(grant=grant_from_row(row),
                             offer=offer_from_row(Prefixed(row, "o_")))

    async def save_grant(self, grant: Grant) -> None:
        await _SAVE_GRANT.run(self._connection, grant_to_row(grant))
        self.seen.append(grant)

    async def grants_of_purchase(self, purchase_id: UUID, *,
                                 for_update: bool = False) -> list[Grant]:
        query = _LOCK_GRANTS_OF_PURCHASE if for_update else _GRANTS_OF_PURCHASE
        rows = await query.fetch(self._connection, purchase_id=purchase_id)
        return [grant_from_row(row) for row in rows]

    async def grants_of_customer(self, customer_id: UUID) -> list[Grant]:
        rows = await _GRANTS_OF_CUSTOMER.fetch(self._connection, customer_id=customer_id)
        return [grant_from_row(row) for row in rows]

    async def expire_grants(self, now: datetime, limit: int) -> list[Grant]:
        rows = await _EXPIRE_GRANTS.fetch(self._connection, now=now, limit=limit)
        return sorted((grant_from_row(row) for row in rows),
                      key=lambda grant: (grant.expires_at, grant.id))

    async def move_to_customer(self, from_customer_id: UUID, to_customer_id: UUID) -> None:
        for moving in (_MOVE_GRANTS, _MOVE_REDEMPTIONS, _MOVE_PARTNER_PURCHASES):
            await moving.fetch(self._connection, from_id=from_customer_id,
                               to_id=to_customer_id)

    # --- redemptions --------------------------------------------------------------------

    async def redemption_by_key(self, partner_id: UUID,
                                idempotency_key: str) -> Redemption | None:
        row = await _REDEMPTION_BY_KEY.fetchrow(self._connection, partner_id=partner_id,
                                                idempotency_key=idempotency_key)
        return redemption_from_row(row) if row else None

    async def get_redemption(self, redemption_id: UUID, *,
                             for_update: bool = False) -> Redemption | None:
        query = _LOCK_REDEMPTION if for_update else _GET_REDEMPTION
        row = await query.fetchrow(self._connection, id=redemption_id)
        return redemption_from_row(row) if row else None

    async def add_redemption(self, redemption: Redemption) -> None:
        if not await _ADD_REDEMPTION.inserted(self._connection, redemption_to_row(redemption)):
            raise await duplicate_of((UniqueKey.REDEMPTION_KEY, lambda: self._holds(
                _REDEMPTION_KEY_HELD, partner_id=redemption.partner_id,
                idempotency_key=redemption.idempotency_key)))

    async def save_redemption(self, redemption: Redemption) -> None:
        await _SAVE_REDEMPTION.run(self._connection, redemption_to_row(redemption))

    # --- partner purchases --------------------------------------------------------------

    async def partner_purchase(self, partner_id: UUID, order_id: str, *,
                               for_update: bool = False) -> PartnerPurchase | None:
        query = _LOCK_PARTNER_PURCHASE if for_update else _PARTNER_PURCHASE
        row = await query.fetchrow(self._connection, partner_id=partner_id, order_id=order_id)
        return partner_purchase_from_row(row) if row else None

    async def add_partner_purchase(self, purchase: PartnerPurchase) -> None:
        if not await _ADD_PARTNER_PURCHASE.inserted(self._connection,
                                                    partner_purchase_to_row(purchase)):
            raise await duplicate_of((UniqueKey.PARTNER_ORDER, lambda: self._holds(
                _PARTNER_ORDER_HELD, partner_id=purchase.partner_id,
                order_id=purchase.order_id)))

    async def save_partner_purchase(self, purchase: PartnerPurchase) -> None:
        await _SAVE_PARTNER_PURCHASE.run(self._connection, partner_purchase_to_row(purchase))

    # --- settlement ---------------------------------------------------------------------

    async def open_period(self, partner_id: UUID, earliest: str) -> str:
        period = earliest
        while True:
            # FOR SHARE holds the period's row: a close that committed first is seen here,
            # and a close that comes later waits for this transaction.
            row = await self._held_period(partner_id, period)
            if row["closed_at"] is None:
                return period
            period = next_period(period)

    async def _held_period(self, partner_id: UUID, period: str) -> asyncpg.Record:
        key = {"partner_id": partner_id, "period": period}
        row = await _HOLD_PERIOD.fetchrow(self._connection, **key)
        if row is None:  # the month's first entry: the row is made (or another transaction
            # makes it, and the insert waits for that one), then held
            await _ENSURE_PERIOD.run(self._connection, [key])
            row = await _HOLD_PERIOD.fetchrow(self._connection, **key)
        assert row is not None, "the period's row was just ensured"
        return row

    async def add_entries(self, entries: Sequence[SettlementEntry]) -> None:
        await _ADD_ENTRIES.run(self._connection, [entry_to_row(entry) for entry in entries])

    async def close_period(self, partner_id: UUID, period: str, at: datetime,
                           by: str) -> bool:
        await _ENSURE_PERIOD.run(self._connection, [{"partner_id": partner_id,
                                                     "period": period}])
        # The UPDATE's row lock waits for every writer holding the period FOR SHARE, then
        # reads the row again: a close that won meanwhile leaves nothing to update.
        closed = await _CLOSE_PERIOD.fetch(self._connection, partner_id=partner_id,
                                           period=period, at=at, by=by)
        return bool(closed)

    async def partners_with_open_periods(self, up_to: str) -> list[UUID]:
        rows = await _WITH_OPEN_PERIODS.fetch(self._connection, up_to=up_to)
        return [row["id"] for row in rows]

    async def entries(self, partner_id: UUID, period: str) -> list[SettlementEntry]:
        rows = await _ENTRIES.fetch(self._connection, partner_id=partner_id, period=period)
        return [entry_from_row(row) for row in rows]

    # --- failed code lookups ------------------------------------------------------------

    async def record_miss(self, caller: str, at: datetime) -> None:
        await _RECORD_MISS.run(self._connection, [{"caller": caller, "at": at}])

    async def prune_misses(self, before: datetime, limit: int) -> int:
        row = await _PRUNE_MISSES.fetchrow(self._connection, before=before, limit=limit)
        assert row is not None, "a count has one row"
        deleted: int = row["deleted"]
        return deleted

    async def misses_since(self, caller: str, instants: Sequence[datetime]) -> list[int]:
        row = await _MISSES_SINCE.fetchrow(self._connection, caller=caller,
                                           instants=list(instants))
        assert row is not None, "an array of counts has one row"
        return list(row["misses"])

    async def partner_with_misses(self, code: str, caller: str,
                                  instants: Sequence[datetime]) -> PartnerWithMisses | None:
        row = await _PARTNER_WITH_MISSES.fetchrow(self._connection, code=code, caller=caller,
                                                  instants=list(instants))
        if row is None:
            return None
        return PartnerWithMisses(partner_from_row(row), list(row["misses"]))

    async def _holds(self, query: PreparedQuery, **values: Any) -> bool:
        return await query.fetchrow(self._connection, **values) is not None


# --- fixed statements, sent to asyncpg directly (prepared.py) ------------------------------
# Constants that a partial index names are written as SQL literals, not parameters, so
# the planner can use the index with a generic plan.



def _constant(value: str) -> ColumnElement[str]:
    return literal_column(f"'{value}'", Text)


_ACTIVE, _ISSUED = _constant(OfferStatus.ACTIVE), _constant(GrantState.ISSUED)
_REVOKED, _EXPIRED = _constant(GrantState.REVOKED), _constant(GrantState.EXPIRED)
_NOW = bindparam("now", type_=TZ)
_DO_NOTHING = "ON CONFLICT DO NOTHING"


def _by(table: Any, *keys: str, locked: bool = False, order: Sequence[Any] = ()
        ) -> PreparedQuery:
    query: Select[Any] = select(table).where(
        *(table.c[key] == bindparam(key) for key in keys)).order_by(*order)
    return PreparedQuery(query.with_for_update() if locked else query)


def _held(table: Any, *keys: str) -> PreparedQuery:
    return PreparedQuery(select(literal(1)).select_from(table).where(
        *(table.c[key] == bindparam(key) for key in keys)))


def _save(table: Any) -> PreparedUpdate:
    return PreparedUpdate(table, ["id"], [c.name for c in table.columns if c.name != "id"])


_GET_PARTNER, _LOCK_PARTNER = _by(partners, "id"), _by(partners, "id", locked=True)
_PARTNER_BY_CODE = _by(partners, "code")
_PARTNER_CODE_HELD = _held(partners, "code")
_ADD_PARTNER, _SAVE_PARTNER = PreparedInsert(partners, _DO_NOTHING), _save(partners)

_GET_OFFER, _LOCK_OFFER = _by(partner_offers, "id"), _by(partner_offers, "id", locked=True)
_OFFER_CODE_HELD = _held(partner_offers, "partner_id", "code")
_ADD_OFFER, _SAVE_OFFER = PreparedInsert(partner_offers, _DO_NOTHING), _save(partner_offers)
_ISSUING_OFFERS = PreparedQuery(
    select(partner_offers).join(partners, _pa.id == _o.partner_id)
    .where(_o.status == _ACTIVE, _pa.status == _ACTIVE,
           _o.trigger_kind == any_(bindparam("kinds", type_=ARRAY(Text))),
           or_(_o.valid_from.is_(None), _o.valid_from <= _NOW),
           or_(_o.valid_until.is_(None), _o.valid_until > _NOW))
    .order_by(_o.created_at, _o.id))


def _in_period() -> ColumnElement[bool]:
    """Whether the fact that issued a grant happened in the period: its purchase's time
    (never after the grant's issue), else the grant's issue. A grant issued before the
    period began was earned before it too, so its purchase is never looked up."""
    since, until = bindparam("since", type_=TZ), bindparam("until", type_=TZ)
    sold_at = (select(purchases.c.occurred_at).where(purchases.c.id == _g.purchase_id)
               .scalar_subquery())
    earned_at = func.least(sold_at, _g.issued_at)  # LEAST ignores a NULL: no purchase
    return case((_g.issued_at < since, false()),
                else_=and_(earned_at >= since, earned_at < until))


_GRANT_COUNTS = PreparedQuery(
    select(func.count().label("total"),
           func.count().filter(_g.customer_id == bindparam("customer_id")).label("member"),
           func.count().filter(_in_period()).label("period"))
    .where(_g.offer_id == bindparam("offer_id"), _g.state != _REVOKED))
_ADD_GRANT, _SAVE_GRANT = PreparedInsert(partner_grants, _DO_NOTHING), _save(partner_grants)
_GRANT_CODE_HELD = _held(partner_grants, "code")
_GRANT_SOURCE_HELD = PreparedQuery(  # as the unique index: among the grants not revoked
    select(literal(1)).select_from(partner_grants)
    .where(*(_g[key] == bindparam(key) for key in ("offer_id", "customer_id", "source_key")),
           _g.state != _REVOKED))
_GET_GRANT, _LOCK_GRANT = _by(partner_grants, "id"), _by(partner_grants, "id", locked=True)
_GRANTS_OF_PURCHASE = _by(partner_grants, "purchase_id", order=(_g.issued_at, _g.id))
_GRANTS_OF_CUSTOMER = _by(partner_grants, "customer_id", order=(_g.issued_at, _g.id))
_LOCK_GRANTS_OF_PURCHASE = _by(partner_grants, "purchase_id", locked=True,
                               order=(_g.issued_at, _g.id))


def _expiring() -> PreparedQuery:
    """One statement: the due grants not locked by another transaction (a redemption, a
    concurrent job), oldest expiry first, marked EXPIRED and returned."""
    # MATERIALIZED: evaluated once. As a subquery the planner may rescan it for each row
    # it updates, and a rescan skips what this statement just expired and takes more.
    due = (select(_g.id).where(_g.state == _ISSUED, _g.expires_at <= _NOW)
           .order_by(_g.expires_at, _g.id).limit(bindparam("limit", type_=Integer))
           .with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED"))
    return PreparedQuery(
        update(partner_grants).where(_g.id == due.c.id, _g.state == _ISSUED)
        .values(state=_EXPIRED).returning(*partner_grants.columns))


_EXPIRE_GRANTS = _expiring()


def _moving() -> PreparedQuery:
    """The duplicate's grants become the survivor's. A live grant of an offer she also has
    a live grant of from the same source (both records reached a tier, had a birthday)
    keeps its source apart, `… merged from <id>`: both grants were issued, and the unique
    key must still hold. A revoked grant holds no source, so it keeps its own, and a live
    one clashing only with a revoked one keeps its own too: it is the source's grant."""
    survivors = partner_grants.alias("survivors")
    clash = and_(_g.state != _REVOKED, exists().where(
        survivors.c.offer_id == _g.offer_id, survivors.c.customer_id == bindparam("to_id"),
        survivors.c.source_key == _g.source_key, survivors.c.state != _REVOKED))
    # On the right of SET, columns are the row as it was: customer_id is the duplicate's.
    merged = _g.source_key + " merged from " + cast(_g.customer_id, Text)
    return PreparedQuery(
        update(partner_grants).where(_g.customer_id == bindparam("from_id"))
        .values(customer_id=bindparam("to_id"),
                source_key=case((clash, merged), else_=_g.source_key))
        .returning(_g.id))


_MOVE_GRANTS = _moving()


def _moving_rows_of(table: Table) -> PreparedQuery:
    """A merge: the duplicate's rows of `table` become the survivor's (customer_id stays
    the distribution column of every row of hers, DESIGN.md §9)."""
    return PreparedQuery(
        update(table).where(table.c.customer_id == bindparam("from_id"))
        .values(customer_id=bindparam("to_id")).returning(table.c.id))


_MOVE_REDEMPTIONS = _moving_rows_of(partner_redemptions)
_MOVE_PARTNER_PURCHASES = _moving_rows_of(partner_purchases)


def _at_counter() -> PreparedQuery:
    """A grant by its code with its offer and partner, and what its member shares: her
    given name and her tier (effective now, in the offer's programme or else the default
    one) when she consents to partner sharing and is not erased; nothing otherwise, so no
    unconsented value ever leaves the database."""
    _c, _cp = customers.c, contact_points.c
    _m, _t, _lp = loyalty_memberships.c, loyalty_tiers.c, loyalty_programmes.c
    sharing: ColumnElement[Any] = literal_column(
        f"""'[{{"purpose": "{ConsentPurpose.PARTNER_SHARING.value}", "granted": true}}]'"""
        "::jsonb")
    consents = (exists().where(_cp.customer_id == _c.id, _cp.consents.op("@>")(sharing))
                .correlate(customers))
    consent = (select(and_(_c.erased_at.is_(None), consents).label("shares"))
               .correlate(customers).lateral("consent"))
    default = select(_lp.id).where(is_default_programme()).scalar_subquery()
    named = (select(_lp.id).where(_lp.code == _o.eligible_programme_code)
             .correlate(partner_offers).scalar_subquery())
    programme = case((_o.eligible_programme_code.is_(None), default), else_=named)
    overridden = and_(_m.override_tier_id.is_not(None),
                      or_(_m.override_expires_at.is_(None), _m.override_expires_at > _NOW))
    effective = case((overridden, _m.override_tier_id), else_=_m.tier_id)
    tier_name = (select(_t.name)
                 .select_from(loyalty_memberships.join(loyalty_tiers, _t.id == effective))
                 .where(_m.customer_id == _g.customer_id, _m.programme_id == programme)
                 .correlate(partner_grants, partner_offers).scalar_subquery())
    shares = consent.c.shares
    return PreparedQuery(
        select(*(_g[name] for name in GRANT_COLUMNS),
               *(_o[name].label(f"o_{name}") for name in OFFER_COLUMNS),
               *(_pa[name].label(f"p_{name}") for name in PARTNER_COLUMNS),
               shares.label("m_shares"),
               case((shares, _c.given_name)).label("m_first_name"),
               case((shares, tier_name)).label("m_tier_name"))
        .select_from(partner_grants
                     .join(partner_offers, _o.id == _g.offer_id)
                     .join(partners, _pa.id == _g.partner_id)
                     .join(customers, _c.id == _g.customer_id)
                     .join(consent, true()))
        .where(_g.code == bindparam("code")))


_AT_COUNTER = _at_counter()
# Her row held as customers_repository's _HOLD holds it (FOR KEY SHARE, the weakest lock
# a merge's FOR UPDATE waits for), and only hers: the grant is locked after it.
_HOLD_GRANT_MEMBER = PreparedQuery(
    select(customers.c.id, customers.c.merged_into_id)
    .select_from(partner_grants.join(customers, customers.c.id == _g.customer_id))
    .where(_g.code == bindparam("code"), _g.partner_id == bindparam("partner_id"))
    .with_for_update(read=True, key_share=True, of=customers))
_TO_REDEEM = PreparedQuery(
    select(*(_g[name] for name in GRANT_COLUMNS),
           *(_o[name].label(f"o_{name}") for name in OFFER_COLUMNS))
    .select_from(partner_grants.join(partner_offers, _o.id == _g.offer_id))
    .where(_g.code == bindparam("code"))
    .with_for_update(of=partner_grants))  # the offer stays free to change

_REDEMPTION_BY_KEY = _by(partner_redemptions, "partner_id", "idempotency_key")
_GET_REDEMPTION = _by(partner_redemptions, "id")
_LOCK_REDEMPTION = _by(partner_redemptions, "id", locked=True)
_REDEMPTION_KEY_HELD = _held(partner_redemptions, "partner_id", "idempotency_key")
_ADD_REDEMPTION = PreparedInsert(partner_redemptions, _DO_NOTHING)
_SAVE_REDEMPTION = _save(partner_redemptions)

_PARTNER_PURCHASE = _by(partner_purchases, "partner_id", "order_id")
_LOCK_PARTNER_PURCHASE = _by(partner_purchases, "partner_id", "order_id", locked=True)
_PARTNER_ORDER_HELD = _held(partner_purchases, "partner_id", "order_id")
_ADD_PARTNER_PURCHASE = PreparedInsert(partner_purchases, _DO_NOTHING)
_SAVE_PARTNER_PURCHASE = _save(partner_purchases)

_ENSURE_PERIOD = PreparedInsert(partner_settlement_periods, _DO_NOTHING)
_HOLD_PERIOD = PreparedQuery(
    select(_sp.closed_at)
    .where(_sp.partner_id == bindparam("partner_id"), _sp.period == bindparam("period"))
    .with_for_update(read=True))  # FOR SHARE: writers share it, a close waits for them
_CLOSE_PERIOD = PreparedQuery(
    update(partner_settlement_periods)
    .where(_sp.partner_id == bindparam("partner_id"), _sp.period == bindparam("period"),
           _sp.closed_at.is_(None))
    .values(closed_at=bindparam("at", type_=TZ), closed_by=bindparam("by"))
    .returning(_sp.period))
_ADD_ENTRIES = PreparedInsert(partner_settlement_entries)
_ENTRIES = _by(partner_settlement_entries, "partner_id", "period",
               order=(_se.occurred_at, _se.id))


def _with_open_periods() -> PreparedQuery:
    """Partners whose period `up_to` is not closed (no row, or an open one), or who have an
    open period before it: whom a close of `up_to` has work for."""
    up_to = bindparam("up_to", type_=_sp.period.type)
    closed = exists().where(_sp.partner_id == _pa.id, _sp.period == up_to,
                            _sp.closed_at.is_not(None))
    open_before = exists().where(_sp.partner_id == _pa.id, _sp.period <= up_to,
                                 _sp.closed_at.is_(None))
    return PreparedQuery(select(_pa.id).where(or_(~closed, open_before)).order_by(_pa.id))


_WITH_OPEN_PERIODS = _with_open_periods()

_RECORD_MISS = PreparedInsert(partner_code_misses)


def _pruning_misses() -> PreparedQuery:
    """One statement: up to `limit` misses recorded before `before`, not locked by a
    concurrent run, deleted; how many. In id order, so the scan of the primary key meets
    the oldest first and stops at the limit."""
    # MATERIALIZED: evaluated once, as in _expiring.
    old = (select(_miss.id).where(_miss.at < bindparam("before", type_=TZ))
           .order_by(_miss.id).limit(bindparam("limit", type_=Integer))
           .with_for_update(skip_locked=True).cte("old").prefix_with("MATERIALIZED"))
    gone = (delete(partner_code_misses).where(_miss.id == old.c.id)
            .returning(_miss.id).cte("gone"))
    return PreparedQuery(select(func.count().label("deleted")).select_from(gone))


_PRUNE_MISSES = _pruning_misses()
_SINCE = func.unnest(bindparam("instants", type_=ARRAY(TZ))).table_valued(
    "since", with_ordinality="n").render_derived()
# One count per instant, in their order, as an array.
_MISSES = func.array(
    select(select(func.count()).where(_miss.caller == bindparam("caller"),
                                      _miss.at >= _SINCE.c.since)
           .scalar_subquery())
    .select_from(_SINCE).order_by(_SINCE.c.n).scalar_subquery()).label("misses")
_MISSES_SINCE = PreparedQuery(select(_MISSES))
_PARTNER_WITH_MISSES = PreparedQuery(
    select(partners, _MISSES).where(_pa.code == bindparam("code")))
