"""Where audit entries are written."""

from collections.abc import Sequence
from typing import Protocol

from domain.audit.model import AuditEntry


class AuditLog(Protocol):
    """Append-only: entries are added, each in its own short transaction, and never changed.
    (An OK mutation's entry is written by the unit of work instead, inside the mutation's
    own transaction: `UnitOfWork.stage_audit`.)"""

    async def append(self, entries: Sequence[AuditEntry]) -> None: ...
