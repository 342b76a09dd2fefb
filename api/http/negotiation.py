"""GraphQL over HTTP, the request and the response (the GraphQL-over-HTTP spec): GET and
POST, `application/json` and `application/graphql-response+json`, spec status codes, and
request errors, which end a request before any execution.
"""

from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from graphql import OperationDefinitionNode, OperationType
from starlette.requests import Request
from starlette.responses import Response

from api.http.headers import headers_of
from infrastructure.bootstrap.edge import PersistedQueryError, PersistedQueryNotFound

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
# Apollo Server's answer to an unknown persisted hash: a 200 that no cache may keep, since
# the same request succeeds once the client has registered the query.
_NOT_FOUND_HEADERS = {"Cache-Control": "private, no-cache, must-revalidate"}


class RequestError(Exception):
    """The request can't be executed at all (GraphQL-over-HTTP "request error")."""

    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None,
                 code: str | None = None):
        super().__init__(message)
        self.status, self.headers, self.code = status, headers or {}, code

    @property
    def formatted(self) -> dict[str, Any]:
        if self.code is None:
            return {"message": str(self)}
        return {"message": str(self), "extensions": {"code": self.code}}


@dataclass(frozen=True)
class GraphQLParams:
    query: str
    variables: dict[str, Any]
    operation_name: str | None


class QueryTexts(Protocol):
    """The text a request runs, from its query, its persisted hash, or both."""

    def query_of(self, query: Any, extensions: Any = None, document_id: Any = None) -> str: ...


def wants_html(request: Request) -> bool:
    return request.method == "GET" and "text/html" in headers_of(request).get("accept", "")


def negotiate(accept: str) -> str:
    """The spec's preferred type when the client names it; plain JSON for legacy clients."""
    if not accept or GRAPHQL_RESPONSE in accept:
        return GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in accept else JSON
    if JSON in accept or "*/*" in accept or "application/*" in accept:
        return JSON
    raise RequestError(f"can answer only {GRAPHQL_RESPONSE} or {JSON}", status=406)


async def read_params(request: Request, max_bytes: int, texts: QueryTexts) -> GraphQLParams:
    if request.method == "GET":
        if len(request.url.query) > max_bytes:
            raise RequestError(f"the query string is over {max_bytes} bytes", status=414)
        raw: dict[str, Any] = dict(request.query_params)
        for name in ("variables", "extensions"):
            if name in raw:
                raw[name] = _json(raw[name], name)
    else:
        headers = headers_of(request)
        content_type = headers.get("content-type", "").split(";")[0].strip()
        if content_type != JSON:
            raise RequestError(f"POST needs Content-Type: {JSON}", status=415)
        if int(headers.get("content-length") or 0) > max_bytes:
            raise RequestError(f"the body is over {max_bytes} bytes", status=413)
        body = await request.body()
        if len(body) > max_bytes:
            raise RequestError(f"the body is over {max_bytes} bytes", status=413)
        raw = _json(body, "body")
        if not isinstance(raw, dict):
            raise RequestError("the body must be a JSON object")
    # A persisted operation's hash becomes its text first: caches and compiled reads go by text.
    try:
        query = texts.query_of(raw.get("query"), raw.get("extensions"), raw.get("documentId"))
    except PersistedQueryNotFound as error:  # Apollo clients then send the query again
        raise RequestError(str(error), 200, _NOT_FOUND_HEADERS, error.code) from error
    except PersistedQueryError as error:
        raise RequestError(str(error), code=error.code) from error
    variables, operation_name = raw.get("variables") or {}, raw.get("operationName")
    if not isinstance(variables, dict):
        raise RequestError("variables must be a JSON object")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError("operationName must be a string")
    return GraphQLParams(query, variables, operation_name)


def check_method(request: Request, operation: OperationDefinitionNode) -> None:
    if request.method == "GET" and operation.operation is not OperationType.QUERY:
        raise RequestError("only queries may use GET; send mutations with POST",
                           status=405, headers={"Allow": "POST"})


def respond(
    body: dict[str, Any], media_type: str, status: int, headers: dict[str, str] | None = None
) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media_type,
                    headers=headers)


def _json(text: str | bytes, what: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise RequestError(f"{what} is not valid JSON") from error
