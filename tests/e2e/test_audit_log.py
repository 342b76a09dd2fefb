"""The audit log: every mutation, and every read of personal data by ADMIN and
STAFF callers, with who, when, what and from which client; never the personal data itself.
Only ADMIN callers may list it."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.graphql.relay import to_global_id
from domain.customers.commands import ContactPointInput, CreateCustomer
from domain.customers.model import ContactKind
from domain.organisation.commands import CreateStaff, CreateStore
from domain.shared.access import Role, Viewer
from infrastructure.bootstrap import Container
from tests.e2e.api import CUSTOMER_CREATE, Snapshot, refusal, result

ClientAs = Callable[..., Awaitable[httpx.AsyncClient]]

AUDITOR = Viewer(Role.ADMIN, "client:crm-console", client_id=uuid4())
EMAIL, PHONE, NAME = "li.na@example.com", "+86 138 0000 1234", "Li Na"

AUDIT_LOG = """
query Audit($first: Int, $after: String, $filter: AuditFilterInput) {
  auditLog(first: $first, after: $after, filter: $filter) {
    edges { cursor node {
      at action operation subject role clientId staffId targetIds outcome detail requestId
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
BIRTH_DATE = "query Profile($id: ID!) { customer(id: $id) { displayName birthDate } }"


async def _post(http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None,
                **headers: str) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables or {}},
                               headers=headers)
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def auditor(client_as: ClientAs) -> httpx.AsyncClient:
    return await client_as(AUDITOR)


@pytest.fixture
def audit_log(auditor: httpx.AsyncClient) -> Callable[..., Awaitable[dict[str, Any]]]:
    """`await audit_log(first=…, after=…, **filter)`: the connection, as the auditor sees it."""

    async def read(first: int | None = None, after: str | None = None,
                   **where: Any) -> dict[str, Any]:
        body = await _post(auditor, AUDIT_LOG, {"first": first, "after": after,
                                                "filter": where or None})
        assert "errors" not in body, body
        connection: dict[str, Any] = body["data"]["auditLog"]
        return connection

    return read


def _nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


@dataclass(frozen=True)
class Shop:
    store_id: UUID
    clerk: Viewer
    customer_id: UUID


@pytest.fixture
async def shop(container: Container) -> Shop:
    run = container.use_cases
    store = await run.organisation.create_store(CreateStore("hz-westlake", "West Lake"))
    clerk = await run.organisation.create_staff(CreateStaff("Wang Fang", "wang@brand.example",
                                               store_id=store.id))
    customer = await run.customers.create_customer(CreateCustomer(
        profile={"display_name": NAME, "birth_date": datetime(1980, 5, 1).date(),
                 "home_store_id": store.id},
        contact_points=(ContactPointInput(ContactKind.EMAIL, EMAIL),),
    ))
    clerk_viewer = Viewer(Role.STAFF, "staff:wang@brand.example", staff_id=clerk.id,
                          store_ids=frozenset({store.id}))
    return Shop(store.id, clerk_viewer, customer.id)


async def _raw_rows(db: AsyncEngine) -> str:
    async with db.connect() as connection:
        rows = await connection.execute(text("SELECT audit_log::text FROM audit_log"))
        return "\n".join(row[0] for row in rows)


def _no_personal_data(raw: str) -> None:
    for personal in (EMAIL, PHONE, NAME, "Li", "1980-05-01", "wei@example.com"):
        assert personal not in raw, personal


# Mutations


async def test_a_customer_created_by_an_admin_is_logged_with_who_when_what_and_client(
    auditor: httpx.AsyncClient, audit_log: Callable[..., Awaitable[dict[str, Any]]],
    db: AsyncEngine,
) -> None:
    before = datetime.now(UTC)
    body = await _post(auditor, CUSTOMER_CREATE, {"input": {
        "displayName": NAME, "givenName": "Na", "familyName": "Li", "birthDate": "1980-05-01",
        "contactPoints": [{"kind": "EMAIL", "value": EMAIL}, {"kind": "PHONE", "value": PHONE}],
    }}, **{"x-request-id": "req-42"})
    created = result(body, "customerCreate")

    (entry,) = _nodes(await audit_log(action="MUTATION"))

    assert entry["operation"] == "create_customer"
    assert (entry["subject"], entry["role"]) == ("client:crm-console", "ADMIN")
    assert entry["clientId"] == str(AUDITOR.client_id)
    assert entry["staffId"] is None
    assert entry["outcome"] == "OK"
    assert entry["requestId"] == "req-42"
    assert to_global_id("Customer", UUID(entry["targetIds"][0])) == created["id"]
    assert before - timedelta(seconds=5) <= datetime.fromisoformat(entry["at"]) \
        <= datetime.now(UTC) + timedelta(seconds=5)
    _no_personal_data(await _raw_rows(db))


async def test_a_refused_mutation_is_logged_with_its_code_and_changes_nothing_else(
    client_as: ClientAs, audit_log: Callable[..., Awaitable[dict[str, Any]]],
    snapshot: Snapshot,
) -> None:
    analyst = await client_as(Viewer(Role.ANALYTICS, "client:bi", client_id=uuid4()))
    before = await snapshot()

    body = await _post(analyst, CUSTOMER_CREATE, {"input": {"displayName": NAME}})

    assert refusal(body, "customerCreate") == [(None, "NOT_ALLOWED")]
    assert await snapshot() == before
    (entry,) = _nodes(await audit_log(subject="client:bi"))
    assert (entry["operation"], entry["outcome"], entry["role"]) == (
        "create_customer", "NOT_ALLOWED", "ANALYTICS")
    assert entry["targetIds"] == []


async def test_an_invalid_input_is_logged_by_its_field_and_code_without_the_value(
    auditor: httpx.AsyncClient, audit_log: Callable[..., Awaitable[dict[str, Any]]],
    db: AsyncEngine,
) -> None:
    body = await _post(auditor, CUSTOMER_CREATE, {"input": {
        "displayName": NAME, "contactPoints": [{"kind": "EMAIL", "value": "li.na@@example"}],
    }})

    assert refusal(body, "customerCreate")
    (entry,) = _nodes(await audit_log(action="MUTATION"))
    assert entry["outcome"] == "INVALID"
    assert entry["detail"] == {"errors": [{"field": "contact_points.0.value",
                                           "code": "INVALID"}]}
    assert "li.na@@example" not in await _raw_rows(db)


async def test_a_change_is_logged_against_the_customer_it_changed(
    auditor: httpx.AsyncClient, shop: Shop, audit_log: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    customer = to_global_id("Customer", shop.customer_id)
    archive = """mutation($input: CustomerVersionInput!) {
        customerArchive(input: $input) { customer { id } userErrors { code } } }"""

    result(await _post(auditor, archive, {"input": {"id": customer}}), "customerArchive")

    (entry,) = _nodes(await audit_log(operation="archive_customer"))
    assert entry["targetIds"] == [str(shop.customer_id)]


# Reads of personal data


async def test_a_staff_read_of_a_birth_date_is_logged(
    client_as: ClientAs, shop: Shop, audit_log: Callable[..., Awaitable[dict[str, Any]]],
    db: AsyncEngine,
) -> None:
    clerk = await client_as(shop.clerk)

    body = await _post(clerk, BIRTH_DATE, {"id": to_global_id("Customer", shop.customer_id)})

    assert body["data"]["customer"]["birthDate"] == "1980-05-01"
    (entry,) = _nodes(await audit_log(action="READ"))
    assert (entry["operation"], entry["subject"], entry["role"]) == (
        "Profile", "staff:wang@brand.example", "STAFF")
    assert entry["staffId"] == str(shop.clerk.staff_id)
    assert entry["targetIds"] == [str(shop.customer_id)]
    assert entry["detail"]["fields"] == ["Customer.birthDate"]
    assert entry["outcome"] == "OK"
    _no_personal_data(await _raw_rows(db))


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "executed"])
async def test_a_personal_data_read_is_logged_on_both_execution_paths(
    client_as: ClientAs, shop: Shop, audit_log: Callable[..., Awaitable[dict[str, Any]]],
    compiled: bool,
) -> None:
    # A STAFF viewer's reads are always executed (her reach is checked field by field), so
    # the compiled path is shown with an identified ADMIN.
    admin = await client_as(Viewer(Role.ADMIN, "staff:boss@brand.example", staff_id=uuid4()),
                            compiled_reads=compiled)
    query = """query Contacts($id: ID!) {
        customer(id: $id) { displayName contactPoints { kind value } } }"""

    body = await _post(admin, query, {"id": to_global_id("Customer", shop.customer_id)})

    assert body["data"]["customer"]["contactPoints"] == [{"kind": "EMAIL", "value": EMAIL}]
    (entry,) = _nodes(await audit_log(action="READ"))
    assert entry["detail"] == {"fields": ["ContactPoint.value"], "compiled": compiled}
    assert entry["targetIds"] == [str(shop.customer_id)]


async def test_a_lookup_by_email_is_logged_without_the_email(
    client_as: ClientAs, shop: Shop, audit_log: Callable[..., Awaitable[dict[str, Any]]],
    db: AsyncEngine,
) -> None:
    clerk = await client_as(shop.clerk)

    body = await _post(clerk, "query($e: String) { customer(email: $e) { birthDate } }",
                       {"e": EMAIL})

    assert body["data"]["customer"]["birthDate"] == "1980-05-01"
    (entry,) = _nodes(await audit_log(action="READ"))
    assert entry["operation"] == "customer"  # an anonymous operation: its root fields
    assert entry["targetIds"] == []
    _no_personal_data(await _raw_rows(db))


async def test_personal_data_selected_through_fragments_and_interfaces_is_logged(
    client_as: ClientAs, shop: Shop, audit_log: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    clerk = await client_as(shop.clerk)
    query = """query Node($id: ID!) { node(id: $id) { ...Person } }
        fragment Person on Customer { household { birthDate } ... on Customer { birthDate } }"""

    await _post(clerk, query, {"id": to_global_id("Customer", shop.customer_id)})

    (entry,) = _nodes(await audit_log(action="READ"))
    assert entry["detail"]["fields"] == ["Customer.birthDate", "HouseholdMember.birthDate"]
    assert entry["targetIds"] == [str(shop.customer_id)]


async def test_a_read_without_personal_data_is_not_logged(
    client_as: ClientAs, shop: Shop, audit_log: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    clerk = await client_as(shop.clerk)

    await _post(clerk, "query($id: ID!) { customer(id: $id) { displayName tags } }",
                {"id": to_global_id("Customer", shop.customer_id)})

    assert _nodes(await audit_log(action="READ")) == []


async def test_a_storefront_read_of_its_member_is_not_logged(
    client_as: ClientAs, shop: Shop, audit_log: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    web_shop = await client_as(Viewer(Role.STOREFRONT, "client:web-shop", client_id=uuid4(),
                                      member_id=shop.customer_id))

    body = await _post(web_shop, BIRTH_DATE, {"id": to_global_id("Customer", shop.customer_id)})

    assert body["data"]["customer"]["birthDate"] == "1980-05-01"
    assert _nodes(await audit_log(action="READ")) == []


async def test_an_analytics_caller_without_the_personal_data_scope_is_not_logged(
    client_as: ClientAs, shop: Shop, audit_log: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    analyst = await client_as(Viewer(Role.ANALYTICS, "client:bi", client_id=uuid4()))

    await _post(analyst, BIRTH_DATE, {"id": to_global_id("Customer", shop.customer_id)})

    assert _nodes(await audit_log(action="READ")) == []


async def test_the_unidentified_development_caller_is_not_logged_for_reads(
    client: httpx.AsyncClient, shop: Shop, audit_log: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    await _post(client, BIRTH_DATE, {"id": to_global_id("Customer", shop.customer_id)})

    assert _nodes(await audit_log(action="READ")) == []


# Listing the log


async def test_the_audit_log_is_not_allowed_to_staff(client_as: ClientAs, shop: Shop) -> None:
    clerk = await client_as(shop.clerk)

    body = await _post(clerk, AUDIT_LOG)

    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "NOT_ALLOWED"


async def test_the_audit_log_pages_newest_first(
    auditor: httpx.AsyncClient, audit_log: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    for number in range(3):
        result(await _post(auditor, CUSTOMER_CREATE, {"input": {"displayName": f"C{number}"}}),
               "customerCreate")

    first = await audit_log(first=2)
    rest = await audit_log(first=2, after=first["pageInfo"]["endCursor"])

    entries = _nodes(first) + _nodes(rest)
    assert first["pageInfo"]["hasNextPage"]
    assert not rest["pageInfo"]["hasNextPage"]
    assert len(entries) == 3
    times = [entry["at"] for entry in entries]
    assert times == sorted(times, reverse=True)
    assert len({entry["targetIds"][0] for entry in entries}) == 3


async def test_the_audit_log_filters_by_subject_action_operation_target_and_time(
    client_as: ClientAs, shop: Shop, auditor: httpx.AsyncClient,
    audit_log: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    clerk = await client_as(shop.clerk)
    customer = to_global_id("Customer", shop.customer_id)
    await _post(clerk, BIRTH_DATE, {"id": customer})
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()

    by_subject = _nodes(await audit_log(subject="staff:wang@brand.example"))
    by_operation = _nodes(await audit_log(operation="create_staff"))
    about_customer = _nodes(await audit_log(targetId=customer))
    about_by_uuid = _nodes(await audit_log(targetId=str(shop.customer_id)))

    assert [e["operation"] for e in by_subject] == ["Profile"]
    assert [e["operation"] for e in by_operation] == ["create_staff"]
    assert [e["operation"] for e in about_customer] == ["Profile", "create_customer"]
    assert about_by_uuid == about_customer
    assert _nodes(await audit_log(since=future)) == []
    assert len(_nodes(await audit_log(until=future))) == 4  # store, staff, customer, read
