"""Running an operation: the document parsed and validated once per text (cached), then
either one compiled statement whose JSON Postgres builds, or execution field by field.

Unexpected errors are masked on both paths: the client gets an error id, the log gets the
traceback. A database that can't answer now is not unexpected: it is answered as such
(api/http/faults.py), on both paths.
"""

import contextlib
import functools
import logging
import uuid
from collections.abc import Collection, Mapping
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
    ValidationRule,
    execute,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import VariableValues, get_variable_values
from opentelemetry.trace import INVALID_SPAN, Span, Tracer
from starlette.requests import Request

from api.graphql.compiled.fast_path import FastPath
from api.graphql.context import Context
from api.graphql.errors import refusal_message
from api.graphql.permissions import may_compile
from api.http.faults import fault_error
from api.http.negotiation import GraphQLParams, RequestError, check_method
from api.http.observation import Outcome
from domain.shared.errors import DomainError
from infrastructure.bootstrap.edge import fault_of

log = logging.getLogger("rapport.graphql")


@dataclass(frozen=True)
class PreparedDocument:
    document: DocumentNode | None
    errors: list[GraphQLError]


class InvalidDocument(Exception):
    """The document, or the variables given for it, fail validation."""

    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__("invalid document")
        self.errors = errors


@dataclass(frozen=True)
class Executed:
    """An answered operation: the result to format, or the finished body of a compiled
    read, with what the read audit looks at."""

    answer: ExecutionResult | bytes
    document: DocumentNode
    operation: OperationDefinitionNode
    variables: VariableValues


class Execution:
    def __init__(
        self, schema: GraphQLSchema, *, rules: Collection[type[ValidationRule]],
        max_tokens: int, cache_size: int, fast_path: FastPath | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self._schema = schema
        self._tracer = tracer
        self._rules = [*specified_rules, *rules]
        self._max_tokens = max_tokens
        self._fast_path = fast_path
        self.prepare = functools.lru_cache(maxsize=cache_size)(self._parse_and_validate)

    async def run(self, request: Request, params: GraphQLParams, context: Context,
                  outcome: Outcome | None = None) -> Executed:
        """`outcome` is told the operation and the read path as soon as they are known."""
        prepared = self.prepare(params.query)
        if prepared.document is None:
            raise InvalidDocument(prepared.errors)
        operation = get_operation_ast(prepared.document, params.operation_name)
        if operation is None:
            raise RequestError("no operation with that name, or several and no operationName")
        if outcome is not None:
            outcome.operation(operation)
        check_method(request, operation)
        coerced = get_variable_values(
            self._schema, operation.variable_definitions or (), params.variables
        )
        if isinstance(coerced, list):
            raise InvalidDocument(coerced)
        with self._operation_span(operation) as span:
            answer: ExecutionResult | bytes | None = await self._compiled(
                context, params, prepared.document, operation, coerced)
            span.set_attribute("rapport.compiled", answer is not None)
            if outcome is not None and operation.operation is OperationType.QUERY:
                outcome.read_path = "executed" if answer is None else "compiled"
            if answer is None:
                result = execute(
                    self._schema, prepared.document, context_value=context,
                    variable_values=params.variables, operation_name=params.operation_name,
                )
                answer = result if isinstance(result, ExecutionResult) else await result
        return Executed(answer, prepared.document, operation, coerced)

    def _operation_span(self, operation: OperationDefinitionNode
                        ) -> contextlib.AbstractContextManager[Span]:
        """A span per operation when tracing is on, named as the GraphQL semantic conventions
        say (`query GetCustomer`), with its name and type: never its document, whose
        literals may be a customer's email, nor its variables. Off, even the API's no-op
        span costs a measurable share of a compiled read, so there is none."""
        if self._tracer is None:
            return contextlib.nullcontext(INVALID_SPAN)
        kind = operation.operation.value
        attributes = {"graphql.operation.type": kind}
        if operation.name is not None:
            attributes["graphql.operation.name"] = operation.name.value
        name = f"{kind} {operation.name.value}" if operation.name else kind
        return self._tracer.start_as_current_span(name, attributes=attributes)

    def _parse_and_validate(self, query: str) -> PreparedDocument:
        try:
            document = parse(query, max_tokens=self._max_tokens)
        except GraphQLError as error:
            if "tokens" in error.message:  # graphql-core stopped at max_tokens
                error.extensions = {"code": "QUERY_TOO_LARGE"}
            return PreparedDocument(None, [error])
        errors = validate(self._schema, document, self._rules)
        return PreparedDocument(None if errors else document, errors)

    async def _compiled(
        self, context: Context, params: GraphQLParams, document: DocumentNode,
        operation: OperationDefinitionNode, variables: VariableValues,
    ) -> bytes | None:
        """The body answering this query with one statement, if it compiles and its
        arguments bind; None when it must be executed field by field."""
        if self._fast_path is None or operation.operation is not OperationType.QUERY:
            return None
        compiled = self._fast_path.compiled(
            params.query, params.operation_name, document, operation, variables)
        if compiled is None:
            return None
        plan, arguments = compiled
        if not may_compile(context.viewer, plan.root_fields, plan.fields):
            return None
        try:
            statement = plan.statement(arguments, context.viewer.scopes,
                                       context.container.clock.now())
        except DomainError:  # a bad cursor: normal execution answers with the error
            return None
        try:
            data = await context.container.queries.compiled.data_json(statement)
        except Exception as error:
            if fault_of(error) is not None:
                raise  # the endpoint answers it, as for any step of the request
            error_id = uuid.uuid4().hex
            log.exception("unexpected error %s in a compiled read", error_id)
            return orjson.dumps({"errors": [{
                "message": "Internal server error",
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
            }], "data": None})
        return b'{"data":' + data + b"}"


def formatted(result: ExecutionResult) -> dict[str, Any]:
    response: dict[str, Any] = {}
    if result.errors:
        response["errors"] = [_error(e) for e in result.errors]
    response["data"] = result.data
    return response


def _error(error: GraphQLError) -> Mapping[str, Any]:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return error.formatted
    if isinstance(original, DomainError):
        first = original.errors[0]
        return {**error.formatted, "message": refusal_message(original),
                "extensions": {"code": "BAD_USER_INPUT", "userErrorCode": first.code.value}}
    fault = fault_of(original)
    if fault is not None:
        return fault_error(fault, original, locations=error.formatted.get("locations"),
                           path=error.path)
    error_id = uuid.uuid4().hex
    log.error("unexpected error %s at %s", error_id, error.path, exc_info=original)
    return {
        "message": "Internal server error",
        "locations": error.formatted.get("locations"),
        "path": error.path,
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
    }


