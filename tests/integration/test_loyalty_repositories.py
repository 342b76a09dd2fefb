"""The loyalty adapters on real Postgres: what is written reads back the same, the ledger
refuses to change, and the read side agrees with the write side."""

import asyncio
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.loyalty.commands import (
    BonusRuleSpec,
    OfferRef,
    OverrideTier,
    PerkSpec,
    RedeemReward,
    RefundLineInput,
    RefundPurchase,
    RewardSpec,
    TierSpec,
)
from domain.loyalty.model import (
    Membership,
    Perk,
    Programme,
    Tier,
    TierChangeReason,
    TierOverride,
)
from domain.loyalty.queries import LedgerMismatch
from domain.partners.commands import CreateOffer, CreatePartner
from domain.partners.model import Benefit, BenefitKind, CostSharing, Payer, Trigger, TriggerKind
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.ids import new_id
from domain.shared.paging import PageRequest
from infrastructure.bootstrap import Container
from infrastructure.postgres.tables import (
    loyalty_ledger,
    loyalty_point_lots,
    loyalty_tier_perk_offers,
    loyalty_tiers,
)
from infrastructure.postgres.unit_of_work import PgUnitOfWork
from tests.conftest import StatementCounter
from tests.fakes import FixedClock
from tests.integration.loyalty_setup import (
    PROGRAMME,
    a_container,
    a_customer,
    a_line,
    a_programme,
    a_purchase,
    count_rows,
)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def container(db: AsyncEngine, clock: FixedClock) -> Container:
    return a_container(db, clock)


def _uow(container: Container) -> PgUnitOfWork:
    return PgUnitOfWork(container.engine, container.clock)


# --- programmes ----------------------------------------------------------------------------


async def test_a_programme_reads_back_as_saved_with_tiers_rules_and_rewards(
    container: Container,
) -> None:
    saved = await a_programme(container, bonus_rules=(
        BonusRuleSpec("silk week", Decimal("2.5"), "silk", date(2026, 5, 1), date(2026, 5, 7)),
        BonusRuleSpec("any time", Decimal(3)),
    ), birthday_multiplier=Decimal(2), point_value=Decimal("0.05"))

    async with _uow(container) as uow:
        stored = await uow.programmes.get_by_code("silk-club")

    assert stored == saved


async def test_the_container_s_units_of_work_share_its_programme_cache(
    container: Container, statement_counter: StatementCounter,
) -> None:
    saved = await a_programme(container)
    async with container.uow_factory() as uow:
        await uow.programmes.get(saved.id)  # loads the definition, and caches it

    with statement_counter() as statements:
        async with container.uow_factory() as uow:
            assert await uow.programmes.get(saved.id) == saved

    assert saved.id in container.programmes
    assert len(statements) == 1, statements  # only the version check


async def test_the_default_programme_is_the_oldest(
    container: Container, clock: FixedClock
) -> None:
    first = await a_programme(container)
    clock.advance(days=1)
    await a_programme(container, code="cafe-club", name="Café club")

    async with _uow(container) as uow:
        default = await uow.programmes.default()

    assert default is not None
    assert default.id == first.id
    assert await container.queries.loyalty.programme(None) == default


async def test_saving_again_keeps_tier_ids_and_drops_the_tiers_left_out(
    container: Container,
) -> None:
    first = await a_programme(container)
    gold = first.tier_by_code("gold")
    assert gold is not None

    second = await a_programme(container, tiers=(
        TierSpec("classic", "Classic", Decimal(0)),
        TierSpec("gold", "Gold Plus", Decimal(4000), Decimal(12)),
    ), rewards=(RewardSpec("silk-scarf", "Silk scarf", 450),))

    async with _uow(container) as uow:
        stored = await uow.programmes.get(first.id)
    assert stored == second
    assert [(t.code, t.id) for t in stored.tiers] == [
        ("classic", first.tiers[0].id), ("gold", gold.id)]
    assert {r.code: r.active for r in stored.rewards} == {"silk-scarf": True, "tote": False}


async def _gold_pointing_at_a_cinema_ticket(container: Container) -> Programme:
    """The programme, its Gold perk pointing at an active offer of a cinema."""
    partners = container.use_cases.partners
    cinema = await partners.create_partner(CreatePartner("wanda", "Wanda", "cinema", "CNY"))
    ticket = await partners.create_offer(CreateOffer(
        cinema.id, "ticket", "A movie ticket", Benefit(BenefitKind.FREE_ITEM, item="ticket"),
        Trigger(TriggerKind.MANUAL), CostSharing(Payer.BRAND, Decimal(35))))
    return await a_programme(container, tiers=(
        *PROGRAMME.tiers[:2],
        replace(PROGRAMME.tiers[2], perks=(), perk_details=(
            PerkSpec("a movie ticket", OfferRef("wanda", ticket.code)),)),
    ))


async def test_a_perk_the_release_before_renamed_no_longer_points_at_its_offer(
    container: Container, db: AsyncEngine
) -> None:
    saved = await _gold_pointing_at_a_cinema_ticket(container)
    async with db.begin() as connection:  # as that release writes a tier: its texts only
        await connection.execute(update(loyalty_tiers).where(loyalty_tiers.c.code == "gold")
                                 .values(perks=["a cinema ticket", "free alterations"]))

    async with _uow(container) as uow:
        stored = await uow.programmes.get(saved.id)

    assert stored is not None
    assert stored.tiers[2].perks == (Perk("a cinema ticket"), Perk("free alterations"))


async def test_a_tier_the_release_before_deletes_takes_its_perks_offers_along(
    container: Container, db: AsyncEngine
) -> None:
    saved = await _gold_pointing_at_a_cinema_ticket(container)
    async with db.begin() as connection:  # as that release drops a tier: by its own row
        await connection.execute(delete(loyalty_tiers).where(loyalty_tiers.c.code == "gold"))

    assert await count_rows(db, loyalty_tier_perk_offers) == 0
    async with _uow(container) as uow:
        stored = await uow.programmes.get(saved.id)
    assert stored is not None
    assert [tier.code for tier in stored.tiers] == ["classic", "silver"]


async def test_creating_a_code_another_transaction_is_creating_is_a_duplicate(
    container: Container, db: AsyncEngine
) -> None:
    now = container.clock.now()
    rival = Programme(new_id(), "silk-club", "Silk club", "CNY",
                      (Tier(new_id(), "member", "Member", 0, Decimal(0)),),
                      created_at=now, updated_at=now)
    async with _uow(container) as first:
        await first.programmes.save(rival)  # not committed yet
        racing = asyncio.create_task(a_programme(container))
        await _until_a_session_waits_for_a_lock(db)
        await first.commit()

    with pytest.raises(DomainError) as refused:
        await racing
    assert [(e.field, e.code) for e in refused.value.errors] == [
        (("code",), ErrorCode.DUPLICATE)]


async def _until_a_session_waits_for_a_lock(engine: AsyncEngine) -> None:
    for _ in range(100):
        async with engine.connect() as connection:
            waiting = (await connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"))).scalar_one()
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the racing save never waited for the first one")


async def test_tiers_in_use_are_those_members_hold_or_held(container: Container) -> None:
    programme = await a_programme(container)
    li = await a_customer(container)
    await a_purchase(container, li.id, "o-1", container.clock.now(), a_line("1200.00"))

    async with _uow(container) as uow:
        in_use = await uow.programmes.tiers_in_use(programme.id)

    held = {programme.tier_by_code(code) for code in ("classic", "silver")}
    assert in_use == {tier.id for tier in held if tier is not None}


# --- members -----------------------------------------------------------------------------------


async def test_a_membership_with_a_tier_override_reads_back(
    container: Container, clock: FixedClock
) -> None:
    programme = await a_programme(container)
    li = await a_customer(container)
    expires = clock.now() + timedelta(days=90)

    overridden: Membership = await container.use_cases.loyalty.override_tier(
        OverrideTier(li.id, "gold", "made good a late delivery", expires_at=expires))

    async with _uow(container) as uow:
        stored = await uow.loyalty.lock_membership(programme.id, li.id)
    gold = programme.tier_by_code("gold")
    assert gold is not None
    assert stored is not None
    assert stored.override == TierOverride(gold.id, "made good a late delivery", "system",
                                           clock.now(), expires)
    assert stored == replace(overridden, events=[], tier_changes=[])
    history = await container.queries.loyalty.tier_histories(programme.id, [li.id])
    assert [c.reason for c in history[li.id]] == [TierChangeReason.ENROLLED,
                                                   TierChangeReason.OVERRIDDEN]


async def test_enrolling_someone_already_enrolled_returns_the_stored_membership(
    container: Container,
) -> None:
    programme = await a_programme(container)
    li = await a_customer(container)
    await a_purchase(container, li.id, "o-1", container.clock.now())

    async with _uow(container) as uow:
        stored = await uow.loyalty.lock_membership(programme.id, li.id)
        assert stored is not None
        again = await uow.loyalty.enrol(replace(stored, points_balance=0))

    assert again == stored


# --- purchases -------------------------------------------------------------------------------


async def test_a_purchase_reads_back_with_its_lines_and_refunds(
    container: Container, clock: FixedClock
) -> None:
    await a_programme(container)
    li = await a_customer(container)
    recorded = await a_purchase(
        container, li.id, "o-1", clock.now(),
        a_line("300.00", 3, category="silk", margin=Decimal("120.50")),
        a_line("89.90", 1, sku="SCARF", name="Scarf"))
    first = await container.use_cases.loyalty.refund_purchase(RefundPurchase(
        "r-1", clock.now(), purchase_id=recorded.purchase.id,
        lines=(RefundLineInput(1, 1),)))
    second = await container.use_cases.loyalty.refund_purchase(RefundPurchase(
        "r-2", clock.now(), purchase_id=recorded.purchase.id,
        lines=(RefundLineInput(1, 1), RefundLineInput(2, 1))))

    async with _uow(container) as uow:
        by_id = await uow.loyalty.get_purchase(recorded.purchase.id)
        by_order = await uow.loyalty.find_purchase(recorded.purchase.channel, "o-1")

    assert by_id is not None
    assert by_id == second.purchase == by_order
    assert [r.id for r in by_id.refunds] == [first.refund.id, second.refund.id]
    assert [line.refunded_quantity for line in by_id.lines] == [2, 1]
    read = await container.queries.loyalty.purchases_by_ids([recorded.purchase.id])
    assert read[recorded.purchase.id] == by_id


async def test_purchase_pages_are_newest_first_per_customer(
    container: Container, clock: FixedClock
) -> None:
    await a_programme(container)
    li, lisa = await a_customer(container), await a_customer(container, "Lisa")
    for day in range(3):
        await a_purchase(container, li.id, f"li-{day}", clock.now() - timedelta(days=day))
    await a_purchase(container, lisa.id, "lisa-0", clock.now())

    pages = await container.queries.loyalty.purchases([li.id, lisa.id], PageRequest(first=2))

    assert [p.order_id for p in pages[li.id].nodes] == ["li-0", "li-1"]
    assert pages[li.id].has_next_page
    rest = await container.queries.loyalty.purchases(
        [li.id], PageRequest(first=2, after=pages[li.id].edges[-1].cursor))
    assert [p.order_id for p in rest[li.id].nodes] == ["li-2"]
    assert [p.order_id for p in pages[lisa.id].nodes] == ["lisa-0"]


async def test_qualifying_totals_count_the_window_and_take_returns_off(
    container: Container, clock: FixedClock
) -> None:
    programme = await a_programme(container)
    li = await a_customer(container)
    now = clock.now()
    await a_purchase(container, li.id, "too-old", now - timedelta(days=400), a_line("700.00"))
    await a_purchase(container, li.id, "in-window", now - timedelta(days=60), a_line("300.00"))
    recent = await a_purchase(container, li.id, "recent", now, a_line("250.00", 2))
    await container.use_cases.loyalty.refund_purchase(RefundPurchase(
        "r-1", now, purchase_id=recent.purchase.id, lines=(RefundLineInput(1, 1),)))
    since = now - timedelta(days=365)

    async with _uow(container) as uow:
        open_ended = await uow.loyalty.qualifying_totals(programme.id, li.id, since, None)
        until_recent = await uow.loyalty.qualifying_totals(programme.id, li.id, since, now)

    assert open_ended.spend == Decimal("550.00")  # 300 + 500 - 250
    assert open_ended.points == 300 + 500 - 250
    assert until_recent.spend == Decimal("300.00")
    read = await container.queries.loyalty.qualifying_totals(programme.id, [li.id], since, None)
    assert read[li.id] == open_ended


# --- the ledger ----------------------------------------------------------------------------------


@pytest.mark.parametrize("statement", [
    "UPDATE loyalty_ledger SET points = points + 1",
    "DELETE FROM loyalty_ledger",
    "TRUNCATE loyalty_ledger CASCADE",
])
async def test_the_database_refuses_to_change_or_remove_ledger_entries(
    container: Container, db: AsyncEngine, statement: str
) -> None:
    await a_programme(container)
    li = await a_customer(container)
    await a_purchase(container, li.id, "o-1", container.clock.now())

    with pytest.raises(DBAPIError, match="append-only"):
        async with db.begin() as connection:
            await connection.execute(text(statement))

    assert await count_rows(db, loyalty_ledger) == 1


async def test_ledger_pages_are_newest_first(
    container: Container, clock: FixedClock
) -> None:
    programme = await a_programme(container)
    li = await a_customer(container)
    for n in range(3):
        clock.advance(minutes=1)
        await a_purchase(container, li.id, f"o-{n}", clock.now(), a_line(f"{n + 1}00.00"))

    pages = await container.queries.loyalty.ledgers(programme.id, [li.id], PageRequest(first=2))
    rest = await container.queries.loyalty.ledgers(
        programme.id, [li.id], PageRequest(first=2, after=pages[li.id].edges[-1].cursor))

    assert [e.points for e in pages[li.id].nodes] == [300, 200]
    assert [e.points for e in rest[li.id].nodes] == [100]
    entries = await container.queries.loyalty.entries_by_ids([e.id for e in rest[li.id].nodes])
    assert list(entries.values()) == rest[li.id].nodes


# --- the read side in batches ----------------------------------------------------------------


async def test_memberships_are_read_for_many_customers_at_once(container: Container) -> None:
    programme = await a_programme(container)
    li, lisa = await a_customer(container), await a_customer(container, "Lisa")
    await a_purchase(container, li.id, "o-1", container.clock.now(), a_line("1200.00"))

    found = await container.queries.loyalty.memberships(programme.id, [li.id, lisa.id])

    silver = programme.tier_by_code("silver")
    assert silver is not None
    assert list(found) == [li.id]
    assert (found[li.id].tier_id, found[li.id].points_balance) == (silver.id, 1200)


async def test_points_expiring_counts_what_is_left_of_lots_ending_in_the_window(
    container: Container, clock: FixedClock
) -> None:
    programme = await a_programme(container)  # points last 12 months
    li, lisa = await a_customer(container), await a_customer(container, "Lisa")
    now = clock.now()
    await a_purchase(container, li.id, "soon", now - timedelta(days=340), a_line("300.00"))
    await a_purchase(container, li.id, "later", now - timedelta(days=200), a_line("200.00"))
    await container.use_cases.loyalty.redeem_reward(
        RedeemReward(li.id, "tote"))  # 200 of the oldest

    expiring = await container.queries.loyalty.points_expiring(
        programme.id, [li.id, lisa.id], now, now + timedelta(days=30))

    assert expiring == {li.id: 100, lisa.id: 0}


async def test_nested_reads_cost_one_statement_whatever_the_number_of_customers(
    container: Container, statement_counter: StatementCounter
) -> None:
    programme = await a_programme(container)
    members = [await a_customer(container, f"Member {n}") for n in range(5)]
    for n, member in enumerate(members):
        await a_purchase(container, member.id, f"o-{n}", container.clock.now())
    ids = [member.id for member in members]
    loyalty = container.queries.loyalty

    with statement_counter() as statements:
        await loyalty.ledgers(programme.id, ids, PageRequest(first=5))
        await loyalty.tier_histories(programme.id, ids)
        await loyalty.memberships(programme.id, ids)
        await loyalty.points_expiring(programme.id, ids, container.clock.now(),
                                      container.clock.now() + timedelta(days=30))
    with statement_counter() as purchase_statements:
        pages = await loyalty.purchases(ids, PageRequest(first=5))

    assert len(statements) == 4
    assert len(purchase_statements) == 3  # the pages, their lines, their refunds
    assert all(len(page.nodes) == 1 for page in pages.values())


async def test_the_ledger_check_finds_lots_that_disagree_with_the_ledger(
    container: Container, db: AsyncEngine
) -> None:
    programme = await a_programme(container)
    li = await a_customer(container)
    await a_purchase(container, li.id, "o-1", container.clock.now(), a_line("100.00"))
    async with db.begin() as connection:
        await connection.execute(update(loyalty_point_lots).values(remaining=40))

    assert await container.queries.loyalty.ledger_mismatches() == [
        LedgerMismatch(programme.id, li.id, balance=100, ledger_sum=100, lots_remaining=40)]
