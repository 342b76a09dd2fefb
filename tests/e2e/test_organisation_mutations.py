"""storeCreate and staffCreate over HTTP: the minimum organisation, and its refusals."""


from tests.e2e.api import (
    STAFF_CREATE,
    STORE_CREATE,
    Api,
    Gql,
    Snapshot,
    refused,
    unknown_id,
)

STORES_AND_STAFF = "query { stores { code name city } staff { name email store { code } } }"


async def test_store_and_staff_create_are_listed(gql: Gql, api: Api) -> None:
    store = await api.store(" HZ-WestLake ", name="West Lake", city="Hangzhou")
    await api.staff(" Wang@Example.com ", name="Wang Fang", storeId=store["id"])

    listed = (await gql(STORES_AND_STAFF))["data"]

    assert listed["stores"] == [{"code": "hz-westlake", "name": "West Lake", "city": "Hangzhou"}]
    assert listed["staff"] == [
        {"name": "Wang Fang", "email": "wang@example.com", "store": {"code": "hz-westlake"}}
    ]


async def test_store_create_with_a_taken_code_is_a_duplicate(
    gql: Gql, api: Api, snapshot: Snapshot
) -> None:
    await api.store("hz-westlake")
    errors = await refused(gql, snapshot, STORE_CREATE, "storeCreate",
                            {"code": "HZ-WESTLAKE", "name": "Another"})
    assert errors == [(["code"], "DUPLICATE")]


async def test_store_create_with_a_malformed_code_is_invalid(
    gql: Gql, snapshot: Snapshot
) -> None:
    errors = await refused(gql, snapshot, STORE_CREATE, "storeCreate",
                            {"code": "west lake/1", "name": "West Lake"})
    assert errors == [(["code"], "INVALID")]


async def test_store_create_without_code_or_name_reports_both(
    gql: Gql, snapshot: Snapshot
) -> None:
    errors = await refused(gql, snapshot, STORE_CREATE, "storeCreate", {"code": "", "name": ""})
    assert sorted(errors) == [(["code"], "REQUIRED"), (["name"], "REQUIRED")]


async def test_staff_create_with_a_malformed_email_is_invalid(
    gql: Gql, snapshot: Snapshot
) -> None:
    errors = await refused(gql, snapshot, STAFF_CREATE, "staffCreate",
                            {"name": "Wang Fang", "email": "wang@"})
    assert errors == [(["email"], "INVALID")]


async def test_staff_create_with_a_taken_email_is_a_duplicate(
    gql: Gql, api: Api, snapshot: Snapshot
) -> None:
    await api.staff("wang@example.com")
    errors = await refused(gql, snapshot, STAFF_CREATE, "staffCreate",
                            {"name": "Another Wang", "email": "WANG@example.com"})
    assert errors == [(["email"], "DUPLICATE")]


async def test_staff_create_at_an_unknown_store_is_not_found(
    gql: Gql, snapshot: Snapshot
) -> None:
    errors = await refused(gql, snapshot, STAFF_CREATE, "staffCreate", {
        "name": "Wang Fang", "email": "wang@example.com", "storeId": unknown_id("Store"),
    })
    assert errors == [(["storeId"], "NOT_FOUND")]
