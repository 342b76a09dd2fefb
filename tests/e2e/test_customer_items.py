"""A customer's contact points, household members and external references over HTTP: add,
update, remove, and every refusal with its field and code, writing nothing."""

from typing import Any

import pytest

from tests.e2e.api import (
    CONTACT_POINT_ADD,
    CONTACT_POINT_REMOVE,
    CONTACT_POINT_UPDATE,
    CUSTOMER_ARCHIVE,
    EXTERNAL_REFERENCE_ADD,
    EXTERNAL_REFERENCE_REMOVE,
    EXTERNAL_REFERENCE_UPDATE,
    HOUSEHOLD_MEMBER_ADD,
    HOUSEHOLD_MEMBER_REMOVE,
    HOUSEHOLD_MEMBER_UPDATE,
    Api,
    Gql,
    Snapshot,
    refused,
    unknown_id,
)

FIND_BY_REF = """
query($system: String!, $value: String!) {
  customer(externalRef: {system: $system, value: $value}) { id }
}
"""


@pytest.fixture
async def li(api: Api) -> dict[str, Any]:
    """Mrs. Li with one of each item."""
    return await api.customer(
        displayName="Mrs. Li",
        contactPoints=[{"kind": "EMAIL", "value": "mrs.li@example.com"}],
        household=[{"name": "Li Wei", "relationship": "CHILD"}],
        externalRefs=[{"system": "pos-card", "value": "HZ-000187"}],
    )


# contactPointAdd --------------------------------------------------------------------------


async def test_contact_point_add_appends_a_normalised_point(api: Api, li: dict[str, Any]) -> None:
    customer = await api.edit(
        CONTACT_POINT_ADD, "contactPointAdd", customerId=li["id"], expectedVersion=1,
        contactPoint={"kind": "PHONE", "value": "(0571) 8888-0187", "label": "home"},
    )
    assert [(c["kind"], c["value"]) for c in customer["contactPoints"]] == [
        ("EMAIL", "mrs.li@example.com"), ("PHONE", "057188880187"),
    ]
    assert customer["version"] == 2


async def test_contact_point_add_with_a_malformed_email_is_invalid(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, CONTACT_POINT_ADD, "contactPointAdd", {
        "customerId": li["id"], "contactPoint": {"kind": "EMAIL", "value": "li at example"},
    })
    assert errors == [(["contactPoint", "value"], "INVALID")]


async def test_contact_point_add_of_a_social_handle_requires_its_platform(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, CONTACT_POINT_ADD, "contactPointAdd", {
        "customerId": li["id"], "contactPoint": {"kind": "SOCIAL", "value": "li_garden"},
    })
    assert errors == [(["contactPoint", "platform"], "REQUIRED")]


async def test_contact_point_add_to_an_unknown_customer_is_not_found(
    gql: Gql, snapshot: Snapshot
) -> None:
    errors = await refused(gql, snapshot, CONTACT_POINT_ADD, "contactPointAdd", {
        "customerId": unknown_id("Customer"),
        "contactPoint": {"kind": "EMAIL", "value": "li@example.com"},
    })
    assert errors == [(["customerId"], "NOT_FOUND")]


async def test_contact_point_add_with_a_stale_version_is_a_conflict(
    gql: Gql, api: Api, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    await api.edit(CONTACT_POINT_ADD, "contactPointAdd", customerId=li["id"],
                   contactPoint={"kind": "ADDRESS", "value": "12 Lingyin Road"})
    errors = await refused(gql, snapshot, CONTACT_POINT_ADD, "contactPointAdd", {
        "customerId": li["id"], "expectedVersion": 1,
        "contactPoint": {"kind": "EMAIL", "value": "li@example.com"},
    })
    assert errors == [(["expectedVersion"], "CONFLICT")]


async def test_contact_point_add_to_an_archived_customer_is_refused_as_archived(
    gql: Gql, api: Api, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    await api.edit(CUSTOMER_ARCHIVE, "customerArchive", id=li["id"])
    errors = await refused(gql, snapshot, CONTACT_POINT_ADD, "contactPointAdd", {
        "customerId": li["id"], "contactPoint": {"kind": "EMAIL", "value": "li@example.com"},
    })
    assert errors == [(["customerId"], "ARCHIVED")]


# contactPointUpdate -----------------------------------------------------------------------


async def test_contact_point_update_changes_sent_fields_and_merges_consents(
    api: Api, li: dict[str, Any]
) -> None:
    point = li["contactPoints"][0]
    await api.edit(CONTACT_POINT_UPDATE, "contactPointUpdate", customerId=li["id"],
                   contactPointId=point["id"],
                   consents=[{"purpose": "MARKETING_EMAIL", "granted": True}])

    customer = await api.edit(
        CONTACT_POINT_UPDATE, "contactPointUpdate", customerId=li["id"],
        contactPointId=point["id"], expectedVersion=2, verified=True, label="personal",
        consents=[{"purpose": "PARTNER_SHARING", "granted": False}],
    )

    (updated,) = customer["contactPoints"]
    assert (updated["id"], updated["value"]) == (point["id"], "mrs.li@example.com")
    assert (updated["verified"], updated["label"]) == (True, "personal")
    assert updated["consents"] == [
        {"purpose": "MARKETING_EMAIL", "granted": True},
        {"purpose": "PARTNER_SHARING", "granted": False},
    ]
    assert customer["version"] == 3


async def test_contact_point_update_of_an_unknown_point_is_not_found(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, CONTACT_POINT_UPDATE, "contactPointUpdate", {
        "customerId": li["id"], "contactPointId": unknown_id("ContactPoint"), "label": "x",
    })
    assert errors == [(["contactPointId"], "NOT_FOUND")]


async def test_contact_point_update_of_another_customers_point_is_not_found(
    gql: Gql, api: Api, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    other = await api.customer()
    errors = await refused(gql, snapshot, CONTACT_POINT_UPDATE, "contactPointUpdate", {
        "customerId": other["id"], "contactPointId": li["contactPoints"][0]["id"], "label": "x",
    })
    assert errors == [(["contactPointId"], "NOT_FOUND")]


async def test_contact_point_update_to_a_malformed_email_is_invalid(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, CONTACT_POINT_UPDATE, "contactPointUpdate", {
        "customerId": li["id"], "contactPointId": li["contactPoints"][0]["id"],
        "value": "not an email",
    })
    assert errors == [(["value"], "INVALID")]


# contactPointRemove -----------------------------------------------------------------------


async def test_contact_point_remove_takes_it_off_the_customer(
    api: Api, li: dict[str, Any]
) -> None:
    customer = await api.edit(CONTACT_POINT_REMOVE, "contactPointRemove", customerId=li["id"],
                              id=li["contactPoints"][0]["id"], expectedVersion=1)
    assert customer["contactPoints"] == []
    assert customer["version"] == 2


async def test_contact_point_remove_of_an_unknown_point_is_not_found(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, CONTACT_POINT_REMOVE, "contactPointRemove", {
        "customerId": li["id"], "id": unknown_id("ContactPoint"),
    })
    assert errors == [(["id"], "NOT_FOUND")]


async def test_contact_point_remove_with_a_malformed_id_is_invalid(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, CONTACT_POINT_REMOVE, "contactPointRemove", {
        "customerId": li["id"], "id": "%%%",
    })
    assert errors == [(["id"], "INVALID")]


# householdMemberAdd -----------------------------------------------------------------------


async def test_household_member_add_keeps_important_dates(api: Api, li: dict[str, Any]) -> None:
    customer = await api.edit(HOUSEHOLD_MEMBER_ADD, "householdMemberAdd", customerId=li["id"],
                              member={"name": "Li Jun", "relationship": "SPOUSE",
                                      "importantDates": [{"occasion": "ANNIVERSARY",
                                                          "date": "1990-10-01"}]})
    member = customer["household"][1]
    assert (member["name"], member["relationship"]) == ("Li Jun", "SPOUSE")
    assert member["importantDates"] == [
        {"occasion": "ANNIVERSARY", "date": "1990-10-01", "label": None}
    ]


async def test_household_member_add_with_an_empty_name_is_required(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, HOUSEHOLD_MEMBER_ADD, "householdMemberAdd", {
        "customerId": li["id"], "member": {"name": " ", "relationship": "CHILD"},
    })
    assert errors == [(["member", "name"], "REQUIRED")]


async def test_household_member_add_born_in_the_future_is_invalid(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, HOUSEHOLD_MEMBER_ADD, "householdMemberAdd", {
        "customerId": li["id"],
        "member": {"name": "Li Xiao", "relationship": "CHILD", "birthDate": "2999-01-01"},
    })
    assert errors == [(["member", "birthDate"], "INVALID")]


async def test_household_member_add_to_an_unknown_customer_is_not_found(
    gql: Gql, snapshot: Snapshot
) -> None:
    errors = await refused(gql, snapshot, HOUSEHOLD_MEMBER_ADD, "householdMemberAdd", {
        "customerId": unknown_id("Customer"), "member": {"name": "Li", "relationship": "CHILD"},
    })
    assert errors == [(["customerId"], "NOT_FOUND")]


# householdMemberUpdate --------------------------------------------------------------------


async def test_household_member_update_replaces_important_dates(
    api: Api, li: dict[str, Any]
) -> None:
    member_id = li["household"][0]["id"]
    await api.edit(HOUSEHOLD_MEMBER_UPDATE, "householdMemberUpdate", customerId=li["id"],
                   memberId=member_id,
                   importantDates=[{"occasion": "GRADUATION", "date": "2017-06-30"}])

    customer = await api.edit(
        HOUSEHOLD_MEMBER_UPDATE, "householdMemberUpdate", customerId=li["id"],
        memberId=member_id, expectedVersion=2, birthDate="1995-06-18",
        importantDates=[{"occasion": "TRIP", "date": "2026-08-01", "label": "Yunnan"}],
    )

    (member,) = customer["household"]
    assert (member["id"], member["name"], member["birthDate"]) == (
        member_id, "Li Wei", "1995-06-18"
    )
    assert member["importantDates"] == [
        {"occasion": "TRIP", "date": "2026-08-01", "label": "Yunnan"}
    ]


async def test_household_member_update_of_an_unknown_member_is_not_found(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, HOUSEHOLD_MEMBER_UPDATE, "householdMemberUpdate", {
        "customerId": li["id"], "memberId": unknown_id("HouseholdMember"), "name": "Li Jun",
    })
    assert errors == [(["memberId"], "NOT_FOUND")]


async def test_household_member_update_to_an_empty_name_is_required(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, HOUSEHOLD_MEMBER_UPDATE, "householdMemberUpdate", {
        "customerId": li["id"], "memberId": li["household"][0]["id"], "name": "",
    })
    assert errors == [(["name"], "REQUIRED")]


# householdMemberRemove --------------------------------------------------------------------


async def test_household_member_remove_takes_them_off(api: Api, li: dict[str, Any]) -> None:
    customer = await api.edit(HOUSEHOLD_MEMBER_REMOVE, "householdMemberRemove",
                              customerId=li["id"], id=li["household"][0]["id"])
    assert customer["household"] == []


async def test_household_member_remove_of_an_unknown_member_is_not_found(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, HOUSEHOLD_MEMBER_REMOVE, "householdMemberRemove", {
        "customerId": li["id"], "id": unknown_id("HouseholdMember"),
    })
    assert errors == [(["id"], "NOT_FOUND")]


async def test_household_member_remove_with_a_stale_version_is_a_conflict(
    gql: Gql, api: Api, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    await api.edit(HOUSEHOLD_MEMBER_ADD, "householdMemberAdd", customerId=li["id"],
                   member={"name": "Li Jun", "relationship": "SPOUSE"})
    errors = await refused(gql, snapshot, HOUSEHOLD_MEMBER_REMOVE, "householdMemberRemove", {
        "customerId": li["id"], "id": li["household"][0]["id"], "expectedVersion": 1,
    })
    assert errors == [(["expectedVersion"], "CONFLICT")]


# externalReferenceAdd ---------------------------------------------------------------------


async def test_external_reference_add_makes_the_customer_findable_by_it(
    gql: Gql, api: Api, li: dict[str, Any]
) -> None:
    customer = await api.edit(EXTERNAL_REFERENCE_ADD, "externalReferenceAdd",
                              customerId=li["id"],
                              reference={"system": "Shop", "value": " u-42 "})
    assert customer["externalRefs"][1]["system"] == "shop"
    assert customer["externalRefs"][1]["value"] == "u-42"
    found = await gql(FIND_BY_REF, {"system": "shop", "value": "u-42"})
    assert found["data"]["customer"] == {"id": li["id"]}


async def test_external_reference_add_of_another_customers_ref_is_a_duplicate(
    gql: Gql, api: Api, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    other = await api.customer()
    errors = await refused(gql, snapshot, EXTERNAL_REFERENCE_ADD, "externalReferenceAdd", {
        "customerId": other["id"], "reference": {"system": "pos-card", "value": "HZ-000187"},
    })
    assert errors == [(["reference"], "DUPLICATE")]


async def test_external_reference_add_with_a_malformed_system_is_invalid(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, EXTERNAL_REFERENCE_ADD, "externalReferenceAdd", {
        "customerId": li["id"], "reference": {"system": "pos card!", "value": "1"},
    })
    assert errors == [(["reference", "system"], "INVALID")]


async def test_external_reference_add_with_an_empty_value_is_required(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, EXTERNAL_REFERENCE_ADD, "externalReferenceAdd", {
        "customerId": li["id"], "reference": {"system": "shop", "value": "  "},
    })
    assert errors == [(["reference", "value"], "REQUIRED")]


# externalReferenceUpdate ------------------------------------------------------------------


async def test_external_reference_update_changes_its_value(
    gql: Gql, api: Api, li: dict[str, Any]
) -> None:
    ref = li["externalRefs"][0]
    customer = await api.edit(EXTERNAL_REFERENCE_UPDATE, "externalReferenceUpdate",
                              customerId=li["id"], referenceId=ref["id"], value="HZ-000999")
    assert customer["externalRefs"] == [
        {"id": ref["id"], "system": "pos-card", "value": "HZ-000999"}
    ]
    old = await gql(FIND_BY_REF, {"system": "pos-card", "value": "HZ-000187"})
    assert old["data"]["customer"] is None


async def test_external_reference_update_of_an_unknown_ref_is_not_found(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, EXTERNAL_REFERENCE_UPDATE, "externalReferenceUpdate",
                            {"customerId": li["id"], "referenceId": unknown_id("ExternalReference"),
                             "value": "HZ-1"})
    assert errors == [(["referenceId"], "NOT_FOUND")]


async def test_external_reference_update_to_another_customers_value_is_a_duplicate(
    gql: Gql, api: Api, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    await api.customer(externalRefs=[{"system": "pos-card", "value": "HZ-000200"}])
    errors = await refused(gql, snapshot, EXTERNAL_REFERENCE_UPDATE, "externalReferenceUpdate",
                            {"customerId": li["id"], "referenceId": li["externalRefs"][0]["id"],
                             "value": "HZ-000200"})
    assert errors == [(["value"], "DUPLICATE")]


async def test_external_reference_update_to_an_empty_value_is_required(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, EXTERNAL_REFERENCE_UPDATE, "externalReferenceUpdate",
                            {"customerId": li["id"], "referenceId": li["externalRefs"][0]["id"],
                             "value": ""})
    assert errors == [(["value"], "REQUIRED")]


# externalReferenceRemove ------------------------------------------------------------------


async def test_external_reference_remove_frees_the_reference(
    gql: Gql, api: Api, li: dict[str, Any]
) -> None:
    customer = await api.edit(EXTERNAL_REFERENCE_REMOVE, "externalReferenceRemove",
                              customerId=li["id"], id=li["externalRefs"][0]["id"])
    assert customer["externalRefs"] == []
    found = await gql(FIND_BY_REF, {"system": "pos-card", "value": "HZ-000187"})
    assert found["data"]["customer"] is None
    await api.customer(externalRefs=[{"system": "pos-card", "value": "HZ-000187"}])


async def test_external_reference_remove_of_an_unknown_ref_is_not_found(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, EXTERNAL_REFERENCE_REMOVE, "externalReferenceRemove",
                            {"customerId": li["id"], "id": unknown_id("ExternalReference")})
    assert errors == [(["id"], "NOT_FOUND")]


async def test_external_reference_remove_from_an_unknown_customer_is_not_found(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, EXTERNAL_REFERENCE_REMOVE, "externalReferenceRemove",
                            {"customerId": unknown_id("Customer"),
                             "id": li["externalRefs"][0]["id"]})
    assert errors == [(["customerId"], "NOT_FOUND")]
