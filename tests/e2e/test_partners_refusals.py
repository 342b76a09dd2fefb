"""Bad input for every alliance mutation: each answers userErrors with codes, and the
database does not change at all (`refused`). The partner's own calls act as its API client
(`client_as`: a key's first use in a minute would write its last-used time)."""

import functools
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from domain.partners.codes import ALPHABET
from domain.shared.access import Role, Viewer
from tests.e2e.api import Api, Gql, Snapshot, ago, gql_of, refused, unknown_id
from tests.e2e.conftest import MovableClock
from tests.e2e.loyalty_api import LoyaltyApi
from tests.e2e.partners_api import (
    CAFE,
    GRANT_ISSUE,
    GRANT_REDEEM,
    GRANT_REDEMPTION_REVERSE,
    GRANT_REVOKE,
    OFFER_CREATE,
    OFFER_INPUT,
    OFFER_STATUS_CHANGE,
    OFFER_UPDATE,
    PARTNER_API_CLIENT_CREATE,
    PARTNER_CREATE,
    PARTNER_PURCHASE_RECORD,
    PARTNER_PURCHASE_RETURN,
    PARTNER_REACTIVATE,
    PARTNER_SUSPEND,
    PARTNER_UPDATE,
    Alliance,
    PartnersApi,
    buy_mascara,
    lisa_customer,
    payload,
    set_up_alliance,
)

ClientAs = Callable[..., Awaitable[httpx.AsyncClient]]
Errors = list[tuple[list[str] | None, str]]


def partner_viewer(code: str, name: str = "counter") -> Viewer:
    return Viewer(Role.PARTNER, f"client:{name}", client_id=uuid4(), partner_code=code)


@pytest.fixture
async def alliance(api: Api, loyalty: LoyaltyApi, gql: Gql) -> Alliance:
    return await set_up_alliance(api, loyalty, gql)


@pytest.fixture
async def cinema(client_as: ClientAs) -> Gql:
    return gql_of(await client_as(partner_viewer("wanda-cinema")))


@pytest.fixture
async def cafe(client_as: ClientAs) -> Gql:
    return gql_of(await client_as(partner_viewer("harbour-cafe")))


async def lisas_code(alliance: Alliance, loyalty: LoyaltyApi, gql: Gql) -> str:
    await buy_mascara(loyalty, alliance)
    (grant,) = await PartnersApi(gql).benefits(alliance.lisa)
    code: str = grant["code"]
    return code


def typo(code: str) -> str:
    """One character of `code` mistyped (never a dash)."""
    at = 5
    wrong = ALPHABET[(ALPHABET.index(code[at]) + 1) % len(ALPHABET)]
    return code[:at] + wrong + code[at + 1:]


# --- partners --------------------------------------------------------------------------


async def test_partner_create_refuses_a_taken_code_a_bad_currency_and_bad_terms(
    alliance: Alliance, gql: Gql, snapshot: Snapshot
) -> None:
    taken = await refused(gql, snapshot, PARTNER_CREATE, "partnerCreate", {
        "code": "wanda-cinema", "name": "Another", "industry": "cinema",
        "currencyCode": "CNY"})
    assert taken == [(["code"], "DUPLICATE")]
    spa = {"code": "spa", "name": "Spa", "industry": "spa", "currencyCode": "CNY"}
    bad = await refused(gql, snapshot, PARTNER_CREATE, "partnerCreate", {
        **spa, "currencyCode": "yuan!", "termsDays": -1, "earnRate": "0"})
    not_a_number = await refused(gql, snapshot, PARTNER_CREATE, "partnerCreate", {
        **spa, "pointValue": "lots"})
    assert sorted(bad) == [(["currencyCode"], "INVALID"), (["earnRate"], "INVALID"),
                           (["termsDays"], "INVALID")]
    assert not_a_number == [(["pointValue"], "INVALID")]


async def test_partner_update_refuses_an_unknown_partner_a_stale_version_and_a_bad_id(
    alliance: Alliance, gql: Gql, snapshot: Snapshot
) -> None:
    unknown = await refused(gql, snapshot, PARTNER_UPDATE, "partnerUpdate", {
        "partnerId": unknown_id("Partner"), "name": "Ghost"})
    stale = await refused(gql, snapshot, PARTNER_UPDATE, "partnerUpdate", {
        "partnerId": alliance.cinema, "name": "Cinema City", "expectedVersion": 7})
    not_an_id = await refused(gql, snapshot, PARTNER_UPDATE, "partnerUpdate", {
        "partnerId": "nope", "name": "Ghost"})
    offer_id = await refused(gql, snapshot, PARTNER_UPDATE, "partnerUpdate", {
        "partnerId": alliance.offer, "name": "Ghost"})
    assert (unknown, stale, not_an_id, offer_id) == (
        [(["partnerId"], "NOT_FOUND")], [(["expectedVersion"], "CONFLICT")],
        [(["partnerId"], "INVALID")], [(["partnerId"], "NOT_FOUND")])


async def test_suspending_needs_a_reason_and_reactivating_a_partner_that_exists(
    alliance: Alliance, gql: Gql, snapshot: Snapshot
) -> None:
    no_reason = await refused(gql, snapshot, PARTNER_SUSPEND, "partnerSuspend", {
        "partnerId": alliance.cinema, "reason": "  "})
    unknown = await refused(gql, snapshot, PARTNER_REACTIVATE, "partnerReactivate", {
        "partnerId": unknown_id("Partner")})
    assert (no_reason, unknown) == ([(["reason"], "REQUIRED")], [(["partnerId"], "NOT_FOUND")])


async def test_a_suspended_partner_gets_no_new_api_client(
    alliance: Alliance, gql: Gql, snapshot: Snapshot
) -> None:
    await PartnersApi(gql).suspend(alliance.cinema)
    errors = await refused(gql, snapshot, PARTNER_API_CLIENT_CREATE, "partnerApiClientCreate",
                           {"partnerId": alliance.cinema, "name": "another-counter"})
    assert errors == [(["partnerId"], "SUSPENDED")]


# --- offers ----------------------------------------------------------------------------


async def test_offer_create_refuses_an_unknown_partner_a_negative_cost_and_a_bad_benefit(
    alliance: Alliance, gql: Gql, snapshot: Snapshot
) -> None:
    def offer(**changes: Any) -> dict[str, Any]:
        return {**OFFER_INPUT, "partnerId": alliance.cinema, "code": "other", **changes}

    unknown = await refused(gql, snapshot, OFFER_CREATE, "offerCreate",
                            offer(partnerId=unknown_id("Partner")))
    negative = await refused(gql, snapshot, OFFER_CREATE, "offerCreate",
                             offer(cost={"payer": "BRAND", "unitCost": "-5.00"}))
    no_item = await refused(gql, snapshot, OFFER_CREATE, "offerCreate",
                            offer(benefit={"kind": "FREE_ITEM", "percent": "10"}))
    backwards = await refused(gql, snapshot, OFFER_CREATE, "offerCreate",
                              offer(validFrom=ago(days=1), validUntil=ago(days=2)))
    taken = await refused(gql, snapshot, OFFER_CREATE, "offerCreate",
                          offer(code="mascara-movie"))
    assert unknown == [(["partnerId"], "NOT_FOUND")]
    assert negative == [(["cost", "unitCost"], "INVALID")]
    assert sorted(no_item) == [(["benefit", "item"], "REQUIRED"),
                               (["benefit", "percent"], "INVALID")]
    assert backwards == [(["validUntil"], "INVALID")]
    assert taken == [(["code"], "DUPLICATE")]


async def test_offer_update_refuses_a_stale_version_and_an_ended_offer(
    alliance: Alliance, gql: Gql, snapshot: Snapshot
) -> None:
    stale = await refused(gql, snapshot, OFFER_UPDATE, "offerUpdate", {
        "offerId": alliance.offer, "title": "Two tickets", "expectedVersion": 1})
    await PartnersApi(gql).status(alliance.offer, "ENDED")
    ended = await refused(gql, snapshot, OFFER_UPDATE, "offerUpdate", {
        "offerId": alliance.offer, "title": "Two tickets"})
    revived = await refused(gql, snapshot, OFFER_STATUS_CHANGE, "offerStatusChange", {
        "offerId": alliance.offer, "status": "ACTIVE"})
    assert (stale, ended, revived) == ([(["expectedVersion"], "CONFLICT")],
                                       [(["offerId"], "INVALID_TRANSITION")],
                                       [(["status"], "INVALID_TRANSITION")])


# --- grants by staff -------------------------------------------------------------------


async def test_grant_issue_refuses_an_offer_outside_its_validity_or_a_member_who_shares_nothing(
    alliance: Alliance, api: Api, gql: Gql, snapshot: Snapshot
) -> None:
    partners = PartnersApi(gql)
    later = await partners.offer(alliance.cinema, active=True, code="next-month",
                                 validFrom=ago(days=-30))
    draft = await partners.offer(alliance.cinema, code="draft")
    private = await lisa_customer(api, alliance.store, shares=False, ref="MEI-1", name="Mei")

    def issue(offer_id: str, customer_id: str = alliance.lisa) -> dict[str, Any]:
        return {"offerId": offer_id, "customerId": customer_id, "reason": "goodwill"}

    outside = await refused(gql, snapshot, GRANT_ISSUE, "grantIssue", issue(later["id"]))
    drafted = await refused(gql, snapshot, GRANT_ISSUE, "grantIssue", issue(draft["id"]))
    no_consent = await refused(gql, snapshot, GRANT_ISSUE, "grantIssue",
                               issue(alliance.offer, private))
    no_reason = await refused(gql, snapshot, GRANT_ISSUE, "grantIssue",
                              {**issue(alliance.offer), "reason": ""})
    await partners.suspend(alliance.cinema)
    suspended = await refused(gql, snapshot, GRANT_ISSUE, "grantIssue", issue(alliance.offer))
    assert (outside, drafted, no_consent, no_reason, suspended) == (
        [(["offerId"], "OUTSIDE_VALIDITY")], [(["offerId"], "OUTSIDE_VALIDITY")],
        [(["customerId"], "NOT_ELIGIBLE")], [(["reason"], "REQUIRED")],
        [(["offerId"], "SUSPENDED")])


async def test_a_second_grant_of_a_one_per_member_offer_is_refused(
    alliance: Alliance, gql: Gql, snapshot: Snapshot
) -> None:
    await PartnersApi(gql).issue(alliance.offer, alliance.lisa)
    errors = await refused(gql, snapshot, GRANT_ISSUE, "grantIssue", {
        "offerId": alliance.offer, "customerId": alliance.lisa, "reason": "again"})
    assert errors == [(["offerId"], "QUOTA_EXHAUSTED")]


async def test_grant_revoke_refuses_a_redeemed_grant_and_an_unknown_one(
    alliance: Alliance, loyalty: LoyaltyApi, gql: Gql, cinema: Gql, snapshot: Snapshot
) -> None:
    code = await lisas_code(alliance, loyalty, gql)
    payload(await cinema(GRANT_REDEEM, {"input": {
        "code": code, "idempotencyKey": "k-1", "location": "counter"}}), "grantRedeem")
    (grant,) = await PartnersApi(gql).benefits(alliance.lisa)

    redeemed = await refused(gql, snapshot, GRANT_REVOKE, "grantRevoke", {
        "grantId": grant["id"], "reason": "mistake"})
    unknown = await refused(gql, snapshot, GRANT_REVOKE, "grantRevoke", {
        "grantId": unknown_id("Grant"), "reason": "mistake"})
    assert (redeemed, unknown) == ([(["grantId"], "INVALID_TRANSITION")],
                                   [(["grantId"], "NOT_FOUND")])


# --- the partner's counter ---------------------------------------------------------------


async def test_a_code_with_a_typo_is_caught_by_its_check_character_before_any_lookup(
    alliance: Alliance, loyalty: LoyaltyApi, gql: Gql, cinema: Gql, snapshot: Snapshot
) -> None:
    code = await lisas_code(alliance, loyalty, gql)

    errors = await refused(cinema, snapshot, GRANT_REDEEM, "grantRedeem", {
        "code": typo(code), "idempotencyKey": "k-1", "location": "counter"})
    missing = await refused(cinema, snapshot, GRANT_REDEEM, "grantRedeem", {
        "code": code, "idempotencyKey": "k-1", "location": " "})

    assert errors == [(["code"], "CODE_MISTYPED")]
    assert missing == [(["location"], "REQUIRED")]


async def test_redeeming_twice_a_revoked_or_an_expired_grant_is_refused(
    alliance: Alliance, loyalty: LoyaltyApi, gql: Gql, cinema: Gql, snapshot: Snapshot,
    clock: MovableClock,
) -> None:
    code = await lisas_code(alliance, loyalty, gql)
    payload(await cinema(GRANT_REDEEM, {"input": {
        "code": code, "idempotencyKey": "k-1", "location": "counter"}}), "grantRedeem")
    twice = await refused(cinema, snapshot, GRANT_REDEEM, "grantRedeem", {
        "code": code, "idempotencyKey": "k-2", "location": "counter"})
    reused = await refused(cinema, snapshot, GRANT_REDEEM, "grantRedeem", {
        "code": code, "idempotencyKey": "k-1", "location": "another counter"})

    manual = await PartnersApi(gql).issue(
        (await PartnersApi(gql).offer(alliance.cinema, active=True, code="apology",
                                      trigger={"kind": "MANUAL"}))["id"], alliance.lisa)
    payload(await gql(GRANT_REVOKE, {"input": {"grantId": manual["id"], "reason": "typo"}}),
            "grantRevoke")
    revoked = await refused(cinema, snapshot, GRANT_REDEEM, "grantRedeem", {
        "code": manual["code"], "idempotencyKey": "k-3", "location": "counter"})

    fresh = await PartnersApi(gql).issue(
        (await PartnersApi(gql).offer(alliance.cinema, active=True, code="popcorn",
                                      trigger={"kind": "MANUAL"}))["id"], alliance.lisa)
    clock.advance(timedelta(days=31))
    expired = await refused(cinema, snapshot, GRANT_REDEEM, "grantRedeem", {
        "code": fresh["code"], "idempotencyKey": "k-4", "location": "counter"})

    assert (twice, reused, revoked, expired) == (
        [(["code"], "ALREADY_REDEEMED")], [(["idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")],
        [(["code"], "REVOKED")], [(["code"], "EXPIRED")])


async def test_the_key_of_a_reversed_redemption_with_another_amount_or_code_is_refused(
    alliance: Alliance, loyalty: LoyaltyApi, gql: Gql, cinema: Gql, snapshot: Snapshot,
) -> None:
    code = await lisas_code(alliance, loyalty, gql)
    redemption = payload(await cinema(GRANT_REDEEM, {"input": {
        "code": code, "idempotencyKey": "k-1", "location": "counter"}}),
        "grantRedeem")["redemption"]
    payload(await cinema(GRANT_REDEMPTION_REVERSE, {"input": {
        "redemptionId": redemption["id"], "reason": "oops"}}), "grantRedemptionReverse")
    other = await PartnersApi(gql).issue(
        (await PartnersApi(gql).offer(alliance.cinema, active=True, code="apology",
                                      trigger={"kind": "MANUAL"}))["id"], alliance.lisa)

    amount = await refused(cinema, snapshot, GRANT_REDEEM, "grantRedeem", {
        "code": code, "idempotencyKey": "k-1", "location": "counter", "amount": "45.00"})
    another_code = await refused(cinema, snapshot, GRANT_REDEEM, "grantRedeem", {
        "code": other["code"], "idempotencyKey": "k-1", "location": "counter"})

    assert amount == another_code == [(["idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")]


async def test_an_unknown_code_changes_nothing_but_the_count_of_misses_then_locks_out(
    alliance: Alliance, cinema: Gql, row_counts: Callable[[], Awaitable[dict[str, int]]],
) -> None:
    from domain.partners.codes import new_code

    before = await row_counts()
    codes = []
    for attempt in range(6):
        body = await cinema(GRANT_REDEEM, {"input": {
            "code": new_code(), "idempotencyKey": f"k-{attempt}", "location": "counter"}})
        codes.append([e["code"] for e in body["data"]["grantRedeem"]["userErrors"]])

    assert codes == [["UNKNOWN_CODE"]] * 5 + [["TOO_MANY_ATTEMPTS"]]
    after = await row_counts()
    assert {name: after[name] - before[name] for name in after
            if after[name] != before[name]} == {"partner_code_misses": 5}


async def test_a_reversal_twice_past_its_window_or_of_an_unknown_redemption_is_refused(
    alliance: Alliance, loyalty: LoyaltyApi, gql: Gql, cinema: Gql, snapshot: Snapshot,
    clock: MovableClock,
) -> None:
    code = await lisas_code(alliance, loyalty, gql)
    redemption = payload(await cinema(GRANT_REDEEM, {"input": {
        "code": code, "idempotencyKey": "k-1", "location": "counter"}}),
        "grantRedeem")["redemption"]
    unknown = await refused(cinema, snapshot, GRANT_REDEMPTION_REVERSE,
                            "grantRedemptionReverse",
                            {"redemptionId": unknown_id("Redemption"), "reason": "oops"})
    clock.advance(timedelta(hours=25))
    late = await refused(cinema, snapshot, GRANT_REDEMPTION_REVERSE, "grantRedemptionReverse",
                         {"redemptionId": redemption["id"], "reason": "oops"})
    clock.advance(timedelta(hours=-25))
    payload(await cinema(GRANT_REDEMPTION_REVERSE, {"input": {
        "redemptionId": redemption["id"], "reason": "oops"}}), "grantRedemptionReverse")
    twice = await refused(cinema, snapshot, GRANT_REDEMPTION_REVERSE, "grantRedemptionReverse",
                          {"redemptionId": redemption["id"], "reason": "oops"})
    assert (unknown, late, twice) == (
        [(["redemptionId"], "NOT_FOUND")], [(["redemptionId"], "WINDOW_PASSED")],
        [(["redemptionId"], "ALREADY_REVERSED")])


# --- coalition earn --------------------------------------------------------------------


async def test_partner_purchase_record_refuses_a_currency_mismatch_an_unknown_member_and_more(
    alliance: Alliance, loyalty: LoyaltyApi, gql: Gql, cafe: Gql, cinema: Gql,
    snapshot: Snapshot,
) -> None:
    await buy_mascara(loyalty, alliance)
    sold_at = ago(minutes=10)

    def sale(**changes: Any) -> dict[str, Any]:
        return {"member": {"system": "pos-card", "value": "LISA-1"}, "orderId": "CAFE-1",
                "amount": "38.00", "currencyCode": "CNY", "occurredAt": sold_at, **changes}

    record = functools.partial(refused, cafe, snapshot, PARTNER_PURCHASE_RECORD,
                               "partnerPurchaseRecord")
    assert await record(sale(currencyCode="USD")) == [(["currencyCode"],
                                                      "CURRENCY_MISMATCH")]
    assert await record(sale(member={"system": "pos-card", "value": "NOBODY"})) == [
        (["member", "value"], "NOT_FOUND")]
    assert await record(sale(amount="-38.00")) == [(["amount"], "INVALID")]
    assert await record(sale(amount="38.001")) == [(["amount"], "INVALID")]
    assert await record(sale(occurredAt=ago(days=-1))) == [(["occurredAt"], "INVALID")]
    assert await refused(cinema, snapshot, PARTNER_PURCHASE_RECORD, "partnerPurchaseRecord",
                         sale()) == [(None, "NOT_ALLOWED")]  # the cinema gives no points

    payload(await cafe(PARTNER_PURCHASE_RECORD, {"input": sale()}), "partnerPurchaseRecord")
    assert await record(sale(amount="40.00")) == [(["orderId"], "IDEMPOTENCY_KEY_REUSED")]


async def test_partner_purchase_return_refuses_an_unknown_order_and_more_than_is_left(
    alliance: Alliance, loyalty: LoyaltyApi, cafe: Gql, snapshot: Snapshot
) -> None:
    await buy_mascara(loyalty, alliance)
    payload(await cafe(PARTNER_PURCHASE_RECORD, {"input": {
        "member": {"system": "pos-card", "value": "LISA-1"}, "orderId": "CAFE-1",
        "amount": "38.00", "currencyCode": "CNY", "occurredAt": ago(minutes=10)}}),
        "partnerPurchaseRecord")

    unknown = await refused(cafe, snapshot, PARTNER_PURCHASE_RETURN, "partnerPurchaseReturn",
                            {"orderId": "CAFE-404", "returnRef": "R-1"})
    too_much = await refused(cafe, snapshot, PARTNER_PURCHASE_RETURN, "partnerPurchaseReturn",
                             {"orderId": "CAFE-1", "returnRef": "R-1", "amount": "40.00"})
    assert (unknown, too_much) == ([(["orderId"], "NOT_FOUND")],
                                   [(["amount"], "ALREADY_REFUNDED")])


async def test_a_partner_created_without_earn_rate_may_be_given_one_and_cleared(
    alliance: Alliance, gql: Gql
) -> None:
    """The update's fields: null clears an optional one, absent leaves it."""
    body = await gql(PARTNER_UPDATE, {"input": {"partnerId": alliance.cinema,
                                                "earnRate": "1.5"}})
    assert payload(body, "partnerUpdate")["partner"]["earnRate"] == "1.5"
    body = await gql(PARTNER_UPDATE, {"input": {"partnerId": alliance.cinema,
                                                "earnRate": None}})
    updated = payload(body, "partnerUpdate")["partner"]
    assert (updated["earnRate"], updated["contactName"], updated["version"]) == (
        None, "Zhao Min", 3)
    assert CAFE["code"] == "harbour-cafe"
