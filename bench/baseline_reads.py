"""The hand-written reads of the baseline: raw asyncpg and exactly the JSON the GraphQL API
answers, shaped by hand, either from rows with orjson or by PostgreSQL itself, whichever
measured faster. They are the reference the GraphQL figures are divided by, so each is
written as fast as we reasonably can by hand: one statement, no per-row round trips, no
generic machinery."""

from base64 import urlsafe_b64encode
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from domain.shared.ids import global_id, parse_global_id
from infrastructure.postgres.compiled.sql import global_id as sql_global_id

Variables = Mapping[str, Any]
Json = dict[str, Any]


def local_id(type_name: str, global_id_: str) -> UUID | None:
    """The uuid inside a global id of `type_name`; None for anything else, as the API treats
    an id it cannot resolve as "not found"."""
    parsed = parse_global_id(global_id_)
    return parsed[1] if parsed is not None and parsed[0] == type_name else None


def answer(data: Json) -> bytes:
    return orjson.dumps({"data": data})


# A merged duplicate's id answers with the customer it was merged into, as the API does.
CUSTOMER_BY_ID = """
SELECT s.id::text, s.display_name, s.given_name, s.family_name, s.gender, s.birth_date, s.tags,
       s.interests, s.created_at, s.version
FROM customers AS c
JOIN customers AS s ON s.id = coalesce(c.merged_into_id, c.id)
WHERE c.id = $1
"""


async def customer_by_id(pool: asyncpg.Pool, variables: Variables) -> bytes:
    customer_id = local_id("Customer", variables["id"])
    row = None if customer_id is None else await pool.fetchrow(CUSTOMER_BY_ID, customer_id)
    if row is None:
        return answer({"customer": None})
    # asyncpg gives UTC-aware datetimes and dates; orjson writes them as isoformat() does.
    return answer({"customer": {
        "id": global_id("Customer", row["id"]),
        "displayName": row["display_name"],
        "givenName": row["given_name"],
        "familyName": row["family_name"],
        "gender": row["gender"],
        "birthDate": row["birth_date"],
        "tags": row["tags"],
        "interests": row["interests"],
        "createdAt": row["created_at"],
        "version": row["version"],
    }})


def sql_datetime(column: str) -> str:
    """SQL writing a timestamptz as Python's isoformat() in UTC does: microseconds only when
    there are some (Postgres' own JSON trims trailing zeros instead)."""
    utc = f"{column} AT TIME ZONE 'UTC'"
    return (f"CASE WHEN date_trunc('second', {column}) = {column}"
            f" THEN to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')"
            f" ELSE to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"') END")


# The first page of active customers (neither merged nor archived) in the default order, each
# with its newest interactions, the whole answer built by Postgres: fetching the 250 rows and
# shaping them in Python instead reached only ~0.7x this throughput (100k customers).
CUSTOMERS_WITH_TIMELINE = f"""
SELECT json_build_object('data', json_build_object('customers', json_build_object(
  'edges', coalesce(json_agg(json_build_object('node', json_build_object(
    'id', {sql_global_id("Customer", "c.id")},
    'displayName', c.display_name,
    'tags', c.tags,
    'timeline', json_build_object('edges', coalesce((
      SELECT json_agg(json_build_object('node', json_build_object(
          'id', {sql_global_id("Interaction", "i.id")},
          'channel', i.channel,
          'kind', i.kind,
          'occurredAt', {sql_datetime("i.occurred_at")},
          'summary', i.summary
        )) ORDER BY i.occurred_at DESC, i.id DESC)
      FROM (SELECT id, channel, kind, occurred_at, summary
            FROM interactions
            WHERE customer_id = c.id
            ORDER BY occurred_at DESC, id DESC
            LIMIT $2) AS i
    ), '[]'))
  )) ORDER BY c.created_at, c.id), '[]')
)))::text
FROM (SELECT id, display_name, tags, created_at
      FROM customers
      WHERE merged_into_id IS NULL AND archived_at IS NULL
      ORDER BY created_at, id
      LIMIT $1) AS c
"""
CUSTOMERS_PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 5


async def customers_with_timeline(pool: asyncpg.Pool, variables: Variables) -> bytes:
    answer_text: str = await pool.fetchval(
        CUSTOMERS_WITH_TIMELINE, CUSTOMERS_PAGE_SIZE, TIMELINE_PAGE_SIZE)
    return answer_text.encode()


TIMELINE_FIRST = 20
CASES_PAGE_SIZE = 20  # the connection's default: the document gives no `first`
OPEN_STATUSES = ["OPEN", "IN_PROGRESS"]


# One customer with its newest interactions (one more than the page, to tell whether more
# follow) and its open cases, as one row holding two arrays of records, shaped in Python:
# PostgreSQL building the whole answer instead (cursors included) cost ~15% more CPU per
# request, server and database together (100k customers).
CUSTOMER_WITH_TIMELINE_AND_CASES = """
SELECT s.id::text, s.display_name,
  ARRAY(SELECT (i.id::text, i.channel, i.kind, i.occurred_at, i.summary)
        FROM interactions AS i
        WHERE i.customer_id = s.id
        ORDER BY i.occurred_at DESC, i.id DESC
        LIMIT $2 + 1) AS timeline,
  ARRAY(SELECT (k.id::text, k.subject, k.status, k.priority, k.due_at)
        FROM cases AS k
        WHERE k.customer_id = s.id AND k.status = ANY($4::text[])
        ORDER BY k.opened_at DESC, k.id DESC
        LIMIT $3) AS cases
FROM customers AS c
JOIN customers AS s ON s.id = coalesce(c.merged_into_id, c.id)
WHERE c.id = $1
"""


def cursor(occurred_at: datetime, raw_id: str) -> str:
    """paging.Ordering.cursor of a (timestamp, id) key; neither value needs JSON escaping."""
    return urlsafe_b64encode(f'["{occurred_at.isoformat()}", "{raw_id}"]'.encode()).decode()


async def customer_with_timeline_and_cases(pool: asyncpg.Pool, variables: Variables) -> bytes:
    customer_id = local_id("Customer", variables["id"])
    row = None if customer_id is None else await pool.fetchrow(
        CUSTOMER_WITH_TIMELINE_AND_CASES, customer_id, TIMELINE_FIRST, CASES_PAGE_SIZE,
        OPEN_STATUSES)
    if row is None:
        return answer({"customer": None})
    timeline = row["timeline"]
    edges = [{
        "cursor": cursor(occurred_at, raw_id),
        "node": {"id": global_id("Interaction", raw_id), "channel": channel, "kind": kind,
                 "occurredAt": occurred_at, "summary": summary},
    } for raw_id, channel, kind, occurred_at, summary in timeline[:TIMELINE_FIRST]]
    return answer({"customer": {
        "id": global_id("Customer", row["id"]),
        "displayName": row["display_name"],
        "timeline": {"edges": edges, "pageInfo": {
            "hasNextPage": len(timeline) > TIMELINE_FIRST,
            "endCursor": edges[-1]["cursor"] if edges else None,
        }},
        "cases": {"nodes": [
            {"id": global_id("Case", raw_id), "subject": subject, "status": status,
             "priority": priority, "dueAt": due_at}
            for raw_id, subject, status, priority, due_at in row["cases"]
        ]},
    }})


# What the till shows when a member hands over her card: her tier and what the next one
# takes, her points and those about to expire, the latest of her ledger and every move of
# her tier, and her last purchases with their lines. One row, its lists as arrays of
# records, shaped in Python (the standing from the programme's tiers, as
# domain.loyalty.queries.standing does). $2 is the request's time.
POS_MEMBER_SCREEN = """
SELECT s.id::text, s.display_name, m.customer_id IS NOT NULL AS member, m.points_balance,
  m.tier_id::text, m.override_tier_id::text, m.override_expires_at, g.currency, g.measure,
  ARRAY(SELECT (t.id::text, t.name, t.rank, t.threshold, t.discount_percent)
        FROM loyalty_tiers t WHERE t.programme_id = g.id ORDER BY t.rank) AS tiers,
  (SELECT coalesce(sum(p.net_amount - p.refunded_amount), 0) FROM purchases p
   WHERE p.customer_id = s.id AND p.programme_id = g.id
     AND p.occurred_at >= CASE WHEN g.qualification_window = 'CALENDAR_YEAR'
       THEN date_trunc('year', $2::timestamptz AT TIME ZONE g.time_zone) AT TIME ZONE g.time_zone
       ELSE $2::timestamptz - interval '12 months' END) AS spend,
  (SELECT coalesce(sum(l.remaining), 0) FROM loyalty_point_lots l
   WHERE l.customer_id = s.id AND l.programme_id = g.id AND l.remaining > 0
     AND l.expires_at > $2::timestamptz
     AND l.expires_at <= $2::timestamptz + interval '30 days') AS expiring,
  ARRAY(SELECT (e.id::text, e.kind, e.points, e.occurred_at, e.reason, p.order_id)
        FROM (SELECT * FROM loyalty_ledger e
              WHERE e.customer_id = s.id AND e.programme_id = g.id
              ORDER BY e.recorded_at DESC, e.id DESC LIMIT $3) e
        LEFT JOIN purchases p ON p.id = e.purchase_id
        ORDER BY e.recorded_at DESC, e.id DESC) AS ledger,
  ARRAY(SELECT (h.from_tier_id::text, h.to_tier_id::text, h.reason, h.occurred_at)
        FROM loyalty_tier_changes h
        WHERE h.customer_id = s.id AND h.programme_id = g.id ORDER BY h.id) AS history,
  ARRAY(SELECT (p.id::text, p.order_id, p.channel, p.occurred_at, p.net_amount, p.currency,
                p.points, ARRAY(SELECT (l.sku, l.name, l.quantity,
                                       l.quantity * l.unit_price - l.discount, l.points)
                                FROM purchase_lines l WHERE l.purchase_id = p.id
                                ORDER BY l.line_no))
        FROM purchases p WHERE p.customer_id = s.id
        ORDER BY p.occurred_at DESC, p.id DESC LIMIT $4) AS purchases
FROM customers s
LEFT JOIN loyalty_memberships m ON m.customer_id = s.id AND m.programme_id =
  (SELECT id FROM loyalty_programmes ORDER BY created_at, id LIMIT 1)
LEFT JOIN loyalty_programmes g ON g.id = m.programme_id
WHERE s.id IN (SELECT customer_id FROM external_refs WHERE system = 'pos-card' AND value = $1)
"""
LEDGER_FIRST = 10
PURCHASES_FIRST = 5
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3,
                "JOD": 3, "OMR": 3, "TND": 3}


def money(amount: Decimal, currency: str) -> Json:
    """Shown with the currency's decimals, unless finer than that (a point's value)."""
    unit = Decimal(1).scaleb(-_MINOR_UNITS.get(currency, 2))
    shown = amount.quantize(unit) if amount == amount.quantize(unit) else amount
    return {"amount": format(shown, "f"), "currencyCode": currency}


def _standing(row: asyncpg.Record, now: datetime) -> Json:
    tiers = {tier_id: (name, rank, threshold, discount)
             for tier_id, name, rank, threshold, discount in row["tiers"]}
    expires = row["override_expires_at"]
    active = row["override_tier_id"] is not None and (expires is None or now < expires)
    name, rank, _, discount = tiers[row["override_tier_id"] if active else row["tier_id"]]
    above = [tier for tier in tiers.values() if tier[1] > rank]
    following = min(above, key=lambda tier: tier[1]) if above else None
    to_next = None
    if following is not None and row["measure"] == "SPEND":
        to_next = money(max(Decimal(0), following[2] - row["spend"]), row["currency"])

    def tier_name(tier_id: str | None) -> Json | None:
        return None if tier_id not in tiers else {"name": tiers[tier_id][0]}

    return {
        "tier": {"name": name, "discountPercent": format(discount, "f")},
        "nextTier": None if following is None else {"name": following[0]},
        "spendToNextTier": to_next,
        "pointsBalance": row["points_balance"],
        "pointsExpiringSoon": int(row["expiring"]),
        "ledger": {"edges": [
            {"node": {"id": global_id("PointsLedgerEntry", entry_id), "kind": kind,
                      "points": points, "occurredAt": occurred_at, "reason": reason,
                      "purchase": None if order_id is None else {"orderId": order_id}}}
            for entry_id, kind, points, occurred_at, reason, order_id in row["ledger"]]},
        "tierHistory": [
            {"fromTier": tier_name(from_id), "toTier": tier_name(to_id), "reason": reason,
             "occurredAt": occurred_at}
            for from_id, to_id, reason, occurred_at in row["history"]],
    }


async def pos_member_screen(pool: asyncpg.Pool, variables: Variables) -> bytes:
    now = datetime.now(UTC)
    row = await pool.fetchrow(POS_MEMBER_SCREEN, variables["card"], now, LEDGER_FIRST,
                              PURCHASES_FIRST)
    if row is None:
        return answer({"customer": None})
    return answer({"customer": {
        "id": global_id("Customer", row["id"]),
        "displayName": row["display_name"],
        "loyalty": _standing(row, now) if row["member"] else None,
        "purchases": {"nodes": [
            {"id": global_id("Purchase", purchase_id), "orderId": order_id, "channel": channel,
             "occurredAt": occurred_at, "netAmount": money(net, currency),
             "pointsEarned": points,
             "lines": [{"sku": sku, "name": name, "quantity": quantity,
                        "netAmount": money(line_net, currency), "points": line_points}
                       for sku, name, quantity, line_net, line_points in lines]}
            for purchase_id, order_id, channel, occurred_at, net, currency, points, lines
            in row["purchases"]]},
    }})
