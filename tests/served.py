"""`rapport serve` as an operator runs it: a subprocess configured by the environment, its
output kept in files the test reads afterwards: stderr (the logs, and the CLI's lines)
and stdout (what it prints: the seed's summary, a console exporter's spans and metrics)."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
STARTUP = 120.0  # seconds: migrating and seeding on a loaded machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Served:
    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path,
                 printed: Path) -> None:
        self.process, self.port, self._log, self._printed = process, port, log, printed
        self._kept: tuple[str, str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        """Its stderr so far, or in all once it has stopped."""
        return self._kept[0] if self._kept is not None else self._log.read_text()

    def printed(self) -> str:
        """Its stdout so far, or in all once it has stopped."""
        return self._kept[1] if self._kept is not None else self._printed.read_text()

    def keep_output(self) -> None:
        self._kept = (self.output(), self.printed())

    def terminate(self) -> None:
        """SIGTERM, as Kubernetes stops a pod."""
        self.process.send_signal(signal.SIGTERM)

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"not ready within {STARTUP} s:\n{self.output()}")


@contextmanager
def serving(database_url: str, *arguments: str, **environment: str) -> Iterator[Served]:
    """A ready `rapport serve --migrate` on `database_url`; killed if still running after."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAPPORT_", "OTEL_"))}
    env |= {"RAPPORT_DATABASE_URL": database_url, "RAPPORT_RATE_LIMIT": "off", **environment}
    with tempfile.TemporaryDirectory(prefix="rapport-served-") as scratch:
        log, printed = Path(scratch) / "stderr.log", Path(scratch) / "stdout.log"
        with log.open("wb") as errors, printed.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--migrate", "--port", str(port),
                 *arguments],
                cwd=REPO, env=env, stdout=out, stderr=errors,
            )
        served = Served(process, port, log, printed)
        try:
            served.wait_until_ready()
            yield served
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
            served.keep_output()
