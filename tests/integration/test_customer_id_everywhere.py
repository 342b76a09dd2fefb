"""Every row a customer owns carries her id, the future Citus distribution column
(DESIGN.md §9, docs/operations.md "Citus: distribution by customer id"): the migrated schema
says so of every table, and a merge moves the id with her rows.

The schema is read from the catalogue, not from tables.py: what counts is what the
migrations built (tests/integration/test_migrations.py proves the two agree)."""

from datetime import UTC, datetime
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.customers.commands import MergeCustomers
from domain.loyalty.commands import RefundLineInput, RefundPurchase
from infrastructure.bootstrap import Container
from tests.fakes import FixedClock
from tests.integration.loyalty_setup import (
    a_container,
    a_customer,
    a_line,
    a_programme,
    a_purchase,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

# The tables that hold no customer's rows, and so no customer_id, each with what it becomes
# under Citus (the table in docs/operations.md). A new table goes here only if it is no
# customer's: one that holds her rows carries customer_id instead.
NOT_A_CUSTOMER_S = {
    "customers": "the customers themselves: distributed by id",
    # Reference tables, a copy on every node: what her rows point at.
    "stores": "reference",
    "staff": "reference",
    "case_routing_rules": "reference",
    "loyalty_programmes": "reference",
    "loyalty_tiers": "reference",
    "loyalty_rewards": "reference",
    "loyalty_tier_perk_offers": "reference",
    "partners": "reference",
    "partner_offers": "reference",
    "pipelines": "reference",
    "pipeline_stages": "reference",
    # Local tables, on the coordinator: the service's own.
    "api_clients": "local: authentication",
    "api_keys": "local: authentication",
    "partner_code_misses": "local: failed lookups per caller",
    "alembic_version": "local: the migrations'",
    # Distributed by another column, in a co-location group of their own.
    "partner_settlement_periods": "distributed by partner_id, with the entries",
    "idempotency_keys": "distributed by key: unique across customers",
    # Written in every mutation's transaction, a customer's or not: they are to gain a
    # `shard_key` (her id when the mutation changed a customer), not a customer_id.
    "audit_log": "co-located by a future shard_key",
    "outbox": "co-located by a future shard_key",
}

_FOREIGN_KEYS = text("""
    SELECT c.conrelid::regclass::text AS table_name, c.confrelid::regclass::text AS referred,
           array_agg(a.attname::text ORDER BY k.n) AS columns
    FROM pg_constraint c
    CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
    WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
    GROUP BY c.oid, c.conrelid, c.confrelid
""")
_CUSTOMER_ID_COLUMNS = text("""
    SELECT t.table_name::text, c.is_nullable = 'YES' AS nullable
    FROM information_schema.tables t
    LEFT JOIN information_schema.columns c ON c.table_schema = t.table_schema
        AND c.table_name = t.table_name AND c.column_name = 'customer_id'
    WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'
""")


async def _foreign_keys(engine: AsyncEngine) -> list[tuple[str, str, list[str]]]:
    async with engine.connect() as connection:
        return [(r.table_name, r.referred, r.columns)
                for r in await connection.execute(_FOREIGN_KEYS)]


async def _customer_id_of_each_table(engine: AsyncEngine) -> dict[str, bool | None]:
    """Each table: None without a customer_id column, else whether it is nullable."""
    async with engine.connect() as connection:
        return {r.table_name: r.nullable for r in await connection.execute(_CUSTOMER_ID_COLUMNS)}


def _leading_to_customers(foreign_keys: list[tuple[str, str, list[str]]]) -> set[str]:
    """The tables with a path of foreign keys to customers, however long: purchase refund
    lines → refunds → purchases → customers."""
    reaching = {"customers"}
    while True:
        more = {table for table, referred, _ in foreign_keys if referred in reaching}
        if more <= reaching:
            return reaching - {"customers"}
        reaching |= more


async def test_every_table_with_a_path_of_keys_to_customers_carries_customer_id(
    engine: AsyncEngine,
) -> None:
    reaching = _leading_to_customers(await _foreign_keys(engine))
    columns = await _customer_id_of_each_table(engine)

    # The three the review found, two and three keys away: the walk goes all the way.
    assert {"purchase_lines", "purchase_refunds", "purchase_refund_lines"} <= reaching
    assert sorted(t for t in reaching if columns[t] is None) == []
    assert sorted(reaching & NOT_A_CUSTOMER_S.keys()) == [], "listed as no customer's"


async def test_every_customer_id_is_not_null_and_a_key_to_customers(
    engine: AsyncEngine,
) -> None:
    """Citus refuses a NULL in the distribution column, and the id must be a customer's."""
    columns = await _customer_id_of_each_table(engine)
    keyed = {table for table, referred, key in await _foreign_keys(engine)
             if referred == "customers" and key == ["customer_id"]}
    carrying = {table for table, nullable in columns.items() if nullable is not None}

    assert sorted(t for t in carrying if columns[t]) == [], "nullable customer_id"
    assert sorted(carrying - keyed) == [], "customer_id without its key to customers"


async def test_the_tables_without_customer_id_are_exactly_those_listed_as_no_customer_s(
    engine: AsyncEngine,
) -> None:
    """A new table is either hers (with customer_id) or named above with what it becomes:
    one without any key to customers is caught here, not by the walk."""
    columns = await _customer_id_of_each_table(engine)

    assert {t for t, nullable in columns.items() if nullable is None} == set(NOT_A_CUSTOMER_S)


# --- a merge moves them ----------------------------------------------------------------------


@pytest.fixture
def container(db: AsyncEngine) -> Container:
    return a_container(db, FixedClock(NOW))


_OWNERS = text("""
    SELECT 'line' AS kind, customer_id FROM purchase_lines WHERE purchase_id = :purchase
    UNION ALL
    SELECT 'refund', customer_id FROM purchase_refunds WHERE purchase_id = :purchase
    UNION ALL
    SELECT 'refund line', x.customer_id FROM purchase_refund_lines x
        JOIN purchase_refunds r ON r.id = x.refund_id WHERE r.purchase_id = :purchase
    ORDER BY 1, 2
""")


async def _owners(engine: AsyncEngine, purchase_id: UUID) -> list[tuple[str, UUID]]:
    """Whose each line, refund and refund line of the purchase is."""
    async with engine.connect() as connection:
        rows = await connection.execute(_OWNERS, {"purchase": purchase_id})
        return [(r.kind, r.customer_id) for r in rows]


async def test_a_merge_moves_the_duplicate_s_purchase_lines_refunds_and_their_lines(
    container: Container,
) -> None:
    await a_programme(container)
    li = await a_customer(container)
    web_account = await a_customer(container, "Li Mei")
    own = await a_purchase(container, li.id, "till", NOW, a_line("600.00"))
    online = await a_purchase(container, web_account.id, "web", NOW,
                              a_line("700.00"), a_line("80.00", sku="SILK-SCARF"))
    await container.use_cases.loyalty.refund_purchase(RefundPurchase(
        "scarf-back", NOW, purchase_id=online.purchase.id, lines=(RefundLineInput(2, 1),)))
    before = await _owners(container.engine, online.purchase.id)

    await container.use_cases.customers.merge_customers(MergeCustomers(li.id, web_account.id))

    kinds = ["line", "line", "refund", "refund line"]
    assert before == [(kind, web_account.id) for kind in kinds]
    assert await _owners(container.engine, online.purchase.id) == [(k, li.id) for k in kinds]
    assert await _owners(container.engine, own.purchase.id) == [("line", li.id)]
