"""Which failures mean "the database can't answer now" (retry later), and which are bugs
(infrastructure/postgres/faults.py): by the exception itself, or by what it wraps."""

import asyncpg
import pytest
from sqlalchemy import exc as sqlalchemy_errors

from infrastructure.postgres.faults import Fault, fault_of


def _wrapped(error: BaseException) -> sqlalchemy_errors.DBAPIError:
    """As SQLAlchemy raises a driver's error: a DBAPIError whose `orig` it is."""
    wrapper = sqlalchemy_errors.DBAPIError("SELECT 1", None, Exception("driver"))
    wrapper.orig = error  # type: ignore[assignment]  # the driver's exception, as SQLAlchemy keeps it
    return wrapper


UNAVAILABLE = [
    pytest.param(ConnectionRefusedError(111, "Connection refused"), id="refused"),
    pytest.param(ConnectionResetError(104, "reset by peer"), id="reset"),
    pytest.param(OSError("Name or service not known"), id="unresolvable"),
    pytest.param(TimeoutError(), id="connect-or-acquire-timeout"),
    pytest.param(asyncpg.exceptions.ConnectionDoesNotExistError(
        "connection was closed in the middle of operation"), id="lost-mid-request"),
    pytest.param(asyncpg.exceptions.CannotConnectNowError("starting up"), id="starting"),
    pytest.param(asyncpg.exceptions.AdminShutdownError("terminating"), id="shutdown"),
    pytest.param(asyncpg.exceptions.CrashShutdownError("crash"), id="crash"),
    pytest.param(asyncpg.exceptions.TooManyConnectionsError("too many"), id="no-slot"),
    pytest.param(asyncpg.InterfaceError("connection is closed"), id="closed-connection"),
    pytest.param(sqlalchemy_errors.TimeoutError("QueuePool limit reached"), id="pool-timeout"),
    pytest.param(_wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("lost")),
                 id="wrapped-by-sqlalchemy"),
    pytest.param(sqlalchemy_errors.OperationalError(
        "SELECT 1", None, Exception("gone"), connection_invalidated=True),
        id="sqlalchemy-saw-a-disconnect"),
]


@pytest.mark.parametrize("error", UNAVAILABLE)
def test_a_database_that_cannot_answer_now_is_unavailable(error: BaseException) -> None:
    assert fault_of(error) is Fault.UNAVAILABLE


def test_a_statement_cancelled_by_the_statement_timeout_is_a_timeout() -> None:
    error = asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout")

    assert fault_of(error) is Fault.TIMEOUT
    assert fault_of(_wrapped(error)) is Fault.TIMEOUT


def test_a_fault_behind_another_error_is_found_through_its_cause() -> None:
    error = RuntimeError("while connecting")
    error.__cause__ = ConnectionRefusedError(111, "Connection refused")

    assert fault_of(error) is Fault.UNAVAILABLE


BUGS = [
    pytest.param(RuntimeError("boom"), id="any-bug"),
    pytest.param(asyncpg.exceptions.UniqueViolationError("duplicate key"), id="constraint"),
    pytest.param(asyncpg.exceptions.UndefinedColumnError("no such column"), id="bad-sql"),
    pytest.param(asyncpg.InterfaceError("cannot perform operation: another operation is in"
                                        " progress"), id="driver-misuse"),
    pytest.param(_wrapped(asyncpg.exceptions.DataError("invalid input")), id="wrapped-bug"),
]


@pytest.mark.parametrize("error", BUGS)
def test_anything_else_is_no_database_fault(error: BaseException) -> None:
    assert fault_of(error) is None
