"""Loyalty rows ↔ domain objects, and the loads both the repositories and the query services
make: programmes with their tiers and rewards, purchases with their lines and refunds, each
in a fixed number of statements whatever the number of parents."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import fields
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, any_, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.loyalty.model import (
    BonusRule,
    DowngradePolicy,
    LedgerEntry,
    LedgerKind,
    Membership,
    PointLot,
    Programme,
    Purchase,
    PurchaseLine,
    QualificationWindow,
    QualifyingMeasure,
    Refund,
    RefundLine,
    Reward,
    SalesChannel,
    Tier,
    TierChange,
    TierChangeReason,
    TierOverride,
)
from infrastructure.postgres.tables import (
    loyalty_programmes,
    loyalty_rewards,
    loyalty_tiers,
    purchase_lines,
    purchase_refund_lines,
    purchase_refunds,
    purchases,
)

LEDGER_COLUMNS = tuple(f.name for f in fields(LedgerEntry))
LOT_COLUMNS = tuple(f.name for f in fields(PointLot))


def any_of(ids: Sequence[UUID]) -> ColumnElement[Any]:
    """`= ANY(:ids)` operand: one bind parameter however many ids."""
    return any_(literal(list(ids), ARRAY(PgUUID(as_uuid=True))))


# --- programmes ------------------------------------------------------------------------


def _optional_date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def bonus_rules_to_json(rules: Sequence[BonusRule]) -> list[dict[str, Any]]:
    """Decimals and dates as strings: JSON numbers would go through floats."""
    return [
        {"name": r.name, "multiplier": str(r.multiplier), "category": r.category,
         "starts_on": r.starts_on.isoformat() if r.starts_on else None,
         "ends_on": r.ends_on.isoformat() if r.ends_on else None}
        for r in rules
    ]


def bonus_rules_from_json(items: Sequence[dict[str, Any]]) -> tuple[BonusRule, ...]:
    return tuple(
        BonusRule(name=item["name"], multiplier=Decimal(item["multiplier"]),
                  category=item.get("category"), starts_on=_optional_date(item.get("starts_on")),
                  ends_on=_optional_date(item.get("ends_on")))
        for item in items
    )


def programme_to_row(programme: Programme) -> dict[str, Any]:
    return {
        "id": programme.id, "code": programme.code, "name": programme.name,
        "currency": programme.currency, "measure": programme.measure.value,
        "qualification_window": programme.window.value,
        "downgrade_policy": programme.downgrade.value, "grace_months": programme.grace_months,
        "points_per_unit": programme.points_per_unit,
        "birthday_multiplier": programme.birthday_multiplier,
        "points_expire_after_months": programme.points_expire_after_months,
        "point_value": programme.point_value, "time_zone": programme.time_zone,
        "bonus_rules": bonus_rules_to_json(programme.bonus_rules),
        "version": programme.version, "created_at": programme.created_at,
        "updated_at": programme.updated_at,
    }


def tier_to_row(programme_id: UUID, tier: Tier) -> dict[str, Any]:
    return {"id": tier.id, "programme_id": programme_id, "code": tier.code, "name": tier.name,
            "rank": tier.rank, "threshold": tier.threshold,
            "discount_percent": tier.discount_percent, "earn_multiplier": tier.earn_multiplier,
            "perks": list(tier.perks)}


def reward_to_row(programme_id: UUID, reward: Reward) -> dict[str, Any]:
    return {"id": reward.id, "programme_id": programme_id, "code": reward.code,
            "name": reward.name, "description": reward.description,
            "points_cost": reward.points_cost, "active": reward.active}


def tier_from_row(row: Any) -> Tier:
    return Tier(id=row["id"], code=row["code"], name=row["name"], rank=row["rank"],
                threshold=row["threshold"], discount_percent=row["discount_percent"],
                earn_multiplier=row["earn_multiplier"], perks=tuple(row["perks"]))


def reward_from_row(row: Any) -> Reward:
    return Reward(id=row["id"], code=row["code"], name=row["name"],
                  points_cost=row["points_cost"], description=row["description"],
                  active=row["active"])


def programme_from_row(row: Any, tiers: Sequence[Tier], rewards: Sequence[Reward]) -> Programme:
    return Programme(
        id=row["id"], code=row["code"], name=row["name"], currency=row["currency"],
        tiers=tuple(tiers), measure=QualifyingMeasure(row["measure"]),
        window=QualificationWindow(row["qualification_window"]),
        downgrade=DowngradePolicy(row["downgrade_policy"]), grace_months=row["grace_months"],
        points_per_unit=row["points_per_unit"], birthday_multiplier=row["birthday_multiplier"],
        points_expire_after_months=row["points_expire_after_months"],
        point_value=row["point_value"], time_zone=row["time_zone"],
        bonus_rules=bonus_rules_from_json(row["bonus_rules"]),
        rewards=tuple(rewards), version=row["version"], created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def is_default_programme() -> ColumnElement[bool]:
    """The programme used when a caller names none: the oldest (created_at, then id)."""
    _p = loyalty_programmes.c
    oldest = select(_p.id).order_by(_p.created_at, _p.id).limit(1).scalar_subquery()
    return _p.id == oldest


async def load_programmes(
    connection: AsyncConnection, condition: ColumnElement[bool]
) -> list[Programme]:
    """Programmes matching `condition`, oldest first, with tiers (by rank) and rewards (by
    code): three statements."""
    _p = loyalty_programmes.c
    rows = (await connection.execute(
        select(loyalty_programmes).where(condition).order_by(_p.created_at, _p.id)
    )).mappings().all()
    if not rows:
        return []
    ids = any_of([row["id"] for row in rows])
    tiers: dict[UUID, list[Tier]] = defaultdict(list)
    for tier_row in (await connection.execute(
        select(loyalty_tiers).where(loyalty_tiers.c.programme_id == ids)
        .order_by(loyalty_tiers.c.rank)
    )).mappings():
        tiers[tier_row["programme_id"]].append(tier_from_row(tier_row))
    rewards: dict[UUID, list[Reward]] = defaultdict(list)
    for reward_row in (await connection.execute(
        select(loyalty_rewards).where(loyalty_rewards.c.programme_id == ids)
        .order_by(loyalty_rewards.c.code)
    )).mappings():
        rewards[reward_row["programme_id"]].append(reward_from_row(reward_row))
    return [programme_from_row(row, tiers[row["id"]], rewards[row["id"]]) for row in rows]


# --- members, ledger, lots --------------------------------------------------------------------


def membership_to_row(membership: Membership) -> dict[str, Any]:
    override = membership.override
    return {
        "programme_id": membership.programme_id, "customer_id": membership.customer_id,
        "tier_id": membership.tier_id, "tier_since": membership.tier_since,
        "retained_tier_id": membership.retained_tier_id, "enrolled_at": membership.enrolled_at,
        "points_balance": membership.points_balance,
        "downgrade_due_at": membership.downgrade_due_at,
        "override_tier_id": override.tier_id if override else None,
        "override_reason": override.reason if override else None,
        "override_set_by": override.set_by if override else None,
        "override_set_at": override.set_at if override else None,
        "override_expires_at": override.expires_at if override else None,
        "reviewed_through": membership.reviewed_through,
    }


def membership_from_row(row: Any) -> Membership:
    override = None
    if row["override_tier_id"] is not None:
        override = TierOverride(
            tier_id=row["override_tier_id"], reason=row["override_reason"],
            set_by=row["override_set_by"], set_at=row["override_set_at"],
            expires_at=row["override_expires_at"])
    return Membership(
        customer_id=row["customer_id"], programme_id=row["programme_id"],
        tier_id=row["tier_id"], tier_since=row["tier_since"],
        retained_tier_id=row["retained_tier_id"], enrolled_at=row["enrolled_at"],
        points_balance=row["points_balance"], downgrade_due_at=row["downgrade_due_at"],
        override=override, reviewed_through=row["reviewed_through"],
    )


def tier_change_to_row(change: TierChange) -> dict[str, Any]:
    return {"programme_id": change.programme_id, "customer_id": change.customer_id,
            "from_tier_id": change.from_tier_id, "to_tier_id": change.to_tier_id,
            "reason": change.reason.value, "occurred_at": change.occurred_at,
            "actor": change.actor, "note": change.note}


def tier_change_from_row(row: Any) -> TierChange:
    return TierChange(
        customer_id=row["customer_id"], programme_id=row["programme_id"],
        from_tier_id=row["from_tier_id"], to_tier_id=row["to_tier_id"],
        reason=TierChangeReason(row["reason"]), occurred_at=row["occurred_at"],
        actor=row["actor"], note=row["note"])


def entry_to_row(entry: LedgerEntry) -> dict[str, Any]:
    row = {name: getattr(entry, name) for name in LEDGER_COLUMNS}
    row["kind"] = entry.kind.value
    return row


def entry_from_row(row: Any) -> LedgerEntry:
    values = {name: row[name] for name in LEDGER_COLUMNS}
    values["kind"] = LedgerKind(row["kind"])
    return LedgerEntry(**values)


def lot_to_row(lot: PointLot) -> dict[str, Any]:
    return {name: getattr(lot, name) for name in LOT_COLUMNS}


def lot_from_row(row: Any) -> PointLot:
    return PointLot(**{name: row[name] for name in LOT_COLUMNS})


# --- purchases ------------------------------------------------------------------------------


def purchase_to_row(purchase: Purchase) -> dict[str, Any]:
    return {
        "id": purchase.id, "programme_id": purchase.programme_id,
        "customer_id": purchase.customer_id, "channel": purchase.channel.value,
        "order_id": purchase.order_id, "store_id": purchase.store_id,
        "occurred_at": purchase.occurred_at, "recorded_at": purchase.recorded_at,
        "currency": purchase.currency, "payment_total": purchase.payment_total,
        "fingerprint": purchase.fingerprint, "earn_entry_id": purchase.earn_entry_id,
        "net_amount": purchase.net_amount, "points": purchase.points,
        "refunded_amount": purchase.refunded_amount,
        "refunded_points": sum(refund.points for refund in purchase.refunds),
    }


def purchase_line_to_row(purchase_id: UUID, line: PurchaseLine) -> dict[str, Any]:
    return {"purchase_id": purchase_id, "line_no": line.line_no, "sku": line.sku,
            "name": line.name, "category": line.category, "quantity": line.quantity,
            "unit_price": line.unit_price, "discount": line.discount, "margin": line.margin,
            "points": line.points, "refunded_quantity": line.refunded_quantity}


def _purchase_line_from_row(row: Any) -> PurchaseLine:
    return PurchaseLine(
        line_no=row["line_no"], sku=row["sku"], quantity=row["quantity"],
        unit_price=row["unit_price"], discount=row["discount"], name=row["name"],
        category=row["category"], margin=row["margin"], points=row["points"],
        refunded_quantity=row["refunded_quantity"])


def purchase_from_row(row: Any, lines: Sequence[PurchaseLine],
                      refunds: Sequence[Refund]) -> Purchase:
    return Purchase(
        id=row["id"], programme_id=row["programme_id"], customer_id=row["customer_id"],
        channel=SalesChannel(row["channel"]), order_id=row["order_id"],
        occurred_at=row["occurred_at"], recorded_at=row["recorded_at"],
        currency=row["currency"], payment_total=row["payment_total"], lines=tuple(lines),
        fingerprint=row["fingerprint"], store_id=row["store_id"],
        earn_entry_id=row["earn_entry_id"], refunds=tuple(refunds))


async def purchases_with_children(
    connection: AsyncConnection, rows: Sequence[Any]
) -> list[Purchase]:
    """The purchases of `rows` (purchase rows, in the order wanted) with their lines and
    refunds: two statements more, however many purchases."""
    if not rows:
        return []
    ids = any_of([row["id"] for row in rows])
    lines: dict[UUID, list[PurchaseLine]] = defaultdict(list)
    for line_row in (await connection.execute(
        select(purchase_lines).where(purchase_lines.c.purchase_id == ids)
        .order_by(purchase_lines.c.purchase_id, purchase_lines.c.line_no)
    )).mappings():
        lines[line_row["purchase_id"]].append(_purchase_line_from_row(line_row))
    refunds = await _refunds_of(connection, ids)
    return [purchase_from_row(row, lines[row["id"]], refunds[row["id"]]) for row in rows]


async def _refunds_of(
    connection: AsyncConnection, purchase_ids: ColumnElement[Any]
) -> dict[UUID, list[Refund]]:
    """Refunds in the order they were recorded, each with its lines: one joined statement."""
    _r, _rl = purchase_refunds.c, purchase_refund_lines.c
    rows = (await connection.execute(
        select(_r.id, _r.purchase_id, _r.refund_ref, _r.occurred_at, _r.recorded_at,
               _rl.line_no, _rl.quantity, _rl.amount, _rl.points)
        .select_from(purchase_refunds.join(purchase_refund_lines, _rl.refund_id == _r.id))
        .where(_r.purchase_id == purchase_ids)
        .order_by(_r.purchase_id, _r.recorded_at, _r.id, _rl.line_no)
    )).mappings().all()
    heads: dict[UUID, Any] = {}
    lines: dict[UUID, list[RefundLine]] = defaultdict(list)
    for row in rows:
        heads.setdefault(row["id"], row)
        lines[row["id"]].append(
            RefundLine(row["line_no"], row["quantity"], row["amount"], row["points"]))
    refunds: dict[UUID, list[Refund]] = defaultdict(list)
    for refund_id, head in heads.items():
        refunds[head["purchase_id"]].append(Refund(
            id=refund_id, purchase_id=head["purchase_id"], refund_ref=head["refund_ref"],
            occurred_at=head["occurred_at"], recorded_at=head["recorded_at"],
            lines=tuple(lines[refund_id])))
    return refunds


async def load_purchases(
    connection: AsyncConnection, condition: ColumnElement[bool]
) -> list[Purchase]:
    rows = (await connection.execute(select(purchases).where(condition))).mappings().all()
    return await purchases_with_children(connection, rows)
