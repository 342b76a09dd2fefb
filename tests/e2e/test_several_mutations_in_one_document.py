"""A document may hold several mutations, run one after another: each answers with what it
changed, never with what an earlier one read into the request's loaders."""

from typing import Any

from tests.e2e.api import Api, Gql
from tests.e2e.loyalty_api import LoyaltyApi

TWO_CUSTOMER_UPDATES = """
mutation($first: CustomerUpdateInput!, $second: CustomerUpdateInput!) {
  first: customerUpdate(input: $first) { customer { version occupation } userErrors { code } }
  second: customerUpdate(input: $second) { customer { version occupation } userErrors { code } }
}
"""

TWO_CASE_ASSIGNS = """
mutation($first: CaseAssignInput!, $second: CaseAssignInput!) {
  first: caseAssign(input: $first) {
    case { version queue customer { version } } userErrors { code }
  }
  second: caseAssign(input: $second) {
    case { version queue customer { version } } userErrors { code }
  }
}
"""

TWO_POINTS_ADJUSTS = """
mutation($first: PointsAdjustInput!, $second: PointsAdjustInput!) {
  first: pointsAdjust(input: $first) { loyalty { pointsBalance } userErrors { code } }
  second: pointsAdjust(input: $second) { loyalty { pointsBalance } userErrors { code } }
}
"""


def _answers(body: dict[str, Any], result: str) -> tuple[dict[str, Any], dict[str, Any]]:
    assert "errors" not in body, body
    first, second = body["data"]["first"], body["data"]["second"]
    assert first["userErrors"] == [], body
    assert second["userErrors"] == [], body
    return first[result], second[result]


async def test_two_customer_updates_answer_each_with_its_own_new_version(
    api: Api, gql: Gql
) -> None:
    customer = await api.customer(displayName="Mrs. Li")

    first, second = _answers(await gql(TWO_CUSTOMER_UPDATES, {
        "first": {"id": customer["id"], "occupation": "architect"},
        "second": {"id": customer["id"], "occupation": "gardener"},
    }), "customer")

    assert (first["version"], first["occupation"]) == (customer["version"] + 1, "architect")
    assert (second["version"], second["occupation"]) == (customer["version"] + 2, "gardener")


async def test_two_case_assigns_answer_each_with_its_own_new_version(api: Api, gql: Gql) -> None:
    customer = await api.customer(displayName="Mrs. Li")
    case = await api.case(customer["id"])

    first, second = _answers(await gql(TWO_CASE_ASSIGNS, {
        "first": {"caseId": case["id"], "ownerId": None, "queue": "returns"},
        "second": {"caseId": case["id"], "ownerId": None, "queue": "vip"},
    }), "case")

    assert (first["version"], first["queue"]) == (case["version"] + 1, "returns")
    assert (second["version"], second["queue"]) == (case["version"] + 2, "vip")


async def test_two_points_adjustments_answer_each_with_the_balance_after_it(
    api: Api, loyalty: LoyaltyApi, gql: Gql
) -> None:
    await loyalty.programme()
    customer = await api.customer(displayName="Mrs. Li")
    await loyalty.adjust(customer["id"], 100)

    first, second = _answers(await gql(TWO_POINTS_ADJUSTS, {
        "first": {"customerId": customer["id"], "points": 50, "reason": "goodwill"},
        "second": {"customerId": customer["id"], "points": 25, "reason": "goodwill"},
    }), "loyalty")

    assert first["pointsBalance"] == 150
    assert second["pointsBalance"] == 175
