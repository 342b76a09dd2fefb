from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class CreateStore:
    code: str
    name: str
    city: str | None = None


@dataclass(frozen=True)
class CreateStaff:
    name: str
    email: str
    store_id: UUID | None = None
