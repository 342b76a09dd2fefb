"""The hand-written baseline server: Starlette + raw asyncpg + orjson in one process.

It answers POST /graphql with the same body the GraphQL API gets, but instead of executing
the document it looks the document text up among the bench operations and runs that
operation's hand-written read (like a persisted query). So both servers receive identical
requests and must send identical answers. The write benchmark's `purchaseRecord` runs the
hand-written transaction of bench/baseline_writes.py. Run it as the runner does:

    .venv/bin/uvicorn --factory bench.baseline:create_app --workers 1

It takes its database from the same settings as Rapport (`RAPPORT_DATABASE_URL`,
`RAPPORT_DB_POOL_SIZE`), so both servers get the same pool.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench import baseline_partners, baseline_pipeline, baseline_writes
from bench.operations import (
    GRANT_REDEEM,
    GRANT_VALIDATE,
    OPERATIONS,
    PIPELINE_BOARD,
    PURCHASE_RECORD,
    BaselineRead,
    Variables,
)
from infrastructure.settings import Settings

JSON = "application/json"
# Answers for a caller: given the request's Authorization header too.
AsCaller = Callable[[asyncpg.Pool, Variables, str | None], Awaitable[bytes]]


def _error(message: str, status: int) -> Response:
    return Response(orjson.dumps({"errors": [{"message": message}]}), status, media_type=JSON)


async def _keep_session(connection: asyncpg.Connection) -> None:
    """The reads set no session state, so released connections need no reset: skip the
    round trip asyncpg's default reset (RESET ALL, UNLISTEN *, ...) costs on every release."""


def create_app() -> Starlette:
    settings = Settings.from_environment()
    if not settings.database_url:
        raise RuntimeError("the baseline needs RAPPORT_DATABASE_URL")
    reads: dict[str, BaselineRead] = {op.document: op.baseline for op in OPERATIONS}
    reads[PURCHASE_RECORD] = baseline_writes.record_purchase
    reads[PIPELINE_BOARD] = baseline_pipeline.board
    as_caller: dict[str, AsCaller] = {GRANT_VALIDATE: baseline_partners.validate_grant,
                                      GRANT_REDEEM: baseline_partners.redeem_grant}
    pool: asyncpg.Pool | None = None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(
            settings.database_url, min_size=1, max_size=settings.db_pool_size,
            server_settings={"timezone": "UTC"}, reset=_keep_session,
        )
        try:
            yield
        finally:
            await pool.close()

    async def graphql(request: Request) -> Response:
        body = orjson.loads(await request.body())
        document, variables = body.get("query"), body.get("variables") or {}
        assert pool is not None
        if document in as_caller:
            answer = await as_caller[document](pool, variables,
                                               request.headers.get("authorization"))
            return Response(answer, media_type=JSON)
        read = reads.get(document)
        if read is None:
            return _error("the baseline only answers the bench operations' documents", 400)
        return Response(await read(pool, variables), media_type=JSON)

    async def readyz(request: Request) -> Response:
        assert pool is not None
        await pool.fetchval("SELECT 1")
        return Response(b'{"status":"ready"}', media_type=JSON)

    return Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), Route("/readyz", readyz)],
        lifespan=lifespan,
    )
