"""A rolling upgrade: the new release migrates first (the Helm chart's pre-upgrade hook),
then replaces the pods of the previous one. Until replaced, those keep serving on a schema
ahead of their head, which they do not know: ready, and able to (re)start and run jobs.
Behind head stays refused (tests/e2e/test_http.py, tests/integration/test_cli.py).

And what they write on it still holds: the statements of the release before a migration,
as its repositories send them, against the schema after it, with the shims it keeps for
them (triggers named previous_release_*, which the other tests' database goes without).
And a migration's downgrade keeps what the newer schema allowed."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID

import httpx
import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.http.app import create_app
from domain.customers.model import Customer
from domain.partners.codes import new_code
from domain.partners.model import Offer
from domain.reactions import NO_REACTIONS
from domain.shared.ids import new_id
from infrastructure.bootstrap import build_container
from infrastructure.bootstrap.service import job
from infrastructure.migrations import (
    alembic_config,
    current_revision,
    head_revision,
    is_newer_than_head,
)
from infrastructure.migrations import upgrade_to_head as migrate
from infrastructure.postgres.engine import create_engine
from infrastructure.postgres.loyalty_repository import ProgrammeCache
from infrastructure.postgres.unit_of_work import PgUnitOfWork
from infrastructure.settings import Settings
from tests.contract import records
from tests.fakes import FixedClock
from tests.integration.loyalty_setup import a_container, a_customer, a_programme

NEWER = "9999_of_a_newer_release"


@pytest.fixture
async def newer_database_url(empty_database_url: str) -> str:
    """A database a newer release migrated: at a revision this code does not have."""
    engine = create_engine(empty_database_url, pooled=False)
    try:
        await migrate(engine)
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = :v"),
                                     {"v": NEWER})
    finally:
        await engine.dispose()
    return empty_database_url


async def test_readyz_is_ready_on_a_schema_a_newer_release_migrated(
    newer_database_url: str
) -> None:
    settings = Settings(database_url=newer_database_url)
    engine = create_engine(newer_database_url, pooled=False)
    try:
        app = create_app(settings, container=build_container(settings, engine))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://rapport") as http:
                response = await http.get("/readyz")
    finally:
        await engine.dispose()
    assert response.status_code == 200
    assert response.json()["schema"] == "ok"


@pytest.mark.parametrize("migrate_first", [False, True])
async def test_a_job_runs_on_a_schema_a_newer_release_migrated_and_leaves_it_as_it_is(
    newer_database_url: str, migrate_first: bool
) -> None:
    told: list[str] = []
    settings = Settings(database_url=newer_database_url)
    async with job(settings, migrate=migrate_first, notify=told.append) as container:
        assert await current_revision(container.engine) == NEWER
    assert "ahead of this release's head" in told[-1]


def test_a_revision_this_release_has_is_not_newer_than_its_head() -> None:
    assert not is_newer_than_head(head_revision())
    assert not is_newer_than_head("0001")


def test_no_revision_at_all_is_behind_not_ahead() -> None:
    assert not is_newer_than_head(None)


# --- 0010: customer_id on purchase lines, refunds and refund lines -----------------------------

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
# A sale and a return as the release before 0010 writes them: its rows have no customer_id
# but the purchase's.
PREVIOUS_RELEASE_SALE = (
    """INSERT INTO purchases (id, programme_id, customer_id, channel, order_id, occurred_at,
        recorded_at, currency, payment_total, fingerprint, net_amount, points)
       VALUES (:purchase, :programme, :customer, 'POS', :order_id, :now, :now, 'CNY', 600,
        'f', 600, 600)""",
    """INSERT INTO purchase_lines (purchase_id, line_no, sku, quantity, unit_price, discount,
        points) VALUES (:purchase, 1, 'SILK-DRESS', 1, 500, 0, 500),
        (:purchase, 2, 'SILK-SCARF', 1, 100, 0, 100)""",
    """INSERT INTO purchase_refunds (id, purchase_id, refund_ref, occurred_at, recorded_at)
       VALUES (:refund, :purchase, 'scarf-back', :now, :now)""",
    """INSERT INTO purchase_refund_lines (refund_id, line_no, quantity, amount, points)
       VALUES (:refund, 2, 1, 100, 100)""",
)
# Its merge moves the purchases alone.
PREVIOUS_RELEASE_MERGE = (
    "UPDATE purchases SET customer_id = :survivor WHERE customer_id = :duplicate")
_OWNERS = text("""
    SELECT customer_id FROM purchase_lines WHERE purchase_id = :purchase
    UNION ALL SELECT customer_id FROM purchase_refunds WHERE purchase_id = :purchase
    UNION ALL SELECT x.customer_id FROM purchase_refund_lines x
        JOIN purchase_refunds r ON r.id = x.refund_id WHERE r.purchase_id = :purchase
""")


@pytest.fixture
async def scratch_engine(empty_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(empty_database_url, pooled=False)
    yield engine
    await engine.dispose()


async def _migrate_to(engine: AsyncEngine, revision: str) -> None:
    def upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(upgrade)


async def _previous_release_sale(connection: AsyncConnection, programme_id: UUID,
                                 customer_id: UUID) -> UUID:
    """Her purchase of a dress and a scarf, the scarf returned: the purchase's id."""
    purchase_id = new_id()
    ids = {"purchase": purchase_id, "refund": new_id(), "programme": programme_id,
           "customer": customer_id, "order_id": f"till-{purchase_id}", "now": NOW}
    for statement in PREVIOUS_RELEASE_SALE:
        await connection.execute(text(statement), ids)
    return purchase_id


async def _owners(connection: AsyncConnection, purchase_id: UUID) -> list[UUID]:
    """Whose the purchase's two lines, its refund and the refund's line are."""
    return list((await connection.execute(_OWNERS, {"purchase": purchase_id})).scalars())


async def test_migrating_gives_the_previous_release_s_purchase_rows_her_id(
    scratch_engine: AsyncEngine,
) -> None:
    await _migrate_to(scratch_engine, "0009")
    # Customers and programmes are this release's: 0010 leaves their tables as they were.
    container = a_container(scratch_engine, FixedClock(NOW))
    wardrobe, li = await a_programme(container), await a_customer(container)
    async with scratch_engine.begin() as connection:
        bought = await _previous_release_sale(connection, wardrobe.id, li.id)

    await migrate(scratch_engine)

    async with scratch_engine.connect() as connection:
        assert await _owners(connection, bought) == [li.id] * 4


async def test_the_previous_release_s_purchase_rows_get_her_id_from_their_purchase(
    scratch_engine: AsyncEngine,
) -> None:
    await migrate(scratch_engine)
    container = a_container(scratch_engine, FixedClock(NOW))
    wardrobe, li = await a_programme(container), await a_customer(container)

    async with scratch_engine.begin() as connection:
        bought = await _previous_release_sale(connection, wardrobe.id, li.id)

    async with scratch_engine.connect() as connection:
        assert await _owners(connection, bought) == [li.id] * 4


async def test_the_previous_release_s_merge_moves_purchase_rows_with_their_purchase(
    scratch_engine: AsyncEngine,
) -> None:
    await migrate(scratch_engine)
    container = a_container(scratch_engine, FixedClock(NOW))
    wardrobe = await a_programme(container)
    li, web_account = await a_customer(container), await a_customer(container, "Li Mei")
    async with scratch_engine.begin() as connection:
        online = await _previous_release_sale(connection, wardrobe.id, web_account.id)
        own = await _previous_release_sale(connection, wardrobe.id, li.id)

    async with scratch_engine.begin() as connection:
        await connection.execute(text(PREVIOUS_RELEASE_MERGE),
                                 {"survivor": li.id, "duplicate": web_account.id})

    async with scratch_engine.connect() as connection:
        assert await _owners(connection, online) == [li.id] * 4
        assert await _owners(connection, own) == [li.id] * 4


# --- 0011: a revoked grant frees its source -----------------------------------------------

# A grant as the release before 0011 inserts it (PgPartnerRepository.add_grant): a clash on
# its source inserts nothing.
PREVIOUS_RELEASE_GRANT = text(
    """INSERT INTO partner_grants (id, offer_id, partner_id, customer_id, code, source_key,
        issued_at, expires_at, issued_by, state)
       VALUES (:id, :offer, :partner, :customer, :code, 'birthday:2026', :now, :now,
        'system', 'ISSUED')
       ON CONFLICT DO NOTHING""")


async def _downgrade_to(engine: AsyncEngine, revision: str) -> None:
    def downgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(downgrade)


async def _an_offer_and_her(engine: AsyncEngine) -> tuple[Offer, Customer]:
    """The cinema's ticket, and Mrs. Li, stored."""
    uow = PgUnitOfWork(engine, FixedClock(NOW), ProgrammeCache(), NO_REACTIONS)
    cinema = records.a_partner(NOW)
    ticket = records.an_offer(cinema, NOW)
    li = records.a_customer(NOW)
    async with uow:
        await uow.customers.add(li)
        await uow.partners.add(cinema)
        await uow.partners.add_offer(ticket)
        await uow.commit()
    return ticket, li


async def _previous_release_grant(engine: AsyncEngine, offer: Offer, customer: Customer
                                  ) -> bool:
    """Whether the previous release's insert of her birthday grant inserted it."""
    async with engine.begin() as connection:
        inserted = await connection.execute(PREVIOUS_RELEASE_GRANT, {
            "id": new_id(), "offer": offer.id, "partner": offer.partner_id,
            "customer": customer.id, "code": new_code(), "now": NOW})
    return inserted.rowcount == 1


async def test_the_previous_release_issues_a_source_once_and_again_once_revoked(
    scratch_engine: AsyncEngine,
) -> None:
    await migrate(scratch_engine)
    ticket, li = await _an_offer_and_her(scratch_engine)

    assert await _previous_release_grant(scratch_engine, ticket, li)
    assert not await _previous_release_grant(scratch_engine, ticket, li)
    async with scratch_engine.begin() as connection:
        await connection.execute(text("UPDATE partner_grants SET state = 'REVOKED'"))
    assert await _previous_release_grant(scratch_engine, ticket, li)


async def test_downgrading_keeps_a_revoked_grant_whose_source_was_issued_again_apart(
    scratch_engine: AsyncEngine,
) -> None:
    await migrate(scratch_engine)
    ticket, li = await _an_offer_and_her(scratch_engine)
    revoked = records.a_grant(ticket, li.id, NOW, source_key="birthday:2026").revoked(
        NOW, "the purchase was returned")
    again = records.a_grant(ticket, li.id, NOW, source_key="birthday:2026")
    uow = PgUnitOfWork(scratch_engine, FixedClock(NOW), ProgrammeCache(), NO_REACTIONS)
    async with uow:
        await uow.partners.add_grant(revoked)
        await uow.partners.add_grant(again)
        await uow.commit()

    await _downgrade_to(scratch_engine, "0010")

    async with scratch_engine.connect() as connection:
        rows = await connection.execute(text("SELECT id, source_key FROM partner_grants"))
        sources = {row.id: row.source_key for row in rows}
    assert sources == {revoked.id: f"birthday:2026 revoked {revoked.id}",
                       again.id: "birthday:2026"}
    assert not await _previous_release_grant(scratch_engine, ticket, li)  # the key holds


async def test_the_index_built_beforehand_without_blocking_is_the_one_migrating_keeps(
    scratch_engine: AsyncEngine,
) -> None:
    await _migrate_to(scratch_engine, "0010")
    async with scratch_engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(  # as docs/operations.md tells, for a large table
            "CREATE UNIQUE INDEX CONCURRENTLY uq_partner_grants_unrevoked_source ON"
            " partner_grants (offer_id, customer_id, source_key) WHERE state <> 'REVOKED'"))

    await migrate(scratch_engine)

    async with scratch_engine.connect() as connection:
        indexes = (await connection.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'partner_grants'"
            " AND indexname LIKE 'uq_partner_grants_%source%'"))).scalars().all()
    assert indexes == ["uq_partner_grants_unrevoked_source"]
