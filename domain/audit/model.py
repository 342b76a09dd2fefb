"""An audit entry: one mutation or one read of personal data, as the log keeps it.

An entry names things only by ids, field names and codes. It never holds personal data:
no command payloads, no names, emails, phones or free text, and no lookup values (a read
by `customer(email:)` is logged without the email). The log is append-only: entries are
written once and never changed or removed by the service.
"""

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.shared.access import Viewer
from domain.shared.errors import DomainError
from domain.shared.events import Event

OK = "OK"
ERROR = "ERROR"  # an unexpected failure; the detail names the exception's type only


class AuditAction(StrEnum):
    MUTATION = "MUTATION"
    READ = "READ"


@dataclass(frozen=True)
class AuditEntry:
    """`operation`: the use case (`create_customer`) or the GraphQL operation read.
    `outcome`: OK, ERROR, or the refusal's error codes (`NOT_ALLOWED`, `INVALID,REQUIRED`).
    `detail`: a small JSON object of field names and codes (the personal-data fields read,
    the refused input paths). `id` is given by the log when the entry is stored."""

    at: datetime
    action: AuditAction
    operation: str
    subject: str
    role: str
    client_id: UUID | None = None
    staff_id: UUID | None = None
    target_ids: tuple[UUID, ...] = ()
    outcome: str = OK
    detail: Mapping[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    id: int | None = None

    @classmethod
    def of(cls, viewer: Viewer, action: AuditAction, operation: str, at: datetime,
           request_id: str | None = None) -> "AuditEntry":
        """An OK entry of `viewer` doing `operation`; targets and outcome are added later."""
        return cls(
            at=at, action=action, operation=operation, subject=viewer.subject,
            role=viewer.role.value, client_id=viewer.client_id, staff_id=viewer.staff_id,
            request_id=request_id,
        )

    def targeting(self, ids: Iterable[UUID]) -> "AuditEntry":
        """The entry with `ids` added to its targets (first mention first, no repeats)."""
        return dataclasses.replace(self, target_ids=tuple(dict.fromkeys((*self.target_ids,
                                                                         *ids))))

    def refused(self, error: DomainError) -> "AuditEntry":
        """A refusal: its distinct codes as the outcome, and where each applied. Messages
        are left out: they may quote the input."""
        codes = dict.fromkeys(e.code.value for e in error.errors)
        where = [{"field": ".".join(e.field), "code": e.code.value} for e in error.errors]
        return dataclasses.replace(self, outcome=",".join(codes),
                                   detail={**self.detail, "errors": where})

    def failed(self, error: BaseException) -> "AuditEntry":
        return dataclasses.replace(self, outcome=ERROR,
                                   detail={**self.detail, "exception": type(error).__name__})


def ids_in_command(command: object) -> list[UUID]:
    """The ids a command names: its `*_id` fields (and `*_ids` collections) holding UUIDs.
    Nothing else of the command is read, so no payload reaches the log."""
    if not dataclasses.is_dataclass(command):
        return []
    found: list[UUID] = []
    for name in (f.name for f in dataclasses.fields(command)):
        value = getattr(command, name)
        if name.endswith("_id") and isinstance(value, UUID):
            found.append(value)
        elif name.endswith("_ids") and isinstance(value, tuple | list | frozenset | set):
            found += [v for v in value if isinstance(v, UUID)]
    return found


def ids_in_result(result: object) -> list[UUID]:
    """The id of what a use case returned (a created customer, case, interaction…), and the
    customer it belongs to when it names one."""
    if isinstance(result, UUID):
        return [result]
    return [value for value in (getattr(result, "id", None), getattr(result, "customer_id", None))
            if isinstance(value, UUID)]


def ids_in_events(events: Iterable[Event]) -> list[UUID]:
    """What a transaction wrote, by its events: each event's aggregate and the `*_id` values
    of its data (an interaction's id, a merged duplicate's). Lets the unit of work complete
    an entry with the id of a record created in the same transaction."""
    found: list[UUID] = []
    for event in events:
        found.append(event.aggregate_id)
        for key, value in event.data.items():
            if key.endswith("_id") and isinstance(value, str | UUID):
                try:
                    found.append(value if isinstance(value, UUID) else UUID(value))
                except ValueError:
                    continue
    return found
