"""Database fixtures for integration and end-to-end tests (DESIGN.md §6).

The session works on a fresh database `rapport_test_<random>`, migrated to head once, on the
server at RAPPORT_TEST_DATABASE_URL, or else on an embedded server started for the session.
Everything is lazy: a test that asks for no database fixture (tests/unit) starts nothing.

A test asks for `db` (the engine over a database emptied just before the test), or for
`empty_database_url` (a database of its own, without any schema, dropped afterwards).

The read replica's tests ask for `replicated_db`: a primary and a streaming replica of their
own (tests/streaming_replica.py), the database emptied and replayed just before the test.
"""

import secrets
import signal
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.shared.events import Event
from infrastructure.clock import SystemClock
from infrastructure.event_types import EVENT_TYPES, problems_of
from infrastructure.migrations import upgrade_to_head
from infrastructure.postgres.api_keys import PgApiKeys
from infrastructure.postgres.driver_pool import DriverPool
from infrastructure.postgres.engine import create_engine
from infrastructure.postgres.tables import ALL_TABLES, audit_log, outbox
from infrastructure.settings import Settings
from tests.streaming_replica import (
    Replicated,
    StreamingReplica,
    server_binaries,
    unprivileged_user,
)

_TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}
# The audit log and the loyalty ledger refuse DELETE (migrations 0004, 0005) except to a
# superuser session acting as a replica, for which triggers don't fire: the test server's
# user is one. LOCAL: until the end of the cleaning transaction only.
TRIGGERS_OFF = "SET LOCAL session_replication_role = replica"
# A migration may keep shims for the release before it, which knows nothing of a new column:
# triggers named previous_release_* (migration 0010's fill and move customer_id). This
# release's code must not lean on them, so the session's databases go without: a writer
# that forgets the column fails here, as it will once a later migration drops them.
# tests/integration/test_rolling_upgrade.py tests them, on a database of its own.
_WITHOUT_PREVIOUS_RELEASE_SHIMS = r"""DO $$
DECLARE shim record;
BEGIN
    FOR shim IN SELECT tgname, tgrelid::regclass AS on_table FROM pg_trigger
                WHERE tgname LIKE 'previous\_release\_%' AND NOT tgisinternal LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', shim.tgname, shim.on_table);
    END LOOP;
END
$$"""
StatementCounter = Callable[..., AbstractContextManager[list[str]]]


def with_database(server_url: str, database: str) -> str:
    """The URL of another database on the same server (keeps `?host=/socket/dir`)."""
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{database}"))


async def _on_server(server_url: str, statement: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def create_scratch_database(server_url: str) -> str:
    name = f"rapport_test_{secrets.token_hex(6)}"
    await _on_server(server_url, f'CREATE DATABASE "{name}"')
    return with_database(server_url, name)


async def drop_scratch_database(url: str, server_url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    await _on_server(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """A CI timeout or `kill` sends SIGTERM, which ends pytest on the spot and would leave the
    embedded server running; as an interrupt, pytest tears down and the server stops."""
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="session")
async def postgres_server_url() -> AsyncIterator[str]:
    """A server the tests may create databases on."""
    configured = Settings.from_environment().test_database_url
    if configured:
        yield configured
        return
    from infrastructure.embedded_postgres import EmbeddedPostgres

    # Short path: the server's unix socket lives in its data directory.
    with (
        _sigterm_as_interrupt(),
        tempfile.TemporaryDirectory(prefix="rapport-test-") as scratch,
        EmbeddedPostgres(Path(scratch) / "postgres") as server,
    ):
        await _skip_durability(server.url)
        yield server.url


async def _skip_durability(server_url: str) -> None:
    """A throwaway server need not survive a power cut; not waiting for the disk on every
    commit makes the suite markedly faster."""
    for statement in ("ALTER SYSTEM SET fsync = off", "ALTER SYSTEM SET synchronous_commit = off",
                      "SELECT pg_reload_conf()"):
        await _on_server(server_url, statement)


async def migrated_for_this_release(engine: AsyncEngine) -> None:
    """Migrated to head, without the shims kept for the previous release."""
    await upgrade_to_head(engine)
    async with engine.begin() as connection:
        await connection.execute(text(_WITHOUT_PREVIOUS_RELEASE_SHIMS))


@pytest.fixture(scope="session")
async def database_url(postgres_server_url: str) -> AsyncIterator[str]:
    """The session's own database, migrated to head."""
    url = await create_scratch_database(postgres_server_url)
    try:
        migrating = create_engine(url, pooled=False)
        try:
            await migrated_for_this_release(migrating)
        finally:
            await migrating.dispose()
        yield url
    finally:
        await drop_scratch_database(url, postgres_server_url)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=10)
    yield engine
    await engine.dispose()


@pytest.fixture(name="clean_db")
async def clean_db_fixture(engine: AsyncEngine) -> None:
    """Empties every table, so that each test starts from nothing whatever ran before."""
    await clean_db(engine)


async def clean_db(engine: AsyncEngine) -> None:
    """DELETE, children first as ALL_TABLES lists them: on the few rows a test writes it
    takes ~10 ms where TRUNCATE takes 100-400 ms, which was most of the suite's run time."""
    async with engine.begin() as connection:
        # First: the loyalty ledger refuses DELETE too (migration 0005).
        await connection.execute(text(TRIGGERS_OFF))
        for table in ALL_TABLES:
            await connection.execute(table.delete())
        await connection.execute(audit_log.delete())


@pytest.fixture
async def db(
    engine: AsyncEngine, clean_db: None, request: pytest.FixtureRequest
) -> AsyncIterator[AsyncEngine]:
    """The engine over the session's database, emptied for this test; afterwards, every event
    the test wrote to the outbox must be of a known type and match its schema (events/), so
    the whole suite checks the events the use cases really write. A test that writes events
    of its own to try the outbox itself is marked `made_up_events`."""
    yield engine
    if request.node.get_closest_marker("made_up_events") is None:
        await check_outbox(engine)


_CHECKED_EVENTS: set[str] = set()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Which event types no test wrote, when tests on the database ran: their schemas are
    checked for validity only (tests/unit/test_event_types.py)."""
    if _CHECKED_EVENTS:
        unchecked = sorted(set(EVENT_TYPES) - _CHECKED_EVENTS)
        terminalreporter.write_line(
            f"events checked against their schemas: {len(EVENT_TYPES) - len(unchecked)} of "
            f"{len(EVENT_TYPES)} types" + (f"; never written: {', '.join(unchecked)}"
                                            if unchecked else ""))


async def events_written(engine: AsyncEngine, name: str) -> list[Event]:
    """The events named `name` in the outbox, oldest first, as a consumer will read them:
    what `data` holds after its round trip through jsonb."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(outbox).where(outbox.c.name == name).order_by(outbox.c.id))
        return [Event(r.name, r.aggregate_id, r.occurred_at, r.data) for r in rows]


async def check_outbox(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        rows = (await connection.execute(
            select(outbox.c.id, outbox.c.name, outbox.c.data).order_by(outbox.c.id))).all()
    _CHECKED_EVENTS.update(row.name for row in rows)
    problems = [f"outbox row {row.id}: {problem}"
                for row in rows for problem in problems_of(row.name, row.data)]
    if problems:
        pytest.fail("events that do not match their schema (events/schemas/):\n"
                    + "\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def streaming_replica() -> Iterator[StreamingReplica]:
    """A primary and its streaming replica, for the session; skipped where this machine has
    no PostgreSQL server binaries to make them with."""
    bindir = server_binaries()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup, postgres) "
                    "in `pg_config --bindir`, /usr/lib/postgresql/*/bin or on PATH: the read "
                    "replica tests make a streaming replica of their own with them")
    try:
        user = unprivileged_user()
    except KeyError:
        pytest.skip("running as root, and no `postgres` user to run PostgreSQL as")
    with _sigterm_as_interrupt(), StreamingReplica.running(bindir, user) as clusters:
        yield clusters


@pytest.fixture(scope="session")
async def replicated_database(streaming_replica: StreamingReplica) -> AsyncIterator[Replicated]:
    """The database `rapport`, migrated on the primary, and so on the replica."""
    await _on_server(streaming_replica.primary_url, "CREATE DATABASE rapport")
    primary_url = with_database(streaming_replica.primary_url, "rapport")
    primary = create_engine(primary_url, pool_size=5)
    try:
        await migrated_for_this_release(primary)
        yield Replicated(primary_url, with_database(streaming_replica.replica_url, "rapport"),
                         primary)
    finally:
        await primary.dispose()


@pytest.fixture
async def replicated_db(replicated_database: Replicated) -> Replicated:
    """Emptied on the primary, and replayed on the replica, for this test."""
    await clean_db(replicated_database.primary)
    await replicated_database.resume()  # if a test before paused it
    return replicated_database


@pytest.fixture
async def empty_database_url(postgres_server_url: str) -> AsyncIterator[str]:
    """A database of the test's own, with no schema at all; dropped after the test."""
    url = await create_scratch_database(postgres_server_url)
    yield url
    await drop_scratch_database(url, postgres_server_url)


@pytest.fixture
def statement_counter(engine: AsyncEngine) -> StatementCounter:
    """`with statement_counter() as statements: ...` then `len(statements)`: the SQL statements
    sent through the session's engine (or the engine given) inside the block — both those
    SQLAlchemy executes and the prepared reads run on the asyncpg connection directly
    (infrastructure/postgres/reading.py) — and what runs on an asyncpg pool of its own
    (driver_pool.py: the compiled reads, the API-key check). Transaction control is not
    counted."""

    @contextmanager
    def counting(counted: AsyncEngine | None = None) -> Iterator[list[str]]:
        target = (counted or engine).sync_engine
        statements: list[str] = []

        def record(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
            statements.append(statement)

        def log(query: Any) -> None:
            # asyncpg logs what bypasses SQLAlchemy, plus SQLAlchemy's BEGIN/COMMIT.
            if query.query.strip().rstrip(";").upper() not in _TRANSACTION_CONTROL:
                statements.append(query.query)

        def attach(dbapi_connection: Any, *_: Any) -> None:
            dbapi_connection.driver_connection.add_query_logger(log)

        def detach(dbapi_connection: Any, *_: Any) -> None:
            if dbapi_connection is not None:  # None when the connection was invalidated
                dbapi_connection.driver_connection.remove_query_logger(log)

        on_the_driver = DriverPool.connection

        @asynccontextmanager
        async def count_on_the_driver(self: DriverPool) -> AsyncIterator[asyncpg.Connection]:
            async with on_the_driver(self) as connection:
                connection.add_query_logger(log)
                try:
                    yield connection
                finally:
                    connection.remove_query_logger(log)

        fetchval_on_the_driver = DriverPool.fetchval

        async def count_fetchval(self: DriverPool, sql: str, *parameters: Any) -> Any:
            statements.append(sql)  # a compiled read's one statement, on its own connection
            return await fetchval_on_the_driver(self, sql, *parameters)

        listeners: list[tuple[str, Callable[..., Any]]] = [
            ("before_cursor_execute", record), ("checkout", attach), ("checkin", detach)]
        for name, listener in listeners:
            event.listen(target, name, listener)
        DriverPool.connection = count_on_the_driver  # type: ignore[method-assign]  # counted, then put back
        DriverPool.fetchval = count_fetchval  # type: ignore[method-assign]  # counted, then put back
        try:
            yield statements
        finally:
            DriverPool.connection = on_the_driver  # type: ignore[method-assign]  # put back
            DriverPool.fetchval = fetchval_on_the_driver  # type: ignore[method-assign]  # put back
            for name, listener in listeners:
                event.remove(target, name, listener)

    return counting


@pytest.fixture
async def api_keys(db: AsyncEngine) -> AsyncIterator[PgApiKeys]:
    """The API-key check over the test's database, on an asyncpg pool of its own."""
    pool = DriverPool(db.url, pool_size=2, statement_timeout_ms=15_000)
    yield PgApiKeys(pool, SystemClock())
    await pool.close()


@pytest.fixture
def postgres_processes() -> Callable[[Path], list[Any]]:
    """The PostgreSQL server processes running over a data directory (to find orphans)."""
    psutil = pytest.importorskip("psutil", reason="comes with the `embedded` extra")

    def over(data_dir: Path) -> list[Any]:
        return [
            process for process in psutil.process_iter(["name", "cmdline"])
            if process.info["name"] == "postgres"
            and str(data_dir) in (process.info["cmdline"] or [])
        ]

    return over
