"""The data the bench reads: a database at schema head holding the requested number of seeded
customers, reused from the previous run when it already does (seeding 100k takes a while),
with the open cases of bench/open_cases.py."""

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bench.loyalty_members import add_loyalty_members, member_cards
from bench.open_cases import OPEN, add_open_cases
from bench.operations import Dataset
from domain.shared.ids import global_id
from infrastructure.migrations import upgrade_to_head
from infrastructure.postgres.engine import create_engine

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
SCRATCH_DATABASE = "rapport_bench"
EMBEDDED_DATA_DIR = Path(__file__).resolve().parent / ".pgdata"


@dataclass(frozen=True)
class Scale:
    customers: int
    interactions_per_customer: int

    @property
    def interactions(self) -> int:
        return self.customers * self.interactions_per_customer


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


async def _reachable(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await connection.close()
    return True


async def _on_server(server_url: str, statement: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _create_scratch(server_url: str, *, fresh: bool, name: str = SCRATCH_DATABASE) -> str:
    connection = await asyncpg.connect(server_url)
    try:
        if fresh:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return _with_database(server_url, name)


async def _migrate(url: str) -> None:
    engine = create_engine(url, pooled=False)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


async def _counts(url: str) -> tuple[int, int]:
    connection = await asyncpg.connect(url)
    try:
        customers = await connection.fetchval("SELECT count(*) FROM customers")
        interactions = await connection.fetchval("SELECT count(*) FROM interactions")
    finally:
        await connection.close()
    return customers, interactions


async def _seed(url: str, scale: Scale) -> None:
    from infrastructure.seed.bulk import seed_bulk  # the seed helper's; imported when needed

    print(f"seeding {scale.customers:,} customers x {scale.interactions_per_customer} "
          "interactions (once; later runs reuse them)...", flush=True)
    seeded = seed_bulk(url, customers=scale.customers,
                       interactions_per_customer=scale.interactions_per_customer)
    if inspect.isawaitable(seeded):
        await seeded
    # Fresh statistics and visibility map, so neither server pays for a cold planner.
    await _on_server(url, "VACUUM ANALYZE")


async def _seeded(url: str, scale: Scale, *, server_url: str | None) -> tuple[str, bool]:
    """Migrated and seeded at `scale`, and whether it was seeded now. `server_url` is set
    when the database is the bench's own scratch database, which may be dropped and seeded
    again."""
    await _migrate(url)
    counts = await _counts(url)
    if counts == (scale.customers, scale.interactions):
        print(f"reusing the {scale.customers:,} customers already seeded", flush=True)
        return url, False
    if counts[0] and server_url is None:
        raise SystemExit(f"{url} holds {counts[0]:,} customers and {counts[1]:,} interactions, "
                         "not the requested scale; give an empty database or matching sizes")
    if counts[0] and server_url is not None:
        url = await _create_scratch(server_url, fresh=True)
        await _migrate(url)
    await _seed(url, scale)
    return url, True


async def _prepare(url: str, scale: Scale, *, server_url: str | None) -> str:
    """Seeded, plus the open cases operation (c) reads and the loyalty members (d) reads,
    added only to a database the bench owns (its scratch database, or one it has just
    seeded): never to data it was given."""
    url, seeded = await _seeded(url, scale, server_url=server_url)
    if seeded or server_url is not None:
        await add_open_cases(url)
        await add_loyalty_members(url)
    return url


@asynccontextmanager
async def _embedded_server() -> AsyncIterator[str]:
    from infrastructure.embedded_postgres import EmbeddedPostgres  # the runtime helper's

    # Joined through the maintenance database; the scratch database is created like on any
    # other server.
    with EmbeddedPostgres(EMBEDDED_DATA_DIR, database="postgres") as server:
        yield server.url


@asynccontextmanager
async def bench_database(database_url: str | None, scale: Scale) -> AsyncIterator[str]:
    """The URL of a database ready to bench: the one given, else a scratch database on the
    local server, else on an embedded server started for the run."""
    if database_url:
        yield await _prepare(database_url, scale, server_url=None)
    elif await _reachable(LOCAL_SERVER):
        scratch = await _create_scratch(LOCAL_SERVER, fresh=False)
        yield await _prepare(scratch, scale, server_url=LOCAL_SERVER)
    else:
        async with _embedded_server() as server_url:
            scratch = await _create_scratch(server_url, fresh=False)
            yield await _prepare(scratch, scale, server_url=server_url)


@asynccontextmanager
async def _server(database_url: str | None) -> AsyncIterator[str]:
    """A server to create a database on: `database_url`'s, the local one, or an embedded one."""
    if database_url:
        yield database_url
    elif await _reachable(LOCAL_SERVER):
        yield LOCAL_SERVER
    else:
        async with _embedded_server() as server_url:
            yield server_url


# A server to create the bench's own databases on (`_server`).
database_server = _server


async def migrated_scratch(server_url: str, name: str, *, fresh: bool) -> str:
    """The scratch database `name` at schema head: made anew when `fresh`, else kept from an
    earlier run (a large seed takes a while)."""
    url = await _create_scratch(server_url, fresh=fresh, name=name)
    await _migrate(url)
    return url


@asynccontextmanager
async def fresh_database(name: str, database_url: str | None) -> AsyncIterator[str]:
    """An empty database `name` at schema head, made anew for the run (writes change what
    they measure), on the server of `database_url` (the data there is left alone), else on
    the local server, else on an embedded one."""
    async with _server(database_url) as server_url:
        url = await _create_scratch(server_url, fresh=True, name=name)
        await _migrate(url)
        yield url


async def load_dataset(url: str) -> Dataset:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT id::text FROM customers ORDER BY id")
        with_open_cases = await connection.fetch(
            "SELECT DISTINCT customer_id::text FROM cases WHERE status = ANY($1::text[])"
            " ORDER BY 1", OPEN)
        cards = await member_cards(connection)
    finally:
        await connection.close()
    return Dataset(
        customer_ids=tuple(global_id("Customer", row[0]) for row in rows),
        customers_with_open_cases=tuple(global_id("Customer", row[0]) for row in with_open_cases),
        member_cards=tuple(cards),
    )


async def server_version(url: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()
