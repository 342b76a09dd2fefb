"""Expected failures of use cases, reported to callers as `userErrors`."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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
    SUSPENDED = "SUSPENDED"  # the partner is suspended
    NOT_ELIGIBLE = "NOT_ELIGIBLE"  # she does not meet the offer's eligibility or consent
    QUOTA_EXHAUSTED = "QUOTA_EXHAUSTED"
    OUTSIDE_VALIDITY = "OUTSIDE_VALIDITY"  # the offer is not valid now
    CODE_MISTYPED = "CODE_MISTYPED"  # the check character does not match: a typo
    UNKNOWN_CODE = "UNKNOWN_CODE"  # no grant of yours has this code
    ALREADY_REDEEMED = "ALREADY_REDEEMED"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"
    ALREADY_REVERSED = "ALREADY_REVERSED"
    WINDOW_PASSED = "WINDOW_PASSED"  # a reversal too late
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"  # failed lookups: wait, or the key is locked out
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    PERIOD_CLOSED = "PERIOD_CLOSED"
    DEAL_CLOSED = "DEAL_CLOSED"  # won or lost: reopen it before moving it
    STAGE_RETIRED = "STAGE_RETIRED"
    STAGE_SKIPPED = "STAGE_SKIPPED"  # the pipeline wants every stage in turn
    STAGE_NOT_EMPTY = "STAGE_NOT_EMPTY"  # deals sit in it: move them first
    WRONG_PIPELINE = "WRONG_PIPELINE"  # the stage is another pipeline's


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


@contextmanager
def errors_within(*prefix: str) -> Iterator[None]:
    """Inside, a refusal's fields are put under `prefix`: the refusal of a command nested in
    another's input (a new customer with her lead, the sale that wins a deal) points at
    where it sits in that input."""
    try:
        yield
    except DomainError as refused:
        raise DomainError(FieldError((*prefix, *error.field), error.code, error.message)
                          for error in refused.errors) from refused


def not_found(field: tuple[str, ...], what: str) -> DomainError:
    return DomainError.single(field, ErrorCode.NOT_FOUND, f"{what} does not exist")


def check_version(expected: int | None, actual: int) -> None:
    """Optimistic concurrency: refuses a write made against another version than the
    record's; None asks for no check."""
    if expected is not None and expected != actual:
        raise stale_version(expected, actual)


def stale_version(expected: int, actual: int) -> DomainError:
    return DomainError.single(
        ("expected_version",),
        ErrorCode.CONFLICT,
        f"the record changed since version {expected} (now {actual}); reload and retry",
    )


class UniqueKey(StrEnum):
    """What the store keeps unique, in the domain's words."""

    EXTERNAL_REF = "EXTERNAL_REF"  # (system, value): a POS card or shop account is one person's
    PROGRAMME_CODE = "PROGRAMME_CODE"
    ACTIVE_API_CLIENT_NAME = "ACTIVE_API_CLIENT_NAME"  # among clients not revoked
    PARTNER_CODE = "PARTNER_CODE"
    OFFER_CODE = "OFFER_CODE"  # per partner
    GRANT_SOURCE = "GRANT_SOURCE"  # (offer, member, source): a trigger issues once
    GRANT_CODE = "GRANT_CODE"
    REDEMPTION_KEY = "REDEMPTION_KEY"  # (partner, idempotency key)
    PARTNER_ORDER = "PARTNER_ORDER"  # (partner, order id)
    PIPELINE_CODE = "PIPELINE_CODE"
    OPEN_LEAD = "OPEN_LEAD"  # a customer has one lead being qualified at a time


class Duplicate(Exception):
    """A port-level refusal, raised by repositories: the write would give a unique key to a
    second record. Use cases check uniqueness first, so this is a concurrent transaction
    that won a race the check could not see. It is no user-facing error by itself: the use
    case knows which input held the key and translates it (`duplicate_as`)."""

    def __init__(self, key: UniqueKey) -> None:
        self.key = key
        super().__init__(f"another record already holds this {key.value}")


@contextmanager
def duplicate_as(key: UniqueKey, field: tuple[str, ...], message: str) -> Iterator[None]:
    """Inside, a repository's Duplicate of `key` becomes a DUPLICATE error at `field`; the
    unit of work then rolls back as for any refusal."""
    try:
        yield
    except Duplicate as clash:
        if clash.key is not key:
            raise
        raise DomainError.single(field, ErrorCode.DUPLICATE, message) from clash
