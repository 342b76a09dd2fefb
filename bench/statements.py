"""SQL statements per request, counted on the wire: a small proxy between a server and
PostgreSQL counts the frontend messages that run SQL (Execute, and Query of the simple
protocol, which drivers use for BEGIN/COMMIT/ROLLBACK and resets). It slows the server, so
the runner uses it in a separate short pass, never while measuring."""

import asyncio
import contextlib
import shutil
import struct
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import aiohttp

from bench.load import HEADERS

SSL_REQUEST = 80877103
GSS_ENCRYPTION_REQUEST = 80877104
CANCEL_REQUEST = 80877102
RUNS_SQL = frozenset(b"EQ")  # Execute (extended protocol), Query (simple protocol)
CHUNK = 65536


@dataclass
class CountingProxy:
    url: str  # what the server connects to instead of PostgreSQL
    statements: int = 0


def _upstream_address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = parse_qs(parts.query).get("host", [parts.hostname or "127.0.0.1"])[0]
    return host, parts.port or 5432


async def _open_upstream(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = _upstream_address(url)
    if host.startswith("/"):  # a socket directory, as libpq spells it
        return await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
    return await asyncio.open_connection(host, port)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while chunk := await reader.read(CHUNK):
        writer.write(chunk)
        await writer.drain()
    writer.close()


async def _startup(
    client: asyncio.StreamReader, client_out: asyncio.StreamWriter,
    upstream: asyncio.StreamWriter,
) -> bool:
    """Pass the untyped start-up messages on; False for a cancel request (nothing follows).
    Encryption requests are refused here, so the stream stays readable."""
    while True:
        header = await client.readexactly(8)
        length, code = struct.unpack("!ii", header)
        rest = await client.readexactly(length - 8)
        if code in (SSL_REQUEST, GSS_ENCRYPTION_REQUEST):
            client_out.write(b"N")
            continue
        upstream.write(header + rest)
        return bool(code != CANCEL_REQUEST)


async def _count_frontend(
    proxy: CountingProxy, client: asyncio.StreamReader, client_out: asyncio.StreamWriter,
    upstream: asyncio.StreamWriter,
) -> None:
    if await _startup(client, client_out, upstream):
        with contextlib.suppress(asyncio.IncompleteReadError):
            while True:
                header = await client.readexactly(5)
                kind, length = header[0], struct.unpack("!i", header[1:])[0]
                upstream.write(header + await client.readexactly(length - 4))
                await upstream.drain()
                proxy.statements += kind in RUNS_SQL
    upstream.close()


async def _serve(proxy: CountingProxy, upstream_url: str, client: asyncio.StreamReader,
                 client_out: asyncio.StreamWriter) -> None:
    upstream_in, upstream = await _open_upstream(upstream_url)
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
        await asyncio.gather(_count_frontend(proxy, client, client_out, upstream),
                             _pipe(upstream_in, client_out))
    client_out.close()


def _through(socket_dir: str, url: str) -> str:
    parts = urlsplit(url)
    user = parts.netloc.rpartition("@")[0]
    return urlunsplit(("postgresql", f"{user}@", parts.path, f"host={socket_dir}", ""))


@contextlib.asynccontextmanager
async def counting_proxy(upstream_url: str) -> AsyncIterator[CountingProxy]:
    """A proxy on a Unix socket (where drivers never ask for TLS) in front of the database."""
    socket_dir = tempfile.mkdtemp(prefix="rapport-bench-")
    proxy = CountingProxy(_through(socket_dir, upstream_url))

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _serve(proxy, upstream_url, reader, writer)

    server = await asyncio.start_unix_server(accept, str(Path(socket_dir) / ".s.PGSQL.5432"))
    try:
        yield proxy
    finally:
        server.close()
        shutil.rmtree(socket_dir, ignore_errors=True)


async def _send_all(session: aiohttp.ClientSession, url: str, bodies: Sequence[bytes],
                    headers: Mapping[str, str]) -> None:
    for body in bodies:
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()


async def per_request(proxy: CountingProxy, url: str, bodies: Sequence[bytes], *,
                      warm_up_with: Sequence[bytes] | None = None,
                      headers: Mapping[str, str] = HEADERS) -> float:
    """Statements per request in steady state: one pass to open connections and prepare
    statements, then the counted pass, one request at a time. Writes warm up with other
    requests (`warm_up_with`): the same ones again would be replays."""
    async with aiohttp.ClientSession() as session:
        await _send_all(session, url, bodies if warm_up_with is None else warm_up_with,
                        headers)
        before = proxy.statements
        await _send_all(session, url, bodies, headers)
    return (proxy.statements - before) / len(bodies)
