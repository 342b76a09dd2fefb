"""The read side on a streaming replica, over HTTP: queries answer from the replica, as far as
it has replayed; a mutation's payload, and authentication, read the primary. Replay is
paused (`pg_wal_replay_pause()`) to hold the replica at a known point behind the primary.
The clusters: tests/streaming_replica.py."""

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from api.http.app import create_app
from domain.organisation.commands import CreateStaff, CreateStore
from domain.shared.access import Role
from infrastructure.bootstrap import Container, build_container
from infrastructure.postgres.replica import ReadReplica
from infrastructure.settings import Settings
from tests.e2e.api import CUSTOMER_UPDATE, Api, Gql, result
from tests.e2e.asgi import in_process
from tests.e2e.conftest import MovableClock
from tests.e2e.test_authentication import AUDIENCE, ISSUER, PROVIDER_KEY, bearer, token
from tests.streaming_replica import Replicated, free_port

NAME = "query($id: ID!) { customer(id: $id) { displayName } }"


@pytest.fixture(name="settings")
def replicated_settings(replicated_db: Replicated) -> Settings:
    return Settings(database_url=replicated_db.primary_url,
                    read_database_url=replicated_db.replica_url, anonymous_role=Role.ADMIN)


@contextlib.asynccontextmanager
async def _replicated(
    settings: Settings, replicated_db: Replicated, clock: MovableClock | None = None
) -> AsyncIterator[Container]:
    """The container as `serving` builds it with RAPPORT_READ_DATABASE_URL set."""
    assert settings.database_url
    assert settings.read_database_url
    replica = ReadReplica(settings.read_database_url, settings.database_url, pool_size=4,
                          statement_timeout_ms=settings.statement_timeout_ms)
    built = build_container(settings, replicated_db.primary, clock=clock, replica=replica)
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
