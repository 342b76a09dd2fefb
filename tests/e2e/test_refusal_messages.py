"""A refusal names what was refused: its message starts with the argument's GraphQL path
(`customerId: not a Customer id`), in a mutation's userErrors and in a query's errors, on
the compiled path and on field-by-field execution alike."""

from typing import Any

import httpx
import pytest

from tests.e2e.api import CUSTOMER_CREATE, INTERACTION_RECORD, Api, Gql, ago, unknown_id

CUSTOMERS = "query($filter: CustomerFilterInput, $first: Int, $after: String) {" \
            " customers(filter: $filter, first: $first, after: $after) { nodes { id } } }"
CASES = "query($filter: CaseFilterInput) { cases(filter: $filter) { nodes { id } } }"


async def _errors(http: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> Any:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    assert body["data"] is None, body
    return [(e["message"], e["extensions"]["code"]) for e in body["errors"]]


@pytest.mark.parametrize(("query", "variables", "message"), [
    (CUSTOMERS, {"filter": {"homeStoreId": "garbage"}}, "filter.homeStoreId: not a Store id"),
    (CUSTOMERS, {"filter": {"ownerId": unknown_id("Customer")}},
     "filter.ownerId: not a Staff id"),
    (CASES, {"filter": {"customerId": unknown_id("Store")}},
     "filter.customerId: not a Customer id"),
    (CUSTOMERS, {"first": 5, "after": "not-a-cursor"}, "after: not a cursor from this connection"),
    (CUSTOMERS, {"first": 101}, "first: must be between 0 and 100"),
])
async def test_a_refused_query_argument_is_named_on_both_paths(
    client: httpx.AsyncClient, executed_client: httpx.AsyncClient,
    query: str, variables: dict[str, Any], message: str,
) -> None:
    compiled = await _errors(client, query, variables)
    executed = await _errors(executed_client, query, variables)

    assert compiled == executed == [(message, "BAD_USER_INPUT")]


async def test_a_refused_id_in_a_mutation_is_named_in_its_user_error(gql: Gql, api: Api) -> None:
    await api.customer()
    case = unknown_id("Case")
    body = await gql(INTERACTION_RECORD, {"input": {
        "customerId": case, "channel": "VISIT", "kind": "visit", "occurredAt": ago(minutes=5)}})
    not_a_customer = await gql(INTERACTION_RECORD, {"input": {
        "customerId": "garbage", "channel": "VISIT", "kind": "visit",
        "occurredAt": ago(minutes=5)}})

    assert body["data"]["interactionRecord"]["userErrors"] == [{
        "field": ["customerId"], "code": "NOT_FOUND",
        "message": "customerId: no Customer has this id"}]
    assert not_a_customer["data"]["interactionRecord"]["userErrors"] == [{
        "field": ["customerId"], "code": "INVALID", "message": "customerId: not a Customer id"}]


async def test_a_nested_input_is_named_by_its_path_with_list_indexes(gql: Gql) -> None:
    body = await gql(CUSTOMER_CREATE, {"input": {
        "displayName": "Mrs. Li",
        "contactPoints": [{"kind": "PHONE", "value": "+86 138 0000 0000"},
                          {"kind": "EMAIL", "value": "li@@example"}]}})

    assert body["data"]["customerCreate"]["userErrors"] == [{
        "field": ["contactPoints", "1", "value"], "code": "INVALID",
        "message": "contactPoints[1].value: not an email address"}]
