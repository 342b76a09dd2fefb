"""The programme repository: a brand's definition, found by id or code, and the tiers that
members or their history still point at."""

from dataclasses import replace

from domain.loyalty.model import Perk, Programme, Tier, TierChangeReason, TierOverride
from domain.partners.model import Offer
from domain.shared.ids import new_id
from tests import builders
from tests.contract import records
from tests.contract.conftest import UowFactory
from tests.fakes import FixedClock


async def test_a_saved_programme_is_found_by_id_and_by_code(uow_factory: UowFactory) -> None:
    wardrobe = await builders.a_programme(uow_factory())

    async with uow_factory() as uow:
        assert await uow.programmes.get(wardrobe.id) == wardrobe
        assert await uow.programmes.get_by_code("wardrobe") == wardrobe


async def test_a_missing_programme_is_none(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.programmes.get(new_id()) is None
        assert await uow.programmes.get_by_code("wardrobe") is None
        assert await uow.programmes.default() is None


async def test_the_default_programme_is_the_oldest(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe = await builders.a_programme(uow_factory())
    clock.advance(days=1)
    await builders.a_programme(uow_factory(), code="cafe-club", name="Café club")

    async with uow_factory() as uow:
        assert await uow.programmes.default() == wardrobe


async def test_a_saved_definition_replaces_the_stored_one(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe = await builders.a_programme(uow_factory())
    redefined = replace(wardrobe, name="Wardrobe Club Plus", tiers=wardrobe.tiers[:2],
                        version=wardrobe.version + 1, updated_at=clock.advance(days=1))
    async with uow_factory() as uow:
        assert await uow.programmes.get(wardrobe.id) == wardrobe  # read before: not kept
        await uow.programmes.save(redefined)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.programmes.get(wardrobe.id) == redefined


async def test_no_tier_is_in_use_before_anyone_is_a_member(uow_factory: UowFactory) -> None:
    wardrobe = await builders.a_programme(uow_factory())

    async with uow_factory() as uow:
        assert await uow.programmes.tiers_in_use(wardrobe.id) == set()


async def test_tiers_in_use_are_those_members_hold_or_were_given_and_their_history_names(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe = await builders.a_programme(uow_factory())
    member, silver, gold = wardrobe.tiers
    mrs_li = records.a_customer(clock.now())
    membership = records.a_membership(wardrobe, mrs_li.id, clock.now())
    membership.change_tier(silver.id, TierChangeReason.QUALIFIED, clock.now(), "till-7")
    membership.set_override(TierOverride(gold.id, "complaint made good", "manager",
                                         clock.now()),
                            TierChangeReason.OVERRIDDEN, clock.now(), "manager")
    async with uow_factory() as uow:
        await uow.customers.add(mrs_li)
        await uow.loyalty.enrol(membership)
        await uow.loyalty.save_membership(membership)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.programmes.tiers_in_use(wardrobe.id) == {
            member.id, silver.id, gold.id}


# --- perks that point at partner offers ------------------------------------------------------


async def _offers(uow_factory: UowFactory, n: int) -> list[Offer]:
    partner = await builders.a_partner(uow_factory())
    return [await builders.an_offer(uow_factory(), partner) for _ in range(n)]


async def _saved(uow_factory: UowFactory, programme: Programme, clock: FixedClock,
                 *tiers: Tier) -> Programme:
    """`programme` with `tiers` instead of its own, saved as its next version."""
    redefined = replace(programme, tiers=tiers, version=programme.version + 1,
                        updated_at=clock.advance(minutes=1))
    async with uow_factory() as uow:
        await uow.programmes.save(redefined)
        await uow.commit()
    return redefined


async def test_a_tier_s_perks_read_back_in_order_with_the_offers_they_point_at(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe = await builders.a_programme(uow_factory())
    ticket, coffee = await _offers(uow_factory, 2)
    member, silver, gold = wardrobe.tiers
    perks = (Perk("a coffee a week", coffee.id), Perk("free alterations"),
             Perk("a free movie ticket", ticket.id))
    redefined = await _saved(uow_factory, wardrobe, clock, member,
                             replace(silver, perks=perks[1:]), replace(gold, perks=perks))

    async with uow_factory() as uow:
        assert await uow.programmes.get(wardrobe.id) == redefined


async def test_a_perk_saved_without_its_offer_is_plain_text_again(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe = await builders.a_programme(uow_factory())
    (ticket,) = await _offers(uow_factory, 1)
    member, silver, gold = wardrobe.tiers
    pointing = await _saved(uow_factory, wardrobe, clock, member, silver,
                            replace(gold, perks=(Perk("a free movie ticket", ticket.id),)))
    plain = await _saved(uow_factory, pointing, clock, member, silver,
                         replace(gold, perks=(Perk("a free movie ticket"),)))

    async with uow_factory() as uow:
        assert await uow.programmes.get(wardrobe.id) == plain


async def test_a_tier_dropped_takes_its_perks_offers_along_and_leaves_the_offers(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    wardrobe = await builders.a_programme(uow_factory())
    (ticket,) = await _offers(uow_factory, 1)
    member, silver, gold = wardrobe.tiers
    pointing = await _saved(uow_factory, wardrobe, clock, member, silver,
                            replace(gold, perks=(Perk("a free movie ticket", ticket.id),)))
    dropped = await _saved(uow_factory, pointing, clock, member, silver)

    async with uow_factory() as uow:
        assert await uow.programmes.get(wardrobe.id) == dropped
        assert await uow.partners.get_offer(ticket.id) == ticket
