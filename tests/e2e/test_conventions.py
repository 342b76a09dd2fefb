"""API conventions of DESIGN.md §4 over HTTP: idempotent replays, cursor pagination that
stays stable under inserts, page-size and cursor errors, totalCount."""

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.e2e.api import (
    CUSTOMER_CREATE,
    INTERACTION_RECORD,
    Api,
    Gql,
    ago,
    result,
    unknown_id,
)

RowCounts = Callable[[], Awaitable[dict[str, int]]]

PAGE = """
query($first: Int, $after: String, $last: Int, $before: String,
      $sortKey: CustomerSortKey!, $reverse: Boolean!, $tags: [String!]) {
  customers(first: $first, after: $after, last: $last, before: $before,
            sortKey: $sortKey, reverse: $reverse, filter: {tags: $tags}) {
    totalCount
    edges { cursor node { id displayName } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

MAX_PAGES = 10  # ten rows in pages of three: a loop past this never ends
HISTORY = """
query($id: ID!, $timelineAfter: String, $casesAfter: String) {
  customer(id: $id) {
    timeline(first: 2, after: $timelineAfter) { nodes { id } pageInfo { endCursor } }
    cases(first: 2, after: $casesAfter) { nodes { id } pageInfo { hasNextPage endCursor } }
  }
}
"""

SEARCH = "query($search: String) { customers(search: $search) { nodes { id } } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"

SORT_ORDERS = [(key, reverse) for key in ("NAME", "CREATED_AT", "LAST_INTERACTION_AT")
               for reverse in (False, True)]


async def _page(gql: Gql, sort_key: str = "CREATED_AT", reverse: bool = False,
                **arguments: Any) -> dict[str, Any]:
    body = await gql(PAGE, {"sortKey": sort_key, "reverse": reverse, **arguments})
    assert "errors" not in body, body
    connection: dict[str, Any] = body["data"]["customers"]
    return connection


def _ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


async def _seed(api: Api) -> list[str]:
    """Seven customers: names out of creation order, some never contacted."""
    ids = []
    for index, name in enumerate(["m40", "m10", "m70", "m20", "m60", "m30", "m50"]):
        customer = await api.customer(displayName=name)
        if index % 3:
            await api.interaction(customer["id"], occurredAt=ago(hours=50 - 7 * index))
        ids.append(customer["id"])
    return ids


async def _insert_more(api: Api) -> None:
    """Rows landing before, between and after the seeded ones in every order."""
    for name, hours in (("m05", 1), ("m35", None), ("m99", 60)):
        customer = await api.customer(displayName=name)
        if hours is not None:
            await api.interaction(customer["id"], occurredAt=ago(hours=hours))


# Idempotency ------------------------------------------------------------------------------


async def test_interaction_record_replayed_with_its_key_returns_the_first_and_writes_once(
    gql: Gql, api: Api, row_counts: RowCounts
) -> None:
    li = await api.customer()
    command = {"input": {"customerId": li["id"], "channel": "POS", "kind": "purchase",
                         "occurredAt": "2026-01-02T10:00:00+08:00",
                         "payload": {"total": "99.00"},
                         "idempotencyKey": "HZ-2026-0042"}}

    first = result(await gql(INTERACTION_RECORD, command), "interactionRecord")
    counts = await row_counts()
    again = result(await gql(INTERACTION_RECORD, command), "interactionRecord")

    assert again == first
    assert await row_counts() == counts
    assert (counts["interactions"], counts["idempotency_keys"]) == (1, 1)


async def test_customer_create_replayed_with_its_key_returns_the_first_and_writes_once(
    gql: Gql, row_counts: RowCounts
) -> None:
    command = {"input": {"displayName": "Mrs. Li", "idempotencyKey": "signup-77",
                         "contactPoints": [{"kind": "EMAIL", "value": "li@example.com"}]}}

    first = result(await gql(CUSTOMER_CREATE, command), "customerCreate")
    counts = await row_counts()
    again = result(await gql(CUSTOMER_CREATE, command), "customerCreate")

    assert again == first
    assert await row_counts() == counts
    assert (counts["customers"], counts["contact_points"]) == (1, 1)


async def test_the_same_key_in_another_mutation_is_independent(
    gql: Gql, api: Api, row_counts: RowCounts
) -> None:
    li = await api.customer(idempotencyKey="shared-key")
    await api.interaction(li["id"], idempotencyKey="shared-key")
    assert (await row_counts())["interactions"] == 1


# Cursor pagination ------------------------------------------------------------------------


@pytest.mark.parametrize(("sort_key", "reverse"), SORT_ORDERS)
async def test_paging_forward_is_stable_when_rows_are_inserted_between_pages(
    gql: Gql, api: Api, sort_key: str, reverse: bool
) -> None:
    seeded = await _seed(api)
    first = await _page(gql, sort_key, reverse, first=3)
    assert (first["pageInfo"]["hasNextPage"], first["pageInfo"]["hasPreviousPage"]) == (
        True, False
    )
    seen, cursor = _ids(first), first["pageInfo"]["endCursor"]

    await _insert_more(api)
    for _ in range(MAX_PAGES):
        if cursor is None:
            break
        page = await _page(gql, sort_key, reverse, first=3, after=cursor)
        assert page["pageInfo"]["hasPreviousPage"] is True
        seen += _ids(page)
        cursor = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
    assert cursor is None, "paging did not end"

    assert len(seen) == len(set(seen)), "a row was listed twice"
    assert set(seeded) <= set(seen), "a row was skipped"
    everything = _ids(await _page(gql, sort_key, reverse, first=100))
    assert seen == [i for i in everything if i in seen], "pages out of order"


@pytest.mark.parametrize(("sort_key", "reverse"), SORT_ORDERS)
async def test_paging_backward_with_last_and_before_is_stable_under_inserts(
    gql: Gql, api: Api, sort_key: str, reverse: bool
) -> None:
    seeded = await _seed(api)
    last = await _page(gql, sort_key, reverse, last=3)
    assert (last["pageInfo"]["hasNextPage"], last["pageInfo"]["hasPreviousPage"]) == (
        False, True
    )
    pages, cursor = [_ids(last)], last["pageInfo"]["startCursor"]

    await _insert_more(api)
    for _ in range(MAX_PAGES):
        if cursor is None:
            break
        page = await _page(gql, sort_key, reverse, last=3, before=cursor)
        assert page["pageInfo"]["hasNextPage"] is True
        pages.append(_ids(page))
        cursor = page["pageInfo"]["startCursor"] if page["pageInfo"]["hasPreviousPage"] else None
    assert cursor is None, "paging did not end"

    seen = [i for page in reversed(pages) for i in page]
    assert len(seen) == len(set(seen)), "a row was listed twice"
    assert set(seeded) <= set(seen), "a row was skipped"
    everything = _ids(await _page(gql, sort_key, reverse, first=100))
    assert seen == [i for i in everything if i in seen], "pages out of order"


async def test_cursors_of_edges_resume_right_after_their_row(gql: Gql, api: Api) -> None:
    seeded = await _seed(api)
    everything = await _page(gql, "NAME", first=100)
    third_cursor = everything["edges"][2]["cursor"]

    after_third = await _page(gql, "NAME", first=2, after=third_cursor)

    assert _ids(after_third) == _ids(everything)[3:5]
    assert len(_ids(everything)) == len(seeded)


async def test_total_count_counts_every_match_across_pages(gql: Gql, api: Api) -> None:
    for number in range(5):
        await api.customer(displayName=f"c{number}", tags=["vip"] if number % 2 else [])

    page = await _page(gql, first=1, tags=["vip"])

    assert (page["totalCount"], len(page["edges"])) == (2, 1)
    assert (await _page(gql, first=0))["totalCount"] == 5


@pytest.mark.parametrize("size", [101, -1])
async def test_a_page_of_more_than_100_or_less_than_0_is_a_bad_user_input(
    gql: Gql, size: int
) -> None:
    body = await gql(PAGE, {"first": size, "sortKey": "NAME", "reverse": False})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["path"] == ["customers"]
    assert body["data"] is None


async def test_first_and_last_together_is_a_bad_user_input(gql: Gql) -> None:
    body = await gql(PAGE, {"first": 2, "last": 2, "sortKey": "NAME", "reverse": False})
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("cursor", ["not-a-cursor", "WyJ4Il0=", "WzEsMiwzXQ=="])
async def test_a_cursor_not_from_this_connection_is_a_bad_user_input(
    gql: Gql, api: Api, cursor: str
) -> None:
    await api.customer()
    body = await gql(PAGE, {"first": 5, "after": cursor, "sortKey": "CREATED_AT",
                            "reverse": False})
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert body["data"] is None


async def test_timeline_and_case_connections_page_newest_first(gql: Gql, api: Api) -> None:
    li = await api.customer()
    recorded = [(await api.interaction(li["id"], occurredAt=ago(hours=hours)))["id"]
                for hours in (5, 4, 3, 2, 1)]
    opened = [(await api.case(li["id"], subject=f"case {n}"))["id"] for n in range(3)]

    first = (await gql(HISTORY, {"id": li["id"]}))["data"]["customer"]
    rest = (await gql(HISTORY, {"id": li["id"], "timelineAfter":
                                first["timeline"]["pageInfo"]["endCursor"],
                                "casesAfter": first["cases"]["pageInfo"]["endCursor"]}
                      ))["data"]["customer"]

    newest_first = list(reversed(recorded))
    assert [n["id"] for n in first["timeline"]["nodes"]] == newest_first[:2]
    assert [n["id"] for n in rest["timeline"]["nodes"]] == newest_first[2:4]
    assert [n["id"] for n in first["cases"]["nodes"]] == opened[::-1][:2]
    assert [n["id"] for n in rest["cases"]["nodes"]] == opened[::-1][2:]
    assert rest["cases"]["pageInfo"]["hasNextPage"] is False


# Object identification (Relay) ------------------------------------------------------------


async def test_node_and_nodes_refetch_objects_of_every_type_in_the_order_asked(
    gql: Gql, api: Api
) -> None:
    store = await api.store()
    staff = await api.staff(storeId=store["id"])
    customer = await api.customer()
    interaction = await api.interaction(customer["id"])
    case = await api.case(customer["id"])
    ids = [case["id"], unknown_id("Customer"), customer["id"], interaction["id"], staff["id"],
           store["id"], "garbage"]

    nodes = (await gql(NODES, {"ids": ids}))["data"]["nodes"]

    assert nodes == [
        {"__typename": "Case", "id": case["id"]}, None,
        {"__typename": "Customer", "id": customer["id"]},
        {"__typename": "Interaction", "id": interaction["id"]},
        {"__typename": "Staff", "id": staff["id"]}, {"__typename": "Store", "id": store["id"]},
        None,
    ]


async def test_node_refetches_the_parts_of_a_customer_and_routing_rules(
    gql: Gql, api: Api
) -> None:
    customer = await api.customer(
        contactPoints=[{"kind": "EMAIL", "value": "li@example.com"}],
        household=[{"name": "Li Wei", "relationship": "CHILD"}],
        externalRefs=[{"system": "pos-card", "value": "HZ-1"}],
    )
    rule = await api.routing_rule(queue="complaints")
    ids = [customer["contactPoints"][0]["id"], customer["household"][0]["id"],
           customer["externalRefs"][0]["id"], rule["id"]]

    nodes = (await gql(NODES, {"ids": ids}))["data"]["nodes"]

    assert [n and n["id"] for n in nodes] == ids


@pytest.mark.parametrize("arguments", ["", '(email: "a@example.com", phone: "123456")'])
async def test_customer_needs_exactly_one_handle(gql: Gql, arguments: str) -> None:
    body = await gql(f"query {{ customer{arguments} {{ id }} }}")
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


async def test_customer_by_an_id_of_another_type_is_null(gql: Gql, api: Api) -> None:
    store = await api.store()
    body = await gql("query($id: ID!) { customer(id: $id) { id } }", {"id": store["id"]})
    assert body == {"data": {"customer": None}}


async def test_search_matches_part_of_a_name_email_or_phone_and_treats_wildcards_literally(
    gql: Gql, api: Api
) -> None:
    li = await api.customer(displayName="Mrs. Li", contactPoints=[
        {"kind": "EMAIL", "value": "garden.lover@example.com"},
        {"kind": "PHONE", "value": "+86 138 0571 0187"},
    ])
    percent = await api.customer(displayName="100% Cotton Ltd", kind="ORGANISATION")

    async def found(search: str) -> list[str]:
        body = await gql(SEARCH, {"search": search})
        return [n["id"] for n in body["data"]["customers"]["nodes"]]

    assert await found("GARDEN.lover") == [li["id"]]
    assert await found("0571") == [li["id"]]
    assert await found("mrs. li") == [li["id"]]
    assert await found("%") == [percent["id"]]
    assert await found("_") == []
