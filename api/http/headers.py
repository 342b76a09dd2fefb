"""A request's headers by name, read once per request.

Starlette's `Headers` scans the header list on every lookup, and a missing header costs a
KeyError inside `get`: the endpoint asks for eight (media type, length, credentials,
request id), which took longer than parsing the body. This dict is made from the ASGI
scope the first time one is asked for and kept in the scope, so every job of the request
shares it. Names are lower case (ASGI gives them so); of a repeated header, the first
counts, as in Starlette.
"""

from collections.abc import Mapping

from starlette.requests import HTTPConnection

_IN_SCOPE = "rapport.headers"


def headers_of(request: HTTPConnection) -> Mapping[str, str]:
    scope = request.scope
    headers: dict[str, str] | None = scope.get(_IN_SCOPE)
    if headers is None:
        headers = {}
        for name, value in scope["headers"]:
            headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        scope[_IN_SCOPE] = headers
    return headers
