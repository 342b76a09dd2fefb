"""The sales pipeline benchmark: a store manager's `pipelineBoard` over HTTP against the
baseline's hand-written board (bench/baseline_pipeline.py), and the time of a whole
`pipelineAnalytics` (funnel, time in stage, outcomes per owner and store, forecast, lead
conversion) on a generated history of a hundred thousand deals.

The database is the bench's own (`rapport_bench_pipeline`), reused when it holds the deals
asked for: customers, stores and staff from the bulk seed, the demo's sales floor, and the
history of infrastructure/seed/pipeline_history.py (half a year of deals walked through the
stages, with their moves and leads).
"""

import random
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import aiohttp
import asyncpg
import orjson

from bench.database import database_server, migrated_scratch
from bench.load import HEADERS
from bench.operations import PIPELINE_BOARD, Goal
from domain.shared.ids import global_id
from infrastructure.bootstrap import build_container
from infrastructure.postgres.engine import create_engine
from infrastructure.seed.bulk import seed_bulk
from infrastructure.seed.demo_pipeline import SALES_FLOOR, sales_floor
from infrastructure.seed.pipeline_history import Seller, copy_history, generate_history
from infrastructure.settings import Settings

NAME = "pipeline_board"
DATABASE = "rapport_bench_pipeline"
CUSTOMERS, STORES, STAFF = 20_000, 20, 60
CHUNK = 10_000  # deals generated and copied at a time, to keep memory flat
# The goal: at least 0.7 times the baseline's throughput, in one statement (as
# compiled); p99 is reported.
GOAL = Goal(throughput_ratio=0.7, p99_ratio=None, statements=1)
ANALYTICS_RUNS = 5

ANALYTICS = """query Analytics($pipeline: ID!, $from: Date!, $to: Date!) {
  pipelineAnalytics(pipelineId: $pipeline, from: $from, to: $to) {
    funnel { stage { name } reached lost conversionFromPrevious }
    stages { stage { name } stays medianDays p90Days stalled }
    outcomes { won lost winRate wonAmount { amount } averageCycleDays }
    owners { owner { name } outcomes { won lost winRate } }
    stores { store { code } outcomes { won lost winRate } }
    forecast { month deals amount { amount } weightedAmount { amount } }
    leadSources { channel campaign referral leads qualified won conversionRate }
  }
}"""


@dataclass(frozen=True)
class Floor:
    pipeline: str  # global ids
    stores: tuple[str, ...]
    deals: int


@asynccontextmanager
async def pipeline_database(database_url: str | None,
                            deals: int) -> AsyncIterator[tuple[str, Floor]]:
    """The bench's database with `deals` deals, seeded unless an earlier run left it so."""
    async with database_server(database_url) as server_url:
        url = await migrated_scratch(server_url, DATABASE, fresh=False)
        floor = await _floor(url)
        if floor is None or floor.deals != deals:
            url = await migrated_scratch(server_url, DATABASE, fresh=True)
            await _seed(url, deals)
            floor = await _floor(url)
        assert floor is not None
        yield url, floor


async def _floor(url: str) -> Floor | None:
    connection = await asyncpg.connect(url)
    try:
        pipeline = await connection.fetchval("SELECT id FROM pipelines WHERE code = $1",
                                             SALES_FLOOR)
        if pipeline is None:
            return None
        stores = await connection.fetch("SELECT id FROM stores ORDER BY id")
        deals = await connection.fetchval("SELECT count(*) FROM deals")
    finally:
        await connection.close()
    return Floor(global_id("Pipeline", pipeline),
                 tuple(global_id("Store", row[0]) for row in stores), deals)


async def _seed(url: str, deals: int) -> None:
    started = time.perf_counter()
    print(f"seeding {CUSTOMERS:,} customers and {deals:,} deals with their history (once; "
          "later runs reuse them)...", flush=True)
    now = datetime.now(UTC)
    await seed_bulk(url, customers=CUSTOMERS, interactions_per_customer=1, stores=STORES,
                    staff=STAFF, progress=False, now=now)
    engine = create_engine(url, pooled=False)
    try:
        floor = await build_container(Settings(database_url=url), engine).use_cases.pipeline \
            .create_pipeline(sales_floor())
    finally:
        await engine.dispose()
    connection = await asyncpg.connect(url)
    try:
        customers = [row[0] for row in await connection.fetch("SELECT id FROM customers")]
        sellers = [Seller(row[0], row[1]) for row in await connection.fetch(
            "SELECT id, store_id FROM staff WHERE store_id IS NOT NULL")]
        taken: set[UUID] = set()
        for part in range(0, deals, CHUNK):
            await copy_history(connection, generate_history(
                floor, customers, sellers, min(CHUNK, deals - part), now=now, seed=part,
                open_lead_of=taken))
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)


def board_requests(floor: Floor, seed: int, count: int) -> list[bytes]:
    """A store manager's board, for a store drawn at random: the same seed gives every
    target the same sequence."""
    rng = random.Random(f"{seed}:{NAME}")
    return [orjson.dumps({"query": PIPELINE_BOARD, "variables": {
        "pipeline": floor.pipeline, "store": rng.choice(floor.stores)}}) for _ in range(count)]


@dataclass(frozen=True)
class AnalyticsTiming:
    runs: int
    best_ms: float
    median_ms: float
    errors: list[str]

    def __str__(self) -> str:
        return (f"pipelineAnalytics over the last 90 days: best {self.best_ms:.0f} ms, median "
                f"{self.median_ms:.0f} ms of {self.runs} runs, one after another")


async def time_analytics(url: str, floor: Floor, runs: int = ANALYTICS_RUNS) -> AnalyticsTiming:
    """The whole analytics of the last 90 days, asked `runs` times in a row (after one
    unmeasured), each answer's time from request to body."""
    today = datetime.now(UTC).date()
    body = orjson.dumps({"query": ANALYTICS, "variables": {
        "pipeline": floor.pipeline, "from": str(today - timedelta(days=89)), "to": str(today)}})
    times, errors = [], []
    async with aiohttp.ClientSession() as session:
        for number in range(runs + 1):
            started = time.perf_counter()
            async with session.post(url, data=body, headers=HEADERS) as response:
                answer = orjson.loads(await response.read())
            if answer.get("errors"):
                errors.append(str(answer["errors"])[:500])
            if number:
                times.append((time.perf_counter() - started) * 1000)
    return AnalyticsTiming(runs, min(times), statistics.median(times), errors)
