"""Every loyalty mutation refuses bad input with userErrors naming the input field and a
code, and leaves the database exactly as it was (DESIGN.md §6)."""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from api.graphql.relay import parse_global_id
from domain.shared.access import Role, Viewer
from tests.e2e.api import Api, Gql, Snapshot, ago, gql_of, refused, unknown_id
from tests.e2e.loyalty_api import (
    MEMBER_PRICE,
    POINTS_ADJUST,
    POINTS_PAY,
    PROGRAMME_SAVE,
    PURCHASE_RECORD,
    PURCHASE_RECORD_BATCH,
    PURCHASE_REFUND,
    REWARD_REDEEM,
    TIER_OVERRIDE,
    WOMENSWEAR,
    LoyaltyApi,
    line,
    purchase_input,
)

ClientAs = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def li(api: Api, loyalty: LoyaltyApi) -> str:
    """Mrs. Li, a member with 1,500 points from one purchase."""
    await loyalty.programme()
    customer_id: str = (await api.customer(displayName="Mrs. Li"))["id"]
    await loyalty.purchase(customer_id, "HZ-1", line("COAT", "1000.00"),
                           line("BAG", "250.00", 2), occurredAt=ago(hours=3))
    return customer_id


async def _purchase_id(gql: Gql, customer_id: str) -> str:
    body = await gql("query($id: ID!) { customer(id: $id) { purchases { nodes { id } } } }",
                     {"id": customer_id})
    found: str = body["data"]["customer"]["purchases"]["nodes"][0]["id"]
    return found


# purchaseRecord ----------------------------------------------------------------------------

SALE_REFUSALS = [
    ("negative quantity", {"lines": [line("COAT", "100.00", -2)], "paymentTotal": "0.00"},
     (["lines", "0", "quantity"], "INVALID")),
    ("currency mismatch", {"currencyCode": "EUR"}, (["currencyCode"], "INVALID")),
    ("unknown customer", {"customerId": unknown_id("Customer")}, (["customerId"], "NOT_FOUND")),
    ("a customer id of another type", {"customerId": unknown_id("Store")},
     (["customerId"], "NOT_FOUND")),
    ("a fraction of a fen", {"lines": [line("COAT", "1.234")], "paymentTotal": "1.23"},
     (["lines", "0", "unitPrice"], "INVALID")),
    ("a price that is no number", {"lines": [line("COAT", "abc")], "paymentTotal": "1.00"},
     (["lines", "0", "unitPrice"], "INVALID")),
    ("a discount over the line", {"lines": [line("COAT", "10.00", discount="20.00")]},
     (["lines", "0", "discount"], "INVALID")),
    ("no lines", {"lines": []}, (["lines"], "REQUIRED")),
    ("an unknown programme", {"programme": "no-such-club"}, (["programme"], "NOT_FOUND")),
    ("no time zone", {"occurredAt": "2026-11-01T10:00:00"}, (["occurredAt"], "INVALID")),
]


@pytest.mark.parametrize(("change", "expected"), [(c, e) for _, c, e in SALE_REFUSALS],
                         ids=[name for name, _, _ in SALE_REFUSALS])
async def test_purchase_record_refuses_bad_input(
    gql: Gql, snapshot: Snapshot, li: str, change: dict[str, Any],
    expected: tuple[list[str], str],
) -> None:
    sale = {**purchase_input(li, "HZ-2", line("COAT", "100.00")), **change}
    assert expected in await refused(gql, snapshot, PURCHASE_RECORD, "purchaseRecord", sale)


async def test_purchase_record_refuses_an_order_id_reused_with_other_content(
    gql: Gql, snapshot: Snapshot, li: str
) -> None:
    sale = purchase_input(li, "HZ-1", line("COAT", "999.00"))
    errors = await refused(gql, snapshot, PURCHASE_RECORD, "purchaseRecord", sale)
    assert errors == [(["orderId"], "IDEMPOTENCY_KEY_REUSED")]


async def test_purchase_record_batch_refuses_more_than_500(
    gql: Gql, snapshot: Snapshot, li: str
) -> None:
    purchases = [purchase_input(li, f"B-{n}", line("SOCKS", "10.00")) for n in range(501)]
    errors = await refused(gql, snapshot, PURCHASE_RECORD_BATCH, "purchaseRecordBatch",
                           {"purchases": purchases})
    assert errors == [(["purchases"], "TOO_LARGE")]


# purchaseRefund ----------------------------------------------------------------------------


async def test_purchase_refund_refuses_returning_the_same_purchase_twice(
    gql: Gql, snapshot: Snapshot, li: str, loyalty: LoyaltyApi
) -> None:
    purchase_id = await _purchase_id(gql, li)
    await loyalty.refund(purchaseId=purchase_id, refundRef="R-1")

    errors = await refused(gql, snapshot, PURCHASE_REFUND, "purchaseRefund", {
        "purchaseId": purchase_id, "refundRef": "R-2", "occurredAt": ago(minutes=1)})

    assert errors == [(["lines"], "ALREADY_REFUNDED")]


async def test_purchase_refund_refuses_more_than_was_bought(
    gql: Gql, snapshot: Snapshot, li: str
) -> None:
    errors = await refused(gql, snapshot, PURCHASE_REFUND, "purchaseRefund", {
        "purchaseId": await _purchase_id(gql, li), "refundRef": "R-1",
        "occurredAt": ago(minutes=1), "lines": [{"lineNo": 2, "quantity": 3}]})
    assert [field for field, _ in errors] == [["lines", "0", "quantity"]]


async def test_purchase_refund_refuses_an_unknown_purchase(
    gql: Gql, snapshot: Snapshot, li: str
) -> None:
    errors = await refused(gql, snapshot, PURCHASE_REFUND, "purchaseRefund", {
        "purchaseId": unknown_id("Purchase"), "refundRef": "R-1",
        "occurredAt": ago(minutes=1)})
    assert errors == [(["purchaseId"], "NOT_FOUND")]


async def test_purchase_refund_by_order_id_needs_the_channel(
    gql: Gql, snapshot: Snapshot, li: str
) -> None:
    errors = await refused(gql, snapshot, PURCHASE_REFUND, "purchaseRefund", {
        "orderId": "HZ-1", "refundRef": "R-1", "occurredAt": ago(minutes=1)})
    assert errors == [(["purchaseId"], "REQUIRED")]


# Points out --------------------------------------------------------------------------------

POINTS_REFUSALS = [
    ("redeeming more than the balance", REWARD_REDEEM, "rewardRedeem",
     {"rewardCode": "scarf", "quantity": 2}, (["points"], "INSUFFICIENT_POINTS")),
    ("an unknown reward", REWARD_REDEEM, "rewardRedeem", {"rewardCode": "yacht"},
     (["rewardCode"], "NOT_FOUND")),
    ("paying with more than the balance", POINTS_PAY, "pointsPay",
     {"points": 1501, "orderRef": "WEB-1"}, (["points"], "INSUFFICIENT_POINTS")),
    ("paying with no order", POINTS_PAY, "pointsPay", {"points": 100, "orderRef": " "},
     (["orderRef"], "REQUIRED")),
    ("adjusting without a reason", POINTS_ADJUST, "pointsAdjust",
     {"points": 100, "reason": ""}, (["reason"], "REQUIRED")),
    ("adjusting below zero", POINTS_ADJUST, "pointsAdjust",
     {"points": -1501, "reason": "fraud"}, (["points"], "INSUFFICIENT_POINTS")),
    ("adjusting an unknown customer", POINTS_ADJUST, "pointsAdjust",
     {"points": 10, "reason": "gift", "customerId": unknown_id("Customer")},
     (["customerId"], "NOT_FOUND")),
]


@pytest.mark.parametrize(("document", "mutation", "fields", "expected"),
                         [case[1:] for case in POINTS_REFUSALS],
                         ids=[case[0] for case in POINTS_REFUSALS])
async def test_points_mutations_refuse_bad_input(
    gql: Gql, snapshot: Snapshot, li: str, document: str, mutation: str,
    fields: dict[str, Any], expected: tuple[list[str], str],
) -> None:
    errors = await refused(gql, snapshot, document, mutation, {"customerId": li, **fields})
    assert expected in errors


async def test_a_storefront_may_not_adjust_points(
    client_as: ClientAs, snapshot: Snapshot, li: str
) -> None:
    parsed = parse_global_id(li)
    assert parsed is not None
    shop = await client_as(Viewer(Role.STOREFRONT, "client:web-shop", member_id=parsed[1]))

    errors = await refused(gql_of(shop), snapshot, POINTS_ADJUST, "pointsAdjust",
                           {"customerId": li, "points": 500, "reason": "be nice"})
    assert errors == [(None, "NOT_ALLOWED")]


def _unreadable(customer_id: str, order_id: str) -> dict[str, Any]:
    """A batch item the API can't turn into a command: its price is no number."""
    return purchase_input(customer_id, order_id, line("SOCKS", "10.00"),
                          lines=[line("SOCKS", "ten")])


async def test_purchase_record_batch_counts_unreadable_items_towards_500(
    gql: Gql, snapshot: Snapshot, li: str
) -> None:
    purchases = [purchase_input(li, f"B-{n}", line("SOCKS", "10.00")) for n in range(300)]
    purchases += [_unreadable(li, f"X-{n}") for n in range(201)]
    errors = await refused(gql, snapshot, PURCHASE_RECORD_BATCH, "purchaseRecordBatch",
                           {"purchases": purchases})
    assert errors == [(["purchases"], "TOO_LARGE")]


async def test_a_partner_may_not_send_a_batch_even_of_unreadable_items(
    client_as: ClientAs, snapshot: Snapshot, li: str
) -> None:
    cinema = await client_as(Viewer(Role.PARTNER, "client:cinema", partner_code="cinema"))
    errors = await refused(gql_of(cinema), snapshot, PURCHASE_RECORD_BATCH,
                           "purchaseRecordBatch", {"purchases": [_unreadable(li, "X-1")]})
    assert errors == [(None, "NOT_ALLOWED")]


# Tiers and programmes ----------------------------------------------------------------------

OVERRIDE_REFUSALS = [
    ("an unknown tier", {"tierCode": "platinum", "reason": "vip"}, (["tierCode"], "NOT_FOUND")),
    ("no reason", {"tierCode": "gold", "reason": " "}, (["reason"], "REQUIRED")),
    ("lifting no override", {"tierCode": None, "reason": "tidy up"}, (["tierCode"], "INVALID")),
    ("an expiry in the past", {"tierCode": "gold", "reason": "vip", "expiresAt": ago(days=1)},
     (["expiresAt"], "INVALID")),
]


@pytest.mark.parametrize(("fields", "expected"), [case[1:] for case in OVERRIDE_REFUSALS],
                         ids=[case[0] for case in OVERRIDE_REFUSALS])
async def test_tier_override_refuses_bad_input(
    gql: Gql, snapshot: Snapshot, li: str, fields: dict[str, Any],
    expected: tuple[list[str], str],
) -> None:
    errors = await refused(gql, snapshot, TIER_OVERRIDE, "loyaltyTierOverride",
                           {"customerId": li, **fields})
    assert expected in errors


PROGRAMME_REFUSALS = [
    ("a first tier above zero", {"tiers": [{"code": "member", "name": "Member",
                                            "threshold": "10"}]},
     (["tiers", "0", "threshold"], "INVALID")),
    ("a point value that is no number", {"pointValue": "abc"}, (["pointValue"], "INVALID")),
    ("a changed currency", {"currencyCode": "EUR"}, (["currencyCode"], "INVALID")),
    ("a discount over 100", {"tiers": [*WOMENSWEAR["tiers"][:2], {
        "code": "gold", "name": "Gold", "threshold": "20000", "discountPercent": "120"}]},
     (["tiers", "2", "discountPercent"], "INVALID")),
    ("a stale version", {"expectedVersion": 99}, (["expectedVersion"], "CONFLICT")),
]


@pytest.mark.parametrize(("change", "expected"), [case[1:] for case in PROGRAMME_REFUSALS],
                         ids=[case[0] for case in PROGRAMME_REFUSALS])
async def test_programme_save_refuses_bad_input(
    gql: Gql, snapshot: Snapshot, li: str, change: dict[str, Any],
    expected: tuple[list[str], str],
) -> None:
    errors = await refused(gql, snapshot, PROGRAMME_SAVE, "loyaltyProgrammeSave",
                           {**WOMENSWEAR, **change})
    assert expected in errors


# memberPrice: a query, so bad input is a GraphQL error with the code ------------------------

QUOTE_REFUSALS = [
    ("currency mismatch", {"currencyCode": "EUR"}, "INVALID"),
    ("unknown customer", {"customerId": unknown_id("Customer")}, "NOT_FOUND"),
    ("negative quantity", {"lines": [line("DRESS", "100.00", -1)]}, "INVALID"),
    ("a price that is no number", {"lines": [line("DRESS", "abc")]}, "INVALID"),
]


@pytest.mark.parametrize(("change", "code"), [case[1:] for case in QUOTE_REFUSALS],
                         ids=[case[0] for case in QUOTE_REFUSALS])
async def test_member_price_refuses_bad_input_with_the_code(
    gql: Gql, li: str, change: dict[str, Any], code: str
) -> None:
    variables = {"customerId": li, "currencyCode": "CNY",
                 "lines": [line("DRESS", "100.00")], **change}
    body = await gql(MEMBER_PRICE, variables)
    assert [e["extensions"]["code"] for e in body["errors"]] == [code]
    assert body["data"] == {"memberPrice": None}


async def test_an_amount_sent_as_a_float_is_refused_before_anything_runs(
    gql: Gql, snapshot: Snapshot, li: str
) -> None:
    before = await snapshot()
    sale = purchase_input(li, "HZ-2", line("COAT", "100.00"), paymentTotal=100.0)

    body = await gql(PURCHASE_RECORD, {"input": sale})

    assert body.get("data") is None
    assert "send a decimal as a string" in body["errors"][0]["message"]
    assert await snapshot() == before
