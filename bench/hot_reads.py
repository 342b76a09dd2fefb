"""How long the hot reads take at a database's size, and how big its tables and indexes are:
the figures of docs/operations.md, "Sizing". Run it on a seeded database of yours, e.g.

    rapport seed --customers 1000000 --interactions-per-customer 10   # RAPPORT_DATABASE_URL
    .venv/bin/python bench/hot_reads.py --database-url postgresql://…/rapport_scale

Each read is sent one request at a time, in process (no HTTP server, no other load), with
variables drawn from the data, so its latency is the database's and Rapport's own work at
that size. Compare two sizes, not two machines; bench/run.py measures throughput.
"""

import argparse
import asyncio
import os
import random
import time
from collections.abc import Callable

import asyncpg
import httpx

from bench import operations
from bench.database import load_dataset
from bench.operations import Dataset, Variables

SEARCH = """query Search($search: String!) {
  customers(first: 20, search: $search) { edges { node { id displayName } } }
}"""
BY_EMAIL = """query ByEmail($email: String!) { customer(email: $email) { id displayName } }"""

SIZES = """
SELECT c.relname, c.reltuples::bigint, pg_table_size(c.oid), pg_indexes_size(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r'
ORDER BY pg_total_relation_size(c.oid) DESC LIMIT $1
"""


def _reads(dataset: Dataset, emails: list[str], surnames: list[str]
           ) -> dict[str, tuple[str, Callable[[random.Random], Variables]]]:
    def of(op: operations.Operation) -> tuple[str, Callable[[random.Random], Variables]]:
        return op.document, lambda rng: op.variables(dataset, rng)

    reads = {op.name: of(op) for op in operations.OPERATIONS}
    reads["customer_by_email"] = (BY_EMAIL, lambda rng: {"email": rng.choice(emails)})
    reads["customer_search"] = (SEARCH, lambda rng: {"search": rng.choice(surnames)})
    return reads


async def _samples(url: str) -> tuple[list[str], list[str]]:
    connection = await asyncpg.connect(url)
    try:
        emails = await connection.fetch(
            "SELECT value FROM contact_points TABLESAMPLE SYSTEM (1) REPEATABLE (7)"
            " WHERE kind = 'EMAIL' LIMIT 2000")
        names = await connection.fetch(
            "SELECT display_name FROM customers TABLESAMPLE SYSTEM (1) REPEATABLE (7) LIMIT 500")
    finally:
        await connection.close()
    return [row[0] for row in emails], [row[0].split()[-1] for row in names]


def _percentile(seconds: list[float], share: float) -> float:
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


async def measure(url: str, requests: int, warmup: int) -> None:
    os.environ.update({"RAPPORT_DATABASE_URL": url, "RAPPORT_ENV": "production",
                       "RAPPORT_LOG_LEVEL": "ERROR", "RAPPORT_ANONYMOUS_ROLE": "ADMIN",
                       "RAPPORT_RATE_LIMIT": "off"})
    from api.http.app import create_app_from_environment  # after its settings are set

    dataset = await load_dataset(url)
    reads = _reads(dataset, *await _samples(url))
    rng = random.Random(7)
    print(f"{len(dataset.customer_ids):,} customers; one request at a time, in process")
    print("| read | p50 ms | p99 ms |\n| --- | --- | --- |")
    app = create_app_from_environment()
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=transport, base_url="http://rapport") as http:
        for name, (document, variables) in reads.items():
            took = []
            for number in range(warmup + requests):
                started = time.perf_counter()
                response = await http.post(
                    "/graphql", json={"query": document, "variables": variables(rng)})
                if number >= warmup:
                    took.append(time.perf_counter() - started)
                if "errors" in response.json():
                    raise SystemExit(f"{name}: {response.text[:300]}")
            print(f"| {name} | {_percentile(took, 0.5):.2f} | {_percentile(took, 0.99):.2f} |")
    await _print_sizes(url)


async def _print_sizes(url: str, tables: int = 8) -> None:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(SIZES, tables)
    finally:
        await connection.close()
    print("\n| table | rows | heap MB | indexes MB |\n| --- | --- | --- | --- |")
    for name, estimate, heap, indexes in rows:
        print(f"| {name} | {estimate:,} | {heap / 2**20:,.0f} | {indexes / 2**20:,.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a seeded database")
    parser.add_argument("--requests", type=int, default=300, help="measured, per read")
    parser.add_argument("--warmup", type=int, default=30, help="unmeasured, per read")
    args = parser.parse_args()
    asyncio.run(measure(args.database_url, args.requests, args.warmup))


if __name__ == "__main__":
    main()
