"""Who is asking, from the credentials a request presents, before any other work.

- An API key (`rk_…`) is an API client: its role, and for a partner its partner code.
- Any other bearer token is an OIDC access token from the brand's identity provider: the
  role from the `RAPPORT_JWT_ROLE_CLAIM` claim, and for STAFF the staff member with the
  token's `email`, whose store they work in.
- A STOREFRONT client acts for one member when it names them: `<system>:<value>`, one of
  the member's external references (a shop account, a card).
- No credentials: the anonymous role if settings give one (development), else refused.

Credentials that are present but wrong are always refused, whatever the anonymous role.
Where the credentials come from (which HTTP headers) is the API's business:
api/http/authentication.py.
"""

from dataclasses import dataclass, replace
from typing import Any, Protocol
from uuid import UUID

from domain.access.model import ApiClientIdentity
from domain.customers.queries import ByExternalRef, CustomerQueries
from domain.organisation.queries import OrganisationQueries
from domain.shared.access import Role, Viewer
from infrastructure.tokens import InvalidToken

ANONYMOUS_SUBJECT = "anonymous"


@dataclass(frozen=True)
class Credentials:
    """What a request presents: an API key, or another bearer token, and the member a
    storefront acts for."""

    api_key: str | None = None
    bearer_token: str | None = None
    member_ref: str | None = None


class Unauthenticated(Exception):
    """No credentials where some are needed, or credentials that prove nothing."""


class Forbidden(Exception):
    """Credentials that are valid but do not allow what the request claims."""


class ApiKeyVerifier(Protocol):
    async def verify(self, presented: str) -> ApiClientIdentity | None: ...


class TokenClaims(Protocol):
    async def claims(self, token: str) -> dict[str, Any]: ...


class Authenticator:
    def __init__(
        self, *, api_keys: ApiKeyVerifier, tokens: TokenClaims | None,
        staff: OrganisationQueries, members: CustomerQueries,
        anonymous_role: Role | None, role_claim: str,
    ) -> None:
        """`tokens` None: bearer tokens are not accepted (no identity provider configured)."""
        self._api_keys = api_keys
        self._tokens = tokens
        self._staff = staff
        self._members = members
        self._anonymous = Viewer(anonymous_role, ANONYMOUS_SUBJECT) if anonymous_role else None
        self._role_claim = role_claim

    async def viewer_of(self, credentials: Credentials) -> Viewer:
        viewer = await self._caller(credentials)
        if credentials.member_ref is None:
            return viewer
        if viewer.role is not Role.STOREFRONT:
            raise Forbidden("only STOREFRONT clients act for a member")
        return replace(viewer, member_id=await self._member(credentials.member_ref))

    async def _caller(self, credentials: Credentials) -> Viewer:
        if credentials.api_key is not None:
            return await self._client(credentials.api_key.strip())
        if credentials.bearer_token is not None:
            return await self._token_holder(credentials.bearer_token.strip())
        if self._anonymous is None:
            raise Unauthenticated("this API needs an API key or a bearer token")
        return self._anonymous

    async def _client(self, key: str) -> Viewer:
        identity = await self._api_keys.verify(key)
        if identity is None:
            raise Unauthenticated("the API key is not valid (unknown, revoked or expired)")
        return Viewer(identity.role, f"client:{identity.client_name}",
                      client_id=identity.client_id, partner_code=identity.partner_code)

    async def _token_holder(self, token: str) -> Viewer:
        if self._tokens is None:
            raise Unauthenticated("bearer tokens are not configured; use an API key")
        try:
            claims = await self._tokens.claims(token)
        except InvalidToken as error:
            raise Unauthenticated(str(error)) from error
        role = _role(claims.get(self._role_claim))
        if role is None:
            raise Forbidden(f"the token's {self._role_claim!r} claim names no Rapport role")
        email = claims.get("email")
        staff = await self._staff.staff_by_email(email) if email else None
        if role is Role.STAFF and staff is None:
            raise Forbidden("STAFF tokens need the `email` of a staff member")
        if staff is None:
            return Viewer(role, f"user:{claims['sub']}",
                          partner_code=claims.get("rapport_partner"))
        return Viewer(role, f"staff:{staff.email}", staff_id=staff.id,
                      store_ids=frozenset({staff.store_id}) if staff.store_id else frozenset())

    async def _member(self, reference: str) -> UUID:
        system, _, value = reference.partition(":")
        found = None
        if system and value:
            ref = ByExternalRef.of(system, value)  # as the customer rules stored it
            found = await self._members.by_external_ref(ref.system, ref.value)
        if found is None:
            raise Forbidden("the member reference names no member (expected <system>:<value>)")
        return found.id


def _role(claim: Any) -> Role | None:
    """The claim may be one role or a list of them (most providers emit lists)."""
    names = claim if isinstance(claim, list) else [claim]
    for name in names:
        if isinstance(name, str) and name.upper() in Role.__members__:
            return Role(name.upper())
    return None
