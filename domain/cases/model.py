from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.cases.events import CaseEvent
from domain.interactions.model import Channel
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.events import Event


class CaseKind(StrEnum):
    COMPLAINT = "COMPLAINT"
    REQUEST = "REQUEST"
    ENQUIRY = "ENQUIRY"


class CasePriority(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


class CaseStatus(StrEnum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"


# RESOLVED may go back to IN_PROGRESS: the follow-up found the customer still unhappy.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.IN_PROGRESS}),
    CaseStatus.IN_PROGRESS: frozenset({CaseStatus.RESOLVED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.CLOSED, CaseStatus.IN_PROGRESS}),
    CaseStatus.CLOSED: frozenset(),
}

OPEN_STATUSES = frozenset({CaseStatus.OPEN, CaseStatus.IN_PROGRESS})

DEFAULT_QUEUE = "default"


@dataclass(frozen=True)
class SlaPolicy:
    """How long a case of each priority may stay unresolved, and when to follow up."""

    resolve_within: dict[CasePriority, timedelta]
    follow_up_after: timedelta = timedelta(days=3)

    @classmethod
    def default(cls) -> "SlaPolicy":
        return cls({
            CasePriority.URGENT: timedelta(hours=4),
            CasePriority.HIGH: timedelta(hours=24),
            CasePriority.NORMAL: timedelta(hours=72),
            CasePriority.LOW: timedelta(days=7),
        })


@dataclass(frozen=True)
class RoutingRule:
    """Cases matching every criterion that is set go to the owner, else to the queue.
    When several rules match, the one with the most criteria wins, then the oldest."""

    id: UUID
    created_at: datetime
    queue: str = DEFAULT_QUEUE
    owner_id: UUID | None = None
    kind: CaseKind | None = None
    category: str | None = None
    channel: Channel | None = None
    store_id: UUID | None = None

    def criteria(self) -> dict[str, Any]:
        wanted = {"kind": self.kind, "category": self.category, "channel": self.channel,
                  "store_id": self.store_id}
        return {k: v for k, v in wanted.items() if v is not None}


@dataclass(frozen=True)
class Route:
    owner_id: UUID | None
    queue: str


def route(rules: list[RoutingRule], facts: dict[str, Any]) -> Route:
    matching = [r for r in rules if all(facts.get(k) == v for k, v in r.criteria().items())]
    if not matching:
        return Route(owner_id=None, queue=DEFAULT_QUEUE)
    best = min(matching, key=lambda r: (-len(r.criteria()), r.created_at))
    return Route(owner_id=best.owner_id, queue=best.queue)


@dataclass
class Case:
    id: UUID
    customer_id: UUID
    kind: CaseKind
    subject: str
    priority: CasePriority
    opened_at: datetime
    due_at: datetime
    queue: str
    updated_at: datetime
    status: CaseStatus = CaseStatus.OPEN
    category: str | None = None
    description: str | None = None
    channel: Channel | None = None
    store_id: UUID | None = None
    origin_interaction_id: UUID | None = None
    owner_id: UUID | None = None
    resolution_note: str | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    follow_up_at: datetime | None = None
    version: int = 1
    events: list[Event] = field(default_factory=list, repr=False, compare=False)

    def is_overdue(self, now: datetime) -> bool:
        return self.status in OPEN_STATUSES and self.due_at < now

    def move_to(self, status: CaseStatus, now: datetime) -> None:
        if status not in TRANSITIONS[self.status]:
            raise self._cannot_go_to(status)
        self.status = status
        self._changed(now, CaseEvent.STATUS_CHANGED, status=status.value)

    def start(self, now: datetime) -> None:
        """OPEN → IN_PROGRESS only; a resolved case goes back to work by `reopen`."""
        if self.status is not CaseStatus.OPEN:
            raise self._cannot_go_to(CaseStatus.IN_PROGRESS)
        self.move_to(CaseStatus.IN_PROGRESS, now)

    def resolve(self, note: str, follow_up_at: datetime, now: datetime) -> None:
        self.move_to(CaseStatus.RESOLVED, now)
        self.resolution_note, self.resolved_at, self.follow_up_at = note, now, follow_up_at
        self.events.append(Event(CaseEvent.FOLLOW_UP_SCHEDULED, self.id, now,
                                 {"follow_up_at": follow_up_at.isoformat()}))

    def close(self, now: datetime) -> None:
        self.move_to(CaseStatus.CLOSED, now)
        self.closed_at = now

    def reopen(self, now: datetime) -> None:
        """RESOLVED → IN_PROGRESS only; an open case is started, not reopened."""
        if self.status is not CaseStatus.RESOLVED:
            raise self._cannot_go_to(CaseStatus.IN_PROGRESS)
        self.move_to(CaseStatus.IN_PROGRESS, now)
        self.resolved_at, self.follow_up_at = None, None

    def assign(self, owner_id: UUID | None, queue: str, now: datetime) -> None:
        if self.status is CaseStatus.CLOSED:
            raise DomainError.single(
                ("case_id",), ErrorCode.INVALID_TRANSITION, "a closed case cannot be reassigned"
            )
        self.owner_id, self.queue = owner_id, queue
        self._changed(now, CaseEvent.ASSIGNED, owner_id=str(owner_id) if owner_id else None,
                      queue=queue)

    def _cannot_go_to(self, status: CaseStatus) -> DomainError:
        return DomainError.single(
            ("status",), ErrorCode.INVALID_TRANSITION,
            f"a case cannot go from {self.status.value} to {status.value}",
        )

    def _changed(self, now: datetime, event: CaseEvent, **data: Any) -> None:
        self.version += 1
        self.updated_at = now
        self.events.append(Event(event, self.id, now, data))
