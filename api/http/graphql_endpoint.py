"""The GraphQL endpoint: one request through each job in turn.

1. negotiation (api/http/negotiation.py): the media type answered, the params read;
2. limits (api/http/limits.py): the caller's rate limit, before any SQL, and the document's
   size, depth and cost while it is validated;
3. execution (api/http/execution.py): compiled SQL or field by field;
4. audit (api/http/audit.py): reads of personal data logged before the answer is sent;
5. observation (api/http/observation.py): the request's log line and metrics.

GraphiQL answers browsers that ask for HTML without a query.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable

from graphql import GraphQLSchema
from opentelemetry.trace import Tracer
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.http.ides import get_graphql_ide_html

from api.graphql.compiled.fast_path import FastPath
from api.graphql.context import Context
from api.graphql.visibility import PERSONAL_DATA_FIELDS
from api.http.audit import ReadAudit, given_request_id, request_id_of
from api.http.execution import Execution, InvalidDocument, formatted
from api.http.faults import fault_error, status_of
from api.http.headers import headers_of
from api.http.limits import IntrospectionDisabled, QueryLimits, RateLimiter, admit, limit_rule
from api.http.negotiation import (
    GRAPHQL_RESPONSE,
    QueryTexts,
    RequestError,
    negotiate,
    read_params,
    respond,
    wants_html,
)
from api.http.observation import Outcome, RequestMetrics, observe
from infrastructure.bootstrap.edge import fault_of


class GraphQLEndpoint:
    def __init__(
        self, schema: GraphQLSchema, context: Callable[[Request], Awaitable[Context]], *,
        texts: QueryTexts, graphiql: bool, cache_size: int, fast_path: FastPath | None = None,
        limits: QueryLimits = QueryLimits(), max_body_bytes: int = 1_000_000,
        introspection: bool = True, rate_limiter: RateLimiter | None = None,
        metrics: RequestMetrics | None = None, tracer: Tracer | None = None,
    ) -> None:
        self._context = context
        self._texts = texts
        self._rate_limiter = rate_limiter
        self._max_body_bytes = max_body_bytes
        self._graphiql = graphiql
        self._metrics = metrics
        rules = [limit_rule(limits), *([] if introspection else [IntrospectionDisabled])]
        self._execution = Execution(schema, rules=rules, max_tokens=limits.max_tokens,
                                    cache_size=cache_size, fast_path=fast_path, tracer=tracer)
        self._read_audit = ReadAudit(schema, PERSONAL_DATA_FIELDS, cache_size)

    async def handle(self, request: Request) -> Response:
        """The answer, with the caller's rate-limit budget in its headers when one applies;
        then its log line and metrics (api/http/observation.py)."""
        started = time.perf_counter()
        budget: dict[str, str] = {}
        outcome = Outcome(method=request.method)
        try:
            response = await self._answer(request, budget, outcome)
        except asyncio.CancelledError:  # the client went away: nginx's "client closed request"
            outcome.status = 499
            raise
        except Exception:  # a bug: Starlette answers 500, and logs the traceback
            outcome.status, outcome.error_codes = 500, ["INTERNAL_SERVER_ERROR"]
            raise
        finally:
            if outcome.status == 429 and self._metrics is not None:
                self._metrics.refused_by_rate_limit()
            observe(outcome, time.perf_counter() - started, given_request_id(request),
                    self._metrics)
        response.headers.update(budget)
        return response

    async def _answer(self, request: Request, budget: dict[str, str],
                      outcome: Outcome) -> Response:
        response = await self._answered(request, budget, outcome)
        outcome.status = response.status_code
        return response

    async def _answered(self, request: Request, budget: dict[str, str],
                        outcome: Outcome) -> Response:
        if self._graphiql and wants_html(request) and "query" not in request.query_params:
            return HTMLResponse(get_graphql_ide_html())
        try:
            media_type = negotiate(headers_of(request).get("accept", ""))
        except RequestError as error:
            outcome.errors([error.formatted], "BAD_REQUEST")
            return Response(str(error), status_code=error.status, media_type="text/plain")
        try:
            context = await self._context(request)  # who is asking, before any other work
            outcome.viewer = context.viewer
            if self._rate_limiter is not None:  # before any SQL: a refused caller costs nothing
                budget.update(await admit(self._rate_limiter, context.viewer, request))
            params = await read_params(request, self._max_body_bytes, self._texts)
            with request_id_of(request):  # for the audit entries written meanwhile
                executed = await self._execution.run(request, params, context, outcome)
                await self._read_audit.record(context, params, executed.document,
                                              executed.operation, executed.variables,
                                              executed.answer)
        except RequestError as error:
            outcome.errors([error.formatted], "BAD_REQUEST")
            return respond({"errors": [error.formatted]}, media_type, error.status,
                           error.headers)
        except InvalidDocument as invalid:
            invalid_errors = [e.formatted for e in invalid.errors]
            outcome.errors(invalid_errors, "GRAPHQL_VALIDATION_FAILED")
            status = 400 if media_type == GRAPHQL_RESPONSE else 200
            return respond({"errors": invalid_errors}, media_type, status)
        except Exception as error:  # a database fault at any step; anything else is a bug
            fault = fault_of(error)
            if fault is None:
                raise
            errors = [fault_error(fault, error)]
            outcome.errors(errors, fault.value)
            return respond({"errors": errors}, media_type, *status_of(errors))
        if isinstance(executed.answer, bytes):
            if executed.answer.startswith(b'{"errors"'):  # a compiled read's masked failure
                outcome.error_codes.append("INTERNAL_SERVER_ERROR")
            return Response(executed.answer, media_type=media_type)
        body = formatted(executed.answer)
        errors = body.get("errors", ())
        outcome.errors(errors, "INTERNAL_SERVER_ERROR")
        return respond(body, media_type, *status_of(errors))
