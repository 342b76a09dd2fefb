"""The service's lifecycle: the database it runs on (the configured one, or the embedded
server started for as long as it is needed), the engine and its pools, the schema check,
and the container over them, closed in reverse order.

Two shapes, for the two ways Rapport runs:
- `serving`: the HTTP app in each server process, over `RAPPORT_DATABASE_URL`, with the
  API's statement timeout, and its read side on `RAPPORT_READ_DATABASE_URL` when set;
- `job`: one command-line job (migrate, seed, a batch job, API clients), which connects
  first so that a wrong URL is one line, checks or migrates the schema, and runs long
  statements on purpose.
"""

import contextlib
import dataclasses
import gc
import logging
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator, Mapping

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.bootstrap import OFF, Container, Telemetry, build_container
from infrastructure.logging import REQUEST_FIELDS, configure_logging
from infrastructure.migrations import (
    current_revision,
    head_revision,
    is_at_or_ahead_of_head,
    is_newer_than_head,
    upgrade_to_head,
)
from infrastructure.postgres.engine import create_engine
from infrastructure.postgres.replica import ReadReplica
from infrastructure.settings import ConfigurationError, Settings
from infrastructure.telemetry import configure_telemetry

__all__ = [
    "REQUEST_FIELDS",
    "ConfigurationError",
    "DatabaseUnavailable",
    "SchemaBehind",
    "Settings",
    "Telemetry",
    "configured_from_environment",
    "database",
    "is_ready",
    "job",
    "readiness",
    "serving",
]

log = logging.getLogger(__name__)
Notify = Callable[[str], None]


class DatabaseUnavailable(Exception):
    """The database can't be used: not started, not reachable, or not a PostgreSQL URL.
    The message is one line for the operator, without secrets."""


class SchemaBehind(Exception):
    """The database schema is not at the head migration, and migrating was not asked for."""

    def __init__(self, current: str | None, head: str | None) -> None:
        super().__init__(f"the database schema is at {current or 'no revision'}, "
                         f"this Rapport needs {head}")
        self.current, self.head = current, head


def _quiet(message: str) -> None:
    """Says nothing: where a caller has no one to tell."""


def configured_from_environment() -> tuple[Settings, Telemetry]:
    """The settings of a server process, with logging set up from them, and its telemetry
    (infrastructure/telemetry.py: off unless an OTEL_* exporter is configured)."""
    settings = Settings.from_environment()
    configure_logging(settings)
    telemetry = configure_telemetry(settings)
    if settings.anonymous_role is not None:
        log.warning("callers without credentials act as %s (RAPPORT_ANONYMOUS_ROLE); "
                    "set RAPPORT_ENV=production to refuse them", settings.anonymous_role.value)
    if settings.otel_traces_endpoint or settings.otel_metrics_endpoint:
        log.warning("RAPPORT_OTEL_ENDPOINT is deprecated: set OTEL_EXPORTER_OTLP_ENDPOINT")
    return settings, telemetry


@contextlib.contextmanager
def database(settings: Settings, notify: Notify = _quiet) -> Iterator[Settings]:
    """`settings` with a database URL: the configured one, or that of the embedded server,
    which runs for as long as the block does (other processes may share it: the last one
    out stops it). In production, no URL is a ConfigurationError."""
    settings.require_database()
    if not settings.embedded:
        yield settings
        return
    from infrastructure.embedded_postgres import EmbeddedPostgres, EmbeddedPostgresUnavailable

    data_dir = settings.data_dir / "postgres"
    server = EmbeddedPostgres(data_dir)
    try:
        server.start()
    except EmbeddedPostgresUnavailable as error:
        raise DatabaseUnavailable(str(error)) from None
    except subprocess.SubprocessError as error:
        raise DatabaseUnavailable(
            f"the embedded PostgreSQL did not start ({error}); its log is {data_dir / 'log'}"
        ) from None
    notify(f"embedded PostgreSQL running in {data_dir}")
    try:
        yield dataclasses.replace(settings, database_url=server.url)
    finally:
        if server.stop():
            notify("embedded PostgreSQL stopped")
        else:
            notify("embedded PostgreSQL left running: another rapport process is using it")


@contextlib.asynccontextmanager
async def serving(
    settings: Settings, container: Container | None = None, telemetry: Telemetry = OFF,
) -> AsyncIterator[Container]:
    """The container of an HTTP server process, closed with its engine at the end, its
    spans and metrics going to `telemetry`, its background work running meanwhile. A given
    container (tests) is used as it is: its creator closes it."""
    if container is not None:
        async with container.running():
            yield container
        return
    if not settings.database_url:
        raise RuntimeError("RAPPORT_DATABASE_URL is not set; start with `rapport serve`")
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size,
                           statement_timeout_ms=settings.statement_timeout_ms,
                           pool_timeout_ms=settings.db_pool_timeout_ms,
                           connect_timeout_ms=settings.db_connect_timeout_ms)
    replica = None if not settings.read_database_url else ReadReplica(
        settings.read_database_url, settings.database_url, pool_size=settings.db_pool_size,
        statement_timeout_ms=settings.statement_timeout_ms,
        pool_timeout_ms=settings.db_pool_timeout_ms)
    built = build_container(settings, engine, telemetry=telemetry, replica=replica)
    _freeze_startup_objects()
    try:
        async with built.running():
            yield built
    finally:
        await built.close()
        if replica is not None:
            await replica.dispose()
        await engine.dispose()


@contextlib.asynccontextmanager
async def job(
    settings: Settings, *, migrate: bool, notify: Notify = _quiet
) -> AsyncIterator[Container]:
    """The container of one command-line job on the database of `settings` (resolve it
    with `database` first): connected, its schema at head (migrated when `migrate`, else
    `SchemaBehind`), closed with its engine at the end."""
    async with _connected_engine(settings) as engine:
        await _schema_at_head(engine, migrate=migrate, notify=notify)
        container = build_container(settings, engine)
        try:
            yield container
        finally:
            await container.close()


async def readiness(container: Container) -> dict[str, str]:
    """"ok", or what is wrong, for the database and its schema; and the read replica's
    state and lag when there is one ("ok, 0.2 s behind")."""
    checks: dict[str, str] = {}
    try:
        async with container.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
        # Ahead is ready too: during a rolling upgrade the new release migrates first, and the
        # pods of the previous one keep serving until they are replaced.
        usable = await is_at_or_ahead_of_head(container.engine)
        checks["schema"] = "ok" if usable else "behind head: run rapport migrate"
    except Exception as error:  # readiness reports, it does not crash
        checks["database"] = f"unreachable: {type(error).__name__}"
    if container.replica is not None:
        checks["replica"] = await container.replica.status()
    return checks


def is_ready(checks: Mapping[str, str]) -> bool:
    """Ready when the primary and its schema are. The replica's check informs: a replica
    that is away leaves the reads to the primary, and every pod shares it, so it must not
    take them all out of service."""
    return all(value == "ok" for name, value in checks.items() if name != "replica")


@contextlib.asynccontextmanager
async def _connected_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    if not settings.database_url:
        raise RuntimeError("resolve the database first")
    try:
        # Migrations, seeding and batch jobs run long statements on purpose; the timeout
        # guards the API.
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size,
                               statement_timeout_ms=0,
                               connect_timeout_ms=settings.db_connect_timeout_ms)
    except ValueError as error:
        raise DatabaseUnavailable(f"RAPPORT_DATABASE_URL: {error}") from None
    try:
        try:
            async with engine.connect():
                pass
        except (OSError, DBAPIError) as error:
            where = make_url(settings.database_url).render_as_string(hide_password=True)
            reason = getattr(error, "orig", None) or error
            raise DatabaseUnavailable(f"cannot connect to {where}: {reason}") from None
        yield engine
    finally:
        await engine.dispose()


async def _schema_at_head(engine: AsyncEngine, *, migrate: bool, notify: Notify) -> None:
    current, head = await current_revision(engine), head_revision()
    if current == head:
        notify(f"database schema at head ({head})")
    elif is_newer_than_head(current):
        notify(f"database schema at {current}, ahead of this release's head ({head}): "
               "a newer release migrated it")
    elif migrate:
        await upgrade_to_head(engine)
        notify(f"database schema migrated from {current or 'nothing'} to {head}")
    else:
        raise SchemaBehind(current, head)


def _freeze_startup_objects() -> None:
    """Moves everything built so far (modules, the schema, the container) out of the
    garbage collector's sight. A request allocates thousands of short-lived objects; without
    this, each full collection rescans the whole long-lived heap, stalling a request now and
    then for ~100 ms (docs/performance.md)."""
    gc.collect()
    gc.freeze()
