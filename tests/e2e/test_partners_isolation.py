"""Isolation: every partner-facing field and mutation, called by the partner it belongs to,
another partner, a suspended partner, staff, a web shop and an anonymous caller. Partner A
never lists, validates, redeems, reverses, returns or settles anything of partner B's;
what a partner sees of a member is `SharedMember`, nothing else, on any path; and a web shop
sees a member's benefits without what the brand agreed with their partners."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import pytest
from graphql import GraphQLObjectType, get_named_type

from api.graphql.schema import schema
from domain.shared.access import Role, Viewer
from tests.e2e.api import CONTACT_POINT_UPDATE, Api, Gql, ago, uuid_in
from tests.e2e.loyalty_api import LoyaltyApi
from tests.e2e.partners_api import (
    GRANT_REDEEM,
    GRANT_REDEMPTION_REVERSE,
    GRANT_VALIDATE,
    OFFERS,
    PARTNER_OFFERS,
    PARTNER_PURCHASE_RECORD,
    PARTNER_PURCHASE_RETURN,
    PARTNER_REACTIVATE,
    SETTLEMENT,
    PartnerCounter,
    PartnersApi,
    bearer,
    buy_mascara,
    payload,
    set_up_alliance,
    this_period,
)

ClientAs = Callable[..., Awaitable[httpx.AsyncClient]]
WHO = ("own", "other", "suspended", "staff", "storefront", "anonymous")


@dataclass(frozen=True)
class World:
    cinema: str
    code: str  # Lisa's cinema grant, not redeemed
    redemption: str  # a cinema redemption of another grant of hers
    lisa: str
    store: str


@pytest.fixture
async def world(api: Api, loyalty: LoyaltyApi, gql: Gql) -> World:
    alliance = await set_up_alliance(api, loyalty, gql)
    partners = PartnersApi(gql)
    await partners.offer(alliance.cafe, active=True, code="free-coffee",
                         benefit={"kind": "FREE_ITEM", "item": "a coffee"},
                         trigger={"kind": "MANUAL"})
    spa = await partners.partner(code="jade-spa", name="Jade Spa", industry="spa",
                                 earnRate="1")
    await partners.offer(spa["id"], active=True, code="massage",
                         trigger={"kind": "MANUAL"})
    await buy_mascara(loyalty, alliance)
    (grant,) = await partners.benefits(alliance.lisa)
    manual = await partners.offer(alliance.cinema, active=True, code="apology",
                                  trigger={"kind": "MANUAL"})
    other_grant = await partners.issue(manual["id"], alliance.lisa)
    cinema = PartnerCounter(gql, alliance.cinema_key)
    redemption = payload(await cinema.redeem(other_grant["code"], key="set-up"),
                         "grantRedeem")["redemption"]["id"]
    cafe = PartnerCounter(gql, alliance.cafe_key)
    payload(await cafe.earn("CAFE-1", "38.00"), "partnerPurchaseRecord")
    await partners.suspend(spa["id"])
    return World(cinema=alliance.cinema, code=grant["code"], redemption=redemption,
                 lisa=alliance.lisa, store=alliance.store)


def _partner(code: str) -> Viewer:
    return Viewer(Role.PARTNER, f"client:{code}", client_id=uuid4(), partner_code=code)


def viewer_of(who: str, owner: str, world: World) -> Viewer | None:
    """None: no credentials at all, in a service with no anonymous role."""
    other = "harbour-cafe" if owner == "wanda-cinema" else "wanda-cinema"
    return {
        "own": _partner(owner), "other": _partner(other), "suspended": _partner("jade-spa"),
        "staff": Viewer(Role.STAFF, "staff:clerk", staff_id=uuid4(),
                        store_ids=frozenset({uuid_in(world.store)})),
        "storefront": Viewer(Role.STOREFRONT, "client:web-shop", member_id=uuid_in(world.lisa)),
        "anonymous": None,
    }[who]


@dataclass(frozen=True)
class Call:
    owner: str
    document: str
    variables: Callable[[World], dict[str, Any]]
    root: str
    # What each caller gets: a refusal's code, or "OK" and a check of the answer.
    expected: dict[str, str]
    check: Callable[[Any, World], bool] = lambda answer, world: True


def _codes(body: dict[str, Any], root: str) -> list[str]:
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
    answer = (body.get("data") or {}).get(root)
    if isinstance(answer, dict):
        codes += [e["code"] for e in answer.get("userErrors", [])]
        if answer.get("problem"):
            codes.append(answer["problem"])
    return [code for code in codes if code]


def _offer_codes(answer: Any) -> set[str]:
    return {offer["code"] for offer in answer["nodes"]}


REFUSED = {"staff": "NOT_ALLOWED", "storefront": "NOT_ALLOWED",
           "anonymous": "UNAUTHENTICATED", "suspended": "SUSPENDED"}

CALLS: dict[str, Call] = {
    "partnerOffers": Call(
        "wanda-cinema", PARTNER_OFFERS, lambda w: {}, "partnerOffers",
        {"own": "OK", "other": "OK", **REFUSED},
        # The café sees its own coffee; the cinema its own two: neither sees the other's.
        lambda answer, w: _offer_codes(answer) in ({"mascara-movie", "apology"},
                                                   {"free-coffee"})),
    "offers": Call(
        "wanda-cinema", OFFERS, lambda w: {"partnerId": w.cinema}, "offers",
        {"own": "OK", "other": "NOT_ALLOWED", **REFUSED, "staff": "OK"},
        lambda answer, w: _offer_codes(answer) == {"mascara-movie", "apology"}),
    "grantValidate": Call(
        "wanda-cinema", GRANT_VALIDATE, lambda w: {"code": w.code}, "grantValidate",
        {"own": "OK", "other": "UNKNOWN_CODE", **REFUSED},
        lambda answer, w: answer["member"] == {"firstName": "Lisa", "tierName": "Member"}),
    "partnerSettlement": Call(
        "wanda-cinema", SETTLEMENT, lambda w: {"partnerId": w.cinema,
                                               "period": this_period()},
        "partnerSettlement", {"own": "OK", "other": "NOT_ALLOWED", **REFUSED},
        lambda answer, w: answer["partner"]["code"] == "wanda-cinema"),
    "grantRedeem": Call(
        "wanda-cinema", GRANT_REDEEM, lambda w: {"input": {
            "code": w.code, "idempotencyKey": "iso-1", "location": "counter"}},
        "grantRedeem", {"own": "OK", "other": "UNKNOWN_CODE", **REFUSED},
        lambda answer, w: answer["redemption"]["code"] == w.code),
    "grantRedemptionReverse": Call(
        "wanda-cinema", GRANT_REDEMPTION_REVERSE, lambda w: {"input": {
            "redemptionId": w.redemption, "reason": "mistake"}},
        "grantRedemptionReverse", {"own": "OK", "other": "NOT_FOUND", **REFUSED},
        lambda answer, w: answer["redemption"]["reversed"] is True),
    "partnerPurchaseRecord": Call(
        "harbour-cafe", PARTNER_PURCHASE_RECORD, lambda w: {"input": {
            "member": {"system": "pos-card", "value": "LISA-1"}, "orderId": "ISO-1",
            "amount": "10.00", "currencyCode": "CNY", "occurredAt": ago(minutes=5)}},
        "partnerPurchaseRecord",
        # The cinema has no earn rate: its members earn nothing there.
        {"own": "OK", "other": "NOT_ALLOWED", **REFUSED},
        lambda answer, w: answer["purchase"]["points"] == 20),
    "partnerPurchaseReturn": Call(
        "harbour-cafe", PARTNER_PURCHASE_RETURN, lambda w: {"input": {
            "orderId": "CAFE-1", "returnRef": "ISO-R-1"}},
        "partnerPurchaseReturn", {"own": "OK", "other": "NOT_FOUND", **REFUSED},
        lambda answer, w: answer["purchase"]["returnedPoints"] == 76),
}
CASES = [(field, who) for field in CALLS for who in WHO]


async def _client(who: str, call: Call, world: World, client_as: ClientAs,
                  client_with: Callable[..., Awaitable[httpx.AsyncClient]]
                  ) -> httpx.AsyncClient:
    viewer = viewer_of(who, call.owner, world)
    if viewer is None:
        return await client_with(anonymous_role=None)
    return await client_as(viewer, compiled_reads=False)


@pytest.mark.parametrize(("field", "who"), CASES, ids=[f"{f}-{w}" for f, w in CASES])
async def test_each_caller_gets_only_what_is_its_own(
    field: str, who: str, world: World, client_as: ClientAs,
    client_with: Callable[..., Awaitable[httpx.AsyncClient]],
) -> None:
    call = CALLS[field]
    http = await _client(who, call, world, client_as, client_with)
    response = await http.post("/graphql", json={"query": call.document,
                                                 "variables": call.variables(world)})
    body = response.json()
    codes = _codes(body, call.root)
    expected = call.expected[who]
    if expected == "OK":
        assert codes == [], body
        assert call.check(body["data"][call.root], world), body
    else:
        assert expected in codes, body
        answer = (body.get("data") or {}).get(call.root)
        if isinstance(answer, dict):  # refused: nothing of the grant or the member leaks
            assert all(value in (None, [], False, answer.get("code"))
                       for key, value in answer.items()
                       if key not in ("userErrors", "problem")), body


PARTNER_ROOTS = ("partnerOffers", "offers", "grantValidate", "partnerSettlement")
PARTNER_MUTATIONS = ("grantRedeem", "grantRedemptionReverse", "partnerPurchaseRecord",
                     "partnerPurchaseReturn")


def _reachable(type_names: list[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(type_names)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        type_ = schema._schema.type_map[name]
        if isinstance(type_, GraphQLObjectType):
            stack += [get_named_type(f.type).name for f in type_.fields.values()]
    return seen


def test_nothing_a_partner_may_call_leads_to_a_customer_or_a_grant() -> None:
    sdl = schema._schema
    assert sdl.query_type is not None
    assert sdl.mutation_type is not None
    starts = [get_named_type(sdl.query_type.fields[name].type).name for name in PARTNER_ROOTS]
    starts += [get_named_type(sdl.mutation_type.fields[name].type).name
               for name in PARTNER_MUTATIONS]
    reachable = _reachable(starts)
    assert {"Customer", "Grant", "ContactPoint", "Purchase", "PointsLedgerEntry"} \
        & reachable == set()
    assert "SharedMember" in reachable


def test_a_partner_told_of_a_purchase_it_reported_learns_nothing_of_the_member() -> None:
    """Her name, tier, balance or consent: nothing the partner did not send, or could not
    work out from its own terms (the points are its amount times its earn rate)."""
    purchase = schema._schema.type_map["PartnerPurchase"]
    assert isinstance(purchase, GraphQLObjectType)
    assert set(purchase.fields) == {"id", "orderId", "amount", "occurredAt", "recordedAt",
                                    "points", "returnedAmount", "returnedPoints"}


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "executed"])
async def test_a_partner_reaches_no_customer_by_id_by_reference_or_by_search(
    compiled: bool, world: World, client_as: ClientAs
) -> None:
    http = await client_as(_partner("wanda-cinema"), compiled_reads=compiled)
    documents = [
        ("query($id: ID!) { node(id: $id) { id } }", {"id": world.lisa}),
        ("query($id: ID!) { customer(id: $id) { id givenName } }", {"id": world.lisa}),
        ('{ customer(externalRef: {system: "pos-card", value: "LISA-1"}) { id } }', {}),
        ("{ customers(first: 5) { nodes { id } } }", {}),
    ]
    for document, variables in documents:
        body = (await http.post("/graphql", json={"query": document,
                                                  "variables": variables})).json()
        assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_ALLOWED"], body
        assert not any((body.get("data") or {}).values()), body


HER_BENEFITS = """
query($id: ID!) {
  customer(id: $id) { benefits(first: 10) { nodes {
    offer { code cost { payer unitCost { amount } } quota { total perMember } }
    partner { code termsDays pointValue { amount } contactName contactEmail
              offers { nodes { code } } }
  } } }
}
"""


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "executed"])
async def test_a_web_shop_reads_her_benefits_without_the_partnership_s_terms(
    compiled: bool, world: World, client_as: ClientAs
) -> None:
    shop = await client_as(viewer_of("storefront", "wanda-cinema", world),
                           compiled_reads=compiled)

    body = (await shop.post("/graphql", json={"query": HER_BENEFITS,
                                              "variables": {"id": world.lisa}})).json()

    assert "errors" not in body, body
    grants = body["data"]["customer"]["benefits"]["nodes"]
    assert sorted(g["offer"]["code"] for g in grants) == ["apology", "mascara-movie"]
    assert all(g["offer"]["cost"] is g["offer"]["quota"] is None for g in grants), grants
    assert all(g["partner"] == {"code": "wanda-cinema", "termsDays": None, "pointValue": None,
                                "contactName": None, "contactEmail": None, "offers": None}
               for g in grants), grants


async def test_a_member_who_withdraws_her_consent_is_hidden_from_partners_at_once(
    world: World, gql: Gql, client_as: ClientAs
) -> None:
    body = await gql("query($id: ID!) { customer(id: $id) { contactPoints { id } } }",
                     {"id": world.lisa})
    (point,) = body["data"]["customer"]["contactPoints"]
    payload(await gql(CONTACT_POINT_UPDATE, {"input": {
        "customerId": world.lisa, "contactPointId": point["id"],
        "consents": [{"purpose": "PARTNER_SHARING", "granted": False}]}}),
        "contactPointUpdate")

    http = await client_as(_partner("wanda-cinema"), compiled_reads=False)
    body = (await http.post("/graphql", json={"query": GRANT_VALIDATE,
                                              "variables": {"code": world.code}})).json()
    check = body["data"]["grantValidate"]
    assert (check["valid"], check["member"]) == (True, None)


async def test_a_suspended_partners_own_key_stops_working_at_once_and_again_when_reactivated(
    api: Api, loyalty: LoyaltyApi, gql: Gql, client: httpx.AsyncClient
) -> None:
    alliance = await set_up_alliance(api, loyalty, gql)
    await buy_mascara(loyalty, alliance)
    (grant,) = await PartnersApi(gql).benefits(alliance.lisa)
    await PartnersApi(gql).suspend(alliance.cinema)

    refused = await client.post("/graphql", headers=bearer(alliance.cinema_key), json={
        "query": GRANT_VALIDATE, "variables": {"code": grant["code"]}})
    assert refused.status_code == 401
    assert [e["extensions"]["code"] for e in refused.json()["errors"]] == ["UNAUTHENTICATED"]

    payload(await gql(PARTNER_REACTIVATE, {"input": {"partnerId": alliance.cinema}}),
            "partnerReactivate")
    check = await PartnerCounter(gql, alliance.cinema_key).validate(grant["code"])
    assert check["valid"] is True
