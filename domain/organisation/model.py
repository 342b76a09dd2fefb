from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class Store:
    id: UUID
    code: str
    name: str
    city: str | None
    created_at: datetime


@dataclass(frozen=True)
class Staff:
    id: UUID
    name: str
    email: str
    store_id: UUID | None
    created_at: datetime
