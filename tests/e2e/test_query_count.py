"""A page of customers with nested lists costs a constant number of SQL statements:
the same for 5 rows as for 50 (no N+1), and at most 6 (issue #3)."""

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from api.http.app import create_app
from domain.cases.commands import OpenCase, StartCase
from domain.cases.model import CaseKind
from domain.customers.commands import ContactPointInput, CreateCustomer
from domain.customers.model import ContactKind
from domain.interactions.commands import RecordInteraction
from domain.interactions.model import Channel
from infrastructure.bootstrap import Container, build_container
from infrastructure.settings import Settings

PAGE_WITH_NESTED_LISTS = """
query Page($first: Int!) {
  customers(first: $first) {
    edges {
      node {
        id displayName tags
        contactPoints { kind value verified }
        timeline(first: 5) { edges { node { id channel kind occurredAt summary } } }
        cases(status: [OPEN, IN_PROGRESS]) { nodes { id subject status dueAt } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@pytest.fixture
async def container(db: AsyncEngine) -> Container:
    return build_container(Settings(database_url="postgresql://unused"), db)


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(container.settings, container=container)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://rapport") as client:
            yield client


async def _customer_with_history(container: Container, number: int) -> None:
    use_cases, now = container.use_cases, datetime.now(UTC)
    customer = await use_cases.create_customer(CreateCustomer(
        profile={"display_name": f"Customer {number}", "tags": ("vip", "films")},
        contact_points=(
            ContactPointInput(ContactKind.EMAIL, f"c{number}@example.com"),
            ContactPointInput(ContactKind.PHONE, f"+86 138 0000 {number:04d}"),
        ),
    ))
    for day in range(7):
        await use_cases.record_interaction(RecordInteraction(
            customer.id, Channel.POS, "purchase", now - timedelta(days=day), summary="till",
        ))
    opened = await use_cases.open_case(OpenCase(CaseKind.REQUEST, "alteration", customer.id))
    await use_cases.start_case(StartCase(opened.id))
    await use_cases.open_case(OpenCase(CaseKind.ENQUIRY, "stock", customer.id))


@contextmanager
def counting_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def _statements_for_page(client: httpx.AsyncClient, engine: AsyncEngine, size: int) -> int:
    with counting_statements(engine) as statements:
        response = await client.post(
            "/graphql", json={"query": PAGE_WITH_NESTED_LISTS, "variables": {"first": size}}
        )
    body = response.json()
    assert "errors" not in body, body
    edges = body["data"]["customers"]["edges"]
    assert len(edges) == size
    assert all(len(e["node"]["timeline"]["edges"]) == 5 for e in edges)
    assert all(len(e["node"]["cases"]["nodes"]) == 2 for e in edges)
    assert all(len(e["node"]["contactPoints"]) == 2 for e in edges)
    return len(statements)


async def test_a_page_of_customers_with_nested_lists_costs_constant_statements(
    container: Container, client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    for number in range(50):
        await _customer_with_history(container, number)

    for_five = await _statements_for_page(client, db, 5)
    for_fifty = await _statements_for_page(client, db, 50)

    assert for_five == for_fifty
    assert for_fifty <= 6
