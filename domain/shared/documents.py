"""JSON-ready documents (a customer's data export): plain dicts, times and dates in ISO 8601,
ids as text, absent values as null."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

Document = dict[str, Any]


def time_text(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def date_text(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def id_text(value: UUID | None) -> str | None:
    return str(value) if value is not None else None
