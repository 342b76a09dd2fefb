"""Who is asking, from the request's credentials, before any other work.

- An API key (`Authorization: Bearer rk_…` or `X-Api-Key: rk_…`) is an API client: its role,
  and for a partner its partner code.
- Any other bearer token is an OIDC access token from the brand's identity provider: the
  role from the `RAPPORT_JWT_ROLE_CLAIM` claim, and for STAFF the staff member with the
  token's `email`, whose store she works in.
- A STOREFRONT client acts for one member when it names her: `Rapport-Member-Ref:
  <system>:<value>`, one of the member's external references (her shop account, her card).
- No credentials: the anonymous role if settings give one (development), else 401.

Credentials that are present but wrong are always refused, whatever the anonymous role.
"""

from dataclasses import replace
from typing import Any, Protocol
from uuid import UUID

from starlette.requests import Request

from api.http.graphql_endpoint import RequestError
from domain.shared.access import Role, Viewer
from infrastructure.bootstrap import Container
from infrastructure.tokens import InvalidToken

API_KEY_PREFIX = "rk_"
MEMBER_HEADER = "rapport-member-ref"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="rapport"'}


class ApiClientIdentity(Protocol):
    client_id: UUID
    client_name: str
    role: Role
    partner_code: str | None


def unauthenticated(message: str) -> RequestError:
    return RequestError(message, 401, CHALLENGE, code="UNAUTHENTICATED")


def forbidden(message: str) -> RequestError:
    return RequestError(message, 403, code="FORBIDDEN")


class Authenticator:
    def __init__(self, *, anonymous_role: Role | None, accept_tokens: bool,
                 role_claim: str) -> None:
        self._anonymous = Viewer(anonymous_role, "anonymous") if anonymous_role else None
        self._accept_tokens = accept_tokens
        self._role_claim = role_claim

    async def viewer_of(self, request: Request, container: Container) -> Viewer:
        viewer = await self._caller(request, container)
        member_ref = request.headers.get(MEMBER_HEADER)
        if member_ref is None:
            return viewer
        if viewer.role is not Role.STOREFRONT:
            raise forbidden(f"only STOREFRONT clients act for a member ({MEMBER_HEADER})")
        return replace(viewer, member_id=await _member(container, member_ref))

    async def _caller(self, request: Request, container: Container) -> Viewer:
        key = request.headers.get("x-api-key")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if key is None and scheme.lower() == "bearer" and token.startswith(API_KEY_PREFIX):
            key = token
        if key is not None:
            return await _client(container, key.strip())
        if scheme:
            if scheme.lower() != "bearer" or not token:
                raise unauthenticated("send credentials as `Authorization: Bearer …`")
            return await self._token_holder(container, token.strip())
        if self._anonymous is None:
            raise unauthenticated("this API needs an API key or a bearer token")
        return self._anonymous

    async def _token_holder(self, container: Container, token: str) -> Viewer:
        if container.tokens is None or not self._accept_tokens:
            raise unauthenticated("bearer tokens are not configured; use an API key")
        try:
            claims = await container.tokens.claims(token)
        except InvalidToken as error:
            raise unauthenticated(str(error)) from error
        role = _role(claims.get(self._role_claim))
        if role is None:
            raise forbidden(f"the token's {self._role_claim!r} claim names no Rapport role")
        email = claims.get("email")
        staff = await container.queries.organisation.staff_by_email(email) if email else None
        if role is Role.STAFF and staff is None:
            raise forbidden("STAFF tokens need the `email` of a staff member")
        if staff is None:
            return Viewer(role, f"user:{claims['sub']}",
                          partner_code=claims.get("rapport_partner"))
        return Viewer(role, f"staff:{staff.email}", staff_id=staff.id,
                      store_ids=frozenset({staff.store_id}) if staff.store_id else frozenset())


async def _client(container: Container, key: str) -> Viewer:
    identity: ApiClientIdentity | None = await container.api_keys.verify(key)
    if identity is None:
        raise unauthenticated("the API key is not valid (unknown, revoked or expired)")
    return Viewer(identity.role, f"client:{identity.client_name}",
                  client_id=identity.client_id, partner_code=identity.partner_code)


async def _member(container: Container, reference: str) -> UUID:
    system, _, value = reference.partition(":")
    found = None
    if system and value:
        found = await container.queries.customers.by_external_ref(system.strip(), value.strip())
    if found is None:
        raise forbidden(f"{MEMBER_HEADER} names no member (expected <system>:<value>)")
    return found.id


def _role(claim: Any) -> Role | None:
    """The claim may be one role or a list of them (most providers emit lists)."""
    names = claim if isinstance(claim, list) else [claim]
    for name in names:
        if isinstance(name, str) and name.upper() in Role.__members__:
            return Role(name.upper())
    return None
