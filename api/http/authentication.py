"""Who is asking: the credentials in a request's headers, checked by the authenticator the
composition root builds (infrastructure/authentication.py says what each one means).

- `Authorization: Bearer rk_…` or `X-Api-Key: rk_…`: an API key;
- any other `Authorization: Bearer …`: an access token from the identity provider;
- `Rapport-Member-Ref: <system>:<value>`: the member a STOREFRONT client acts for.

A refusal is a request error: 401 with a challenge when the credentials prove nothing,
403 when they do not allow what the request claims.
"""

from typing import Protocol

from starlette.requests import Request

from api.http.headers import headers_of
from api.http.negotiation import RequestError
from domain.shared.access import Viewer
from infrastructure.bootstrap.edge import Credentials, Forbidden, Unauthenticated

API_KEY_PREFIX = "rk_"
MEMBER_HEADER = "rapport-member-ref"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="rapport"'}


class Authenticator(Protocol):
    async def viewer_of(self, credentials: Credentials) -> Viewer: ...


async def viewer_of(request: Request, authenticator: Authenticator) -> Viewer:
    try:
        return await authenticator.viewer_of(credentials_of(request))
    except Unauthenticated as error:
        raise unauthenticated(str(error)) from error
    except Forbidden as error:
        raise RequestError(str(error), 403, code="FORBIDDEN") from error


def credentials_of(request: Request) -> Credentials:
    headers = headers_of(request)
    key = headers.get("x-api-key")
    scheme, _, token = headers.get("authorization", "").partition(" ")
    member_ref = headers.get(MEMBER_HEADER)
    if key is None and scheme.lower() == "bearer" and token.startswith(API_KEY_PREFIX):
        key = token
    if key is not None:
        return Credentials(api_key=key, member_ref=member_ref)
    if not scheme:
        return Credentials(member_ref=member_ref)
    if scheme.lower() != "bearer" or not token:
        raise unauthenticated("send credentials as `Authorization: Bearer …`")
    return Credentials(bearer_token=token, member_ref=member_ref)


def unauthenticated(message: str) -> RequestError:
    return RequestError(message, 401, CHALLENGE, code="UNAUTHENTICATED")
