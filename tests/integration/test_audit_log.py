"""The audit log in PostgreSQL: entries append and list newest first, a mutation's entry
commits with it or not at all, and the table itself refuses UPDATE, DELETE and TRUNCATE."""

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.audit.model import AuditAction, AuditEntry
from domain.audit.queries import AuditFilter
from domain.shared.access import Role, Viewer
from domain.shared.events import Event
from domain.shared.paging import PageRequest
from infrastructure.clock import SystemClock
from infrastructure.postgres.audit_log import PgAuditLog
from infrastructure.postgres.audit_queries import PgAuditQueries
from infrastructure.postgres.tables import outbox
from infrastructure.postgres.unit_of_work import PgUnitOfWork
from tests.conftest import StatementCounter

CLERK = Viewer(Role.STAFF, "staff:wang@brand.example", staff_id=uuid4())
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _entry(minutes: int, operation: str = "create_customer", **fields: Any) -> AuditEntry:
    entry = AuditEntry.of(CLERK, AuditAction.MUTATION, operation,
                          START + timedelta(minutes=minutes))
    return dataclasses.replace(entry, **fields)


async def _all(db: AsyncEngine, **where: object) -> list[AuditEntry]:
    where_: Any = where  # each test gives the filter's fields it needs, by name
    page = await PgAuditQueries(db).page(AuditFilter(**where_), PageRequest(first=100))
    return page.nodes


async def test_appended_entries_read_back_newest_first_with_every_column(
    db: AsyncEngine,
) -> None:
    customer = uuid4()
    older = _entry(1, target_ids=(customer,), detail={"fields": ["Customer.birthDate"]},
                   request_id="req-1", outcome="OK")
    newer = _entry(2, outcome="NOT_ALLOWED")

    await PgAuditLog(db).append([older, newer])

    read = await _all(db)
    assert [e.at for e in read] == [newer.at, older.at]
    assert read[1].target_ids == (customer,)
    assert (read[1].detail, read[1].request_id, read[1].staff_id) == (
        {"fields": ["Customer.birthDate"]}, "req-1", CLERK.staff_id)
    assert read[0].outcome == "NOT_ALLOWED"


async def test_pages_follow_each_other_without_gaps_or_repeats(db: AsyncEngine) -> None:
    await PgAuditLog(db).append([_entry(0, f"op{n}") for n in range(5)])  # one instant
    queries = PgAuditQueries(db)

    first = await queries.page(AuditFilter(), PageRequest(first=3))
    rest = await queries.page(AuditFilter(), PageRequest(first=3, after=first.edges[-1].cursor))

    operations = [e.operation for e in first.nodes + rest.nodes]
    assert operations == ["op4", "op3", "op2", "op1", "op0"]  # ties: the later write first
    assert first.has_next_page
    assert not rest.has_next_page


async def test_filters_narrow_by_target_subject_operation_action_and_time(
    db: AsyncEngine,
) -> None:
    customer = uuid4()
    await PgAuditLog(db).append([
        _entry(1, target_ids=(customer, uuid4())),
        _entry(2, "Profile", action=AuditAction.READ, subject="staff:zhao@brand.example"),
        _entry(3, "archive_customer"),
    ])

    assert [e.at.minute for e in await _all(db, target_id=customer)] == [1]
    assert [e.operation for e in await _all(db, subject="staff:zhao@brand.example")] == [
        "Profile"]
    assert [e.operation for e in await _all(db, action=AuditAction.READ)] == ["Profile"]
    assert [e.operation for e in await _all(db, operation="archive_customer")] == [
        "archive_customer"]
    window = await _all(db, since=START + timedelta(minutes=2),
                        until=START + timedelta(minutes=3))
    assert [e.operation for e in window] == ["Profile"]


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET outcome = 'OK'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
])
async def test_the_database_refuses_to_change_or_remove_entries(
    db: AsyncEngine, statement: str
) -> None:
    await PgAuditLog(db).append([_entry(1, outcome="NOT_ALLOWED")])

    with pytest.raises(DBAPIError, match="append-only"):
        async with db.begin() as connection:
            await connection.execute(text(statement))

    assert [e.outcome for e in await _all(db)] == ["NOT_ALLOWED"]


@pytest.mark.made_up_events
async def test_a_staged_entry_commits_with_the_transaction_and_its_events_ids(
    db: AsyncEngine,
) -> None:
    created = uuid4()
    uow = PgUnitOfWork(db, SystemClock())

    async with uow:
        uow.stage_audit(_entry(1))
        uow.emit(Event("InteractionRecorded", created, START, {"interaction_id": str(created)}))
        await uow.commit()

    (entry,) = await _all(db)
    assert entry.target_ids == (created,)
    assert uow.written_audit() is not None


async def test_a_staged_entry_is_not_written_when_the_transaction_rolls_back(
    db: AsyncEngine,
) -> None:
    uow = PgUnitOfWork(db, SystemClock())

    async with uow:
        uow.stage_audit(_entry(1))

    assert await _all(db) == []
    assert uow.written_audit() is None


async def _outbox(db: AsyncEngine) -> list[str]:
    async with db.connect() as connection:
        rows = await connection.execute(select(outbox.c.name).order_by(outbox.c.id))
        return list(rows.scalars())


@pytest.mark.made_up_events
@pytest.mark.parametrize(("events", "audited", "statements"), [
    (1, True, 1), (3, True, 1),  # the outbox's rows and the entry in one statement
    (9, True, 2),  # more events than go with the entry: the outbox's apart, in one batch
    (2, False, 1), (0, True, 1),  # only one kind of row
])
async def test_a_commit_writes_its_outbox_rows_and_its_entry_in_as_few_statements(
    db: AsyncEngine, statement_counter: StatementCounter, events: int, audited: bool,
    statements: int,
) -> None:
    created = [uuid4() for _ in range(events)]
    uow = PgUnitOfWork(db, SystemClock())

    with statement_counter() as sent:  # BEGIN and COMMIT are not counted
        async with uow:
            if audited:
                uow.stage_audit(_entry(1))
            for number, aggregate in enumerate(created):
                uow.emit(Event(f"Happened{number}", aggregate, START, {"n": number}))
            await uow.commit()

    assert len(sent) == statements
    assert await _outbox(db) == [f"Happened{number}" for number in range(events)]
    written = await _all(db)
    assert [entry.target_ids for entry in written] == ([tuple(created)] if audited else [])


@pytest.mark.made_up_events
@pytest.mark.parametrize("failing", ["outbox", "audit"])
async def test_the_outbox_rows_and_the_entry_of_a_commit_are_written_together_or_not_at_all(
    db: AsyncEngine, failing: str,
) -> None:
    uow = PgUnitOfWork(db, SystemClock())
    entry = _entry(1, outcome=None) if failing == "audit" else _entry(1)
    name: Any = None if failing == "outbox" else "Happened"  # NOT NULL: the statement fails

    async with uow:
        uow.stage_audit(entry)
        uow.emit(Event(name, uuid4(), START, {}))
        with pytest.raises(asyncpg.NotNullViolationError):
            await uow.commit()

    assert await _outbox(db) == []
    assert await _all(db) == []
    assert uow.written_audit() is None
