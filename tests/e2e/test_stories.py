"""The stories of DESIGN.md §1, end to end through the GraphQL API."""

from datetime import datetime, timedelta
from typing import Any

from tests.e2e.api import (
    CASE_CLOSE,
    CASE_FIELDS,
    CASE_RESOLVE,
    CASE_START,
    CUSTOMER_MERGE,
    CUSTOMER_UPDATE,
    INTERACTION_FIELDS,
    Api,
    Gql,
    ago,
    iso,
)
from tests.e2e.conftest import MovableClock

FIND_MRS_LI = """
query($email: String!, $phone: String!) {
  byCard: customer(externalRef: {system: "pos-card", value: "HZ-000187"}) {
    id displayName interests tags homeStore { code }
    household { name relationship importantDates { occasion date label } }
    timeline(first: 10) { nodes { channel kind summary payload store { code } } }
  }
  byEmail: customer(email: $email) { id }
  byPhone: customer(phone: $phone) { id }
}
"""

SEARCH = """
query($search: String!, $tags: [String!]) {
  customers(first: 10, search: $search, filter: {tags: $tags}, sortKey: NAME) {
    totalCount
    nodes { id displayName }
  }
}
"""

LISA_TIMELINE = f"""
query($channels: [Channel!]) {{
  customer(externalRef: {{system: "wechat", value: "o-lisa-0001"}}) {{
    displayName tags
    timeline(first: 10, filter: {{channels: $channels}}) {{
      nodes {{ ...InteractionFields }}
    }}
  }}
}}
{INTERACTION_FIELDS}
"""

FILM_LOVERS = """
query { customers(filter: {interests: ["films"]}) { nodes { displayName } } }
"""

WORK_QUEUE = f"""
query($filter: CaseFilterInput) {{
  cases(first: 10, filter: $filter) {{ nodes {{ ...CaseFields }} }}
}}
{CASE_FIELDS}
"""

CUSTOMER_CASES = """
query($id: ID!) {
  customer(id: $id) {
    cases { nodes { id status } }
    timeline { nodes { channel kind case { id } } }
  }
}
"""

MERGED = """
query($duplicate: ID!) {
  byId: customer(id: $duplicate) {
    id displayName
    contactPoints { kind value }
    externalRefs { system value }
    household { name }
    timeline { nodes { kind summary } }
    cases { nodes { id subject customer { id } } }
  }
  node(id: $duplicate) { id ... on Customer { displayName } }
  byShopAccount: customer(externalRef: {system: "shop", value: "u-42"}) { id }
  active: customers(first: 10) { totalCount nodes { id } }
  everyone: customers(first: 10, filter: {archived: null}) { totalCount nodes { id } }
}
"""


def _ids(nodes: list[dict[str, Any]]) -> list[str]:
    return [n["id"] for n in nodes]


async def test_mrs_li_is_known_by_card_email_and_phone_with_her_family_and_purchases(
    gql: Gql, api: Api
) -> None:
    store = await api.store("hz-westlake", name="West Lake", city="Hangzhou")
    li = await api.customer(
        displayName="Mrs. Li", familyName="Li", givenName="Mei", gender="FEMALE",
        preferences=["silk", "size-m"], tags=["vip"], homeStoreId=store["id"],
        contactPoints=[{"kind": "EMAIL", "value": "mrs.li@example.com"},
                       {"kind": "PHONE", "value": "+86 138 0571 0187"}],
        household=[{
            "name": "Li Wei", "relationship": "CHILD", "birthDate": "2012-06-18",
            "importantDates": [
                {"occasion": "BIRTHDAY", "date": "2012-06-18", "label": "son's birthday"},
                {"occasion": "TRIP", "date": "2026-07-20", "label": "family trip to Yunnan"},
            ],
        }],
        externalRefs=[{"system": "pos-card", "value": "HZ-000187"}],
    )
    await api.interaction(li["id"], channel="VISIT", kind="note", occurredAt=ago(days=30),
                          summary="Loves gardening in her villa's garden")
    await api.edit(CUSTOMER_UPDATE, "customerUpdate", id=li["id"], interests=["gardening"])
    for days, (sku, total) in enumerate([("silk-scarf", "1280.00"), ("cardigan", "2350.00")]):
        await api.interaction(li["id"], channel="POS", kind="purchase", storeId=store["id"],
                              occurredAt=ago(days=10 - days), payload={"sku": sku, "total": total},
                              idempotencyKey=f"HZ-receipt-{days}")
    await api.interaction(li["id"], channel="VISIT", kind="gift", direction="OUTBOUND",
                          occurredAt=ago(days=1), summary="Mosquito repellent for the garden")
    await api.customer(displayName="Lisa", tags=["white-collar"])
    await api.customer(displayName="Li Na", familyName="Li")

    found = (await gql(FIND_MRS_LI, {"email": "Mrs.Li@Example.com",
                                     "phone": "+86-138-0571-0187"}))["data"]

    her = found["byCard"]
    assert (her["id"], her["displayName"], her["interests"]) == (li["id"], "Mrs. Li",
                                                                 ["gardening"])
    assert found["byEmail"] == {"id": li["id"]}
    assert found["byPhone"] == {"id": li["id"]}
    assert her["homeStore"] == {"code": "hz-westlake"}
    assert [d["label"] for d in her["household"][0]["importantDates"]] == [
        "son's birthday", "family trip to Yunnan"
    ]
    assert [(n["kind"], n["payload"].get("sku")) for n in her["timeline"]["nodes"]] == [
        ("gift", None), ("purchase", "cardigan"), ("purchase", "silk-scarf"), ("note", None),
    ]
    assert her["timeline"]["nodes"][1]["store"] == {"code": "hz-westlake"}

    everyone_li = (await gql(SEARCH, {"search": "li"}))["data"]["customers"]
    assert [n["displayName"] for n in everyone_li["nodes"]] == ["Li Na", "Lisa", "Mrs. Li"]
    vip_li = (await gql(SEARCH, {"search": "LI", "tags": ["vip"]}))["data"]["customers"]
    assert (vip_li["totalCount"], _ids(vip_li["nodes"])) == (1, [li["id"]])


async def test_lisa_checks_in_near_jingan_temple_and_her_timeline_filters_by_channel(
    gql: Gql, api: Api
) -> None:
    store = await api.store("sh-jingan", name="Jing'an Temple", city="Shanghai")
    lisa = await api.customer(
        displayName="Lisa", occupation="analyst", tags=["white-collar", "loves-films"],
        interests=["films"],
        contactPoints=[{"kind": "SOCIAL", "value": "lisa_sh", "platform": "wechat"}],
        externalRefs=[{"system": "wechat", "value": "o-lisa-0001"}],
    )
    await api.customer(displayName="Mrs. Li", interests=["gardening"])
    purchase = await api.interaction(lisa["id"], channel="POS", kind="purchase",
                                     storeId=store["id"], occurredAt=ago(days=20),
                                     payload={"sku": "eye-shadow-04", "category": "make-up"})
    check_in = await api.interaction(
        lisa["id"], channel="CHECK_IN", kind="check-in", occurredAt=ago(minutes=3),
        geo={"latitude": 31.2236, "longitude": 121.4453}, place="Jing'an Temple counter",
        storeId=store["id"],
    )
    await api.interaction(lisa["id"], channel="SMS", kind="member-event",
                          direction="OUTBOUND", occurredAt=ago(minutes=1),
                          summary="Members' film night this Friday")

    only_check_ins = (await gql(LISA_TIMELINE, {"channels": ["CHECK_IN"]}))["data"]["customer"]
    assert only_check_ins["tags"] == ["white-collar", "loves-films"]
    (node,) = only_check_ins["timeline"]["nodes"]
    assert (node["id"], node["place"]) == (check_in["id"], "Jing'an Temple counter")
    assert node["geo"] == {"latitude": 31.2236, "longitude": 121.4453}

    in_store = (await gql(LISA_TIMELINE, {"channels": ["CHECK_IN", "POS"]}))["data"]["customer"]
    assert _ids(in_store["timeline"]["nodes"]) == [check_in["id"], purchase["id"]]
    everything = (await gql(LISA_TIMELINE, {"channels": None}))["data"]["customer"]
    assert [n["channel"] for n in everything["timeline"]["nodes"]] == ["SMS", "CHECK_IN", "POS"]
    assert (await gql(FILM_LOVERS))["data"]["customers"]["nodes"] == [{"displayName": "Lisa"}]


async def test_a_phone_complaint_is_routed_worked_resolved_followed_up_and_closed(
    gql: Gql, api: Api, clock: MovableClock
) -> None:
    store = await api.store()
    zhang = await api.staff("zhang@example.com", name="Zhang Min", storeId=store["id"])
    other = await api.staff("chen@example.com", name="Chen Jie")
    await api.routing_rule(kind="COMPLAINT", queue="complaints", ownerId=other["id"])
    await api.routing_rule(kind="COMPLAINT", channel="PHONE", queue="phone-complaints",
                           ownerId=zhang["id"])
    li = await api.customer(displayName="Mrs. Li")
    call = await api.interaction(li["id"], channel="PHONE", kind="call", storeId=store["id"],
                                 occurredAt=ago(minutes=10), summary="The zip broke")

    case = await api.case(interactionId=call["id"], subject="Broken zip", priority="HIGH")

    assert (case["customer"]["id"], case["channel"], case["store"]["id"]) == (
        li["id"], "PHONE", store["id"]
    )
    assert (case["owner"]["id"], case["queue"]) == (zhang["id"], "phone-complaints")
    assert case["originInteraction"]["id"] == call["id"]

    async def queue(**filter: Any) -> list[str]:
        body = await gql(WORK_QUEUE, {"filter": filter})
        return _ids(body["data"]["cases"]["nodes"])

    assert await queue(ownerId=zhang["id"], status=["OPEN"]) == [case["id"]]
    assert await queue(ownerId=other["id"]) == []
    await api.move_case(CASE_START, "caseStart", case["id"], expectedVersion=1)
    assert await queue(ownerId=zhang["id"], status=["OPEN"]) == []
    assert await queue(ownerId=zhang["id"], status=["IN_PROGRESS"]) == [case["id"]]
    assert await queue(overdue=True) == []

    clock.advance(timedelta(hours=25))
    assert await queue(overdue=True) == [case["id"]]
    assert await queue(overdue=False) == []
    assert (await api.get_case(case["id"]))["overdue"] is True

    follow_up_due = clock.now() + timedelta(days=2)
    resolved = await api.move_case(CASE_RESOLVE, "caseResolve", case["id"],
                                   resolutionNote="New zip sewn in", followUpAt=iso(follow_up_due))
    assert datetime.fromisoformat(resolved["followUpAt"]) == follow_up_due
    assert (resolved["status"], resolved["overdue"]) == ("RESOLVED", False)
    assert await queue(overdue=True) == []

    clock.advance(timedelta(days=2))
    visit = await api.interaction(li["id"], channel="VISIT", kind="follow-up",
                                  direction="OUTBOUND", occurredAt=iso(clock.now()),
                                  caseId=case["id"], summary="Happy with the repair")
    assert visit["case"]["id"] == case["id"]
    closed = await api.move_case(CASE_CLOSE, "caseClose", case["id"])
    assert closed["status"] == "CLOSED"

    history = (await gql(CUSTOMER_CASES, {"id": li["id"]}))["data"]["customer"]
    assert history["cases"]["nodes"] == [{"id": case["id"], "status": "CLOSED"}]
    assert history["timeline"]["nodes"] == [
        {"channel": "VISIT", "kind": "follow-up", "case": {"id": case["id"]}},
        {"channel": "PHONE", "kind": "call", "case": None},
    ]


async def test_merging_a_duplicate_moves_everything_and_its_id_answers_with_the_survivor(
    gql: Gql, api: Api
) -> None:
    survivor = await api.customer(
        displayName="Mrs. Li", contactPoints=[{"kind": "EMAIL", "value": "mrs.li@example.com"}],
        externalRefs=[{"system": "pos-card", "value": "HZ-000187"}],
    )
    duplicate = await api.customer(
        displayName="Li Mei",
        contactPoints=[{"kind": "EMAIL", "value": "mrs.li@example.com"},
                       {"kind": "PHONE", "value": "+8613805710187"}],
        household=[{"name": "Li Wei", "relationship": "CHILD"}],
        externalRefs=[{"system": "shop", "value": "u-42"}],
    )
    await api.interaction(survivor["id"], kind="purchase", summary="in store",
                          occurredAt=ago(days=3))
    await api.interaction(duplicate["id"], channel="WEB", kind="purchase", summary="online",
                          occurredAt=ago(days=2))
    case = await api.case(duplicate["id"], subject="Late delivery")

    merged = await api.edit(CUSTOMER_MERGE, "customerMerge", survivorId=survivor["id"],
                            duplicateId=duplicate["id"])
    assert merged["id"] == survivor["id"]

    found = (await gql(MERGED, {"duplicate": duplicate["id"]}))["data"]
    by_id = found["byId"]
    assert (by_id["id"], by_id["displayName"]) == (survivor["id"], "Mrs. Li")
    assert by_id["contactPoints"] == [{"kind": "EMAIL", "value": "mrs.li@example.com"},
                                      {"kind": "PHONE", "value": "+8613805710187"}]
    assert by_id["externalRefs"] == [{"system": "pos-card", "value": "HZ-000187"},
                                     {"system": "shop", "value": "u-42"}]
    assert by_id["household"] == [{"name": "Li Wei"}]
    assert [n["summary"] for n in by_id["timeline"]["nodes"]] == ["online", "in store"]
    assert by_id["cases"]["nodes"] == [
        {"id": case["id"], "subject": "Late delivery", "customer": {"id": survivor["id"]}}
    ]
    assert found["node"] == {"id": survivor["id"], "displayName": "Mrs. Li"}
    assert found["byShopAccount"] == {"id": survivor["id"]}
    assert (found["active"]["totalCount"], _ids(found["active"]["nodes"])) == (
        1, [survivor["id"]]
    )
    assert (found["everyone"]["totalCount"], _ids(found["everyone"]["nodes"])) == (
        1, [survivor["id"]]
    )
    case_now = await api.get_case(case["id"])
    assert case_now["customer"]["id"] == survivor["id"]
