"""Persisted queries: operations of an allow-list run by their hash,
Automatic Persisted Queries register on a client's second try, and a server set to persisted
only runs nothing else."""

import hashlib
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.http.app import create_app
from infrastructure.settings import Settings
from tests.conftest import StatementCounter

COUNT = "query Count { customers { totalCount } }"
NAMES = "query Names { customers(first: 5) { edges { node { id displayName } } } }"
CREATE = 'mutation Create { customerCreate(input: {displayName: "Li"}) { customer { id } } }'
NOT_LISTED = "query NotListed { customers { totalCount } stores { id } }"

ClientWith = Callable[..., Awaitable[httpx.AsyncClient]]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def by_hash(text: str) -> dict[str, Any]:
    """Apollo's extension naming a persisted query."""
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(text)}}


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    """An allow-list in relay-compiler's format (`"algorithm": "SHA256"`)."""
    path = tmp_path / "persisted_queries.json"
    path.write_text(json.dumps({sha256(text): text for text in (COUNT, NAMES, CREATE)}))
    return path


async def _post(http: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await http.post("/graphql", json=body)


async def _get(http: httpx.AsyncClient, **params: Any) -> httpx.Response:
    return await http.get("/graphql", params={
        name: value if isinstance(value, str) else json.dumps(value)
        for name, value in params.items()})


def _code(response: httpx.Response) -> str:
    (error,) = response.json()["errors"]
    code: str = error["extensions"]["code"]
    return code


async def test_an_allow_listed_operation_runs_by_its_hash(
    client_with: ClientWith, manifest: Path
) -> None:
    http = await client_with(persisted_queries=manifest)

    response = await _post(http, extensions=by_hash(COUNT))

    assert response.json() == {"data": {"customers": {"totalCount": 0}}}


async def test_an_allow_listed_operation_runs_by_its_document_id(
    client_with: ClientWith, manifest: Path
) -> None:
    http = await client_with(persisted_queries=manifest)

    response = await _post(http, documentId=f"sha256:{sha256(COUNT)}")

    assert response.json() == {"data": {"customers": {"totalCount": 0}}}


async def test_a_persisted_query_runs_over_get(
    client_with: ClientWith, manifest: Path
) -> None:
    http = await client_with(persisted_queries=manifest)

    response = await _get(http, extensions=by_hash(NAMES))

    assert response.json() == {"data": {"customers": {"edges": []}}}


async def test_a_persisted_mutation_runs_over_post(
    client_with: ClientWith, manifest: Path
) -> None:
    http = await client_with(persisted_queries=manifest)

    response = await _post(http, extensions=by_hash(CREATE))

    assert response.json()["data"]["customerCreate"]["customer"]["id"]


async def test_a_persisted_query_is_answered_by_one_compiled_statement(
    client_with: ClientWith, manifest: Path, statement_counter: StatementCounter
) -> None:
    http = await client_with(persisted_queries=manifest)
    await _post(http, extensions=by_hash(NAMES))  # warm-up: the plan is compiled once

    with statement_counter() as statements:
        response = await _post(http, extensions=by_hash(NAMES))

    assert response.json() == {"data": {"customers": {"edges": []}}}
    assert len(statements) == 1


async def test_an_unknown_hash_gets_persisted_query_not_found_with_status_200(
    client: httpx.AsyncClient,
) -> None:
    response = await _post(client, extensions=by_hash(NOT_LISTED))

    assert response.status_code == 200
    assert _code(response) == "PERSISTED_QUERY_NOT_FOUND"
    assert response.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert "no-cache" in response.headers["cache-control"]


async def test_a_query_sent_with_its_hash_is_registered_for_hash_only_requests(
    client: httpx.AsyncClient,
) -> None:
    registering = await _post(client, query=NOT_LISTED, extensions=by_hash(NOT_LISTED))

    by_post = await _post(client, extensions=by_hash(NOT_LISTED))
    by_get = await _get(client, extensions=by_hash(NOT_LISTED))

    answer = {"data": {"customers": {"totalCount": 0}, "stores": []}}
    assert registering.json() == by_post.json() == by_get.json() == answer


async def test_a_query_whose_hash_does_not_match_is_refused(
    client: httpx.AsyncClient,
) -> None:
    response = await _post(client, query=NOT_LISTED, extensions=by_hash(COUNT))

    assert response.status_code == 400
    assert _code(response) == "PERSISTED_QUERY_HASH_MISMATCH"


async def test_a_mismatched_query_is_not_registered_under_the_hash(
    client: httpx.AsyncClient,
) -> None:
    await _post(client, query=NOT_LISTED, extensions=by_hash(COUNT))

    response = await _post(client, extensions=by_hash(COUNT))

    assert _code(response) == "PERSISTED_QUERY_NOT_FOUND"


async def test_an_unsupported_persisted_query_version_is_refused(
    client: httpx.AsyncClient,
) -> None:
    extensions = {"persistedQuery": {"version": 2, "sha256Hash": sha256(COUNT)}}

    response = await _post(client, query=COUNT, extensions=extensions)

    assert response.status_code == 400
    assert _code(response) == "PERSISTED_QUERY_NOT_SUPPORTED"


async def test_a_malformed_hash_is_refused(client: httpx.AsyncClient) -> None:
    response = await _post(client, documentId="not-a-hash")

    assert response.status_code == 400
    assert _code(response) == "BAD_REQUEST"


async def test_persisted_only_refuses_an_operation_outside_the_allow_list_before_any_sql(
    client_with: ClientWith, manifest: Path, statement_counter: StatementCounter
) -> None:
    http = await client_with(persisted_queries=manifest, persisted_queries_only=True)

    with statement_counter() as statements:
        response = await _post(http, query=NOT_LISTED)

    assert response.status_code == 400
    assert _code(response) == "PERSISTED_QUERY_REQUIRED"
    assert statements == []


async def test_persisted_only_refuses_apq_registration(
    client_with: ClientWith, manifest: Path
) -> None:
    http = await client_with(persisted_queries=manifest, persisted_queries_only=True)

    registering = await _post(http, query=NOT_LISTED, extensions=by_hash(NOT_LISTED))
    by_hash_only = await _post(http, extensions=by_hash(NOT_LISTED))

    assert _code(registering) == "PERSISTED_QUERY_REQUIRED"
    assert _code(by_hash_only) == "PERSISTED_QUERY_NOT_FOUND"


async def test_persisted_only_runs_the_allow_list_by_hash_or_by_its_text(
    client_with: ClientWith, manifest: Path
) -> None:
    http = await client_with(persisted_queries=manifest, persisted_queries_only=True)

    hashed = await _post(http, extensions=by_hash(COUNT))
    written = await _post(http, query=COUNT)

    assert hashed.json() == written.json() == {"data": {"customers": {"totalCount": 0}}}


async def test_a_refused_persisted_mutation_changes_nothing(
    client_with: ClientWith, manifest: Path, snapshot: Callable[[], Awaitable[Any]]
) -> None:
    http = await client_with(persisted_queries=manifest, persisted_queries_only=True)
    before = await snapshot()

    response = await _post(http, query=CREATE.replace("Li", "Wei"))

    assert _code(response) == "PERSISTED_QUERY_REQUIRED"
    assert await snapshot() == before


def test_a_manifest_whose_hash_is_not_its_text_stops_start_up(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({sha256(COUNT): NAMES}))

    with pytest.raises(ValueError, match="not the sha256 of its text"):
        create_app(Settings(persisted_queries=path))


def test_persisted_only_without_a_manifest_stops_start_up() -> None:
    with pytest.raises(ValueError, match="RAPPORT_PERSISTED_QUERIES"):
        create_app(Settings(persisted_queries_only=True))
