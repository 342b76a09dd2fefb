"""OpenTelemetry tracing: a span per GraphQL operation and per use case.

Off unless configured; then spans go to an OTLP/HTTP collector (`RAPPORT_OTEL_ENDPOINT`,
e.g. http://otel-collector:4318) or to stdout (`console`, for a look in development).
"""

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)

from infrastructure.settings import Settings


def configure_tracing(settings: Settings) -> None:
    exporter = _exporter(settings.otel_endpoint)
    if exporter is None:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": "rapport"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)


def _exporter(endpoint: str | None) -> SpanExporter | None:
    if not endpoint:
        return None
    if endpoint == "console":
        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
