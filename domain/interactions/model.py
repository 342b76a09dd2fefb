from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID


class Channel(StrEnum):
    PHONE = "PHONE"
    FAX = "FAX"
    EMAIL = "EMAIL"
    SMS = "SMS"
    WEB = "WEB"
    MOBILE_APP = "MOBILE_APP"
    SOCIAL = "SOCIAL"
    POS = "POS"
    IN_STORE_TERMINAL = "IN_STORE_TERMINAL"
    CHECK_IN = "CHECK_IN"
    VISIT = "VISIT"
    OTHER = "OTHER"


class Direction(StrEnum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"
    INTERNAL = "INTERNAL"


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Interaction:
    """One touchpoint. Append-only: once recorded it is never changed or deleted."""

    id: UUID
    customer_id: UUID
    channel: Channel
    direction: Direction
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    summary: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    store_id: UUID | None = None
    geo: GeoPoint | None = None
    place: str | None = None
    staff_id: UUID | None = None
    case_id: UUID | None = None
