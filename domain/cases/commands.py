from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.cases.model import CaseKind, CasePriority
from domain.interactions.model import Channel


@dataclass(frozen=True)
class OpenCase:
    """Opened directly for a customer, or from an interaction (customer, channel and store
    then come from it unless given)."""

    kind: CaseKind
    subject: str
    customer_id: UUID | None = None
    interaction_id: UUID | None = None
    category: str | None = None
    description: str | None = None
    priority: CasePriority = CasePriority.NORMAL
    channel: Channel | None = None
    store_id: UUID | None = None
    owner_id: UUID | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class AssignCase:
    case_id: UUID
    owner_id: UUID | None
    queue: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class StartCase:
    case_id: UUID
    expected_version: int | None = None


@dataclass(frozen=True)
class ResolveCase:
    case_id: UUID
    resolution_note: str
    follow_up_at: datetime | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class CloseCase:
    case_id: UUID
    expected_version: int | None = None


@dataclass(frozen=True)
class ReopenCase:
    case_id: UUID
    expected_version: int | None = None


@dataclass(frozen=True)
class CreateRoutingRule:
    queue: str | None = None
    owner_id: UUID | None = None
    kind: CaseKind | None = None
    category: str | None = None
    channel: Channel | None = None
    store_id: UUID | None = None


@dataclass(frozen=True)
class DeleteRoutingRule:
    rule_id: UUID
