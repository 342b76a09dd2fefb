"""The read side on a streaming replica, over HTTP: queries answer from the replica, as far as
it has replayed; a mutation's payload, and authentication, read the primary; /readyz and the
`rapport.db.replica.lag` metric tell the lag. Replay is paused (`pg_wal_replay_pause()`) to
hold the replica at a known point behind the primary. The clusters: tests/streaming_replica.py."""

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from api.http.app import create_app
from domain.organisation.commands import CreateStaff, CreateStore
from domain.shared.access import Role
from infrastructure.bootstrap import OFF, Container, Telemetry, build_container
from infrastructure.postgres.replica import ReadReplica
from infrastructure.settings import Settings
from infrastructure.telemetry import telemetry
from tests.e2e.api import CUSTOMER_UPDATE, Api, Gql, result
from tests.e2e.asgi import in_process
from tests.e2e.conftest import MovableClock
from tests.e2e.test_authentication import AUDIENCE, ISSUER, PROVIDER_KEY, bearer, token
from tests.streaming_replica import Replicated, free_port, until

NAME = "query($id: ID!) { customer(id: $id) { displayName } }"
LAG = "rapport.db.replica.lag"
LAG_READ_EVERY = 0.05  # seconds; the service's is 5


@pytest.fixture(name="settings")
def replicated_settings(replicated_db: Replicated) -> Settings:
    return Settings(database_url=replicated_db.primary_url,
                    read_database_url=replicated_db.replica_url, anonymous_role=Role.ADMIN)


@contextlib.asynccontextmanager
async def _replicated(
    settings: Settings, replicated_db: Replicated, clock: MovableClock | None = None,
    measured: Telemetry = OFF,
) -> AsyncIterator[Container]:
    """The container as `serving` builds it with RAPPORT_READ_DATABASE_URL set (its
    telemetry `measured`)."""
    assert settings.database_url
    assert settings.read_database_url
    replica = ReadReplica(settings.read_database_url, settings.database_url, pool_size=4,
                          statement_timeout_ms=settings.statement_timeout_ms,
                          lag_read_every=LAG_READ_EVERY)
    built = build_container(settings, replicated_db.primary, clock=clock, replica=replica,
                            telemetry=measured)
    try:
        yield built
    finally:
        await built.close()
        await replica.dispose()


@contextlib.asynccontextmanager
async def _client(settings: Settings, container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app with other settings than the module's `client`."""
    async with in_process(create_app(settings, container=container)) as http:
        yield http


@pytest.fixture(name="container")
async def replicated_container(
    settings: Settings, replicated_db: Replicated, clock: MovableClock
) -> AsyncIterator[Container]:
    async with _replicated(settings, replicated_db, clock) as built:
        yield built


@pytest.fixture
async def renamed_while_paused(api: Api, gql: Gql, replicated_db: Replicated) -> dict[str, str]:
    """Mrs. Li, replayed on the replica; then, replay paused, renamed on the primary.
    Returns her id and the rename's payload."""
    customer = await api.customer(displayName="Mrs. Li")
    await replicated_db.caught_up()
    await replicated_db.pause()
    renamed = result(await gql(CUSTOMER_UPDATE, {"input": {
        "id": customer["id"], "expectedVersion": customer["version"],
        "displayName": "Li Wen"}}), "customerUpdate")
    return {"id": customer["id"], "payload_name": renamed["displayName"]}


async def _name(client: httpx.AsyncClient, customer_id: str) -> str:
    response = await client.post("/graphql", json={"query": NAME, "variables": {"id": customer_id}})
    name: str = response.json()["data"]["customer"]["displayName"]
    return name


async def test_a_query_answers_from_the_replica_as_far_as_it_has_replayed(
    executed_client: httpx.AsyncClient, renamed_while_paused: dict[str, str]
) -> None:
    assert await _name(executed_client, renamed_while_paused["id"]) == "Mrs. Li"


async def test_a_compiled_query_answers_from_the_replica_too(
    client: httpx.AsyncClient, renamed_while_paused: dict[str, str]
) -> None:
    assert await _name(client, renamed_while_paused["id"]) == "Mrs. Li"


async def test_a_mutation_payload_reads_its_own_write_though_the_replica_lags(
    renamed_while_paused: dict[str, str]
) -> None:
    assert renamed_while_paused["payload_name"] == "Li Wen"


async def test_the_replica_serves_the_write_once_it_has_replayed_it(
    client: httpx.AsyncClient, renamed_while_paused: dict[str, str], replicated_db: Replicated
) -> None:
    await replicated_db.resume()

    assert await _name(client, renamed_while_paused["id"]) == "Li Wen"


async def test_a_staff_member_added_while_the_replica_lags_can_sign_in_at_once(
    settings: Settings, replicated_db: Replicated
) -> None:
    pem = PROVIDER_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with_tokens = replace(settings, anonymous_role=None, jwt_issuer=ISSUER,
                          jwt_audience=AUDIENCE, jwt_public_key=pem, jwt_algorithms=("RS256",))
    async with _replicated(with_tokens, replicated_db) as container:
        await replicated_db.pause()
        store = await container.use_cases.organisation.create_store(
            CreateStore("hz-westlake", "West Lake"))
        await container.use_cases.organisation.create_staff(
            CreateStaff("Wang Fang", "wang@brand.example", store_id=store.id))
        async with _client(with_tokens, container) as staff:
            response = await staff.post(
                "/graphql", json={"query": "{ stores { code } }"},
                headers=bearer(token(email="wang@brand.example", rapport_role="STAFF")))

    # Signed in, from the primary; the stores, read from the replica, are not there yet.
    assert response.json() == {"data": {"stores": []}}


async def test_readiness_shows_a_replica_that_has_replayed_everything_as_not_behind(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/readyz")

    assert (response.status_code, response.json()["replica"]) == (200, "ok, 0.0 s behind")


async def test_readiness_shows_how_far_a_paused_replica_is_behind(
    client: httpx.AsyncClient, renamed_while_paused: dict[str, str]
) -> None:
    await asyncio.sleep(0.2)

    response = await client.get("/readyz")

    found = re.fullmatch(r"(\d+\.\d) s behind, replay paused", response.json()["replica"])
    assert found is not None, response.json()
    assert float(found[1]) >= 0.2


async def test_readiness_stays_ready_on_the_primary_when_the_replica_is_unreachable(
    settings: Settings, replicated_db: Replicated
) -> None:
    nowhere = replace(settings,
                      read_database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/rapport")
    async with (_replicated(nowhere, replicated_db) as container,
                _client(nowhere, container) as http):
        response = await http.get("/readyz")

    assert (response.status_code, response.json()) == (200, {
        "status": "ok", "database": "ok", "schema": "ok",
        "replica": "unreachable: ConnectionRefusedError; reads go to the primary"})


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
async def measured(
    settings: Settings, replicated_db: Replicated, reader: InMemoryMetricReader
) -> AsyncIterator[Container]:
    """The app's lifespan running over a container whose metrics go to `reader`."""
    with_metrics = telemetry(metric_readers=[reader])
    async with (_replicated(settings, replicated_db, measured=with_metrics) as container,
                _client(settings, container)):
        yield container
    with_metrics.shutdown()


def _lag(reader: InMemoryMetricReader) -> float | None:
    """The replica lag gauge's value as collected now; None when it has none."""
    data = reader.get_metrics_data()
    values = [point.value for resource in (data.resource_metrics if data else ())
              for scope in resource.scope_metrics for metric in scope.metrics
              if metric.name == LAG for point in getattr(metric.data, "data_points", ())]
    assert len(values) <= 1, values
    return float(values[0]) if values else None


async def _next_lag(reader: InMemoryMetricReader, above: float = -1.0) -> float:
    """The gauge's value once it is greater than `above`; TimeoutError if it never gets
    there."""
    found: list[float] = []

    async def read() -> bool:
        lag = _lag(reader)
        found[:] = [] if lag is None else [lag]
        return bool(found) and found[0] > above

    await until(read, every=LAG_READ_EVERY, within=10)
    return found[0]


async def test_the_replica_lag_metric_is_zero_or_more_while_the_replica_keeps_up(
    measured: Container, reader: InMemoryMetricReader,
) -> None:
    assert await _next_lag(reader) >= 0.0


async def test_the_replica_lag_metric_grows_while_replay_is_paused(
    measured: Container, reader: InMemoryMetricReader, replicated_db: Replicated,
) -> None:
    await replicated_db.pause()
    # A write the replica receives and does not replay: now it is behind.
    await measured.use_cases.organisation.create_store(CreateStore("hz-westlake", "West Lake"))
    first = await _next_lag(reader, above=0.0)

    # Paused, it falls behind by the second: a later reading is 0.2 s more, within the wait.
    assert await _next_lag(reader, above=first + 0.2) > first + 0.2


def _reading_lag() -> list[asyncio.Task[object]]:
    return [task for task in asyncio.all_tasks() if task.get_name() == "ReadReplica.watch_lag"]


async def test_the_replica_lag_is_read_while_the_app_runs_and_no_longer(
    settings: Settings, replicated_db: Replicated,
) -> None:
    reader = InMemoryMetricReader()
    async with (_replicated(settings, replicated_db, measured=telemetry(metric_readers=[reader]))
                as container):
        async with _client(settings, container):
            await _next_lag(reader)
            assert len(_reading_lag()) == 1

        assert _reading_lag() == []


async def test_the_replica_lag_readings_leave_no_spans(
    settings: Settings, replicated_db: Replicated,
) -> None:
    """Tracing on: the readings are the service's own work, no request's, and would make a
    trace every few seconds."""
    exporter, reader = InMemorySpanExporter(), InMemoryMetricReader()
    traced = telemetry([SimpleSpanProcessor(exporter)], [reader])
    traced.instrument_sql()
    try:
        async with (_replicated(settings, replicated_db, measured=traced) as container,
                    _client(settings, container) as http):
            await _next_lag(reader)
            await asyncio.sleep(3 * LAG_READ_EVERY)
            await http.post("/graphql", json={"query": "{ stores { code } }"})
    finally:
        traced.uninstrument_sql()
        traced.shutdown()

    statements = [str((span.attributes or {}).get("db.statement", ""))
                  for span in exporter.get_finished_spans()]
    assert any("stores" in statement for statement in statements)  # SQL is traced
    assert not any("pg_last_wal_replay_lsn" in statement for statement in statements)
