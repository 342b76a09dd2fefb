"""GraphQL documents shared by the end-to-end tests, helpers to read answers, and `Api`,
the set-up writes most tests start from (each asserts it succeeded)."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from domain.shared.ids import global_id, parse_global_id

CUSTOMER_FIELDS = """
fragment CustomerFields on Customer {
  id kind version displayName familyName givenName gender birthDate occupation
  preferences interests tags customAttributes createdAt updatedAt archivedAt lastInteractionAt
  owner { id name } homeStore { id code }
  contactPoints { id kind value label platform verified consents { purpose granted } }
  household { id name relationship birthDate importantDates { occasion date label } }
  externalRefs { id system value }
}
"""

CASE_FIELDS = """
fragment CaseFields on Case {
  id kind category subject description channel priority status queue dueAt openedAt
  resolvedAt closedAt resolutionNote followUpAt version overdue
  customer { id displayName } owner { id name } store { id code }
  originInteraction { id channel }
}
"""

INTERACTION_FIELDS = """
fragment InteractionFields on Interaction {
  id channel direction kind occurredAt recordedAt summary payload place
  geo { latitude longitude }
  customer { id } store { id } staff { id } case { id }
}
"""

USER_ERRORS = "userErrors { field code message }"


def _customer_mutation(name: str, input_type: str) -> str:
    return f"""
mutation($input: {input_type}!) {{
  {name}(input: $input) {{ customer {{ ...CustomerFields }} {USER_ERRORS} }}
}}
{CUSTOMER_FIELDS}
"""


def _case_mutation(name: str, input_type: str) -> str:
    return f"""
mutation($input: {input_type}!) {{
  {name}(input: $input) {{ case {{ ...CaseFields }} {USER_ERRORS} }}
}}
{CASE_FIELDS}
"""


CUSTOMER_CREATE = _customer_mutation("customerCreate", "CustomerCreateInput")
CUSTOMER_UPDATE = _customer_mutation("customerUpdate", "CustomerUpdateInput")
CUSTOMER_ARCHIVE = _customer_mutation("customerArchive", "CustomerVersionInput")
CUSTOMER_RESTORE = _customer_mutation("customerRestore", "CustomerVersionInput")
CUSTOMER_MERGE = _customer_mutation("customerMerge", "CustomerMergeInput")
CONTACT_POINT_ADD = _customer_mutation("contactPointAdd", "ContactPointAddInput")
CONTACT_POINT_UPDATE = _customer_mutation("contactPointUpdate", "ContactPointUpdateInput")
CONTACT_POINT_REMOVE = _customer_mutation("contactPointRemove", "CustomerItemRemoveInput")
HOUSEHOLD_MEMBER_ADD = _customer_mutation("householdMemberAdd", "HouseholdMemberAddInput")
HOUSEHOLD_MEMBER_UPDATE = _customer_mutation(
    "householdMemberUpdate", "HouseholdMemberUpdateInput"
)
HOUSEHOLD_MEMBER_REMOVE = _customer_mutation("householdMemberRemove", "CustomerItemRemoveInput")
EXTERNAL_REFERENCE_ADD = _customer_mutation("externalReferenceAdd", "ExternalReferenceAddInput")
EXTERNAL_REFERENCE_UPDATE = _customer_mutation(
    "externalReferenceUpdate", "ExternalReferenceUpdateInput"
)
EXTERNAL_REFERENCE_REMOVE = _customer_mutation(
    "externalReferenceRemove", "CustomerItemRemoveInput"
)

INTERACTION_RECORD = f"""
mutation($input: InteractionRecordInput!) {{
  interactionRecord(input: $input) {{ interaction {{ ...InteractionFields }} {USER_ERRORS} }}
}}
{INTERACTION_FIELDS}
"""

CASE_OPEN = _case_mutation("caseOpen", "CaseOpenInput")
CASE_ASSIGN = _case_mutation("caseAssign", "CaseAssignInput")
CASE_START = _case_mutation("caseStart", "CaseTransitionInput")
CASE_RESOLVE = _case_mutation("caseResolve", "CaseResolveInput")
CASE_CLOSE = _case_mutation("caseClose", "CaseTransitionInput")
CASE_REOPEN = _case_mutation("caseReopen", "CaseTransitionInput")

ROUTING_RULE_CREATE = f"""
mutation($input: CaseRoutingRuleCreateInput!) {{
  caseRoutingRuleCreate(input: $input) {{
    rule {{ id queue kind category channel createdAt owner {{ id }} store {{ id }} }}
    {USER_ERRORS}
  }}
}}
"""

ROUTING_RULE_DELETE = f"""
mutation($id: ID!) {{ caseRoutingRuleDelete(id: $id) {{ deletedId {USER_ERRORS} }} }}
"""

STORE_CREATE = f"""
mutation($input: StoreCreateInput!) {{
  storeCreate(input: $input) {{ store {{ id code name city createdAt }} {USER_ERRORS} }}
}}
"""

STAFF_CREATE = f"""
mutation($input: StaffCreateInput!) {{
  staffCreate(input: $input) {{ staff {{ id name email store {{ id }} }} {USER_ERRORS} }}
}}
"""

CUSTOMER_BY_ID = f"""
query($id: ID!) {{ customer(id: $id) {{ ...CustomerFields }} }}
{CUSTOMER_FIELDS}
"""

CASE_BY_ID = f"""
query($id: ID!) {{ node(id: $id) {{ ...CaseFields }} }}
{CASE_FIELDS}
"""

Gql = Callable[..., Awaitable[dict[str, Any]]]
"""`await gql(document, variables=None, **headers)`: the parsed answer."""
Snapshot = Callable[[], Awaitable[dict[str, Any]]]
"""`await snapshot()`: every table's row count and content digest."""


def gql_of(http: httpx.AsyncClient) -> Gql:
    """`gql` over another client (one acting as some viewer, say): posts a document and
    returns the parsed answer."""

    async def post(query: str, variables: dict[str, Any] | None = None,
                   **headers: str) -> dict[str, Any]:
        response = await http.post("/graphql", json={"query": query,
                                                     "variables": variables or {}},
                                   headers={name.replace("_", "-"): value
                                            for name, value in headers.items()})
        body: dict[str, Any] = response.json()
        return body

    return post


def uuid_in(global_id: str) -> uuid.UUID:
    """The id inside a well-formed global id (a viewer's member, say)."""
    parsed = parse_global_id(global_id)
    assert parsed is not None, global_id
    return parsed[1]


def unknown_id(type_name: str) -> str:
    """A well-formed global id of `type_name` that points at nothing."""
    return global_id(type_name, uuid.uuid4())


def iso(moment: datetime) -> str:
    return moment.isoformat()


def ago(**delta: float) -> str:
    return iso(datetime.now(UTC) - timedelta(**delta))


def result(body: dict[str, Any], mutation: str) -> Any:
    """The mutation's result object, asserting it succeeded with no userErrors."""
    assert "errors" not in body, body
    payload = body["data"][mutation]
    assert payload["userErrors"] == [], payload["userErrors"]
    (value,) = (v for k, v in payload.items() if k != "userErrors")
    assert value is not None
    return value


def refusal(body: dict[str, Any], mutation: str) -> list[tuple[list[str] | None, str]]:
    """The mutation's userErrors as (field, code), asserting the result is null."""
    assert "errors" not in body, body
    payload = body["data"][mutation]
    assert all(v is None for k, v in payload.items() if k != "userErrors"), payload
    assert payload["userErrors"], "expected userErrors"
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


class Api:
    """Set-up through the public API; every call asserts success and returns the object."""

    def __init__(self, gql: Gql) -> None:
        self.gql = gql

    async def customer(self, **fields: Any) -> dict[str, Any]:
        fields.setdefault("displayName", "Test Customer")
        body = await self.gql(CUSTOMER_CREATE, {"input": fields})
        created: dict[str, Any] = result(body, "customerCreate")
        return created

    async def get_customer(self, customer_id: str) -> dict[str, Any] | None:
        body = await self.gql(CUSTOMER_BY_ID, {"id": customer_id})
        assert "errors" not in body, body
        found: dict[str, Any] | None = body["data"]["customer"]
        return found

    async def edit(self, document: str, mutation: str, **fields: Any) -> dict[str, Any]:
        edited: dict[str, Any] = result(await self.gql(document, {"input": fields}), mutation)
        return edited

    async def store(self, code: str = "hz-westlake", **fields: Any) -> dict[str, Any]:
        fields = {"code": code, "name": "Hangzhou West Lake", **fields}
        created: dict[str, Any] = result(
            await self.gql(STORE_CREATE, {"input": fields}), "storeCreate"
        )
        return created

    async def staff(self, email: str = "wang@example.com", **fields: Any) -> dict[str, Any]:
        fields = {"name": "Wang Fang", "email": email, **fields}
        created: dict[str, Any] = result(
            await self.gql(STAFF_CREATE, {"input": fields}), "staffCreate"
        )
        return created

    async def interaction(self, customer_id: str, **fields: Any) -> dict[str, Any]:
        fields = {"customerId": customer_id, "channel": "POS", "kind": "purchase",
                  "occurredAt": ago(hours=1), **fields}
        recorded: dict[str, Any] = result(
            await self.gql(INTERACTION_RECORD, {"input": fields}), "interactionRecord"
        )
        return recorded

    async def case(self, customer_id: str | None = None, **fields: Any) -> dict[str, Any]:
        fields = {"kind": "COMPLAINT", "subject": "Zip broke", **fields}
        if customer_id is not None:
            fields["customerId"] = customer_id
        opened: dict[str, Any] = result(await self.gql(CASE_OPEN, {"input": fields}), "caseOpen")
        return opened

    async def move_case(self, document: str, mutation: str, case_id: str,
                        **fields: Any) -> dict[str, Any]:
        return await self.edit(document, mutation, caseId=case_id, **fields)

    async def get_case(self, case_id: str) -> dict[str, Any]:
        body = await self.gql(CASE_BY_ID, {"id": case_id})
        assert "errors" not in body, body
        found: dict[str, Any] = body["data"]["node"]
        return found

    async def routing_rule(self, **fields: Any) -> dict[str, Any]:
        created: dict[str, Any] = result(
            await self.gql(ROUTING_RULE_CREATE, {"input": fields}), "caseRoutingRuleCreate"
        )
        return created


async def refused(
    gql: Gql, snapshot: Snapshot, document: str, mutation: str, fields: dict[str, Any]
) -> list[tuple[list[str] | None, str]]:
    """Sends the mutation, expects it refused, checks the database did not change at all, and
    returns the userErrors as (field, code) pairs."""
    before = await snapshot()
    errors = refusal(await gql(document, {"input": fields}), mutation)
    assert await snapshot() == before
    return errors
