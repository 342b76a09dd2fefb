"""What the brand and each partner owe each other, period by period.

Every redemption (the brand owes the partner its share of the benefit's cost) and every
coalition earn (the partner owes the brand the value of the points its customers earned)
is an entry, signed, in the partner's currency. An entry is settled in the month it
happened in (UTC), or in the first open month after it when that one is closed:
`rapport partners close-period` closes a month for good, and corrections that come later
land in the next one. Closing waits for writers still adding to the month, so none is lost.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from domain.partners.commands import ClosePeriod, ReadSettlement
from domain.partners.model import (
    EntryKind,
    Partner,
    Settlement,
    SettlementEntry,
    period_of,
)
from domain.partners.queries import SettlementQueries, own_partner
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Role, Viewer, not_allowed
from domain.shared.errors import DomainError, ErrorCode, not_found
from domain.shared.ids import new_id
from domain.shared.money import Money, money_text

PERIOD_FORMAT = "YYYY-MM"


async def settle(uow: UnitOfWork, partner: Partner, kind: EntryKind, amount: Decimal,
                 occurred_at: datetime, *, customer_id: UUID, offer_id: UUID | None = None,
                 redemption_id: UUID | None = None, partner_purchase_id: UUID | None = None,
                 points: int = 0) -> SettlementEntry:
    """One entry, in the first open period from the one `occurred_at` falls in, for the
    customer whose redemption or purchase it settles."""
    period = await uow.partners.open_period(partner.id, period_of(occurred_at))
    entry = SettlementEntry(
        id=new_id(), partner_id=partner.id, period=period, kind=kind,
        amount=Money.rounded(amount, partner.currency).amount, currency=partner.currency,
        occurred_at=occurred_at, offer_id=offer_id, redemption_id=redemption_id,
        partner_purchase_id=partner_purchase_id, customer_id=customer_id, points=points)
    await uow.partners.add_entries([entry])
    return entry


@dataclass(frozen=True)
class PeriodClosed:
    period: str
    closed: tuple[UUID, ...]  # partners whose period this run closed
    already_closed: int  # partners whose period was closed before


async def close_settlement_period(
    cmd: ClosePeriod, *, new_uow: Callable[[], UnitOfWork], viewer: Viewer
) -> PeriodClosed:
    """Closes a month that has ended, partner by partner, each in its own transaction;
    running it again closes what is left and changes nothing else."""
    viewer.require(Operation.SETTLEMENT_CLOSE)
    period = checked_period(cmd.period)
    uow = new_uow()
    async with uow:
        now = uow.clock.now()
        if period >= period_of(now):
            raise DomainError.single(("period",), ErrorCode.INVALID,
                                     f"{period} has not ended yet")
        if cmd.partner_id is not None:
            if await uow.partners.get(cmd.partner_id) is None:
                raise not_found(("partner_id",), "partner")
            partner_ids = [cmd.partner_id]
        else:
            partner_ids = await uow.partners.partners_with_open_periods(period)
    closed, already = [], 0
    for partner_id in partner_ids:
        uow = new_uow()
        async with uow:
            if await uow.partners.close_period(partner_id, period, uow.clock.now(),
                                               viewer.subject):
                await uow.commit()
                closed.append(partner_id)
            else:
                already += 1
    return PeriodClosed(period, tuple(closed), already)


def checked_period(period: str) -> str:
    text = period.strip()
    try:
        year, month = (int(part) for part in text.split("-"))
    except ValueError:
        year, month = 0, 0
    if not (1970 <= year <= 9999 and 1 <= month <= 12) or len(text) != 7:
        raise DomainError.single(("period",), ErrorCode.INVALID,
                                 f"a period is a month, {PERIOD_FORMAT}")
    return text


async def read_settlement(cmd: ReadSettlement, queries: SettlementQueries,
                          viewer: Viewer) -> Settlement:
    """Admins read any partner's; a partner only its own (naming none reads its own)."""
    partner = await readable_partner(queries, viewer, cmd.partner_id)
    period = checked_period(cmd.period)
    lines = await queries.settlement_lines(partner.id, period)
    closed = await queries.period_closed(partner.id, period)
    return Settlement(partner.id, period, partner.currency, closed, tuple(lines))


async def readable_partner(queries: SettlementQueries, viewer: Viewer,
                           partner_id: UUID | None) -> Partner:
    """A partner that names another (or one that does not exist) is refused alike: it
    learns nothing of who else is in the alliance."""
    viewer.require(Operation.SETTLEMENT_READ)
    if viewer.role is Role.PARTNER:
        own = await own_partner(queries, viewer)
        if partner_id is not None and partner_id != own.id:
            raise not_allowed("a partner reads only its own settlement")
        return own
    if partner_id is None:
        raise DomainError.single(("partner_id",), ErrorCode.REQUIRED, "name the partner")
    partner = await queries.partner(partner_id)
    if partner is None:
        raise not_found(("partner_id",), "partner")
    return partner


CSV_COLUMNS = ("period", "occurred_at", "kind", "direction", "amount", "currency", "points",
               "offer_id", "entry_id")


def csv_rows(entries: list[SettlementEntry]) -> list[tuple[str, ...]]:
    """The export's rows: no customer in them, so a partner may have the file."""
    return [(e.period, e.occurred_at.isoformat(), e.kind.value, e.direction.value,
             money_text(e.amount, e.currency), e.currency, str(e.points),
             str(e.offer_id or ""), str(e.id))
            for e in entries]
