"""Privacy over HTTP: consent history, customerExportData and customerErase, on
both read paths; refusals change nothing."""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from domain.shared.access import Role, Viewer
from tests.conftest import StatementCounter
from tests.e2e.api import (
    CONTACT_POINT_UPDATE,
    CUSTOMER_UPDATE,
    Api,
    Gql,
    Snapshot,
    refusal,
    refused,
    result,
    unknown_id,
    uuid_in,
)
from tests.e2e.loyalty_api import LoyaltyApi, line

ClientAs = Callable[..., Awaitable[httpx.AsyncClient]]

EXPORT = """
mutation($input: CustomerExportDataInput!) {
  customerExportData(input: $input) { document userErrors { field code message } }
}
"""
ERASE = """
mutation($input: CustomerEraseInput!) {
  customerErase(input: $input) {
    customer { id displayName givenName familyName interests tags erasedAt version
               contactPoints { id } household { id } externalRefs { id } }
    userErrors { field code message }
  }
}
"""
PRIVACY_VIEW = """
query($id: ID!) { customer(id: $id) {
  id displayName erasedAt
  contactPoints { kind consents { purpose granted }
                  consentHistory { purpose granted source recordedAt recordedBy } }
} }
"""
PAGE_WITH_HISTORY = """
query($first: Int!) { customers(first: $first) { nodes {
  id erasedAt contactPoints { consentHistory { purpose granted source recordedAt recordedBy } }
} } }
"""
LOOKUPS = """
query($email: String!, $phone: String!, $ref: ExternalReferenceInput!, $search: String!) {
  byEmail: customer(email: $email) { id }
  byPhone: customer(phone: $phone) { id }
  byRef: customer(externalRef: $ref) { id }
  search: customers(search: $search) { totalCount nodes { id } }
  erased: customers(search: "erased") { totalCount }
}
"""
TIMELINE = """
query($id: ID!) { customer(id: $id) {
  timeline(first: 10) { edges { node { channel kind summary payload place } } }
  cases { nodes { kind status subject description } }
} }
"""

POS_CARD = {"system": "pos-card", "value": "HZ-000187"}
LOOKUP_VARIABLES = {"email": "li.xiuying@163.com", "phone": "+8613957120187",
                    "ref": POS_CARD, "search": "xiuying"}


async def _post(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> Any:
    body = (await client.post("/graphql", json={"query": query, "variables": variables})).json()
    assert "errors" not in body, body
    return body


async def _mrs_li(api: Api) -> dict[str, Any]:
    return await api.customer(
        givenName="Xiuying", familyName="Li", interests=["gardening"], tags=["vip"],
        contactPoints=[
            {"kind": "EMAIL", "value": "li.xiuying@163.com"},
            {"kind": "PHONE", "value": "+86 139 5712 0187",
             "consents": [{"purpose": "MARKETING_SMS", "granted": True, "source": "WEB"}]},
        ],
        household=[{"name": "Li Wei", "relationship": "CHILD", "birthDate": "1995-06-18"}],
        externalRefs=[POS_CARD],
    )


async def _withdraw_sms_at_the_pos(client_as: ClientAs, li: dict[str, Any]) -> None:
    pos = await client_as(Viewer(Role.STOREFRONT, "client:pos", member_id=uuid_in(li["id"])))
    phone = li["contactPoints"][1]["id"]
    body = await _post(pos, CONTACT_POINT_UPDATE, {"input": {
        "customerId": li["id"], "contactPointId": phone,
        "consents": [{"purpose": "MARKETING_SMS", "granted": False, "source": "POS"}],
    }})
    result(body, "contactPointUpdate")


async def _erase(gql: Gql, customer_id: str) -> dict[str, Any]:
    body = await gql(ERASE, {"input": {"customerId": customer_id, "reason": "DSR-2026-114"}})
    erased: dict[str, Any] = result(body, "customerErase")
    return erased


async def _both_paths(
    client: httpx.AsyncClient, executed_client: httpx.AsyncClient, query: str,
    variables: dict[str, Any],
) -> Any:
    compiled = await _post(client, query, variables)
    executed = await _post(executed_client, query, variables)
    assert compiled == executed
    return compiled["data"]


# Consent history ----------------------------------------------------------------------------


async def test_mrs_li_withdraws_sms_at_the_pos_and_the_history_shows_both_answers(
    api: Api, client_as: ClientAs, client: httpx.AsyncClient,
    executed_client: httpx.AsyncClient,
) -> None:
    li = await _mrs_li(api)
    await _withdraw_sms_at_the_pos(client_as, li)

    data = await _both_paths(client, executed_client, PRIVACY_VIEW, {"id": li["id"]})
    phone = data["customer"]["contactPoints"][1]
    assert phone["consents"] == [{"purpose": "MARKETING_SMS", "granted": False}]
    history = phone["consentHistory"]
    assert [(e["purpose"], e["granted"], e["source"]) for e in history] == [
        ("MARKETING_SMS", True, "WEB"), ("MARKETING_SMS", False, "POS")]
    assert history[1]["recordedBy"] == "client:pos"
    assert history[0]["recordedAt"] <= history[1]["recordedAt"]


async def test_without_a_source_the_history_names_the_caller(
    api: Api, client_as: ClientAs
) -> None:
    li = await _mrs_li(api)
    clerk = await client_as(Viewer(Role.ADMIN, "staff:ana"))
    email = li["contactPoints"][0]["id"]
    await _post(clerk, CONTACT_POINT_UPDATE, {"input": {
        "customerId": li["id"], "contactPointId": email,
        "consents": [{"purpose": "MARKETING_EMAIL", "granted": True}]}})

    data = await _post(clerk, PRIVACY_VIEW, {"id": li["id"]})
    [entry] = data["data"]["customer"]["contactPoints"][0]["consentHistory"]
    assert (entry["source"], entry["recordedBy"]) == ("staff:ana", "staff:ana")


async def test_a_page_of_customers_with_consent_history_costs_constant_statements(
    api: Api, client: httpx.AsyncClient, executed_client: httpx.AsyncClient,
    statement_counter: StatementCounter,
) -> None:
    for number in range(12):
        await api.customer(displayName=f"Customer {number}", contactPoints=[
            {"kind": "EMAIL", "value": f"c{number}@example.com",
             "consents": [{"purpose": "MARKETING_EMAIL", "granted": True}]}])
    await _both_paths(client, executed_client, PAGE_WITH_HISTORY, {"first": 12})  # warm-up

    counts = {}
    for size in (3, 12):
        with statement_counter() as statements:
            await _post(executed_client, PAGE_WITH_HISTORY, {"first": size})
        counts[size] = len(statements)
    with statement_counter() as compiled:
        await _post(client, PAGE_WITH_HISTORY, {"first": 12})

    assert counts[3] == counts[12]
    assert len(compiled) == 1


# customerExportData ---------------------------------------------------------------------------


async def test_the_export_holds_her_data_and_nothing_of_other_customers(
    gql: Gql, api: Api, client_as: ClientAs
) -> None:
    li = await _mrs_li(api)
    await _withdraw_sms_at_the_pos(client_as, li)
    await api.interaction(li["id"], summary="Bought a silk scarf")
    await api.case(li["id"], subject="Zip broke", description="Coat from March")
    other = await api.customer(displayName="Lisa Zhou", contactPoints=[
        {"kind": "EMAIL", "value": "lisa@example.com"}])
    await api.interaction(other["id"], summary="Lisa checked in")

    body = await gql(EXPORT, {"input": {"customerId": li["id"]}})
    document = result(body, "customerExportData")

    assert (document["format"], document["version"]) == ("rapport.customer-export", 1)
    assert document["customer"]["id"] == str(uuid_in(li["id"]))
    assert document["customer"]["givenName"] == "Xiuying"
    assert [p["value"] for p in document["contactPoints"]] == [
        "li.xiuying@163.com", "+8613957120187"]
    assert [e["granted"] for e in document["contactPoints"][1]["consentHistory"]] == [
        True, False]
    assert document["household"][0]["name"] == "Li Wei"
    assert document["externalRefs"] == [{"id": document["externalRefs"][0]["id"], **POS_CARD}]
    assert [i["summary"] for i in document["interactions"]] == ["Bought a silk scarf"]
    assert [c["subject"] for c in document["cases"]] == ["Zip broke"]
    text = repr(document)
    assert "Lisa" not in text
    assert "lisa@example.com" not in text


async def test_the_export_holds_her_purchases_points_and_tier(
    gql: Gql, api: Api, loyalty: LoyaltyApi
) -> None:
    li = await _mrs_li(api)
    await loyalty.programme()
    await loyalty.purchase(li["id"], "HZ-7", line("COAT", "1200.00"))

    body = await gql(EXPORT, {"input": {"customerId": li["id"]}})
    section = result(body, "customerExportData")["loyalty"]

    assert [(m["tier"], m["pointsBalance"]) for m in section["memberships"]] == [
        ("member", 1200)]
    assert [(p["orderId"], p["paymentTotal"]) for p in section["purchases"]] == [
        ("HZ-7", "1200.00")]
    assert [(e["kind"], e["points"]) for e in section["pointsLedger"]] == [("EARN", 1200)]
    assert [c["reason"] for c in section["tierHistory"]] == ["ENROLLED"]


async def test_exporting_an_unknown_customer_is_not_found(gql: Gql, snapshot: Snapshot) -> None:
    errors = await refused(gql, snapshot, EXPORT, "customerExportData",
                           {"customerId": unknown_id("Customer")})
    assert errors == [(["customerId"], "NOT_FOUND")]


async def test_a_clerk_may_not_export_a_customer_of_another_store(
    api: Api, client_as: ClientAs, snapshot: Snapshot
) -> None:
    li = await _mrs_li(api)
    clerk = await client_as(Viewer(Role.STAFF, "staff:ana", store_ids=frozenset({uuid_in(
        (await api.store())["id"])})))
    before = await snapshot()
    body = await _post(clerk, EXPORT, {"input": {"customerId": li["id"]}})
    assert refusal(body, "customerExportData") == [(None, "NOT_ALLOWED")]
    assert await snapshot() == before


async def test_a_partner_may_not_export(
    api: Api, client_as: ClientAs, snapshot: Snapshot
) -> None:
    li = await _mrs_li(api)
    partner = await client_as(Viewer(Role.PARTNER, "client:cinema", partner_code="cinema"))
    before = await snapshot()
    body = await _post(partner, EXPORT, {"input": {"customerId": li["id"]}})
    assert refusal(body, "customerExportData") == [(None, "NOT_ALLOWED")]
    assert await snapshot() == before


# customerErase ---------------------------------------------------------------------------------


async def test_erasure_removes_her_personal_data(
    gql: Gql, api: Api, client: httpx.AsyncClient, executed_client: httpx.AsyncClient,
) -> None:
    li = await _mrs_li(api)

    erased = await _erase(gql, li["id"])

    assert erased["displayName"] == "Erased customer"
    assert (erased["givenName"], erased["familyName"]) == (None, None)
    assert (erased["interests"], erased["tags"]) == ([], [])
    assert (erased["contactPoints"], erased["household"], erased["externalRefs"]) == ([], [], [])
    assert erased["erasedAt"] is not None
    data = await _both_paths(client, executed_client, PRIVACY_VIEW, {"id": li["id"]})
    assert data["customer"]["erasedAt"] == erased["erasedAt"]


async def test_her_pos_card_is_unlinked_and_can_go_to_a_new_customer(
    gql: Gql, api: Api
) -> None:
    li = await _mrs_li(api)
    await _erase(gql, li["id"])

    newcomer = await api.customer(displayName="Chen Jing", externalRefs=[POS_CARD])

    assert newcomer["externalRefs"][0]["value"] == POS_CARD["value"]


async def test_an_erased_customer_is_found_by_no_search_or_lookup(
    gql: Gql, api: Api, client: httpx.AsyncClient, executed_client: httpx.AsyncClient,
) -> None:
    li = await _mrs_li(api)
    found = await _both_paths(client, executed_client, LOOKUPS, LOOKUP_VARIABLES)
    assert found["byRef"] == {"id": li["id"]}

    await _erase(gql, li["id"])

    found = await _both_paths(client, executed_client, LOOKUPS, LOOKUP_VARIABLES)
    assert (found["byEmail"], found["byPhone"], found["byRef"]) == (None, None, None)
    assert found["search"] == {"totalCount": 0, "nodes": []}
    assert found["erased"] == {"totalCount": 0}


async def test_her_interactions_and_cases_keep_their_facts_but_lose_their_text(
    gql: Gql, api: Api, client: httpx.AsyncClient, executed_client: httpx.AsyncClient,
) -> None:
    li = await _mrs_li(api)
    sale = {"lines": [{"sku": "WW-SCARF-05", "quantity": 1, "unit_price": "459.00"}],
            "currency": "CNY", "total": "459.00"}
    await api.interaction(li["id"], summary="Loves her villa garden", place="Villa",
                          payload={**sale, "noted_interest": "gardening"})
    await api.case(li["id"], subject="Zip broke", description="Call her at home")

    await _erase(gql, li["id"])

    data = await _both_paths(client, executed_client, TIMELINE, {"id": li["id"]})
    [interaction] = [e["node"] for e in data["customer"]["timeline"]["edges"]]
    assert interaction == {"channel": "POS", "kind": "purchase", "summary": None,
                           "payload": sale, "place": None}
    [case] = data["customer"]["cases"]["nodes"]
    assert case == {"kind": "COMPLAINT", "status": "OPEN", "subject": "[erased]",
                    "description": None}


async def test_her_consent_history_stays_as_proof(
    gql: Gql, api: Api, client_as: ClientAs
) -> None:
    li = await _mrs_li(api)
    await _withdraw_sms_at_the_pos(client_as, li)
    await _erase(gql, li["id"])

    body = await gql(EXPORT, {"input": {"customerId": li["id"]}})
    document = result(body, "customerExportData")

    assert document["contactPoints"] == []
    history = document["formerContactPointsConsentHistory"]
    assert [(e["granted"], e["source"]) for e in history] == [(True, "WEB"), (False, "POS")]


async def test_erasing_twice_is_a_success_that_changes_nothing(
    gql: Gql, api: Api, snapshot: Snapshot
) -> None:
    li = await _mrs_li(api)
    first = await _erase(gql, li["id"])
    before = await snapshot()

    again = await _erase(gql, li["id"])

    assert again == first
    assert await snapshot() == before


async def test_an_erased_customer_cannot_be_edited(
    gql: Gql, api: Api, snapshot: Snapshot
) -> None:
    li = await _mrs_li(api)
    await _erase(gql, li["id"])

    errors = await refused(gql, snapshot, CUSTOMER_UPDATE, "customerUpdate",
                           {"id": li["id"], "givenName": "Xiuying"})

    assert errors == [(["id"], "ERASED")]


async def test_erasing_an_unknown_customer_is_not_found(gql: Gql, snapshot: Snapshot) -> None:
    errors = await refused(gql, snapshot, ERASE, "customerErase",
                           {"customerId": unknown_id("Customer"), "reason": "DSR-1"})
    assert errors == [(["customerId"], "NOT_FOUND")]


async def test_erasing_needs_a_reason(gql: Gql, api: Api, snapshot: Snapshot) -> None:
    li = await _mrs_li(api)
    errors = await refused(gql, snapshot, ERASE, "customerErase",
                           {"customerId": li["id"], "reason": " "})
    assert errors == [(["reason"], "REQUIRED")]


async def test_only_an_admin_may_erase(
    api: Api, client_as: ClientAs, snapshot: Snapshot
) -> None:
    store = await api.store()
    li = await _mrs_li(api)
    await api.edit(CUSTOMER_UPDATE, "customerUpdate", id=li["id"], homeStoreId=store["id"])
    manager = await client_as(Viewer(Role.STAFF, "staff:manager",
                                     store_ids=frozenset({uuid_in(store["id"])})))
    before = await snapshot()

    body = await _post(manager, ERASE, {"input": {"customerId": li["id"], "reason": "asked"}})

    assert refusal(body, "customerErase") == [(None, "NOT_ALLOWED")]
    assert await snapshot() == before
