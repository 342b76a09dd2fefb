"""The alliance under real concurrency on Postgres, through the use cases the container
binds: sixteen tills at once never issue past an offer's quota, never redeem one code
twice, and a month closed while its redemptions are still coming in loses none of them
and takes none in after it closed; pruning jobs at once delete each old miss once."""

import asyncio
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

import pytest
from sqlalchemy import ColumnElement, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.customers.model import Customer
from domain.partners.commands import ChangeOfferStatus, ClosePeriod, IssueGrant, PruneCodeMisses
from domain.partners.model import (
    Grant,
    Offer,
    OfferStatus,
    Partner,
    Quota,
    Trigger,
    TriggerKind,
)
from domain.partners.redemptions import Redeemed
from domain.shared.errors import DomainError, ErrorCode
from infrastructure.bootstrap import Container
from infrastructure.postgres.engine import create_engine
from infrastructure.postgres.tables import (
    partner_code_misses,
    partner_grants,
    partner_redemptions,
    partner_settlement_entries,
)
from tests.builders import (
    a_consenting_member_command,
    a_partner_client,
    a_partner_command,
    a_redeem_command,
    an_offer_command,
)
from tests.fakes import FixedClock
from tests.integration.loyalty_setup import a_container, a_line, a_programme, purchase_command

T = TypeVar("T")
TILLS = 16
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LAST_THING_IN_FEBRUARY = datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC)
FIRST_THING_IN_MARCH = datetime(2026, 3, 1, 0, 0, 1, tzinfo=UTC)
MASCARA = a_line("299.00", sku="EY-MASC-01", category="mascara")


@pytest.fixture
async def wide_engine(database_url: str, db: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """An engine with a connection for each concurrent till (the session's has 10)."""
    engine = create_engine(database_url, pool_size=TILLS + 4)
    yield engine
    await engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def container(wide_engine: AsyncEngine, clock: FixedClock) -> Container:
    container = a_container(wide_engine, clock)
    await a_programme(container)
    return container


@pytest.fixture
async def cinema(container: Container) -> Partner:
    partner: Partner = await container.use_cases.partners.create_partner(a_partner_command())
    return partner


async def _active_offer(container: Container, partner: Partner, **changes: Any) -> Offer:
    partners = container.use_cases.partners
    offer = await partners.create_offer(an_offer_command(partner, **changes))
    active: Offer = await partners.change_offer_status(
        ChangeOfferStatus(offer.id, OfferStatus.ACTIVE))
    return active


async def _film_lovers(container: Container, n: int) -> list[Customer]:
    create = container.use_cases.customers.create_customer
    return [await create(a_consenting_member_command(f"Fan{i}")) for i in range(n)]


async def _grants_of(container: Container, members: list[Customer], offer: Offer) -> list[Grant]:
    issue = container.use_cases.partners.issue_grant
    return [await issue(IssueGrant(offer.id, member.id, "Opening night")) for member in members]


async def _outcomes(*calls: Awaitable[T]) -> list[T | BaseException]:
    return await asyncio.gather(*calls, return_exceptions=True)


def _codes(outcomes: list[Redeemed | BaseException]) -> list[ErrorCode]:
    """Each refusal's code; anything else raised fails the test here."""
    refusals = [o for o in outcomes if not isinstance(o, Redeemed)]
    for outcome in refusals:
        if not isinstance(outcome, DomainError):
            raise outcome
    return [e.errors[0].code for e in refusals if isinstance(e, DomainError)]


async def _count(engine: AsyncEngine, column: ColumnElement[Any], value: UUID) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(
            select(func.count()).where(column == value))).scalar_one())


async def _entries_by_period(engine: AsyncEngine, partner: Partner) -> dict[str, int]:
    entries = partner_settlement_entries.c
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(entries.period, func.count()).where(entries.partner_id == partner.id)
            .group_by(entries.period))
        return {period: int(n) for period, n in rows}


async def test_sixteen_purchases_at_once_never_issue_past_the_offers_quota(
    container: Container, cinema: Partner
) -> None:
    offer = await _active_offer(container, cinema, quota=Quota(total=5))
    fans = await _film_lovers(container, TILLS)
    record = container.use_cases.loyalty.record_purchase

    outcomes = await _outcomes(*(
        record(purchase_command(fan.id, f"HZ-{n:04d}", NOW, MASCARA))
        for n, fan in enumerate(fans)))

    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert await _count(container.engine, partner_grants.c.offer_id, offer.id) == 5


async def test_sixteen_purchases_at_once_issue_each_member_hers_without_a_quota(
    container: Container, cinema: Partner
) -> None:
    offer = await _active_offer(container, cinema, quota=Quota(per_member=1))
    fans = await _film_lovers(container, TILLS)
    record = container.use_cases.loyalty.record_purchase

    await _outcomes(*(record(purchase_command(fan.id, f"HZ-{n:04d}", NOW, MASCARA))
                      for n, fan in enumerate(fans)))

    assert await _count(container.engine, partner_grants.c.offer_id, offer.id) == TILLS


async def test_one_code_redeemed_by_sixteen_tills_at_once_is_redeemed_once(
    container: Container, cinema: Partner
) -> None:
    offer = await _active_offer(container, cinema, trigger=Trigger(TriggerKind.MANUAL))
    [grant] = await _grants_of(container, await _film_lovers(container, 1), offer)
    counter = container.use_cases.acting_as(a_partner_client(cinema)).partners

    outcomes = await _outcomes(*(counter.redeem_grant(a_redeem_command(grant))
                                 for _ in range(TILLS)))

    assert sum(isinstance(o, Redeemed) for o in outcomes) == 1
    assert _codes(outcomes) == [ErrorCode.ALREADY_REDEEMED] * (TILLS - 1)
    engine = container.engine
    assert await _count(engine, partner_redemptions.c.grant_id, grant.id) == 1
    assert await _count(engine, partner_settlement_entries.c.partner_id, cinema.id) == 1


async def test_sixteen_retries_of_one_redemption_at_once_replay_the_first(
    container: Container, cinema: Partner
) -> None:
    offer = await _active_offer(container, cinema, trigger=Trigger(TriggerKind.MANUAL))
    [grant] = await _grants_of(container, await _film_lovers(container, 1), offer)
    counter = container.use_cases.acting_as(a_partner_client(cinema)).partners
    command = a_redeem_command(grant)

    outcomes = await _outcomes(*(counter.redeem_grant(command) for _ in range(TILLS)))

    assert _codes(outcomes) == []
    redeemed = [o for o in outcomes if isinstance(o, Redeemed)]
    assert len({r.redemption.id for r in redeemed}) == 1
    assert sum(r.replayed for r in redeemed) == TILLS - 1
    engine = container.engine
    assert await _count(engine, partner_redemptions.c.grant_id, grant.id) == 1
    assert await _count(engine, partner_settlement_entries.c.partner_id, cinema.id) == 1


async def test_closing_a_month_while_its_redemptions_come_in_loses_none_and_takes_none_late(
    wide_engine: AsyncEngine, container: Container, cinema: Partner, clock: FixedClock
) -> None:
    offer = await _active_offer(container, cinema, trigger=Trigger(TriggerKind.MANUAL))
    clock.set(LAST_THING_IN_FEBRUARY)
    grants = await _grants_of(container, await _film_lovers(container, TILLS), offer)
    # The tills' clocks still say February; the job that closes it runs in March.
    tills = container.use_cases.acting_as(a_partner_client(cinema)).partners
    closing_job = a_container(wide_engine, FixedClock(FIRST_THING_IN_MARCH)).use_cases.partners
    first_wave, second_wave = grants[:TILLS // 2], grants[TILLS // 2:]
    before_close = 2
    some_redeemed, closing = asyncio.Event(), asyncio.Event()
    redeemed: list[Redeemed] = []
    in_february_at_close: list[int] = []

    async def redeem(grant: Grant, after: asyncio.Event | None = None) -> None:
        if after is not None:
            await after.wait()
        redeemed.append(await tills.redeem_grant(a_redeem_command(grant)))
        if len(redeemed) == before_close:
            some_redeemed.set()

    async def close_february() -> None:
        """Once a few tills of the first wave are done, while the others are at it; the
        second wave sets off as it starts."""
        await some_redeemed.wait()
        closing.set()
        await closing_job.close_settlement_period(ClosePeriod("2026-02", cinema.id))
        in_february_at_close.append(
            (await _entries_by_period(wide_engine, cinema)).get("2026-02", 0))

    outcomes = await _outcomes(close_february(), *(redeem(grant) for grant in first_wave),
                               *(redeem(grant, after=closing) for grant in second_wave))

    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    for grant in grants:
        [redemption_id] = await _redemption_ids(wide_engine, grant)
        assert await _count(wide_engine, partner_settlement_entries.c.redemption_id,
                            redemption_id) == 1
    periods = await _entries_by_period(wide_engine, cinema)
    assert set(periods) <= {"2026-02", "2026-03"}
    assert sum(periods.values()) == TILLS
    assert periods["2026-02"] >= before_close  # those done before the close stay in it
    assert periods["2026-02"] == in_february_at_close[0]  # and none came in after it


async def _redemption_ids(engine: AsyncEngine, grant: Grant) -> list[UUID]:
    redemptions = partner_redemptions.c
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(redemptions.id).where(redemptions.grant_id == grant.id))
        return [row.id for row in rows]


async def test_pruning_jobs_at_once_delete_each_old_miss_once_and_keep_the_recent(
    wide_engine: AsyncEngine, container: Container
) -> None:
    old, recent = 400, 7
    async with wide_engine.begin() as connection:
        await connection.execute(insert(partner_code_misses), [
            {"caller": f"client:{i % 3}", "at": NOW - timedelta(hours=2)} for i in range(old)])
        await connection.execute(insert(partner_code_misses), [
            {"caller": "client:0", "at": NOW - timedelta(minutes=10)}] * recent)
    prune = container.use_cases.partners.prune_code_misses

    outcomes = await _outcomes(*(prune(PruneCodeMisses(limit=25)) for _ in range(4)))

    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert sum(o for o in outcomes if isinstance(o, int)) == old
    async with wide_engine.connect() as connection:
        left = (await connection.execute(select(partner_code_misses.c.at))).scalars().all()
    assert left == [NOW - timedelta(minutes=10)] * recent
