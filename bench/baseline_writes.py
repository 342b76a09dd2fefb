"""The baseline's hand-written `purchaseRecord`: raw asyncpg, one transaction, the same rows
Rapport's use case writes (domain/loyalty/purchases.py `record_purchase`):

1. the idempotency key, claimed (`purchaseRecord:<channel>`, the order id) and completed;
2. the customer checked (exists, not erased; a merged duplicate's id finds the survivor);
3. the membership locked (`FOR UPDATE`), or enrolled in the entry tier with its history row
   and `LoyaltyMemberEnrolled`;
4. the purchase and its lines, each line's points = net * base rate * tier multiplier *
   the best bonus (category/campaign, birthday month), rounded down;
5. the `EARN` ledger entry and its lot (a negative balance paid back first);
6. the qualifying spend of the rolling window, and a live upgrade with its history row and
   `LoyaltyTierChanged`;
7. the membership's balance, tier and grace;
8. the timeline interaction (and the customer's `last_interaction_at`), the outbox events
   (`PointsEarned`, `PurchaseRecorded`) and the mutation's audit entry.

The programme is read once per process (a hand-written service would cache it too). The
answer has the shape of Rapport's, for the bench's document.
"""

import calendar
import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import orjson

from domain.shared.ids import global_id, new_id, parse_global_id

PROGRAMME_CODE = "rapport-rewards"
ACTOR = "anonymous"  # the subject of a caller without credentials, as Rapport logs it


@dataclass(frozen=True)
class Tier:
    id: UUID
    rank: int
    threshold: Decimal
    earn_multiplier: Decimal


@dataclass(frozen=True)
class Bonus:
    multiplier: Decimal
    category: str | None
    starts_on: date | None
    ends_on: date | None

    def applies(self, category: str | None, on: date) -> bool:
        return ((self.category is None or self.category == category)
                and (self.starts_on is None or on >= self.starts_on)
                and (self.ends_on is None or on <= self.ends_on))


@dataclass(frozen=True)
class Programme:
    id: UUID
    tiers: tuple[Tier, ...]  # by rank
    points_per_unit: Decimal
    birthday_multiplier: Decimal
    expire_after_months: int | None
    bonuses: tuple[Bonus, ...]
    zone: ZoneInfo  # where its campaign days and birthday months are read

    def tier(self, tier_id: UUID) -> Tier:
        return next(t for t in self.tiers if t.id == tier_id)

    def tier_for(self, spend: Decimal) -> Tier:
        return [t for t in self.tiers if spend >= t.threshold][-1]


_programmes: dict[str, Programme] = {}


async def _programme(connection: asyncpg.Connection) -> Programme:
    if PROGRAMME_CODE not in _programmes:
        row = await connection.fetchrow(
            "SELECT id, points_per_unit, birthday_multiplier, points_expire_after_months, "
            "bonus_rules, time_zone FROM loyalty_programmes WHERE code = $1", PROGRAMME_CODE)
        tiers = await connection.fetch(
            "SELECT id, rank, threshold, earn_multiplier FROM loyalty_tiers "
            "WHERE programme_id = $1 ORDER BY rank", row["id"])
        _programmes[PROGRAMME_CODE] = Programme(
            row["id"], tuple(Tier(*t) for t in tiers), row["points_per_unit"],
            row["birthday_multiplier"], row["points_expire_after_months"],
            tuple(_bonus(rule) for rule in orjson.loads(row["bonus_rules"])),
            ZoneInfo(row["time_zone"]))
    return _programmes[PROGRAMME_CODE]


def _bonus(rule: dict[str, Any]) -> Bonus:
    def day(text: str | None) -> date | None:
        return date.fromisoformat(text) if text else None

    return Bonus(Decimal(rule["multiplier"]), rule.get("category"), day(rule.get("starts_on")),
                 day(rule.get("ends_on")))


def _months_later(moment: datetime, months: int) -> datetime:
    """The same day `months` later (or earlier); the 31st becomes the month's last."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _line_points(programme: Programme, tier: Tier, net: Decimal, category: str | None,
                 on: date, birthday: bool) -> int:
    if net <= 0:
        return 0
    bonus = max([Decimal(1), *(b.multiplier for b in programme.bonuses
                               if b.applies(category, on)),
                 *([programme.birthday_multiplier] if birthday else [])])
    raw = net * programme.points_per_unit * tier.earn_multiplier * bonus
    return int(raw.to_integral_value(rounding=ROUND_DOWN))


def _customer_uuid(customer_id: str) -> UUID:
    parsed = parse_global_id(customer_id)
    assert parsed is not None, customer_id
    kind, value = parsed
    assert kind == "Customer", customer_id
    return value


def _answer(purchase_id: UUID, points: int, replayed: bool) -> bytes:
    return orjson.dumps({"data": {"purchaseRecord": {
        "purchase": {"id": global_id("Purchase", purchase_id), "pointsEarned": points},
        "replayed": replayed, "userErrors": []}}})


def _refused(field: str, code: str, message: str) -> bytes:
    return orjson.dumps({"data": {"purchaseRecord": {
        "purchase": None, "replayed": None,
        "userErrors": [{"field": [field], "code": code, "message": message}]}}})


async def record_purchase(pool: asyncpg.Pool, variables: dict[str, Any]) -> bytes:
    """The purchase recorded, or refused as a userError (its transaction rolled back)."""
    try:
        return await _record(pool, variables["input"])
    except _Refusal as refusal:
        return refusal.answer


async def _record(pool: asyncpg.Pool, given: dict[str, Any]) -> bytes:
    scope, order_id = f"purchaseRecord:{given['channel']}", given["orderId"]
    fingerprint = hashlib.sha256(orjson.dumps(given, option=orjson.OPT_SORT_KEYS)).hexdigest()
    async with pool.acquire() as connection, connection.transaction():
        programme = await _programme(connection)
        claimed = await connection.fetchval(
            "INSERT INTO idempotency_keys (scope, key, fingerprint) VALUES ($1, $2, $3) "
            "ON CONFLICT DO NOTHING RETURNING true", scope, order_id, fingerprint)
        if not claimed:
            return await _replay(connection, scope, order_id, fingerprint)
        customer = await connection.fetchrow(
            "SELECT coalesce(s.id, c.id) AS id, coalesce(s.birth_date, c.birth_date) AS birth_date,"
            " coalesce(s.erased_at, c.erased_at) AS erased_at FROM customers c "
            "LEFT JOIN customers s ON s.id = c.merged_into_id WHERE c.id = $1",
            _customer_uuid(given["customerId"]))
        if customer is None or customer["erased_at"] is not None:
            raise _Refusal("customerId", "NOT_FOUND", "customer does not exist")
        now = datetime.now(UTC)
        written = _Writes(programme, customer["id"], now)
        membership = await written.locked_membership(connection)
        purchase = written.purchase(given, membership, customer["birth_date"], fingerprint)
        await written.insert_purchase(connection, purchase)
        balance = await written.earn(connection, purchase, membership)
        await written.upgrade(connection, membership)
        await connection.execute(
            "UPDATE loyalty_memberships SET points_balance = $3, tier_id = $4, tier_since = $5,"
            " downgrade_due_at = $6 WHERE programme_id = $1 AND customer_id = $2",
            programme.id, customer["id"], balance, membership["tier_id"],
            membership["tier_since"], membership["downgrade_due_at"])
        await written.timeline_and_events(connection, purchase, balance)
        await connection.execute(
            "UPDATE idempotency_keys SET result_id = $3 WHERE scope = $1 AND key = $2",
            scope, order_id, purchase.id)
        await written.audit(connection, purchase)
    return _answer(purchase.id, purchase.points, replayed=False)


class _Refusal(Exception):
    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.answer = _refused(field, code, message)


async def _replay(connection: asyncpg.Connection, scope: str, key: str,
                  fingerprint: str) -> bytes:
    first = await connection.fetchrow(
        "SELECT k.fingerprint, p.id, p.points FROM idempotency_keys k "
        "JOIN purchases p ON p.id = k.result_id WHERE k.scope = $1 AND k.key = $2", scope, key)
    if first["fingerprint"] != fingerprint:
        raise _Refusal("idempotencyKey", "IDEMPOTENCY_KEY_REUSED",
                       "this idempotency key was already used with a different input")
    return _answer(first["id"], first["points"], replayed=True)


@dataclass
class _Purchase:
    id: UUID
    order_id: str
    channel: str
    occurred_at: datetime
    payment_total: Decimal
    fingerprint: str
    lines: list[tuple[Any, ...]]  # the purchase_lines columns after customer_id
    net_amount: Decimal
    points: int
    earn_entry_id: UUID | None


class _Writes:
    """One purchase's statements, in the order the use case makes them."""

    def __init__(self, programme: Programme, customer_id: UUID, now: datetime) -> None:
        self.programme, self.customer_id, self.now = programme, customer_id, now
        self.events: list[tuple[str, dict[str, Any]]] = []

    async def locked_membership(self, connection: asyncpg.Connection) -> dict[str, Any]:
        query = ("SELECT tier_id, tier_since, retained_tier_id, points_balance, "
                 "downgrade_due_at, override_tier_id, override_expires_at "
                 "FROM loyalty_memberships WHERE programme_id = $1 AND customer_id = $2 "
                 "FOR UPDATE")
        row = await connection.fetchrow(query, self.programme.id, self.customer_id)
        if row is None:
            entry = self.programme.tiers[0].id
            inserted = await connection.fetchval(
                "INSERT INTO loyalty_memberships (programme_id, customer_id, tier_id, tier_since,"
                " retained_tier_id, enrolled_at, points_balance) VALUES ($1, $2, $3, $4, $3, $4,"
                " 0) ON CONFLICT DO NOTHING RETURNING true",
                self.programme.id, self.customer_id, entry, self.now)
            if inserted:
                await self._tier_change(connection, None, entry, "ENROLLED", "system")
                self.events.append(("LoyaltyMemberEnrolled", {
                    "programme_id": str(self.programme.id), "tier_id": str(entry)}))
            row = await connection.fetchrow(query, self.programme.id, self.customer_id)
        return dict(row)

    def _effective_tier(self, membership: dict[str, Any]) -> Tier:
        expires = membership["override_expires_at"]
        if membership["override_tier_id"] is not None and (expires is None or self.now < expires):
            return self.programme.tier(membership["override_tier_id"])
        return self.programme.tier(membership["tier_id"])

    def purchase(self, given: dict[str, Any], membership: dict[str, Any],
                 birth_date: date | None, fingerprint: str) -> _Purchase:
        occurred_at = datetime.fromisoformat(given["occurredAt"]).astimezone(UTC)
        on = occurred_at.astimezone(self.programme.zone).date()
        birthday = birth_date is not None and birth_date.month == on.month
        tier = self._effective_tier(membership)
        lines, net_amount, points = [], Decimal(0), 0
        for number, line in enumerate(given["lines"], start=1):
            quantity, price = line["quantity"], Decimal(line["unitPrice"])
            discount = Decimal(line.get("discount") or 0)
            net = quantity * price - discount
            earned = _line_points(self.programme, tier, net, line.get("category"), on, birthday)
            lines.append((number, line["sku"], line.get("name"), line.get("category"), quantity,
                          price, discount, None, earned))
            net_amount, points = net_amount + net, points + earned
        return _Purchase(new_id(), given["orderId"], given["channel"], occurred_at,
                         Decimal(given["paymentTotal"]), fingerprint, lines, net_amount, points,
                         new_id() if points > 0 else None)

    async def insert_purchase(self, connection: asyncpg.Connection, purchase: _Purchase) -> None:
        await connection.execute(
            "INSERT INTO purchases (id, programme_id, customer_id, channel, order_id, "
            "occurred_at, recorded_at, currency, payment_total, fingerprint, earn_entry_id, "
            "net_amount, points) VALUES ($1, $2, $3, $4, $5, $6, $7, 'CNY', $8, $9, $10, $11, $12)",
            purchase.id, self.programme.id, self.customer_id, purchase.channel,
            purchase.order_id, purchase.occurred_at, self.now, purchase.payment_total,
            purchase.fingerprint, purchase.earn_entry_id, purchase.net_amount, purchase.points)
        await connection.executemany(
            "INSERT INTO purchase_lines (purchase_id, customer_id, line_no, sku, name, category,"
            " quantity, unit_price, discount, margin, points) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            [(purchase.id, self.customer_id, *line) for line in purchase.lines])

    async def earn(self, connection: asyncpg.Connection, purchase: _Purchase,
                   membership: dict[str, Any]) -> int:
        """The EARN entry and its lot; the balance after it."""
        before = membership["points_balance"]
        if purchase.earn_entry_id is None:
            return int(before)
        months = self.programme.expire_after_months
        expires_at = _months_later(purchase.occurred_at, months) if months else None
        await connection.execute(
            "INSERT INTO loyalty_ledger (id, programme_id, customer_id, kind, points, "
            "occurred_at, recorded_at, actor, purchase_id, expires_at) "
            "VALUES ($1, $2, $3, 'EARN', $4, $5, $6, $7, $8, $9)",
            purchase.earn_entry_id, self.programme.id, self.customer_id, purchase.points,
            purchase.occurred_at, self.now, ACTOR, purchase.id, expires_at)
        await connection.execute(
            "INSERT INTO loyalty_point_lots (entry_id, programme_id, customer_id, earned_at, "
            "expires_at, points, remaining) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            purchase.earn_entry_id, self.programme.id, self.customer_id, purchase.occurred_at,
            expires_at, purchase.points, max(0, purchase.points + min(0, before)))
        balance = int(before) + purchase.points
        self.events.append(("PointsEarned", {
            "programme_id": str(self.programme.id), "entry_id": str(purchase.earn_entry_id),
            "points": purchase.points, "balance": balance}))
        return balance

    async def upgrade(self, connection: asyncpg.Connection, membership: dict[str, Any]) -> None:
        """A live upgrade when the rolling 12 months' spend crossed a threshold."""
        spend = await connection.fetchval(
            "SELECT coalesce(sum(net_amount - refunded_amount), 0) FROM purchases "
            "WHERE programme_id = $1 AND customer_id = $2 AND occurred_at >= $3",
            self.programme.id, self.customer_id, _months_later(self.now, -12))
        qualified, current = self.programme.tier_for(spend), self.programme.tier(
            membership["tier_id"])
        if qualified.rank >= current.rank:
            membership["downgrade_due_at"] = None
        if qualified.rank > current.rank:
            before = self._effective_tier(membership)
            membership["tier_id"], membership["tier_since"] = qualified.id, self.now
            after = self._effective_tier(membership)
            await self._tier_change(connection, before.id, after.id, "QUALIFIED", ACTOR)
            self.events.append(("LoyaltyTierChanged", {
                "programme_id": str(self.programme.id), "from_tier_id": str(before.id),
                "to_tier_id": str(after.id), "reason": "QUALIFIED"}))

    async def _tier_change(self, connection: asyncpg.Connection, from_tier: UUID | None,
                           to_tier: UUID, reason: str, actor: str) -> None:
        await connection.execute(
            "INSERT INTO loyalty_tier_changes (programme_id, customer_id, from_tier_id, "
            "to_tier_id, reason, occurred_at, actor) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            self.programme.id, self.customer_id, from_tier, to_tier, reason, self.now, actor)

    async def timeline_and_events(self, connection: asyncpg.Connection, purchase: _Purchase,
                                  balance: int) -> None:
        sale = {"purchase_id": str(purchase.id), "order_id": purchase.order_id,
                "amount": str(purchase.net_amount), "currency": "CNY",
                "points": purchase.points}
        await connection.execute(
            "INSERT INTO interactions (id, customer_id, channel, direction, kind, occurred_at, "
            "recorded_at, payload) VALUES ($1, $2, $3, 'INBOUND', 'purchase', $4, $5, $6)",
            new_id(), self.customer_id, purchase.channel, purchase.occurred_at, self.now,
            orjson.dumps(sale).decode())
        await connection.execute(
            "UPDATE customers SET last_interaction_at = greatest(last_interaction_at, $2) "
            "WHERE id = $1", self.customer_id, purchase.occurred_at)
        self.events.append(("PurchaseRecorded", {
            **sale, "channel": purchase.channel,
            "occurred_at": purchase.occurred_at.isoformat()}))
        await connection.executemany(
            "INSERT INTO outbox (name, aggregate_id, occurred_at, data) VALUES ($1, $2, $3, $4)",
            [(name, self.customer_id, self.now, orjson.dumps(data).decode())
             for name, data in self.events])

    async def audit(self, connection: asyncpg.Connection, purchase: _Purchase) -> None:
        await connection.execute(
            "INSERT INTO audit_log (at, action, operation, subject, role, target_ids, outcome)"
            " VALUES ($1, 'MUTATION', 'record_purchase', $2, 'ADMIN', $3, 'OK')",
            self.now, ACTOR, [self.customer_id, purchase.id])

