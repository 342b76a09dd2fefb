"""Unique violations as the port-level `Duplicate` the use cases translate: the one place
that knows which constraint is which of the domain's unique keys.

Two ways in. A unique violation (`raising_duplicates`) aborts the transaction: fine where
the use case refuses anyway. Where a use case goes on after a Duplicate in the same
transaction (a fresh grant code after a clash; a redemption or partner order replayed from
the concurrent call that won), the repository inserts with ON CONFLICT DO NOTHING instead,
which leaves the transaction usable, and asks `duplicate_of` which key was taken.
"""

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import asyncpg
from sqlalchemy.exc import IntegrityError

from domain.shared.errors import Duplicate, UniqueKey

# Constraint (or unique index) names, as the migrations create them.
CONSTRAINTS = {
    "uq_external_refs_system_value": UniqueKey.EXTERNAL_REF,
    "uq_loyalty_programmes_code": UniqueKey.PROGRAMME_CODE,
    "uq_api_clients_active_name": UniqueKey.ACTIVE_API_CLIENT_NAME,
    "uq_partners_code": UniqueKey.PARTNER_CODE,
    "uq_partner_offers_partner_id_code": UniqueKey.OFFER_CODE,
    "uq_partner_grants_unrevoked_source": UniqueKey.GRANT_SOURCE,
    "uq_partner_grants_code": UniqueKey.GRANT_CODE,
    "uq_partner_redemptions_partner_id_idempotency_key": UniqueKey.REDEMPTION_KEY,
    "uq_partner_purchases_partner_id_order_id": UniqueKey.PARTNER_ORDER,
    "uq_pipelines_code": UniqueKey.PIPELINE_CODE,
    "uq_leads_open_customer": UniqueKey.OPEN_LEAD,
}


def unique_key_of(error: IntegrityError | asyncpg.UniqueViolationError) -> UniqueKey | None:
    """The key a unique violation is about; None for any other integrity error (a foreign
    key, a check) or a constraint the domain does not name. asyncpg's own error comes from a
    statement sent to the driver directly (prepared.py)."""
    if isinstance(error, asyncpg.UniqueViolationError):
        return CONSTRAINTS.get(error.constraint_name or "")
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
    except (IntegrityError, asyncpg.UniqueViolationError) as error:
        key = unique_key_of(error)
        if key is None:
            raise
        raise Duplicate(key) from error


Held = Callable[[], Awaitable[bool]]


async def duplicate_of(*keys: tuple[UniqueKey, Held]) -> Duplicate:
    """After an INSERT … ON CONFLICT DO NOTHING that inserted nothing: the Duplicate of the
    first key that another row holds (each asked in turn). A clash on none of them is one on
    the primary key, an add() of a record that exists: a bug, not a race."""
    for key, held in keys:
        if await held():
            return Duplicate(key)
    raise AssertionError("add() of a record that exists: its id is taken")
