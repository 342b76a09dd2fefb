"""A customer merge while tills, partners and staff write about the two records it merges
(returns and sales, interactions, partner purchases and redemptions, grants by hand,
cases), at once on Postgres, each call in its own transaction on its own connection: none
deadlocks, and nothing is lost. Every write is recorded once, and every row of the
duplicate's ends up the survivor's, whichever committed first.

A merge locks both customers' rows, then moves their rows (purchases, memberships,
grants); each of these writes holds her row first too, before any other row of hers, so
the two take turns instead of each holding what the other waits for, and a write that
waited for a merge writes to the survivor, not the duplicate it named
(domain/customers/services.py, `held_customer`)."""

import asyncio
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import pytest
from sqlalchemy import Table, event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.customers.commands import MergeCustomers
from domain.customers.model import Customer
from domain.loyalty.commands import AdjustPoints, RefundLineInput, RefundPurchase, TierSpec
from domain.loyalty.model import Purchase
from domain.partners.commands import (
    ChangeOfferStatus,
    IssueGrant,
    RecordPartnerPurchase,
    ReturnPartnerPurchase,
    ReverseRedemption,
)
from domain.partners.model import Offer, OfferStatus, Partner, Quota, Trigger, TriggerKind
from infrastructure.bootstrap import Container
from infrastructure.postgres.engine import create_engine
from infrastructure.postgres.tables import (
    cases,
    interactions,
    partner_grants,
    partner_purchases,
    partner_redemptions,
    purchase_lines,
    purchase_refund_lines,
    purchase_refunds,
    purchases,
)
from tests.builders import (
    a_consenting_member_command,
    a_partner_client,
    a_partner_command,
    a_redeem_command,
    a_ref,
    an_offer_command,
    open_command,
    record_command,
)
from tests.fakes import FixedClock
from tests.integration.loyalty_setup import (
    a_container,
    a_line,
    a_programme,
    a_purchase,
    ledger_sum,
    purchase_command,
)

T = TypeVar("T")
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
PAIRS = 3  # merges at once, each of a survivor and a duplicate
BOUGHT = 2  # purchases of each record before the merge
# A deadlock is found after this long waiting for a lock (the server's default: 1 s).
DEADLOCK_TIMEOUT = "100ms"
GOODWILL = 50  # points added by hand to each record during the merge
# Per pair: the merge, a return of each purchase, a sale and a goodwill gesture to each
# record.
CALLS = PAIRS * (1 + 2 * BOUGHT + 2 + 2)
WRITES = 4  # writes naming each duplicate while she is merged, in the tests after the first
CARD = "brand-card"  # the system of the card a member shows at a partner's counter
COFFEE = Decimal("58.00")  # at a café that gives a point a yuan
CUSTOMERS_ROWS = (purchases, purchase_lines, purchase_refunds, purchase_refund_lines,
                  interactions, partner_grants)


@pytest.fixture
async def wide_engine(database_url: str, db: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """A connection for each call at once (the session's engine has 10), each finding a
    deadlock soon."""
    engine = create_engine(database_url, pool_size=max(CALLS, PAIRS * (1 + 2 * WRITES)) + 4)

    @event.listens_for(engine.sync_engine, "connect")
    def _soon(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET deadlock_timeout = '{DEADLOCK_TIMEOUT}'")
        cursor.close()

    yield engine
    await engine.dispose()


@pytest.fixture
async def container(wide_engine: AsyncEngine) -> Container:
    container = a_container(wide_engine, FixedClock(NOW))
    # One tier: what a purchase earns is the same whichever side of the merge it lands on.
    await a_programme(container, tiers=(TierSpec("classic", "Classic", Decimal(0)),))
    use = container.use_cases.partners
    cinema = await use.create_partner(a_partner_command())
    # A grant with each silk scarf: its return revokes it, a merge moves it.
    offer = await use.create_offer(an_offer_command(
        cinema, trigger=Trigger(TriggerKind.PURCHASE, sku="SILK-SCARF"),
        quota=Quota(per_member=None)))
    await use.change_offer_status(ChangeOfferStatus(offer.id, OfferStatus.ACTIVE))
    return container


@dataclass(frozen=True)
class Pair:
    survivor: Customer
    duplicate: Customer
    bought: tuple[Purchase, ...]  # by either, before the merge


async def _pair(container: Container, n: int) -> Pair:
    create = container.use_cases.customers.create_customer
    survivor = await create(a_consenting_member_command(f"Li{n}"))
    duplicate = await create(a_consenting_member_command(f"Mei{n}"))
    bought = [(await a_purchase(container, customer.id, f"{n}-{customer.id}-{i}", NOW,
                                a_line("600.00"), a_line("80.00", sku="SILK-SCARF"))).purchase
              for customer in (survivor, duplicate) for i in range(BOUGHT)]
    return Pair(survivor, duplicate, tuple(bought))


async def _outcomes(*calls: Awaitable[T]) -> list[T | BaseException]:
    return await asyncio.gather(*calls, return_exceptions=True)


def _calls(container: Container, pair: Pair, n: int) -> list[Awaitable[object]]:
    """The merge, the scarf of each purchase returned, and a sale and goodwill points to
    each record (the duplicate's find the survivor once the merge is in)."""
    loyalty = container.use_cases.loyalty
    merge = container.use_cases.customers.merge_customers(
        MergeCustomers(pair.survivor.id, pair.duplicate.id))
    returns = [loyalty.refund_purchase(RefundPurchase(
        f"scarf-back-{bought.id}", NOW, purchase_id=bought.id,
        lines=(RefundLineInput(2, 1),))) for bought in pair.bought]
    sales = [loyalty.record_purchase(purchase_command(
        customer.id, f"{n}-{customer.id}-during", NOW, a_line("600.00")))
        for customer in (pair.survivor, pair.duplicate)]
    goodwill = [loyalty.adjust_points(AdjustPoints(customer.id, GOODWILL, "late delivery"))
                for customer in (pair.survivor, pair.duplicate)]
    return [merge, *returns, *sales, *goodwill]


async def _owners(engine: AsyncEngine, table: Table, of: set[UUID]) -> set[UUID]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(table.c.customer_id).where(table.c.customer_id.in_(of)).distinct())
        return set(rows.scalars())


async def _count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(
            select(func.count()).select_from(table))).scalar_one())


async def test_returns_and_sales_during_merges_deadlock_none_and_lose_nothing(
    wide_engine: AsyncEngine, container: Container
) -> None:
    pairs = [await _pair(container, n) for n in range(PAIRS)]

    outcomes = await _outcomes(*(call for n, pair in enumerate(pairs)
                                 for call in _calls(container, pair, n)))

    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert await _count(wide_engine, purchase_refunds) == PAIRS * 2 * BOUGHT
    assert await _count(wide_engine, purchases) == PAIRS * 2 * (BOUGHT + 1)
    everyone = {c.id for pair in pairs for c in (pair.survivor, pair.duplicate)}
    survivors = {pair.survivor.id for pair in pairs}
    for table in CUSTOMERS_ROWS:
        assert await _owners(wide_engine, table, everyone) == survivors, table.name
    for pair in pairs:
        # Each purchase before earned 680, less its scarf's 80 returned; each sale 600.
        assert await ledger_sum(wide_engine, pair.survivor.id) == (
            2 * BOUGHT * 600 + 2 * 600 + 2 * GOODWILL)
        assert await ledger_sum(wide_engine, pair.duplicate.id) == 0
    assert await container.queries.loyalty.ledger_mismatches() == []


async def _records(container: Container, n: int) -> Pair:
    """A survivor and a duplicate who shows her card at partners' counters."""
    create = container.use_cases.customers.create_customer
    survivor = await create(a_consenting_member_command(f"Li{n}"))
    duplicate = await create(a_consenting_member_command(
        f"Mei{n}", external_refs=(a_ref(CARD, f"MEI-{n}"),)))
    return Pair(survivor, duplicate, ())


def _merge(container: Container, pair: Pair) -> Awaitable[object]:
    return container.use_cases.customers.merge_customers(
        MergeCustomers(pair.survivor.id, pair.duplicate.id))


async def _merged_during(container: Container, pairs: list[Pair],
                         writes: list[list[Awaitable[object]]]) -> list[object]:
    """Each pair's merge at once with its writes, and the writes' outcomes."""
    outcomes = await _outcomes(*(call for pair, theirs in zip(pairs, writes, strict=True)
                                 for call in (_merge(container, pair), *theirs)))
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    return outcomes


async def _owners_of(engine: AsyncEngine, table: Table, pairs: list[Pair]) -> set[UUID]:
    """Whose of the pairs' records the rows of `table` are."""
    return await _owners(engine, table,
                         {c.id for pair in pairs for c in (pair.survivor, pair.duplicate)})


def _survivors(pairs: list[Pair]) -> set[UUID]:
    return {pair.survivor.id for pair in pairs}


async def _cafe(container: Container) -> Partner:
    """A point per yuan, each worth 5 fen to the brand."""
    partner: Partner = await container.use_cases.partners.create_partner(a_partner_command(
        earn_rate=Decimal(1), point_value=Decimal("0.05")))
    return partner


async def _manual_offer(container: Container, partner: Partner) -> Offer:
    """Given by staff by hand, as often as they like."""
    use = container.use_cases.partners
    offer = await use.create_offer(an_offer_command(
        partner, trigger=Trigger(TriggerKind.MANUAL), quota=Quota(per_member=None)))
    active: Offer = await use.change_offer_status(ChangeOfferStatus(offer.id, OfferStatus.ACTIVE))
    return active


def _coffee(n: int, order_id: str) -> RecordPartnerPurchase:
    """Bought at the café by pair `n`'s duplicate, her card shown."""
    return RecordPartnerPurchase(CARD, f"MEI-{n}", order_id, COFFEE, "CNY", NOW)


async def test_interactions_recorded_during_merges_all_end_on_the_survivor(
    wide_engine: AsyncEngine, container: Container
) -> None:
    pairs = [await _records(container, n) for n in range(PAIRS)]
    record = container.use_cases.interactions.record_interaction

    await _merged_during(container, pairs, [
        [record(record_command(customer.id, NOW))
         for customer in (pair.survivor, *(pair.duplicate,) * WRITES)] for pair in pairs])

    assert await _count(wide_engine, interactions) == PAIRS * (1 + WRITES)
    assert await _owners_of(wide_engine, interactions, pairs) == _survivors(pairs)


async def test_partner_purchases_and_returns_during_merges_deadlock_none_and_end_on_the_survivor(
    wide_engine: AsyncEngine, container: Container
) -> None:
    pairs = [await _records(container, n) for n in range(PAIRS)]
    cafe = await _cafe(container)
    till = container.use_cases.acting_as(a_partner_client(cafe)).partners
    for n in range(PAIRS):
        for i in range(WRITES):
            await till.record_partner_purchase(_coffee(n, f"{n}-before-{i}"))

    await _merged_during(container, pairs, [
        [*(till.return_partner_purchase(ReturnPartnerPurchase(f"{n}-before-{i}", "back"))
           for i in range(WRITES)),
         *(till.record_partner_purchase(_coffee(n, f"{n}-during-{i}")) for i in range(WRITES))]
        for n in range(PAIRS)])

    assert await _count(wide_engine, partner_purchases) == PAIRS * 2 * WRITES
    assert await _owners_of(wide_engine, partner_purchases, pairs) == _survivors(pairs)
    for pair in pairs:
        # The coffees before returned whole; those during earned a point a yuan.
        assert await ledger_sum(wide_engine, pair.survivor.id) == WRITES * int(COFFEE)
        assert await ledger_sum(wide_engine, pair.duplicate.id) == 0
    assert await container.queries.loyalty.ledger_mismatches() == []


async def test_redemptions_and_reversals_during_merges_deadlock_none_and_end_on_the_survivor(
    wide_engine: AsyncEngine, container: Container
) -> None:
    pairs = [await _records(container, n) for n in range(PAIRS)]
    use = container.use_cases.partners
    partner: Partner = await use.create_partner(a_partner_command())
    offer = await _manual_offer(container, partner)
    counter = container.use_cases.acting_as(a_partner_client(partner)).partners
    grants = [[await use.issue_grant(IssueGrant(offer.id, pair.duplicate.id, "Opening night"))
               for _ in range(2 * WRITES)] for pair in pairs]
    redeemed = [[await counter.redeem_grant(a_redeem_command(grant))
                 for grant in theirs[:WRITES]] for theirs in grants]

    await _merged_during(container, pairs, [
        [*(counter.reverse_redemption(ReverseRedemption(r.redemption.id, "wrong film"))
           for r in before),
         *(counter.redeem_grant(a_redeem_command(grant)) for grant in theirs[WRITES:])]
        for before, theirs in zip(redeemed, grants, strict=True)])

    assert await _count(wide_engine, partner_redemptions) == PAIRS * 2 * WRITES
    for table in (partner_grants, partner_redemptions):
        assert await _owners_of(wide_engine, table, pairs) == _survivors(pairs), table.name


async def test_grants_issued_by_hand_during_merges_all_end_on_the_survivor(
    wide_engine: AsyncEngine, container: Container
) -> None:
    pairs = [await _records(container, n) for n in range(PAIRS)]
    use = container.use_cases.partners
    offer = await _manual_offer(container, await use.create_partner(a_partner_command()))
    issue = use.issue_grant

    await _merged_during(container, pairs, [
        [issue(IssueGrant(offer.id, customer.id, "Opening night"))
         for customer in (pair.survivor, *(pair.duplicate,) * WRITES)] for pair in pairs])

    assert await _count(wide_engine, partner_grants) == PAIRS * (1 + WRITES)
    assert await _owners_of(wide_engine, partner_grants, pairs) == _survivors(pairs)


async def test_cases_opened_during_merges_all_end_on_the_survivor(
    wide_engine: AsyncEngine, container: Container
) -> None:
    pairs = [await _records(container, n) for n in range(PAIRS)]
    open_case = container.use_cases.cases.open_case

    await _merged_during(container, pairs, [
        [open_case(open_command(customer.id))
         for customer in (pair.survivor, *(pair.duplicate,) * WRITES)] for pair in pairs])

    assert await _count(wide_engine, cases) == PAIRS * (1 + WRITES)
    assert await _owners_of(wide_engine, cases, pairs) == _survivors(pairs)
