"""A TCP proxy in front of the test PostgreSQL that a test can cut: the database "goes away"
under a running service and comes back, with no server to stop (which the shared test
server, and CI's, must not be).

- `refuse()`: no listener, and every open connection closed: what a stopped server or a
  lost network looks like to the service (connection refused, connection lost);
- `starting()`: each new connection is answered as a server still starting up answers
  (SQLSTATE 57P03, asyncpg's CannotConnectNowError);
- `silent()`: each new connection is accepted and never answered (a host that drops
  packets: only a connect timeout ends the wait);
- `cut_on(n)`: every connection is closed the moment the n-th statement of the service
  reaches the proxy, before it reaches PostgreSQL (or, with `after=True`, once PostgreSQL
  has it but before its answer reaches the service): a database dying mid-request;
- `restore()`: forwarding again.

The proxy answers the client's SSLRequest itself ("no"), so the protocol stays readable:
it counts statements by the messages that end one (Sync, or a simple Query).
"""

import asyncio
import contextlib
import struct
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.engine import make_url

_SSL_REQUEST, _GSS_REQUEST = 80877103, 80877104
_STATEMENT_ENDS = {b"S", b"Q"}  # Sync (extended protocol), Query (simple protocol)


def _error_response(sqlstate: str, message: str) -> bytes:
    fields = b"".join(kind + text.encode() + b"\0" for kind, text in (
        (b"S", "FATAL"), (b"V", "FATAL"), (b"C", sqlstate), (b"M", message)))
    body = fields + b"\0"
    return b"E" + struct.pack("!I", len(body) + 4) + body


class PostgresProxy:
    def __init__(self, server_url: str) -> None:
        url = urlsplit(server_url)
        socket_dir = parse_qs(url.query).get("host", [None])[0]
        port = url.port or 5432
        self._unix = f"{socket_dir}/.s.PGSQL.{port}" if socket_dir else None
        self._target = (url.hostname or "127.0.0.1", port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._mode = "forward"
        self._open: set[asyncio.StreamWriter] = set()
        self._cut_at: tuple[Callable[[bytes], bool], bool] | None = None
        self.statements = 0  # statements the service sent through, since the last restore
        self.cut = asyncio.Event()  # set when a `cut_on` fired

    def url_of(self, database_url: str) -> str:
        """`database_url` reached through the proxy instead."""
        url = make_url(database_url)
        query = {k: v for k, v in url.query.items() if k != "host"}
        return url.set(host="127.0.0.1", port=self.port, query=query).render_as_string(
            hide_password=False)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        await self._stop_listening()
        self._close_all()

    async def refuse(self) -> None:
        await self._stop_listening()
        self._close_all()

    async def starting(self) -> None:
        await self._switch("starting")

    async def silent(self) -> None:
        await self._switch("silent")

    async def restore(self) -> None:
        await self._switch("forward")

    def cut_on(self, statement: int, *, after: bool = False) -> None:
        """Cuts every connection at the `statement`-th statement from now (1: the next)."""
        self.statements = 0
        self._cut_when(lambda message: self.statements >= statement, after)

    def cut_on_commit(self) -> None:
        """Cuts every connection once the next COMMIT reached PostgreSQL, before its answer
        reaches the service: the transaction is committed, and the service can't know."""
        self._cut_when(lambda message: message[:1] == b"Q" and message[5:11] == b"COMMIT",
                       after=True)

    def _cut_when(self, due: Callable[[bytes], bool], after: bool) -> None:
        self._cut_at = (due, after)
        self.cut.clear()

    async def _switch(self, mode: str) -> None:
        self._mode, self._cut_at = mode, None
        self.statements = 0
        self._close_all()
        if self._server is None:
            await self.start()

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def _close_all(self) -> None:
        for writer in list(self._open):
            writer.close()
        self._open.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._open.add(writer)
        try:
            if self._mode == "silent":
                await reader.read()  # until the client gives up
                return
            startup = await self._startup(reader, writer)
            if self._mode == "starting":
                writer.write(_error_response("57P03", "the database system is starting up"))
                await writer.drain()
                return
            if self._unix:
                server_reader, server_writer = await asyncio.open_unix_connection(self._unix)
            else:
                server_reader, server_writer = await asyncio.open_connection(*self._target)
            self._open.add(server_writer)
            server_writer.write(startup)
            downstream = asyncio.ensure_future(self._relay(server_reader, writer))
            try:
                await self._upstream(reader, writer, server_writer)
            finally:
                server_writer.close()
                await asyncio.gather(downstream, return_exceptions=True)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            writer.close()
            self._open.discard(writer)

    async def _startup(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                       ) -> bytes:
        """The client's startup packet, after refusing encryption it may ask for first."""
        while True:
            head = await reader.readexactly(8)
            length, code = struct.unpack("!II", head)
            if code in (_SSL_REQUEST, _GSS_REQUEST) and length == 8:
                writer.write(b"N")
                await writer.drain()
                continue
            return head + await reader.readexactly(length - 8)

    async def _upstream(self, reader: asyncio.StreamReader, client: asyncio.StreamWriter,
                        server: asyncio.StreamWriter) -> None:
        while True:
            head = await reader.readexactly(5)
            message = head + await reader.readexactly(struct.unpack("!I", head[1:])[0] - 4)
            if head[:1] in _STATEMENT_ENDS:
                self.statements += 1
                if self._cut_at is not None and self._cut_at[0](message):
                    after = self._cut_at[1]
                    if after:
                        # PostgreSQL gets the statement; the service never hears how it went.
                        client.close()
                        server.write(message)
                        await server.drain()
                        await asyncio.sleep(0.2)
                    self._fire()
                    return
            server.write(message)
            await server.drain()

    def _fire(self) -> None:
        self._cut_at = None
        self.cut.set()
        self._close_all()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()
