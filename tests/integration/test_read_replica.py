"""The read side's connections (infrastructure/postgres/replica.py): to the replica, to the
primary while the replica can't be reached, and back to the replica when it returns; and
`serving` building them from RAPPORT_READ_DATABASE_URL, or not. Which server a connection
reached, it says itself: `pg_is_in_recovery()` is true on the replica only."""

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from sqlalchemy import text

from infrastructure.bootstrap.service import serving
from infrastructure.postgres.compiled.compiler import Statement
from infrastructure.postgres.compiled.reads import PgCompiledReads
from infrastructure.postgres.driver_pool import DriverPool
from infrastructure.postgres.replica import ReadReplica
from infrastructure.settings import Settings
from tests.streaming_replica import Replicated, StreamingReplica, free_port, until

IN_RECOVERY = Statement("SELECT convert_to(pg_is_in_recovery()::text, 'UTF8')", [])
RETRY_AFTER = 0.1  # seconds; the service's is 5


def _read_replica(replica_url: str, primary_url: str) -> ReadReplica:
    return ReadReplica(replica_url, primary_url, pool_size=2, statement_timeout_ms=15_000,
                       retry_after=RETRY_AFTER)


@pytest.fixture
async def replica(replicated_db: Replicated) -> AsyncIterator[ReadReplica]:
    built = _read_replica(replicated_db.replica_url, replicated_db.primary_url)
    yield built
    await built.dispose()


@pytest.fixture
async def unreachable(replicated_db: Replicated) -> AsyncIterator[ReadReplica]:
    """A replica URL where nothing listens."""
    built = _read_replica(f"postgresql://postgres@127.0.0.1:{free_port()}/rapport",
                          replicated_db.primary_url)
    yield built
    await built.dispose()


@pytest.fixture
async def compiled() -> AsyncIterator[Callable[[ReadReplica], PgCompiledReads]]:
    made: list[PgCompiledReads] = []

    def over(replica: ReadReplica) -> PgCompiledReads:
        made.append(PgCompiledReads(DriverPool(replica.engine.url, pool_size=2,
                                               statement_timeout_ms=15_000, replica=replica)))
        return made[-1]

    yield over
    for reads in made:
        await reads.close()


async def _engine_in_recovery(replica: ReadReplica) -> bool:
    async with replica.engine.connect() as connection:
        return bool(await connection.scalar(text("SELECT pg_is_in_recovery()")))


async def test_the_read_engine_runs_on_the_replica(replica: ReadReplica) -> None:
    assert await _engine_in_recovery(replica) is True


async def test_compiled_reads_run_on_the_replica(
    replica: ReadReplica, compiled: Callable[[ReadReplica], PgCompiledReads]
) -> None:
    assert await compiled(replica).data_json(IN_RECOVERY) == b"true"


async def test_reads_go_to_the_primary_while_the_replica_is_unreachable(
    unreachable: ReadReplica,
) -> None:
    assert await _engine_in_recovery(unreachable) is False


async def test_compiled_reads_go_to_the_primary_while_the_replica_is_unreachable(
    unreachable: ReadReplica, compiled: Callable[[ReadReplica], PgCompiledReads]
) -> None:
    assert await compiled(unreachable).data_json(IN_RECOVERY) == b"false"


async def test_reads_going_to_the_primary_is_logged_once(
    unreachable: ReadReplica, compiled: Callable[[ReadReplica], PgCompiledReads],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="infrastructure.postgres.replica"):
        await _engine_in_recovery(unreachable)
        await compiled(unreachable).data_json(IN_RECOVERY)

    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "read replica unreachable"]


class Outage:
    """Stops and starts the session's replica, in a thread: the service runs meanwhile."""

    def __init__(self, clusters: StreamingReplica) -> None:
        self._clusters, self.down = clusters, False

    async def begin(self) -> None:
        await asyncio.to_thread(self._clusters.stop_replica)
        self.down = True

    async def end(self) -> None:
        await asyncio.to_thread(self._clusters.start_replica)
        self.down = False


@pytest.fixture
async def outage(streaming_replica: StreamingReplica) -> AsyncIterator[Outage]:
    """The replica is started again at the end, whatever the test did."""
    happening = Outage(streaming_replica)
    yield happening
    if happening.down:
        await happening.end()


async def test_reads_go_back_to_the_replica_once_it_returns(
    replica: ReadReplica, outage: Outage
) -> None:
    await outage.begin()
    assert await _engine_in_recovery(replica) is False
    await outage.end()

    await until(lambda: _engine_in_recovery(replica), every=RETRY_AFTER, within=15)


async def test_compiled_reads_go_back_to_the_replica_once_it_returns(
    replica: ReadReplica, compiled: Callable[[ReadReplica], PgCompiledReads],
    outage: Outage,
) -> None:
    reads = compiled(replica)
    await outage.begin()
    assert await reads.data_json(IN_RECOVERY) == b"false"
    await outage.end()

    async def on_replica() -> bool:
        return await reads.data_json(IN_RECOVERY) == b"true"

    await until(on_replica, every=RETRY_AFTER, within=15)


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """`serving` freezes what start-up made (gc.freeze): let the test session's go again."""
    yield
    gc.unfreeze()


async def test_without_a_read_database_url_reads_share_the_primary(
    replicated_db: Replicated, unfrozen: None
) -> None:
    async with serving(Settings(database_url=replicated_db.primary_url)) as container:
        assert (container.replica, container.queries) == (None, container.primary_queries)


async def test_with_a_read_database_url_the_read_side_runs_on_the_replica(
    replicated_db: Replicated, unfrozen: None
) -> None:
    settings = Settings(database_url=replicated_db.primary_url,
                        read_database_url=replicated_db.replica_url)
    async with serving(settings) as container:
        assert await container.queries.compiled.data_json(IN_RECOVERY) == b"true"


async def test_a_read_after_the_replica_stopped_goes_to_the_primary(
    replica: ReadReplica, outage: Outage
) -> None:
    assert await _engine_in_recovery(replica) is True  # a connection to the replica, pooled
    await outage.begin()

    assert await _engine_in_recovery(replica) is False


async def test_a_compiled_read_after_the_replica_stopped_goes_to_the_primary(
    replica: ReadReplica, compiled: Callable[[ReadReplica], PgCompiledReads], outage: Outage
) -> None:
    reads = compiled(replica)
    assert await reads.data_json(IN_RECOVERY) == b"true"  # a connection to the replica, pooled
    await outage.begin()

    assert await reads.data_json(IN_RECOVERY) == b"false"
