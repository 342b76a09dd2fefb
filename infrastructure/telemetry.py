"""OpenTelemetry: traces and metrics, configured by the standard `OTEL_*` variables.

Spans: the HTTP request (api/http/tracing.py), the GraphQL operation under it
(`graphql.operation.name`, `graphql.operation.type`; never its document or variables), each
use case, and each SQL statement (opentelemetry-instrumentation-asyncpg: every statement
reaches PostgreSQL through asyncpg, SQLAlchemy's included; the text is the statement with
its `$n` placeholders, never the values). Metrics: `RequestInstruments`, `observe_pools` and
`observe_replica_lag` below.

Both are off unless an exporter is configured (settings.py reads which): off, no span and
no instrument is made at all, since even no-op spans cost a measurable share of a compiled
read. The SDK reads the rest of its variables itself (OTEL_EXPORTER_OTLP_ENDPOINT and its
per-signal forms, _HEADERS, _TIMEOUT, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
OTEL_TRACES_SAMPLER, OTEL_BSP_*, OTEL_METRIC_EXPORT_INTERVAL): that is what they are for.
"""

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import Tracer

from infrastructure.settings import Settings

SERVICE = "rapport"
# Buckets of request durations, in seconds (the semantic conventions' advice for
# http.server.request.duration).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0,
                    7.5, 10.0)


@dataclass(frozen=True)
class Telemetry:
    """The providers the service's spans and instruments come from; None: that signal is
    off. The composition root hands it to whatever traces or measures."""

    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None

    def tracer(self, name: str) -> Tracer | None:
        return None if self.tracer_provider is None else self.tracer_provider.get_tracer(name)

    def meter(self, name: str) -> Meter | None:
        return None if self.meter_provider is None else self.meter_provider.get_meter(name)

    def instrument_sql(self) -> None:
        """Spans for SQL statements, under the span of the use case or read that sends them."""
        if self.tracer_provider is None:
            return
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

        AsyncPGInstrumentor(capture_parameters=False).instrument(
            tracer_provider=self.tracer_provider)

    def uninstrument_sql(self) -> None:
        if self.tracer_provider is None:
            return
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

        AsyncPGInstrumentor().uninstrument()

    def shutdown(self) -> None:
        """Exports what is pending."""
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()
        if self.meter_provider is not None:
            self.meter_provider.shutdown()


OFF = Telemetry()


def untraced() -> contextlib.AbstractContextManager[None]:
    """No span inside (for tasks: those created inside): the service's own periodic work is
    no request, and its SQL would add a trace of its own every few seconds."""
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    return suppress_instrumentation()


def telemetry(
    span_processors: Sequence[SpanProcessor] = (), metric_readers: Sequence[MetricReader] = (),
) -> Telemetry:
    """Providers over these processors and readers, with the service's resource (the
    service name, unless OTEL_SERVICE_NAME says otherwise); a signal with none is off."""
    resource = Resource.create({"service.name": SERVICE}).merge(Resource.create())
    tracer_provider = None
    if span_processors:
        tracer_provider = TracerProvider(resource=resource)
        for processor in span_processors:
            tracer_provider.add_span_processor(processor)
    meter_provider = (MeterProvider(resource=resource, metric_readers=list(metric_readers))
                      if metric_readers else None)
    return Telemetry(tracer_provider, meter_provider)


def configure_telemetry(settings: Settings) -> Telemetry:
    """The process's telemetry, from the settings, installed as OpenTelemetry's global
    providers too (for libraries that trace on their own)."""
    spans, readers = exporters(settings)
    configured = telemetry(
        [BatchSpanProcessor(spans)] if spans is not None else (),
        [PeriodicExportingMetricReader(readers)] if readers is not None else (),
    )
    if configured.tracer_provider is not None:
        trace.set_tracer_provider(configured.tracer_provider)
    if configured.meter_provider is not None:
        metrics.set_meter_provider(configured.meter_provider)
    configured.instrument_sql()
    return configured


def exporters(settings: Settings) -> tuple[SpanExporter | None, MetricExporter | None]:
    """Where spans and metrics go (None: that signal is off). An OTLP exporter given no
    endpoint reads OTEL_EXPORTER_OTLP_(TRACES_|METRICS_)ENDPOINT, _HEADERS… itself."""
    return (_span_exporter(settings.otel_traces_exporter, settings.otel_traces_endpoint),
            _metric_exporter(settings.otel_metrics_exporter, settings.otel_metrics_endpoint))


def _span_exporter(kind: str, endpoint: str | None) -> SpanExporter | None:
    if kind == "console":
        return ConsoleSpanExporter()
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=endpoint)
    return None


def _metric_exporter(kind: str, endpoint: str | None) -> MetricExporter | None:
    if kind == "console":
        return ConsoleMetricExporter()
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        return OTLPMetricExporter(endpoint=endpoint)
    return None


class RequestInstruments:
    """The metrics of GraphQL requests (api/http/observation.py records them):

    - `http.server.request.duration` (s): a histogram by operation type, read path, status;
    - `rapport.graphql.requests`: requests by operation type and HTTP status;
    - `rapport.graphql.errors`: errors answered, by `error.code` (SERVICE_UNAVAILABLE,
      TIMEOUT, BAD_USER_INPUT, RATE_LIMITED, INTERNAL_SERVER_ERROR…);
    - `rapport.graphql.reads`: queries by `rapport.read.path`, compiled or executed;
    - `rapport.rate_limit.refusals`: requests refused with 429.

    No attribute carries anything a caller chose freely (an operation's name is the
    client's; a trace has it), so the series stay few.
    """

    def __init__(self, meter: Meter) -> None:
        self._duration = meter.create_histogram(
            "http.server.request.duration", unit="s",
            description="Duration of GraphQL requests.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS)
        self._requests = meter.create_counter(
            "rapport.graphql.requests", unit="{request}", description="GraphQL requests.")
        self._errors = meter.create_counter(
            "rapport.graphql.errors", unit="{error}",
            description="Errors answered to GraphQL requests, by code.")
        self._reads = meter.create_counter(
            "rapport.graphql.reads", unit="{request}",
            description="Queries answered by one compiled statement or field by field.")
        self._refusals = meter.create_counter(
            "rapport.rate_limit.refusals", unit="{request}",
            description="Requests refused because the caller's rate limit was spent.")

    def record(self, *, method: str, operation_type: str | None, read_path: str | None,
               status: int, error_codes: tuple[str, ...], duration_s: float) -> None:
        attributes: dict[str, str | int] = {"http.request.method": method,
                                            "http.response.status_code": status}
        if operation_type is not None:
            attributes["graphql.operation.type"] = operation_type
        if read_path is not None:
            attributes["rapport.read.path"] = read_path
            self._reads.add(1, {"rapport.read.path": read_path})
        self._duration.record(duration_s, attributes)
        self._requests.add(1, {k: v for k, v in attributes.items()
                               if k != "http.request.method"})
        for code in error_codes:
            self._errors.add(1, {"error.code": code})

    def refused_by_rate_limit(self) -> None:
        self._refusals.add(1)


PoolReading = Callable[[], tuple[int, int, int]]  # connections in use, idle, callers waiting


def observe_pools(meter: Meter, pools: dict[str, PoolReading]) -> None:
    """`db.client.connection.count` (by `db.client.connection.state`, used or idle) and
    `db.client.connection.pending_requests`, for each named pool, read when collected."""

    def counts(options: CallbackOptions) -> Iterable[Observation]:
        for name, reading in pools.items():
            used, idle, _ = reading()
            yield Observation(used, {"db.client.connection.pool.name": name,
                                     "db.client.connection.state": "used"})
            yield Observation(idle, {"db.client.connection.pool.name": name,
                                     "db.client.connection.state": "idle"})

    def pending(options: CallbackOptions) -> Iterable[Observation]:
        for name, reading in pools.items():
            yield Observation(reading()[2], {"db.client.connection.pool.name": name})

    meter.create_observable_up_down_counter(
        "db.client.connection.count", [counts], unit="{connection}",
        description="Connections of each pool, in use or idle.")
    meter.create_observable_up_down_counter(
        "db.client.connection.pending_requests", [pending], unit="{request}",
        description="Callers waiting for a connection of each pool.")


def observe_replica_lag(meter: Meter, last_reading: Callable[[], float | None]) -> None:
    """`rapport.db.replica.lag` (s): how far the read replica's replay is behind the primary,
    as /readyz tells it, from the last reading; no value while it is unknown."""

    def lag(options: CallbackOptions) -> Iterable[Observation]:
        seconds = last_reading()
        return () if seconds is None else (Observation(seconds),)

    meter.create_observable_gauge(
        "rapport.db.replica.lag", [lag], unit="s",
        description="How far the read replica's replay is behind the primary.")
