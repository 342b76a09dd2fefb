"""Arranging loyalty scenarios on real Postgres, through the use cases the container binds:
a programme, customers, purchases. Shared by tests/integration/test_loyalty_*.py and the
CLI tests."""

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.customers.commands import CreateCustomer
from domain.customers.model import Customer
from domain.loyalty.commands import (
    LineInput,
    RecordPurchase,
    RewardSpec,
    SaveProgramme,
    TierSpec,
)
from domain.loyalty.model import Programme, SalesChannel
from domain.loyalty.purchases import PurchaseRecorded
from infrastructure.bootstrap import Container, build_container
from infrastructure.postgres.tables import loyalty_ledger
from infrastructure.settings import Settings
from tests.fakes import FixedClock

CURRENCY = "CNY"
SCARF_COST = 500

# Spend thresholds in CNY over a rolling 12 months; points expire after 12 months.
PROGRAMME = SaveProgramme(
    code="silk-club", name="Silk Club", currency=CURRENCY,
    tiers=(
        TierSpec("classic", "Classic", Decimal(0)),
        TierSpec("silver", "Silver", Decimal(1000), Decimal(5), Decimal("1.5")),
        TierSpec("gold", "Gold", Decimal(5000), Decimal(10), Decimal(2), ("free alterations",)),
    ),
    points_expire_after_months=12,
    rewards=(RewardSpec("silk-scarf", "Silk scarf", SCARF_COST),
             RewardSpec("tote", "Canvas tote", 200)),
)


def a_container(engine: AsyncEngine, clock: FixedClock) -> Container:
    return build_container(Settings(database_url="postgresql://unused"), engine, clock=clock)


async def a_programme(container: Container, **changes: Any) -> Programme:
    programme: Programme = await container.use_cases.loyalty.save_programme(
        replace(PROGRAMME, **changes))
    return programme


async def a_customer(container: Container, name: str = "Mrs. Li",
                     birth_date: date | None = None) -> Customer:
    customer: Customer = await container.use_cases.customers.create_customer(
        CreateCustomer(profile={"display_name": name, "birth_date": birth_date}))
    return customer


def a_line(amount: str, quantity: int = 1, sku: str = "SILK-DRESS", **fields: Any) -> LineInput:
    """`quantity` items at `amount` each."""
    return LineInput(sku=sku, quantity=quantity, unit_price=Decimal(amount), **fields)


def purchase_command(customer_id: UUID, order_id: str, occurred_at: datetime,
                     *lines: LineInput, **fields: Any) -> RecordPurchase:
    lines = lines or (a_line("100.00"),)
    total = sum((line.quantity * line.unit_price - line.discount for line in lines), Decimal(0))
    return RecordPurchase(
        customer_id=customer_id, channel=fields.pop("channel", SalesChannel.POS),
        order_id=order_id, occurred_at=occurred_at, currency=CURRENCY,
        payment_total=total, lines=lines, **fields)


async def a_purchase(container: Container, customer_id: UUID, order_id: str,
                     occurred_at: datetime, *lines: LineInput) -> PurchaseRecorded:
    recorded: PurchaseRecorded = await container.use_cases.loyalty.record_purchase(
        purchase_command(customer_id, order_id, occurred_at, *lines))
    return recorded


async def count_rows(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(
            select(func.count()).select_from(table))).scalar_one())


async def ledger_sum(engine: AsyncEngine, customer_id: UUID) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(
            select(func.coalesce(func.sum(loyalty_ledger.c.points), 0))
            .where(loyalty_ledger.c.customer_id == customer_id))).scalar_one())
