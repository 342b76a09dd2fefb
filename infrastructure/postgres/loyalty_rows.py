"""Loyalty rows ↔ domain objects, and the loads both the repositories and the query services
make: programmes with their tiers and rewards, purchases with their lines and refunds, each
in a fixed number of statements whatever the number of parents."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, any_, func, literal, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.loyalty.model import (
    BonusRule,
    DowngradePolicy,
    LedgerEntry,
    Membership,
    Perk,
    PointLot,
    Programme,
    Purchase,
    PurchaseLine,
    QualificationWindow,
    Refund,
    RefundLine,
    Reward,
    Tier,
    TierChange,
    TierOverride,
)
from infrastructure.postgres.rows import Row, model_row, read_model
from infrastructure.postgres.tables import (
    loyalty_programmes,
    loyalty_rewards,
    loyalty_tier_perk_offers,
    loyalty_tiers,
    purchase_lines,
    purchase_refund_lines,
    purchase_refunds,
    purchases,
)


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
    return model_row(
        programme, omit=("tiers", "rewards", "window", "downgrade"),
        qualification_window=programme.window.value, downgrade_policy=programme.downgrade.value,
        bonus_rules=bonus_rules_to_json(programme.bonus_rules),
    )


def tier_to_row(programme_id: UUID, tier: Tier) -> dict[str, Any]:
    return model_row(tier, programme_id=programme_id, perks=[perk.text for perk in tier.perks])


def perk_offer_rows(tier: Tier) -> list[dict[str, Any]]:
    """The rows of the tier's perks that point at an offer (tables.loyalty_tier_perk_offers)."""
    return [{"tier_id": tier.id, "perk": perk.text, "offer_id": perk.offer_id}
            for perk in tier.perks if perk.offer_id is not None]


def reward_to_row(programme_id: UUID, reward: Reward) -> dict[str, Any]:
    return model_row(reward, programme_id=programme_id)


# A tier row's perks that point at offers, as {perk text: offer id}: read with the tier.
_po = loyalty_tier_perk_offers.c
PERK_OFFERS = (
    select(func.coalesce(func.jsonb_object_agg(_po.perk, _po.offer_id),
                         literal_column("'{}'::jsonb"), type_=JSONB))
    .where(_po.tier_id == loyalty_tiers.c.id)
    .scalar_subquery().label("perk_offers")
)


def tier_from_row(row: Row) -> Tier:
    """From a row of loyalty_tiers with its PERK_OFFERS. A perk whose text has no row is
    plain text, and a row whose text is no perk of the tier (the release before perks
    pointed at offers renamed it) is not read."""
    offers: dict[str, str] = row["perk_offers"]
    return read_model(Tier, row, perks=tuple(
        Perk(text, UUID(offers[text]) if text in offers else None) for text in row["perks"]))


def reward_from_row(row: Row) -> Reward:
    return read_model(Reward, row)


def programme_from_row(row: Row, tiers: Sequence[Tier], rewards: Sequence[Reward]) -> Programme:
    return read_model(
        Programme, row, tiers=tuple(tiers), rewards=tuple(rewards),
        window=QualificationWindow(row["qualification_window"]),
        downgrade=DowngradePolicy(row["downgrade_policy"]),
        bonus_rules=bonus_rules_from_json(row["bonus_rules"]),
    )


def is_default_programme() -> ColumnElement[bool]:
    """The programme used when a caller names none: the oldest (created_at, then id)."""
    _p = loyalty_programmes.c
    oldest = select(_p.id).order_by(_p.created_at, _p.id).limit(1).scalar_subquery()
    return _p.id == oldest


async def load_programmes(
    connection: AsyncConnection, condition: ColumnElement[bool]
) -> list[Programme]:
    """Programmes matching `condition`, oldest first, with tiers (by rank, with the offers
    their perks point at) and rewards (by code): three statements."""
    _p = loyalty_programmes.c
    rows = (await connection.execute(
        select(loyalty_programmes).where(condition).order_by(_p.created_at, _p.id)
    )).mappings().all()
    if not rows:
        return []
    ids = any_of([row["id"] for row in rows])
    tiers: dict[UUID, list[Tier]] = defaultdict(list)
    for tier_row in (await connection.execute(
        select(loyalty_tiers, PERK_OFFERS).where(loyalty_tiers.c.programme_id == ids)
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
    return model_row(
        membership, omit=("override", "events", "tier_changes"),
        override_tier_id=override.tier_id if override else None,
        override_reason=override.reason if override else None,
        override_set_by=override.set_by if override else None,
        override_set_at=override.set_at if override else None,
        override_expires_at=override.expires_at if override else None,
    )


def membership_from_row(row: Row) -> Membership:
    override = None
    if row["override_tier_id"] is not None:
        override = TierOverride(
            tier_id=row["override_tier_id"], reason=row["override_reason"],
            set_by=row["override_set_by"], set_at=row["override_set_at"],
            expires_at=row["override_expires_at"])
    return read_model(Membership, row, override=override, events=[], tier_changes=[])


def tier_change_to_row(change: TierChange) -> dict[str, Any]:
    return model_row(change)


def tier_change_from_row(row: Row) -> TierChange:
    return read_model(TierChange, row)


def entry_to_row(entry: LedgerEntry) -> dict[str, Any]:
    return model_row(entry)


def entry_from_row(row: Row) -> LedgerEntry:
    return read_model(LedgerEntry, row)


def lot_to_row(lot: PointLot) -> dict[str, Any]:
    return model_row(lot)


def lot_from_row(row: Row) -> PointLot:
    return read_model(PointLot, row)


# --- purchases ------------------------------------------------------------------------------


def purchase_to_row(purchase: Purchase) -> dict[str, Any]:
    """With what is derived from the lines and refunds, for reads that don't load them."""
    return model_row(
        purchase, omit=("lines", "refunds"), net_amount=purchase.net_amount,
        points=purchase.points, refunded_amount=purchase.refunded_amount,
        refunded_points=sum(refund.points for refund in purchase.refunds),
    )


def purchase_line_to_row(purchase: Purchase, line: PurchaseLine) -> dict[str, Any]:
    """With her id, as every row of a customer's carries it (DESIGN.md §9)."""
    return model_row(line, purchase_id=purchase.id, customer_id=purchase.customer_id)


def _purchase_line_from_row(row: Row) -> PurchaseLine:
    return read_model(PurchaseLine, row)


def purchase_from_row(row: Row, lines: Sequence[PurchaseLine],
                      refunds: Sequence[Refund]) -> Purchase:
    return read_model(Purchase, row, lines=tuple(lines), refunds=tuple(refunds))


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
