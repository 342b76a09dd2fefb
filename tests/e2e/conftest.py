"""End-to-end fixtures: the whole app over an ASGI client, on the real (truncated) database.

`gql` posts a document and returns the parsed answer; `api` wraps the common set-up writes;
`snapshot` captures every table (row count and content digest) for "nothing changed"
assertions; `clock` lets a test move time forward (overdue cases). `client` answers reads
with compiled SQL where it can; `executed_client` always executes field by field."""

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from api.http.app import create_app
from domain.shared.access import Role, Viewer
from infrastructure.bootstrap import Container, build_container
from infrastructure.postgres.tables import ALL_TABLES
from infrastructure.settings import Settings
from tests.e2e.api import Api, Gql, Snapshot
from tests.e2e.asgi import client_of
from tests.e2e.loyalty_api import LoyaltyApi


class MovableClock:
    """Real time plus an offset a test can push forward: rows keep distinct, ordered
    timestamps, and "three days later" is one call."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Callers without credentials act as ADMIN, as in development: tests about who may do
    what say so with `client_as`, and authentication has its own tests."""
    return Settings(database_url=database_url, anonymous_role=Role.ADMIN)


@pytest.fixture
async def container(
    settings: Settings, db: AsyncEngine, clock: MovableClock
) -> AsyncIterator[Container]:
    built = build_container(settings, db, clock=clock)
    yield built
    await built.close()


@pytest.fixture
async def app(settings: Settings, container: Container) -> AsyncIterator[Starlette]:
    application = create_app(settings, container=container)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(app) as http:
        yield http


@pytest.fixture
async def executed_client(
    settings: Settings, container: Container
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that executes every operation field by field (no compiled reads),
    over the same container and database as `client`."""
    application = create_app(replace(settings, compiled_reads=False), container=container)
    async with application.router.lifespan_context(application), client_of(application) as http:
        yield http


@pytest.fixture
async def client_with(
    settings: Settings, container: Container
) -> AsyncIterator[Callable[..., Awaitable[httpx.AsyncClient]]]:
    """`await client_with(max_query_depth=2)`: a client of an app with those settings
    changed, over the same container and database."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(**changes: Any) -> httpx.AsyncClient:
            application = create_app(replace(settings, **changes), container=container)
            await stack.enter_async_context(application.router.lifespan_context(application))
            return await stack.enter_async_context(client_of(application))

        yield make


@pytest.fixture
async def client_as(
    settings: Settings, container: Container
) -> AsyncIterator[Callable[..., Awaitable[httpx.AsyncClient]]]:
    """`await client_as(viewer, compiled_reads=False)`: a client whose every request acts as
    `viewer` (authentication is tested on its own), over the same container and database."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(viewer: Viewer, **changes: Any) -> httpx.AsyncClient:
            application = create_app(replace(settings, **changes), container=container,
                                     viewer_of=lambda request: viewer)
            await stack.enter_async_context(application.router.lifespan_context(application))
            return await stack.enter_async_context(client_of(application))

        yield make




@pytest.fixture
def gql(client: httpx.AsyncClient) -> Gql:
    """POSTs a document; header names as keywords (`accept=…`, `x_request_id=…`)."""

    async def post(
        query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> dict[str, Any]:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={name.replace("_", "-"): value for name, value in headers.items()},
        )
        body: dict[str, Any] = response.json()
        return body

    return post


@pytest.fixture
def api(gql: Gql) -> Api:
    return Api(gql)


@pytest.fixture
def loyalty(gql: Gql) -> LoyaltyApi:
    """Loyalty set-up (programme, purchases, returns) through the API."""
    return LoyaltyApi(gql)


def _per_table(select_list: str) -> str:
    """One statement giving `name, <select_list>` for every table (alias `t`)."""
    return " UNION ALL ".join(
        f"SELECT '{table.name}' AS name, {select_list} FROM {table.name} AS t"
        for table in ALL_TABLES
    )


ROW_COUNTS = text(_per_table("count(*) AS rows"))
# Every row as text, sorted: equal digests mean equal content, versions and timestamps too.
SNAPSHOT = text(_per_table(
    "count(*) AS rows, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest"
))


@pytest.fixture
def row_counts(db: AsyncEngine) -> Callable[[], Awaitable[dict[str, int]]]:
    """`await row_counts()`: rows in every table, by table name."""

    async def count() -> dict[str, int]:
        async with db.connect() as connection:
            return {row.name: row.rows for row in await connection.execute(ROW_COUNTS)}

    return count


@pytest.fixture
def snapshot(db: AsyncEngine) -> Snapshot:
    """`await snapshot()`: row count and content digest of every table; equal snapshots
    mean the database did not change at all."""

    async def take() -> dict[str, Any]:
        async with db.connect() as connection:
            rows = await connection.execute(SNAPSHOT)
            return {row.name: (row.rows, row.digest) for row in rows}

    return take
