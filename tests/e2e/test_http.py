"""GraphQL over HTTP (the GraphQL-over-HTTP spec, docs/api.md): methods, media types and
status codes, GraphiQL, and the health endpoints."""

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from api.http.app import create_app
from infrastructure.bootstrap import build_container
from infrastructure.postgres.engine import create_engine
from infrastructure.settings import Settings
from tests.e2e.api import Api

RowCounts = Callable[[], Awaitable[dict[str, int]]]

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"

COUNT = "query Count($tags: [String!]) { customers(filter: {tags: $tags}) { totalCount } }"
CREATE = 'mutation { customerCreate(input: {displayName: "Li"}) { customer { id } } }'
SYNTAX_ERROR = "query { customers { totalCount "
VALIDATION_ERROR = "query { customers { noSuchField } }"
NEEDS_INT = "query($first: Int!) { customers(first: $first) { totalCount } }"
UNKNOWN_ENUM_LITERAL = """
mutation { customerCreate(input: {displayName: "Li", kind: ROBOT}) { customer { id } } }
"""
UNKNOWN_ENUM_VARIABLE = """
mutation($kind: CustomerKind!) {
  customerCreate(input: {displayName: "Li", kind: $kind}) { customer { id } }
}
"""
UNKNOWN_CHANNEL = """
mutation($customer: ID!) {
  interactionRecord(input: {customerId: $customer, channel: CARRIER_PIGEON, kind: "note",
                            occurredAt: "2026-01-01T10:00:00+08:00"}) { interaction { id } }
}
"""

# (document, variables) whose problem is found before execution.
REQUEST_ERRORS = {
    "syntax": (SYNTAX_ERROR, {}),
    "validation": (VALIDATION_ERROR, {}),
    "variable coercion": (NEEDS_INT, {"first": "ten"}),
    "missing variable": (NEEDS_INT, {}),
}


async def _post(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None,
                accept: str = GRAPHQL_RESPONSE) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables or {}},
                              headers={"accept": accept})


def _media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0]


async def test_post_answers_in_the_media_type_the_client_prefers(
    client: httpx.AsyncClient
) -> None:
    for accept, expected in [(GRAPHQL_RESPONSE, GRAPHQL_RESPONSE), (JSON, JSON), ("*/*", JSON),
                             (f"{GRAPHQL_RESPONSE}, {JSON};q=0.9", GRAPHQL_RESPONSE)]:
        response = await _post(client, COUNT, accept=accept)
        assert response.status_code == 200
        assert _media_type(response) == expected
        assert response.json() == {"data": {"customers": {"totalCount": 0}}}


async def test_post_without_accept_gets_plain_json(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": COUNT})
    assert (response.status_code, _media_type(response)) == (200, JSON)


async def test_get_runs_a_query_with_variables_and_operation_name(
    client: httpx.AsyncClient, api: Api
) -> None:
    await api.customer(tags=["vip"])
    await api.customer()
    response = await client.get("/graphql", params={
        "query": COUNT, "variables": json.dumps({"tags": ["vip"]}), "operationName": "Count",
    }, headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 200
    assert response.json() == {"data": {"customers": {"totalCount": 1}}}


async def test_get_of_a_mutation_is_405_allowing_post_and_writes_nothing(
    client: httpx.AsyncClient, row_counts: RowCounts
) -> None:
    before = await row_counts()
    response = await client.get("/graphql", params={"query": CREATE},
                                headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "errors" in response.json()
    assert await row_counts() == before


@pytest.mark.parametrize("problem", sorted(REQUEST_ERRORS))
async def test_a_request_error_is_400_for_graphql_response_json(
    client: httpx.AsyncClient, problem: str
) -> None:
    query, variables = REQUEST_ERRORS[problem]
    response = await _post(client, query, variables, accept=GRAPHQL_RESPONSE)
    assert (response.status_code, _media_type(response)) == (400, GRAPHQL_RESPONSE)
    body = response.json()
    assert body["errors"]
    assert "data" not in body


@pytest.mark.parametrize("problem", sorted(REQUEST_ERRORS))
async def test_a_request_error_is_200_for_plain_json(
    client: httpx.AsyncClient, problem: str
) -> None:
    query, variables = REQUEST_ERRORS[problem]
    response = await _post(client, query, variables, accept=JSON)
    assert (response.status_code, _media_type(response)) == (200, JSON)
    assert response.json()["errors"]


async def test_an_error_during_execution_is_200_with_data_and_errors(
    client: httpx.AsyncClient
) -> None:
    response = await _post(client, NEEDS_INT, {"first": 101}, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(("accept", "status"), [(GRAPHQL_RESPONSE, 400), (JSON, 200)])
@pytest.mark.parametrize("how", ["literal", "variable"])
async def test_an_unknown_enum_value_in_a_mutation_is_refused_before_writing(
    client: httpx.AsyncClient, row_counts: RowCounts, accept: str, status: int, how: str
) -> None:
    before = await row_counts()
    if how == "literal":
        response = await _post(client, UNKNOWN_ENUM_LITERAL, accept=accept)
    else:
        response = await _post(client, UNKNOWN_ENUM_VARIABLE, {"kind": "ROBOT"}, accept=accept)
    assert (response.status_code, _media_type(response)) == (status, accept)
    assert response.json()["errors"]
    assert "data" not in response.json()
    assert await row_counts() == before


async def test_an_unknown_channel_in_interaction_record_is_a_validation_error(
    client: httpx.AsyncClient, api: Api, row_counts: RowCounts
) -> None:
    customer = await api.customer()
    before = await row_counts()
    response = await _post(client, UNKNOWN_CHANNEL, {"customer": customer["id"]})
    assert response.status_code == 400
    assert await row_counts() == before


@pytest.mark.parametrize("accept", ["text/plain", "application/xml", "text/html"])
async def test_post_with_an_unsupported_accept_is_406(
    client: httpx.AsyncClient, accept: str
) -> None:
    response = await _post(client, COUNT, accept=accept)
    assert response.status_code == 406


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "application/graphql"])
async def test_post_that_is_not_json_is_415(client: httpx.AsyncClient, content_type: str) -> None:
    response = await client.post("/graphql", content=json.dumps({"query": COUNT}),
                                 headers={"content-type": content_type, "accept": JSON})
    assert response.status_code == 415


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
async def test_malformed_json_is_400(client: httpx.AsyncClient, accept: str) -> None:
    response = await client.post("/graphql", content=b'{"query": "{ customers',
                                 headers={"content-type": JSON, "accept": accept})
    assert response.status_code == 400
    assert response.json()["errors"]


@pytest.mark.parametrize("body", [b"[]", b'{"variables": {}}', b'{"query": ""}',
                                  b'{"query": "{ stores { code } }", "variables": [1]}'])
async def test_a_body_without_a_usable_query_is_400(client: httpx.AsyncClient,
                                                   body: bytes) -> None:
    response = await client.post("/graphql", content=body,
                                 headers={"content-type": f"{JSON}; charset=utf-8",
                                          "accept": JSON})
    assert response.status_code == 400


async def test_get_with_variables_that_are_not_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": COUNT, "variables": "{tags:"},
                                headers={"accept": JSON})
    assert response.status_code == 400


async def test_an_operation_name_matching_no_operation_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": COUNT, "operationName": "Other"},
                                 headers={"accept": JSON})
    assert response.status_code == 400
    assert response.json()["errors"]


async def test_a_browser_gets_graphiql(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200
    assert _media_type(response) == "text/html"
    assert "graphiql" in response.text.lower()


async def test_healthz_answers_while_the_process_lives(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_is_ready_with_the_database_at_the_head_migration(
    client: httpx.AsyncClient
) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "schema": "ok"}


async def _ready_status(settings: Settings, url: str) -> httpx.Response:
    engine = create_engine(url, pooled=False)
    try:
        app = create_app(settings, container=build_container(settings, engine))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://rapport") as http:
                return await http.get("/readyz")
    finally:
        await engine.dispose()


async def test_readyz_is_503_while_the_schema_is_behind_head(
    settings: Settings, empty_database_url: str
) -> None:
    response = await _ready_status(settings, empty_database_url)
    assert response.status_code == 503
    assert response.json()["database"] == "ok"
    assert response.json()["schema"] != "ok"


async def test_readyz_is_503_when_the_database_is_unreachable(
    settings: Settings, database_url: str
) -> None:
    gone = urlunsplit(urlsplit(database_url)._replace(path="/rapport_no_such_database"))
    response = await _ready_status(settings, gone)
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"].startswith("unreachable")
