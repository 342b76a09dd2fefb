"""A member's points inside one unit of work: each movement is a ledger entry, and the
balance snapshot and the lots move with it. `flush()` writes them, with the membership."""

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.loyalty.events import LoyaltyEvent
from domain.loyalty.model import (
    LedgerEntry,
    LedgerKind,
    Membership,
    PointLot,
    Programme,
    TierChange,
    TierChangeReason,
)
from domain.loyalty.rules import add_months, expired_lots, new_lot_points, take_from_lots
from domain.ports import UnitOfWork
from domain.shared.errors import DomainError, ErrorCode, not_found
from domain.shared.events import Event
from domain.shared.ids import new_id

_EVENT_NAMES: dict[LedgerKind, LoyaltyEvent] = {
    LedgerKind.EARN: LoyaltyEvent.POINTS_EARNED, LedgerKind.REDEEM: LoyaltyEvent.POINTS_REDEEMED,
    LedgerKind.EXPIRE: LoyaltyEvent.POINTS_EXPIRED, LedgerKind.ADJUST: LoyaltyEvent.POINTS_ADJUSTED,
    LedgerKind.REVERSE: LoyaltyEvent.POINTS_REVERSED,
}


class Wallet:
    def __init__(self, uow: UnitOfWork, programme: Programme, membership: Membership,
                 actor: str) -> None:
        self.uow, self.programme, self.membership, self.actor = uow, programme, membership, actor
        self._lots: list[PointLot] | None = None
        self._changed_lots: dict[UUID, PointLot] = {}
        self._entries: list[LedgerEntry] = []

    @property
    def balance(self) -> int:
        return self.membership.points_balance

    async def add(self, kind: LedgerKind, points: int, occurred_at: datetime,
                  **details: Any) -> LedgerEntry:
        """Adds points (EARN, ADJUST) in a new lot, expiring `points_expire_after_months`
        after they were earned; a negative balance is paid back first."""
        months = self.programme.points_expire_after_months
        expires_at = add_months(occurred_at, months) if months else None
        entry = self._post(kind, points, occurred_at, expires_at=expires_at, **details)
        lot = PointLot(entry.id, entry.customer_id, entry.programme_id, occurred_at, expires_at,
                       points, new_lot_points(points, self.balance - points))
        if self._lots is not None:  # else `_open_lots` adds it when they load
            self._lots.append(lot)
        self._changed_lots[lot.entry_id] = lot
        return entry

    async def take(self, kind: LedgerKind, points: int, occurred_at: datetime, *,
                   may_overdraw: bool = False, first_lot: UUID | None = None,
                   **details: Any) -> LedgerEntry:
        """Takes points from the oldest lots (from `first_lot` first). Only a return may
        overdraw (its points were earned, then spent): a redemption or an adjustment
        beyond the balance is refused."""
        if not may_overdraw and points > self.balance:
            raise DomainError.single(
                ("points",), ErrorCode.INSUFFICIENT_POINTS,
                f"needs {points} points; the balance is {self.balance}")
        for lot in take_from_lots(await self._open_lots(), points, first=first_lot):
            self._changed_lots[lot.entry_id] = lot
        return self._post(kind, -points, occurred_at, **details)

    async def expire(self, now: datetime) -> list[LedgerEntry]:
        """Every lot whose time ran out loses what is left of it: one EXPIRE entry each."""
        entries = []
        for lot in expired_lots(await self._open_lots(), now):
            assert lot.expires_at is not None
            points, lot.remaining = lot.remaining, 0
            self._changed_lots[lot.entry_id] = lot
            entries.append(self._post(LedgerKind.EXPIRE, -points, lot.expires_at,
                                      lot_id=lot.entry_id))
        return entries

    async def flush(self) -> None:
        """Writes the entries, the lots they moved and the membership, and emits the events."""
        loyalty = self.uow.loyalty
        if self._entries:
            await loyalty.append_entries(self._entries)
        if self._changed_lots:
            await loyalty.save_lots(list(self._changed_lots.values()))
        await loyalty.save_membership(self.membership)
        for event in self.membership.events:
            self.uow.emit(event)
        self.membership.events.clear()
        self.membership.tier_changes.clear()
        self._entries, self._changed_lots = [], {}

    def _post(self, kind: LedgerKind, points: int, occurred_at: datetime,
              **details: Any) -> LedgerEntry:
        now = self.uow.clock.now()
        entry = LedgerEntry(
            id=new_id(), customer_id=self.membership.customer_id,
            programme_id=self.programme.id, kind=kind, points=points,
            occurred_at=occurred_at, recorded_at=now, actor=self.actor, **details)
        self._entries.append(entry)
        self.membership.points_balance += points
        self.membership.events.append(Event(_EVENT_NAMES[kind], entry.customer_id, now, {
            "programme_id": str(self.programme.id), "entry_id": str(entry.id),
            "points": points, "balance": self.membership.points_balance,
        }))
        return entry

    async def _open_lots(self) -> list[PointLot]:
        if self._lots is None:
            stored = await self.uow.loyalty.open_lots(
                self.programme.id, self.membership.customer_id)
            known = {lot.entry_id for lot in stored}
            self._lots = stored + [lot for lot in self._changed_lots.values()
                                   if lot.entry_id not in known]
        return self._lots


# --- loading what a points movement needs --------------------------------------------


async def programme_named(uow: UnitOfWork, code: str | None) -> Programme:
    programme = await (uow.programmes.default() if code is None
                       else uow.programmes.get_by_code(code))
    if programme is None:
        raise not_found(("programme_code",), "loyalty programme")
    return programme


async def locked_membership(uow: UnitOfWork, programme: Programme,
                            customer_id: UUID) -> Membership:
    """Her membership, locked; enrols her in the entry tier when she is not a member yet."""
    found = await uow.loyalty.lock_membership(programme.id, customer_id)
    if found is not None:
        return found
    now = uow.clock.now()
    entry_tier = programme.entry_tier.id
    joining = Membership(
        customer_id=customer_id, programme_id=programme.id, tier_id=entry_tier,
        tier_since=now, retained_tier_id=entry_tier, enrolled_at=now,
        tier_changes=[TierChange(customer_id, programme.id, None, entry_tier,
                                 TierChangeReason.ENROLLED, now, "system")],
        events=[Event(LoyaltyEvent.MEMBER_ENROLLED, customer_id, now, {
            "programme_id": str(programme.id), "tier_id": str(entry_tier)})],
    )
    return await uow.loyalty.enrol(joining)


async def existing_membership(uow: UnitOfWork, programme: Programme,
                              customer_id: UUID) -> Membership:
    """Her membership, locked; spending points needs some."""
    membership = await uow.loyalty.lock_membership(programme.id, customer_id)
    if membership is None:
        raise DomainError.single(("customer_id",), ErrorCode.INSUFFICIENT_POINTS,
                                 f"not a member of {programme.name} and has no points")
    return membership
