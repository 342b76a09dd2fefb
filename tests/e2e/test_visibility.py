"""Fields restricted to a scope are masked for viewers without it, on both execution paths:
compiled into the SQL, and in the resolvers of normal execution."""

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import httpx
import pytest

from api.graphql.relay import to_global_id
from api.http.app import create_app
from domain.customers.commands import ContactPointInput, CreateCustomer, HouseholdMemberInput
from domain.customers.model import ContactKind, Relationship
from domain.shared.access import Role, Viewer
from infrastructure.bootstrap import Container
from infrastructure.settings import Settings

PROFILE = """query($id: ID!) { customer(id: $id) {
  displayName birthDate
  contactPoints { kind value verified }
  household { name birthDate }
} }"""

@pytest.fixture
async def customer_id(container: Container) -> str:
    customer = await container.use_cases.customers.create_customer(CreateCustomer(
        profile={"display_name": "Mrs. Li", "birth_date": date(1968, 5, 2)},
        contact_points=(ContactPointInput(ContactKind.EMAIL, "li@example.com"),),
        household=(HouseholdMemberInput("Xiao Li", Relationship.CHILD, date(2001, 9, 1)),),
    ))
    return to_global_id("Customer", customer.id)


async def _ask(settings: Settings, container: Container, viewer: Viewer, compiled: bool,
               variables: dict[str, Any]) -> dict[str, Any]:
    app = create_app(replace(settings, compiled_reads=compiled), container=container,
                     viewer_of=lambda request: viewer)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=transport, base_url="http://rapport") as client:
        response = await client.post("/graphql", json={"query": PROFILE,
                                                        "variables": variables})
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    customer: dict[str, Any] = body["data"]["customer"]
    return customer


@pytest.fixture
def ask(settings: Settings, container: Container, customer_id: str) -> Callable[..., Any]:
    async def ask(viewer: Viewer, *, compiled: bool) -> dict[str, Any]:
        return await _ask(settings, container, viewer, compiled, {"id": customer_id})

    return ask


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "executed"])
async def test_a_viewer_without_the_personal_data_scope_gets_it_masked(
    ask: Callable[..., Any], compiled: bool
) -> None:
    without_scope = Viewer(Role.ADMIN, "admin without personal data", scopes=frozenset())
    customer = await ask(without_scope, compiled=compiled)

    assert customer == {
        "displayName": "Mrs. Li",
        "birthDate": None,
        "contactPoints": [{"kind": "EMAIL", "value": "***", "verified": False}],
        "household": [{"name": "Xiao Li", "birthDate": None}],
    }


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "executed"])
async def test_a_trusted_viewer_sees_personal_data(
    ask: Callable[..., Any], compiled: bool
) -> None:
    customer = await ask(Viewer.trusted(), compiled=compiled)

    assert customer["birthDate"] == "1968-05-02"
    assert customer["contactPoints"][0]["value"] == "li@example.com"
    assert customer["household"][0]["birthDate"] == "2001-09-01"
