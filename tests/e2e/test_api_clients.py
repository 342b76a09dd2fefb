"""apiClientCreate, apiKeyRotate, apiClientRevoke and apiClients over HTTP: the secret shown
once, keys that work and stop working, refusals that change nothing, ADMIN only."""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from graphql import GraphQLObjectType
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.graphql.schema import schema
from domain.shared.access import Role, Viewer
from infrastructure.bootstrap import Container
from infrastructure.postgres.tables import ALL_TABLES
from tests.contract import records
from tests.e2e.api import USER_ERRORS, Gql, Snapshot, gql_of, refused, unknown_id

CLIENT_FIELDS = """
fragment ApiClientFields on ApiClient {
  id name role partnerCode createdAt revokedAt
  keys { id prefix createdAt expiresAt revokedAt lastUsedAt }
}
"""
API_CLIENT_CREATE = f"""
mutation($input: ApiClientCreateInput!) {{
  apiClientCreate(input: $input) {{ apiClient {{ ...ApiClientFields }} secret {USER_ERRORS} }}
}}
{CLIENT_FIELDS}
"""
API_KEY_ROTATE = f"""
mutation($input: ApiKeyRotateInput!) {{
  apiKeyRotate(input: $input) {{ apiClient {{ ...ApiClientFields }} secret {USER_ERRORS} }}
}}
{CLIENT_FIELDS}
"""
API_CLIENT_REVOKE = f"""
mutation($input: ApiClientRevokeInput!) {{
  apiClientRevoke(input: $input) {{ apiClient {{ ...ApiClientFields }} {USER_ERRORS} }}
}}
{CLIENT_FIELDS}
"""
API_CLIENTS = f"query {{ apiClients {{ ...ApiClientFields }} }}\n{CLIENT_FIELDS}"

ClientAs = Callable[..., Awaitable[httpx.AsyncClient]]
STAFF = Viewer(Role.STAFF, "staff:ana")


def _succeeded(body: dict[str, Any], mutation: str) -> dict[str, Any]:
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][mutation]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def _create(gql: Gql, name: str = "web-shop", role: str = "STOREFRONT",
                  **fields: Any) -> dict[str, Any]:
    body = await gql(API_CLIENT_CREATE, {"input": {"name": name, "role": role, **fields}})
    return _succeeded(body, "apiClientCreate")


async def _rotate(gql: Gql, client_id: str, **fields: Any) -> dict[str, Any]:
    body = await gql(API_KEY_ROTATE, {"input": {"apiClientId": client_id, **fields}})
    return _succeeded(body, "apiKeyRotate")


async def _revoke(gql: Gql, client_id: str) -> dict[str, Any]:
    body = await gql(API_CLIENT_REVOKE, {"input": {"apiClientId": client_id}})
    return _succeeded(body, "apiClientRevoke")


async def _tables_holding(db: AsyncEngine, needle: str) -> list[str]:
    """The tables with a row whose text contains `needle`."""
    async with db.connect() as connection:
        return [
            table.name for table in ALL_TABLES
            if (await connection.execute(
                text(f"SELECT count(*) FROM {table.name} AS t WHERE strpos(t::text, :needle) > 0"),
                {"needle": needle},
            )).scalar_one()
        ]


# --- apiClientCreate ---------------------------------------------------------------------------


async def test_create_answers_the_client_and_its_key_once(gql: Gql) -> None:
    created = await _create(gql, " web-shop ", "STOREFRONT")

    client, secret = created["apiClient"], created["secret"]
    assert (client["name"], client["role"], client["partnerCode"]) == ("web-shop", "STOREFRONT",
                                                                       None)
    (key,) = client["keys"]
    assert secret.startswith(f"rk_{key['prefix']}_")
    assert (key["expiresAt"], key["revokedAt"], key["lastUsedAt"]) == (None, None, None)


async def test_the_secret_is_stored_nowhere_and_never_listed(
    gql: Gql, db: AsyncEngine
) -> None:
    secret = (await _create(gql))["secret"]
    _, _, secret_part = secret.split("_", 2)

    assert await _tables_holding(db, secret_part) == []
    listed = await gql(API_CLIENTS)
    assert secret_part not in str(listed)


def test_no_field_of_a_key_can_give_its_secret_or_hash() -> None:
    api_key = schema._schema.type_map["ApiKey"]
    assert isinstance(api_key, GraphQLObjectType)
    fields = api_key.fields
    assert not [name for name in fields if "secret" in name.lower() or "hash" in name.lower()]


async def test_a_created_key_authenticates_its_client(gql: Gql, container: Container) -> None:
    async with container.uow_factory() as uow:  # a partner's key works while it is active
        await uow.partners.add(records.a_partner(container.clock.now(), "wanda-cinema"))
        await uow.commit()
    created = await _create(gql, "cinema", "PARTNER", partnerCode="wanda-cinema")

    identity = await container.api_keys.verify(created["secret"])

    assert identity is not None
    assert (identity.client_name, identity.role, identity.partner_code) == (
        "cinema", Role.PARTNER, "wanda-cinema")


async def test_create_without_a_name_is_required(gql: Gql, snapshot: Snapshot) -> None:
    errors = await refused(gql, snapshot, API_CLIENT_CREATE, "apiClientCreate",
                            {"name": " ", "role": "STAFF"})
    assert errors == [(["name"], "REQUIRED")]


async def test_a_partner_client_without_partner_code_is_refused(
    gql: Gql, snapshot: Snapshot
) -> None:
    errors = await refused(gql, snapshot, API_CLIENT_CREATE, "apiClientCreate",
                            {"name": "cinema", "role": "PARTNER"})
    assert errors == [(["partnerCode"], "REQUIRED")]


async def test_a_partner_code_on_another_role_is_invalid(gql: Gql, snapshot: Snapshot) -> None:
    errors = await refused(gql, snapshot, API_CLIENT_CREATE, "apiClientCreate",
                            {"name": "pos", "role": "STOREFRONT", "partnerCode": "wanda"})
    assert errors == [(["partnerCode"], "INVALID")]


async def test_the_name_of_an_active_client_is_a_duplicate(
    gql: Gql, snapshot: Snapshot
) -> None:
    await _create(gql, "web-shop")
    errors = await refused(gql, snapshot, API_CLIENT_CREATE, "apiClientCreate",
                            {"name": "web-shop", "role": "STAFF"})
    assert errors == [(["name"], "DUPLICATE")]


async def test_an_unknown_role_is_a_graphql_error(gql: Gql, snapshot: Snapshot) -> None:
    before = await snapshot()
    body = await gql(API_CLIENT_CREATE, {"input": {"name": "x", "role": "ROOT"}})
    assert body["errors"]
    assert await snapshot() == before


# --- apiKeyRotate ------------------------------------------------------------------------------


async def test_rotate_answers_a_new_key_and_ends_the_old_one_after_the_overlap(
    gql: Gql, container: Container
) -> None:
    created = await _create(gql)
    client_id = created["apiClient"]["id"]

    rotated = await _rotate(gql, client_id, overlapHours=2)

    old, new = rotated["apiClient"]["keys"]
    assert rotated["secret"].startswith(f"rk_{new['prefix']}_")
    assert rotated["secret"] != created["secret"]
    ends_in = datetime.fromisoformat(old["expiresAt"]) - datetime.fromisoformat(new["createdAt"])
    assert ends_in == timedelta(hours=2)
    assert new["expiresAt"] is None
    assert await container.api_keys.verify(created["secret"]) is not None
    assert await container.api_keys.verify(rotated["secret"]) is not None


async def test_rotate_without_overlap_ends_the_old_key_at_once(
    gql: Gql, container: Container
) -> None:
    created = await _create(gql)
    rotated = await _rotate(gql, created["apiClient"]["id"], overlapHours=0)
    assert await container.api_keys.verify(created["secret"]) is None
    assert await container.api_keys.verify(rotated["secret"]) is not None


async def test_rotate_with_a_negative_overlap_is_invalid(gql: Gql, snapshot: Snapshot) -> None:
    client_id = (await _create(gql))["apiClient"]["id"]
    errors = await refused(gql, snapshot, API_KEY_ROTATE, "apiKeyRotate",
                            {"apiClientId": client_id, "overlapHours": -1})
    assert errors == [(["overlapHours"], "INVALID")]


@pytest.mark.parametrize(("client_id", "code"), [
    ("not-an-id", "INVALID"), (unknown_id("ApiClient"), "NOT_FOUND"),
    (unknown_id("Customer"), "NOT_FOUND"),
])
async def test_rotate_of_no_client_is_refused(
    gql: Gql, snapshot: Snapshot, client_id: str, code: str
) -> None:
    errors = await refused(gql, snapshot, API_KEY_ROTATE, "apiKeyRotate",
                            {"apiClientId": client_id})
    assert errors == [(["apiClientId"], code)]


async def test_rotate_of_a_revoked_client_is_an_invalid_transition(
    gql: Gql, snapshot: Snapshot
) -> None:
    client_id = (await _create(gql))["apiClient"]["id"]
    await _revoke(gql, client_id)
    errors = await refused(gql, snapshot, API_KEY_ROTATE, "apiKeyRotate",
                            {"apiClientId": client_id})
    assert errors == [(["apiClientId"], "INVALID_TRANSITION")]


# --- apiClientRevoke ---------------------------------------------------------------------------


async def test_revoke_ends_every_key_of_the_client_at_once(
    gql: Gql, container: Container
) -> None:
    created = await _create(gql)
    client_id = created["apiClient"]["id"]
    rotated = await _rotate(gql, client_id)

    revoked = (await _revoke(gql, client_id))["apiClient"]

    assert revoked["revokedAt"] is not None
    assert [k["revokedAt"] for k in revoked["keys"]] == [revoked["revokedAt"]] * 2
    assert await container.api_keys.verify(created["secret"]) is None
    assert await container.api_keys.verify(rotated["secret"]) is None


async def test_revoke_of_an_unknown_client_is_not_found(gql: Gql, snapshot: Snapshot) -> None:
    errors = await refused(gql, snapshot, API_CLIENT_REVOKE, "apiClientRevoke",
                            {"apiClientId": unknown_id("ApiClient")})
    assert errors == [(["apiClientId"], "NOT_FOUND")]


# --- apiClients --------------------------------------------------------------------------------


async def test_clients_are_listed_with_their_keys_and_last_use(
    gql: Gql, container: Container
) -> None:
    first = await _create(gql, "web-shop")
    await _create(gql, "cinema", "PARTNER", partnerCode="wanda")
    await container.api_keys.verify(first["secret"])

    listed = (await gql(API_CLIENTS))["data"]["apiClients"]

    assert [(c["name"], c["role"]) for c in listed] == [("web-shop", "STOREFRONT"),
                                                         ("cinema", "PARTNER")]
    assert listed[0]["keys"][0]["lastUsedAt"] is not None
    assert listed[1]["keys"][0]["lastUsedAt"] is None


# --- not allowed -------------------------------------------------------------------------------


@pytest.mark.parametrize(("document", "mutation", "fields"), [
    (API_CLIENT_CREATE, "apiClientCreate", {"name": "mine", "role": "ADMIN"}),
    (API_KEY_ROTATE, "apiKeyRotate", {"apiClientId": "CLIENT"}),
    (API_CLIENT_REVOKE, "apiClientRevoke", {"apiClientId": "CLIENT"}),
], ids=["create", "rotate", "revoke"])
async def test_staff_may_not_manage_api_clients(
    gql: Gql, client_as: ClientAs, snapshot: Snapshot,
    document: str, mutation: str, fields: dict[str, Any],
) -> None:
    client_id = (await _create(gql))["apiClient"]["id"]
    fields = {k: client_id if v == "CLIENT" else v for k, v in fields.items()}
    staff_gql = gql_of(await client_as(STAFF))

    errors = await refused(staff_gql, snapshot, document, mutation, fields)

    assert errors == [(None, "NOT_ALLOWED")]


@pytest.mark.parametrize("compiled_reads", [True, False], ids=["compiled", "executed"])
async def test_staff_may_not_list_api_clients(
    gql: Gql, client_as: ClientAs, compiled_reads: bool
) -> None:
    await _create(gql)
    staff_gql = gql_of(await client_as(STAFF, compiled_reads=compiled_reads))

    body = await staff_gql(API_CLIENTS)

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_ALLOWED"]
    assert "web-shop" not in str(body)


async def test_staff_learn_nothing_from_the_id_they_send(
    client_as: ClientAs, snapshot: Snapshot
) -> None:
    staff_gql = gql_of(await client_as(STAFF))
    errors = await refused(staff_gql, snapshot, API_KEY_ROTATE, "apiKeyRotate",
                           {"apiClientId": "not-an-id"})
    assert errors == [(None, "NOT_ALLOWED")]
