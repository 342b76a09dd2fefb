"""Expected failures of use cases, reported to callers as `userErrors`."""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    TOO_LARGE = "TOO_LARGE"
    NOT_FOUND = "NOT_FOUND"
    NOT_ALLOWED = "NOT_ALLOWED"
    CONFLICT = "CONFLICT"
    DUPLICATE = "DUPLICATE"
    ARCHIVED = "ARCHIVED"
    ERASED = "ERASED"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    SELF_MERGE = "SELF_MERGE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    ALREADY_REFUNDED = "ALREADY_REFUNDED"


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with the input: where (a path into the input), what kind, and why."""

    field: tuple[str, ...]
    code: ErrorCode
    message: str


class DomainError(Exception):
    """A use case refused its input; nothing was written."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(f"{'.'.join(e.field)}: {e.message}" for e in self.errors))

    @classmethod
    def single(cls, field: tuple[str, ...], code: ErrorCode, message: str) -> "DomainError":
        return cls([FieldError(field, code, message)])


def not_found(field: tuple[str, ...], what: str) -> DomainError:
    return DomainError.single(field, ErrorCode.NOT_FOUND, f"{what} does not exist")


def stale_version(expected: int, actual: int) -> DomainError:
    return DomainError.single(
        ("expected_version",),
        ErrorCode.CONFLICT,
        f"the record changed since version {expected} (now {actual}); reload and retry",
    )
