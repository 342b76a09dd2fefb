"""What a careless or hostile client gets: operations too deep, too
aliased, too costly or too long are refused with a code before any SQL runs, and bodies over
the size limit are refused outright."""

from typing import Any

import httpx
import pytest

from tests.conftest import StatementCounter


def _nested_timelines(levels: int) -> str:
    """customer → timeline → customer → … `levels` times: each level is 3 deeper."""
    inner = "id"
    for _ in range(levels):
        inner = f"timeline(first: 1) {{ nodes {{ customer {{ {inner} }} }} }}"
    return f'{{ customer(id: "x") {{ {inner} }} }}'


async def _refused(client: httpx.AsyncClient, statement_counter: StatementCounter,
                   query: str) -> dict[str, Any]:
    with statement_counter() as statements:
        response = await client.post("/graphql", json={"query": query}, headers={
            "accept": "application/graphql-response+json"})
    assert statements == []
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    (error,) = body["errors"]
    return dict(error)


async def test_an_operation_deeper_than_the_limit_is_refused_before_any_sql(
    client: httpx.AsyncClient, statement_counter: StatementCounter
) -> None:
    error = await _refused(client, statement_counter, _nested_timelines(4))

    assert error["extensions"]["code"] == "QUERY_TOO_DEEP"
    assert "at most 12" in error["message"]


async def test_an_operation_within_the_depth_limit_is_answered(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/graphql", json={"query": _nested_timelines(3)})

    assert response.json() == {"data": {"customer": None}}


async def test_more_aliases_than_the_limit_are_refused(
    client: httpx.AsyncClient, statement_counter: StatementCounter
) -> None:
    aliases = " ".join(f"a{n}: stores {{ id }}" for n in range(31))

    error = await _refused(client, statement_counter, f"{{ {aliases} }}")

    assert error["extensions"]["code"] == "TOO_MANY_ALIASES"


async def test_an_operation_costlier_than_the_limit_is_refused(
    client: httpx.AsyncClient, statement_counter: StatementCounter
) -> None:
    # 100 customers x 100 interactions x their cases' 20 interactions... in one request.
    query = """{ customers(first: 100) { nodes { timeline(first: 100) { nodes {
        case { customer { cases(first: 100) { nodes { id subject } } } } } } } } }"""

    error = await _refused(client, statement_counter, query)

    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"


async def test_a_connection_page_from_a_variable_counts_as_the_largest_page(
    client: httpx.AsyncClient, statement_counter: StatementCounter
) -> None:
    query = """query($n: Int) { customers(first: $n) { nodes { timeline(first: $n) {
        nodes { case { customer { cases(first: $n) { nodes { id } } } } } } } } }"""

    error = await _refused(client, statement_counter, query)

    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"


async def test_the_story_queries_are_well_within_the_limits(client: httpx.AsyncClient) -> None:
    query = """{ customers(first: 50) { totalCount edges { cursor node {
        id displayName tags contactPoints { kind value consents { purpose granted } }
        household { name importantDates { occasion date } }
        timeline(first: 20) { edges { node { id channel kind occurredAt store { name } } } }
        cases(status: [OPEN, IN_PROGRESS]) { nodes { subject owner { name } } }
    } } pageInfo { hasNextPage endCursor } } }"""

    response = await client.post("/graphql", json={"query": query})

    assert "errors" not in response.json()


async def test_a_document_of_more_tokens_than_the_limit_is_refused(
    client: httpx.AsyncClient, statement_counter: StatementCounter
) -> None:
    fields = " ".join(["id"] * 5_000)

    error = await _refused(client, statement_counter, f"{{ stores {{ {fields} }} }}")

    assert error["extensions"]["code"] == "QUERY_TOO_LARGE"


async def test_a_body_over_the_size_limit_is_refused_with_413(client: httpx.AsyncClient) -> None:
    padding = " " * 1_000_001

    response = await client.post("/graphql", content=f'{{"query": "{{ stores {{ id }} }}"}}'
                                 f"{padding}", headers={"content-type": "application/json"})

    assert response.status_code == 413


@pytest.mark.parametrize(("setting", "query", "code"), [
    ("max_query_depth", "{ staff { store { id } } }", "QUERY_TOO_DEEP"),
    ("max_query_aliases", "{ a: stores { id } b: stores { id } }", "TOO_MANY_ALIASES"),
    ("max_query_cost", "{ stores { id code name } }", "QUERY_TOO_COSTLY"),
])
async def test_the_limits_come_from_settings(
    client_with: Any, setting: str, query: str, code: str
) -> None:
    client = await client_with(**{setting: 1})

    response = await client.post("/graphql", json={"query": query})

    assert response.json()["errors"][0]["extensions"]["code"] == code
