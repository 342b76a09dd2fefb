"""The programme repository: a brand's definition, found by id or code, and the tiers that
members or their history still point at."""

from dataclasses import replace

from domain.loyalty.model import TierChangeReason, TierOverride
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
