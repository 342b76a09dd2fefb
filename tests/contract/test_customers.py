"""The customer repository: the aggregate with its lists, her consent history, and what a
merge or an erasure moves."""

from dataclasses import replace

from domain.customers.model import ContactKind, ContactPoint, Customer
from domain.shared.ids import new_id
from tests.contract import records
from tests.contract.conftest import UowFactory
from tests.fakes import FixedClock


async def _stored(uow_factory: UowFactory, *customers: Customer) -> None:
    async with uow_factory() as uow:
        for customer in customers:
            await uow.customers.add(customer)
        await uow.commit()


async def test_a_customer_added_and_committed_is_found_by_id(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    mrs_li = records.a_customer(clock.now(), given_name="Mei", family_name="Li",
                                tags=("vip", "white-collar"))
    await _stored(uow_factory, mrs_li)

    async with uow_factory() as uow:
        assert await uow.customers.get(mrs_li.id) == mrs_li


async def test_a_missing_customer_is_none(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.customers.get(new_id()) is None
        assert await uow.customers.header(new_id()) is None


async def test_a_customer_s_header_is_her_own_row(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    mrs_li = records.a_customer(clock.now())
    await _stored(uow_factory, mrs_li)

    async with uow_factory() as uow:
        assert await uow.customers.header(mrs_li.id) == mrs_li.header


async def test_a_held_customer_reads_as_her_header(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    mrs_li = records.a_customer(clock.now())
    await _stored(uow_factory, mrs_li)

    async with uow_factory() as uow:
        assert await uow.customers.hold(mrs_li.id) == mrs_li.header
        assert await uow.customers.hold(new_id()) is None


async def test_a_saved_customer_reads_back_with_her_new_version_and_lists(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    mrs_li = records.a_customer(clock.now())
    await _stored(uow_factory, mrs_li)

    async with uow_factory() as uow:
        loaded = await uow.customers.get(mrs_li.id, for_update=True)
        assert loaded is not None
        phone = ContactPoint(new_id(), ContactKind.PHONE, "+8613805710187", verified=True)
        loaded.contact_points = [phone, *loaded.contact_points]
        loaded.household = []
        loaded.change_profile(replace(loaded.profile, occupation="architect"),
                              clock.advance(hours=1))
        await uow.customers.save(loaded)
        await uow.commit()

    async with uow_factory() as uow:
        stored = await uow.customers.get(mrs_li.id)
    assert stored == loaded
    assert loaded.version == mrs_li.version + 1


async def test_a_merged_duplicate_is_found_by_id_as_stored(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    survivor, duplicate = records.a_customer(clock.now()), records.a_customer(clock.now())
    await _stored(uow_factory, survivor, duplicate)
    async with uow_factory() as uow:
        loaded = await uow.customers.get(duplicate.id, for_update=True)
        assert loaded is not None
        loaded.become_merged_into(survivor.id, clock.advance(days=1))
        await uow.customers.save(loaded)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.customers.get(duplicate.id) == loaded
        assert await uow.customers.header(duplicate.id) == loaded.header
        assert await uow.customers.merged_duplicates(survivor.id) == [duplicate.id]


async def test_a_customer_is_found_by_her_external_reference(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    mrs_li = records.a_customer(clock.now(), records.an_external_ref("pos-card", "HZ-000187"))
    await _stored(uow_factory, records.a_customer(clock.now()), mrs_li)

    async with uow_factory() as uow:
        assert await uow.customers.find_by_external_ref("pos-card", "HZ-000187") == mrs_li.id
        assert await uow.customers.find_by_external_ref("shop-user", "HZ-000187") is None


async def test_a_reference_a_save_leaves_out_finds_her_no_more(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    card, shop = records.an_external_ref("pos-card"), records.an_external_ref("shop-user")
    mrs_li = records.a_customer(clock.now(), card, shop)
    await _stored(uow_factory, mrs_li)
    async with uow_factory() as uow:
        loaded = await uow.customers.get(mrs_li.id)
        assert loaded is not None
        loaded.external_refs = [shop]
        await uow.customers.save(loaded)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.customers.find_by_external_ref(card.system, card.value) is None
        assert await uow.customers.find_by_external_ref(shop.system, shop.value) == mrs_li.id


async def test_her_consent_log_is_appended_to_her_history_oldest_first(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    mrs_li = records.a_customer(clock.now())
    given = records.a_consent_given(mrs_li, clock.now())
    await _stored(uow_factory, mrs_li)
    async with uow_factory() as uow:
        loaded = await uow.customers.get(mrs_li.id)
        assert loaded is not None
        withdrawn = records.a_consent_given(loaded, clock.advance(days=1), granted=False)
        await uow.customers.save(loaded)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.customers.consent_history(mrs_li.id) == [given, withdrawn]


async def test_a_customer_read_back_has_no_pending_consent_log(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    mrs_li = records.a_customer(clock.now())
    records.a_consent_given(mrs_li, clock.now())
    await _stored(uow_factory, mrs_li)

    async with uow_factory() as uow:
        stored = await uow.customers.get(mrs_li.id)
    assert stored is not None
    assert stored.consent_log == []


async def test_redirecting_a_merge_points_every_duplicate_at_the_survivor(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    old_survivor, survivor = records.a_customer(clock.now()), records.a_customer(clock.now())
    duplicates = [records.a_customer(clock.now()) for _ in range(2)]
    for duplicate in duplicates:
        duplicate.merged_into_id = old_survivor.id
    await _stored(uow_factory, old_survivor, survivor, *duplicates)

    async with uow_factory() as uow:
        await uow.customers.redirect_merged(old_survivor.id, survivor.id)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.customers.merged_duplicates(old_survivor.id) == []
        assert await uow.customers.merged_duplicates(survivor.id) == sorted(
            d.id for d in duplicates)


async def test_a_merge_moves_the_consent_history_and_folds_the_same_address(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    survivor, duplicate = records.a_customer(clock.now()), records.a_customer(clock.now())
    given = records.a_consent_given(duplicate, clock.now())
    await _stored(uow_factory, survivor, duplicate)
    kept_point = survivor.contact_points[0].id

    async with uow_factory() as uow:
        await uow.customers.move_consent_history(
            duplicate.id, survivor.id, {given.contact_point_id: kept_point})
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.customers.consent_history(duplicate.id) == []
        assert await uow.customers.consent_history(survivor.id) == [
            replace(given, contact_point_id=kept_point)]


async def test_her_interactions_and_cases_come_oldest_first(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    mrs_li = records.a_customer(clock.now())
    await _stored(uow_factory, mrs_li)
    later, earlier = clock.advance(days=2), clock.advance(days=-1)
    visits = [records.an_interaction(mrs_li.id, later),
              records.an_interaction(mrs_li.id, earlier)]
    cases = [records.a_case(mrs_li.id, later), records.a_case(mrs_li.id, earlier)]
    async with uow_factory() as uow:
        for visit in visits:
            await uow.interactions.add(visit)
        for case in cases:
            await uow.cases.add(case)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.interactions.of_customer(mrs_li.id) == visits[::-1]
        assert await uow.cases.of_customer(mrs_li.id) == cases[::-1]


async def test_erasing_her_activity_text_keeps_the_facts(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    mrs_li = records.a_customer(clock.now())
    await _stored(uow_factory, mrs_li)
    visit = records.an_interaction(mrs_li.id, clock.now())
    case = records.a_case(mrs_li.id, clock.now(), resolution_note="Replaced the scarf")
    async with uow_factory() as uow:
        await uow.interactions.add(visit)
        await uow.cases.add(case)
        await uow.customers.erase_activity_text(mrs_li.id, frozenset({"counter"}))
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.interactions.of_customer(mrs_li.id) == [replace(
            visit, summary=None, place=None, geo=None, payload={"counter": 3})]
        assert await uow.cases.of_customer(mrs_li.id) == [replace(
            case, subject="[erased]", description=None, resolution_note=None)]
