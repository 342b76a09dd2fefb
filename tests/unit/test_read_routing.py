"""Where reads go with a read replica, decided without a database: a request reads the read
side until it writes, then the primary; the replica's state never makes the service
unready; the setting needs a primary."""

import pytest

from api.graphql.context import Context
from infrastructure.bootstrap import Container, build_container
from infrastructure.bootstrap.service import is_ready
from infrastructure.postgres.engine import create_engine
from infrastructure.postgres.replica import ReadReplica
from infrastructure.settings import Settings

PRIMARY = "postgresql://rapport@primary.invalid/rapport"
REPLICA = "postgresql://rapport@replica.invalid/rapport"


def _container(*, replica: bool) -> Container:
    """Built, never connected: engines and pools connect on first use."""
    settings = Settings(database_url=PRIMARY, read_database_url=REPLICA if replica else None)
    return build_container(
        settings, create_engine(PRIMARY),
        replica=ReadReplica(REPLICA, PRIMARY, pool_size=1, statement_timeout_ms=1)
        if replica else None)


def test_a_request_reads_the_replica_until_it_writes() -> None:
    container = _container(replica=True)

    assert Context(container).queries is container.queries is not container.primary_queries


def test_a_request_reads_the_primary_once_it_has_written() -> None:
    container = _container(replica=True)
    context = Context(container)

    context.forget_reads()  # what every mutation does after its write

    assert context.queries is container.primary_queries


def test_without_a_replica_the_read_side_is_the_primary() -> None:
    container = _container(replica=False)

    assert (container.replica, container.queries) == (None, container.primary_queries)


def test_the_replica_comes_from_rapport_read_database_url() -> None:
    settings = Settings.from_environment(
        {"RAPPORT_DATABASE_URL": PRIMARY, "RAPPORT_READ_DATABASE_URL": REPLICA})

    assert settings.read_database_url == REPLICA


def test_a_replica_without_a_primary_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="RAPPORT_READ_DATABASE_URL needs RAPPORT_DATABASE_URL"):
        Settings.from_environment({"RAPPORT_READ_DATABASE_URL": REPLICA})


def test_a_replica_that_is_away_leaves_the_service_ready() -> None:
    assert is_ready({"database": "ok", "schema": "ok",
                     "replica": "unreachable: ConnectionRefusedError; reads go to the primary"})
