"""customerCreate, customerUpdate, customerArchive, customerRestore, customerMerge over HTTP:
each refusal names the field and a code, and leaves the database exactly as it was."""

from datetime import date, timedelta
from typing import Any

from tests.e2e.api import (
    CUSTOMER_ARCHIVE,
    CUSTOMER_CREATE,
    CUSTOMER_MERGE,
    CUSTOMER_RESTORE,
    CUSTOMER_UPDATE,
    Api,
    Gql,
    Snapshot,
    refusal,
    result,
    unknown_id,
)

CUSTOMER_IDS = """
query { customers(first: 100, filter: {archived: null}) { nodes { id } } }
"""
ACTIVE_CUSTOMER_IDS = "query { customers(first: 100) { nodes { id } } }"


async def _create_refused(gql: Gql, snapshot: Snapshot, fields: dict[str, Any]) -> list[Any]:
    before = await snapshot()
    errors = refusal(await gql(CUSTOMER_CREATE, {"input": fields}), "customerCreate")
    assert await snapshot() == before
    return errors


# customerCreate ---------------------------------------------------------------------------


async def test_create_returns_the_customer_with_its_lists(gql: Gql, api: Api) -> None:
    store, staff = await api.store(), await api.staff()
    body = await gql(CUSTOMER_CREATE, {"input": {
        "givenName": "Mei", "familyName": "Li", "gender": "FEMALE", "birthDate": "1968-04-02",
        "occupation": "retired teacher", "interests": ["gardening"], "tags": ["vip", " vip "],
        "customAttributes": {"villa": True}, "ownerId": staff["id"], "homeStoreId": store["id"],
        "contactPoints": [
            {"kind": "EMAIL", "value": "Mrs.Li@Example.com", "verified": True},
            {"kind": "PHONE", "value": "+86 138-0571-0187", "label": "mobile",
             "consents": [{"purpose": "MARKETING_SMS", "granted": True}]},
            {"kind": "SOCIAL", "value": "li_garden", "platform": "WeChat"},
        ],
        "household": [{"name": "Li Wei", "relationship": "CHILD", "birthDate": "1995-06-18"}],
        "externalRefs": [{"system": "pos-card", "value": "HZ-000187"}],
    }})

    customer = result(body, "customerCreate")
    assert customer["displayName"] == "Mei Li"
    assert customer["version"] == 1
    assert customer["tags"] == ["vip"]
    assert customer["owner"]["id"] == staff["id"]
    assert customer["homeStore"]["id"] == store["id"]
    assert [(c["kind"], c["value"]) for c in customer["contactPoints"]] == [
        ("EMAIL", "mrs.li@example.com"), ("PHONE", "+8613805710187"), ("SOCIAL", "li_garden"),
    ]
    assert customer["contactPoints"][1]["consents"] == [
        {"purpose": "MARKETING_SMS", "granted": True}
    ]
    assert customer["contactPoints"][2]["platform"] == "wechat"
    assert customer["household"][0]["relationship"] == "CHILD"
    assert customer["externalRefs"][0]["value"] == "HZ-000187"


async def test_create_without_any_name_requires_a_display_name(
    gql: Gql, snapshot: Snapshot
) -> None:
    errors = await _create_refused(gql, snapshot, {"givenName": "  ", "occupation": "florist"})
    assert errors == [(["displayName"], "REQUIRED")]


async def test_create_with_a_201_character_name_is_too_long(
    gql: Gql, snapshot: Snapshot
) -> None:
    errors = await _create_refused(gql, snapshot, {"displayName": "x" * 201})
    assert errors == [(["displayName"], "TOO_LONG")]


async def test_create_accepts_a_200_character_name(api: Api) -> None:
    customer = await api.customer(displayName="x" * 200)
    assert len(customer["displayName"]) == 200


async def test_create_with_a_malformed_email_is_invalid(gql: Gql, snapshot: Snapshot) -> None:
    errors = await _create_refused(gql, snapshot, {
        "displayName": "Mrs. Li", "contactPoints": [{"kind": "EMAIL", "value": "li@home"}],
    })
    assert errors == [(["contactPoints", "0", "value"], "INVALID")]


async def test_create_with_a_malformed_phone_is_invalid_at_its_index(
    gql: Gql, snapshot: Snapshot
) -> None:
    errors = await _create_refused(gql, snapshot, {
        "displayName": "Mrs. Li",
        "contactPoints": [{"kind": "EMAIL", "value": "li@example.com"},
                          {"kind": "PHONE", "value": "call me maybe"}],
    })
    assert errors == [(["contactPoints", "1", "value"], "INVALID")]


async def test_create_reports_every_problem_at_once(gql: Gql, snapshot: Snapshot) -> None:
    errors = await _create_refused(gql, snapshot, {
        "occupation": "o" * 101,
        "birthDate": (date.today() + timedelta(days=1)).isoformat(),
        "contactPoints": [{"kind": "EMAIL", "value": "nope"}],
    })
    assert sorted(errors) == sorted([
        (["displayName"], "REQUIRED"), (["birthDate"], "INVALID"),
        (["occupation"], "TOO_LONG"), (["contactPoints", "0", "value"], "INVALID"),
    ])


async def test_create_with_an_external_ref_of_another_customer_is_a_duplicate(
    gql: Gql, api: Api, snapshot: Snapshot
) -> None:
    await api.customer(externalRefs=[{"system": "pos-card", "value": "HZ-000187"}])

    errors = await _create_refused(gql, snapshot, {
        "displayName": "Li Mei",
        "externalRefs": [{"system": "wechat", "value": "o-li"},
                         {"system": "POS-Card", "value": "HZ-000187"}],
    })
    assert errors == [(["externalRefs", "1"], "DUPLICATE")]


async def test_create_with_one_external_ref_listed_twice_is_a_duplicate(
    gql: Gql, snapshot: Snapshot
) -> None:
    ref = {"system": "pos-card", "value": "HZ-1"}
    errors = await _create_refused(gql, snapshot, {"displayName": "Li", "externalRefs": [ref, ref]})
    assert errors == [(["externalRefs", "1"], "DUPLICATE")]


async def test_create_with_an_unknown_owner_is_not_found(gql: Gql, snapshot: Snapshot) -> None:
    errors = await _create_refused(gql, snapshot, {"displayName": "Li",
                                                   "ownerId": unknown_id("Staff")})
    assert errors == [(["ownerId"], "NOT_FOUND")]


async def test_create_with_an_unknown_home_store_is_not_found(
    gql: Gql, snapshot: Snapshot
) -> None:
    errors = await _create_refused(gql, snapshot, {"displayName": "Li",
                                                   "homeStoreId": unknown_id("Store")})
    assert errors == [(["homeStoreId"], "NOT_FOUND")]


async def test_create_with_a_malformed_global_id_is_invalid(
    gql: Gql, snapshot: Snapshot
) -> None:
    errors = await _create_refused(gql, snapshot, {"displayName": "Li",
                                                   "homeStoreId": "not-a-global-id"})
    assert errors == [(["homeStoreId"], "INVALID")]


async def test_create_with_an_id_of_another_type_is_not_found(
    gql: Gql, api: Api, snapshot: Snapshot
) -> None:
    store = await api.store()
    errors = await _create_refused(gql, snapshot, {"displayName": "Li", "ownerId": store["id"]})
    assert errors == [(["ownerId"], "NOT_FOUND")]


async def test_create_reusing_an_idempotency_key_with_other_input_is_refused(
    gql: Gql, api: Api, snapshot: Snapshot
) -> None:
    await api.customer(displayName="Mrs. Li", idempotencyKey="shop-signup-1")

    errors = await _create_refused(
        gql, snapshot, {"displayName": "Mr. Li", "idempotencyKey": "shop-signup-1"}
    )
    assert errors == [(["idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")]


async def test_create_with_custom_attributes_not_an_object_is_invalid(
    gql: Gql, snapshot: Snapshot
) -> None:
    errors = await _create_refused(gql, snapshot, {"displayName": "Li",
                                                   "customAttributes": [1, 2]})
    assert errors == [(["customAttributes"], "INVALID")]


# customerUpdate ---------------------------------------------------------------------------


async def test_update_changes_only_the_fields_sent_and_bumps_the_version(api: Api) -> None:
    customer = await api.customer(displayName="Mrs. Li", occupation="teacher", tags=["vip"])

    updated = await api.edit(CUSTOMER_UPDATE, "customerUpdate", id=customer["id"],
                             expectedVersion=1, interests=["gardening"], occupation=None)

    assert updated["version"] == 2
    assert updated["interests"] == ["gardening"]
    assert updated["occupation"] is None
    assert updated["tags"] == ["vip"]
    assert updated["displayName"] == "Mrs. Li"


async def test_update_with_a_stale_version_is_a_conflict(
    gql: Gql, api: Api, snapshot: Snapshot
) -> None:
    customer = await api.customer()
    await api.edit(CUSTOMER_UPDATE, "customerUpdate", id=customer["id"], tags=["vip"])
    before = await snapshot()

    body = await gql(CUSTOMER_UPDATE, {"input": {"id": customer["id"], "expectedVersion": 1,
                                                 "occupation": "architect"}})

    assert refusal(body, "customerUpdate") == [(["expectedVersion"], "CONFLICT")]
    assert await snapshot() == before
    assert (await api.get_customer(customer["id"]) or {})["version"] == 2


async def test_update_of_an_unknown_customer_is_not_found(gql: Gql, snapshot: Snapshot) -> None:
    before = await snapshot()
    body = await gql(CUSTOMER_UPDATE, {"input": {"id": unknown_id("Customer"), "tags": ["x"]}})
    assert refusal(body, "customerUpdate") == [(["id"], "NOT_FOUND")]
    assert await snapshot() == before


async def test_update_of_an_archived_customer_is_refused_as_archived(
    gql: Gql, api: Api, snapshot: Snapshot
) -> None:
    customer = await api.customer()
    archived = await api.edit(CUSTOMER_ARCHIVE, "customerArchive", id=customer["id"])
    before = await snapshot()

    body = await gql(CUSTOMER_UPDATE, {"input": {"id": customer["id"], "tags": ["x"]}})

    assert refusal(body, "customerUpdate") == [(["id"], "ARCHIVED")]
    assert await snapshot() == before
    assert (await api.get_customer(customer["id"]) or {})["version"] == archived["version"]


async def test_update_clearing_the_only_name_requires_a_display_name(
    gql: Gql, api: Api, snapshot: Snapshot
) -> None:
    customer = await api.customer(displayName="Mrs. Li")
    before = await snapshot()
    body = await gql(CUSTOMER_UPDATE, {"input": {"id": customer["id"], "displayName": ""}})
    assert refusal(body, "customerUpdate") == [(["displayName"], "REQUIRED")]
    assert await snapshot() == before


async def test_update_with_an_unknown_owner_is_not_found(
    gql: Gql, api: Api, snapshot: Snapshot
) -> None:
    customer = await api.customer()
    before = await snapshot()
    body = await gql(CUSTOMER_UPDATE, {"input": {"id": customer["id"],
                                                 "ownerId": unknown_id("Staff")}})
    assert refusal(body, "customerUpdate") == [(["ownerId"], "NOT_FOUND")]
    assert await snapshot() == before


async def test_update_with_a_malformed_id_is_invalid(gql: Gql, snapshot: Snapshot) -> None:
    before = await snapshot()
    body = await gql(CUSTOMER_UPDATE, {"input": {"id": "Q3VzdG9tZXI6bm9wZQ==", "tags": []}})
    assert refusal(body, "customerUpdate") == [(["id"], "INVALID")]
    assert await snapshot() == before


# customerArchive / customerRestore --------------------------------------------------------


async def test_archive_hides_the_customer_from_lists_and_restore_brings_it_back(
    gql: Gql, api: Api
) -> None:
    customer = await api.customer()

    archived = await api.edit(CUSTOMER_ARCHIVE, "customerArchive", id=customer["id"],
                              expectedVersion=1)
    assert archived["archivedAt"] is not None
    assert archived["version"] == 2
    assert (await gql(ACTIVE_CUSTOMER_IDS))["data"]["customers"]["nodes"] == []
    everyone = (await gql(CUSTOMER_IDS))["data"]["customers"]["nodes"]
    assert everyone == [{"id": customer["id"]}]

    restored = await api.edit(CUSTOMER_RESTORE, "customerRestore", id=customer["id"],
                              expectedVersion=2)
    assert restored["archivedAt"] is None
    assert restored["version"] == 3
    assert (await gql(ACTIVE_CUSTOMER_IDS))["data"]["customers"]["nodes"] == everyone


async def test_archive_of_an_unknown_customer_is_not_found(gql: Gql, snapshot: Snapshot) -> None:
    before = await snapshot()
    body = await gql(CUSTOMER_ARCHIVE, {"input": {"id": unknown_id("Customer")}})
    assert refusal(body, "customerArchive") == [(["id"], "NOT_FOUND")]
    assert await snapshot() == before


async def test_archive_with_a_stale_version_is_a_conflict(
    gql: Gql, api: Api, snapshot: Snapshot
) -> None:
    customer = await api.customer()
    await api.edit(CUSTOMER_UPDATE, "customerUpdate", id=customer["id"], tags=["vip"])
    before = await snapshot()

    body = await gql(CUSTOMER_ARCHIVE, {"input": {"id": customer["id"], "expectedVersion": 1}})

    assert refusal(body, "customerArchive") == [(["expectedVersion"], "CONFLICT")]
    assert await snapshot() == before


async def test_restore_of_an_unknown_customer_is_not_found(gql: Gql, snapshot: Snapshot) -> None:
    before = await snapshot()
    body = await gql(CUSTOMER_RESTORE, {"input": {"id": unknown_id("Customer")}})
    assert refusal(body, "customerRestore") == [(["id"], "NOT_FOUND")]
    assert await snapshot() == before


async def test_restore_with_a_stale_version_is_a_conflict(
    gql: Gql, api: Api, snapshot: Snapshot
) -> None:
    customer = await api.customer()
    await api.edit(CUSTOMER_ARCHIVE, "customerArchive", id=customer["id"])
    before = await snapshot()

    body = await gql(CUSTOMER_RESTORE, {"input": {"id": customer["id"], "expectedVersion": 1}})

    assert refusal(body, "customerRestore") == [(["expectedVersion"], "CONFLICT")]
    assert await snapshot() == before
    assert (await api.get_customer(customer["id"]) or {})["archivedAt"] is not None


# customerMerge ----------------------------------------------------------------------------


async def test_merge_into_itself_is_a_self_merge(gql: Gql, api: Api, snapshot: Snapshot) -> None:
    customer = await api.customer()
    before = await snapshot()
    body = await gql(CUSTOMER_MERGE, {"input": {"survivorId": customer["id"],
                                                "duplicateId": customer["id"]}})
    assert refusal(body, "customerMerge") == [(["duplicateId"], "SELF_MERGE")]
    assert await snapshot() == before


async def test_merge_into_an_archived_survivor_is_refused_as_archived(
    gql: Gql, api: Api, snapshot: Snapshot
) -> None:
    survivor, duplicate = await api.customer(), await api.customer()
    await api.edit(CUSTOMER_ARCHIVE, "customerArchive", id=survivor["id"])
    before = await snapshot()

    body = await gql(CUSTOMER_MERGE, {"input": {"survivorId": survivor["id"],
                                                "duplicateId": duplicate["id"]}})

    assert refusal(body, "customerMerge") == [(["survivorId"], "ARCHIVED")]
    assert await snapshot() == before


async def test_merge_with_an_unknown_survivor_is_not_found(
    gql: Gql, api: Api, snapshot: Snapshot
) -> None:
    duplicate = await api.customer()
    before = await snapshot()
    body = await gql(CUSTOMER_MERGE, {"input": {"survivorId": unknown_id("Customer"),
                                                "duplicateId": duplicate["id"]}})
    assert refusal(body, "customerMerge") == [(["survivorId"], "NOT_FOUND")]
    assert await snapshot() == before


async def test_merge_with_an_unknown_duplicate_is_not_found(
    gql: Gql, api: Api, snapshot: Snapshot
) -> None:
    survivor = await api.customer()
    before = await snapshot()
    body = await gql(CUSTOMER_MERGE, {"input": {"survivorId": survivor["id"],
                                                "duplicateId": unknown_id("Customer")}})
    assert refusal(body, "customerMerge") == [(["duplicateId"], "NOT_FOUND")]
    assert await snapshot() == before


async def test_merging_an_already_merged_duplicate_again_is_a_conflict(
    gql: Gql, api: Api, snapshot: Snapshot
) -> None:
    first, second, duplicate = await api.customer(), await api.customer(), await api.customer()
    await api.edit(CUSTOMER_MERGE, "customerMerge", survivorId=first["id"],
                   duplicateId=duplicate["id"])
    before = await snapshot()

    body = await gql(CUSTOMER_MERGE, {"input": {"survivorId": second["id"],
                                                "duplicateId": duplicate["id"]}})

    assert refusal(body, "customerMerge") == [(["duplicateId"], "CONFLICT")]
    assert await snapshot() == before


async def test_merge_unites_labels_and_fills_empty_profile_fields(api: Api) -> None:
    survivor = await api.customer(displayName="Mrs. Li", tags=["vip"])
    duplicate = await api.customer(displayName="Li Mei", tags=["films", "vip"],
                                   occupation="teacher", birthDate="1968-04-02")

    merged = await api.edit(CUSTOMER_MERGE, "customerMerge", survivorId=survivor["id"],
                            duplicateId=duplicate["id"])

    assert merged["id"] == survivor["id"]
    assert merged["displayName"] == "Mrs. Li"
    assert merged["tags"] == ["vip", "films"]
    assert (merged["occupation"], merged["birthDate"]) == ("teacher", "1968-04-02")
    assert merged["version"] == survivor["version"] + 1
