"""What callers ask of the access context. Field paths in errors use these names."""

from dataclasses import dataclass
from uuid import UUID

DEFAULT_OVERLAP_HOURS = 24


@dataclass(frozen=True)
class CreateApiClient:
    name: str
    role: str  # a Role's value; checked by the use case, since the CLI passes plain text
    partner_code: str | None = None


@dataclass(frozen=True)
class RotateApiKey:
    api_client_id: UUID
    # How long the client's current keys keep working beside the new one; 0 ends them now.
    overlap_hours: int = DEFAULT_OVERLAP_HOURS


@dataclass(frozen=True)
class RevokeApiClient:
    api_client_id: UUID


@dataclass(frozen=True)
class ListApiClients:
    """Every client, revoked ones included, oldest first."""
