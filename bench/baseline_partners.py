"""The baseline's partner counter, hand-written in raw asyncpg: `grantValidate` and
`grantRedeem` as a service written for them alone would do them, authenticated the same
way as Rapport (the same key, checked by the same one statement as
infrastructure/postgres/api_keys.py, last use noted at most once a minute).

`grantRedeem` is one transaction with the writes of domain/partners/redemptions.py
`redeem_grant`:

1. the partner (active) and the caller's failed lookups of the last hour and minute, in
   one statement;
2. the grant locked by its code (`FOR UPDATE`), with its offer's cost; another partner's
   code, or none, is a miss, counted and committed, answered `UNKNOWN_CODE`;
3. an earlier redemption with the partner's idempotency key replays it;
4. the grant's state and expiry checked (`ALREADY_REDEEMED`, `EXPIRED`, `REVOKED`);
5. the redemption inserted, the grant marked redeemed;
6. the settlement period opened and held `FOR SHARE` (a close waits for it), the first open
   one from the month of now; the settlement entry of what the brand owes;
7. the `GrantRedeemed` outbox event and the mutation's audit entry.

`grantValidate` reads the partner and the misses, then the grant with its offer and what
the member shares (her given name and tier, when she consented to partner sharing), in one
statement besides authentication. It writes nothing: Rapport's use case wiring appends an
audit entry for the validation (as for any use case), which a counter's read needs no more
than the reads of bench/baseline_reads.py do, so the baseline leaves it out and the
statements column shows what it costs.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from domain.access.model import PresentedKey
from domain.partners import codes
from domain.partners.commands import RedeemGrant
from domain.partners.model import CostSharing, Payer, period_of
from domain.partners.redemptions import MISSES_PER_HOUR, MISSES_PER_MINUTE
from domain.shared.idempotency import fingerprint
from domain.shared.ids import global_id, new_id

LAST_USED_RESOLUTION = timedelta(minutes=1)

_VERIFY = """
WITH found AS (
    SELECT k.id AS key_id, k.secret_hash, c.id AS client_id, c.name, c.role, c.partner_code
    FROM api_keys AS k JOIN api_clients AS c ON c.id = k.client_id
    LEFT JOIN partners AS p ON p.code = c.partner_code
    WHERE k.prefix = $1
      AND k.revoked_at IS NULL AND c.revoked_at IS NULL
      AND (k.expires_at IS NULL OR k.expires_at > $2)
      AND (c.role <> 'PARTNER' OR p.status = 'ACTIVE')
), touched AS (
    UPDATE api_keys SET last_used_at = $2
    FROM found
    WHERE api_keys.id = found.key_id AND found.secret_hash = $3
      AND (api_keys.last_used_at IS NULL OR api_keys.last_used_at < $4)
)
SELECT key_id, secret_hash, client_id, name, role, partner_code FROM found
"""

# The partner of the key, and how many codes the key looked up in vain lately.
_PARTNER_AND_MISSES = """
SELECT p.id, p.currency, p.status,
       (SELECT count(*) FROM partner_code_misses WHERE caller = $2 AND at >= $3) AS hour,
       (SELECT count(*) FROM partner_code_misses WHERE caller = $2 AND at >= $4) AS minute
FROM partners p WHERE p.code = $1
"""

_LOCK_GRANT = """
SELECT g.id, g.partner_id, g.offer_id, g.customer_id, g.state, g.expires_at,
       o.cost_payer, o.cost_unit, o.cost_brand_share
FROM partner_grants g JOIN partner_offers o ON o.id = g.offer_id
WHERE g.code = $1 FOR UPDATE OF g
"""

_AT_COUNTER = """
SELECT g.partner_id, g.state, g.expires_at, o.id AS offer_id, o.title, o.benefit_kind,
       o.benefit_item, shares.ok AS shares,
       CASE WHEN shares.ok THEN c.given_name END AS first_name,
       CASE WHEN shares.ok THEN (
           SELECT t.name FROM loyalty_memberships m
           JOIN loyalty_tiers t ON t.id = CASE
               WHEN m.override_tier_id IS NOT NULL
                    AND (m.override_expires_at IS NULL OR m.override_expires_at > $2)
               THEN m.override_tier_id ELSE m.tier_id END
           WHERE m.customer_id = g.customer_id AND m.programme_id = coalesce(
               (SELECT id FROM loyalty_programmes WHERE code = o.eligible_programme_code),
               (SELECT id FROM loyalty_programmes ORDER BY created_at, id LIMIT 1)))
       END AS tier_name
FROM partner_grants g
JOIN partner_offers o ON o.id = g.offer_id
JOIN customers c ON c.id = g.customer_id
CROSS JOIN LATERAL (SELECT c.erased_at IS NULL AND EXISTS (
    SELECT 1 FROM contact_points cp WHERE cp.customer_id = c.id
    AND cp.consents @> '[{"purpose": "PARTNER_SHARING", "granted": true}]'::jsonb) AS ok
) AS shares
WHERE g.code = $1
"""

_STATE_PROBLEM = {"REDEEMED": "ALREADY_REDEEMED", "EXPIRED": "EXPIRED", "REVOKED": "REVOKED"}
_PROBLEMS = {"ALREADY_REDEEMED": "this grant was redeemed already",
             "EXPIRED": "this grant has expired", "REVOKED": "this grant was revoked"}


@dataclass(frozen=True)
class Caller:
    client_id: UUID
    subject: str  # as Rapport names it in the audit log and on the redemption
    partner_code: str

    @property
    def misses_key(self) -> str:
        return f"client:{self.client_id}"


class _Refusal(Exception):
    def __init__(self, answer: bytes) -> None:
        self.answer = answer


def _unauthenticated() -> bytes:
    return orjson.dumps({"errors": [{"message": "this API key is not valid"}]})


async def authenticate(pool: asyncpg.Pool, authorization: str | None) -> Caller | None:
    """The partner client of `Authorization: Bearer rk_…`, or None."""
    scheme, _, presented = (authorization or "").partition(" ")
    key = PresentedKey.parse(presented) if scheme.lower() == "bearer" else None
    if key is None:
        return None
    now = datetime.now(UTC)
    row = await pool.fetchrow(_VERIFY, key.prefix, now, key.secret_hash,
                              now - LAST_USED_RESOLUTION)
    if row is None or not key.matches(row["secret_hash"]) or row["role"] != "PARTNER":
        return None
    return Caller(row["client_id"], f"client:{row['name']}", row["partner_code"])


async def _partner(connection: asyncpg.Connection, caller: Caller, now: datetime,
                   field: str, answer: Any) -> asyncpg.Record:
    """The caller's partner, active, and not locked out for guessing."""
    row = await connection.fetchrow(_PARTNER_AND_MISSES, caller.partner_code,
                                    caller.misses_key, now - timedelta(hours=1),
                                    now - timedelta(minutes=1))
    if row is None:
        raise _Refusal(answer((), "NOT_ALLOWED", "this API client's partner does not exist"))
    if row["status"] != "ACTIVE":
        raise _Refusal(answer((), "SUSPENDED", "your partnership is suspended"))
    if row["hour"] >= MISSES_PER_HOUR or row["minute"] >= MISSES_PER_MINUTE:
        raise _Refusal(answer((field,), "TOO_MANY_ATTEMPTS", "too many unknown codes"))
    return row


# --- grantValidate ----------------------------------------------------------------------

def _check(code: str, problem: str | None, row: asyncpg.Record | None = None) -> bytes:
    shown = codes.displayed(code) if row is not None else code
    member = None
    offer = None
    if row is not None:
        offer = {"id": global_id("Offer", row["offer_id"]), "title": row["title"],
                 "benefit": {"kind": row["benefit_kind"], "item": row["benefit_item"]}}
        if row["shares"]:
            member = {"firstName": row["first_name"], "tierName": row["tier_name"]}
    return orjson.dumps({"data": {"grantValidate": {
        "code": shown, "valid": problem is None, "problem": problem,
        "expiresAt": row["expires_at"].isoformat() if row is not None else None,
        "member": member, "offer": offer}}})


def _read_refused(field: tuple[str, ...], code: str, message: str) -> bytes:
    return orjson.dumps({"data": None, "errors": [
        {"message": message, "extensions": {"code": code}}]})


def _problem(state: str, expires_at: datetime, now: datetime) -> str | None:
    if state == "ISSUED" and expires_at <= now:
        return "EXPIRED"
    return _STATE_PROBLEM.get(state)


async def validate_grant(pool: asyncpg.Pool, variables: dict[str, Any],
                         authorization: str | None) -> bytes:
    caller = await authenticate(pool, authorization)
    if caller is None:
        return _unauthenticated()
    typed = variables["code"]
    code = codes.canonical(typed)
    if code is None:
        return _check(typed, "CODE_MISTYPED")
    now = datetime.now(UTC)
    try:
        async with pool.acquire() as connection, connection.transaction():
            partner = await _partner(connection, caller, now, "code", _read_refused)
            row = await connection.fetchrow(_AT_COUNTER, code, now)
            if row is None or row["partner_id"] != partner["id"]:
                await _miss(connection, caller, now)
                return _check(code, "UNKNOWN_CODE")
    except _Refusal as refusal:
        return refusal.answer
    return _check(code, _problem(row["state"], row["expires_at"], now), row)


async def _miss(connection: asyncpg.Connection, caller: Caller, now: datetime) -> None:
    await connection.execute("INSERT INTO partner_code_misses (caller, at) VALUES ($1, $2)",
                             caller.misses_key, now)


# --- grantRedeem ------------------------------------------------------------------------

def _redeemed(redemption_id: UUID, location: str, at: datetime, replayed: bool) -> bytes:
    return orjson.dumps({"data": {"grantRedeem": {
        "redemption": {"id": global_id("Redemption", redemption_id), "location": location,
                       "redeemedAt": at.isoformat()},
        "replayed": replayed, "userErrors": []}}})


def _redeem_refused(field: tuple[str, ...], code: str, message: str) -> bytes:
    return orjson.dumps({"data": {"grantRedeem": {
        "redemption": None, "replayed": None,
        "userErrors": [{"field": list(field), "code": code, "message": message}]}}})


def _brand_owes(row: asyncpg.Record) -> Decimal:
    cost = CostSharing(Payer(row["cost_payer"]), row["cost_unit"], row["cost_brand_share"])
    return cost.brand_owes.quantize(Decimal("0.01"))


async def redeem_grant(pool: asyncpg.Pool, variables: dict[str, Any],
                       authorization: str | None) -> bytes:
    caller = await authenticate(pool, authorization)
    if caller is None:
        return _unauthenticated()
    given = variables["input"]
    key, location = given["idempotencyKey"].strip(), given["location"].strip()
    code = codes.canonical(given["code"])
    if code is None:
        return _redeem_refused(("code",), "CODE_MISTYPED",
                               "this is not a grant code: check it for a typo")
    amount = Decimal(given["amount"]) if given.get("amount") is not None else None
    digest = fingerprint(RedeemGrant(code, key, location, amount))
    try:
        return await _redeem(pool, caller, code, key, location, amount, digest)
    except _Refusal as refusal:
        return refusal.answer


async def _redeem(pool: asyncpg.Pool, caller: Caller, code: str, key: str, location: str,
                  amount: Decimal | None, digest: str) -> bytes:
    now = datetime.now(UTC)
    async with pool.acquire() as connection, connection.transaction():
        partner = await _partner(connection, caller, now, "code", _redeem_refused)
        grant = await connection.fetchrow(_LOCK_GRANT, code)
        if grant is None or grant["partner_id"] != partner["id"]:
            await _miss(connection, caller, now)
            return _redeem_refused(("code",), "UNKNOWN_CODE", "no grant of yours has this code")
        earlier = await connection.fetchrow(
            "SELECT id, fingerprint, location, redeemed_at FROM partner_redemptions "
            "WHERE partner_id = $1 AND idempotency_key = $2", partner["id"], key)
        if earlier is not None:
            if earlier["fingerprint"] != digest:
                raise _Refusal(_redeem_refused(("idempotencyKey",), "IDEMPOTENCY_KEY_REUSED",
                                               "this idempotency key was already used"))
            return _redeemed(earlier["id"], earlier["location"], earlier["redeemed_at"], True)
        problem = _problem(grant["state"], grant["expires_at"], now)
        if problem is not None:
            raise _Refusal(_redeem_refused(("code",), problem, _PROBLEMS[problem]))
        redemption_id = new_id()
        await connection.execute(
            "INSERT INTO partner_redemptions (id, grant_id, partner_id, offer_id, customer_id,"
            " idempotency_key, fingerprint, location, redeemed_at, redeemed_by, amount) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            redemption_id, grant["id"], partner["id"], grant["offer_id"], grant["customer_id"],
            key, digest, location, now, caller.subject, amount)
        await connection.execute(
            "UPDATE partner_grants SET state = 'REDEEMED', redeemed_at = $2 WHERE id = $1",
            grant["id"], now)
        period = await _open_period(connection, partner["id"], period_of(now))
        await connection.execute(
            "INSERT INTO partner_settlement_entries (id, partner_id, period, kind, amount, "
            "currency, occurred_at, offer_id, redemption_id, customer_id, points) "
            "VALUES ($1, $2, $3, 'REDEMPTION', $4, $5, $6, $7, $8, $9, 0)",
            new_id(), partner["id"], period, _brand_owes(grant), partner["currency"], now,
            grant["offer_id"], redemption_id, grant["customer_id"])
        event = {"grant_id": grant["id"], "redemption_id": redemption_id,
                 "offer_id": grant["offer_id"], "partner_id": partner["id"]}
        await connection.execute(
            "INSERT INTO outbox (name, aggregate_id, occurred_at, data) "
            "VALUES ('GrantRedeemed', $1, $2, $3)", grant["customer_id"], now,
            orjson.dumps({name: str(value) for name, value in event.items()}).decode())
        await connection.execute(
            "INSERT INTO audit_log (at, action, operation, subject, role, client_id, "
            "target_ids, outcome) VALUES ($1, 'MUTATION', 'redeem_grant', $2, 'PARTNER', $3, "
            "$4, 'OK')", now, caller.subject, caller.client_id,
            [grant["customer_id"], *event.values()])
    return _redeemed(redemption_id, location, now, False)


async def _open_period(connection: asyncpg.Connection, partner_id: UUID, period: str) -> str:
    """The first period from `period` not closed, held FOR SHARE until the commit."""
    while True:
        await connection.execute(
            "INSERT INTO partner_settlement_periods (partner_id, period) VALUES ($1, $2) "
            "ON CONFLICT DO NOTHING", partner_id, period)
        closed_at = await connection.fetchval(
            "SELECT closed_at FROM partner_settlement_periods "
            "WHERE partner_id = $1 AND period = $2 FOR SHARE", partner_id, period)
        if closed_at is None:
            return period
        year, month = (int(part) for part in period.split("-"))
        period = f"{year + month // 12:04d}-{month % 12 + 1:02d}"

