"""A primary and its streaming replica, private to the test session: two PostgreSQL clusters
made with this machine's server binaries (initdb, then pg_basebackup -R), on free ports of
127.0.0.1 in a temporary directory that is removed at the end.

The machine's own PostgreSQL can't be reconfigured for replication, hence clusters of our
own. PostgreSQL refuses to run as root: as root, they run as the `postgres` system user.
"""

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

NEEDED = ("initdb", "pg_ctl", "pg_basebackup", "postgres")
SERVER_USER = "postgres"  # who runs the clusters when the tests run as root


def server_binaries() -> Path | None:
    """A directory with every server binary the clusters need: pg_config's, else the newest
    Debian-style /usr/lib/postgresql/<version>/bin, else where initdb is on PATH."""
    candidates: list[Path] = []
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                               check=True)
        candidates.append(Path(found.stdout.strip()))
    candidates += [Path(d) for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                                           key=lambda d: int(Path(d).parent.name), reverse=True)
                   if Path(d).parent.name.isdigit()]
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    for directory in candidates:
        if all(os.access(directory / name, os.X_OK) for name in NEEDED):
            return directory
    return None


def unprivileged_user() -> pwd.struct_passwd | None:
    """Who runs the servers: None for ourselves; as root, the `postgres` user (KeyError when
    there is none)."""
    return pwd.getpwnam(SERVER_USER) if os.geteuid() == 0 else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class StreamingReplica:
    """The two clusters: `primary_url` and `replica_url` name their `postgres` database."""

    bindir: Path
    root: Path
    user: pwd.struct_passwd | None
    primary_port: int
    replica_port: int

    @classmethod
    @contextlib.contextmanager
    def running(cls, bindir: Path, user: pwd.struct_passwd | None) -> Iterator["StreamingReplica"]:
        root = Path(tempfile.mkdtemp(prefix="rapport-replica-"))
        clusters = cls(bindir, root, user, free_port(), free_port())
        try:
            if user is not None:
                os.chown(root, user.pw_uid, user.pw_gid)
            clusters._make_primary()
            clusters._make_replica()
            yield clusters
        finally:
            for name in ("replica", "primary"):
                if (root / name / "postmaster.pid").exists():
                    clusters._pg_ctl(name, "stop", "-m", "immediate")
            shutil.rmtree(root, ignore_errors=True)

    @property
    def primary_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.primary_port}/postgres"

    @property
    def replica_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.replica_port}/postgres"

    def stop_replica(self) -> None:
        self._pg_ctl("replica", "stop", "-m", "fast")

    def start_replica(self) -> None:
        self._pg_ctl("replica", "start", "-l", str(self.root / "replica.log"))

    def _make_primary(self) -> None:
        data = self.root / "primary"
        self._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(f"""
listen_addresses = '127.0.0.1'
port = {self.primary_port}
unix_socket_directories = '{self.root}'
wal_level = replica
max_wal_senders = 4
max_connections = 60
shared_buffers = 32MB
fsync = off
""")
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        self._pg_ctl("primary", "start", "-l", str(self.root / "primary.log"))

    def _make_replica(self) -> None:
        data = self.root / "replica"
        # -R: standby.signal and primary_conninfo, so it starts as a streaming replica.
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port),
                  "-U", "postgres", "-D", str(data), "-R", "-X", "stream", "-c", "fast")
        with (data / "postgresql.auto.conf").open("a") as conf:
            conf.write(f"port = {self.replica_port}\n")
        self.start_replica()

    def _pg_ctl(self, cluster: str, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.root / cluster), "-w", "-t", "60", *args)

    def _run(self, binary: str, *args: str) -> None:
        user = self.user
        subprocess.run(
            [str(self.bindir / binary), *args], cwd=self.root, check=True, capture_output=True,
            user=user.pw_uid if user else None, group=user.pw_gid if user else None,
        )


async def until(check: Callable[[], Awaitable[bool]], *, every: float, within: float) -> None:
    """Asks `check` every so often until it says yes; TimeoutError after `within` seconds."""
    for _ in range(max(1, int(within / every))):
        if await check():
            return
        await asyncio.sleep(every)
    raise TimeoutError(f"not so after {within} s")


async def caught_up(primary_url: str, replica_url: str) -> None:
    """Returns once the replica has replayed everything the primary has written so far."""
    primary = await asyncpg.connect(primary_url)
    try:
        written = await primary.fetchval("SELECT pg_current_wal_lsn()")
    finally:
        await primary.close()
    replica = await asyncpg.connect(replica_url)

    async def replayed() -> bool:
        done: bool = await replica.fetchval("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn",
                                            written)
        return done

    try:
        await until(replayed, every=0.02, within=30)
    finally:
        await replica.close()


async def pause_replay(replica_url: str) -> None:
    """Until `resume_replay`, the replica serves what it had replayed: the primary's later
    writes wait in its WAL."""
    replica = await asyncpg.connect(replica_url)
    try:
        await replica.execute("SELECT pg_wal_replay_pause()")

        async def paused() -> bool:
            state = await replica.fetchval("SELECT pg_get_wal_replay_pause_state()")
            return bool(state == "paused")

        await until(paused, every=0.01, within=30)
    finally:
        await replica.close()


async def resume_replay(replica_url: str) -> None:
    replica = await asyncpg.connect(replica_url)
    try:
        await replica.execute("SELECT pg_wal_replay_resume()")
    finally:
        await replica.close()


@dataclass(frozen=True)
class Replicated:
    """A database on the primary (`primary`, its engine) and the same on the replica."""

    primary_url: str
    replica_url: str
    primary: AsyncEngine

    async def caught_up(self) -> None:
        await caught_up(self.primary_url, self.replica_url)

    async def pause(self) -> None:
        await pause_replay(self.replica_url)

    async def resume(self) -> None:
        """Replays what waited, and returns once it has."""
        await resume_replay(self.replica_url)
        await self.caught_up()
