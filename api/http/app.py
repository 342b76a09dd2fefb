"""The Starlette application: GraphQL, health checks, and the engine's lifespan."""

import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.graphql.compiled.fast_path import FastPath
from api.graphql.compiled.readers import READERS
from api.graphql.context import Context
from api.graphql.schema import schema
from api.graphql.visibility import FIELD_RULES
from api.http.authentication import Authenticator
from api.http.graphql_endpoint import GraphQLEndpoint
from api.http.limits import QueryLimits
from api.http.persisted_queries import PersistedQueries, load_manifest
from api.http.rate_limits import RateLimiter
from domain.shared.access import Viewer
from infrastructure.bootstrap import Container, build_container
from infrastructure.logging import configure_logging
from infrastructure.migrations import is_at_head
from infrastructure.postgres import compiled as compiled_reads
from infrastructure.postgres.engine import create_engine
from infrastructure.settings import Settings
from infrastructure.telemetry import configure_tracing

log = logging.getLogger(__name__)


def create_app(
    settings: Settings, *, container: Container | None = None,
    viewer_of: Callable[[Request], Viewer] | None = None,
) -> Starlette:
    """The app over `settings.database_url`, or over a ready container (tests). Callers are
    authenticated from their credentials (api/http/authentication.py); tests that are not
    about authentication give `viewer_of` instead."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if container is not None:
            app.state.container = container
            yield
            return
        if not settings.database_url:
            raise RuntimeError("RAPPORT_DATABASE_URL is not set; start with `rapport serve`")
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size,
                               statement_timeout_ms=settings.statement_timeout_ms)
        app.state.container = build_container(settings, engine)
        _freeze_startup_objects()
        try:
            yield
        finally:
            await app.state.container.close()
            await engine.dispose()

    authenticator = Authenticator(anonymous_role=settings.anonymous_role,
                                  accept_tokens=settings.tokens_enabled,
                                  role_claim=settings.jwt_role_claim)

    async def context(request: Request) -> Context:
        container = request.app.state.container
        if viewer_of is not None:
            return Context(container, viewer_of(request))
        return Context(container, await authenticator.viewer_of(request, container))

    fast_path = None
    if settings.compiled_reads:
        plan = functools.partial(compiled_reads.plan, rules=FIELD_RULES)
        fast_path = FastPath(schema, READERS, plan, cache_size=settings.document_cache_size)
    limits = QueryLimits(
        max_tokens=settings.max_query_tokens, max_depth=settings.max_query_depth,
        max_aliases=settings.max_query_aliases, max_cost=settings.max_query_cost,
    )
    endpoint = GraphQLEndpoint(
        schema._schema, context, graphiql=settings.graphiql,
        cache_size=settings.document_cache_size, fast_path=fast_path,
        limits=limits, max_body_bytes=settings.max_body_bytes,
        introspection=settings.introspection, persisted=_persisted_queries(settings),
        rate_limiter=RateLimiter.from_settings(settings.rate_limit, settings.rate_limit_storage),
    )
    return Starlette(
        routes=[
            Route("/graphql", endpoint.handle, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def _persisted_queries(settings: Settings) -> PersistedQueries:
    """The allow-list of the manifest the settings name (read once, at start-up), and the
    Automatic Persisted Queries clients register."""
    if settings.persisted_queries_only and not settings.persisted_queries:
        raise ValueError("RAPPORT_PERSISTED_QUERIES_ONLY needs a manifest in "
                         "RAPPORT_PERSISTED_QUERIES: it would refuse every operation")
    allowed = load_manifest(settings.persisted_queries) if settings.persisted_queries else {}
    return PersistedQueries(allowed, only_persisted=settings.persisted_queries_only,
                            cache_size=settings.document_cache_size)


def _freeze_startup_objects() -> None:
    """Moves everything built so far (modules, the schema, the container) out of the
    garbage collector's sight. A request allocates thousands of short-lived objects; without
    this, each full collection rescans the whole long-lived heap, stalling a request now and
    then for ~100 ms (docs/performance.md)."""
    gc.collect()
    gc.freeze()


def create_app_from_environment() -> Starlette:
    """The uvicorn factory: `uvicorn --factory api.http.app:create_app_from_environment`."""
    settings = Settings.from_environment()
    configure_logging(settings)
    configure_tracing(settings)
    if settings.anonymous_role is not None:
        log.warning("callers without credentials act as %s (RAPPORT_ANONYMOUS_ROLE); "
                    "set RAPPORT_ENV=production to refuse them", settings.anonymous_role.value)
    return create_app(settings)


async def healthz(request: Request) -> JSONResponse:
    """Alive: the process answers. Says nothing about the database."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready: the database answers and its schema is at the head migration."""
    checks: dict[str, Any] = {}
    engine = request.app.state.container.engine
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
        checks["schema"] = "ok" if await is_at_head(engine) else "behind head: run rapport migrate"
    except Exception as error:  # readiness reports, it does not crash
        checks["database"] = f"unreachable: {type(error).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse({"status": "ok" if ready else "unavailable", **checks},
                        status_code=200 if ready else 503)
