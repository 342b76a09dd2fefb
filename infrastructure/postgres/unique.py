"""Unique violations as the port-level `Duplicate` the use cases translate: the one place
that knows which constraint is which of the domain's unique keys."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from domain.shared.errors import Duplicate, UniqueKey

# Constraint (or unique index) names, as the migrations create them.
CONSTRAINTS = {
    "uq_external_refs_system_value": UniqueKey.EXTERNAL_REF,
    "uq_loyalty_programmes_code": UniqueKey.PROGRAMME_CODE,
    "uq_api_clients_active_name": UniqueKey.ACTIVE_API_CLIENT_NAME,
}


def unique_key_of(error: IntegrityError) -> UniqueKey | None:
    """The key a unique violation is about; None for any other integrity error (a foreign
    key, a check) or a constraint the domain does not name."""
    # asyncpg's exception (the cause of the DBAPI one) names the constraint; the message
    # does too, for drivers that don't.
    cause = error.orig.__cause__ if error.orig is not None else None
    name = getattr(cause, "constraint_name", None)
    if isinstance(name, str):
        return CONSTRAINTS.get(name)
    text = str(error.orig)
    return next((key for name, key in CONSTRAINTS.items() if name in text), None)


@contextmanager
def raising_duplicates() -> Iterator[None]:
    """Inside, a unique violation of a named key becomes `Duplicate`; the aborted transaction
    is the unit of work's to roll back. Other integrity errors pass unchanged."""
    try:
        yield
    except IntegrityError as error:
        key = unique_key_of(error)
        if key is None:
            raise
        raise Duplicate(key) from error
