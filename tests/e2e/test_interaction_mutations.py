"""interactionRecord over HTTP: what a touchpoint keeps, and every refusal with its field and
code, writing nothing."""

from datetime import timedelta
from typing import Any

import pytest

from tests.e2e.api import (
    CUSTOMER_MERGE,
    INTERACTION_RECORD,
    Api,
    Gql,
    Snapshot,
    ago,
    iso,
    refused,
    result,
    unknown_id,
)
from tests.e2e.conftest import MovableClock


@pytest.fixture
async def li(api: Api) -> dict[str, Any]:
    return await api.customer(displayName="Mrs. Li")


async def _refused(gql: Gql, snapshot: Snapshot, fields: dict[str, Any]) -> list[Any]:
    return await refused(gql, snapshot, INTERACTION_RECORD, "interactionRecord", fields)


def _visit(customer_id: str, **fields: Any) -> dict[str, Any]:
    return {"customerId": customer_id, "channel": "VISIT", "kind": "visit",
            "occurredAt": ago(minutes=30), **fields}


async def test_record_keeps_every_detail_and_moves_last_interaction_not_version(
    gql: Gql, api: Api, li: dict[str, Any]
) -> None:
    store, staff = await api.store(), await api.staff()
    case = await api.case(li["id"])
    occurred = ago(hours=2)

    body = await gql(INTERACTION_RECORD, {"input": {
        "customerId": li["id"], "channel": "POS", "kind": "purchase", "direction": "INBOUND",
        "occurredAt": occurred, "summary": "Silk scarf", "storeId": store["id"],
        "staffId": staff["id"], "caseId": case["id"], "place": "West Lake counter",
        "geo": {"latitude": 30.2431, "longitude": 120.1503},
        "payload": {"receipt": "HZ-0042", "total": "1280.00"},
    }})

    recorded = result(body, "interactionRecord")
    assert (recorded["channel"], recorded["kind"], recorded["summary"]) == (
        "POS", "purchase", "Silk scarf"
    )
    assert recorded["payload"] == {"receipt": "HZ-0042", "total": "1280.00"}
    assert recorded["geo"] == {"latitude": 30.2431, "longitude": 120.1503}
    assert recorded["store"]["id"] == store["id"]
    assert recorded["staff"]["id"] == staff["id"]
    assert recorded["case"]["id"] == case["id"]
    assert recorded["customer"]["id"] == li["id"]
    customer = await api.get_customer(li["id"]) or {}
    assert customer["lastInteractionAt"] is not None
    assert customer["version"] == li["version"]


async def test_record_for_an_unknown_customer_is_not_found(gql: Gql, snapshot: Snapshot) -> None:
    errors = await _refused(gql, snapshot, _visit(unknown_id("Customer")))
    assert errors == [(["customerId"], "NOT_FOUND")]


async def test_record_in_the_future_is_invalid(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any], clock: MovableClock
) -> None:
    errors = await _refused(gql, snapshot, _visit(
        li["id"], occurredAt=iso(clock.now() + timedelta(hours=1))
    ))
    assert errors == [(["occurredAt"], "INVALID")]


async def test_record_a_minute_ahead_is_accepted_as_clock_skew(
    api: Api, li: dict[str, Any], clock: MovableClock
) -> None:
    await api.interaction(li["id"], occurredAt=iso(clock.now() + timedelta(minutes=1)))


async def test_record_without_a_time_zone_offset_is_invalid(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await _refused(gql, snapshot, _visit(li["id"], occurredAt="2026-01-02T10:00:00"))
    assert errors == [(["occurredAt"], "INVALID")]


async def test_record_with_a_kind_that_is_not_a_slug_is_invalid(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await _refused(gql, snapshot, _visit(li["id"], kind="store visit!"))
    assert errors == [(["kind"], "INVALID")]


@pytest.mark.parametrize("geo", [{"latitude": 91, "longitude": 0},
                                 {"latitude": 0, "longitude": -180.5}])
async def test_record_with_a_geo_point_out_of_range_is_invalid(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any], geo: dict[str, float]
) -> None:
    errors = await _refused(gql, snapshot, _visit(li["id"], geo=geo))
    assert errors == [(["geo"], "INVALID")]


async def test_record_on_a_case_of_another_customer_is_invalid(
    gql: Gql, api: Api, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    other = await api.customer(displayName="Lisa")
    case = await api.case(other["id"])
    errors = await _refused(gql, snapshot, _visit(li["id"], caseId=case["id"]))
    assert errors == [(["caseId"], "INVALID")]


async def test_record_on_an_unknown_case_is_not_found(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await _refused(gql, snapshot, _visit(li["id"], caseId=unknown_id("Case")))
    assert errors == [(["caseId"], "NOT_FOUND")]


@pytest.mark.parametrize(("field", "type_name"), [("storeId", "Store"), ("staffId", "Staff")])
async def test_record_at_an_unknown_store_or_by_unknown_staff_is_not_found(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any], field: str, type_name: str
) -> None:
    errors = await _refused(gql, snapshot, _visit(li["id"], **{field: unknown_id(type_name)}))
    assert errors == [([field], "NOT_FOUND")]


async def test_record_with_a_payload_that_is_not_an_object_is_invalid(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await _refused(gql, snapshot, _visit(li["id"], payload=["scarf"]))
    assert errors == [(["payload"], "INVALID")]


async def test_record_reusing_an_idempotency_key_with_other_input_is_refused(
    gql: Gql, api: Api, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    occurred = ago(minutes=5)
    await api.interaction(li["id"], occurredAt=occurred, summary="Scarf",
                          idempotencyKey="HZ-0042")
    errors = await _refused(gql, snapshot, {
        "customerId": li["id"], "channel": "POS", "kind": "purchase", "occurredAt": occurred,
        "summary": "Scarf and gloves", "idempotencyKey": "HZ-0042",
    })
    assert errors == [(["idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")]


async def test_record_with_a_merged_duplicates_id_lands_on_the_survivor(
    api: Api, li: dict[str, Any]
) -> None:
    duplicate = await api.customer(displayName="Li Mei")
    await api.edit(CUSTOMER_MERGE, "customerMerge", survivorId=li["id"],
                   duplicateId=duplicate["id"])

    recorded = await api.interaction(duplicate["id"])

    assert recorded["customer"]["id"] == li["id"]


async def test_record_answers_times_in_utc_whatever_offset_was_sent(
    api: Api, li: dict[str, Any]
) -> None:
    recorded = await api.interaction(li["id"], occurredAt="2026-01-02T10:00:00+08:00")
    assert recorded["occurredAt"] == "2026-01-02T02:00:00+00:00"


async def test_record_lower_cases_its_kind(api: Api, li: dict[str, Any]) -> None:
    recorded = await api.interaction(li["id"], kind=" Check-In ")
    assert recorded["kind"] == "check-in"
