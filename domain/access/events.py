"""The names of the access context's events, each with a JSON Schema (events/ at the
repository's root); see domain/customers/events.py."""

from enum import StrEnum


class AccessEvent(StrEnum):
    API_CLIENT_CREATED = "ApiClientCreated"
    API_KEY_ROTATED = "ApiKeyRotated"
    API_CLIENT_REVOKED = "ApiClientRevoked"
