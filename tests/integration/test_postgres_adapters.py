"""The Postgres adapters keep the promises the domain relies on, under real concurrency."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.customers.commands import (
    ContactPointInput,
    CreateCustomer,
    ExternalReferenceInput,
    MergeCustomers,
)
from domain.customers.model import ContactKind, Customer
from domain.customers.queries import CustomerFilter, CustomerSortKey
from domain.interactions.commands import RecordInteraction
from domain.interactions.model import Channel
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.paging import PageRequest
from infrastructure.bootstrap import Container, build_container
from infrastructure.postgres.tables import customers, external_refs, interactions
from infrastructure.settings import Settings


@pytest.fixture
def container(db: AsyncEngine) -> Container:
    return build_container(Settings(database_url="postgresql://unused"), db)


async def _count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(table))).scalar_one())


async def _customer(container: Container, name: str, **kwargs: Any) -> Customer:
    created: Customer = await container.use_cases.customers.create_customer(
        CreateCustomer(profile={"display_name": name}, **kwargs)
    )
    return created


async def test_concurrent_retries_with_one_idempotency_key_record_one_interaction(
    container: Container, db: AsyncEngine
) -> None:
    customer = await _customer(container, "Mrs. Li")
    command = RecordInteraction(
        customer.id, Channel.POS, "purchase", datetime.now(UTC),
        idempotency_key="till-7-receipt-42",
    )

    results = await asyncio.gather(
        *(container.use_cases.interactions.record_interaction(command) for _ in range(8))
    )

    assert len({r.id for r in results}) == 1
    assert await _count(db, interactions) == 1


async def test_two_customers_racing_for_one_external_reference_leave_one_owner(
    container: Container, db: AsyncEngine
) -> None:
    card = (ExternalReferenceInput("pos-card", "HZ-000187"),)
    outcomes = await asyncio.gather(
        *(_customer(container, f"Twin {n}", external_refs=card) for n in range(4)),
        return_exceptions=True,
    )

    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(refused) == 3
    assert all(e.errors[0].code is ErrorCode.DUPLICATE for e in refused)
    assert await _count(db, external_refs) == 1
    assert await _count(db, customers) == 1


async def test_search_by_part_of_a_name_can_use_the_trigram_index(db: AsyncEngine) -> None:
    async with db.connect() as connection:
        await connection.execute(text("SET enable_seqscan = off"))
        plan = (await connection.execute(text(
            "EXPLAIN SELECT id FROM customers WHERE search_text ILIKE '%zhang%'"
        ))).scalars().all()
    assert any("ix_customers_search_text" in line for line in plan), plan


async def test_search_matches_names_emails_and_phones(container: Container) -> None:
    await _customer(container, "Zhang Wei", contact_points=(
        ContactPointInput(ContactKind.EMAIL, "wei.zhang@example.com"),
        ContactPointInput(ContactKind.PHONE, "+86 138-0571-0187"),
    ))
    await _customer(container, "Lisa Chen")

    async def names_found(term: str) -> list[str]:
        page = await container.queries.customers.page(
            CustomerFilter(search=term), CustomerSortKey.NAME, False, PageRequest(first=10)
        )
        return [n.profile.display_name for n in page.nodes]

    assert await names_found("ZHANG") == ["Zhang Wei"]
    assert await names_found("example.com") == ["Zhang Wei"]
    assert await names_found("0571") == ["Zhang Wei"]
    assert await names_found("100%") == []


async def test_a_chain_of_merges_resolves_every_old_id_to_the_last_survivor(
    container: Container,
) -> None:
    first, second, third = [await _customer(container, n) for n in ("A", "B", "C")]
    await container.use_cases.customers.merge_customers(MergeCustomers(second.id, first.id))
    await container.use_cases.customers.merge_customers(MergeCustomers(third.id, second.id))

    found = await container.queries.customers.by_ids([first.id, second.id])

    assert {s.id for s in found.values()} == {third.id}
