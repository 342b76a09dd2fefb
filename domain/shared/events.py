"""Domain events: facts in the past tense, written to the outbox in the same transaction."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Event:
    name: str
    aggregate_id: UUID
    occurred_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
