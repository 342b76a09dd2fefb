"""Who is asking: bearer tokens from the identity provider, the member a storefront acts
for, and callers without credentials. API keys: tests/e2e/test_api_clients.py."""

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from api.graphql.relay import to_global_id
from domain.customers.commands import CreateCustomer, ExternalReferenceInput
from domain.organisation.commands import CreateStaff, CreateStore
from domain.shared.access import Role
from infrastructure.bootstrap import Container
from infrastructure.settings import Settings
from tests.conftest import StatementCounter

ISSUER, AUDIENCE = "https://login.brand.example/", "rapport"
WHO_AM_I = "{ stores { code } }"
PROFILE = "query($id: ID!) { customer(id: $id) { displayName } }"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


PROVIDER_KEY, FORGER_KEY = _key(), _key()


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def token(key: rsa.RSAPrivateKey = PROVIDER_KEY, lifetime: timedelta = timedelta(minutes=5),
          **claims: Any) -> str:
    now = datetime.now(UTC)
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "iat": now,
            "exp": now + lifetime, **claims}
    return jwt.encode(body, key, algorithm="RS256")


def bearer(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}"}


@pytest.fixture(name="settings")
def authenticating_settings(settings: Settings) -> Settings:
    """As in production: no anonymous role; tokens from one provider key."""
    return replace(settings, anonymous_role=None, jwt_issuer=ISSUER, jwt_audience=AUDIENCE,
                   jwt_public_key=_pem(PROVIDER_KEY), jwt_algorithms=("RS256",))


@pytest.fixture
async def westlake(container: Container) -> dict[str, str]:
    """A store, its clerk, one of its customers (with a shop account) and a stranger."""
    store = await container.use_cases.organisation.create_store(
        CreateStore("hz-westlake", "West Lake"))
    other = await container.use_cases.organisation.create_store(CreateStore("sh-jingan", "Jing'an"))
    await container.use_cases.organisation.create_staff(
        CreateStaff("Wang Fang", "wang@brand.example", store_id=store.id))
    local = await container.use_cases.customers.create_customer(CreateCustomer(
        profile={"display_name": "Mrs. Li", "home_store_id": store.id},
        external_refs=(ExternalReferenceInput("shop", "li-001"),)))
    stranger = await container.use_cases.customers.create_customer(CreateCustomer(
        profile={"display_name": "Lisa", "home_store_id": other.id}))
    return {"local": to_global_id("Customer", local.id),
            "stranger": to_global_id("Customer", stranger.id)}


async def _ask(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None,
               /, **headers: str) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables or {}},
                             headers=headers)


def _code(response: httpx.Response) -> str:
    (error,) = response.json()["errors"]
    return str(error["extensions"]["code"])


async def test_a_caller_without_credentials_is_refused_before_any_sql(
    client: httpx.AsyncClient, statement_counter: StatementCounter
) -> None:
    with statement_counter() as statements:
        response = await _ask(client, WHO_AM_I)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert _code(response) == "UNAUTHENTICATED"
    assert statements == []


async def test_a_valid_staff_token_reaches_the_customers_of_her_store(
    client: httpx.AsyncClient, westlake: dict[str, str]
) -> None:
    staff = bearer(token(email="Wang@Brand.example", rapport_role="STAFF"))
    mine = await _ask(client, PROFILE, {"id": westlake["local"]}, **staff)
    theirs = await _ask(client, PROFILE, {"id": westlake["stranger"]}, **staff)

    assert mine.json() == {"data": {"customer": {"displayName": "Mrs. Li"}}}
    assert _code(theirs) == "NOT_ALLOWED"


@pytest.mark.parametrize(("make_token", "reason"), [
    (lambda: token(lifetime=timedelta(minutes=-5), rapport_role="ADMIN"), "expired"),
    (lambda: token(aud="another-api", rapport_role="ADMIN"), "another audience"),
    (lambda: token(iss="https://evil.example/", rapport_role="ADMIN"), "another issuer"),
    (lambda: token(key=FORGER_KEY, rapport_role="ADMIN"), "not valid"),
    (lambda: "not-a-jwt", "not valid"),
], ids=["expired", "audience", "issuer", "forged", "garbage"])
async def test_a_stale_or_foreign_token_is_refused(
    client: httpx.AsyncClient, make_token: Callable[[], str], reason: str
) -> None:
    response = await _ask(client, WHO_AM_I, **bearer(make_token()))

    assert response.status_code == 401
    assert _code(response) == "UNAUTHENTICATED"
    assert reason in response.json()["errors"][0]["message"]


async def test_a_token_without_a_rapport_role_is_forbidden(client: httpx.AsyncClient) -> None:
    response = await _ask(client, WHO_AM_I, **bearer(token(rapport_role="SUPERUSER")))

    assert (response.status_code, _code(response)) == (403, "FORBIDDEN")


async def test_a_staff_token_must_name_a_staff_member(client: httpx.AsyncClient) -> None:
    response = await _ask(client, WHO_AM_I,
                          **bearer(token(email="nobody@brand.example", rapport_role="STAFF")))

    assert (response.status_code, _code(response)) == (403, "FORBIDDEN")


async def test_roles_may_come_as_a_list_claim(client: httpx.AsyncClient) -> None:
    response = await _ask(client, WHO_AM_I,
                          **bearer(token(rapport_role=["offline_access", "analytics"])))

    assert response.json() == {"data": {"stores": []}}


async def test_an_analytics_token_may_not_read_customers(
    client: httpx.AsyncClient, westlake: dict[str, str]
) -> None:
    response = await _ask(client, PROFILE, {"id": westlake["local"]},
                          **bearer(token(rapport_role="ANALYTICS")))

    assert _code(response) == "NOT_ALLOWED"
    assert response.json()["data"] == {"customer": None}


async def test_bearer_tokens_are_refused_when_no_provider_is_configured(
    client_with: Callable[..., Any],
) -> None:
    http = await client_with(jwt_issuer=None, jwt_audience=None, jwt_public_key=None)
    response = await _ask(http, WHO_AM_I, **bearer(token(rapport_role="ADMIN")))

    assert response.status_code == 401
    assert "not configured" in response.json()["errors"][0]["message"]


async def test_an_anonymous_role_lets_callers_without_credentials_in(
    client_with: Callable[..., Any],
) -> None:
    http = await client_with(anonymous_role=Role.ANALYTICS)
    response = await _ask(http, WHO_AM_I)

    assert response.json() == {"data": {"stores": []}}
