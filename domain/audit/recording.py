"""Recording every use case call: one audit entry per call, whatever its outcome.

- **OK**: the entry is staged on the call's unit of work, which writes it in the mutation's
  own transaction when the use case commits (`UnitOfWork.stage_audit`), completed with the
  ids of what the commit wrote. So a mutation can never commit without its entry, and an
  entry never claims a change that was rolled back. A use case that returns without
  committing (an idempotent replay, archiving what is archived) changed nothing: its entry
  is appended on its own, with the result's ids.
- **Refused** (a `DomainError`): the use case wrote nothing; the attempt is appended in a
  short transaction of its own, with the error codes and input paths, never the messages.
- **ERROR** (anything unexpected): appended the same way, naming only the exception's type;
  the exception then goes on to the caller unchanged.
"""

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from domain.audit.model import AuditAction, AuditEntry, ids_in_command, ids_in_result
from domain.audit.ports import AuditLog
from domain.ports import UnitOfWork
from domain.shared.access import Viewer
from domain.shared.clock import Clock
from domain.shared.errors import DomainError

log = logging.getLogger("rapport.audit")
T = TypeVar("T")

# The id the caller gave its request (HTTP `X-Request-ID`), for entries written during it.
REQUEST_ID: ContextVar[str | None] = ContextVar("rapport_request_id", default=None)


async def recorded(
    name: str, command: Any, viewer: Viewer, run: Callable[[], Awaitable[T]], *,
    uow: UnitOfWork | None, audit_log: AuditLog, clock: Clock,
) -> T:
    """Runs the use case `name` (`run`, bound to `uow`) and records the call."""
    entry = AuditEntry.of(viewer, AuditAction.MUTATION, name, clock.now(), REQUEST_ID.get())
    entry = entry.targeting(ids_in_command(command))
    if uow is not None:
        uow.stage_audit(entry)
    try:
        result = await run()
    except DomainError as refusal:
        await _append_apart(audit_log, entry.refused(refusal), uow)
        raise
    except Exception as error:
        await _append_apart(audit_log, entry.failed(error), uow)
        raise
    if uow is None or uow.written_audit() is None:
        await audit_log.append([entry.targeting(ids_in_result(result))])
    return result


async def _append_apart(audit_log: AuditLog, entry: AuditEntry, uow: UnitOfWork | None) -> None:
    """Writes the entry of a call that failed, unless its commit already wrote one (it
    failed after committing). A failure to write is logged: the caller gets the use case's
    own error, not the audit's."""
    if uow is not None and uow.written_audit() is not None:
        return
    try:
        await audit_log.append([entry])
    except Exception:
        log.exception("could not write the audit entry of a failed %s", entry.operation)
