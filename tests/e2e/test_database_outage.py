"""A database that can't answer now is answered as such, never as a bug: 503 with
`SERVICE_UNAVAILABLE` and `Retry-After` (unreachable, lost mid-request, starting up, no
pooled connection in time, no answer to a connect), 504 with `TIMEOUT` (a statement past
the statement timeout); the service recovers by itself when PostgreSQL is back; a write
the outage interrupts is recorded whole or not at all.

The service runs over a proxy the test cuts (tests/postgres_proxy.py), in front of the
session's real database; the test reads and sets up through the direct `client`.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from api.http.app import create_app
from infrastructure.bootstrap import Container, build_container
from infrastructure.bootstrap.service import serving
from infrastructure.postgres.engine import create_engine
from infrastructure.settings import Settings
from tests.e2e.api import CUSTOMER_CREATE, Api
from tests.e2e.asgi import in_process
from tests.e2e.conftest import MovableClock
from tests.e2e.loyalty_api import PURCHASE_RECORD, LoyaltyApi, line, purchase_input
from tests.postgres_proxy import PostgresProxy

CUSTOMER = "query($id: ID!) { customer(id: $id) { id displayName } }"
CUSTOMERS = "query { customers(first: 5) { nodes { id displayName } } }"
GENEROUS = 30.0  # seconds: what "answers, and soon" means on a loaded machine


@pytest.fixture
async def proxy(postgres_server_url: str) -> AsyncIterator[PostgresProxy]:
    proxied = PostgresProxy(postgres_server_url)
    await proxied.start()
    yield proxied
    await proxied.close()


@pytest.fixture
def flaky_settings(settings: Settings, database_url: str, proxy: PostgresProxy) -> Settings:
    """The service's settings over the proxy, with short waits so that faults answer fast."""
    return replace(settings, database_url=proxy.url_of(database_url), db_pool_size=2,
                   db_pool_timeout_ms=500, db_connect_timeout_ms=500,
                   statement_timeout_ms=500)


@pytest.fixture
async def flaky(
    flaky_settings: Settings, db: AsyncEngine, clock: MovableClock
) -> AsyncIterator[Container]:
    """The container of a service whose database is behind the proxy."""
    engine = create_engine(
        flaky_settings.database_url or "", pool_size=flaky_settings.db_pool_size,
        statement_timeout_ms=flaky_settings.statement_timeout_ms,
        pool_timeout_ms=flaky_settings.db_pool_timeout_ms,
        connect_timeout_ms=flaky_settings.db_connect_timeout_ms)
    container = build_container(flaky_settings, engine, clock=clock)
    yield container
    await container.close()
    await engine.dispose()


async def _client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(app) as http:
        yield http


@pytest.fixture
async def compiled(flaky_settings: Settings, flaky: Container
                   ) -> AsyncIterator[httpx.AsyncClient]:
    """Reads compiled into one statement where they can be (the compiled reads' pool)."""
    async for http in _client(create_app(flaky_settings, container=flaky)):
        yield http


@pytest.fixture
async def executed(flaky_settings: Settings, flaky: Container
                   ) -> AsyncIterator[httpx.AsyncClient]:
    """Every read field by field (SQLAlchemy's pool)."""
    app = create_app(replace(flaky_settings, compiled_reads=False), container=flaky)
    async for http in _client(app):
        yield http


async def _post(client: httpx.AsyncClient, query: str, **variables: Any) -> httpx.Response:
    return await asyncio.wait_for(
        client.post("/graphql", json={"query": query, "variables": variables},
                    headers={"accept": "application/graphql-response+json"}),
        GENEROUS)


def _codes(response: httpx.Response) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in response.json()["errors"]]


def _unavailable(response: httpx.Response) -> bool:
    return (response.status_code == 503 and _codes(response) == ["SERVICE_UNAVAILABLE"]
            and int(response.headers["retry-after"]) > 0)


@pytest.fixture
async def li(api: Api) -> str:
    created = await api.customer(displayName="Mrs. Li")
    return str(created["id"])


async def test_a_compiled_read_while_the_database_is_down_answers_503_with_retry_after(
    compiled: httpx.AsyncClient, proxy: PostgresProxy, li: str,
) -> None:
    await proxy.refuse()

    assert _unavailable(await _post(compiled, CUSTOMER, id=li))


async def test_an_executed_read_while_the_database_is_down_answers_503_with_retry_after(
    executed: httpx.AsyncClient, proxy: PostgresProxy, li: str,
) -> None:
    await proxy.refuse()

    assert _unavailable(await _post(executed, CUSTOMERS))


async def test_a_mutation_while_the_database_is_down_answers_503_with_retry_after(
    compiled: httpx.AsyncClient, proxy: PostgresProxy,
) -> None:
    await proxy.refuse()

    response = await _post(compiled, CUSTOMER_CREATE, input={"displayName": "Lisa"})

    assert _unavailable(response)


async def test_a_database_that_went_away_under_open_connections_answers_503(
    executed: httpx.AsyncClient, proxy: PostgresProxy, li: str,
) -> None:
    assert (await _post(executed, CUSTOMERS)).status_code == 200  # the pool holds connections
    await proxy.refuse()

    assert _unavailable(await _post(executed, CUSTOMERS))


async def test_a_connection_lost_in_the_middle_of_a_read_answers_503(
    executed: httpx.AsyncClient, proxy: PostgresProxy, li: str,
) -> None:
    proxy.cut_on(1)

    response = await _post(executed, CUSTOMERS)

    assert proxy.cut.is_set()
    assert _unavailable(response)


async def test_a_database_still_starting_up_answers_503(
    compiled: httpx.AsyncClient, proxy: PostgresProxy, li: str,
) -> None:
    await proxy.starting()

    assert _unavailable(await _post(compiled, CUSTOMER, id=li))


async def test_a_database_host_that_never_answers_gets_503_after_the_connect_timeout(
    executed: httpx.AsyncClient, proxy: PostgresProxy, li: str,
) -> None:
    await proxy.silent()

    assert _unavailable(await _post(executed, CUSTOMERS))


async def test_no_pooled_connection_free_within_the_pool_timeout_answers_503(
    executed: httpx.AsyncClient, flaky: Container, li: str,
) -> None:
    async with flaky.engine.connect() as first, flaky.engine.connect() as second:
        await first.execute(text("SELECT 1"))  # the pool's two connections, both held
        await second.execute(text("SELECT 1"))

        assert _unavailable(await _post(executed, CUSTOMERS))


async def test_a_compiled_read_past_the_statement_timeout_answers_504_timeout(
    compiled: httpx.AsyncClient, db: AsyncEngine, li: str,
) -> None:
    async with db.begin() as blocker:  # every read of customers waits for this lock
        await blocker.execute(text("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE"))

        response = await _post(compiled, CUSTOMER, id=li)

    assert response.status_code == 504
    assert _codes(response) == ["TIMEOUT"]
    assert "retry-after" not in response.headers


async def test_a_mutation_past_the_statement_timeout_answers_504_and_writes_nothing(
    compiled: httpx.AsyncClient, db: AsyncEngine, li: str, snapshot: Any,
) -> None:
    before = await snapshot()
    async with db.begin() as blocker:
        await blocker.execute(text("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE"))

        response = await _post(compiled, CUSTOMER_CREATE, input={"displayName": "Lisa"})

    assert response.status_code == 504
    assert _codes(response) == ["TIMEOUT"]
    assert await snapshot() == before


@pytest.fixture(params=[True, False], ids=["compiled", "executed"])
async def reader(request: pytest.FixtureRequest, flaky_settings: Settings, flaky: Container
                 ) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(replace(flaky_settings, compiled_reads=request.param), container=flaky)
    async for http in _client(app):
        yield http


async def test_reads_answer_again_as_soon_as_the_database_is_back(
    reader: httpx.AsyncClient, proxy: PostgresProxy, li: str,
) -> None:
    client = reader
    assert (await _post(client, CUSTOMER, id=li)).status_code == 200
    await proxy.refuse()
    assert _unavailable(await _post(client, CUSTOMER, id=li))

    await proxy.restore()

    response = await _post(client, CUSTOMER, id=li)  # the very first one after
    assert response.status_code == 200
    assert response.json()["data"]["customer"]["id"] == li


async def test_writes_succeed_again_as_soon_as_the_database_is_back(
    compiled: httpx.AsyncClient, proxy: PostgresProxy,
) -> None:
    assert (await _post(compiled, CUSTOMER_CREATE, input={"displayName": "Lisa"})
            ).status_code == 200
    await proxy.refuse()
    assert _unavailable(await _post(compiled, CUSTOMER_CREATE, input={"displayName": "Lisa"}))

    await proxy.restore()

    response = await _post(compiled, CUSTOMER_CREATE, input={"displayName": "Lisa"})
    assert response.status_code == 200
    assert response.json()["data"]["customerCreate"]["userErrors"] == []


async def test_the_service_started_while_the_database_is_down_serves_once_it_is_up(
    flaky_settings: Settings, proxy: PostgresProxy, li: str,
) -> None:
    await proxy.refuse()
    app = create_app(flaky_settings)  # its own engine and pools, from its settings
    async for client in _client(app):
        assert _unavailable(await _post(client, CUSTOMER, id=li))

        await proxy.restore()

        assert (await _post(client, CUSTOMER, id=li)).status_code == 200


async def test_readiness_says_unavailable_while_the_database_is_down(
    flaky_settings: Settings, flaky: Container, proxy: PostgresProxy,
) -> None:
    await proxy.refuse()
    async with serving(flaky_settings, flaky) as container:
        app = create_app(flaky_settings, container=container)
        async for client in _client(app):
            response = await client.get("/readyz")

    assert response.status_code == 503


# --- a write the outage interrupts --------------------------------------------------------

WHOLE = text("""
SELECT
  (SELECT count(*) FROM purchases WHERE order_id = :order) AS purchases,
  (SELECT count(*) FROM purchase_lines l JOIN purchases p ON p.id = l.purchase_id
    WHERE p.order_id = :order) AS lines,
  (SELECT count(*) FROM loyalty_ledger e JOIN purchases p ON p.id = e.purchase_id
    WHERE p.order_id = :order AND e.id = p.earn_entry_id) AS earned,
  (SELECT count(*) FROM outbox WHERE name = 'PurchaseRecorded'
    AND data->>'order_id' = :order) AS events
""")
BALANCED = text("""
SELECT bool_and(m.points_balance =
  (SELECT coalesce(sum(e.points), 0) FROM loyalty_ledger e
    WHERE e.customer_id = m.customer_id AND e.programme_id = m.programme_id))
FROM loyalty_memberships m
""")
SALE = (line("DRESS-1", "800.00"), line("SCARF-2", "200.00"))


async def _recorded(db: AsyncEngine, order: str) -> tuple[int, ...]:
    """(purchases, lines, earn entries, outbox events) of the sale `order`."""
    async with db.connect() as connection:
        row = (await connection.execute(WHOLE, {"order": order})).one()
        balanced = (await connection.execute(BALANCED)).scalar()
    assert balanced is not False, "a member's balance differs from her ledger"
    return tuple(row)


@pytest.fixture
async def member(api: Api, loyalty: LoyaltyApi) -> str:
    await loyalty.programme()
    customer = await api.customer(displayName="Mrs. Li")
    return str(customer["id"])


async def test_a_purchase_cut_off_at_any_statement_is_recorded_whole_or_not_at_all(
    compiled: httpx.AsyncClient, proxy: PostgresProxy, db: AsyncEngine, member: str,
) -> None:
    probe = await _post(compiled, PURCHASE_RECORD, input=purchase_input(member, "probe", *SALE))
    assert probe.status_code == 200
    statements = proxy.statements  # of one purchase and its answer, as the proxy counts them
    assert statements > 3
    assert await _recorded(db, "probe") == (1, 2, 1, 1)
    outcomes = set()

    for cut in range(1, statements + 1):
        order = f"cut-{cut}"
        proxy.cut_on(cut)
        response = await _post(compiled, PURCHASE_RECORD,
                               input=purchase_input(member, order, *SALE))
        await proxy.restore()

        recorded = await _recorded(db, order)
        assert recorded in ((0, 0, 0, 0), (1, 2, 1, 1)), (cut, recorded)
        assert response.status_code == 503 or recorded == (1, 2, 1, 1), cut
        outcomes.add(recorded)

    assert outcomes == {(0, 0, 0, 0), (1, 2, 1, 1)}  # cuts before and after the commit


async def test_a_purchase_whose_commit_was_lost_on_the_way_back_is_recorded_once_when_retried(
    compiled: httpx.AsyncClient, proxy: PostgresProxy, db: AsyncEngine, member: str,
) -> None:
    sale = purchase_input(member, "till-7-0042", *SALE)
    proxy.cut_on_commit()

    first = await _post(compiled, PURCHASE_RECORD, input=sale)
    await asyncio.wait_for(proxy.cut.wait(), GENEROUS)  # PostgreSQL has had the COMMIT
    assert _unavailable(first)
    await proxy.restore()
    retried = await _post(compiled, PURCHASE_RECORD, input=sale)

    assert retried.status_code == 200
    assert retried.json()["data"]["purchaseRecord"]["replayed"] is True
    assert await _recorded(db, "till-7-0042") == (1, 2, 1, 1)
