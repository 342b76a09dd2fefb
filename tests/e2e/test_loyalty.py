"""Loyalty over HTTP: Mrs. Li crossing into Silver with a purchase and falling back
with a return, her member prices following; replays, batches, the ledger and its pages,
points about to expire, tier overrides, rewards and points at checkout."""

from typing import Any

from tests.e2e.api import Api, Gql, ago
from tests.e2e.loyalty_api import (
    POINTS_PAY,
    PROGRAMME,
    PURCHASE_RECORD,
    PURCHASE_RECORD_BATCH,
    PURCHASES,
    REWARD_REDEEM,
    TIER_OVERRIDE,
    LoyaltyApi,
    line,
    payload,
    purchase_input,
)


async def _mrs_li(api: Api, loyalty: LoyaltyApi) -> str:
    await loyalty.programme()
    customer: dict[str, Any] = await api.customer(displayName="Mrs. Li")
    return str(customer["id"])


def _amount(money: dict[str, str]) -> str:
    return f"{money['amount']} {money['currencyCode']}"


# The story ---------------------------------------------------------------------------------


async def test_mrs_li_reaches_silver_with_a_purchase_and_her_price_falls_by_five_percent(
    api: Api, loyalty: LoyaltyApi
) -> None:
    li = await _mrs_li(api, loyalty)
    first = await loyalty.purchase(li, "HZ-1001", line("COAT", "4800.00"))
    assert first["loyalty"]["tier"]["code"] == "member"
    assert _amount(first["loyalty"]["spendToNextTier"]) == "200.00 CNY"

    second = await loyalty.purchase(li, "HZ-1002", line("BAG", "500.00"), line("SOCKS", "100.00"))

    standing = second["loyalty"]
    assert (standing["tier"]["code"], standing["nextTier"]["code"]) == ("silver", "gold")
    assert _amount(standing["qualifyingSpend"]) == "5400.00 CNY"
    change = standing["tierHistory"][-1]
    assert (change["fromTier"], change["toTier"], change["reason"]) == (
        {"code": "member"}, {"code": "silver"}, "QUALIFIED")
    quote = await loyalty.quote(li, line("DRESS", "1000.00"))
    assert (_amount(quote["memberDiscount"]), _amount(quote["total"])) == (
        "50.00 CNY", "950.00 CNY")


async def test_mrs_li_returning_the_bag_falls_back_to_member_and_loses_her_discount(
    api: Api, loyalty: LoyaltyApi
) -> None:
    li = await _mrs_li(api, loyalty)
    await loyalty.purchase(li, "HZ-1001", line("COAT", "4800.00"))
    second = await loyalty.purchase(li, "HZ-1002", line("BAG", "500.00"), line("SOCKS", "100.00"))

    returned = await loyalty.refund(purchaseId=second["purchase"]["id"], refundRef="R-1",
                                    lines=[{"lineNo": 1, "quantity": 1}])

    standing = returned["loyalty"]
    assert standing["tier"]["code"] == "member"
    assert _amount(standing["qualifyingSpend"]) == "4900.00 CNY"
    assert standing["tierHistory"][-1]["reason"] == "REFUNDED"
    assert _amount(returned["purchase"]["refundedAmount"]) == "500.00 CNY"
    assert [ln["refundedQuantity"] for ln in returned["purchase"]["lines"]] == [1, 0]
    quote = await loyalty.quote(li, line("DRESS", "1000.00"))
    assert (_amount(quote["memberDiscount"]), _amount(quote["total"])) == (
        "0.00 CNY", "1000.00 CNY")


async def test_a_return_reverses_its_points_with_a_reverse_entry_pointing_at_the_earn(
    api: Api, loyalty: LoyaltyApi
) -> None:
    li = await _mrs_li(api, loyalty)
    await loyalty.purchase(li, "HZ-1001", line("COAT", "4800.00"))
    second = await loyalty.purchase(li, "HZ-1002", line("BAG", "500.00"), line("SOCKS", "100.00"))
    bag_points = second["purchase"]["lines"][0]["points"]

    returned = await loyalty.refund(purchaseId=second["purchase"]["id"], refundRef="R-1",
                                    lines=[{"lineNo": 1, "quantity": 1}])

    ledger = [edge["node"] for edge in (await loyalty.loyalty(li))["ledger"]["edges"]]
    reverse, earn = ledger[0], ledger[1]
    assert (reverse["kind"], reverse["points"]) == ("REVERSE", -bag_points)
    assert reverse["reverses"]["id"] == earn["id"]
    assert (earn["kind"], earn["purchase"]["orderId"]) == ("EARN", "HZ-1002")
    assert returned["refund"]["points"] == bag_points
    assert returned["loyalty"]["pointsBalance"] == sum(entry["points"] for entry in ledger)


# Purchases ---------------------------------------------------------------------------------


async def test_a_purchase_replayed_returns_the_same_purchase_marked_replayed(
    gql: Gql, api: Api, loyalty: LoyaltyApi, row_counts: Any
) -> None:
    li = await _mrs_li(api, loyalty)
    sale = {"input": purchase_input(li, "HZ-2001", line("COAT", "4800.00"))}
    first = payload(await gql(PURCHASE_RECORD, sale), "purchaseRecord")
    counts = await row_counts()

    again = payload(await gql(PURCHASE_RECORD, sale), "purchaseRecord")

    assert (again["purchase"]["id"], again["replayed"], first["replayed"]) == (
        first["purchase"]["id"], True, False)
    assert await row_counts() == counts


async def test_a_purchase_shows_its_lines_amounts_and_points_as_recorded(
    api: Api, loyalty: LoyaltyApi
) -> None:
    li = await _mrs_li(api, loyalty)
    store = await api.store()

    recorded = await loyalty.purchase(
        li, "HZ-2002", line("SCARF", "300.00", 2, discount="50.00", name="Silk scarf",
                            category="accessories", margin="120.50"),
        storeId=store["id"])

    purchase = recorded["purchase"]
    (scarf,) = purchase["lines"]
    assert (_amount(scarf["unitPrice"]), _amount(scarf["discount"]),
            _amount(scarf["netAmount"]), _amount(scarf["margin"])) == (
        "300.00 CNY", "50.00 CNY", "550.00 CNY", "120.50 CNY")
    assert (scarf["lineNo"], scarf["name"], scarf["category"]) == (1, "Silk scarf",
                                                                    "accessories")
    assert scarf["points"] == purchase["pointsEarned"] == 550
    assert purchase["store"] == {"id": store["id"]}
    assert purchase["customer"] == {"id": li}


async def test_the_batch_reports_each_purchase_and_a_bad_one_does_not_stop_the_rest(
    gql: Gql, api: Api, loyalty: LoyaltyApi
) -> None:
    li = await _mrs_li(api, loyalty)
    sold, earlier = line("COAT", "100.00"), ago(hours=2)
    await loyalty.purchase(li, "HZ-3000", sold, occurredAt=earlier)
    purchases = [
        purchase_input(li, "HZ-3001", sold),
        purchase_input(li, "HZ-3002", line("COAT", "100.00", -1), paymentTotal="100.00"),
        purchase_input(li, "HZ-3000", sold, occurredAt=earlier),
        purchase_input(li, "HZ-3003", sold),
    ]

    batch = payload(await gql(PURCHASE_RECORD_BATCH, {"input": {"purchases": purchases}}),
                    "purchaseRecordBatch")

    assert [(r["index"], r["status"]) for r in batch["results"]] == [
        (0, "RECORDED"), (1, "REJECTED"), (2, "REPLAYED"), (3, "RECORDED")]
    assert [(e["field"], e["code"]) for e in batch["results"][1]["userErrors"]] == [
        (["purchases", "1", "lines", "0", "quantity"], "INVALID")]
    assert (batch["recordedCount"], batch["replayedCount"], batch["rejectedCount"]) == (2, 1, 1)


async def test_purchases_of_a_customer_are_listed_newest_first(
    gql: Gql, api: Api, loyalty: LoyaltyApi
) -> None:
    li = await _mrs_li(api, loyalty)
    for number, hours in ((1, 30), (2, 20), (3, 10)):
        await loyalty.purchase(li, f"HZ-400{number}", line("COAT", "100.00"),
                               occurredAt=ago(hours=hours))

    body = await gql(PURCHASES, {"id": li, "first": 2})

    assert [p["orderId"] for p in body["data"]["customer"]["purchases"]["nodes"]] == [
        "HZ-4003", "HZ-4002"]


# The ledger and the standing ---------------------------------------------------------------


async def test_the_ledger_pages_forward_newest_first_without_repeats(
    api: Api, loyalty: LoyaltyApi
) -> None:
    li = await _mrs_li(api, loyalty)
    for number in range(5):
        await loyalty.purchase(li, f"HZ-500{number}", line("COAT", f"{number + 1}00.00"),
                               occurredAt=ago(hours=10 - number))

    first = (await loyalty.loyalty(li, first=2))["ledger"]
    rest = (await loyalty.loyalty(li, first=10, after=first["pageInfo"]["endCursor"]))["ledger"]

    points = [edge["node"]["points"] for edge in first["edges"] + rest["edges"]]
    assert points == [500, 400, 300, 200, 100]
    assert (first["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasNextPage"]) == (True, False)


async def test_points_expiring_soon_counts_lots_that_run_out_within_the_days_asked(
    api: Api, loyalty: LoyaltyApi
) -> None:
    await loyalty.programme(pointsExpireAfterMonths=1)
    li = (await api.customer(displayName="Mrs. Li"))["id"]
    await loyalty.purchase(li, "HZ-6001", line("COAT", "700.00"), occurredAt=ago(days=25))
    await loyalty.purchase(li, "HZ-6002", line("COAT", "200.00"))

    within_ten_days = await loyalty.loyalty(li, within_days=10)
    within_a_day = await loyalty.loyalty(li, within_days=1)

    assert (within_ten_days["expiringWithin"], within_a_day["expiringWithin"]) == (700, 0)
    assert within_ten_days["pointsBalance"] == 900


async def test_a_tier_override_shows_with_its_reason_until_lifted(
    gql: Gql, api: Api, loyalty: LoyaltyApi
) -> None:
    li = await _mrs_li(api, loyalty)
    await loyalty.purchase(li, "HZ-7001", line("COAT", "100.00"))

    given = payload(await gql(TIER_OVERRIDE, {"input": {
        "customerId": li, "tierCode": "gold", "reason": "complaint made good",
        "expiresAt": ago(days=-30)}}), "loyaltyTierOverride")["loyalty"]
    lifted = payload(await gql(TIER_OVERRIDE, {"input": {
        "customerId": li, "tierCode": None, "reason": "goodwill period over"}}),
        "loyaltyTierOverride")["loyalty"]

    assert (given["tier"]["code"], given["earnedTier"]["code"]) == ("gold", "member")
    assert given["tierOverride"]["reason"] == "complaint made good"
    assert (lifted["tier"]["code"], lifted["tierOverride"]) == ("member", None)
    assert [c["reason"] for c in lifted["tierHistory"]][-2:] == ["OVERRIDDEN", "OVERRIDE_ENDED"]


async def test_a_customer_who_never_bought_is_not_a_member(
    gql: Gql, api: Api, loyalty: LoyaltyApi
) -> None:
    li = await _mrs_li(api, loyalty)
    body = await gql("query($id: ID!) { customer(id: $id) { loyalty { tier { code } } } }",
                     {"id": li})
    assert body == {"data": {"customer": {"loyalty": None}}}


async def test_the_programme_reads_back_as_saved(gql: Gql, loyalty: LoyaltyApi) -> None:
    saved = await loyalty.programme(bonusRules=[
        {"name": "Accessories week", "multiplier": "2", "category": "accessories",
         "startsOn": "2026-03-01", "endsOn": "2026-03-07"}])

    body = await gql(PROGRAMME, {"code": None})

    assert body["data"]["loyaltyProgramme"] == saved
    assert [(t["code"], t["threshold"], t["discountPercent"]) for t in saved["tiers"]] == [
        ("member", "0", "0"), ("silver", "5000", "5"), ("gold", "20000", "10")]


# Points out --------------------------------------------------------------------------------


async def test_redeeming_a_reward_takes_its_cost_from_the_balance(
    gql: Gql, api: Api, loyalty: LoyaltyApi
) -> None:
    li = await _mrs_li(api, loyalty)
    await loyalty.purchase(li, "HZ-8001", line("COAT", "1500.00"))

    redeemed = payload(await gql(REWARD_REDEEM, {"input": {
        "customerId": li, "rewardCode": "scarf"}}), "rewardRedeem")

    assert (redeemed["entry"]["kind"], redeemed["entry"]["points"]) == ("REDEEM", -1000)
    assert redeemed["entry"]["reward"] == {"code": "scarf"}
    assert redeemed["pointsBalance"] == redeemed["loyalty"]["pointsBalance"] == 500


async def test_paying_with_points_says_what_they_paid(
    gql: Gql, api: Api, loyalty: LoyaltyApi
) -> None:
    li = await _mrs_li(api, loyalty)
    await loyalty.purchase(li, "HZ-8002", line("COAT", "1500.00"))

    paid = payload(await gql(POINTS_PAY, {"input": {
        "customerId": li, "points": 1234, "orderRef": "WEB-77"}}), "pointsPay")

    assert _amount(paid["amount"]) == _amount(paid["entry"]["moneyValue"]) == "12.34 CNY"
    assert (paid["entry"]["orderRef"], paid["pointsBalance"]) == ("WEB-77", 266)


async def test_points_adjusted_by_hand_keep_the_reason_and_who_gave_them(
    api: Api, loyalty: LoyaltyApi
) -> None:
    li = await _mrs_li(api, loyalty)

    adjusted = await loyalty.adjust(li, 250, reason="birthday gift from the manager")

    assert (adjusted["entry"]["kind"], adjusted["entry"]["points"]) == ("ADJUST", 250)
    assert adjusted["entry"]["reason"] == "birthday gift from the manager"
    assert adjusted["pointsBalance"] == 250


async def test_node_refetches_programmes_purchases_and_ledger_entries(
    gql: Gql, api: Api, loyalty: LoyaltyApi
) -> None:
    programme = await loyalty.programme()
    li = (await api.customer(displayName="Mrs. Li"))["id"]
    recorded = await loyalty.purchase(li, "HZ-9001", line("COAT", "100.00"))
    entry = (await loyalty.loyalty(li))["ledger"]["edges"][0]["node"]
    ids = [programme["id"], recorded["purchase"]["id"], entry["id"]]

    body = await gql("query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", {"ids": ids})

    assert body["data"]["nodes"] == [
        {"__typename": "LoyaltyProgramme", "id": programme["id"]},
        {"__typename": "Purchase", "id": recorded["purchase"]["id"]},
        {"__typename": "PointsLedgerEntry", "id": entry["id"]},
    ]


async def test_each_mutation_of_a_document_answers_with_the_balance_after_it(
    gql: Gql, api: Api, loyalty: LoyaltyApi
) -> None:
    li = await _mrs_li(api, loyalty)
    twice = """
    mutation($id: ID!) {
      first: pointsAdjust(input: {customerId: $id, points: 100, reason: "welcome"}) {
        loyalty { pointsBalance } userErrors { code } }
      second: pointsAdjust(input: {customerId: $id, points: 200, reason: "survey"}) {
        loyalty { pointsBalance } userErrors { code } }
    }
    """

    body = await gql(twice, {"id": li})

    assert [body["data"][name]["loyalty"]["pointsBalance"] for name in ("first", "second")] == [
        100, 300]
