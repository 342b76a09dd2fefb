"""The audit log's read port: entries newest first, for administrators."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.audit.model import AuditAction, AuditEntry
from domain.shared.access import Operation, Viewer
from domain.shared.paging import Page, PageRequest


@dataclass(frozen=True)
class AuditFilter:
    """Every field given must match; `since` is inclusive, `until` exclusive."""

    subject: str | None = None
    action: AuditAction | None = None
    operation: str | None = None
    target_id: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditQueries(Protocol):
    async def page(self, where: AuditFilter, page: PageRequest) -> Page[AuditEntry]: ...


async def audit_log_page(
    queries: AuditQueries, where: AuditFilter, page: PageRequest, *, viewer: Viewer
) -> Page[AuditEntry]:
    """The log is for administrators only: anyone else is refused with NOT_ALLOWED."""
    viewer.require(Operation.AUDIT_READ)
    return await queries.page(where, page.validated())
