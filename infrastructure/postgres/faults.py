"""Which failures mean "the database can't answer now", as opposed to a bug.

A request that fails because PostgreSQL is down, restarting, out of connections or too slow
is not the client's fault and not ours either: it should be retried, and the client must be
able to tell it from a bug. `fault_of` looks through an exception (and what it wraps:
SQLAlchemy's `orig`, `__cause__`, `__context__`) for one of those conditions, whichever
path raised it: SQLAlchemy, asyncpg under it (prepared.py), or the compiled reads' pool.
"""

import enum

import asyncpg
from sqlalchemy import exc as sqlalchemy_errors

# SQLSTATEs of a server that can't serve now: class 08 (connection exceptions), the
# operator's or a crash's shutdown, a server still starting, no connection slot left.
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})
_UNAVAILABLE_CLASSES = ("08",)
_TIMEOUT_STATES = frozenset({"57014"})  # query_canceled: statement_timeout ran out
_DEPTH = 8  # how far down a chain of wrapped errors to look


class Fault(enum.Enum):
    """What a client is told; the value is the GraphQL error code."""

    UNAVAILABLE = "SERVICE_UNAVAILABLE"  # unreachable, restarting, no connection free in time
    TIMEOUT = "TIMEOUT"  # the statement ran past RAPPORT_STATEMENT_TIMEOUT_MS and was cancelled


def fault_of(error: BaseException) -> Fault | None:
    """The fault `error` stands for, or None when it is something else (a bug)."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending and len(seen) < _DEPTH:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        found = _fault_itself(current)
        if found is not None:
            return found
        orig = getattr(current, "orig", None)
        pending += [e for e in (orig, current.__cause__, current.__context__)
                    if isinstance(e, BaseException)]
    return None


def _fault_itself(error: BaseException) -> Fault | None:
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    if isinstance(state, str):
        if state in _TIMEOUT_STATES:
            return Fault.TIMEOUT
        if state in _UNAVAILABLE_STATES or state.startswith(_UNAVAILABLE_CLASSES):
            return Fault.UNAVAILABLE
    if isinstance(error, sqlalchemy_errors.DBAPIError) and error.connection_invalidated:
        return Fault.UNAVAILABLE  # SQLAlchemy saw the connection die under the statement
    if isinstance(error, sqlalchemy_errors.TimeoutError):
        return Fault.UNAVAILABLE  # no pooled connection came free in RAPPORT_DB_POOL_TIMEOUT_MS
    if _is_closed_connection(error):
        return Fault.UNAVAILABLE
    # Refused, reset, unresolvable host; or no answer to a connect (or an asyncpg pool's
    # acquire) in time. TimeoutError is an OSError, asyncio's included.
    if isinstance(error, OSError):
        return Fault.UNAVAILABLE
    return None


def _is_closed_connection(error: BaseException) -> bool:
    """asyncpg's InterfaceError for a connection the server or the network closed (its
    other InterfaceErrors are misuse: a bug)."""
    return isinstance(error, asyncpg.InterfaceError) and "connection is closed" in str(error)
