from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from domain.interactions.model import Channel, Direction, GeoPoint


@dataclass(frozen=True)
class RecordInteraction:
    customer_id: UUID
    channel: Channel
    kind: str
    occurred_at: datetime
    direction: Direction = Direction.INBOUND
    summary: str | None = None
    payload: object = field(default_factory=dict)  # checked: a JSON object, of limited size
    store_id: UUID | None = None
    geo: GeoPoint | None = None
    place: str | None = None
    staff_id: UUID | None = None
    case_id: UUID | None = None
    idempotency_key: str | None = None
