"""The load generator: N keep-alive connections, each sending requests back to back, with
every request's latency recorded. Kept cheap (pre-encoded bodies, no parsing of answers)
because on a small machine it competes for the same cores as the servers."""

import asyncio
import itertools
import statistics
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from time import perf_counter, process_time

import aiohttp

HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def with_key(key: str) -> dict[str, str]:
    """The headers of a caller with an API key (a partner's counter)."""
    return {**HEADERS, "Authorization": f"Bearer {key}"}
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=60)


@dataclass
class Sample:
    """What one stretch of load recorded."""

    elapsed_s: float = 0.0
    client_cpu_s: float = 0.0  # what the load generator itself burnt, for the record
    latencies_s: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None

    @property
    def requests(self) -> int:
        return len(self.latencies_s)

    def add(self, other: "Sample") -> None:
        self.elapsed_s += other.elapsed_s
        self.client_cpu_s += other.client_cpu_s
        self.latencies_s.extend(other.latencies_s)
        self.errors += other.errors
        self.first_error = self.first_error or other.first_error


@dataclass(frozen=True)
class Figures:
    requests: int
    errors: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    client_cpu_percent: float  # of one core

    @classmethod
    def of(cls, sample: Sample) -> "Figures":
        cuts = statistics.quantiles(sample.latencies_s, n=100, method="inclusive")
        return cls(sample.requests, sample.errors, sample.requests / sample.elapsed_s,
                   cuts[49] * 1000, cuts[98] * 1000,
                   100 * sample.client_cpu_s / sample.elapsed_s)


def _is_error(status: int, payload: bytes) -> bool:
    # A GraphQL error still comes with status 200; its answer has a top-level "errors" key.
    return status != 200 or b'"errors":' in payload


async def _send_back_to_back(
    session: aiohttp.ClientSession, url: str, bodies: Iterator[bytes], until: float,
    sample: Sample, headers: Mapping[str, str],
) -> None:
    while perf_counter() < until:
        body = next(bodies)  # one event loop, so connections share the iterator safely
        started = perf_counter()
        try:
            async with session.post(url, data=body, headers=headers) as response:
                status, payload = response.status, await response.read()
        except aiohttp.ClientError as error:  # e.g. a server dropping the connection
            status, payload = 0, repr(error).encode()
        sample.latencies_s.append(perf_counter() - started)
        if _is_error(status, payload):
            sample.errors += 1
            sample.first_error = sample.first_error or payload[:500].decode(errors="replace")


async def _load(
    session: aiohttp.ClientSession, url: str, bodies: Iterator[bytes], concurrency: int,
    seconds: float, headers: Mapping[str, str],
) -> Sample:
    sample = Sample()
    started, cpu_started = perf_counter(), process_time()
    await asyncio.gather(*(
        _send_back_to_back(session, url, bodies, started + seconds, sample, headers)
        for _ in range(concurrency)
    ))
    sample.elapsed_s = perf_counter() - started
    sample.client_cpu_s = process_time() - cpu_started
    return sample


async def measure(
    url: str, bodies: Sequence[bytes], *, concurrency: int, warmup_s: float, duration_s: float,
    headers: Mapping[str, str] = HEADERS,
) -> Sample:
    """Warm up (connections opened, caches filled, nothing recorded), then measure. The
    bodies are sent in order from the first, so every target sees the same sequence."""
    return await measure_stream(url, itertools.cycle(bodies), concurrency=concurrency,
                                warmup_s=warmup_s, duration_s=duration_s, headers=headers)


async def measure_stream(
    url: str, requests: Iterator[bytes], *, concurrency: int, warmup_s: float,
    duration_s: float, headers: Mapping[str, str] = HEADERS,
) -> Sample:
    """As `measure`, taking each body from `requests` once: writes, whose every request must
    be new (a repeated order would be a replay), continue the stream where it stopped."""
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=REQUEST_TIMEOUT) as session:
        if warmup_s > 0:
            await _load(session, url, requests, concurrency, warmup_s, headers)
        return await _load(session, url, requests, concurrency, duration_s, headers)
