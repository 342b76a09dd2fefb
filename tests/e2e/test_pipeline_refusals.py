"""Every refusal of the pipeline's mutations: its userError code at its field, and the
database exactly as it was (`refused` compares every table before and after)."""

from typing import Any

import pytest

from tests.e2e.api import Api, Gql, Snapshot, refused, unknown_id
from tests.e2e.loyalty_api import LoyaltyApi
from tests.e2e.pipeline_api import (
    DEAL_CREATE,
    DEAL_MOVE,
    DEAL_REOPEN,
    DEAL_UPDATE,
    FLOOR_STAGES,
    LEAD_CREATE,
    LEAD_DISQUALIFY,
    LEAD_UPDATE,
    PIPELINE_CREATE,
    PIPELINE_STAGE_RETIRE,
    Floor,
    PipelineApi,
    set_up_floor,
)


@pytest.fixture
def pipeline_api(gql: Gql) -> PipelineApi:
    return PipelineApi(gql)


@pytest.fixture
async def floor(api: Api, pipeline_api: PipelineApi) -> Floor:
    return await set_up_floor(api, pipeline_api)


@pytest.fixture
async def deal(floor: Floor, pipeline_api: PipelineApi) -> dict[str, Any]:
    return await pipeline_api.deal(floor)


def _move(floor: Floor, deal: dict[str, Any], stage: str, **fields: Any) -> dict[str, Any]:
    return {"dealId": deal["id"], "toStageId": floor.stage(stage),
            "expectedVersion": deal["version"], **fields}


async def test_a_move_against_a_stale_version_is_a_conflict(
    floor: Floor, deal: dict[str, Any], pipeline_api: PipelineApi, gql: Gql, snapshot: Snapshot
) -> None:
    await pipeline_api.move(floor, deal, "Meeting")
    assert await refused(gql, snapshot, DEAL_MOVE, "dealMove",
                         _move(floor, deal, "Lost", lostReason="price")) == [
        (["expectedVersion"], "CONFLICT")]


async def test_an_unknown_stage_is_not_found(
    deal: dict[str, Any], gql: Gql, snapshot: Snapshot
) -> None:
    assert await refused(gql, snapshot, DEAL_MOVE, "dealMove", {
        "dealId": deal["id"], "toStageId": unknown_id("PipelineStage")}) == [
        (["toStageId"], "NOT_FOUND")]


async def test_another_pipelines_stage_is_refused(
    deal: dict[str, Any], pipeline_api: PipelineApi, gql: Gql, snapshot: Snapshot
) -> None:
    other = await pipeline_api.pipeline(code="b2b", name="Distributors")
    meeting = next(s["id"] for s in other["stages"] if s["name"] == "Meeting")
    assert await refused(gql, snapshot, DEAL_MOVE, "dealMove", {
        "dealId": deal["id"], "toStageId": meeting}) == [(["toStageId"], "WRONG_PIPELINE")]


async def test_a_skipped_stage_is_refused(
    floor: Floor, deal: dict[str, Any], gql: Gql, snapshot: Snapshot
) -> None:
    assert await refused(gql, snapshot, DEAL_MOVE, "dealMove",
                         _move(floor, deal, "Contract signed")) == [
        (["toStageId"], "STAGE_SKIPPED")]


async def test_a_negative_amount_is_refused(
    floor: Floor, gql: Gql, snapshot: Snapshot
) -> None:
    assert await refused(gql, snapshot, DEAL_CREATE, "dealCreate", {
        "customerId": floor.customer, "pipelineId": floor.pipeline["id"], "title": "Coat",
        "amount": "-1.00", "currencyCode": "CNY"}) == [(["amount"], "INVALID")]


async def test_a_negative_amount_is_refused_on_update(
    deal: dict[str, Any], gql: Gql, snapshot: Snapshot
) -> None:
    assert await refused(gql, snapshot, DEAL_UPDATE, "dealUpdate", {
        "dealId": deal["id"], "amount": "-5"}) == [(["amount"], "INVALID")]


async def test_an_amount_in_another_currency_is_refused(
    floor: Floor, gql: Gql, snapshot: Snapshot
) -> None:
    assert await refused(gql, snapshot, DEAL_CREATE, "dealCreate", {
        "customerId": floor.customer, "pipelineId": floor.pipeline["id"], "title": "Coat",
        "amount": "10.00", "currencyCode": "EUR"}) == [(["currencyCode"], "CURRENCY_MISMATCH")]


async def test_a_lost_deal_needs_a_reason(
    floor: Floor, deal: dict[str, Any], gql: Gql, snapshot: Snapshot
) -> None:
    assert await refused(gql, snapshot, DEAL_MOVE, "dealMove", _move(floor, deal, "Lost")) == [
        (["lostReason"], "REQUIRED")]


async def test_a_closed_deal_is_not_moved(
    floor: Floor, deal: dict[str, Any], pipeline_api: PipelineApi, gql: Gql, snapshot: Snapshot
) -> None:
    lost = await pipeline_api.move(floor, deal, "Lost", lostReason="price")
    assert await refused(gql, snapshot, DEAL_MOVE, "dealMove", _move(floor, lost, "Meeting")) == [
        (["dealId"], "DEAL_CLOSED")]


async def test_a_reopening_needs_an_open_stage(
    floor: Floor, deal: dict[str, Any], pipeline_api: PipelineApi, gql: Gql, snapshot: Snapshot
) -> None:
    lost = await pipeline_api.move(floor, deal, "Lost", lostReason="price")
    assert await refused(gql, snapshot, DEAL_REOPEN, "dealReopen", {
        **_move(floor, lost, "Won"), "reason": "called back"}) == [
        (["toStageId"], "INVALID_TRANSITION")]


async def test_a_stage_with_deals_in_it_is_not_retired(
    floor: Floor, deal: dict[str, Any], gql: Gql, snapshot: Snapshot
) -> None:
    assert await refused(gql, snapshot, PIPELINE_STAGE_RETIRE, "pipelineStageRetire", {
        "stageId": floor.stage("Phone contact")}) == [(["stageId"], "STAGE_NOT_EMPTY")]


async def test_a_retired_stage_takes_no_deals(
    floor: Floor, deal: dict[str, Any], pipeline_api: PipelineApi, gql: Gql, snapshot: Snapshot
) -> None:
    await pipeline_api.gql(PIPELINE_STAGE_RETIRE, {"input": {"stageId": floor.stage("Meeting")}})
    assert await refused(gql, snapshot, DEAL_MOVE, "dealMove", {
        "dealId": deal["id"], "toStageId": floor.stage("Meeting")}) == [
        (["toStageId"], "STAGE_RETIRED")]


async def test_a_pipeline_without_a_lost_stage_is_refused(
    gql: Gql, snapshot: Snapshot
) -> None:
    assert await refused(gql, snapshot, PIPELINE_CREATE, "pipelineCreate", {
        "code": "half", "name": "Half", "currencyCode": "CNY",
        "stages": FLOOR_STAGES[:6]}) == [(["stages"], "REQUIRED")]


async def test_a_wrong_sale_refuses_the_win_and_leaves_the_deal_at_pickup(
    floor: Floor, deal: dict[str, Any], pipeline_api: PipelineApi, loyalty: LoyaltyApi,
    gql: Gql, snapshot: Snapshot
) -> None:
    await loyalty.programme()
    for stage in ("Meeting", "Product inspection", "Contract signed", "Pickup/delivery"):
        deal = await pipeline_api.move(floor, deal, stage)
    assert await refused(gql, snapshot, DEAL_MOVE, "dealMove", _move(floor, deal, "Won", sale={
        "channel": "POS", "orderId": "HZ-1", "occurredAt": "2026-11-01T10:00:00+08:00",
        "currencyCode": "USD", "paymentTotal": "1.00",
        "lines": [{"sku": "COAT", "quantity": 1, "unitPrice": "1.00"}]})) == [
        (["sale", "currencyCode"], "INVALID")]


async def test_a_second_open_lead_of_hers_is_a_duplicate(
    floor: Floor, gql: Gql, snapshot: Snapshot
) -> None:
    await gql(LEAD_CREATE, {"input": {"customerId": floor.customer}})
    assert await refused(gql, snapshot, LEAD_CREATE, "leadCreate", {
        "customerId": floor.customer}) == [(["customerId"], "DUPLICATE")]


async def test_a_new_prospect_without_a_name_is_refused_at_her_field(
    gql: Gql, snapshot: Snapshot
) -> None:
    assert await refused(gql, snapshot, LEAD_CREATE, "leadCreate", {
        "customer": {"givenName": " "}}) == [(["customer", "displayName"], "REQUIRED")]


async def test_a_lead_set_aside_needs_a_reason(
    floor: Floor, gql: Gql, snapshot: Snapshot
) -> None:
    lead = (await gql(LEAD_CREATE, {"input": {"customerId": floor.customer}})
            )["data"]["leadCreate"]["lead"]
    assert await refused(gql, snapshot, LEAD_DISQUALIFY, "leadDisqualify", {
        "leadId": lead["id"], "reason": ""}) == [(["reason"], "REQUIRED")]


async def test_a_lead_update_against_a_stale_version_is_a_conflict(
    floor: Floor, gql: Gql, snapshot: Snapshot
) -> None:
    lead = (await gql(LEAD_CREATE, {"input": {"customerId": floor.customer}})
            )["data"]["leadCreate"]["lead"]
    assert await refused(gql, snapshot, LEAD_UPDATE, "leadUpdate", {
        "leadId": lead["id"], "expectedVersion": lead["version"] + 1,
        "storeId": floor.store}) == [(["expectedVersion"], "CONFLICT")]


async def test_a_lead_given_to_an_unknown_owner_is_not_found(
    floor: Floor, gql: Gql, snapshot: Snapshot
) -> None:
    lead = (await gql(LEAD_CREATE, {"input": {"customerId": floor.customer}})
            )["data"]["leadCreate"]["lead"]
    assert await refused(gql, snapshot, LEAD_UPDATE, "leadUpdate", {
        "leadId": lead["id"], "ownerId": unknown_id("Staff")}) == [(["ownerId"], "NOT_FOUND")]


async def test_an_id_of_another_type_is_not_found(
    floor: Floor, gql: Gql, snapshot: Snapshot
) -> None:
    assert await refused(gql, snapshot, DEAL_MOVE, "dealMove", {
        "dealId": floor.customer, "toStageId": floor.stage("Meeting")}) == [
        (["dealId"], "NOT_FOUND")]
