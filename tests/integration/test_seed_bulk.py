"""The bulk seed writes what the repositories would have written, only faster."""

from datetime import UTC, datetime
from uuid import UUID

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.cases.model import CaseStatus, SlaPolicy
from infrastructure.postgres.cases_repository import case_from_row
from infrastructure.postgres.customers_repository import PgCustomerRepository
from infrastructure.postgres.customers_rows import search_text
from infrastructure.postgres.interactions_repository import interaction_from_row
from infrastructure.postgres.tables import (
    cases,
    contact_points,
    customers,
    external_refs,
    household_members,
    interactions,
    staff,
    stores,
)
from infrastructure.seed.bulk import BulkReport, seed_bulk
from infrastructure.seed.bulk_data import BulkData, BulkSpec, micros

CUSTOMERS, PER_CUSTOMER = 200, 3
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
COUNTED_TABLES = [stores, staff, customers, contact_points, household_members, external_refs,
                  interactions, cases]


@pytest.fixture
async def seeded(db: AsyncEngine, database_url: str) -> BulkReport:
    return await seed_bulk(database_url, customers=CUSTOMERS,
                           interactions_per_customer=PER_CUSTOMER, stores=5, staff=12,
                           seed=7, progress=False, now=NOW)


async def _count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(table))).scalar_one())


def _millis_of_v7(value: UUID) -> int:
    assert value.version == 7, value
    assert value.int >> 62 & 0b11 == 0b10, f"{value} is not an RFC 9562 variant"
    return value.int >> 80


async def test_counts_in_the_report_are_the_rows_written(
    seeded: BulkReport, db: AsyncEngine
) -> None:
    assert seeded.rows["customers"] == CUSTOMERS
    assert seeded.rows["interactions"] == CUSTOMERS * PER_CUSTOMER
    assert (seeded.rows["stores"], seeded.rows["staff"]) == (5, 12)
    for table in COUNTED_TABLES:
        assert await _count(db, table) == seeded.rows[table.name], table.name
    assert "200 customers" in str(seeded)


async def test_last_interaction_at_is_the_latest_occurred_at(
    seeded: BulkReport, db: AsyncEngine
) -> None:
    latest = (
        select(interactions.c.customer_id, func.max(interactions.c.occurred_at).label("latest"))
        .group_by(interactions.c.customer_id).subquery()
    )
    query = select(customers.c.last_interaction_at, latest.c.latest).join(
        latest, latest.c.customer_id == customers.c.id, isouter=True
    )
    async with db.connect() as connection:
        pairs = (await connection.execute(query)).all()
    assert len(pairs) == CUSTOMERS
    assert all(stored == latest for stored, latest in pairs)


async def test_customers_read_back_through_the_repository_with_its_search_text(
    seeded: BulkReport, db: AsyncEngine
) -> None:
    async with db.connect() as connection:
        rows = (await connection.execute(select(customers.c.id, customers.c.search_text))).all()
        repository = PgCustomerRepository(connection)
        for customer_id, stored in rows:
            customer = await repository.get(customer_id)
            assert customer is not None
            assert stored == search_text(customer.profile, customer.contact_points)
            assert customer.version == 1
            assert customer.contact_points, "every customer can be reached somehow"


async def test_ids_are_uuid7_carrying_the_time_the_row_was_made(
    seeded: BulkReport, db: AsyncEngine
) -> None:
    async with db.connect() as connection:
        made = [
            *(await connection.execute(select(customers.c.id, customers.c.created_at))).all(),
            *(await connection.execute(select(interactions.c.id, interactions.c.recorded_at))),
        ]
        for table in (stores, staff, contact_points, household_members, external_refs, cases):
            for (row_id,) in (await connection.execute(select(table.c.id))).all():
                _millis_of_v7(row_id)
    for row_id, moment in made:
        assert _millis_of_v7(row_id) == micros(moment) // 1000, row_id


async def test_interactions_and_cases_obey_the_domain(
    seeded: BulkReport, db: AsyncEngine
) -> None:
    sla = SlaPolicy.default()
    async with db.connect() as connection:
        touches = [interaction_from_row(r) for r in
                   (await connection.execute(select(interactions))).mappings()]
        opened = [case_from_row(r) for r in (await connection.execute(select(cases))).mappings()]
    assert all(t.occurred_at <= t.recorded_at <= NOW for t in touches)
    assert {t.kind for t in touches} >= {"purchase", "visit", "check-in", "enquiry"}
    assert opened, "this seed opens a few cases"
    for case in opened:
        assert case.due_at == case.opened_at + sla.resolve_within[case.priority]
        settled = case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED)
        assert (case.resolved_at is not None) is settled
        assert (case.follow_up_at is not None) is settled
        assert (case.closed_at is not None) is (case.status is CaseStatus.CLOSED)
        assert case.opened_at <= case.updated_at <= NOW


async def test_a_second_run_adds_new_people_without_colliding(
    seeded: BulkReport, db: AsyncEngine, database_url: str
) -> None:
    again = await seed_bulk(database_url, customers=50, interactions_per_customer=1, stores=5,
                            staff=12, seed=7, progress=False, now=NOW)
    assert again.run_tag != seeded.run_tag
    assert await _count(db, customers) == CUSTOMERS + 50
    assert await _count(db, stores) == 10


def test_one_seed_draws_one_data_set() -> None:
    def draw() -> list[object]:
        data = BulkData(BulkSpec(customers=30, interactions_per_customer=2, stores=3, staff=4,
                                 seed=1, now=NOW, run_tag="t"))
        return [*data.store_rows(), *data.staff_rows(), *data.customer_rows(),
                *data.interaction_rows(), *data.contact_point_rows, *data.household_rows,
                *data.external_ref_rows, *data.case_rows]

    assert draw() == draw()
