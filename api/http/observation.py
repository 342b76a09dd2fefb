"""What a GraphQL request leaves behind for the people running the service: one log line,
and its metrics (infrastructure/telemetry.py makes the instruments).

The line names the operation (its name and type, never its document or variables), how it
was answered (compiled or executed, HTTP status, error codes), how long it took, who asked
(the API client's id and the role: never a key, a token or a person's name), the caller's
X-Request-ID and the trace and span ids to find its trace. Nothing in it is personal data.
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from graphql import OperationDefinitionNode
from opentelemetry import trace

from domain.shared.access import Viewer
from infrastructure.bootstrap.service import REQUEST_FIELDS

log = logging.getLogger("rapport.request")

class RequestMetrics(Protocol):
    def record(self, *, method: str, operation_type: str | None, read_path: str | None,
               status: int, error_codes: tuple[str, ...], duration_s: float) -> None: ...

    def refused_by_rate_limit(self) -> None: ...


@dataclass
class Outcome:
    """What one request came to, noted by the endpoint's steps as they learn it."""

    method: str = "POST"  # or GET: GraphQL over HTTP takes queries both ways
    operation_name: str | None = None
    operation_type: str | None = None
    read_path: str | None = None  # "compiled" or "executed", for queries
    viewer: Viewer | None = None
    status: int = 200
    error_codes: list[str] = field(default_factory=list)

    def operation(self, operation: OperationDefinitionNode) -> None:
        self.operation_name = operation.name.value if operation.name else None
        self.operation_type = operation.operation.value

    def errors(self, errors: Iterable[Mapping[str, Any]], default: str) -> None:
        """The codes of the errors answered (`default` for an error without one)."""
        for error in errors:
            code = (error.get("extensions") or {}).get("code")
            self.error_codes.append(code if isinstance(code, str) else default)


def observe(outcome: Outcome, duration_s: float, request_id: str | None,
            metrics: RequestMetrics | None) -> None:
    codes = tuple(dict.fromkeys(outcome.error_codes))
    if metrics is not None:
        metrics.record(method=outcome.method, operation_type=outcome.operation_type,
                       read_path=outcome.read_path, status=outcome.status, error_codes=codes,
                       duration_s=duration_s)
    level = logging.WARNING if outcome.status >= 500 else logging.INFO
    if not log.isEnabledFor(level):  # production logs at WARNING: a 200's line is dropped
        return
    context = trace.get_current_span().get_span_context()
    viewer = outcome.viewer
    line = {
        "trace_id": trace.format_trace_id(context.trace_id) if context.is_valid else None,
        "span_id": trace.format_span_id(context.span_id) if context.is_valid else None,
        "operation_name": outcome.operation_name,
        "operation_type": outcome.operation_type,
        "read_path": outcome.read_path,
        "duration_ms": round(duration_s * 1000, 2),
        "client_id": str(viewer.client_id) if viewer and viewer.client_id else None,
        "role": viewer.role.value if viewer else None,
        "status": outcome.status,
        "error_codes": list(codes),
        "request_id": request_id,
    }
    assert tuple(line) == REQUEST_FIELDS, "the fields infrastructure/logging.py writes"
    log.log(level, "graphql request", extra=line)
