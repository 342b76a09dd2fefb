"""GraphQL over HTTP (the GraphQL-over-HTTP spec): GET and POST, `application/json` and
`application/graphql-response+json`, spec status codes, GraphiQL for browsers.

Parsed and validated documents are cached by query text, so a repeated operation goes
straight to execution. Unexpected errors are masked: the client gets an error id, the log
gets the traceback.
"""

import contextlib
import functools
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import get_variable_values
from opentelemetry import trace
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.http.ides import get_graphql_ide_html

from api.graphql.compiled.fast_path import FastPath
from api.graphql.errors import refusal_message
from api.graphql.permissions import may_compile
from api.graphql.visibility import FIELD_RULES
from api.http.audit import ReadAudit, request_id_of
from api.http.limits import QueryLimits, limit_rule
from api.http.persisted_queries import IntrospectionDisabled, PersistedQueries, PersistedQueryError
from api.http.rate_limits import RateLimited, RateLimiter
from domain.shared.errors import DomainError
from infrastructure.postgres.compiled.compiler import Statement

log = logging.getLogger("rapport.graphql")
tracer = trace.get_tracer("rapport.graphql")

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"


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


@dataclass(frozen=True)
class PreparedDocument:
    document: DocumentNode | None
    errors: list[GraphQLError]


class GraphQLEndpoint:
    def __init__(
        self, schema: GraphQLSchema, context: Callable[[Request], Awaitable[Any]], *,
        graphiql: bool, cache_size: int, fast_path: FastPath | None = None,
        limits: QueryLimits = QueryLimits(), max_body_bytes: int = 1_000_000,
        introspection: bool = True, persisted: PersistedQueries | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self._schema = schema
        self._context = context
        self._fast_path = fast_path
        self._limits = limits
        self._rules = [*specified_rules, limit_rule(limits),
                       *([] if introspection else [IntrospectionDisabled])]
        self._persisted = persisted or PersistedQueries(cache_size=cache_size)
        self._rate_limiter = rate_limiter
        self._max_body_bytes = max_body_bytes
        self._graphiql = graphiql
        self.prepare = functools.lru_cache(maxsize=cache_size)(self._parse_and_validate)
        self._read_audit = ReadAudit(schema, FIELD_RULES, cache_size)  # reads of personal data

    async def handle(self, request: Request) -> Response:
        """The answer, with the caller's rate-limit budget in its headers when one applies."""
        budget: dict[str, str] = {}
        response = await self._answer(request, budget)
        response.headers.update(budget)
        return response

    async def _answer(self, request: Request, budget: dict[str, str]) -> Response:
        if self._graphiql and _wants_html(request) and "query" not in request.query_params:
            return HTMLResponse(get_graphql_ide_html())
        try:
            media_type = _negotiate(request.headers.get("accept", ""))
        except RequestError as error:
            return Response(str(error), status_code=error.status, media_type="text/plain")
        try:
            context = await self._context(request)  # who is asking, before any other work
            if self._rate_limiter is not None:  # before any SQL: a refused caller costs nothing
                budget.update(await self._rate_limiter.admit(context.viewer, request))
            params = await _read_params(request, self._max_body_bytes, self._persisted)
            with request_id_of(request):  # for the audit entries written meanwhile
                result = await self._run(request, params, context)
        except (RequestError, RateLimited, PersistedQueryError) as error:
            return _respond({"errors": [error.formatted]}, media_type, error.status,
                            error.headers)
        except _InvalidDocument as invalid:
            status = 400 if media_type == GRAPHQL_RESPONSE else 200
            return _respond({"errors": [e.formatted for e in invalid.errors]}, media_type, status)
        if isinstance(result, bytes):
            return Response(result, media_type=media_type)
        return _respond(_formatted(result), media_type, 200)

    def _parse_and_validate(self, query: str) -> PreparedDocument:
        try:
            document = parse(query, max_tokens=self._limits.max_tokens)
        except GraphQLError as error:
            if "tokens" in error.message:  # graphql-core stopped at max_tokens
                error.extensions = {"code": "QUERY_TOO_LARGE"}
            return PreparedDocument(None, [error])
        errors = validate(self._schema, document, self._rules)
        return PreparedDocument(None if errors else document, errors)

    async def _run(
        self, request: Request, params: GraphQLParams, context: Any
    ) -> ExecutionResult | bytes:
        """The result to format, or the finished body of a compiled read."""
        prepared = self.prepare(params.query)
        if prepared.document is None:
            raise _InvalidDocument(prepared.errors)
        operation = get_operation_ast(prepared.document, params.operation_name)
        if operation is None:
            raise RequestError("no operation with that name, or several and no operationName")
        _check_method(request, operation)
        coerced = get_variable_values(
            self._schema, operation.variable_definitions or (), params.variables
        )
        if isinstance(coerced, list):
            raise _InvalidDocument(coerced)
        with _operation_span(operation) as span:
            statement = self._compiled(context, params, prepared.document, operation, coerced)
            span.set_attribute("rapport.compiled", statement is not None)
            if statement is not None:
                answer = await _answer_compiled(context, statement)
                await self._read_audit.record(context, params, prepared.document, operation,
                                              coerced, answer)
                return answer
            result = execute(
                self._schema, prepared.document, context_value=context,
                variable_values=params.variables, operation_name=params.operation_name,
            )
            if not isinstance(result, ExecutionResult):
                result = await result
        await self._read_audit.record(context, params, prepared.document, operation, coerced,
                                      result)
        return result

    def _compiled(
        self, context: Any, params: GraphQLParams, document: DocumentNode,
        operation: OperationDefinitionNode, variables: dict[str, Any],
    ) -> Statement | None:
        """The one statement answering this query, if it compiles and its arguments bind."""
        if self._fast_path is None or operation.operation is not OperationType.QUERY:
            return None
        compiled = self._fast_path.compiled(
            params.query, params.operation_name, document, operation, variables)
        if compiled is None:
            return None
        plan, arguments = compiled
        if not may_compile(context.viewer, plan.root_fields):
            return None
        try:
            return plan.statement(arguments, context.viewer.scopes,
                                  context.container.clock.now())
        except DomainError:  # a bad cursor: normal execution answers with the error
            return None


async def _answer_compiled(context: Any, statement: Statement) -> bytes:
    try:
        data = await context.container.queries.compiled.data_json(statement)
    except Exception:
        error_id = uuid.uuid4().hex
        log.exception("unexpected error %s in a compiled read", error_id)
        return orjson.dumps({"errors": [{
            "message": "Internal server error",
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
        }], "data": None})
    return b'{"data":' + data + b"}"


def _operation_span(operation: OperationDefinitionNode) -> Any:
    """A span per operation when tracing is on. Off, even the API's no-op span costs a
    measurable share of a compiled read, so there is none."""
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return contextlib.nullcontext(trace.INVALID_SPAN)
    name = operation.name.value if operation.name else "anonymous"
    return tracer.start_as_current_span(
        f"{operation.operation.value} {name}",
        attributes={"graphql.operation.type": operation.operation.value,
                    "graphql.operation.name": name},
    )


class _InvalidDocument(Exception):
    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__("invalid document")
        self.errors = errors


def _wants_html(request: Request) -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("accept", "")


def _negotiate(accept: str) -> str:
    """The spec's preferred type when the client names it; plain JSON for legacy clients."""
    if not accept or GRAPHQL_RESPONSE in accept:
        return GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in accept else JSON
    if JSON in accept or "*/*" in accept or "application/*" in accept:
        return JSON
    raise RequestError(f"can answer only {GRAPHQL_RESPONSE} or {JSON}", status=406)


async def _read_params(
    request: Request, max_bytes: int, persisted: PersistedQueries
) -> GraphQLParams:
    if request.method == "GET":
        if len(request.url.query) > max_bytes:
            raise RequestError(f"the query string is over {max_bytes} bytes", status=414)
        raw: dict[str, Any] = dict(request.query_params)
        for name in ("variables", "extensions"):
            if name in raw:
                raw[name] = _json(raw[name], name)
    else:
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type != JSON:
            raise RequestError(f"POST needs Content-Type: {JSON}", status=415)
        if int(request.headers.get("content-length") or 0) > max_bytes:
            raise RequestError(f"the body is over {max_bytes} bytes", status=413)
        body = await request.body()
        if len(body) > max_bytes:
            raise RequestError(f"the body is over {max_bytes} bytes", status=413)
        raw = _json(body, "body")
        if not isinstance(raw, dict):
            raise RequestError("the body must be a JSON object")
    # A persisted operation's hash becomes its text first: caches and compiled reads go by text.
    query = persisted.query_of(raw.get("query"), raw.get("extensions"), raw.get("documentId"))
    variables, operation_name = raw.get("variables") or {}, raw.get("operationName")
    if not isinstance(variables, dict):
        raise RequestError("variables must be a JSON object")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError("operationName must be a string")
    return GraphQLParams(query, variables, operation_name)


def _json(text: str | bytes, what: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise RequestError(f"{what} is not valid JSON") from error


def _check_method(request: Request, operation: OperationDefinitionNode) -> None:
    if request.method == "GET" and operation.operation is not OperationType.QUERY:
        raise RequestError("only queries may use GET; send mutations with POST",
                           status=405, headers={"Allow": "POST"})


def _formatted(result: ExecutionResult) -> dict[str, Any]:
    response: dict[str, Any] = {}
    if result.errors:
        response["errors"] = [_error(e) for e in result.errors]
    response["data"] = result.data
    return response


def _error(error: GraphQLError) -> dict[str, Any]:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return error.formatted
    if isinstance(original, DomainError):
        first = original.errors[0]
        return {**error.formatted, "message": refusal_message(original),
                "extensions": {"code": "BAD_USER_INPUT", "userErrorCode": first.code.value}}
    error_id = uuid.uuid4().hex
    log.error("unexpected error %s at %s", error_id, error.path, exc_info=original)
    return {
        "message": "Internal server error",
        "locations": error.formatted.get("locations"),
        "path": error.path,
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
    }


def _respond(
    body: dict[str, Any], media_type: str, status: int, headers: dict[str, str] | None = None
) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media_type,
                    headers=headers)
