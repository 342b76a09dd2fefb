"""Structured logs: JSON lines in production, readable lines in development.

Every line carries the trace and span ids of the span it was written in (when tracing is
on), so that a log line leads to its trace. A request's own line (api/http/observation.py)
gives its fields as `extra`; only those named there are written, never a record's other
attributes. Uvicorn's lines go the same way; its access log is off, since its request
line quotes the URL, and a GET's query string holds the variables (emails, phones):
Rapport's own request line replaces it.
"""

import logging
from collections.abc import MutableMapping
from typing import Any

import structlog
from opentelemetry import trace

from infrastructure.settings import Settings

# The fields of a request's line (api/http/observation.py writes them).
REQUEST_FIELDS = ("trace_id", "span_id", "operation_name", "operation_type", "read_path",
                  "duration_ms", "client_id", "role", "status", "error_codes", "request_id")


def _trace_context(logger: Any, method: str, event: MutableMapping[str, Any]
                   ) -> MutableMapping[str, Any]:
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event.setdefault("trace_id", trace.format_trace_id(context.trace_id))
        event.setdefault("span_id", trace.format_span_id(context.span_id))
    return event


def configure_logging(settings: Settings) -> None:
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _trace_context,
    ]
    handler = logging.StreamHandler()
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(allow=REQUEST_FIELDS)],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # Alembic narrates every revision check, and /readyz makes one per probe.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []  # uvicorn's own, plain text: through the root's instead
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
