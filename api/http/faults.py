"""Answers for a database that can't answer now (infrastructure/postgres/faults.py says
which failures those are), on every path of a request: authentication, execution compiled
or field by field, the read audit.

- unavailable (unreachable, restarting, the connection lost, no pooled connection free in
  time): HTTP 503, `extensions.code = SERVICE_UNAVAILABLE`, `Retry-After`. Retrying is
  safe: a use case's transaction either committed or left nothing, and writes from tills
  and shops carry an idempotency key, so a retry of one that did commit replays its answer.
- a statement past RAPPORT_STATEMENT_TIMEOUT_MS: HTTP 504, `extensions.code = TIMEOUT`,
  no `Retry-After`: the same operation is likely to take as long again. Its transaction
  was rolled back.

Neither is masked as INTERNAL_SERVER_ERROR: a client, a load balancer and an operator
each need to tell "come back later" from a bug.
"""

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from infrastructure.bootstrap.edge import Fault

log = logging.getLogger("rapport.graphql")

# Long enough for a restart or a failover to finish, short enough that a till retrying
# a sale doesn't keep a customer waiting: the readiness probe's period, give or take.
RETRY_AFTER_SECONDS = 5

_MESSAGES = {
    Fault.UNAVAILABLE: "The service cannot reach its database right now; retry shortly.",
    Fault.TIMEOUT: "The operation took longer than the service allows and was cancelled.",
}
_STATUS = {Fault.UNAVAILABLE: 503, Fault.TIMEOUT: 504}
_CODES = {fault.value: fault for fault in Fault}


def fault_error(fault: Fault, error: BaseException, **where: Any) -> dict[str, Any]:
    """The GraphQL error answering `fault` (with `locations` and `path` when given). The
    log says what failed by its type alone: the message may quote a statement's values."""
    log.warning("database fault %s: %s", fault.value, type(error).__name__)
    return {"message": _MESSAGES[fault], **where, "extensions": {"code": fault.value}}


def status_of(errors: Iterable[Mapping[str, Any]]) -> tuple[int, dict[str, str]]:
    """The HTTP status and headers of an answer with `errors`: 503 (with Retry-After) or
    504 when any is a database fault, unavailability first; else 200."""
    faults = {_CODES.get(str((error.get("extensions") or {}).get("code"))) for error in errors}
    if Fault.UNAVAILABLE in faults:
        return _STATUS[Fault.UNAVAILABLE], {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if Fault.TIMEOUT in faults:
        return _STATUS[Fault.TIMEOUT], {}
    return 200, {}
