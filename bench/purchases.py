"""The write benchmark: purchases recorded per second, each earning points, by
concurrent tills: `purchaseRecord` over HTTP against the baseline's hand-written
transaction (bench/baseline_writes.py), on a database of its own made fresh for the run.

Every request is a new order (2 to 3 lines from the seed vocabulary) for one of the
seeded members, who are enrolled before the run so that neither server pays for enrolling
them. Both servers get the same sequence of members and lines; their order ids differ, so
neither replays the other's orders.
"""

import itertools
import random
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import asyncpg
import orjson

from bench.database import fresh_database
from bench.load import HEADERS
from bench.operations import PURCHASE_RECORD, Goal
from domain.shared.ids import global_id
from infrastructure.bootstrap import build_container
from infrastructure.postgres.engine import create_engine
from infrastructure.seed.demo import PROGRAMME_CODE, rewards_programme
from infrastructure.seed.vocabulary import PRODUCTS
from infrastructure.settings import Settings

NAME = "purchase_record"
DATABASE = "rapport_bench_purchases"
# At least half the baseline's throughput (a use case does more than the baseline's one
# hand-written transaction: events, audit, checks), and p99 under 50 ms, fast enough for a
# till; a write's statements are counted to show where time goes, with no goal.
GOAL = Goal(throughput_ratio=0.5, p99_ratio=None, p99_ms=50.0, statements=None)


@dataclass(frozen=True)
class Members:
    ids: tuple[str, ...]  # global ids


def purchase_requests(members: Members, target: str, seed: int,
                      occurred_at: datetime) -> Iterator[bytes]:
    """An endless stream of new orders. The same seed gives every target the same members
    and lines, in the same order; the order ids carry the target's name."""
    rng = random.Random(f"{seed}:{NAME}")
    stamp = occurred_at.strftime("%Y%m%d%H%M%S")
    when = occurred_at.isoformat()
    for number in itertools.count(1):
        lines = [_line(product, rng) for product in rng.sample(PRODUCTS, rng.randint(2, 3))]
        total = sum((Decimal(line["unitPrice"]) * line["quantity"] - Decimal(line["discount"])
                     for line in lines), Decimal(0))
        yield orjson.dumps({"query": PURCHASE_RECORD, "variables": {"input": {
            "customerId": rng.choice(members.ids), "channel": "WEB",
            "orderId": f"bench-{stamp}-{target}-{number}", "occurredAt": when,
            "currencyCode": "CNY", "paymentTotal": str(total), "lines": lines,
            "programme": PROGRAMME_CODE,
        }}})


def _line(product: Any, rng: random.Random) -> dict[str, Any]:
    discount = "20.00" if rng.random() < 0.2 else "0.00"  # a coupon on one line in five
    return {"sku": product.sku, "name": product.name, "category": product.category,
            "quantity": rng.randint(1, 2), "unitPrice": product.price, "discount": discount}


@asynccontextmanager
async def purchases_database(database_url: str | None, members: int) -> AsyncIterator[str]:
    """A fresh database with `members` customers enrolled in the demo programme."""
    async with fresh_database(DATABASE, database_url) as url:
        await seed_members(url, members)
        yield url


async def seed_members(url: str, members: int) -> None:
    from infrastructure.seed.bulk import seed_bulk  # the seed helper's; imported when needed

    print(f"seeding {members:,} members...", flush=True)
    await seed_bulk(url, customers=members, interactions_per_customer=0, progress=False)
    engine = create_engine(url, pooled=False)
    try:
        container = build_container(Settings(database_url=url), engine)
        await container.use_cases.loyalty.save_programme(
            rewards_programme(datetime.now(UTC).date(), partner_perks=False))
    finally:
        await engine.dispose()
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(_ENROL, PROGRAMME_CODE)
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


# Every customer a member in the entry tier, with the history row enrolling writes.
_ENROL = """
WITH entry AS (
    SELECT p.id AS programme_id, t.id AS tier_id FROM loyalty_programmes p
    JOIN loyalty_tiers t ON t.programme_id = p.id AND t.rank = 0 WHERE p.code = $1
), enrolled AS (
    INSERT INTO loyalty_memberships (programme_id, customer_id, tier_id, tier_since,
                                     retained_tier_id, enrolled_at, points_balance)
    SELECT entry.programme_id, c.id, entry.tier_id, now(), entry.tier_id, now(), 0
    FROM customers c CROSS JOIN entry
    RETURNING programme_id, customer_id, tier_id, enrolled_at
)
INSERT INTO loyalty_tier_changes (programme_id, customer_id, to_tier_id, reason, occurred_at,
                                  actor)
SELECT programme_id, customer_id, tier_id, 'ENROLLED', enrolled_at, 'system' FROM enrolled
"""


async def load_members(url: str) -> Members:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT id::text FROM customers ORDER BY id")
    finally:
        await connection.close()
    return Members(tuple(global_id("Customer", row[0]) for row in rows))


def order_time() -> datetime:
    """When the bench's orders happened: a moment ago, so no server finds them in the future."""
    return datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)


@dataclass(frozen=True)
class Recorded:
    """What a target left in the database: every order it was sent, and whether the points
    still add up (as `rapport loyalty check`)."""

    purchases: int
    points: int


async def recorded_by(url: str, target: str) -> Recorded:
    connection = await asyncpg.connect(url)
    try:
        row = await connection.fetchrow(
            "SELECT count(*) AS purchases, coalesce(sum(points), 0) AS points FROM purchases "
            "WHERE order_id LIKE $1", f"bench-%-{target}-%")
    finally:
        await connection.close()
    return Recorded(row["purchases"], int(row["points"]))


async def ledger_mismatches(url: str) -> int:
    """Members whose balance snapshot or lots disagree with their ledger, as the check
    command counts them."""
    engine = create_engine(url, pooled=False)
    try:
        container = build_container(Settings(database_url=url), engine)
        return len(await container.queries.loyalty.ledger_mismatches())
    finally:
        await engine.dispose()


class CountedStream:
    """The requests, counted as the load generator takes them: each one taken is sent and
    awaited, so after a run the target must have recorded exactly this many orders."""

    def __init__(self, requests: Iterator[bytes]) -> None:
        self._requests, self.taken = requests, 0

    def __iter__(self) -> "CountedStream":
        return self

    def __next__(self) -> bytes:
        self.taken += 1
        return next(self._requests)


async def probe(url: str, body: bytes) -> list[Any]:
    """Sends one order; what refused it (userErrors, GraphQL errors), empty when recorded."""
    async with aiohttp.ClientSession() as session, session.post(
            url, data=body, headers=HEADERS) as response:
        answer = await response.read()
    try:
        document = orjson.loads(answer)
    except orjson.JSONDecodeError:
        return [f"{response.status}: {answer[:500].decode(errors='replace')}"]
    if document.get("errors"):
        return list(document["errors"])
    payload = (document.get("data") or {}).get("purchaseRecord") or {}
    return list(payload.get("userErrors") or []) or ([] if payload.get("purchase") else [payload])
