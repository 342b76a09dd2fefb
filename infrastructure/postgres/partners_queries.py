"""Partners, read side: partners and their offers, members' grants and their redemptions,
and settlements totalled in the database. Nested lists are batched across parents (one
statement per list per page), as loyalty's are."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.partners.model import (
    EntryKind,
    Grant,
    GrantState,
    Offer,
    OfferStatus,
    Partner,
    PartnerStatus,
    Redemption,
    SettlementEntry,
    SettlementLine,
    direction_of,
)
from domain.partners.queries import GrantFilter, OfferFilter
from domain.shared.paging import Page, PageRequest
from infrastructure.postgres.paging import (
    Ordering,
    group_pages,
    id_column,
    pages_per_parent,
    text_column,
    timestamp_column,
)
from infrastructure.postgres.partners_rows import (
    entry_from_row,
    grant_from_row,
    offer_from_row,
    partner_from_row,
    redemption_from_row,
)
from infrastructure.postgres.reading import fetch_all, rows_by_ids
from infrastructure.postgres.tables import (
    partner_grants,
    partner_offers,
    partner_redemptions,
    partner_settlement_entries,
    partner_settlement_periods,
    partners,
)

_p, _o, _g, _r, _e = (partners.c, partner_offers.c, partner_grants.c, partner_redemptions.c,
                      partner_settlement_entries.c)
BY_NAME = Ordering([text_column(_p.name, "name"), id_column(_p.id)])
OFFERS_OLDEST_FIRST = Ordering([timestamp_column(_o.created_at, "created_at"),
                                id_column(_o.id)])
GRANTS_NEWEST_FIRST = Ordering([timestamp_column(_g.issued_at, "issued_at"),
                                id_column(_g.id)], descending=True)

_PARTNERS_BY_IDS = rows_by_ids(partners)
_OFFERS_BY_IDS = rows_by_ids(partner_offers)
_GRANTS_BY_IDS = rows_by_ids(partner_grants)
_REDEMPTIONS_BY_IDS = rows_by_ids(partner_redemptions)
_REDEMPTIONS_OF_GRANTS = rows_by_ids(partner_redemptions, "grant_id", order_by="redeemed_at")


def _offer_conditions(status: OfferStatus | None) -> list[ColumnElement[bool]]:
    return [] if status is None else [_o.status == status.value]


def _grant_conditions(where: GrantFilter) -> list[ColumnElement[bool]]:
    """The state as of `where.now`: an issued grant past its expiry is expired already."""
    issued = _g.state == GrantState.ISSUED.value
    match where.state:
        case None:
            return []
        case GrantState.ISSUED:
            return [issued, _g.expires_at > where.now]
        case GrantState.EXPIRED:
            return [or_(_g.state == GrantState.EXPIRED.value,
                        and_(issued, _g.expires_at <= where.now))]
        case state:
            return [_g.state == state.value]


class PgPartnerQueries:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # --- partners ------------------------------------------------------------------------

    async def partners(self, status: PartnerStatus | None,
                       page: PageRequest) -> Page[Partner]:
        query = select(partners)
        if status is not None:
            query = query.where(_p.status == status.value)
        query = BY_NAME.apply(query, page.validated())
        return BY_NAME.page(await fetch_all(self._engine, query), page, partner_from_row)

    async def partners_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Partner]:
        rows = await _PARTNERS_BY_IDS.fetch(self._engine, ids=list(ids))
        return {row["id"]: partner_from_row(row) for row in rows}

    async def partner(self, partner_id: UUID) -> Partner | None:
        return (await self.partners_by_ids([partner_id])).get(partner_id)

    async def partner_by_code(self, code: str) -> Partner | None:
        rows = await fetch_all(self._engine, select(partners).where(_p.code == code))
        return partner_from_row(rows[0]) if rows else None

    # --- offers --------------------------------------------------------------------------

    async def offers(self, where: OfferFilter, page: PageRequest) -> Page[Offer]:
        query = select(partner_offers).where(*_offer_conditions(where.status))
        if where.partner_id is not None:
            query = query.where(_o.partner_id == where.partner_id)
        query = OFFERS_OLDEST_FIRST.apply(query, page.validated())
        return OFFERS_OLDEST_FIRST.page(await fetch_all(self._engine, query), page,
                                        offer_from_row)

    async def offers_of_partners(
        self, partner_ids: Sequence[UUID], status: OfferStatus | None, page: PageRequest
    ) -> dict[UUID, Page[Offer]]:
        def offers_of(partner_id: ColumnElement[Any]) -> Select[Any]:
            return select(partner_offers).where(_o.partner_id == partner_id,
                                                *_offer_conditions(status))

        query = pages_per_parent(offers_of, partner_ids, OFFERS_OLDEST_FIRST, page.validated())
        return group_pages(await fetch_all(self._engine, query), partner_ids,
                           OFFERS_OLDEST_FIRST, page, offer_from_row)

    async def offers_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Offer]:
        rows = await _OFFERS_BY_IDS.fetch(self._engine, ids=list(ids))
        return {row["id"]: offer_from_row(row) for row in rows}

    # --- grants and redemptions ------------------------------------------------------------

    async def grants_of_customers(
        self, customer_ids: Sequence[UUID], where: GrantFilter, page: PageRequest
    ) -> dict[UUID, Page[Grant]]:
        def grants_of(customer_id: ColumnElement[Any]) -> Select[Any]:
            return select(partner_grants).where(_g.customer_id == customer_id,
                                                *_grant_conditions(where))

        query = pages_per_parent(grants_of, customer_ids, GRANTS_NEWEST_FIRST, page.validated())
        return group_pages(await fetch_all(self._engine, query), customer_ids,
                           GRANTS_NEWEST_FIRST, page, grant_from_row)

    async def grants_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Grant]:
        rows = await _GRANTS_BY_IDS.fetch(self._engine, ids=list(ids))
        return {row["id"]: grant_from_row(row) for row in rows}

    async def redemptions_of_grants(
        self, grant_ids: Sequence[UUID]
    ) -> dict[UUID, list[Redemption]]:
        rows = await _REDEMPTIONS_OF_GRANTS.fetch(self._engine, ids=list(grant_ids))
        found: dict[UUID, list[Redemption]] = {grant_id: [] for grant_id in grant_ids}
        for row in rows:
            found[row["grant_id"]].append(redemption_from_row(row))
        return found

    async def redemptions_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Redemption]:
        rows = await _REDEMPTIONS_BY_IDS.fetch(self._engine, ids=list(ids))
        return {row["id"]: redemption_from_row(row) for row in rows}

    # --- settlement ------------------------------------------------------------------------

    async def settlement_lines(self, partner_id: UUID, period: str) -> list[SettlementLine]:
        query = (
            select(_e.kind, _e.offer_id, func.count().label("count"),
                   func.sum(_e.amount).label("amount"), func.sum(_e.points).label("points"))
            .where(_e.partner_id == partner_id, _e.period == period)
            .group_by(_e.kind, _e.offer_id)
            .order_by(_e.kind, _e.offer_id.nulls_first())
        )
        lines = []
        for row in await fetch_all(self._engine, query):
            kind = EntryKind(row["kind"])
            lines.append(SettlementLine(
                kind=kind, direction=direction_of(kind), offer_id=row["offer_id"],
                count=int(row["count"]), amount=row["amount"], points=int(row["points"])))
        return lines

    async def period_closed(self, partner_id: UUID, period: str) -> bool:
        periods = partner_settlement_periods.c
        rows = await fetch_all(self._engine, select(periods.closed_at).where(
            periods.partner_id == partner_id, periods.period == period))
        return bool(rows) and rows[0]["closed_at"] is not None

    async def settlement_entries(self, partner_id: UUID, period: str) -> list[SettlementEntry]:
        query = (select(partner_settlement_entries)
                 .where(_e.partner_id == partner_id, _e.period == period)
                 .order_by(_e.occurred_at, _e.id))
        return [entry_from_row(row) for row in await fetch_all(self._engine, query)]

