"""Beyond her role, a viewer reaches only some customers: a clerk those of her
stores and those she looks after, and their cases; a web shop or till the member it acts
for. Reads obey it on both paths; writes are refused with NOT_ALLOWED and change nothing."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest

from api.graphql.relay import to_global_id
from domain.access.commands import CreateApiClient
from domain.cases.commands import OpenCase
from domain.cases.model import CaseKind
from domain.customers.commands import CreateCustomer, ExternalReferenceInput
from domain.organisation.commands import CreateStaff, CreateStore
from domain.shared.access import Role, Viewer
from infrastructure.bootstrap import Container
from tests.e2e.api import CUSTOMER_UPDATE, Snapshot

ClientAs = Callable[..., Awaitable[httpx.AsyncClient]]


@dataclass(frozen=True)
class Town:
    clerk: Viewer
    shop: Viewer
    local: str  # a customer of the clerk's store, with a shop account
    looked_after: str  # of another store, but the clerk is her owner
    stranger: str  # of another store
    local_case: str
    stranger_case: str


@pytest.fixture
async def town(container: Container) -> Town:
    run = container.use_cases
    westlake = await run.organisation.create_store(CreateStore("hz-westlake", "West Lake"))
    jingan = await run.organisation.create_store(CreateStore("sh-jingan", "Jing'an"))
    clerk = await run.organisation.create_staff(CreateStaff("Wang Fang", "wang@brand.example",
                                               store_id=westlake.id))

    async def customer(name: str, store: UUID, **profile: Any) -> UUID:
        refs = (ExternalReferenceInput("shop", name.lower()),)
        created = await run.customers.create_customer(CreateCustomer(
            profile={"display_name": name, "home_store_id": store, **profile},
            external_refs=refs))
        return created.id

    local = await customer("Li", westlake.id)
    looked_after = await customer("Zhao", jingan.id, owner_id=clerk.id)
    stranger = await customer("Lisa", jingan.id)
    local_case = await run.cases.open_case(OpenCase(CaseKind.COMPLAINT, "zip", local,
                                              store_id=westlake.id))
    stranger_case = await run.cases.open_case(OpenCase(CaseKind.COMPLAINT, "hem", stranger,
                                                 store_id=jingan.id))
    return Town(
        clerk=Viewer(Role.STAFF, "staff:wang@brand.example", staff_id=clerk.id,
                     store_ids=frozenset({westlake.id})),
        shop=Viewer(Role.STOREFRONT, "client:web-shop"),
        local=to_global_id("Customer", local), looked_after=to_global_id("Customer", looked_after),
        stranger=to_global_id("Customer", stranger),
        local_case=to_global_id("Case", local_case.id),
        stranger_case=to_global_id("Case", stranger_case.id),
    )


async def _data(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = response.json()
    return body


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "executed"])
async def test_a_clerk_lists_only_the_customers_of_her_stores_and_those_she_looks_after(
    town: Town, client_as: ClientAs, compiled: bool
) -> None:
    http = await client_as(town.clerk, compiled_reads=compiled)
    body = await _data(http, "{ customers(first: 10) { totalCount nodes { id } } }")

    listed = {node["id"] for node in body["data"]["customers"]["nodes"]}
    assert listed == {town.local, town.looked_after}
    assert body["data"]["customers"]["totalCount"] == 2


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "executed"])
async def test_a_clerk_lists_only_her_stores_cases(
    town: Town, client_as: ClientAs, compiled: bool
) -> None:
    http = await client_as(town.clerk, compiled_reads=compiled)
    body = await _data(http, "{ cases(first: 10) { nodes { id } } }")

    assert [node["id"] for node in body["data"]["cases"]["nodes"]] == [town.local_case]


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "executed"])
async def test_a_clerk_may_not_open_a_customer_of_another_store(
    town: Town, client_as: ClientAs, compiled: bool
) -> None:
    http = await client_as(town.clerk, compiled_reads=compiled)
    query = "query($id: ID!) { customer(id: $id) { displayName } }"

    assert (await _data(http, query, id=town.looked_after))["data"]["customer"] is not None
    refused = await _data(http, query, id=town.stranger)
    assert (_codes(refused), refused["data"]) == (["NOT_ALLOWED"], {"customer": None})


async def test_a_clerk_may_not_reach_another_stores_records_by_node(
    town: Town, client_as: ClientAs
) -> None:
    http = await client_as(town.clerk)
    query = "query($id: ID!) { node(id: $id) { id } }"

    assert (await _data(http, query, id=town.local_case))["data"]["node"] is not None
    for other in (town.stranger, town.stranger_case):
        assert _codes(await _data(http, query, id=other)) == ["NOT_ALLOWED"]


async def test_a_clerk_may_not_change_a_customer_of_another_store(
    town: Town, client_as: ClientAs, snapshot: Snapshot
) -> None:
    http = await client_as(town.clerk)
    before = await snapshot()
    body = await _data(http, CUSTOMER_UPDATE, input={"id": town.stranger, "occupation": "x"})

    assert body["data"]["customerUpdate"]["userErrors"] == [{
        "field": None, "code": "NOT_ALLOWED",
        "message": "this customer is outside what you may see"}]
    assert await snapshot() == before


async def test_a_clerk_may_not_work_another_stores_case(
    town: Town, client_as: ClientAs, snapshot: Snapshot
) -> None:
    http = await client_as(town.clerk)
    before = await snapshot()
    body = await _data(
        http, "mutation($input: CaseTransitionInput!) { caseStart(input: $input) "
              "{ case { id } userErrors { code } } }", input={"caseId": town.stranger_case})

    assert body["data"]["caseStart"] == {"case": None, "userErrors": [{"code": "NOT_ALLOWED"}]}
    assert await snapshot() == before


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "executed"])
async def test_a_web_shop_finds_a_member_by_her_shop_account_but_not_by_id(
    town: Town, client_as: ClientAs, compiled: bool
) -> None:
    http = await client_as(town.shop, compiled_reads=compiled)
    by_ref = await _data(http, '{ customer(externalRef: {system: "shop", value: "li"}) { id } }')
    by_id = await _data(http, "query($id: ID!) { customer(id: $id) { id } }", id=town.local)

    assert by_ref == {"data": {"customer": {"id": town.local}}}
    assert _codes(by_id) == ["NOT_ALLOWED"]


async def test_a_web_shop_acting_for_a_member_reads_and_edits_her_record_only(
    town: Town, client: httpx.AsyncClient, client_as: ClientAs, container: Container
) -> None:
    issued = await container.use_cases.access.create_api_client(
        CreateApiClient(name="web-shop", role=Role.STOREFRONT))
    key = issued.key
    as_member = {"authorization": f"Bearer {key}", "rapport-member-ref": "shop:li"}
    query = "query($id: ID!) { customer(id: $id) { displayName } }"

    async def ask(customer: str) -> dict[str, Any]:
        response = await client.post("/graphql", headers=as_member,
                                     json={"query": query, "variables": {"id": customer}})
        body: dict[str, Any] = response.json()
        return body

    assert (await ask(town.local))["data"] == {"customer": {"displayName": "Li"}}
    assert _codes(await ask(town.stranger)) == ["NOT_ALLOWED"]


async def test_a_member_reference_is_read_as_the_customer_rules_store_it(
    town: Town, client: httpx.AsyncClient, container: Container
) -> None:
    issued = await container.use_cases.access.create_api_client(
        CreateApiClient(name="web-shop", role=Role.STOREFRONT))
    headers = {"authorization": f"Bearer {issued.key}", "rapport-member-ref": " SHOP : li "}

    response = await client.post("/graphql", headers=headers, json={
        "query": "query($id: ID!) { customer(id: $id) { displayName } }",
        "variables": {"id": town.local}})

    assert response.json()["data"] == {"customer": {"displayName": "Li"}}


async def test_only_a_storefront_may_act_for_a_member(
    town: Town, client: httpx.AsyncClient
) -> None:
    response = await client.post("/graphql", json={"query": "{ stores { id } }"},
                                 headers={"rapport-member-ref": "shop:li"})

    assert response.status_code == 403
    assert _codes(response.json()) == ["FORBIDDEN"]
