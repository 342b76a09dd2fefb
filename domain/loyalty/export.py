"""Her loyalty data as a section of her data export (domain/customers/privacy.py): her
memberships, tier history, purchases and points ledger. Amounts are fixed-point strings
with their currency's decimals (`money_text`), tiers and programmes named by code."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.loyalty.model import (
    LedgerEntry,
    Membership,
    Programme,
    Purchase,
    TierChange,
)
from domain.ports import UnitOfWork
from domain.shared.money import money_text

Document = dict[str, Any]


async def loyalty_section(uow: UnitOfWork, customer_ids: list[UUID]) -> Document:
    """For her and the records merged into her (their ledgers stay theirs)."""
    records = [await uow.loyalty.record_of(customer_id) for customer_id in customer_ids]
    programme_ids = {m.programme_id for r in records for m in r.memberships}
    programmes = {}
    for programme_id in programme_ids:
        programme = await uow.programmes.get(programme_id)
        if programme is not None:
            programmes[programme_id] = programme
    return {
        "memberships": [_membership(m, programmes) for r in records for m in r.memberships],
        "tierHistory": [_tier_change(c, programmes) for r in records for c in r.tier_changes],
        "purchases": [_purchase(p) for r in records for p in r.purchases],
        "pointsLedger": [_entry(e, programmes) for r in records for e in r.ledger],
    }


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _tier_code(programmes: Mapping[UUID, Programme], programme_id: UUID,
               tier_id: UUID | None) -> str | None:
    programme = programmes.get(programme_id)
    tier = next((t for t in programme.tiers if t.id == tier_id), None) if programme else None
    return tier.code if tier else None


def _programme_code(programmes: Mapping[UUID, Programme], programme_id: UUID) -> str | None:
    programme = programmes.get(programme_id)
    return programme.code if programme else None


def _membership(m: Membership, programmes: Mapping[UUID, Programme]) -> Document:
    override = m.override
    return {
        "programme": _programme_code(programmes, m.programme_id),
        "customerId": str(m.customer_id),
        "tier": _tier_code(programmes, m.programme_id, m.tier_id),
        "tierSince": _time(m.tier_since),
        "pointsBalance": m.points_balance,
        "enrolledAt": _time(m.enrolled_at),
        "tierOverride": None if override is None else {
            "tier": _tier_code(programmes, m.programme_id, override.tier_id),
            "reason": override.reason, "setBy": override.set_by,
            "setAt": _time(override.set_at), "expiresAt": _time(override.expires_at),
        },
    }


def _tier_change(c: TierChange, programmes: Mapping[UUID, Programme]) -> Document:
    return {
        "programme": _programme_code(programmes, c.programme_id),
        "from": _tier_code(programmes, c.programme_id, c.from_tier_id),
        "to": _tier_code(programmes, c.programme_id, c.to_tier_id),
        "reason": c.reason.value, "at": _time(c.occurred_at), "by": c.actor, "note": c.note,
    }


def _purchase(p: Purchase) -> Document:
    return {
        "id": str(p.id), "channel": p.channel.value, "orderId": p.order_id,
        "storeId": str(p.store_id) if p.store_id else None,
        "occurredAt": _time(p.occurred_at), "currency": p.currency,
        "paymentTotal": money_text(p.payment_total, p.currency), "pointsEarned": p.points,
        "lines": [{"lineNo": line.line_no, "sku": line.sku, "name": line.name,
                   "category": line.category, "quantity": line.quantity,
                   "unitPrice": money_text(line.unit_price, p.currency),
                   "discount": money_text(line.discount, p.currency),
                   "points": line.points, "returnedQuantity": line.refunded_quantity}
                  for line in p.lines],
        "returns": [{"refundRef": r.refund_ref, "occurredAt": _time(r.occurred_at),
                     "amount": money_text(r.amount, p.currency), "points": r.points}
                    for r in p.refunds],
    }


def _entry(e: LedgerEntry, programmes: Mapping[UUID, Programme]) -> Document:
    return {
        "id": str(e.id), "programme": _programme_code(programmes, e.programme_id),
        "kind": e.kind.value, "points": e.points, "occurredAt": _time(e.occurred_at),
        "recordedAt": _time(e.recorded_at), "by": e.actor, "reason": e.reason,
        "expiresAt": _time(e.expires_at), "orderRef": e.order_ref,
        "moneyValue": _money_value(e, programmes),
    }


def _money_value(e: LedgerEntry, programmes: Mapping[UUID, Programme]) -> str | None:
    """What the points paid, in their programme's currency."""
    programme = programmes.get(e.programme_id)
    if e.money_value is None or programme is None:
        return None if e.money_value is None else format(e.money_value, "f")
    return money_text(e.money_value, programme.currency)
