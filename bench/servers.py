"""Starting the servers under test as uvicorn subprocesses: one worker each, production-like
settings, so the load generator (this process) never shares an interpreter with them."""

import asyncio
import os
import socket
import time
from asyncio.subprocess import Process
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parent.parent
UVICORN = REPO / ".venv" / "bin" / "uvicorn"
RAPPORT_FACTORY = "api.http.app:create_app_from_environment"
BASELINE_FACTORY = "bench.baseline:create_app"
READY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class ServerSpec:
    """How to start one target: a uvicorn factory and the settings that differ."""

    factory: str
    environment: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Server:
    name: str
    base_url: str
    log: Path

    @property
    def graphql_url(self) -> str:
        return f"{self.base_url}/graphql"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(database_url: str, overrides: Mapping[str, str]) -> dict[str, str]:
    # Production-like: JSON logs at WARNING, no GraphiQL. The baseline reads the same settings.
    # The load generator sends no credentials and is one caller: it acts as ADMIN and has no
    # rate limit (API-key verification, one indexed lookup a request, is not measured here).
    return {
        **os.environ,
        "RAPPORT_DATABASE_URL": database_url,
        "RAPPORT_ENV": "production",
        "RAPPORT_LOG_LEVEL": "WARNING",
        "RAPPORT_GRAPHIQL": "false",
        "RAPPORT_ANONYMOUS_ROLE": "ADMIN",
        "RAPPORT_RATE_LIMIT": "off",
        **overrides,
    }


def _command(factory: str, port: int) -> list[str]:
    return [
        str(UVICORN), "--factory", factory, "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--log-level", "warning", "--no-access-log",
    ]


async def _wait_until_ready(server: Server, process: Process) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"{server.name} exited at start-up; see {server.log}:\n"
                                   + _tail(server.log))
            try:
                async with session.get(f"{server.base_url}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass  # not listening yet
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{server.name} not ready after {READY_TIMEOUT_S:.0f}s; see {server.log}")


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


async def _stop(process: Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), timeout=15)
    except TimeoutError:
        process.kill()
        await process.wait()


@asynccontextmanager
async def running_server(
    name: str, spec: ServerSpec, database_url: str, log_dir: Path
) -> AsyncIterator[Server]:
    """A uvicorn subprocess serving `spec`, ready to answer, stopped on exit."""
    port = _free_port()
    server = Server(name, f"http://127.0.0.1:{port}", log_dir / f"{name}.log")
    with server.log.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *_command(spec.factory, port), cwd=REPO,
            env=_environment(database_url, spec.environment),
            stdout=log, stderr=asyncio.subprocess.STDOUT,
        )
    try:
        await _wait_until_ready(server, process)
        yield server
    finally:
        await _stop(process)
