"""The hand-written reads of the baseline: raw asyncpg and exactly the JSON the GraphQL API
answers, shaped by hand, either from rows with orjson or by PostgreSQL itself, whichever
measured faster. They are the reference the GraphQL figures are divided by, so each is
written as fast as we reasonably can by hand: one statement, no per-row round trips, no
generic machinery."""

from base64 import urlsafe_b64encode
from collections.abc import Mapping
from datetime import datetime
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
