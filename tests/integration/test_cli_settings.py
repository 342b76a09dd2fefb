"""A malformed setting stops every command before it does anything: one line on stderr,
`rapport: configuration error: RAPPORT_… is not …`, exit code 2, no traceback, and
nothing migrated (docs/operations.md, "Every setting")."""

import os
import re
import signal
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import text

from api.cli import main
from infrastructure.migrations import current_revision
from infrastructure.postgres.engine import create_engine
from tests.integration.test_cli import REPO, rapport

# Nothing listens on port 1: a malformed value that slipped through would fail to connect
# (exit 1) rather than do any work.
UNREACHABLE = "postgresql://rapport:s3cret@127.0.0.1:1/rapport"
SECRET = "s3cret"  # in the values of secret settings, which the message must not repeat

MALFORMED = [
    ("RAPPORT_DATABASE_URL", f"mysql://root:{SECRET}@db/rapport"),
    ("RAPPORT_DATABASE_URL", f"postgresql://rapport:{SECRET}@db:port/rapport"),
    ("RAPPORT_READ_DATABASE_URL", "replica.internal:5432"),
    ("RAPPORT_TEST_DATABASE_URL", f"sqlite://{SECRET}"),
    ("RAPPORT_PORT", "eighty"),
    ("RAPPORT_PORT", "70000"),
    ("RAPPORT_WORKERS", "0"),
    ("RAPPORT_ENV", "prod"),
    ("RAPPORT_LOG_LEVEL", "WARN"),
    ("RAPPORT_LOG_FORMAT", "yaml"),
    ("RAPPORT_DB_POOL_SIZE", "ten"),
    ("RAPPORT_STATEMENT_TIMEOUT_MS", "-1"),
    ("RAPPORT_DB_POOL_TIMEOUT_MS", "5s"),
    ("RAPPORT_DB_CONNECT_TIMEOUT_MS", "0"),
    ("RAPPORT_SHUTDOWN_TIMEOUT", "20s"),
    ("RAPPORT_COMPILED_READS", "yes"),
    ("RAPPORT_GRAPHIQL", "on"),
    ("RAPPORT_INTROSPECTION", "1"),
    ("RAPPORT_DOCUMENT_CACHE_SIZE", "0"),
    ("RAPPORT_MAX_BODY_BYTES", "1MB"),
    ("RAPPORT_MAX_QUERY_TOKENS", "many"),
    ("RAPPORT_MAX_QUERY_DEPTH", "1.5"),
    ("RAPPORT_MAX_QUERY_ALIASES", ""),
    ("RAPPORT_MAX_QUERY_COST", "-5"),
    ("RAPPORT_RATE_LIMIT", "lots"),
    ("RAPPORT_RATE_LIMIT_STORAGE", f"redis//:{SECRET}@cache:6379"),
    ("RAPPORT_PERSISTED_QUERIES", "/nonexistent/manifest.json"),
    ("RAPPORT_PERSISTED_QUERIES_ONLY", "yes"),
    ("RAPPORT_ANONYMOUS_ROLE", "SUPERUSER"),
    ("RAPPORT_JWT_JWKS_URL", "idp.example.com/jwks"),
    ("RAPPORT_JWT_PUBLIC_KEY", f"{SECRET}, not a PEM"),
    ("RAPPORT_JWT_PUBLIC_KEY_FILE", "/nonexistent/key.pem"),
    ("RAPPORT_JWT_ALGORITHMS", "none"),
    ("RAPPORT_JWT_ALGORITHMS", "HS256"),
    ("RAPPORT_JWT_LEEWAY_SECONDS", "30s"),
    ("RAPPORT_CASE_SLA_HOURS", "URGENT=4"),
    ("RAPPORT_CASE_FOLLOW_UP_DAYS", "three"),
    ("RAPPORT_OTEL_ENDPOINT", "collector:4318"),
]
# Any text is a value of these: nothing can be malformed.
FREE_TEXT = {"RAPPORT_DATA_DIR", "RAPPORT_HOST", "RAPPORT_JWT_ISSUER", "RAPPORT_JWT_AUDIENCE",
             "RAPPORT_JWT_ROLE_CLAIM"}
COMMANDS = [
    ["serve", "--migrate"], ["migrate"], ["seed", "--demo"], ["api-client", "list"],
    ["loyalty", "close-period"], ["loyalty", "expire-points"], ["loyalty", "check"],
    ["partners", "close-period"], ["partners", "expire-grants"],
]


Run = Callable[[Sequence[str], dict[str, str]], tuple[int, str]]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Run]:
    """`run(argv, {name: value})`: `rapport` in this process, on an unreachable database
    unless told otherwise; its exit code and stderr."""
    sigterm = signal.getsignal(signal.SIGTERM)  # main() makes SIGTERM an interrupt

    def running(argv: Sequence[str], environment: dict[str, str]) -> tuple[int, str]:
        for name in [name for name in os.environ if name.startswith("RAPPORT_")]:
            monkeypatch.delenv(name)
        for name, value in ({"RAPPORT_DATABASE_URL": UNREACHABLE} | environment).items():
            monkeypatch.setenv(name, value)
        exit_code = main(argv)
        return exit_code, capsys.readouterr().err

    yield running
    signal.signal(signal.SIGTERM, sigterm)


def _refused(exit_code: int, stderr: str, name: str) -> None:
    assert exit_code == 2, stderr
    assert stderr.startswith(f"rapport: configuration error: {name} "), stderr
    assert stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr
    assert SECRET not in stderr


@pytest.mark.parametrize(("name", "value"), MALFORMED,
                         ids=[f"{name}={value}" for name, value in MALFORMED])
def test_a_malformed_setting_is_a_configuration_error(run: Run, name: str, value: str) -> None:
    _refused(*run(["migrate"], {name: value}), name)


def test_every_setting_rapport_reads_has_a_malformed_case_or_takes_any_text() -> None:
    read = set(re.findall(r'"(RAPPORT_[A-Z0-9_]+)"',
                          (REPO / "infrastructure" / "settings.py").read_text()))
    assert read == {name for name, _ in MALFORMED} | FREE_TEXT


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_every_command_checks_its_settings_first(run: Run, argv: list[str]) -> None:
    _refused(*run(argv, {"RAPPORT_LOG_LEVEL": "WARN"}), "RAPPORT_LOG_LEVEL")


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_production_without_a_database_url_is_a_configuration_error(
    run: Run, argv: list[str], tmp_path: Path
) -> None:
    """Production never runs the embedded PostgreSQL: without a URL it would keep its data
    in the pod's own directory, and lose it with the pod."""
    _refused(*run(argv, {"RAPPORT_ENV": "production", "RAPPORT_DATABASE_URL": "",
                         "RAPPORT_DATA_DIR": str(tmp_path)}), "RAPPORT_DATABASE_URL")


def test_production_exports_the_schema_without_a_database(run: Run, tmp_path: Path) -> None:
    written = tmp_path / "schema.graphql"

    exit_code, stderr = run(["export-schema", "--output", str(written)],
                            {"RAPPORT_ENV": "production", "RAPPORT_DATABASE_URL": ""})

    assert exit_code == 0, stderr
    assert written.read_text() == (REPO / "schema.graphql").read_text()


def test_an_issuer_without_an_audience_is_a_configuration_error_naming_both(run: Run) -> None:
    exit_code, stderr = run(["migrate"], {
        "RAPPORT_JWT_ISSUER": "https://login.example.com/",
        "RAPPORT_JWT_JWKS_URL": "https://login.example.com/.well-known/jwks.json"})

    _refused(exit_code, stderr, "RAPPORT_JWT_ISSUER")
    assert "RAPPORT_JWT_AUDIENCE" in stderr


def test_a_bad_manifest_is_refused_with_its_reason(run: Run, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"0000000000000000000000000000000000000000000000000000000000000000": '
                        '"query { __typename }"}')

    exit_code, stderr = run(["migrate"], {"RAPPORT_PERSISTED_QUERIES": str(manifest)})

    _refused(exit_code, stderr, "RAPPORT_PERSISTED_QUERIES")
    assert "not the sha256 of its text" in stderr


async def test_serve_migrate_with_a_bad_setting_leaves_the_database_unmigrated(
    empty_database_url: str,
) -> None:
    result = rapport("serve", "--migrate", "--port", "1",
                     RAPPORT_DATABASE_URL=empty_database_url, RAPPORT_LOG_LEVEL="WARN")

    _refused(result.returncode, result.stderr, "RAPPORT_LOG_LEVEL")
    engine = create_engine(empty_database_url, pooled=False)
    try:
        assert await current_revision(engine) is None
        async with engine.connect() as connection:
            tables = await connection.scalar(text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"))
        assert tables == 0
    finally:
        await engine.dispose()
