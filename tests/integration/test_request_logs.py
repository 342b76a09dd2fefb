"""What `rapport serve` writes while it answers the demo's requests: one JSON line per
request with what an operator needs (trace and span ids, the operation, duration, caller,
status, error codes), and nowhere, in its logs nor in the spans and metrics it exports, a
demo customer's name, email or phone, although the requests carry them in variables, in
query strings and in documents' literals.

One server for the module (migrating and seeding take a while): the requests run once,
and each test reads what they left.
"""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import create_scratch_database, drop_scratch_database
from tests.e2e.loyalty_api import PURCHASE_RECORD, line, purchase_input
from tests.served import Served, serving

PEOPLE = """
{
  customers(first: 50) {
    nodes {
      id displayName familyName givenName
      contactPoints { value }
      household { name }
    }
  }
  staff { name email }
}
"""
BY_EMAIL = "query ByEmail($email: String!) { customer(email: $email) { id displayName } }"
BY_PHONE = "query ByPhone($phone: String!) { customer(phone: $phone) { id } }"
SEARCH = "query Search($search: String!) { customers(search: $search) { nodes { id } } }"
CREATE = """
mutation Create($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id } userErrors { code } }
}
"""


@dataclass(frozen=True)
class Run:
    logs: str  # stderr: the logs
    printed: str  # stdout: the console exporters' spans and metrics, the seed's summary
    personal: frozenset[str]  # the demo's names, emails and phones
    requests: int


def _post(client: httpx.Client, query: str, **variables: Any) -> httpx.Response:
    return client.post("/graphql", json={"query": query, "variables": variables},
                       headers={"x-request-id": "demo-run"})


def _personal_data(people: dict[str, Any]) -> frozenset[str]:
    found: set[str] = set()
    for customer in people["customers"]["nodes"]:
        found |= {customer["displayName"], customer["familyName"], customer["givenName"]}
        found |= {point["value"] for point in customer["contactPoints"]}
        found |= {member["name"] for member in customer["household"]}
    for staff in people["staff"]:
        found |= {staff["name"], staff["email"]}
    return frozenset(value for value in found if value)


def _demo_requests(served: Served) -> tuple[frozenset[str], int]:
    """The requests a day at the shop makes, each carrying personal data somewhere."""
    with httpx.Client(base_url=served.url, timeout=60) as client:
        people = client.post("/graphql", json={"query": PEOPLE}).json()["data"]
        personal = _personal_data(people)
        li = next(c for c in people["customers"]["nodes"] if "Li" in c["displayName"])
        email = next(p["value"] for p in li["contactPoints"] if "@" in p["value"])
        phone = next(p["value"] for p in li["contactPoints"] if p["value"].startswith("+"))
        answers = [
            _post(client, BY_EMAIL, email=email),  # a variable
            client.get("/graphql", params={"query": BY_PHONE,  # a query string
                                           "variables": json.dumps({"phone": phone})}),
            _post(client, f'{{ customer(email: "{email}") {{ id }} }}'),  # a literal
            _post(client, SEARCH, search=li["familyName"]),
            _post(client, CREATE, input={  # a refusal: her email is taken
                "displayName": li["displayName"],
                "contactPoints": [{"kind": "EMAIL", "value": email}]}),
            _post(client, BY_EMAIL, email=12345),  # invalid variables
            _post(client, PURCHASE_RECORD, input=purchase_input(
                li["id"], "demo-run-1", line("SILK-SCARF", "680.00"))),
        ]
        assert [a.status_code for a in answers] == [200] * len(answers), [
            a.text for a in answers]
    return personal, 1 + len(answers)


@pytest.fixture(scope="module")
async def run(postgres_server_url: str) -> AsyncIterator[Run]:
    """The demo served with JSON logs, and spans and metrics exported to the console."""
    url = await create_scratch_database(postgres_server_url)
    try:
        with serving(url, "--seed-demo", RAPPORT_LOG_FORMAT="json", RAPPORT_LOG_LEVEL="INFO",
                     OTEL_TRACES_EXPORTER="console", OTEL_METRICS_EXPORTER="console",
                     OTEL_METRIC_EXPORT_INTERVAL="500") as served:
            personal, requests = _demo_requests(served)
            served.terminate()  # the exporters flush on the way out
            served.process.wait(timeout=60)
        yield Run(served.output(), served.printed(), personal, requests)
    finally:
        await drop_scratch_database(url, postgres_server_url)


def _request_lines(run: Run) -> list[dict[str, Any]]:
    lines = [json.loads(text) for text in run.logs.splitlines() if text.startswith("{")]
    return [entry for entry in lines if entry.get("event") == "graphql request"]


def test_every_request_leaves_one_json_line(run: Run) -> None:
    assert len(_request_lines(run)) == run.requests


def test_a_request_line_says_what_an_operator_needs(run: Run) -> None:
    entry = next(e for e in _request_lines(run) if e["operation_name"] == "ByEmail")

    assert entry["operation_type"] == "query"
    assert entry["status"] == 200
    assert entry["error_codes"] == []
    assert entry["duration_ms"] > 0
    assert entry["role"] == "ADMIN"
    assert entry["request_id"] == "demo-run"
    assert entry["read_path"] in ("compiled", "executed")
    assert f'"trace_id": "0x{entry["trace_id"]}"' in run.printed  # its trace was exported
    assert f'"span_id": "0x{entry["span_id"]}"' in run.printed  # the HTTP request's span


def test_a_refused_request_line_carries_its_error_codes(run: Run) -> None:
    refused = [e for e in _request_lines(run) if e["error_codes"]]

    assert [e["error_codes"] for e in refused] == [["GRAPHQL_VALIDATION_FAILED"]]


def test_the_logs_hold_no_personal_data(run: Run) -> None:
    assert len(run.personal) > 5
    leaked = sorted(value for value in run.personal if value in run.logs)

    assert leaked == []


def test_the_exported_spans_and_metrics_hold_no_personal_data(run: Run) -> None:
    assert '"graphql.operation.name": "ByEmail"' in run.printed  # spans were exported
    assert "db.client.connection.count" in run.printed  # and metrics
    leaked = sorted(value for value in run.personal if value in run.printed)

    assert leaked == []
