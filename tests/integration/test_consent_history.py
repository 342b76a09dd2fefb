"""Consent history in Postgres: the repository appends it with the customer, a merge moves
it, and migration 0003 starts it from the consents already stored."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.customers.commands import (
    ConsentInput,
    ContactPointInput,
    CreateCustomer,
    MergeCustomers,
    UpdateContactPoint,
)
from domain.customers.model import ConsentPurpose, ContactKind, Customer
from domain.shared.errors import DomainError
from infrastructure.bootstrap import Container, build_container
from infrastructure.migrations import alembic_config, upgrade_to_head
from infrastructure.postgres.engine import create_engine
from infrastructure.postgres.tables import consent_events
from infrastructure.settings import Settings

SMS = ConsentPurpose.MARKETING_SMS


@pytest.fixture
def container(db: AsyncEngine) -> Container:
    return build_container(Settings(database_url="postgresql://unused"), db)


@pytest.fixture
async def empty_engine(empty_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(empty_database_url, pooled=False)
    yield engine
    await engine.dispose()


async def _rows(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(consent_events).order_by(consent_events.c.id))
        return [dict(row) for row in rows.mappings()]


async def _with_sms(container: Container, email: str = "li@example.com",
                    granted: bool = True) -> Customer:
    created: Customer = await container.use_cases.customers.create_customer(CreateCustomer(
        profile={"display_name": "Mrs. Li"},
        contact_points=(ContactPointInput(ContactKind.EMAIL, email,
                                          consents=(ConsentInput(SMS, granted, "WEB"),)),),
    ))
    return created


async def test_creating_a_customer_appends_her_consents_to_the_history(
    container: Container, db: AsyncEngine
) -> None:
    customer = await _with_sms(container)

    [row] = await _rows(db)
    assert (row["customer_id"], row["contact_point_id"]) == (
        customer.id, customer.contact_points[0].id)
    assert (row["purpose"], row["granted"], row["source"], row["recorded_by"]) == (
        "MARKETING_SMS", True, "WEB", "system")


async def test_a_refused_edit_appends_nothing(container: Container, db: AsyncEngine) -> None:
    customer = await _with_sms(container)
    command = UpdateContactPoint(customer.id, customer.contact_points[0].id, {
        "consents": (ConsentInput(SMS, False),), "value": "not an email"})

    with pytest.raises(DomainError):
        await container.use_cases.customers.update_contact_point(command)

    assert len(await _rows(db)) == 1


async def test_a_merge_moves_the_history_to_the_survivors_point_of_the_same_address(
    container: Container, db: AsyncEngine
) -> None:
    survivor = await _with_sms(container)
    duplicate = await _with_sms(container, granted=False)

    await container.use_cases.customers.merge_customers(MergeCustomers(survivor.id, duplicate.id))

    rows = await _rows(db)
    assert {(r["customer_id"], r["contact_point_id"]) for r in rows} == {
        (survivor.id, survivor.contact_points[0].id)}
    assert [r["granted"] for r in rows] == [True, False]


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def test_the_migration_records_each_stored_consent_once(empty_engine: AsyncEngine) -> None:
    async with empty_engine.begin() as connection:
        await connection.run_sync(_upgrade, "0002")
    customer_id, point_id, at = uuid4(), uuid4(), datetime(2025, 4, 1, 8, 30, tzinfo=UTC)
    consents = json.dumps([
        {"purpose": "MARKETING_SMS", "granted": True, "recorded_at": at.isoformat()},
        {"purpose": "MARKETING_EMAIL", "granted": False, "recorded_at": at.isoformat()},
    ])
    async with empty_engine.begin() as connection:
        await connection.execute(text(
            "INSERT INTO customers (id, kind, display_name, version, created_at, updated_at)"
            " VALUES (:id, 'PERSON', 'Mrs. Li', 1, now(), now())"), {"id": customer_id})
        await connection.execute(text(
            "INSERT INTO contact_points (id, customer_id, position, kind, value, verified,"
            " consents) VALUES (:id, :customer, 0, 'PHONE', '+8613957120187', false,"
            " CAST(:consents AS jsonb))"),
            {"id": point_id, "customer": customer_id, "consents": consents})

    await upgrade_to_head(empty_engine)

    rows = await _rows(empty_engine)
    assert sorted((r["purpose"], r["granted"]) for r in rows) == [
        ("MARKETING_EMAIL", False), ("MARKETING_SMS", True)]
    assert {(r["customer_id"], r["contact_point_id"], r["source"], r["recorded_by"],
             r["recorded_at"]) for r in rows} == {
        (customer_id, point_id, "migration", "migration", at)}
