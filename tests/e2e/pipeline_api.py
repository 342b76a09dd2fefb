"""GraphQL documents and set-up helpers of the sales pipeline's end-to-end tests: the sales
floor of DESIGN.md §1 (phone contact → meeting → product inspection → contract signed →
pickup/delivery, then won or lost), its store, its clerk and her customer."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from api.graphql.relay import parse_global_id
from domain.shared.access import Role, Viewer
from tests.e2e.api import USER_ERRORS, Api, Gql, result

MONEY = "{ amount currencyCode }"
FLOOR = ("Phone contact", "Meeting", "Product inspection", "Contract signed",
         "Pickup/delivery")
FLOOR_STAGES = [
    {"name": "Phone contact", "probability": "0.1", "slaDays": 3},
    {"name": "Meeting", "probability": "0.3", "slaDays": 7},
    {"name": "Product inspection", "probability": "0.5", "slaDays": 7},
    {"name": "Contract signed", "probability": "0.8", "slaDays": 14},
    {"name": "Pickup/delivery", "probability": "0.9", "slaDays": 7},
    {"name": "Won", "kind": "WON"},
    {"name": "Lost", "kind": "LOST"},
]

PIPELINE_FIELDS = """
fragment PipelineFields on Pipeline {
  id code name currencyCode allowSkips version
  stages(includeRetired: true) { id name position kind probability slaDays retiredAt }
}
"""

DEAL_FIELDS = f"""
fragment DealFields on Deal {{
  id title amount {MONEY} status lostReason expectedCloseOn version stalled
  weightedAmount {MONEY} stage {{ name }} customer {{ id }} owner {{ id }} store {{ id }}
  source {{ channel campaign }} products {{ sku quantity }}
  history {{ kind from {{ name }} to {{ name }} movedBy reason staff {{ id }} }}
}}
"""

LEAD_FIELDS = """
fragment LeadFields on Lead {
  id status version unqualifiedReason nextFollowUpOn followUps
  source { channel campaign } customer { id displayName } deal { id stage { name } }
}
"""


def _mutation(name: str, input_type: str, result_fields: str, fragment: str = "") -> str:
    return f"""
mutation($input: {input_type}!) {{
  {name}(input: $input) {{ {result_fields} {USER_ERRORS} }}
}}
{fragment}
"""


PIPELINE_CREATE = _mutation("pipelineCreate", "PipelineCreateInput",
                            "pipeline { ...PipelineFields }", PIPELINE_FIELDS)
PIPELINE_STAGE_RETIRE = _mutation("pipelineStageRetire", "PipelineStageRetireInput",
                                  "pipeline { ...PipelineFields }", PIPELINE_FIELDS)
PIPELINE_STAGE_ADD = _mutation("pipelineStageAdd", "PipelineStageAddInput",
                               "pipeline { ...PipelineFields }", PIPELINE_FIELDS)
DEAL_CREATE = _mutation("dealCreate", "DealCreateInput", "deal { ...DealFields }", DEAL_FIELDS)
DEAL_UPDATE = _mutation("dealUpdate", "DealUpdateInput", "deal { ...DealFields }", DEAL_FIELDS)
DEAL_MOVE = _mutation("dealMove", "DealMoveInput",
                      "deal { ...DealFields } move { kind } replayed purchase { id orderId }",
                      DEAL_FIELDS)
DEAL_REOPEN = _mutation("dealReopen", "DealReopenInput", "deal { ...DealFields } move { kind }",
                        DEAL_FIELDS)
DEAL_LINK = _mutation("dealLink", "DealLinkInput", "deal { id interactions { id } cases { id } }")
LEAD_CREATE = _mutation("leadCreate", "LeadCreateInput", "lead { ...LeadFields }", LEAD_FIELDS)
LEAD_UPDATE = _mutation("leadUpdate", "LeadUpdateInput", "lead { ...LeadFields }", LEAD_FIELDS)
LEAD_QUALIFY = _mutation("leadQualify", "LeadQualifyInput",
                         "lead { ...LeadFields } deal { id source { channel } }", LEAD_FIELDS)
LEAD_DISQUALIFY = _mutation("leadDisqualify", "LeadDisqualifyInput", "lead { ...LeadFields }",
                            LEAD_FIELDS)

BOARD = f"""
query($pipelineId: ID!, $ownerId: ID, $storeId: ID, $perStage: Int = 10) {{
  pipelineBoard(pipelineId: $pipelineId, ownerId: $ownerId, storeId: $storeId) {{
    dealCount amount {MONEY} weightedAmount {MONEY}
    columns {{
      stage {{ name }} dealCount amount {MONEY} weightedAmount {MONEY} stalledCount
      deals(first: $perStage) {{
        nodes {{ id title customer {{ displayName }} }} pageInfo {{ hasNextPage }}
      }}
    }}
  }}
}}
"""

FUNNEL = """
query($pipelineId: ID!, $from: Date!, $to: Date!) {
  pipelineAnalytics(pipelineId: $pipelineId, from: $from, to: $to) {
    funnel { stage { name } reached lost conversionFromPrevious }
    stages { stage { name } stays medianDays p90Days stalled }
    outcomes { won lost winRate wonAmount { amount } averageCycleDays }
    forecast { month deals amount { amount } weightedAmount { amount } }
    leadSources { channel campaign leads qualified won conversionRate }
  }
}
"""

DEALS = """
query($filter: DealFilterInput, $order: DealOrder = NEWEST_FIRST) {
  deals(filter: $filter, order: $order, first: 50) { nodes { id title status } }
}
"""


def uuid(global_id: str) -> UUID:
    parsed = parse_global_id(global_id)
    assert parsed is not None
    return parsed[1]


@dataclass(frozen=True)
class Floor:
    """The Hangzhou store's sales floor: its pipeline, the clerk, a customer of the store."""

    pipeline: dict[str, Any]
    store: str
    clerk: str
    customer: str

    def stage(self, name: str) -> str:
        return str(next(s["id"] for s in self.pipeline["stages"] if s["name"] == name))

    @property
    def clerk_viewer(self) -> Viewer:
        return Viewer(Role.STAFF, "staff:wang.fang", staff_id=uuid(self.clerk),
                      store_ids=frozenset({uuid(self.store)}))


class PipelineApi:
    def __init__(self, gql: Gql) -> None:
        self.gql = gql

    async def pipeline(self, **fields: Any) -> dict[str, Any]:
        fields = {"code": "sales-floor", "name": "Sales floor", "currencyCode": "CNY",
                  "stages": FLOOR_STAGES, **fields}
        created: dict[str, Any] = result(await self.gql(PIPELINE_CREATE, {"input": fields}),
                                         "pipelineCreate")
        return created

    async def deal(self, floor: Floor, **fields: Any) -> dict[str, Any]:
        fields = {"customerId": floor.customer, "pipelineId": floor.pipeline["id"],
                  "title": "Wool coat for the winter", "amount": "4800.00",
                  "currencyCode": "CNY", "storeId": floor.store, **fields}
        created: dict[str, Any] = result(await self.gql(DEAL_CREATE, {"input": fields}),
                                         "dealCreate")
        return created

    async def move(self, floor: Floor, deal: dict[str, Any], stage: str,
                   **fields: Any) -> dict[str, Any]:
        body = await self.gql(DEAL_MOVE, {"input": {
            "dealId": deal["id"], "toStageId": floor.stage(stage),
            "expectedVersion": deal["version"], **fields}})
        moved: dict[str, Any] = body["data"]["dealMove"]
        assert moved["userErrors"] == [], moved["userErrors"]
        deal_after: dict[str, Any] = moved["deal"]
        return deal_after

    async def board(self, floor: Floor, **variables: Any) -> dict[str, Any]:
        body = await self.gql(BOARD, {"pipelineId": floor.pipeline["id"], **variables})
        assert "errors" not in body, body
        board: dict[str, Any] = body["data"]["pipelineBoard"]
        return board


async def set_up_floor(api: Api, pipeline: PipelineApi) -> Floor:
    store = (await api.store("hz-westlake"))["id"]
    clerk = (await api.staff("wang.fang@example.com", storeId=store))["id"]
    customer = (await api.customer(displayName="Mrs. Li", homeStoreId=store))["id"]
    return Floor(await pipeline.pipeline(), store, clerk, customer)


def columns(board: dict[str, Any]) -> dict[str, tuple[int, str]]:
    """Each stage's deal count and amount."""
    return {c["stage"]["name"]: (c["dealCount"], c["amount"]["amount"]) for c in board["columns"]}
