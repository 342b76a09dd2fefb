"""Case mutations over HTTP: opening, routing, assigning and moving a case through its
statuses; each refusal names the field and a code, and writes nothing."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import events_written
from tests.e2e.api import (
    CASE_ASSIGN,
    CASE_CLOSE,
    CASE_OPEN,
    CASE_REOPEN,
    CASE_RESOLVE,
    CASE_START,
    ROUTING_RULE_CREATE,
    ROUTING_RULE_DELETE,
    Api,
    Gql,
    Snapshot,
    iso,
    refusal,
    refused,
    result,
    unknown_id,
    uuid_in,
)
from tests.e2e.conftest import MovableClock

RULES = "query { caseRoutingRules { id queue owner { id } } }"

TRANSITIONS = {
    "caseStart": CASE_START,
    "caseResolve": CASE_RESOLVE,
    "caseClose": CASE_CLOSE,
    "caseReopen": CASE_REOPEN,
}


@pytest.fixture
async def li(api: Api) -> dict[str, Any]:
    return await api.customer(displayName="Mrs. Li")


async def _case_in(api: Api, customer_id: str, status: str) -> dict[str, Any]:
    """A case walked to `status` through the API."""
    case = await api.case(customer_id)
    steps = {"IN_PROGRESS": ["caseStart"], "RESOLVED": ["caseStart", "caseResolve"],
             "CLOSED": ["caseStart", "caseResolve", "caseClose"]}.get(status, [])
    for step in steps:
        extra = {"resolutionNote": "Replaced the zip"} if step == "caseResolve" else {}
        case = await api.move_case(TRANSITIONS[step], step, case["id"], **extra)
    assert case["status"] == status
    return case


# caseOpen ---------------------------------------------------------------------------------


async def test_open_gives_a_due_time_by_priority_and_the_default_queue(
    api: Api, li: dict[str, Any]
) -> None:
    case = await api.case(li["id"], kind="REQUEST", subject=" Hem the trousers ",
                          priority="URGENT", category="alteration")

    assert (case["status"], case["queue"], case["subject"]) == (
        "OPEN", "default", "Hem the trousers"
    )
    opened, due = datetime.fromisoformat(case["openedAt"]), datetime.fromisoformat(case["dueAt"])
    assert due - opened == timedelta(hours=4)
    assert case["version"] == 1
    assert case["overdue"] is False
    assert case["customer"]["id"] == li["id"]


async def test_open_with_an_explicit_owner_skips_routing(api: Api, li: dict[str, Any]) -> None:
    routed_to, chosen = await api.staff("a@example.com"), await api.staff("b@example.com")
    await api.routing_rule(ownerId=routed_to["id"], kind="COMPLAINT")

    case = await api.case(li["id"], ownerId=chosen["id"])

    assert case["owner"]["id"] == chosen["id"]


async def test_open_without_customer_or_interaction_is_required(
    gql: Gql, snapshot: Snapshot
) -> None:
    errors = await refused(gql, snapshot, CASE_OPEN, "caseOpen",
                            {"kind": "COMPLAINT", "subject": "Zip broke"})
    assert errors == [(["customerId"], "REQUIRED")]


async def test_open_with_an_empty_subject_is_required(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, CASE_OPEN, "caseOpen",
                            {"kind": "COMPLAINT", "subject": "   ", "customerId": li["id"]})
    assert errors == [(["subject"], "REQUIRED")]


async def test_open_from_an_unknown_interaction_is_not_found(
    gql: Gql, snapshot: Snapshot
) -> None:
    errors = await refused(gql, snapshot, CASE_OPEN, "caseOpen", {
        "kind": "COMPLAINT", "subject": "Zip broke", "interactionId": unknown_id("Interaction"),
    })
    assert errors == [(["interactionId"], "NOT_FOUND")]


async def test_open_for_an_unknown_customer_is_not_found(gql: Gql, snapshot: Snapshot) -> None:
    errors = await refused(gql, snapshot, CASE_OPEN, "caseOpen", {
        "kind": "COMPLAINT", "subject": "Zip broke", "customerId": unknown_id("Customer"),
    })
    assert errors == [(["customerId"], "NOT_FOUND")]


async def test_open_from_an_interaction_of_another_customer_is_invalid(
    gql: Gql, api: Api, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    other = await api.customer(displayName="Lisa")
    call = await api.interaction(other["id"], channel="PHONE", kind="call")
    errors = await refused(gql, snapshot, CASE_OPEN, "caseOpen", {
        "kind": "COMPLAINT", "subject": "Zip broke", "customerId": li["id"],
        "interactionId": call["id"],
    })
    assert errors == [(["interactionId"], "INVALID")]


async def test_open_with_an_unknown_owner_is_not_found(
    gql: Gql, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    errors = await refused(gql, snapshot, CASE_OPEN, "caseOpen", {
        "kind": "COMPLAINT", "subject": "Zip broke", "customerId": li["id"],
        "ownerId": unknown_id("Staff"),
    })
    assert errors == [(["ownerId"], "NOT_FOUND")]


async def test_open_reusing_an_idempotency_key_with_other_input_isrefused_unchanged(
    gql: Gql, api: Api, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    await api.case(li["id"], idempotencyKey="web-form-7")
    errors = await refused(gql, snapshot, CASE_OPEN, "caseOpen", {
        "kind": "COMPLAINT", "subject": "Another subject", "customerId": li["id"],
        "idempotencyKey": "web-form-7",
    })
    assert errors == [(["idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")]


async def test_open_replayed_with_its_idempotency_key_returns_the_first_case(
    gql: Gql, api: Api, li: dict[str, Any], row_counts: Any
) -> None:
    first = await api.case(li["id"], idempotencyKey="web-form-8")
    again = await api.case(li["id"], idempotencyKey="web-form-8")
    assert again == first
    assert (await row_counts())["cases"] == 1


# caseAssign -------------------------------------------------------------------------------


async def test_assign_sets_the_owner_and_null_returns_it_to_a_queue(
    api: Api, li: dict[str, Any]
) -> None:
    case, staff = await api.case(li["id"]), await api.staff()

    assigned = await api.move_case(CASE_ASSIGN, "caseAssign", case["id"], ownerId=staff["id"],
                                   expectedVersion=1)
    assert (assigned["owner"]["id"], assigned["version"]) == (staff["id"], 2)

    queued = await api.move_case(CASE_ASSIGN, "caseAssign", case["id"], ownerId=None,
                                 queue="after-sales")
    assert (queued["owner"], queued["queue"]) == (None, "after-sales")


async def test_assign_to_a_queue_tells_the_outbox_the_queue_it_waits_in(
    api: Api, li: dict[str, Any], db: AsyncEngine
) -> None:
    case = await api.case(li["id"])
    await api.move_case(CASE_ASSIGN, "caseAssign", case["id"], ownerId=None,
                        queue="after-sales")

    [assigned] = await events_written(db, "CaseAssigned")
    assert (assigned.aggregate_id, assigned.data) == (
        uuid_in(case["id"]), {"owner_id": None, "queue": "after-sales"})


async def test_assign_to_an_owner_tells_the_outbox_the_queue_the_case_stays_in(
    api: Api, li: dict[str, Any], db: AsyncEngine
) -> None:
    case, staff = await api.case(li["id"]), await api.staff()
    await api.move_case(CASE_ASSIGN, "caseAssign", case["id"], ownerId=staff["id"])

    [assigned] = await events_written(db, "CaseAssigned")
    assert assigned.data == {"owner_id": str(uuid_in(staff["id"])), "queue": case["queue"]}


async def test_assign_to_an_unknown_owner_is_not_found(
    gql: Gql, api: Api, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    case = await api.case(li["id"])
    errors = await refused(gql, snapshot, CASE_ASSIGN, "caseAssign",
                            {"caseId": case["id"], "ownerId": unknown_id("Staff")})
    assert errors == [(["ownerId"], "NOT_FOUND")]


async def test_assign_of_an_unknown_case_is_not_found(gql: Gql, api: Api,
                                                      snapshot: Snapshot) -> None:
    staff = await api.staff()
    errors = await refused(gql, snapshot, CASE_ASSIGN, "caseAssign",
                            {"caseId": unknown_id("Case"), "ownerId": staff["id"]})
    assert errors == [(["caseId"], "NOT_FOUND")]


async def test_assign_with_a_stale_version_is_a_conflict(
    gql: Gql, api: Api, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    case = await _case_in(api, li["id"], "IN_PROGRESS")
    errors = await refused(gql, snapshot, CASE_ASSIGN, "caseAssign",
                            {"caseId": case["id"], "ownerId": None, "expectedVersion": 1})
    assert errors == [(["expectedVersion"], "CONFLICT")]


async def test_assign_of_a_closed_case_is_an_invalid_transition(
    gql: Gql, api: Api, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    case = await _case_in(api, li["id"], "CLOSED")
    errors = await refused(gql, snapshot, CASE_ASSIGN, "caseAssign",
                            {"caseId": case["id"], "ownerId": None})
    assert errors == [(["caseId"], "INVALID_TRANSITION")]


async def test_assign_to_a_malformed_queue_is_invalid(
    gql: Gql, api: Api, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    case = await api.case(li["id"])
    errors = await refused(gql, snapshot, CASE_ASSIGN, "caseAssign",
                            {"caseId": case["id"], "ownerId": None, "queue": "after sales!"})
    assert errors == [(["queue"], "INVALID")]


# caseStart / caseResolve / caseClose / caseReopen -----------------------------------------


@pytest.mark.parametrize(("status", "mutation"), [
    ("OPEN", "caseResolve"), ("OPEN", "caseClose"), ("OPEN", "caseReopen"),
    ("IN_PROGRESS", "caseStart"), ("IN_PROGRESS", "caseClose"), ("IN_PROGRESS", "caseReopen"),
    ("RESOLVED", "caseStart"), ("RESOLVED", "caseResolve"),
    ("CLOSED", "caseStart"), ("CLOSED", "caseResolve"), ("CLOSED", "caseReopen"),
    ("CLOSED", "caseClose"),
])
async def test_a_move_the_status_does_not_allow_is_an_invalid_transition(
    gql: Gql, api: Api, snapshot: Snapshot, li: dict[str, Any], status: str, mutation: str
) -> None:
    case = await _case_in(api, li["id"], status)
    extra = {"resolutionNote": "Done"} if mutation == "caseResolve" else {}
    errors = await refused(gql, snapshot, TRANSITIONS[mutation], mutation,
                            {"caseId": case["id"], **extra})
    assert errors == [(["caseId"], "INVALID_TRANSITION")]
    assert (await api.get_case(case["id"]))["version"] == case["version"]


@pytest.mark.parametrize("mutation", sorted(TRANSITIONS))
async def test_a_move_of_an_unknown_case_is_not_found(
    gql: Gql, snapshot: Snapshot, mutation: str
) -> None:
    extra = {"resolutionNote": "Done"} if mutation == "caseResolve" else {}
    errors = await refused(gql, snapshot, TRANSITIONS[mutation], mutation,
                            {"caseId": unknown_id("Case"), **extra})
    assert errors == [(["caseId"], "NOT_FOUND")]


async def test_start_with_a_stale_version_is_a_conflict(
    gql: Gql, api: Api, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    case = await api.case(li["id"])
    await api.move_case(CASE_ASSIGN, "caseAssign", case["id"], ownerId=None, queue="vip")
    errors = await refused(gql, snapshot, CASE_START, "caseStart",
                            {"caseId": case["id"], "expectedVersion": 1})
    assert errors == [(["expectedVersion"], "CONFLICT")]


async def test_resolve_with_an_empty_note_is_required(
    gql: Gql, api: Api, snapshot: Snapshot, li: dict[str, Any]
) -> None:
    case = await _case_in(api, li["id"], "IN_PROGRESS")
    errors = await refused(gql, snapshot, CASE_RESOLVE, "caseResolve",
                            {"caseId": case["id"], "resolutionNote": " "})
    assert errors == [(["resolutionNote"], "REQUIRED")]


async def test_resolve_with_a_follow_up_in_the_past_is_invalid(
    gql: Gql, api: Api, snapshot: Snapshot, li: dict[str, Any], clock: MovableClock
) -> None:
    case = await _case_in(api, li["id"], "IN_PROGRESS")
    errors = await refused(gql, snapshot, CASE_RESOLVE, "caseResolve", {
        "caseId": case["id"], "resolutionNote": "Replaced the zip",
        "followUpAt": iso(clock.now() - timedelta(hours=1)),
    })
    assert errors == [(["followUpAt"], "INVALID")]


async def test_resolve_schedules_the_follow_up_three_days_later_by_default(
    api: Api, li: dict[str, Any]
) -> None:
    case = await _case_in(api, li["id"], "IN_PROGRESS")

    resolved = await api.move_case(CASE_RESOLVE, "caseResolve", case["id"],
                                   resolutionNote="Replaced the zip", expectedVersion=2)

    assert (resolved["status"], resolved["resolutionNote"]) == ("RESOLVED", "Replaced the zip")
    resolved_at = datetime.fromisoformat(resolved["resolvedAt"])
    assert datetime.fromisoformat(resolved["followUpAt"]) - resolved_at == timedelta(days=3)


async def test_close_ends_a_resolved_case(api: Api, li: dict[str, Any]) -> None:
    case = await _case_in(api, li["id"], "RESOLVED")
    closed = await api.move_case(CASE_CLOSE, "caseClose", case["id"],
                                 expectedVersion=case["version"])
    assert (closed["status"], closed["version"]) == ("CLOSED", case["version"] + 1)
    assert closed["closedAt"] is not None


async def test_reopen_sends_a_resolved_case_back_to_work(api: Api, li: dict[str, Any]) -> None:
    case = await _case_in(api, li["id"], "RESOLVED")
    reopened = await api.move_case(CASE_REOPEN, "caseReopen", case["id"])
    assert reopened["status"] == "IN_PROGRESS"
    assert (reopened["resolvedAt"], reopened["followUpAt"]) == (None, None)


# caseRoutingRuleCreate / caseRoutingRuleDelete --------------------------------------------


async def test_routing_rule_create_and_delete(gql: Gql, api: Api) -> None:
    staff = await api.staff()
    rule = await api.routing_rule(ownerId=staff["id"], kind="COMPLAINT", channel="PHONE",
                                  queue="complaints")
    assert (rule["kind"], rule["channel"], rule["queue"]) == ("COMPLAINT", "PHONE", "complaints")
    assert (await gql(RULES))["data"]["caseRoutingRules"] == [
        {"id": rule["id"], "queue": "complaints", "owner": {"id": staff["id"]}}
    ]

    deleted = result(await gql(ROUTING_RULE_DELETE, {"id": rule["id"]}), "caseRoutingRuleDelete")

    assert deleted == rule["id"]
    assert (await gql(RULES))["data"]["caseRoutingRules"] == []


async def test_routing_rule_create_with_an_unknown_owner_is_not_found(
    gql: Gql, snapshot: Snapshot
) -> None:
    errors = await refused(gql, snapshot, ROUTING_RULE_CREATE, "caseRoutingRuleCreate",
                            {"ownerId": unknown_id("Staff"), "kind": "COMPLAINT"})
    assert errors == [(["ownerId"], "NOT_FOUND")]


async def test_routing_rule_create_with_an_unknown_store_is_not_found(
    gql: Gql, snapshot: Snapshot
) -> None:
    errors = await refused(gql, snapshot, ROUTING_RULE_CREATE, "caseRoutingRuleCreate",
                            {"storeId": unknown_id("Store"), "queue": "west-lake"})
    assert errors == [(["storeId"], "NOT_FOUND")]


async def test_routing_rule_create_with_a_malformed_queue_is_invalid(
    gql: Gql, snapshot: Snapshot
) -> None:
    errors = await refused(gql, snapshot, ROUTING_RULE_CREATE, "caseRoutingRuleCreate",
                            {"queue": "West Lake"})
    assert errors == [(["queue"], "INVALID")]


async def test_routing_rule_delete_of_an_unknown_rule_is_not_found(
    gql: Gql, snapshot: Snapshot
) -> None:
    before = await snapshot()
    body = await gql(ROUTING_RULE_DELETE, {"id": unknown_id("CaseRoutingRule")})
    assert refusal(body, "caseRoutingRuleDelete") == [(["id"], "NOT_FOUND")]
    assert await snapshot() == before


async def test_routing_rule_delete_with_a_malformed_id_is_invalid(
    gql: Gql, snapshot: Snapshot
) -> None:
    before = await snapshot()
    body = await gql(ROUTING_RULE_DELETE, {"id": "rule-1"})
    assert refusal(body, "caseRoutingRuleDelete") == [(["id"], "INVALID")]
    assert await snapshot() == before


async def test_resolve_answers_the_follow_up_in_utc(api: Api, li: dict[str, Any]) -> None:
    case = await _case_in(api, li["id"], "IN_PROGRESS")
    resolved = await api.move_case(CASE_RESOLVE, "caseResolve", case["id"],
                                   resolutionNote="Replaced the zip",
                                   followUpAt="2999-01-02T10:00:00+08:00")
    assert resolved["followUpAt"] == "2999-01-02T02:00:00+00:00"
