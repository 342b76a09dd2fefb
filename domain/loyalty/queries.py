"""The loyalty read port, and the views the API builds from it: a member's standing and a
member-price quote. Reads come in batches (one statement per nested list per page)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from domain.loyalty.commands import QuoteMemberPrice
from domain.loyalty.model import (
    LedgerEntry,
    Membership,
    Programme,
    Purchase,
    QualifyingMeasure,
    QualifyingTotals,
    Tier,
    TierChange,
)
from domain.loyalty.rules import member_discount, qualification_start
from domain.shared.errors import ErrorCode, not_found
from domain.shared.money import check_amount, check_currency
from domain.shared.paging import Page, PageRequest
from domain.shared.validation import Problems


@dataclass(frozen=True)
class LedgerMismatch:
    """A member whose balance snapshot or open lots disagree with her ledger."""

    programme_id: UUID
    customer_id: UUID
    balance: int  # the snapshot
    ledger_sum: int
    lots_remaining: int  # should be max(ledger_sum, 0)


class LoyaltyQueries(Protocol):
    async def programme(self, code: str | None) -> Programme | None:
        """By code; None asks for the default programme (the oldest)."""
        ...

    async def programmes_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Programme]: ...

    async def memberships(
        self, programme_id: UUID, customer_ids: Sequence[UUID]
    ) -> dict[UUID, Membership]: ...

    async def qualifying_totals(
        self, programme_id: UUID, customer_ids: Sequence[UUID], since: datetime,
        until: datetime | None,
    ) -> dict[UUID, QualifyingTotals]:
        """As `LoyaltyRepository.qualifying_totals`, for many members at once."""
        ...

    async def points_expiring(
        self, programme_id: UUID, customer_ids: Sequence[UUID], now: datetime, until: datetime
    ) -> dict[UUID, int]:
        """Points left in lots expiring in (now, until]."""
        ...

    async def ledgers(
        self, programme_id: UUID, customer_ids: Sequence[UUID], page: PageRequest
    ) -> dict[UUID, Page[LedgerEntry]]:
        """Newest first."""
        ...

    async def tier_histories(
        self, programme_id: UUID, customer_ids: Sequence[UUID]
    ) -> dict[UUID, list[TierChange]]:
        """Oldest first."""
        ...

    async def purchases(
        self, customer_ids: Sequence[UUID], page: PageRequest
    ) -> dict[UUID, Page[Purchase]]:
        """Newest first (by occurred_at), with lines and refunds."""
        ...

    async def purchases_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Purchase]: ...

    async def entries_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, LedgerEntry]: ...

    async def ledger_mismatches(self) -> list[LedgerMismatch]:
        """Every member, every programme. Empty when the ledger holds."""
        ...


@dataclass(frozen=True)
class Standing:
    """A member's standing at an instant: what `customer.loyalty` shows."""

    programme: Programme
    membership: Membership
    tier: Tier  # effective: an active override wins
    earned_tier: Tier
    next_tier: Tier | None
    qualifying: Decimal  # spend (money) or points, in the current window
    to_next_tier: Decimal | None  # None at the top tier
    window_start: datetime


def standing(
    programme: Programme, membership: Membership, totals: QualifyingTotals, now: datetime
) -> Standing:
    tier = programme.tier(membership.effective_tier_id(now))
    earned = programme.tier(membership.tier_id)
    next_tier = programme.next_tier(tier)
    qualifying = totals.measured(programme.measure)
    to_next = None if next_tier is None else max(Decimal(0), next_tier.threshold - qualifying)
    return Standing(programme, membership, tier, earned, next_tier, qualifying, to_next,
                    qualification_start(programme, now))


def is_spend(programme: Programme) -> bool:
    return programme.measure is QualifyingMeasure.SPEND


# --- member prices -----------------------------------------------------------------------

MAX_QUOTE_LINES = 500


@dataclass(frozen=True)
class QuotedLine:
    sku: str
    quantity: int
    amount: Decimal  # quantity * unit price - line discount
    member_discount: Decimal
    member_amount: Decimal


@dataclass(frozen=True)
class MemberPriceQuote:
    programme: Programme
    tier: Tier
    currency: str
    lines: tuple[QuotedLine, ...]

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def member_discount(self) -> Decimal:
        return sum((line.member_discount for line in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.member_discount


def quote_member_price(
    query: QuoteMemberPrice, programme: Programme | None, membership: Membership | None,
    now: datetime,
) -> MemberPriceQuote:
    """Prices with her tier's discount; a customer who is not (yet) a member gets the entry
    tier's. Nothing is written: the till shows it before it takes payment."""
    if programme is None:
        raise not_found(("programme_code",), "loyalty programme")
    problems = Problems()
    currency = check_currency(problems, ("currency",), query.currency)
    if currency and currency != programme.currency and not problems.found:
        problems.add(("currency",), ErrorCode.INVALID,
                     f"the programme counts in {programme.currency}")
    if not query.lines:
        problems.add(("lines",), ErrorCode.REQUIRED, "give at least one line")
    if len(query.lines) > MAX_QUOTE_LINES:
        problems.add(("lines",), ErrorCode.TOO_LARGE, f"at most {MAX_QUOTE_LINES} lines")
    for index, line in enumerate(query.lines):
        at = ("lines", str(index))
        if line.quantity <= 0:
            problems.add((*at, "quantity"), ErrorCode.INVALID, "must be more than zero")
        check_amount(problems, (*at, "unit_price"), line.unit_price, currency)
        check_amount(problems, (*at, "discount"), line.discount, currency)
        if line.quantity > 0 and line.discount > line.quantity * line.unit_price:
            problems.add((*at, "discount"), ErrorCode.INVALID, "more than the line costs")
    problems.raise_if_any()
    tier = programme.entry_tier if membership is None else programme.tier(
        membership.effective_tier_id(now))
    quoted = []
    for line in query.lines:
        amount = line.quantity * line.unit_price - line.discount
        discount = member_discount(amount, tier, currency)
        quoted.append(QuotedLine(line.sku, line.quantity, amount, discount, amount - discount))
    return MemberPriceQuote(programme, tier, currency, tuple(quoted))

