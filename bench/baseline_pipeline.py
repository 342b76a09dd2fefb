"""The baseline's sales board, hand-written in raw asyncpg: `pipelineBoard` for one store
as a service written for it alone would answer it, in one statement (the columns, their
totals and first deals with their customers' and owners' names), shaped by hand with orjson.

It counts what Rapport counts: each active stage's deals of the store, their amount, that
amount times the stage's probability (rounded once, half up, to the currency's unit), the
open deals in the stage longer than its SLA, and the first deals longest in the stage
first; the board's own totals are the open stages'.
"""

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from bench.operations import Variables
from domain.shared.ids import global_id, parse_global_id
from domain.shared.money import Money, smallest_unit

DEALS_PER_STAGE = 10

_BOARD = """
SELECT s.id, s.name, s.kind, s.probability, p.currency,
       t.deals, t.amount, t.stalled,
       f.id AS deal_id, f.title, f.amount AS deal_amount, f.stage_entered_at,
       f.customer_id, c.display_name, f.owner_id, o.name AS owner_name
FROM pipeline_stages s
JOIN pipelines p ON p.id = s.pipeline_id
CROSS JOIN LATERAL (
    SELECT count(*) AS deals, coalesce(sum(d.amount), 0) AS amount,
           count(*) FILTER (WHERE d.status = 'OPEN' AND s.kind = 'OPEN'
                            AND s.sla_days IS NOT NULL
                            AND d.stage_entered_at
                                < $3::timestamptz - make_interval(0, 0, 0, s.sla_days))
               AS stalled
    FROM deals d WHERE d.stage_id = s.id AND d.store_id = $2
) t
LEFT JOIN LATERAL (
    SELECT d.id, d.title, d.amount, d.stage_entered_at, d.customer_id, d.owner_id
    FROM deals d WHERE d.stage_id = s.id AND d.store_id = $2
    ORDER BY d.stage_entered_at, d.id LIMIT $4
) f ON true
LEFT JOIN customers c ON c.id = f.customer_id
LEFT JOIN staff o ON o.id = f.owner_id
WHERE s.pipeline_id = $1 AND s.retired_at IS NULL
ORDER BY s.position, s.id, f.stage_entered_at, f.id
"""


def _uuid(text: str) -> UUID:
    parsed = parse_global_id(text)
    assert parsed is not None, text
    return parsed[1]


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    """As the API shows money: the currency's decimals, finer amounts as they are."""
    unit = smallest_unit(currency)
    shown = amount.quantize(unit) if amount == amount.quantize(unit) else amount
    return {"amount": format(shown, "f"), "currencyCode": currency}


async def board(pool: asyncpg.Pool, variables: Variables) -> bytes:
    rows = await pool.fetch(_BOARD, _uuid(variables["pipeline"]), _uuid(variables["store"]),
                            datetime.now(UTC), DEALS_PER_STAGE + 1)
    by_stage: dict[UUID, list[Any]] = defaultdict(list)
    for row in rows:
        by_stage[row["id"]].append(row)
    columns, in_play = [], []
    for stage_rows in by_stage.values():
        head = stage_rows[0]
        currency = head["currency"]
        weighted = Money.rounded(head["amount"] * head["probability"], currency).amount
        deals = [row for row in stage_rows if row["deal_id"] is not None]
        if head["kind"] == "OPEN":
            in_play.append((head["deals"], head["amount"], weighted))
        columns.append({
            "stage": {"id": global_id("PipelineStage", head["id"]), "name": head["name"]},
            "dealCount": head["deals"], "amount": _money(head["amount"], currency),
            "weightedAmount": _money(weighted, currency), "stalledCount": head["stalled"],
            "deals": {"nodes": [{
                "id": global_id("Deal", row["deal_id"]), "title": row["title"],
                "amount": _money(row["deal_amount"], currency),
                "stageEnteredAt": row["stage_entered_at"].isoformat(),
                "customer": {"id": global_id("Customer", row["customer_id"]),
                             "displayName": row["display_name"]},
                "owner": None if row["owner_id"] is None else {
                    "id": global_id("Staff", row["owner_id"]), "name": row["owner_name"]},
            } for row in deals[:DEALS_PER_STAGE]],
                "pageInfo": {"hasNextPage": len(deals) > DEALS_PER_STAGE}},
        })
    currency = rows[0]["currency"] if rows else "CNY"
    return orjson.dumps({"data": {"pipelineBoard": {
        "dealCount": sum(count for count, _, _ in in_play),
        "amount": _money(sum((amount for _, amount, _ in in_play), Decimal(0)), currency),
        "weightedAmount": _money(sum((w for _, _, w in in_play), Decimal(0)), currency),
        "columns": columns,
    }}})
