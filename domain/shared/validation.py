"""Small validators that collect every problem with an input instead of stopping at the first."""

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from domain.shared.errors import DomainError, ErrorCode, FieldError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_PHONE = re.compile(r"^\+?[0-9]{6,15}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_.:\-]*$")


class Problems:
    """Collects field errors; `raise_if_any` turns them into one DomainError."""

    def __init__(self) -> None:
        self._errors: list[FieldError] = []

    def add(self, field: tuple[str, ...], code: ErrorCode, message: str) -> None:
        self._errors.append(FieldError(field, code, message))

    def extend(self, errors: Iterable[FieldError]) -> None:
        self._errors.extend(errors)

    @property
    def found(self) -> bool:
        return bool(self._errors)

    def raise_if_any(self) -> None:
        if self._errors:
            raise DomainError(self._errors)

    def text(
        self, field: tuple[str, ...], value: str | None, *, max_length: int, required: bool = False
    ) -> str | None:
        """Strips surrounding blanks; an empty string counts as absent."""
        cleaned = value.strip() if value is not None else None
        if not cleaned:
            if required:
                self.add(field, ErrorCode.REQUIRED, "must not be empty")
            return None
        if len(cleaned) > max_length:
            self.add(field, ErrorCode.TOO_LONG, f"must be at most {max_length} characters")
        return cleaned

    def labels(
        self, field: tuple[str, ...], values: Iterable[str], *, max_count: int = 100
    ) -> tuple[str, ...]:
        """Tags, interests and preferences: trimmed, de-duplicated, order kept."""
        cleaned: dict[str, None] = {}
        for index, value in enumerate(values):
            label = self.text((*field, str(index)), value, max_length=80, required=True)
            if label:
                cleaned[label] = None
        if len(cleaned) > max_count:
            self.add(field, ErrorCode.TOO_LARGE, f"at most {max_count} entries")
        return tuple(cleaned)

    def editable(self, changes: Iterable[str], editable: frozenset[str]) -> None:
        """An update's `changes` name only fields it may change."""
        unknown = set(changes) - editable
        if unknown:
            self.add(("changes",), ErrorCode.INVALID,
                     f"not editable: {', '.join(sorted(unknown))}")

    def slug(self, field: tuple[str, ...], value: str, *, max_length: int = 64) -> str:
        cleaned = (self.text(field, value, max_length=max_length, required=True) or "").lower()
        if cleaned and not _SLUG.match(cleaned):
            self.add(field, ErrorCode.INVALID, "use lower-case letters, digits and - _ . :")
        return cleaned

    def json_object(
        self, field: tuple[str, ...], value: object, *, max_bytes: int
    ) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.add(field, ErrorCode.INVALID, "must be a JSON object")
            return {}
        try:
            encoded = json.dumps(value, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            self.add(field, ErrorCode.INVALID, "must be plain JSON")
            return {}
        if len(encoded.encode()) > max_bytes:
            self.add(field, ErrorCode.TOO_LARGE, f"must be at most {max_bytes} bytes as JSON")
        return dict(value)


def normalise_email(value: str) -> str | None:
    cleaned = value.strip().lower()
    return cleaned if _EMAIL.match(cleaned) and len(cleaned) <= 254 else None


def normalise_phone(value: str) -> str | None:
    cleaned = _PHONE_SEPARATORS.sub("", value.strip())
    return cleaned if _PHONE.match(cleaned) else None
