"""The partners repository: partners and offers, grants and what a counter sees of one,
redemptions, partner purchases, settlement periods and entries, failed code lookups, and
the units of work that run reactions and publish grants' events."""

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.customers.model import Consent, ConsentPurpose, Customer
from domain.loyalty.model import Programme, TierOverride
from domain.partners.grants import quota_period
from domain.partners.model import (
    EntryKind,
    Grant,
    GrantState,
    Offer,
    OfferStatus,
    Partner,
    PartnerStatus,
    QuotaPeriod,
    SharedMember,
    Trigger,
    TriggerKind,
)
from domain.partners.ports import (
    GrantAtCounter,
    GrantCounts,
    GrantMember,
    GrantToRedeem,
    PartnerOffer,
)
from domain.ports import UnitOfWork
from domain.shared.errors import Duplicate, UniqueKey
from domain.shared.events import Event
from domain.shared.ids import new_id
from tests import builders
from tests.contract import records
from tests.contract.conftest import UowFactory, stored_customers
from tests.fakes import FixedClock

MARCH, APRIL, MAY = "2026-03", "2026-04", "2026-05"


async def _partner(uow_factory: UowFactory, clock: FixedClock, **fields: Any) -> Partner:
    partner = records.a_partner(clock.now(), **fields)
    async with uow_factory() as uow:
        await uow.partners.add(partner)
        await uow.commit()
    return partner


async def _offer(uow_factory: UowFactory, partner: Partner, clock: FixedClock,
                 **fields: Any) -> Offer:
    offer = records.an_offer(partner, clock.now(), **fields)
    async with uow_factory() as uow:
        await uow.partners.add_offer(offer)
        await uow.commit()
    return offer


async def _grants(uow_factory: UowFactory, *grants: Grant) -> None:
    async with uow_factory() as uow:
        for grant in grants:
            await uow.partners.add_grant(grant)
        await uow.commit()


def _day_of(moment: datetime) -> tuple[datetime, datetime]:
    """The quota period of a day, as `grant_counts` is asked for it."""
    return quota_period(QuotaPeriod.DAY, moment)


async def _cinema_offer_and_lisa(
    uow_factory: UowFactory, clock: FixedClock
) -> tuple[Partner, Offer, Customer]:
    cinema = await _partner(uow_factory, clock)
    ticket = await _offer(uow_factory, cinema, clock)
    [lisa] = await stored_customers(uow_factory, clock.now(), 1)
    return cinema, ticket, lisa


# --- partners ------------------------------------------------------------------------------


async def test_a_partner_reads_back_by_id_and_by_code_and_saves(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    cinema = await _partner(uow_factory, clock, contact_name=None, earn_rate=None)

    async with uow_factory() as uow:
        assert await uow.partners.get(cinema.id) == cinema
        assert await uow.partners.get(cinema.id, for_update=True) == cinema
        assert await uow.partners.get_by_code(cinema.code) == cinema
        assert await uow.partners.get(new_id()) is None
        assert await uow.partners.get_by_code("nobody") is None

    suspended = replace(cinema, status=PartnerStatus.SUSPENDED, version=2,
                        earn_rate=Decimal("1.5"), updated_at=clock.advance(hours=1))
    async with uow_factory() as uow:
        await uow.partners.save(suspended)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.partners.get(cinema.id) == suspended


async def test_a_second_partner_of_one_code_is_a_duplicate_and_the_transaction_goes_on(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    cinema = await _partner(uow_factory, clock, code="wanda")

    cafe = records.a_partner(clock.now(), "cafe", name="Café")
    async with uow_factory() as uow:
        with pytest.raises(Duplicate) as refused:
            await uow.partners.add(records.a_partner(clock.now(), "wanda", name="Rival"))
        await uow.partners.add(cafe)
        await uow.commit()

    assert refused.value.key is UniqueKey.PARTNER_CODE
    async with uow_factory() as uow:
        assert await uow.partners.get_by_code("wanda") == cinema
        assert await uow.partners.get_by_code("cafe") == cafe


# --- offers --------------------------------------------------------------------------------


async def test_an_offer_reads_back_with_every_part_and_saves(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    cinema = await _partner(uow_factory, clock)
    ticket = await _offer(uow_factory, cinema, clock)

    async with uow_factory() as uow:
        assert await uow.partners.get_offer(ticket.id) == ticket
        assert await uow.partners.get_offer(ticket.id, for_update=True) == ticket
        assert await uow.partners.get_offer(new_id()) is None

    paused = replace(ticket, status=OfferStatus.PAUSED, version=2, description=None,
                     trigger=Trigger(TriggerKind.TIER_REACHED, tier_code="gold"),
                     valid_from=None, valid_until=None, redeem_until=None,
                     updated_at=clock.advance(hours=1))
    async with uow_factory() as uow:
        await uow.partners.save_offer(paused)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.partners.get_offer(ticket.id) == paused


async def test_an_offer_code_is_unique_per_partner_only(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    cinema, cafe = await _partner(uow_factory, clock), await _partner(uow_factory, clock)
    await _offer(uow_factory, cinema, clock, code="ticket")

    async with uow_factory() as uow:
        with pytest.raises(Duplicate) as refused:
            await uow.partners.add_offer(records.an_offer(cinema, clock.now(), "ticket"))
        await uow.partners.add_offer(records.an_offer(cafe, clock.now(), "ticket"))
        await uow.commit()
    assert refused.value.key is UniqueKey.OFFER_CODE


async def test_offers_are_found_by_their_partner_s_code_and_their_own_with_their_partner(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    cinema = await _partner(uow_factory, clock)
    cafe = await _partner(uow_factory, clock, status=PartnerStatus.SUSPENDED)
    ticket = await _offer(uow_factory, cinema, clock, code="ticket")
    coffee = await _offer(uow_factory, cafe, clock, code="coffee")
    await _offer(uow_factory, cinema, clock, code="popcorn")

    async with uow_factory() as uow:
        found = await uow.partners.offers_by_codes(
            {(cinema.code, "ticket"), (cafe.code, "coffee"), (cinema.code, "coffee"),
             ("nobody", "ticket")})
        assert await uow.partners.offers_by_codes(set()) == []
    assert sorted(found, key=lambda pair: pair.offer.code) == [
        PartnerOffer(cafe, coffee), PartnerOffer(cinema, ticket)]


async def test_issuing_offers_are_active_of_active_partners_valid_then_and_of_the_kinds(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    now = clock.now()
    cinema = await _partner(uow_factory, clock)
    suspended = await _partner(uow_factory, clock, status=PartnerStatus.SUSPENDED)
    first = await _offer(uow_factory, cinema, clock)
    clock.advance(seconds=1)
    open_ended = await _offer(uow_factory, cinema, clock, valid_from=None, valid_until=None)
    clock.advance(seconds=1)  # offers issue oldest first
    tier = await _offer(uow_factory, cinema, clock,
                        trigger=Trigger(TriggerKind.TIER_REACHED, tier_code="gold"))
    for not_issuing in (
        {"status": OfferStatus.DRAFT}, {"status": OfferStatus.PAUSED},
        {"status": OfferStatus.ENDED}, {"valid_from": now + timedelta(hours=1)},
        {"valid_until": now}, {"trigger": Trigger(TriggerKind.MANUAL)},
    ):
        await _offer(uow_factory, cinema, clock, **not_issuing)
    await _offer(uow_factory, suspended, clock)

    async with uow_factory() as uow:
        assert await uow.partners.issuing_offers(frozenset({TriggerKind.PURCHASE}), now) == [
            first, open_ended]
        both = frozenset({TriggerKind.PURCHASE, TriggerKind.TIER_REACHED})
        assert await uow.partners.issuing_offers(both, now) == [first, open_ended, tier]
        assert await uow.partners.issuing_offers(frozenset(), now) == []
        later = now + timedelta(days=365)
        assert await uow.partners.issuing_offers(
            frozenset({TriggerKind.PURCHASE}), later) == [open_ended]


# --- grants --------------------------------------------------------------------------------


async def test_a_grant_reads_back_by_id_and_by_code_and_saves(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    _, ticket, lisa = await _cinema_offer_and_lisa(uow_factory, clock)
    grant = records.a_grant(ticket, lisa.id, clock.now(), reason="a film lover")
    await _grants(uow_factory, grant)

    async with uow_factory() as uow:
        assert await uow.partners.get_grant(grant.id) == grant
        assert await uow.partners.get_grant(grant.id, for_update=True) == grant
        to_redeem = await uow.partners.grant_to_redeem(grant.code)
        assert to_redeem is not None
        assert to_redeem.grant == grant
        assert await uow.partners.get_grant(new_id()) is None
        assert await uow.partners.grant_to_redeem("0" * 16) is None

    redeemed = grant.redeemed(clock.advance(hours=2))
    async with uow_factory() as uow:
        await uow.partners.save_grant(redeemed)
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.partners.get_grant(grant.id)
    assert stored == redeemed
    assert stored is not None
    assert (stored.state, stored.redeemed_at) == (GrantState.REDEEMED, clock.now())


@pytest.mark.parametrize("clash", ["code", "source"])
async def test_a_grant_clashing_by_code_or_source_is_a_duplicate_and_the_transaction_goes_on(
    uow_factory: UowFactory, clock: FixedClock, clash: str
) -> None:
    _, ticket, lisa = await _cinema_offer_and_lisa(uow_factory, clock)
    first = records.a_grant(ticket, lisa.id, clock.now())
    await _grants(uow_factory, first)
    same = {"code": first.code} if clash == "code" else {"source_key": first.source_key}
    retry = records.a_grant(ticket, lisa.id, clock.now(), source_key=first.source_key)

    async with uow_factory() as uow:
        with pytest.raises(Duplicate) as refused:
            await uow.partners.add_grant(records.a_grant(ticket, lisa.id, clock.now(), **same))
        if clash == "code":  # a fresh code, as the issuing use case tries
            await uow.partners.add_grant(replace(retry, source_key="purchase:another"))
        await uow.commit()

    expected = UniqueKey.GRANT_CODE if clash == "code" else UniqueKey.GRANT_SOURCE
    assert refused.value.key is expected
    async with uow_factory() as uow:
        assert await uow.partners.grant_counts(ticket.id, lisa.id,
                                               *_day_of(clock.now())) == GrantCounts(
            total=2 if clash == "code" else 1, member=2 if clash == "code" else 1,
            period=2 if clash == "code" else 1)


async def test_a_revoked_grant_s_source_may_be_issued_again_once(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    _, ticket, lisa = await _cinema_offer_and_lisa(uow_factory, clock)
    revoked = records.a_grant(ticket, lisa.id, clock.now(), source_key="birthday:2026")
    await _grants(uow_factory, revoked.revoked(clock.now(), "returned"))
    again = records.a_grant(ticket, lisa.id, clock.now(), source_key="birthday:2026")
    await _grants(uow_factory, again)

    async with uow_factory() as uow:
        with pytest.raises(Duplicate) as refused:
            await uow.partners.add_grant(
                records.a_grant(ticket, lisa.id, clock.now(), source_key="birthday:2026"))
    assert refused.value.key is UniqueKey.GRANT_SOURCE
    async with uow_factory() as uow:
        assert await uow.partners.get_grant(again.id) == again


@pytest.mark.parametrize("state", [GrantState.REDEEMED, GrantState.EXPIRED])
async def test_a_redeemed_or_expired_grant_keeps_its_source(
    uow_factory: UowFactory, clock: FixedClock, state: GrantState
) -> None:
    _, ticket, lisa = await _cinema_offer_and_lisa(uow_factory, clock)
    await _grants(uow_factory, records.a_grant(ticket, lisa.id, clock.now(),
                                               source_key="birthday:2026", state=state))

    async with uow_factory() as uow:
        with pytest.raises(Duplicate) as refused:
            await uow.partners.add_grant(
                records.a_grant(ticket, lisa.id, clock.now(), source_key="birthday:2026"))
    assert refused.value.key is UniqueKey.GRANT_SOURCE


async def test_grant_counts_leave_out_revoked_grants_and_count_the_period_for_everyone(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    cinema, ticket, lisa = await _cinema_offer_and_lisa(uow_factory, clock)
    [li] = await stored_customers(uow_factory, clock.now(), 1)
    other_offer = await _offer(uow_factory, cinema, clock)
    week_start = clock.now()
    before = week_start - timedelta(days=3)
    await _grants(
        uow_factory,
        records.a_grant(ticket, lisa.id, before),
        records.a_grant(ticket, lisa.id, week_start),
        records.a_grant(ticket, li.id, week_start + timedelta(hours=1)),
        records.a_grant(ticket, li.id, before).revoked(week_start, "returned"),
        records.a_grant(ticket, lisa.id, week_start, state=GrantState.REDEEMED),
        records.a_grant(other_offer, lisa.id, week_start),
    )

    week = (week_start, week_start + timedelta(days=7))
    async with uow_factory() as uow:
        counts = await uow.partners.grant_counts(ticket.id, lisa.id, *week)
        nothing = await uow.partners.grant_counts(new_id(), lisa.id, *week)
    assert counts == GrantCounts(total=4, member=3, period=3)
    assert nothing == GrantCounts(0, 0, 0)


async def test_a_grant_counts_in_the_period_its_purchase_was_made_in_not_after_its_issue(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    _, ticket, lisa = await _cinema_offer_and_lisa(uow_factory, clock)
    wardrobe = await builders.a_programme(uow_factory())
    today, yesterday = clock.now(), clock.now() - timedelta(days=1)
    made_yesterday = records.a_purchase(wardrobe, lisa.id, yesterday)
    dated_ahead = records.a_purchase(wardrobe, lisa.id, today + timedelta(days=1))
    async with uow_factory() as uow:
        for purchase in (made_yesterday, dated_ahead):
            await uow.loyalty.add_purchase(purchase)
        await uow.commit()
    await _grants(uow_factory,  # all three issued today
                  records.a_grant(ticket, lisa.id, today, purchase_id=made_yesterday.id),
                  records.a_grant(ticket, lisa.id, today, purchase_id=dated_ahead.id),
                  records.a_grant(ticket, lisa.id, today, source_key="tier:silver"))

    async with uow_factory() as uow:
        on_the_day = await uow.partners.grant_counts(ticket.id, lisa.id, *_day_of(yesterday))
        today_s = await uow.partners.grant_counts(ticket.id, lisa.id, *_day_of(today))
    assert (on_the_day.period, today_s.period) == (1, 2)


async def test_grants_of_a_purchase_come_oldest_first(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    cinema, ticket, lisa = await _cinema_offer_and_lisa(uow_factory, clock)
    coffee = await _offer(uow_factory, cinema, clock)
    wardrobe = await builders.a_programme(uow_factory())
    purchase = records.a_purchase(wardrobe, lisa.id, clock.now())
    async with uow_factory() as uow:
        await uow.loyalty.add_purchase(purchase)
        await uow.commit()
    later = records.a_grant(coffee, lisa.id, clock.now() + timedelta(seconds=1),
                            purchase_id=purchase.id)
    first = records.a_grant(ticket, lisa.id, clock.now(), purchase_id=purchase.id)
    await _grants(uow_factory, later, first, records.a_grant(ticket, lisa.id, clock.now()))

    async with uow_factory() as uow:
        assert await uow.partners.grants_of_purchase(purchase.id) == [first, later]
        assert await uow.partners.grants_of_purchase(purchase.id, for_update=True) == [
            first, later]
        assert await uow.partners.grants_of_purchase(new_id()) == []


async def test_a_members_grants_come_oldest_first_and_only_hers(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    cinema, ticket, lisa = await _cinema_offer_and_lisa(uow_factory, clock)
    coffee = await _offer(uow_factory, cinema, clock)
    later = records.a_grant(coffee, lisa.id, clock.now() + timedelta(seconds=1))
    first = records.a_grant(ticket, lisa.id, clock.now())
    await _grants(uow_factory, later, first)

    async with uow_factory() as uow:
        assert await uow.partners.grants_of_customer(lisa.id) == [first, later]
        assert await uow.partners.grants_of_customer(new_id()) == []


async def test_expiring_takes_issued_grants_past_expiry_oldest_first_up_to_the_limit(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    _, ticket, lisa = await _cinema_offer_and_lisa(uow_factory, clock)
    now = clock.now()

    def expiring(hours: int, **fields: Any) -> Grant:
        return records.a_grant(ticket, lisa.id, now - timedelta(days=40),
                               expires_at=now + timedelta(hours=hours), **fields)

    oldest, older, at_now = expiring(-3), expiring(-2), expiring(0)
    not_yet = expiring(1)
    redeemed, revoked = expiring(-5, state=GrantState.REDEEMED), expiring(-5).revoked(now, "x")
    await _grants(uow_factory, at_now, older, not_yet, oldest, redeemed, revoked)

    async with uow_factory() as uow:
        first = await uow.partners.expire_grants(now, limit=2)
        await uow.commit()
    async with uow_factory() as uow:
        rest = await uow.partners.expire_grants(now, limit=10)
        await uow.commit()
    async with uow_factory() as uow:
        none_left = await uow.partners.expire_grants(now, limit=10)
        stored = {g.id: await uow.partners.get_grant(g.id) for g in (not_yet, redeemed, revoked)}

    assert first == [oldest.expired(), older.expired()]
    assert rest == [at_now.expired()]
    assert none_left == []
    assert [g.state if g else None for g in stored.values()] == [
        GrantState.ISSUED, GrantState.REDEEMED, GrantState.REVOKED]


async def test_a_merge_moves_the_duplicate_s_grants_keeping_a_shared_source_apart(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    _, ticket, survivor = await _cinema_offer_and_lisa(uow_factory, clock)
    [duplicate] = await stored_customers(uow_factory, clock.now(), 1)
    theirs = records.a_grant(ticket, duplicate.id, clock.now(), source_key="tier:gold")
    own = records.a_grant(ticket, duplicate.id, clock.now(), source_key="purchase:1")
    mine = records.a_grant(ticket, survivor.id, clock.now(), source_key="tier:gold")
    await _grants(uow_factory, theirs, own, mine)

    async with uow_factory() as uow:
        await uow.partners.move_to_customer(duplicate.id, survivor.id)
        await uow.commit()

    async with uow_factory() as uow:
        moved = {g.id: await uow.partners.get_grant(g.id) for g in (theirs, own, mine)}
        counts = await uow.partners.grant_counts(ticket.id, survivor.id,
                                                 *_day_of(clock.now()))
    assert moved == {
        theirs.id: replace(theirs, customer_id=survivor.id,
                           source_key=f"tier:gold merged from {duplicate.id}"),
        own.id: replace(own, customer_id=survivor.id),
        mine.id: mine,
    }
    assert counts.member == 3



async def test_a_merge_keeps_the_source_of_a_grant_that_clashes_only_with_a_revoked_one(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    _, ticket, survivor = await _cinema_offer_and_lisa(uow_factory, clock)
    [duplicate] = await stored_customers(uow_factory, clock.now(), 1)
    live = records.a_grant(ticket, duplicate.id, clock.now(), source_key="birthday:2026")
    revoked = records.a_grant(ticket, duplicate.id, clock.now(),
                              source_key="birthday:2025").revoked(clock.now(), "returned")
    mine_revoked = records.a_grant(ticket, survivor.id, clock.now(),
                                   source_key="birthday:2026").revoked(clock.now(), "returned")
    mine_live = records.a_grant(ticket, survivor.id, clock.now(), source_key="birthday:2025")
    await _grants(uow_factory, live, revoked, mine_revoked, mine_live)

    async with uow_factory() as uow:
        await uow.partners.move_to_customer(duplicate.id, survivor.id)
        await uow.commit()

    async with uow_factory() as uow:
        moved = [await uow.partners.get_grant(g.id) for g in (live, revoked)]
    assert moved == [replace(live, customer_id=survivor.id),
                     replace(revoked, customer_id=survivor.id)]


async def test_a_merge_moves_the_duplicate_s_redemptions_and_partner_purchases(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    cinema, ticket, survivor = await _cinema_offer_and_lisa(uow_factory, clock)
    wardrobe = await builders.a_programme(uow_factory())
    [duplicate] = await stored_customers(uow_factory, clock.now(), 1)
    grant = records.a_grant(ticket, duplicate.id, clock.now())
    redemption = records.a_redemption(grant, clock.now())
    latte = records.a_partner_purchase(cinema, wardrobe, duplicate.id, clock.now())
    await _grants(uow_factory, grant)
    async with uow_factory() as uow:
        await uow.partners.add_redemption(redemption)
        await uow.partners.add_partner_purchase(latte)
        await uow.commit()

    async with uow_factory() as uow:
        await uow.partners.move_to_customer(duplicate.id, survivor.id)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.partners.get_redemption(redemption.id) == replace(
            redemption, customer_id=survivor.id)
        assert await uow.partners.partner_purchase(cinema.id, latte.order_id) == replace(
            latte, customer_id=survivor.id)

# --- what a partner's counter sees ---------------------------------------------------------


def _sharing(customer: Customer, at: datetime, granted: bool = True) -> Customer:
    """Her first contact point answers partner sharing (`granted`), after an email one."""
    point = customer.contact_points[0]
    consents = (Consent(ConsentPurpose.MARKETING_EMAIL, True, at),
                Consent(ConsentPurpose.PARTNER_SHARING, granted, at))
    return replace(customer, contact_points=[replace(point, consents=consents)])


async def _lisa_at_the_counter(
    uow_factory: UowFactory, clock: FixedClock, *, shares: bool = True, erased: bool = False,
    member: bool = True, override_hours: int | None = None, **offer: Any,
) -> tuple[Grant, Offer, Partner, Programme]:
    now = clock.now()
    wardrobe = await builders.a_programme(uow_factory())
    cinema = await _partner(uow_factory, clock)
    ticket = await _offer(uow_factory, cinema, clock, **offer)
    lisa = records.a_customer(now, name="Lisa Wang", given_name="Lisa", family_name="Wang")
    lisa = _sharing(lisa, now, granted=shares)
    if erased:
        lisa = replace(lisa, erased_at=now)
    grant = records.a_grant(ticket, lisa.id, now)
    async with uow_factory() as uow:
        await uow.customers.add(lisa)
        if member:
            override = None
            if override_hours is not None:
                override = TierOverride(wardrobe.tiers[2].id, "VIP", "admin", now,
                                        now + timedelta(hours=override_hours))
            await uow.loyalty.enrol(records.a_membership(wardrobe, lisa.id, now,
                                                         override=override))
        await uow.partners.add_grant(grant)
        await uow.commit()
    return grant, ticket, cinema, wardrobe


async def _at_counter(uow_factory: UowFactory, code: str,
                      now: datetime) -> GrantAtCounter | None:
    async with uow_factory() as uow:
        return await uow.partners.grant_at_counter(code, now)


async def test_the_counter_sees_the_grant_its_offer_and_partner_and_her_first_name_and_tier(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    grant, ticket, cinema, _ = await _lisa_at_the_counter(uow_factory, clock)

    seen = await _at_counter(uow_factory, grant.code, clock.now())

    assert seen == GrantAtCounter(grant=grant, offer=ticket, partner=cinema,
                                  member=SharedMember(first_name="Lisa", tier_name="Member"))
    assert await _at_counter(uow_factory, "0" * 16, clock.now()) is None


async def test_a_grant_to_redeem_comes_with_its_offer_and_partner(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    grant, ticket, *_ = await _lisa_at_the_counter(uow_factory, clock)

    async with uow_factory() as uow:
        found = await uow.partners.grant_to_redeem(grant.code)
        unknown = await uow.partners.grant_to_redeem("0" * 16)

    assert found == GrantToRedeem(grant=grant, offer=ticket)
    assert unknown is None


async def test_a_redemption_holds_the_member_a_grant_of_its_partner_names(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    cinema, ticket, lisa = await _cinema_offer_and_lisa(uow_factory, clock)
    [survivor] = await stored_customers(uow_factory, clock.now(), 1)
    duplicate = records.a_customer(clock.now(), name="Lisa W.")
    duplicate.merged_into_id = survivor.id
    async with uow_factory() as uow:
        await uow.customers.add(duplicate)
        await uow.commit()
    hers = records.a_grant(ticket, lisa.id, clock.now())
    merged = records.a_grant(ticket, duplicate.id, clock.now())  # not moved yet
    await _grants(uow_factory, hers, merged)

    async with uow_factory() as uow:
        held = await uow.partners.hold_grant_member(hers.code, cinema.id)
        of_a_duplicate = await uow.partners.hold_grant_member(merged.code, cinema.id)
        another_partner_s = await uow.partners.hold_grant_member(hers.code, new_id())
        unknown = await uow.partners.hold_grant_member("0" * 16, cinema.id)

    assert held == GrantMember(customer_id=lisa.id, merged_into_id=None)
    assert of_a_duplicate == GrantMember(customer_id=duplicate.id,
                                         merged_into_id=survivor.id)
    assert another_partner_s is None
    assert unknown is None


async def test_the_counter_sees_the_tier_she_is_treated_as_while_an_override_lasts(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    grant, *_ = await _lisa_at_the_counter(uow_factory, clock, override_hours=2)

    during = await _at_counter(uow_factory, grant.code, clock.now())
    after = await _at_counter(uow_factory, grant.code, clock.now() + timedelta(hours=2))

    assert during is not None
    assert after is not None
    assert (during.member, after.member) == (SharedMember("Lisa", "Gold"),
                                             SharedMember("Lisa", "Member"))


async def test_the_counter_sees_her_tier_in_the_offer_s_programme(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    grant, *_ = await _lisa_at_the_counter(uow_factory, clock)
    clock.advance(days=1)  # the wardrobe club stays the oldest: the default
    beauty = await builders.a_programme(uow_factory(), code="beauty", name="Beauty Club")
    cinema = await _partner(uow_factory, clock)
    beauty_offer = await _offer(uow_factory, cinema, clock, eligibility=replace(
        records.an_offer(cinema, clock.now()).eligibility, programme_code="beauty"))
    customer_id = grant.customer_id
    in_beauty = records.a_grant(beauty_offer, customer_id, clock.now())
    async with uow_factory() as uow:
        membership = records.a_membership(beauty, customer_id, clock.now())
        membership.tier_id = beauty.tiers[1].id
        await uow.loyalty.enrol(membership)
        await uow.partners.add_grant(in_beauty)
        await uow.commit()

    default = await _at_counter(uow_factory, grant.code, clock.now())
    named = await _at_counter(uow_factory, in_beauty.code, clock.now())

    assert default is not None
    assert named is not None
    assert (default.member, named.member) == (SharedMember("Lisa", "Member"),
                                              SharedMember("Lisa", "Silver"))


async def test_the_counter_sees_no_tier_of_a_programme_she_is_not_in(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    grant, *_ = await _lisa_at_the_counter(uow_factory, clock, member=False)

    seen = await _at_counter(uow_factory, grant.code, clock.now())

    assert seen is not None
    assert seen.member == SharedMember(first_name="Lisa", tier_name=None)


@pytest.mark.parametrize("who", ["withdrew sharing", "never answered", "erased"])
async def test_the_counter_sees_nothing_of_a_member_who_does_not_share(
    uow_factory: UowFactory, clock: FixedClock, who: str
) -> None:
    grant, ticket, cinema, _ = await _lisa_at_the_counter(
        uow_factory, clock, shares=who != "withdrew sharing", erased=who == "erased")
    if who == "never answered":
        async with uow_factory() as uow:
            lisa = await uow.customers.get(grant.customer_id)
            assert lisa is not None
            lisa.contact_points = [replace(p, consents=()) for p in lisa.contact_points]
            await uow.customers.save(lisa)
            await uow.commit()

    seen = await _at_counter(uow_factory, grant.code, clock.now())

    assert seen == GrantAtCounter(grant=grant, offer=ticket, partner=cinema, member=None)


# --- redemptions and partner purchases -----------------------------------------------------


async def test_a_redemption_reads_back_by_id_and_by_key_and_saves(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    cinema, ticket, lisa = await _cinema_offer_and_lisa(uow_factory, clock)
    grant = records.a_grant(ticket, lisa.id, clock.now())
    redemption = records.a_redemption(grant, clock.now(), amount=None)
    async with uow_factory() as uow:
        await uow.partners.add_grant(grant)
        await uow.partners.add_redemption(redemption)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.partners.get_redemption(redemption.id) == redemption
        assert await uow.partners.get_redemption(redemption.id, for_update=True) == redemption
        key = redemption.idempotency_key
        assert await uow.partners.redemption_by_key(cinema.id, key) == redemption
        assert await uow.partners.redemption_by_key(new_id(), key) is None
        assert await uow.partners.get_redemption(new_id()) is None

    reversed_ = replace(redemption, reversed_at=clock.advance(minutes=5),
                        reverse_reason="wrong screening")
    async with uow_factory() as uow:
        await uow.partners.save_redemption(reversed_)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.partners.get_redemption(redemption.id) == reversed_


async def test_a_second_redemption_of_one_key_is_a_duplicate_and_the_first_can_be_replayed(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    cinema, ticket, lisa = await _cinema_offer_and_lisa(uow_factory, clock)
    grant = records.a_grant(ticket, lisa.id, clock.now())
    first = records.a_redemption(grant, clock.now(), idempotency_key="counter-3-0001")
    async with uow_factory() as uow:
        await uow.partners.add_grant(grant)
        await uow.partners.add_redemption(first)
        await uow.commit()

    async with uow_factory() as uow:
        with pytest.raises(Duplicate) as refused:
            await uow.partners.add_redemption(
                records.a_redemption(grant, clock.now(), idempotency_key="counter-3-0001"))
        replayed = await uow.partners.redemption_by_key(cinema.id, "counter-3-0001")
    assert refused.value.key is UniqueKey.REDEMPTION_KEY
    assert replayed == first


async def test_a_partner_purchase_reads_back_saves_and_its_order_id_is_unique_per_partner(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    cafe, other = await _partner(uow_factory, clock), await _partner(uow_factory, clock)
    wardrobe = await builders.a_programme(uow_factory())
    [lisa] = await stored_customers(uow_factory, clock.now(), 1)
    latte = records.a_partner_purchase(cafe, wardrobe, lisa.id, clock.now(),
                                       order_id="CAFE-1")
    async with uow_factory() as uow:
        await uow.partners.add_partner_purchase(latte)
        await uow.partners.add_partner_purchase(
            records.a_partner_purchase(other, wardrobe, lisa.id, clock.now(),
                                       order_id="CAFE-1"))
        await uow.commit()

    async with uow_factory() as uow:
        with pytest.raises(Duplicate) as refused:
            await uow.partners.add_partner_purchase(
                records.a_partner_purchase(cafe, wardrobe, lisa.id, clock.now(),
                                           order_id="CAFE-1"))
        assert await uow.partners.partner_purchase(cafe.id, "CAFE-1") == latte
        assert await uow.partners.partner_purchase(cafe.id, "CAFE-1", for_update=True) == latte
        assert await uow.partners.partner_purchase(cafe.id, "CAFE-2") is None
    assert refused.value.key is UniqueKey.PARTNER_ORDER

    returned = replace(latte, returned_amount=Decimal("58.00"), returned_points=58)
    async with uow_factory() as uow:
        await uow.partners.save_partner_purchase(returned)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.partners.partner_purchase(cafe.id, "CAFE-1") == returned


# --- settlement ----------------------------------------------------------------------------


async def test_an_open_period_is_the_first_not_closed_from_the_earliest(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    cinema = await _partner(uow_factory, clock)
    async with uow_factory() as uow:
        assert await uow.partners.open_period(cinema.id, MARCH) == MARCH
        assert await uow.partners.open_period(cinema.id, MARCH) == MARCH
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.partners.close_period(cinema.id, MARCH, clock.now(), "ops")
        assert await uow.partners.close_period(cinema.id, APRIL, clock.now(), "ops")
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.partners.open_period(cinema.id, MARCH) == MAY
        assert await uow.partners.open_period(cinema.id, "2026-12") == "2026-12"
        assert not await uow.partners.close_period(cinema.id, MARCH, clock.now(), "ops")


async def test_entries_are_listed_per_period_oldest_first(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    cinema, ticket, lisa = await _cinema_offer_and_lisa(uow_factory, clock)
    cafe = await _partner(uow_factory, clock)
    wardrobe = await builders.a_programme(uow_factory())
    now = clock.now()
    grant = records.a_grant(ticket, lisa.id, now)
    redemption = records.a_redemption(grant, now)
    latte = records.a_partner_purchase(cafe, wardrobe, lisa.id, now)
    given = records.an_entry(cinema, lisa.id, MARCH, now + timedelta(minutes=1),
                             offer_id=ticket.id, redemption_id=redemption.id)
    reversed_ = records.an_entry(cinema, lisa.id, MARCH, now + timedelta(minutes=2),
                                 kind=EntryKind.REDEMPTION_REVERSAL, amount=Decimal("-21.00"),
                                 offer_id=ticket.id, redemption_id=redemption.id)
    earned = records.an_entry(cafe, lisa.id, MARCH, now, kind=EntryKind.COALITION_EARN,
                              amount=Decimal("2.90"), partner_purchase_id=latte.id, points=58)
    later = records.an_entry(cinema, lisa.id, APRIL, now)
    async with uow_factory() as uow:
        await uow.partners.add_grant(grant)
        await uow.partners.add_redemption(redemption)
        await uow.partners.add_partner_purchase(latte)
        for partner_id in (cinema.id, cafe.id):
            await uow.partners.open_period(partner_id, MARCH)
        await uow.partners.open_period(cinema.id, APRIL)
        await uow.partners.add_entries([reversed_, given, earned])
        await uow.partners.add_entries([later])
        await uow.partners.add_entries([])
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.partners.entries(cinema.id, MARCH) == [given, reversed_]
        assert await uow.partners.entries(cafe.id, MARCH) == [earned]
        assert await uow.partners.entries(cinema.id, APRIL) == [later]
        assert await uow.partners.entries(cafe.id, APRIL) == []


async def test_partners_with_open_periods_are_those_a_close_has_work_for(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    never = await _partner(uow_factory, clock)
    closed = await _partner(uow_factory, clock)
    writing = await _partner(uow_factory, clock)
    behind = await _partner(uow_factory, clock)
    gap = await _partner(uow_factory, clock)
    at, by = clock.now(), "ops"
    async with uow_factory() as uow:
        await uow.partners.close_period(closed.id, MARCH, at, by)
        await uow.partners.open_period(writing.id, MARCH)
        await uow.partners.open_period(behind.id, "2026-02")
        await uow.partners.close_period(behind.id, MARCH, at, by)
        await uow.partners.close_period(gap.id, "2026-02", at, by)
        await uow.partners.open_period(gap.id, APRIL)
        await uow.commit()

    async with uow_factory() as uow:
        found = await uow.partners.partners_with_open_periods(MARCH)
    assert found == sorted([never.id, writing.id, behind.id, gap.id])


# --- failed code lookups -------------------------------------------------------------------


async def test_misses_are_counted_per_caller_since_a_moment(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    now = clock.now()
    async with uow_factory() as uow:
        for minutes in (0, 1, 2, 30):
            await uow.partners.record_miss("client:cinema", now - timedelta(minutes=minutes))
        await uow.partners.record_miss("client:cafe", now)
        await uow.commit()

    async with uow_factory() as uow:
        windows = [now - timedelta(minutes=2), now - timedelta(hours=1), now]
        assert await uow.partners.misses_since("client:cinema", windows) == [3, 4, 1]
        assert await uow.partners.misses_since("client:cafe", windows) == [1, 1, 1]
        assert await uow.partners.misses_since("client:nobody", windows) == [0, 0, 0]


async def test_pruning_deletes_misses_of_every_caller_before_a_moment_up_to_the_limit(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    now = clock.now()
    async with uow_factory() as uow:
        for caller, minutes in (("client:cinema", 90), ("client:cafe", 80),
                                ("client:cinema", 70), ("client:cinema", 10)):
            await uow.partners.record_miss(caller, now - timedelta(minutes=minutes))
        await uow.commit()

    cut = now - timedelta(hours=1)
    async with uow_factory() as uow:
        first = await uow.partners.prune_misses(cut, limit=2)
        await uow.commit()
    async with uow_factory() as uow:
        rest = await uow.partners.prune_misses(cut, limit=2)
        await uow.commit()

    async with uow_factory() as uow:
        left = [await uow.partners.misses_since(caller, [now - timedelta(days=1)])
                for caller in ("client:cinema", "client:cafe")]
    assert (first, rest, left) == (2, 1, [[1], [0]])


# --- the unit of work: grants' events, reactions ---------------------------------------------


@pytest.mark.made_up_events
async def test_the_events_of_added_and_saved_grants_are_committed_to_the_outbox(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    _, ticket, lisa = await _cinema_offer_and_lisa(uow_factory, clock)
    grant = records.a_grant(ticket, lisa.id, clock.now())
    issued = Event("GrantIssued", lisa.id, clock.now(), {"grant_id": str(grant.id)})
    grant.events.append(issued)
    async with uow_factory() as uow:
        await uow.partners.add_grant(grant)
        await uow.commit()
    redeemed = grant.redeemed(clock.now())
    assert redeemed.events == []
    redeemed.events.append(Event("GrantRedeemed", lisa.id, clock.now(), {}))
    async with uow_factory() as uow:
        await uow.partners.save_grant(redeemed)
        await uow.commit()
    async with uow_factory() as uow:
        loaded = await uow.partners.get_grant(grant.id)

    names = [event.name for event in await uow_factory.outbox()]
    assert names[-2:] == ["GrantIssued", "GrantRedeemed"]
    assert loaded is not None
    assert loaded.events == []


@pytest.mark.made_up_events
async def test_reactions_run_in_the_committing_transaction_and_so_do_their_own_events(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    cinema = await _partner(uow_factory, clock)
    seen: list[str] = []

    async def count_the_purchase(event: Event, uow: UnitOfWork) -> None:
        seen.append(event.name)
        await uow.partners.record_miss(f"reaction:{event.aggregate_id}", event.occurred_at)
        uow.emit(Event("GrantIssued", event.aggregate_id, event.occurred_at, {}))

    async def note_the_grant(event: Event, uow: UnitOfWork) -> None:
        seen.append(event.name)

    reacting = uow_factory.reacting({"PurchaseRecorded": [count_the_purchase],
                                     "GrantIssued": [note_the_grant]})
    customer_id = new_id()
    async with reacting() as uow:
        uow.emit(Event("PurchaseRecorded", customer_id, clock.now(), {}))
        await uow.commit()
    async with reacting() as uow:  # not committed: nor are its reactions
        uow.emit(Event("PurchaseRecorded", new_id(), clock.now(), {}))
    async with reacting() as uow:
        misses, = await uow.partners.misses_since(f"reaction:{customer_id}", [clock.now()])
        assert await uow.partners.get(cinema.id) == cinema

    assert seen == ["PurchaseRecorded", "GrantIssued"]
    assert misses == 1
    names = [(e.name, e.aggregate_id) for e in await reacting.outbox()]
    assert names[-2:] == [("PurchaseRecorded", customer_id), ("GrantIssued", customer_id)]


async def test_a_partner_id_on_a_ledger_entry_reads_back(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    cafe = await _partner(uow_factory, clock)
    wardrobe = await builders.a_programme(uow_factory())
    [lisa] = await stored_customers(uow_factory, clock.now(), 1)
    earned = records.an_earn(wardrobe, lisa.id, clock.now(), 58, partner_id=cafe.id)
    async with uow_factory() as uow:
        await uow.loyalty.enrol(records.a_membership(wardrobe, lisa.id, clock.now()))
        await uow.loyalty.append_entries([earned])
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.loyalty.get_entry(earned.id) == earned
        record = await uow.loyalty.record_of(lisa.id)
    assert [entry.partner_id for entry in record.ledger] == [cafe.id]

