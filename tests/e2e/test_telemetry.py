"""Traces and metrics, with in-memory exporters: a request's spans nest HTTP → GraphQL
operation → use case → SQL, the metrics an operator needs exist, and neither carries a
customer's personal data nor the values a caller sent."""

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricsData
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncEngine

from api.http.app import create_app
from infrastructure.bootstrap import Container, Telemetry, build_container
from infrastructure.settings import Settings
from infrastructure.telemetry import telemetry
from tests.e2e.asgi import in_process
from tests.e2e.conftest import MovableClock
from tests.e2e.loyalty_api import PROGRAMME_SAVE, WOMENSWEAR, line, purchase_input

NAME, EMAIL, PHONE = "李秀英 Mrs. Li", "li.xiuying@163.com", "+86 139 5712 0187"
ORDER = "till-7-0042"
CREATE = """
mutation CreateCustomer($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id } userErrors { code } }
}
"""
RECORD = """
mutation RecordSale($input: PurchaseRecordInput!) {
  purchaseRecord(input: $input) { purchase { id pointsEarned } userErrors { code } }
}
"""
BY_EMAIL = "query ByEmail($email: String!) { customer(email: $email) { id displayName } }"
LITERAL = f'{{ customer(email: "{EMAIL}") {{ id displayName }} }}'


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def traced(exporter: InMemorySpanExporter, reader: InMemoryMetricReader
           ) -> Iterator[Telemetry]:
    """Telemetry into memory, SQL instrumented for the test's duration only."""
    configured = telemetry([SimpleSpanProcessor(exporter)], [reader])
    configured.instrument_sql()
    yield configured
    configured.uninstrument_sql()
    configured.shutdown()


@pytest.fixture
async def traced_container(settings: Settings, db: AsyncEngine, clock: MovableClock,
                           traced: Telemetry) -> AsyncIterator[Container]:
    built = build_container(settings, db, clock=clock, telemetry=traced)
    yield built
    await built.close()


async def _client(settings: Settings, container: Container) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(create_app(settings, container=container)) as http:
        yield http


@pytest.fixture
async def http(settings: Settings, traced_container: Container
               ) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(settings, traced_container):
        yield client


async def _post(http: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None,
                **variables: Any) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables},
                               headers=headers)
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def sale(http: httpx.AsyncClient, exporter: InMemorySpanExporter) -> dict[str, Any]:
    """Mrs. Li's programme and record, then her purchase, whose spans alone are kept."""
    saved = await _post(http, PROGRAMME_SAVE, input=WOMENSWEAR)
    assert saved["data"]["loyaltyProgrammeSave"]["userErrors"] == []
    created = await _post(http, CREATE, input={
        "displayName": NAME, "contactPoints": [
            {"kind": "EMAIL", "value": EMAIL}, {"kind": "PHONE", "value": PHONE}]})
    customer = created["data"]["customerCreate"]["customer"]["id"]
    exporter.clear()
    sale = purchase_input(customer, ORDER, line("DRESS-1", "880.00"))
    recorded = await _post(http, RECORD, input=sale)
    assert recorded["data"]["purchaseRecord"]["userErrors"] == []
    return sale


def _only(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    (found,) = [span for span in spans if span.name == name]
    return found


def _parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def _span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    span_id: int = span.context.span_id
    return span_id


async def test_a_purchase_is_traced_from_the_http_request_through_its_use_case_to_its_sql(
    sale: dict[str, Any], exporter: InMemorySpanExporter,
) -> None:
    spans = list(exporter.get_finished_spans())
    http_span = _only(spans, "POST /graphql")
    operation = _only(spans, "mutation RecordSale")
    use_case = _only(spans, "use case record_purchase")
    statements = [s for s in spans if s.kind is SpanKind.CLIENT and _parent_of(s) ==
                  _span_id(use_case)]

    assert http_span.kind is SpanKind.SERVER
    assert _parent_of(operation) == _span_id(http_span)
    assert _parent_of(use_case) == _span_id(operation)
    assert any(s.name == "INSERT" for s in statements)
    assert {span.context.trace_id for span in spans if span.context} == {
        http_span.context.trace_id if http_span.context else 0}


async def test_a_graphql_span_names_the_operation_by_the_semantic_conventions(
    sale: dict[str, Any], exporter: InMemorySpanExporter,
) -> None:
    operation = _only(list(exporter.get_finished_spans()), "mutation RecordSale")

    assert operation.attributes == {"graphql.operation.name": "RecordSale",
                                    "graphql.operation.type": "mutation",
                                    "rapport.compiled": False}


async def test_an_sql_span_has_the_statement_with_placeholders_and_no_values(
    sale: dict[str, Any], exporter: InMemorySpanExporter,
) -> None:
    inserts = [s for s in exporter.get_finished_spans()
               if s.name == "INSERT" and s.attributes]

    statements = [str(s.attributes.get("db.statement")) for s in inserts if s.attributes]
    assert any("INSERT INTO purchases" in text and "$1" in text for text in statements)
    assert all("db.statement.parameters" not in (s.attributes or {}) for s in inserts)


def _attribute_text(spans: list[ReadableSpan]) -> str:
    return json.dumps([{**(span.attributes or {}), "name": span.name} for span in spans],
                      ensure_ascii=False, default=str)


async def test_no_span_carries_personal_data_or_the_values_a_caller_sent(
    http: httpx.AsyncClient, sale: dict[str, Any], exporter: InMemorySpanExporter,
) -> None:
    await _post(http, BY_EMAIL, email=EMAIL)  # compiled: one statement
    await http.get("/graphql", params={"query": BY_EMAIL, "variables": json.dumps(
        {"email": EMAIL})})
    await _post(http, LITERAL)  # the email as a literal in the document
    text = _attribute_text(list(exporter.get_finished_spans()))

    sent = [NAME, EMAIL, PHONE, ORDER, "DRESS-1", "880.00", sale["occurredAt"]]
    assert [value for value in sent if value in text] == []


async def test_a_callers_trace_is_continued(
    http: httpx.AsyncClient, exporter: InMemorySpanExporter,
) -> None:
    trace_id, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"

    await _post(http, BY_EMAIL, headers={"traceparent": f"00-{trace_id}-{parent}-01"},
                email=EMAIL)

    http_span = _only(list(exporter.get_finished_spans()), "POST /graphql")
    assert http_span.context is not None
    assert format(http_span.context.trace_id, "032x") == trace_id
    assert _parent_of(http_span) == int(parent, 16)


def _metrics(reader: InMemoryMetricReader) -> dict[str, list[dict[str, Any]]]:
    """Every data point's attributes, by metric name."""
    data: MetricsData | None = reader.get_metrics_data()
    found: dict[str, list[dict[str, Any]]] = {}
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                points = getattr(metric.data, "data_points", ())
                found.setdefault(metric.name, []).extend(
                    {**dict(point.attributes or {}), "_value": getattr(point, "value", None)}
                    for point in points)
    return found


async def test_requests_are_counted_and_timed_by_operation_type_and_read_path(
    sale: dict[str, Any], http: httpx.AsyncClient, reader: InMemoryMetricReader,
) -> None:
    await _post(http, BY_EMAIL, email=EMAIL)

    metrics = _metrics(reader)
    assert {"mutation", "query"} <= {p.get("graphql.operation.type")
                                     for p in metrics["http.server.request.duration"]}
    assert {p["rapport.read.path"] for p in metrics["rapport.graphql.reads"]} == {"compiled"}
    assert {p.get("http.response.status_code") for p in metrics["rapport.graphql.requests"]
            } == {200}


async def test_a_request_is_timed_by_its_http_method(
    http: httpx.AsyncClient, reader: InMemoryMetricReader,
) -> None:
    await _post(http, BY_EMAIL, email=EMAIL)
    await http.get("/graphql", params={"query": BY_EMAIL, "variables": json.dumps(
        {"email": EMAIL})})

    methods = {p["http.request.method"]
               for p in _metrics(reader)["http.server.request.duration"]}
    assert methods == {"GET", "POST"}


async def test_executed_reads_are_counted_apart_from_compiled_ones(
    settings: Settings, traced_container: Container, http: httpx.AsyncClient,
    reader: InMemoryMetricReader,
) -> None:
    await _post(http, BY_EMAIL, email=EMAIL)
    async for executed in _client(replace(settings, compiled_reads=False), traced_container):
        await _post(executed, BY_EMAIL, email=EMAIL)

    reads = {p["rapport.read.path"]: p["_value"] for p in _metrics(reader)["rapport.graphql.reads"]}
    assert reads == {"compiled": 1, "executed": 1}


async def test_errors_are_counted_by_code(
    http: httpx.AsyncClient, reader: InMemoryMetricReader,
) -> None:
    await _post(http, BY_EMAIL, email=12345)  # invalid variables

    errors = _metrics(reader)["rapport.graphql.errors"]
    assert [(p["error.code"], p["_value"]) for p in errors] == [("GRAPHQL_VALIDATION_FAILED", 1)]


async def test_rate_limit_refusals_are_counted(
    settings: Settings, traced_container: Container, reader: InMemoryMetricReader,
) -> None:
    async for limited in _client(replace(settings, rate_limit="1/minute"), traced_container):
        await _post(limited, BY_EMAIL, email=EMAIL)
        await _post(limited, BY_EMAIL, email=EMAIL)

    (refused,) = _metrics(reader)["rapport.rate_limit.refusals"]
    assert refused["_value"] == 1


async def test_both_pools_report_connections_in_use_idle_and_waiting(
    sale: dict[str, Any], http: httpx.AsyncClient, reader: InMemoryMetricReader,
) -> None:
    await _post(http, BY_EMAIL, email=EMAIL)  # opens the compiled reads' pool

    metrics = _metrics(reader)
    counts = {(p["db.client.connection.pool.name"], p["db.client.connection.state"])
              for p in metrics["db.client.connection.count"]}
    assert counts == {(pool, state) for pool in ("sqlalchemy", "compiled_reads")
                      for state in ("used", "idle")}
    assert {p["db.client.connection.pool.name"]
            for p in metrics["db.client.connection.pending_requests"]} == {
        "sqlalchemy", "compiled_reads"}


async def test_without_a_replica_there_is_no_replica_lag(
    sale: dict[str, Any], http: httpx.AsyncClient, reader: InMemoryMetricReader,
) -> None:
    await _post(http, BY_EMAIL, email=EMAIL)

    metrics = _metrics(reader)
    assert "db.client.connection.count" in metrics  # the service's gauges are collected
    assert "rapport.db.replica.lag" not in metrics


async def test_no_metric_carries_personal_data(
    sale: dict[str, Any], http: httpx.AsyncClient, reader: InMemoryMetricReader,
) -> None:
    await _post(http, BY_EMAIL, email=EMAIL)

    text = json.dumps(_metrics(reader), ensure_ascii=False, default=str)

    assert [value for value in (NAME, EMAIL, PHONE, ORDER) if value in text] == []
