"""The alliance over HTTP: Lisa, who loves films, buys mascara at the Jing'an Temple counter
and gets a cinema ticket with it; the cinema validates and redeems it with its own key and
is settled for it; a coffee at the café earns her the brand's points, in both ledgers."""

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.partners.codes import canonical
from domain.shared.access import Role, Viewer
from tests.conftest import events_written
from tests.e2e.api import Api, Gql, ago, gql_of, iso, uuid_in
from tests.e2e.loyalty_api import PURCHASE_RECORD, LoyaltyApi, line, purchase_input
from tests.e2e.partners_api import (
    GRANT_REDEMPTION_REVERSE,
    OFFERS,
    PARTNER_PURCHASE_RETURN,
    PARTNERS,
    Alliance,
    PartnerCounter,
    PartnersApi,
    buy_mascara,
    lisa_customer,
    money,
    payload,
    set_up_alliance,
    this_period,
)

ClientAs = Callable[..., Awaitable[httpx.AsyncClient]]

LEDGER = """
query($id: ID!) {
  customer(id: $id) {
    loyalty { pointsBalance ledger(first: 10) { nodes { kind points reason partner { code } } } }
  }
}
"""


@pytest.fixture
async def alliance(api: Api, loyalty: LoyaltyApi, gql: Gql) -> Alliance:
    return await set_up_alliance(api, loyalty, gql)


async def test_lisa_buys_mascara_and_the_cinema_redeems_her_ticket_and_is_settled(
    alliance: Alliance, loyalty: LoyaltyApi, gql: Gql
) -> None:
    await buy_mascara(loyalty, alliance)

    (grant,) = await PartnersApi(gql).benefits(alliance.lisa)
    assert (grant["state"], grant["offer"]["code"], grant["issuedBy"]) == (
        "ISSUED", "mascara-movie", "system")
    assert grant["partner"]["id"] == alliance.cinema
    assert canonical(grant["code"]) is not None
    assert grant["code"].count("-") == 3

    cinema = PartnerCounter(gql, alliance.cinema_key)
    check = await cinema.validate(grant["code"].lower().replace("-", " "))
    assert (check["valid"], check["problem"], check["code"]) == (True, None, grant["code"])
    assert check["member"] == {"firstName": "Lisa", "tierName": "Member"}
    assert check["offer"]["code"] == "mascara-movie"
    assert check["expiresAt"] == grant["expiresAt"]

    redeemed = payload(await cinema.redeem(grant["code"]), "grantRedeem")
    redemption = redeemed["redemption"]
    assert (redemption["code"], redemption["reversed"], redeemed["replayed"]) == (
        grant["code"], False, False)
    assert (await cinema.validate(grant["code"]))["problem"] == "ALREADY_REDEEMED"
    (after,) = await PartnersApi(gql).benefits(alliance.lisa)
    assert after["state"] == "REDEEMED"
    assert [r["id"] for r in after["redemptions"]] == [redemption["id"]]

    settlement = await cinema.settlement(this_period())
    assert (settlement["partner"]["code"], settlement["closed"]) == ("wanda-cinema", False)
    assert [(ln["kind"], ln["direction"], ln["count"], money(ln["amount"]), ln["offer"])
            for ln in settlement["lines"]] == [
        ("REDEMPTION", "BRAND_OWES", 1, "35.00 CNY", {"code": "mascara-movie"})]
    assert (money(settlement["brandOwes"]), money(settlement["partnerOwes"]),
            money(settlement["netToPartner"])) == ("35.00 CNY", "0.00 CNY", "35.00 CNY")
    header, *rows = list(csv.reader(io.StringIO(settlement["csv"])))
    assert header == ["period", "occurred_at", "kind", "direction", "amount", "currency",
                      "points", "offer_id", "entry_id"]
    assert [(r[0], r[2], r[4], r[5]) for r in rows] == [
        (this_period(), "REDEMPTION", "35.00", "CNY")]
    assert alliance.lisa not in settlement["csv"]


async def _ticket_redeemed(alliance: Alliance, loyalty: LoyaltyApi, gql: Gql
                           ) -> tuple[dict[str, Any], PartnerCounter, dict[str, Any]]:
    """Lisa's ticket for her mascara, the cinema's counter, and its redemption there (she
    spent 60 CNY alongside)."""
    await buy_mascara(loyalty, alliance)
    (grant,) = await PartnersApi(gql).benefits(alliance.lisa)
    cinema = PartnerCounter(gql, alliance.cinema_key)
    first = payload(await cinema.redeem(grant["code"], amount="60.00"), "grantRedeem")
    return grant, cinema, first


async def test_a_retried_redemption_replays_and_a_reversal_makes_the_grant_good_again(
    alliance: Alliance, loyalty: LoyaltyApi, gql: Gql
) -> None:
    grant, cinema, first = await _ticket_redeemed(alliance, loyalty, gql)

    again = payload(await cinema.redeem(grant["code"], amount="60.00"), "grantRedeem")
    assert (again["redemption"]["id"], again["replayed"]) == (first["redemption"]["id"], True)
    assert money(again["redemption"]["amount"]) == "60.00 CNY"

    reversed_ = payload(await cinema.ask(GRANT_REDEMPTION_REVERSE, {"input": {
        "redemptionId": first["redemption"]["id"], "reason": "wrong member"}}),
        "grantRedemptionReverse")["redemption"]
    assert (reversed_["reversed"], reversed_["reverseReason"]) == (True, "wrong member")
    assert (await cinema.validate(grant["code"]))["valid"] is True
    settlement = await cinema.settlement(this_period())
    assert sorted((ln["kind"], money(ln["amount"])) for ln in settlement["lines"]) == [
        ("REDEMPTION", "35.00 CNY"), ("REDEMPTION_REVERSAL", "-35.00 CNY")]
    assert money(settlement["brandOwes"]) == "0.00 CNY"


async def test_a_retry_of_a_reversed_redemption_answers_it_reversed_and_redeems_nothing(
    alliance: Alliance, loyalty: LoyaltyApi, gql: Gql
) -> None:
    grant, cinema, first = await _ticket_redeemed(alliance, loyalty, gql)
    payload(await cinema.ask(GRANT_REDEMPTION_REVERSE, {"input": {
        "redemptionId": first["redemption"]["id"], "reason": "screening cancelled"}}),
        "grantRedemptionReverse")

    again = payload(await cinema.redeem(grant["code"], amount="60.00"), "grantRedeem")

    assert (again["redemption"]["id"], again["redemption"]["reversed"],
            again["redemption"]["reverseReason"], again["replayed"]) == (
        first["redemption"]["id"], True, "screening cancelled", True)
    assert (await cinema.validate(grant["code"]))["valid"] is True
    settlement = await cinema.settlement(this_period())
    assert sorted(ln["kind"] for ln in settlement["lines"]) == [
        "REDEMPTION", "REDEMPTION_REVERSAL"]


async def test_a_coffee_at_the_cafe_earns_lisa_points_in_her_ledger_and_the_cafes_settlement(
    alliance: Alliance, loyalty: LoyaltyApi, gql: Gql
) -> None:
    await buy_mascara(loyalty, alliance)  # she is a member already
    cafe = PartnerCounter(gql, alliance.cafe_key)
    sold_at = ago(minutes=10)

    recorded = payload(await cafe.earn("CAFE-0042", "38.00", occurredAt=sold_at),
                       "partnerPurchaseRecord")

    purchase = recorded["purchase"]
    assert (purchase["orderId"], money(purchase["amount"]), purchase["points"],
            recorded["replayed"]) == ("CAFE-0042", "38.00 CNY", 76, False)
    body = await gql(LEDGER, {"id": alliance.lisa})
    assert "errors" not in body, body
    standing = body["data"]["customer"]["loyalty"]
    earned_here = [e for e in standing["ledger"]["nodes"] if e["partner"]]
    assert [(e["kind"], e["points"], e["partner"]["code"]) for e in earned_here] == [
        ("EARN", 76, "harbour-cafe")]
    settlement = await cafe.settlement(this_period())
    assert [(ln["kind"], ln["direction"], ln["count"], money(ln["amount"]), ln["points"],
             ln["offer"]) for ln in settlement["lines"]] == [
        ("COALITION_EARN", "PARTNER_OWES", 1, "0.76 CNY", 76, None)]
    assert (money(settlement["partnerOwes"]), money(settlement["netToPartner"])) == (
        "0.76 CNY", "-0.76 CNY")

    replay = payload(await cafe.earn("CAFE-0042", "38.00", occurredAt=sold_at),
                     "partnerPurchaseRecord")
    assert (replay["purchase"]["id"], replay["replayed"]) == (purchase["id"], True)

    returned = payload(await cafe.ask(PARTNER_PURCHASE_RETURN, {"input": {
        "orderId": "CAFE-0042", "returnRef": "CAFE-R-1", "amount": "19.00"}}),
        "partnerPurchaseReturn")["purchase"]
    assert (money(returned["returnedAmount"]), returned["returnedPoints"]) == ("19.00 CNY", 38)
    settlement = await cafe.settlement(this_period())
    assert money(settlement["partnerOwes"]) == "0.38 CNY"


async def test_a_cafe_amount_sent_with_an_exponent_reaches_the_outbox_in_fixed_point(
    alliance: Alliance, gql: Gql, db: AsyncEngine
) -> None:
    cafe = PartnerCounter(gql, alliance.cafe_key)

    payload(await cafe.earn("CAFE-1000", "1E+3"), "partnerPurchaseRecord")

    [recorded] = await events_written(db, "PartnerPurchaseRecorded")
    assert (recorded.data["amount"], recorded.data["currency"]) == ("1000.00", "CNY")


async def test_a_returned_amount_sent_with_an_exponent_reaches_the_outbox_in_fixed_point(
    alliance: Alliance, gql: Gql, db: AsyncEngine
) -> None:
    cafe = PartnerCounter(gql, alliance.cafe_key)
    payload(await cafe.earn("CAFE-1000", "1000.00"), "partnerPurchaseRecord")

    payload(await cafe.ask(PARTNER_PURCHASE_RETURN, {"input": {
        "orderId": "CAFE-1000", "returnRef": "CAFE-R-1", "amount": "1E+2"}}),
        "partnerPurchaseReturn")

    [returned] = await events_written(db, "PartnerPurchaseReturned")
    assert returned.data["amount"] == "100.00"


async def test_a_member_who_shares_nothing_with_partners_earns_at_the_cafe_unnamed_to_it(
    alliance: Alliance, api: Api, gql: Gql
) -> None:
    mei = await lisa_customer(api, alliance.store, shares=False, ref="MEI-1", name="Mei")
    cafe = PartnerCounter(gql, alliance.cafe_key)
    sold_at = ago(minutes=10)

    hers = payload(await cafe.earn("CAFE-MEI", "38.00", member="MEI-1", occurredAt=sold_at),
                   "partnerPurchaseRecord")
    lisas = payload(await cafe.earn("CAFE-LISA", "38.00", occurredAt=sold_at),
                    "partnerPurchaseRecord")

    def of_anyone(answer: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in answer["purchase"].items()
                if k not in ("id", "orderId", "recordedAt")}

    assert of_anyone(hers) == of_anyone(lisas)
    assert hers["purchase"]["points"] == 76
    body = await gql(LEDGER, {"id": mei})
    assert "errors" not in body, body
    assert [(e["kind"], e["points"], e["partner"]["code"])
            for e in body["data"]["customer"]["loyalty"]["ledger"]["nodes"]] == [
        ("EARN", 76, "harbour-cafe")]


async def test_a_purchase_without_mascara_or_by_a_member_who_shares_nothing_issues_nothing(
    alliance: Alliance, api: Api, loyalty: LoyaltyApi, gql: Gql
) -> None:
    await loyalty.purchase(alliance.lisa, "JA-2001", line("LIPSTICK", "220.00",
                                                          category="lipstick"))
    private = await lisa_customer(api, alliance.store, shares=False, ref="MEI-1", name="Mei")
    await loyalty.purchase(private, "JA-2002", line("MASCARA-01", "180.00",
                                                    category="mascara"))

    assert await PartnersApi(gql).benefits(alliance.lisa) == []
    assert await PartnersApi(gql).benefits(private) == []


async def test_a_refused_purchase_issues_nothing_and_a_returned_one_revokes_its_grant(
    alliance: Alliance, loyalty: LoyaltyApi, gql: Gql
) -> None:
    refused = await gql(PURCHASE_RECORD, {"input": purchase_input(
        alliance.lisa, "JA-3001", line("MASCARA-01", "180.00", category="mascara"),
        paymentTotal="-1.00")})
    assert refused["data"]["purchaseRecord"]["userErrors"]
    assert await PartnersApi(gql).benefits(alliance.lisa) == []

    bought = await buy_mascara(loyalty, alliance, "JA-3002")
    await loyalty.refund(purchaseId=bought["purchase"]["id"], refundRef="R-1",
                         lines=[{"lineNo": 1, "quantity": 1}])

    (grant,) = await PartnersApi(gql).benefits(alliance.lisa)
    assert (grant["state"], grant["reason"]) == ("REVOKED", "the purchase was returned")
    assert await PartnersApi(gql).benefits(alliance.lisa, state="ISSUED") == []
    check = await PartnerCounter(gql, alliance.cinema_key).validate(grant["code"])
    assert check["problem"] == "REVOKED"


GRANTS_AND_THEIR_PURCHASES = """
query($id: ID!) {
  customer(id: $id) { benefits(first: 10) { nodes {
    state offer { code } purchase { orderId }
  } } }
}
"""


async def _grants_and_their_purchases(gql: Gql, customer: str) -> set[tuple[str, str, str]]:
    body = await gql(GRANTS_AND_THEIR_PURCHASES, {"id": customer})
    assert "errors" not in body, body
    return {(g["state"], g["offer"]["code"], g["purchase"]["orderId"])
            for g in body["data"]["customer"]["benefits"]["nodes"]}


async def test_her_birthday_purchase_returned_her_next_one_that_month_issues_her_ticket(
    alliance: Alliance, api: Api, loyalty: LoyaltyApi, gql: Gql
) -> None:
    sold_at = datetime.now(UTC) - timedelta(minutes=30)  # both sales: one birthday month
    await PartnersApi(gql).offer(alliance.cinema, active=True, code="birthday-movie",
                                 trigger={"kind": "BIRTHDAY_MONTH"})
    mei = await lisa_customer(api, alliance.store, ref="MEI-1", name="Mei",
                              birthDate=date(1990, sold_at.month, 1).isoformat())
    scarf = line("SCARF-01", "90.00", category="scarves")

    returned = await loyalty.purchase(mei, "JA-B1", scarf, occurredAt=iso(sold_at))
    assert await _grants_and_their_purchases(gql, mei) == {
        ("ISSUED", "birthday-movie", "JA-B1")}
    await loyalty.refund(purchaseId=returned["purchase"]["id"], refundRef="R-B1")
    await loyalty.purchase(mei, "JA-B2", scarf, occurredAt=iso(sold_at))

    assert await _grants_and_their_purchases(gql, mei) == {
        ("REVOKED", "birthday-movie", "JA-B1"), ("ISSUED", "birthday-movie", "JA-B2")}


async def test_a_returned_purchase_s_grant_leaves_her_quota_to_her_next_purchase(
    alliance: Alliance, loyalty: LoyaltyApi, gql: Gql
) -> None:
    returned = await buy_mascara(loyalty, alliance, "JA-Q1")  # the ticket: once per member
    await loyalty.refund(purchaseId=returned["purchase"]["id"], refundRef="R-Q1")
    await buy_mascara(loyalty, alliance, "JA-Q2")
    await buy_mascara(loyalty, alliance, "JA-Q3")

    assert await _grants_and_their_purchases(gql, alliance.lisa) == {
        ("REVOKED", "mascara-movie", "JA-Q1"), ("ISSUED", "mascara-movie", "JA-Q2")}


async def test_a_till_back_from_an_outage_issues_the_offers_that_ran_when_it_sold(
    alliance: Alliance, loyalty: LoyaltyApi, gql: Gql
) -> None:
    partners = PartnersApi(gql)
    await partners.offer(alliance.cinema, active=True, code="matinee", validUntil=ago(hours=2))
    await partners.offer(alliance.cinema, active=True, code="premiere",
                         validFrom=ago(minutes=30))

    await loyalty.purchase(alliance.lisa, "JA-OFFLINE-1",
                           line("MASCARA-01", "180.00", category="mascara"),
                           occurredAt=ago(hours=3))

    grants = await partners.benefits(alliance.lisa)
    assert sorted(g["offer"]["code"] for g in grants) == ["mascara-movie", "matinee"]


GRANT_PURCHASES = """
query($id: ID!) {
  customer(id: $id) { benefits(first: 10) { nodes {
    offer { code } purchase { id orderId netAmount { amount } }
  } } }
}
"""


def _purchases_of_grants(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    return {g["offer"]["code"]: g["purchase"]
            for g in body["data"]["customer"]["benefits"]["nodes"]}


async def test_staff_see_the_purchase_that_issued_a_grant_and_none_for_one_issued_by_hand(
    alliance: Alliance, loyalty: LoyaltyApi, gql: Gql
) -> None:
    bought = (await buy_mascara(loyalty, alliance))["purchase"]
    manual = await PartnersApi(gql).offer(alliance.cinema, active=True, code="apology",
                                          trigger={"kind": "MANUAL"})
    await PartnersApi(gql).issue(manual["id"], alliance.lisa)

    grants = _purchases_of_grants(await gql(GRANT_PURCHASES, {"id": alliance.lisa}))

    assert grants == {"mascara-movie": {"id": bought["id"], "orderId": "JA-1001",
                                        "netAmount": {"amount": "185.00"}},
                      "apology": None}


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "executed"])
async def test_a_web_shop_sees_the_purchase_that_issued_its_member_s_grant(
    alliance: Alliance, loyalty: LoyaltyApi, client_as: ClientAs, compiled: bool
) -> None:
    bought = (await buy_mascara(loyalty, alliance))["purchase"]
    shop = gql_of(await client_as(Viewer(Role.STOREFRONT, "client:web-shop",
                                         member_id=uuid_in(alliance.lisa)),
                                  compiled_reads=compiled))

    grants = _purchases_of_grants(await shop(GRANT_PURCHASES, {"id": alliance.lisa}))

    assert grants["mascara-movie"]["id"] == bought["id"]


async def test_staff_issue_a_grant_by_hand_and_see_the_alliance(
    alliance: Alliance, gql: Gql
) -> None:
    grant = await PartnersApi(gql).issue(alliance.offer, alliance.lisa)
    assert (grant["state"], grant["reason"], grant["offer"]["id"]) == (
        "ISSUED", "made good a complaint", alliance.offer)

    body = await gql(PARTNERS, {})
    assert "errors" not in body, body
    listed = {p["code"]: [o["code"] for o in p["offers"]["nodes"]]
              for p in body["data"]["partners"]["nodes"]}
    assert listed == {"harbour-cafe": [], "wanda-cinema": ["mascara-movie"]}
    body = await gql(OFFERS, {"partnerId": alliance.cinema, "status": "ACTIVE"})
    assert [o["code"] for o in body["data"]["offers"]["nodes"]] == ["mascara-movie"]
    body = await gql(OFFERS, {"status": "DRAFT"})
    assert body["data"]["offers"]["nodes"] == []


async def test_her_ledger_names_the_partner_but_shows_none_of_its_terms_or_contacts(
    gql: Gql,
) -> None:
    """Whoever reads her ledger (a web shop too) sees who the partner is; its contacts,
    costs and offers are for the brand's staff, through `partner(id:)`."""
    body = await gql("""{ ledger: __type(name: "PointsLedgerEntry") {
        fields { name type { name } } }
        partner: __type(name: "PartnerName") { fields { name } } }""")
    ledger_partner = next(f for f in body["data"]["ledger"]["fields"] if f["name"] == "partner")
    assert ledger_partner["type"]["name"] == "PartnerName"
    assert {f["name"] for f in body["data"]["partner"]["fields"]} == {"code", "name", "industry"}
