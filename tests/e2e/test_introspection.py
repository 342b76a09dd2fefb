"""Introspection and GraphiQL in production: off by default there; an
operation selecting `__schema` or `__type` is then refused with a code before it runs, while
`__typename` keeps working."""

from collections.abc import Awaitable, Callable

import httpx

from infrastructure.settings import Settings
from tests.conftest import StatementCounter

ClientWith = Callable[..., Awaitable[httpx.AsyncClient]]

SCHEMA = "{ __schema { queryType { name } } }"
TYPE = '{ __type(name: "Customer") { name } }'
HIDDEN_IN_A_FRAGMENT = """
query { customers { totalCount } ...Peek }
fragment Peek on Query { __schema { types { name } } }
"""
GRAPHQL_RESPONSE = "application/graphql-response+json"


async def _refusal(http: httpx.AsyncClient, query: str) -> dict[str, object]:
    response = await http.post("/graphql", json={"query": query},
                               headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    (error,) = body["errors"]
    return dict(error)


async def test_introspection_is_answered_when_on(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": SCHEMA})

    assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_with_introspection_off_schema_is_refused_with_a_code_before_any_sql(
    client_with: ClientWith, statement_counter: StatementCounter
) -> None:
    http = await client_with(introspection=False)

    with statement_counter() as statements:
        error = await _refusal(http, SCHEMA)

    assert error["extensions"] == {"code": "INTROSPECTION_DISABLED"}
    assert "introspection has been disabled" in str(error["message"])
    assert statements == []


async def test_with_introspection_off_type_is_refused(client_with: ClientWith) -> None:
    http = await client_with(introspection=False)

    error = await _refusal(http, TYPE)

    assert error["extensions"] == {"code": "INTROSPECTION_DISABLED"}


async def test_with_introspection_off_a_fragment_cannot_hide_schema(
    client_with: ClientWith,
) -> None:
    http = await client_with(introspection=False)

    error = await _refusal(http, HIDDEN_IN_A_FRAGMENT)

    assert error["extensions"] == {"code": "INTROSPECTION_DISABLED"}


async def test_with_introspection_off_typename_still_answers(client_with: ClientWith) -> None:
    http = await client_with(introspection=False)

    response = await http.post("/graphql", json={"query": "{ __typename }"})

    assert response.json() == {"data": {"__typename": "Query"}}


async def test_with_graphiql_off_a_browser_gets_no_ide(client_with: ClientWith) -> None:
    http = await client_with(graphiql=False)

    response = await http.get("/graphql", headers={"accept": "text/html"})

    assert "graphiql" not in response.text.lower()


def test_production_turns_introspection_and_graphiql_off_by_default() -> None:
    settings = Settings.from_environment({"RAPPORT_ENV": "production"})

    assert (settings.introspection, settings.graphiql) == (False, False)


def test_development_has_introspection_and_graphiql_on_by_default() -> None:
    settings = Settings.from_environment({})

    assert (settings.introspection, settings.graphiql) == (True, True)


def test_production_may_turn_introspection_back_on() -> None:
    settings = Settings.from_environment({"RAPPORT_ENV": "production",
                                          "RAPPORT_INTROSPECTION": "true"})

    assert settings.introspection
