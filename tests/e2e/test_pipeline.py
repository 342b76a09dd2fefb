"""The sales floor over HTTP: a clerk walks Mrs. Li's coat through the five stages and wins
it at pickup with the sale; the manager reads the board and the funnel; each role sees what
it should (a clerk her store's deals, an admin all, a partner nothing)."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.shared.access import Role, Viewer
from tests.conftest import StatementCounter, events_written
from tests.e2e.api import Api, Gql, result
from tests.e2e.loyalty_api import LoyaltyApi, line
from tests.e2e.pipeline_api import (
    BOARD,
    DEAL_LINK,
    DEAL_UPDATE,
    DEALS,
    FLOOR,
    FUNNEL,
    LEAD_CREATE,
    LEAD_QUALIFY,
    LEAD_UPDATE,
    Floor,
    PipelineApi,
    columns,
    set_up_floor,
    uuid,
)

ClientAs = Callable[..., Awaitable[httpx.AsyncClient]]
PARTNER = Viewer(Role.PARTNER, "client:cinema", partner_code="cinema")


def as_gql(http: httpx.AsyncClient) -> Gql:
    async def post(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = (await http.post(
            "/graphql", json={"query": query, "variables": variables or {}})).json()
        return body

    return post


@pytest.fixture
def pipeline_api(gql: Gql) -> PipelineApi:
    return PipelineApi(gql)


@pytest.fixture
async def floor(api: Api, pipeline_api: PipelineApi) -> Floor:
    return await set_up_floor(api, pipeline_api)


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _now() -> str:
    return datetime.now(UTC).isoformat()


DEAL_MOVE_WITH_SALE = """
mutation($input: DealMoveInput!) {
  dealMove(input: $input) {
    deal {
      status purchase { orderId netAmount { amount } }
      history { kind to { name } staff { id } }
    }
    userErrors { field code }
  }
}
"""


async def test_a_clerk_walks_a_deal_through_every_stage_and_wins_it_with_the_sale(
    floor: Floor, client_as: ClientAs, loyalty: LoyaltyApi
) -> None:
    await loyalty.programme()
    clerk = PipelineApi(as_gql(await client_as(floor.clerk_viewer)))
    deal = await clerk.deal(floor, source={"channel": "PHONE", "campaign": "winter-coats"})
    assert (deal["stage"]["name"], deal["owner"]["id"]) == ("Phone contact", floor.clerk)
    for stage in FLOOR[1:]:
        deal = await clerk.move(floor, deal, stage)
    won = await clerk.gql(DEAL_MOVE_WITH_SALE, {"input": {
        "dealId": deal["id"], "toStageId": floor.stage("Won"), "expectedVersion": deal["version"],
        "sale": {"channel": "POS", "orderId": "HZ-PICKUP-0001", "occurredAt": _now(),
                 "currencyCode": "CNY", "paymentTotal": "4800.00",
                 "lines": [line("WW-COAT-01", "4800.00")]}}})
    moved = result(won, "dealMove")
    assert (moved["status"], moved["purchase"]["orderId"]) == ("WON", "HZ-PICKUP-0001")
    assert [(m["kind"], m["to"]["name"]) for m in moved["history"]] == [
        ("OPENED", "Phone contact"), *(("MOVED", s) for s in FLOOR[1:]), ("WON", "Won")]
    assert {m["staff"]["id"] for m in moved["history"]} == {floor.clerk}


async def test_the_board_shows_each_stages_deals_amounts_and_weighted_amounts(
    floor: Floor, pipeline_api: PipelineApi
) -> None:
    first = await pipeline_api.deal(floor)
    await pipeline_api.deal(floor, amount="1200.00")
    await pipeline_api.move(floor, first, "Meeting")
    board = await pipeline_api.board(floor)
    assert columns(board)["Phone contact"] == (1, "1200.00")
    assert columns(board)["Meeting"] == (1, "4800.00")
    meeting = next(c for c in board["columns"] if c["stage"]["name"] == "Meeting")
    assert meeting["weightedAmount"]["amount"] == "1440.00"  # 4800 * 0.3
    assert (board["dealCount"], board["amount"]["amount"],
            board["weightedAmount"]["amount"]) == (2, "6000.00", "1560.00")


async def test_a_board_column_pages_its_deals_longest_in_the_stage_first(
    floor: Floor, pipeline_api: PipelineApi
) -> None:
    titles = [(await pipeline_api.deal(floor, title=f"Coat {n}"))["title"] for n in range(3)]
    board = await pipeline_api.board(floor, perStage=2)
    call = next(c for c in board["columns"] if c["stage"]["name"] == "Phone contact")
    assert [d["title"] for d in call["deals"]["nodes"]] == titles[:2]
    assert (call["dealCount"], call["deals"]["pageInfo"]["hasNextPage"]) == (3, True)


async def test_the_funnel_answers_the_manager(floor: Floor, pipeline_api: PipelineApi,
                                              gql: Gql) -> None:
    won = await pipeline_api.deal(floor)
    for stage in (*FLOOR[1:], "Won"):
        won = await pipeline_api.move(floor, won, stage)
    lost = await pipeline_api.deal(floor)
    lost = await pipeline_api.move(floor, lost, "Meeting")
    await pipeline_api.move(floor, lost, "Lost", lostReason="Bought a down jacket instead")
    body = await gql(FUNNEL, {"pipelineId": floor.pipeline["id"], "from": _today(),
                              "to": _today()})
    assert "errors" not in body, body
    analytics = body["data"]["pipelineAnalytics"]
    assert [(s["stage"]["name"], s["reached"], s["lost"]) for s in analytics["funnel"]] == [
        ("Phone contact", 2, 0), ("Meeting", 2, 1), ("Product inspection", 1, 0),
        ("Contract signed", 1, 0), ("Pickup/delivery", 1, 0), ("Won", 1, 0)]
    assert [s["conversionFromPrevious"] for s in analytics["funnel"]] == [
        None, 1.0, 0.5, 1.0, 1.0, 1.0]
    assert analytics["outcomes"]["won"] == analytics["outcomes"]["lost"] == 1
    assert analytics["outcomes"]["winRate"] == 0.5
    call = analytics["stages"][0]
    assert (call["stage"]["name"], call["stays"]) == ("Phone contact", 2)


async def test_a_qualified_lead_opens_a_deal_on_the_floor(
    floor: Floor, gql: Gql
) -> None:
    lead = result(await gql(LEAD_CREATE, {"input": {
        "customer": {"displayName": "Ms. Zhao", "homeStoreId": floor.store},
        "source": {"channel": "SOCIAL", "campaign": "spring"}}}), "leadCreate")
    qualified = (await gql(LEAD_QUALIFY, {"input": {"leadId": lead["id"], "deal": {
        "pipelineId": floor.pipeline["id"], "title": "Silk scarf", "amount": "680.00",
        "currencyCode": "CNY"}}}))["data"]["leadQualify"]
    assert qualified["userErrors"] == []
    assert (qualified["lead"]["status"], qualified["lead"]["deal"]["stage"]["name"],
            qualified["deal"]["source"]["channel"]) == ("QUALIFIED", "Phone contact", "SOCIAL")


async def test_a_deal_links_her_interactions_and_cases(
    floor: Floor, pipeline_api: PipelineApi, api: Api, gql: Gql
) -> None:
    deal = await pipeline_api.deal(floor)
    call = await api.interaction(floor.customer, channel="PHONE", kind="call")
    case = await api.case(floor.customer)
    await gql(DEAL_LINK, {"input": {"dealId": deal["id"], "interactionId": call["id"]}})
    linked = result(await gql(DEAL_LINK, {"input": {"dealId": deal["id"],
                                                    "caseId": case["id"]}}), "dealLink")
    assert (linked["interactions"], linked["cases"]) == ([{"id": call["id"]}],
                                                         [{"id": case["id"]}])


async def test_an_updated_deal_tells_the_outbox_which_fields_changed(
    floor: Floor, pipeline_api: PipelineApi, gql: Gql, db: AsyncEngine
) -> None:
    deal = await pipeline_api.deal(floor)
    result(await gql(DEAL_UPDATE, {"input": {
        "dealId": deal["id"], "expectedVersion": deal["version"], "title": "Cashmere coat",
        "amount": "5200.00"}}), "dealUpdate")

    [updated] = await events_written(db, "DealUpdated")
    assert (updated.aggregate_id, updated.data) == (uuid(deal["id"]), {
        "customer_id": str(uuid(floor.customer)), "fields": ["amount", "title"]})


async def test_an_updated_lead_tells_the_outbox_her_id_and_its_status(
    floor: Floor, gql: Gql, db: AsyncEngine
) -> None:
    lead = result(await gql(LEAD_CREATE, {"input": {"customerId": floor.customer}}),
                  "leadCreate")
    next_week = (datetime.now(UTC).date() + timedelta(days=7)).isoformat()
    result(await gql(LEAD_UPDATE, {"input": {
        "leadId": lead["id"], "expectedVersion": lead["version"],
        "nextFollowUpOn": next_week}}), "leadUpdate")

    [updated] = await events_written(db, "LeadUpdated")
    assert (updated.aggregate_id, updated.data) == (uuid(lead["id"]), {
        "customer_id": str(uuid(floor.customer)), "status": "NEW"})


# --- who sees what ------------------------------------------------------------------------


@pytest.fixture
async def two_stores(floor: Floor, api: Api, pipeline_api: PipelineApi
                     ) -> tuple[dict[str, Any], dict[str, Any]]:
    """A deal at the clerk's store and one at Shanghai's."""
    shanghai = (await api.store("sh-jingan", name="Shanghai Jing'an"))["id"]
    lisa = (await api.customer(displayName="Lisa", homeStoreId=shanghai))["id"]
    ours = await pipeline_api.deal(floor, title="Ours")
    theirs = await pipeline_api.deal(floor, title="Theirs", customerId=lisa, storeId=shanghai)
    return ours, theirs


async def test_a_clerk_sees_her_stores_deals_only(
    floor: Floor, two_stores: tuple[dict[str, Any], dict[str, Any]], client_as: ClientAs
) -> None:
    clerk = as_gql(await client_as(floor.clerk_viewer))
    deals = (await clerk(DEALS))["data"]["deals"]["nodes"]
    assert [d["title"] for d in deals] == ["Ours"]
    board = (await clerk(BOARD, {"pipelineId": floor.pipeline["id"]}))["data"]["pipelineBoard"]
    assert board["dealCount"] == 1


async def test_an_admin_sees_every_deal(
    floor: Floor, two_stores: tuple[dict[str, Any], dict[str, Any]], gql: Gql
) -> None:
    deals = (await gql(DEALS))["data"]["deals"]["nodes"]
    assert sorted(d["title"] for d in deals) == ["Ours", "Theirs"]


async def test_a_clerk_does_not_find_another_stores_deal_by_id(
    floor: Floor, two_stores: tuple[dict[str, Any], dict[str, Any]], client_as: ClientAs
) -> None:
    clerk = as_gql(await client_as(floor.clerk_viewer))
    body = await clerk("query($id: ID!) { node(id: $id) { id } }", {"id": two_stores[1]["id"]})
    assert body["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"


@pytest.mark.parametrize("document", [
    DEALS, BOARD, "query($id: ID!) { customer(id: $id) { deals { nodes { id } } } }"])
async def test_a_partner_sees_no_deal(
    floor: Floor, two_stores: tuple[dict[str, Any], dict[str, Any]], client_as: ClientAs,
    document: str
) -> None:
    partner = as_gql(await client_as(PARTNER))
    body = await partner(document, {"pipelineId": floor.pipeline["id"], "id": floor.customer})
    assert body["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"
    assert "Ours" not in str(body["data"])


async def test_an_analytics_client_counts_every_deal_and_sees_none(
    floor: Floor, two_stores: tuple[dict[str, Any], dict[str, Any]], client_as: ClientAs
) -> None:
    bi = as_gql(await client_as(Viewer(Role.ANALYTICS, "client:bi")))
    body = await bi(FUNNEL, {"pipelineId": floor.pipeline["id"], "from": _today(),
                             "to": _today()})
    assert body["data"]["pipelineAnalytics"]["funnel"][0]["reached"] == 2
    refused = await bi(DEALS)
    assert refused["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"


async def test_a_clerks_analytics_count_her_stores_deals(
    floor: Floor, two_stores: tuple[dict[str, Any], dict[str, Any]], client_as: ClientAs
) -> None:
    clerk = as_gql(await client_as(floor.clerk_viewer))
    body = await clerk(FUNNEL, {"pipelineId": floor.pipeline["id"], "from": _today(),
                                "to": _today()})
    assert body["data"]["pipelineAnalytics"]["funnel"][0]["reached"] == 1


async def test_a_staff_members_deals_are_those_she_owns(
    floor: Floor, pipeline_api: PipelineApi, gql: Gql
) -> None:
    await pipeline_api.deal(floor, ownerId=floor.clerk, title="Hers")
    await pipeline_api.deal(floor, title="Nobody's")
    body = await gql("query($id: ID!) { node(id: $id) { ... on Staff { deals { nodes { title } } "
                     "} } }", {"id": floor.clerk})
    assert body["data"]["node"]["deals"]["nodes"] == [{"title": "Hers"}]


async def test_a_customers_deals_are_listed_with_her(
    floor: Floor, pipeline_api: PipelineApi, gql: Gql
) -> None:
    await pipeline_api.deal(floor)
    body = await gql("query($id: ID!) { customer(id: $id) { deals { nodes { title status } } } }",
                     {"id": floor.customer})
    assert body["data"]["customer"]["deals"]["nodes"] == [
        {"title": "Wool coat for the winter", "status": "OPEN"}]


async def test_stalled_deals_are_those_in_their_stage_longer_than_its_sla(
    floor: Floor, pipeline_api: PipelineApi, gql: Gql
) -> None:
    four_days_ago = (datetime.now(UTC) - timedelta(days=4)).isoformat()  # the SLA is 3
    await pipeline_api.deal(floor, openedAt=four_days_ago)
    await pipeline_api.deal(floor, title="Fresh")
    stalled = (await gql(DEALS, {"filter": {"stalled": True}}))["data"]["deals"]["nodes"]
    assert [d["title"] for d in stalled] == ["Wool coat for the winter"]


BOARD_WITH_NAMES = """
query($pipelineId: ID!) {
  pipelineBoard(pipelineId: $pipelineId) {
    columns {
      stage { name } dealCount amount { amount } weightedAmount { amount }
      deals(first: 20) {
        nodes { id title amount { amount } customer { displayName } owner { name } }
      }
    }
  }
}
"""


async def _board_statements(http: httpx.AsyncClient, floor: Floor,
                            statement_counter: StatementCounter) -> int:
    with statement_counter() as statements:
        body = (await http.post("/graphql", json={
            "query": BOARD_WITH_NAMES, "variables": {"pipelineId": floor.pipeline["id"]}})).json()
    assert "errors" not in body, body
    return len(statements)


async def _deals(floor: Floor, pipeline_api: PipelineApi, api: Api, count: int) -> None:
    for n in range(count):
        customer = (await api.customer(displayName=f"Customer {n}"))["id"]
        deal = await pipeline_api.deal(floor, customerId=customer, ownerId=floor.clerk)
        if n % 2:
            await pipeline_api.move(floor, deal, "Meeting")


async def test_an_admins_board_is_one_statement_for_two_deals_as_for_twelve(
    floor: Floor, pipeline_api: PipelineApi, api: Api, client: httpx.AsyncClient,
    statement_counter: StatementCounter
) -> None:
    await _deals(floor, pipeline_api, api, 2)
    await _board_statements(client, floor, statement_counter)  # connections warmed up
    assert await _board_statements(client, floor, statement_counter) == 1
    await _deals(floor, pipeline_api, api, 10)
    assert await _board_statements(client, floor, statement_counter) == 1


async def test_an_executed_board_costs_the_same_statements_for_two_deals_as_for_twelve(
    floor: Floor, pipeline_api: PipelineApi, api: Api, executed_client: httpx.AsyncClient,
    statement_counter: StatementCounter
) -> None:
    await _deals(floor, pipeline_api, api, 2)
    await _board_statements(executed_client, floor, statement_counter)
    few = await _board_statements(executed_client, floor, statement_counter)
    await _deals(floor, pipeline_api, api, 10)
    many = await _board_statements(executed_client, floor, statement_counter)
    # The pipeline and its stages, the columns, their deals, the customers, the owners.
    assert few == many <= 6
