"""The Starlette application: GraphQL and health checks over what the composition root
builds (infrastructure/bootstrap): the container for the app's lifespan, and the edge's
adapters (persisted queries, rate limiter, authenticator, compiled-read planner)."""

import contextlib
import functools
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.graphql.compiled.fast_path import FastPath
from api.graphql.compiled.readers import READERS
from api.graphql.context import Context
from api.graphql.schema import schema
from api.graphql.visibility import FIELD_RULES
from api.http import authentication
from api.http.graphql_endpoint import GraphQLEndpoint
from api.http.limits import QueryLimits
from api.http.tracing import TracedRequests
from domain.shared.access import Viewer
from infrastructure.bootstrap import OFF, Container, Telemetry
from infrastructure.bootstrap.edge import build_edge
from infrastructure.bootstrap.service import (
    Settings,
    configured_from_environment,
    is_ready,
    readiness,
    serving,
)


def create_app(
    settings: Settings, *, container: Container | None = None,
    viewer_of: Callable[[Request], Viewer] | None = None, telemetry: Telemetry | None = None,
) -> Starlette:
    """The app over `settings.database_url`, or over a ready container (tests). Callers are
    authenticated from their credentials (api/http/authentication.py); tests that are not
    about authentication give `viewer_of` instead. Spans and metrics go to `telemetry`
    (the container's when it is given; off when neither is)."""
    if telemetry is None:
        telemetry = container.telemetry if container is not None else OFF
    edge = build_edge(settings, telemetry)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with serving(settings, container, telemetry) as running:
            app.state.container = running
            app.state.authenticator = edge.authenticator(running)
            yield

    async def context(request: Request) -> Context:
        state = request.app.state
        if viewer_of is not None:
            return Context(state.container, viewer_of(request))
        return Context(state.container,
                       await authentication.viewer_of(request, state.authenticator))

    fast_path = None
    if edge.compiled_plan is not None:
        plan = functools.partial(edge.compiled_plan, rules=FIELD_RULES)
        fast_path = FastPath(schema, READERS, plan, cache_size=settings.document_cache_size)
    endpoint = GraphQLEndpoint(
        schema._schema, context, texts=edge.persisted_queries, graphiql=settings.graphiql,
        cache_size=settings.document_cache_size, fast_path=fast_path,
        limits=QueryLimits(
            max_tokens=settings.max_query_tokens, max_depth=settings.max_query_depth,
            max_aliases=settings.max_query_aliases, max_cost=settings.max_query_cost,
        ),
        max_body_bytes=settings.max_body_bytes, introspection=settings.introspection,
        rate_limiter=edge.rate_limiter, metrics=edge.request_metrics, tracer=edge.tracer,
    )
    routes = [
        Route("/graphql", endpoint.handle, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    middleware = [] if edge.tracer is None else [
        Middleware(TracedRequests, tracer=edge.tracer, routes=[r.path for r in routes])]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


def create_app_from_environment() -> Starlette:
    """The uvicorn factory: `uvicorn --factory api.http.app:create_app_from_environment`."""
    settings, telemetry = configured_from_environment()
    return create_app(settings, telemetry=telemetry)


async def healthz(request: Request) -> JSONResponse:
    """Alive: the process answers. Says nothing about the database."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready: the database answers and its schema is at the head migration."""
    checks = await readiness(request.app.state.container)
    ready = is_ready(checks)
    return JSONResponse({"status": "ok" if ready else "unavailable", **checks},
                        status_code=200 if ready else 503)
