"""The partners repository under real concurrency on PostgreSQL: sixteen transactions at
once redeeming one code, issuing against one quota, writing settlement entries while the
period closes, and expiry jobs running side by side; and settlement entries the database
refuses to change."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.customers.model import Customer
from domain.partners.grants import quota_period
from domain.partners.model import (
    Grant,
    GrantState,
    Offer,
    Partner,
    Quota,
    QuotaPeriod,
    SettlementEntry,
)
from domain.ports import UnitOfWork
from infrastructure.postgres.engine import create_engine
from infrastructure.postgres.tables import partner_settlement_entries
from infrastructure.postgres.unit_of_work import PgUnitOfWork
from tests.conftest import StatementCounter
from tests.contract import records
from tests.fakes import FixedClock

T = TypeVar("T")
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TODAY = quota_period(QuotaPeriod.DAY, NOW)
CONCURRENT = 16
MARCH, APRIL = "2026-03", "2026-04"


@pytest.fixture
async def wide_engine(database_url: str, db: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """A connection for each concurrent transaction (the session's engine has 10)."""
    engine = create_engine(database_url, pool_size=CONCURRENT + 4)
    yield engine
    await engine.dispose()


@pytest.fixture
def units(wide_engine: AsyncEngine) -> Callable[[], UnitOfWork]:
    clock = FixedClock(NOW)
    return lambda: PgUnitOfWork(wide_engine, clock)


async def _all(calls: list[Awaitable[T]]) -> list[T]:
    return list(await asyncio.gather(*calls))


async def _cinema(units: Callable[[], UnitOfWork], quota: Quota | None = None,
                  ) -> tuple[Partner, Offer, Customer]:
    cinema = records.a_partner(NOW)
    ticket = records.an_offer(cinema, NOW, quota=quota or Quota(per_member=None))
    lisa = records.a_customer(NOW, name="Lisa Wang")
    async with units() as uow:
        await uow.partners.add(cinema)
        await uow.partners.add_offer(ticket)
        await uow.customers.add(lisa)
        await uow.commit()
    return cinema, ticket, lisa


async def _stored(units: Callable[[], UnitOfWork], *grants: Grant) -> None:
    async with units() as uow:
        for grant in grants:
            await uow.partners.add_grant(grant)
        await uow.commit()


async def test_sixteen_tills_redeeming_one_code_at_once_redeem_it_once(
    units: Callable[[], UnitOfWork],
) -> None:
    _, ticket, lisa = await _cinema(units)
    grant = records.a_grant(ticket, lisa.id, NOW)
    await _stored(units, grant)

    async def redeem(till: int) -> bool:
        async with units() as uow:
            locked = await uow.partners.grant_to_redeem(grant.code)
            assert locked is not None
            found = locked.grant
            if found.state is not GrantState.ISSUED:
                return False
            await asyncio.sleep(0.01)  # the others queue on the lock meanwhile
            await uow.partners.add_redemption(
                records.a_redemption(found, NOW, idempotency_key=f"till-{till}"))
            await uow.partners.save_grant(found.redeemed(NOW))
            await uow.commit()
            return True

    redeemed = await _all([redeem(till) for till in range(CONCURRENT)])

    assert sum(redeemed) == 1
    async with units() as uow:
        stored = await uow.partners.get_grant(grant.id)
        keys = [await uow.partners.redemption_by_key(grant.partner_id, f"till-{till}")
                for till in range(CONCURRENT)]
    assert stored is not None
    assert stored.state is GrantState.REDEEMED
    assert len([key for key in keys if key is not None]) == 1


async def test_sixteen_purchases_issuing_against_one_quota_at_once_never_over_issue(
    units: Callable[[], UnitOfWork],
) -> None:
    _, ticket, lisa = await _cinema(units, Quota(total=5, per_member=None))

    async def issue(purchase: int) -> bool:
        async with units() as uow:
            offer = await uow.partners.get_offer(ticket.id, for_update=True)
            assert offer is not None
            counts = await uow.partners.grant_counts(offer.id, lisa.id, *TODAY)
            assert offer.quota.total is not None
            if counts.total >= offer.quota.total:
                return False
            await asyncio.sleep(0.005)
            await uow.partners.add_grant(
                records.a_grant(offer, lisa.id, NOW, source_key=f"purchase:{purchase}"))
            await uow.commit()
            return True

    issued = await _all([issue(purchase) for purchase in range(CONCURRENT)])

    assert sum(issued) == 5
    async with units() as uow:
        assert (await uow.partners.grant_counts(ticket.id, lisa.id, *TODAY)).total == 5


async def test_a_close_during_sixteen_writers_loses_no_entry_and_none_lands_after_it(
    units: Callable[[], UnitOfWork],
) -> None:
    cinema, ticket, lisa = await _cinema(units)
    async with units() as uow:  # March has its row: an entry was written before
        await uow.partners.open_period(cinema.id, MARCH)
        await uow.commit()
    early_writers = CONCURRENT // 2
    opened: list[int] = []
    all_opened, closing = asyncio.Event(), asyncio.Event()

    async def write(writer: int, early: bool) -> SettlementEntry:
        if not early:
            await closing.wait()
            await asyncio.sleep(0.01)  # the close is waiting for the early ones by now
        async with units() as uow:
            period = await uow.partners.open_period(cinema.id, MARCH)
            if early:
                opened.append(writer)
                if len(opened) == early_writers:
                    all_opened.set()
                await closing.wait()
                await asyncio.sleep(0.05)  # still holding March while the close waits
            entry = records.an_entry(cinema, lisa.id, period, NOW + timedelta(seconds=writer),
                                     offer_id=ticket.id)
            await uow.partners.add_entries([entry])
            await uow.commit()
            return entry

    async def close() -> tuple[bool, list[SettlementEntry]]:
        await all_opened.wait()
        async with units() as uow:
            closing.set()
            closed = await uow.partners.close_period(cinema.id, MARCH, NOW, "ops")
            await uow.commit()
        async with units() as uow:  # March as the close left it
            return closed, await uow.partners.entries(cinema.id, MARCH)

    writers = [write(writer, early=writer < early_writers) for writer in range(CONCURRENT)]
    written, (closed, at_close) = await asyncio.gather(asyncio.gather(*writers), close())

    async with units() as uow:
        march = await uow.partners.entries(cinema.id, MARCH)
        april = await uow.partners.entries(cinema.id, APRIL)
    assert closed
    assert march == at_close, "an entry landed in March after it closed"
    assert {e.id for e in march + april} == {e.id for e in written}, "an entry was lost"
    assert [e.period for e in written[:early_writers]] == [MARCH] * early_writers, (
        "the writers holding March before the close are in March")


async def test_sixteen_writers_opening_a_new_period_at_once_all_write_in_it(
    units: Callable[[], UnitOfWork],
) -> None:
    """The first makes the period's row; the others' inserts wait for it to commit."""
    cinema, _, lisa = await _cinema(units)

    async def write(writer: int) -> str:
        async with units() as uow:
            period = await uow.partners.open_period(cinema.id, MARCH)
            await uow.partners.add_entries([records.an_entry(cinema, lisa.id, period, NOW)])
            await uow.commit()
            return period

    assert await _all([write(writer) for writer in range(CONCURRENT)]) == [MARCH] * CONCURRENT
    async with units() as uow:
        assert len(await uow.partners.entries(cinema.id, MARCH)) == CONCURRENT


async def test_expiry_jobs_running_at_once_expire_each_grant_once(
    units: Callable[[], UnitOfWork],
) -> None:
    _, ticket, lisa = await _cinema(units)
    due = [records.a_grant(ticket, lisa.id, NOW - timedelta(days=40),
                           expires_at=NOW - timedelta(minutes=minutes))
           for minutes in range(1, 41)]
    await _stored(units, *due)

    async def job() -> list[Grant]:
        async with units() as uow:
            expired = await uow.partners.expire_grants(NOW, limit=5)
            await asyncio.sleep(0.02)  # holding its grants while the other jobs run
            await uow.commit()
            return expired

    batches = await _all([job() for _ in range(CONCURRENT)])

    expired = [grant.id for batch in batches for grant in batch]
    assert len(expired) == len(set(expired)) == len(due)
    assert all(len(batch) <= 5 for batch in batches)
    async with units() as uow:
        assert await uow.partners.expire_grants(NOW, limit=100) == []


async def test_expiry_skips_a_grant_being_redeemed_without_waiting_for_it(
    units: Callable[[], UnitOfWork],
) -> None:
    _, ticket, lisa = await _cinema(units)
    at_the_counter, other = (
        records.a_grant(ticket, lisa.id, NOW - timedelta(days=40),
                        expires_at=NOW - timedelta(minutes=1)) for _ in range(2))
    await _stored(units, at_the_counter, other)

    async with units() as counter:
        assert await counter.partners.grant_to_redeem(at_the_counter.code)
        async with units() as job:
            expired = await asyncio.wait_for(job.partners.expire_grants(NOW, 10), 5)
            await job.commit()

    assert [grant.id for grant in expired] == [other.id]


async def test_a_redemption_holds_the_member_s_row_against_a_merge_only_and_not_her_grant(
    units: Callable[[], UnitOfWork], wide_engine: AsyncEngine
) -> None:
    cinema, ticket, lisa = await _cinema(units)
    grant = records.a_grant(ticket, lisa.id, NOW)
    await _stored(units, grant)

    async def lockable(lock: str, table: str, row: object) -> bool:
        async with wide_engine.connect() as other:
            try:
                await other.execute(text(f"SELECT 1 FROM {table} WHERE id = :id {lock} NOWAIT"),
                                    {"id": row})
            except DBAPIError:  # lock_not_available
                return False
            finally:
                await other.rollback()
            return True

    async with units() as counter:
        assert await counter.partners.hold_grant_member(grant.code, cinema.id)
        # As customers.hold: a merge (FOR UPDATE) waits, her other writes go on.
        assert not await lockable("FOR UPDATE", "customers", lisa.id)
        assert await lockable("FOR NO KEY UPDATE", "customers", lisa.id)
        assert await lockable("FOR UPDATE", "partner_grants", grant.id)
    async with units() as another_partner:
        assert await another_partner.partners.hold_grant_member(grant.code, ticket.id) is None
        assert await lockable("FOR UPDATE", "customers", lisa.id)


async def test_what_a_counter_sees_is_one_statement(
    db: AsyncEngine, statement_counter: StatementCounter
) -> None:
    clock = FixedClock(NOW)
    _, ticket, lisa = await _cinema(lambda: PgUnitOfWork(db, clock))
    grant = records.a_grant(ticket, lisa.id, NOW)
    await _stored(lambda: PgUnitOfWork(db, clock), grant)

    with statement_counter() as statements:  # BEGIN and ROLLBACK are not counted
        async with PgUnitOfWork(db, clock) as uow:
            seen = await uow.partners.grant_at_counter(grant.code, NOW)

    assert seen is not None
    assert seen.grant == grant
    assert len(statements) == 1


@pytest.mark.parametrize("statement", [
    "UPDATE partner_settlement_entries SET amount = amount + 1",
    "DELETE FROM partner_settlement_entries",
    "TRUNCATE partner_settlement_entries CASCADE",
])
async def test_the_database_refuses_to_change_or_remove_settlement_entries(
    db: AsyncEngine, statement: str
) -> None:
    clock = FixedClock(NOW)
    cinema, _, lisa = await _cinema(lambda: PgUnitOfWork(db, clock))
    async with PgUnitOfWork(db, clock) as uow:
        period = await uow.partners.open_period(cinema.id, MARCH)
        await uow.partners.add_entries([records.an_entry(cinema, lisa.id, period, NOW)])
        await uow.commit()

    with pytest.raises(DBAPIError, match="append-only"):
        async with db.begin() as connection:
            await connection.execute(text(statement))

    async with db.connect() as connection:
        count = select(func.count()).select_from(partner_settlement_entries)
        assert (await connection.execute(count)).scalar_one() == 1
