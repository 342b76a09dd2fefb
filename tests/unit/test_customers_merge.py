"""customerMerge: the survivor takes over everything the duplicate held, and the duplicate's id
keeps working by leading to the survivor."""

from dataclasses import replace
from datetime import date, timedelta

from domain.customers.commands import (
    AddContactPoint,
    ArchiveCustomer,
    MergeCustomers,
    RestoreCustomer,
    UpdateCustomer,
)
from domain.customers.model import ConsentPurpose, Customer, Gender
from domain.customers.services import (
    add_contact_point,
    archive_customer,
    merge_customers,
    restore_customer,
    update_customer,
)
from domain.shared.errors import ErrorCode
from domain.shared.ids import new_id
from tests.builders import (
    ADMIN,
    PARTS,
    a_case,
    a_consent,
    a_customer,
    a_member,
    a_phone,
    a_ref,
    a_staff_member,
    an_email,
    an_interaction,
    customers,
    problems,
    refused,
)
from tests.fakes import FakeUnitOfWork, FixedClock


async def _merge(uow: FakeUnitOfWork, survivor: Customer, duplicate: Customer) -> Customer:
    return await merge_customers(MergeCustomers(survivor.id, duplicate.id), uow=uow, viewer=ADMIN,
                                 parts=PARTS)


class TestMergeRefusals:
    async def test_a_customer_cannot_be_merged_into_itself(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        command = MergeCustomers(customer.id, customer.id)
        error = await refused(uow, merge_customers(command, uow=uow, viewer=ADMIN, parts=PARTS))
        assert problems(error) == {(("duplicate_id",), ErrorCode.SELF_MERGE)}

    async def test_an_archived_survivor_is_refused(self, uow: FakeUnitOfWork) -> None:
        survivor, duplicate = await a_customer(uow), await a_customer(uow)
        await archive_customer(ArchiveCustomer(survivor.id), uow=uow, viewer=ADMIN)
        error = await refused(uow, _merge(uow, survivor, duplicate))
        assert problems(error) == {(("survivor_id",), ErrorCode.ARCHIVED)}

    async def test_an_unknown_survivor_is_not_found(self, uow: FakeUnitOfWork) -> None:
        duplicate = await a_customer(uow)
        command = MergeCustomers(new_id(), duplicate.id)
        error = await refused(uow, merge_customers(command, uow=uow, viewer=ADMIN, parts=PARTS))
        assert problems(error) == {(("survivor_id",), ErrorCode.NOT_FOUND)}

    async def test_an_unknown_duplicate_is_not_found(self, uow: FakeUnitOfWork) -> None:
        survivor = await a_customer(uow)
        command = MergeCustomers(survivor.id, new_id())
        error = await refused(uow, merge_customers(command, uow=uow, viewer=ADMIN, parts=PARTS))
        assert problems(error) == {(("duplicate_id",), ErrorCode.NOT_FOUND)}

    async def test_an_already_merged_duplicate_is_a_conflict(self, uow: FakeUnitOfWork) -> None:
        survivor, duplicate, third = await customers(uow, 3)
        await _merge(uow, survivor, duplicate)
        error = await refused(uow, _merge(uow, third, duplicate))
        assert problems(error) == {(("duplicate_id",), ErrorCode.CONFLICT)}

    async def test_a_merged_duplicate_cannot_be_a_survivor(self, uow: FakeUnitOfWork) -> None:
        survivor, duplicate, third = await customers(uow, 3)
        await _merge(uow, survivor, duplicate)
        error = await refused(uow, _merge(uow, duplicate, third))
        assert problems(error) == {(("survivor_id",), ErrorCode.NOT_FOUND)}


class TestMerge:
    async def test_interactions_move_to_the_survivor(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        survivor, duplicate = await a_customer(uow), await a_customer(uow)
        await an_interaction(uow, survivor.id, clock.now() - timedelta(days=2))
        moved = await an_interaction(uow, duplicate.id, clock.now() - timedelta(days=1))
        await _merge(uow, survivor, duplicate)
        assert uow.interactions_of(duplicate.id) == []
        assert replace(moved, customer_id=survivor.id) in uow.interactions_of(survivor.id)
        assert len(uow.interactions_of(survivor.id)) == 2

    async def test_the_survivor_takes_the_later_last_interaction_time(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        survivor, duplicate = await a_customer(uow), await a_customer(uow)
        await an_interaction(uow, survivor.id, clock.now() - timedelta(days=2))
        latest = await an_interaction(uow, duplicate.id, clock.now() - timedelta(days=1))
        await _merge(uow, survivor, duplicate)
        assert uow.data.last_interaction_at == {survivor.id: latest.occurred_at}

    async def test_cases_move_to_the_survivor(self, uow: FakeUnitOfWork) -> None:
        survivor, duplicate = await a_customer(uow), await a_customer(uow)
        case = await a_case(uow, duplicate.id)
        await _merge(uow, survivor, duplicate)
        assert [c.id for c in uow.cases_of(survivor.id)] == [case.id]
        assert uow.cases_of(duplicate.id) == []

    async def test_contact_points_and_household_move_to_the_survivor(
        self, uow: FakeUnitOfWork
    ) -> None:
        survivor = await a_customer(uow, contact_points=(an_email("li@home.example"),))
        duplicate = await a_customer(
            uow, contact_points=(a_phone(),), household=(a_member("Li Xiaoming"),)
        )
        await _merge(uow, survivor, duplicate)
        stored = uow.stored_customer(survivor.id)
        assert stored.contact_points == survivor.contact_points + duplicate.contact_points
        assert stored.household == duplicate.household

    async def test_a_contact_point_both_have_is_not_duplicated(self, uow: FakeUnitOfWork) -> None:
        survivor = await a_customer(uow, contact_points=(an_email("mrs.li@example.com"),))
        duplicate = await a_customer(
            uow, contact_points=(an_email("Mrs.Li@Example.com"), a_phone("+86 138 0571 0187"))
        )
        await _merge(uow, survivor, duplicate)
        stored = uow.stored_customer(survivor.id)
        assert [(c.kind, c.value) for c in stored.contact_points] == [
            ("EMAIL", "mrs.li@example.com"),
            ("PHONE", "+8613805710187"),
        ]
        assert stored.contact_points[0] == survivor.contact_points[0]

    async def test_external_references_move_to_the_survivor(self, uow: FakeUnitOfWork) -> None:
        survivor = await a_customer(uow, external_refs=(a_ref("pos-card", "HZ-1"),))
        duplicate = await a_customer(uow, external_refs=(a_ref("shop", "u-1"),))
        await _merge(uow, survivor, duplicate)
        assert uow.stored_customer(survivor.id).external_refs == (
            survivor.external_refs + duplicate.external_refs
        )
        async with uow:
            assert await uow.customers.find_by_external_ref("shop", "u-1") == survivor.id

    async def test_labels_are_united(self, uow: FakeUnitOfWork) -> None:
        survivor = await a_customer(
            uow, display_name="Mrs. Li", tags=["vip"], interests=["films"], preferences=["silk"]
        )
        duplicate = await a_customer(
            uow, display_name="Li Mei", tags=["villa", "vip"], interests=["gardening"]
        )
        merged = await _merge(uow, survivor, duplicate)
        assert merged.profile.tags == ("vip", "villa")
        assert merged.profile.interests == ("films", "gardening")
        assert merged.profile.preferences == ("silk",)

    async def test_empty_profile_fields_are_filled_from_the_duplicate(
        self, uow: FakeUnitOfWork
    ) -> None:
        clerk = await a_staff_member(uow)
        survivor = await a_customer(uow, display_name="Mrs. Li", family_name="Li")
        duplicate = await a_customer(
            uow,
            display_name="Mei",
            given_name="Mei",
            family_name="Lee",
            birth_date=date(1975, 4, 2),
            gender=Gender.FEMALE,
            owner_id=clerk.id,
        )
        merged = await _merge(uow, survivor, duplicate)
        assert merged.profile == replace(
            survivor.profile,
            given_name="Mei",
            birth_date=date(1975, 4, 2),
            gender=Gender.FEMALE,
            owner_id=clerk.id,
        )
        assert uow.stored_customer(survivor.id).profile == merged.profile

    async def test_custom_attributes_are_combined_with_the_survivors_winning(
        self, uow: FakeUnitOfWork
    ) -> None:
        survivor = await a_customer(
            uow, display_name="Mrs. Li", custom_attributes={"size": "M", "villa": True}
        )
        duplicate = await a_customer(
            uow, display_name="Li", custom_attributes={"size": "L", "garden": "roses"}
        )
        merged = await _merge(uow, survivor, duplicate)
        assert merged.profile.custom_attributes == {"size": "M", "villa": True, "garden": "roses"}

    async def test_the_duplicate_ends_merged_into_the_survivor_and_archived(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        survivor = await a_customer(uow)
        duplicate = await a_customer(
            uow, contact_points=(an_email(),), household=(a_member(),), external_refs=(a_ref(),)
        )
        now = clock.advance(hours=1)
        await _merge(uow, survivor, duplicate)
        stored = uow.stored_customer(duplicate.id)
        assert (stored.merged_into_id, stored.archived_at, stored.version) == (survivor.id, now, 2)
        assert (stored.contact_points, stored.household, stored.external_refs) == ([], [], [])

    async def test_an_archived_duplicate_keeps_its_archive_time(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        survivor, duplicate = await a_customer(uow), await a_customer(uow)
        archived = await archive_customer(ArchiveCustomer(duplicate.id), uow=uow, viewer=ADMIN)
        clock.advance(days=1)
        await _merge(uow, survivor, duplicate)
        assert uow.stored_customer(duplicate.id).archived_at == archived.archived_at

    async def test_both_versions_are_bumped_and_the_merge_is_announced(
        self, uow: FakeUnitOfWork
    ) -> None:
        survivor, duplicate = await a_customer(uow), await a_customer(uow)
        merged = await _merge(uow, survivor, duplicate)
        assert merged.version == uow.stored_customer(survivor.id).version == 2
        assert {(e.name, e.aggregate_id) for e in uow.events[-2:]} == {
            ("CustomerMerged", survivor.id),
            ("CustomerMergedInto", duplicate.id),
        }

    async def test_the_duplicates_consents_go_with_its_contact_points(
        self, uow: FakeUnitOfWork
    ) -> None:
        survivor = await a_customer(uow)
        consented = an_email(consents=(a_consent(ConsentPurpose.MARKETING_EMAIL),))
        duplicate = await a_customer(uow, contact_points=(consented,))
        await _merge(uow, survivor, duplicate)
        point = uow.stored_customer(survivor.id).contact_points[0]
        assert point.consent_for(ConsentPurpose.MARKETING_EMAIL)


class TestAfterMerge:
    async def test_edits_addressed_to_the_duplicate_reach_the_survivor(
        self, uow: FakeUnitOfWork
    ) -> None:
        survivor, duplicate = await a_customer(uow), await a_customer(uow)
        await _merge(uow, survivor, duplicate)
        command = UpdateCustomer(duplicate.id, {"occupation": "gardener"})
        updated = await update_customer(command, uow=uow, viewer=ADMIN)
        assert updated.id == survivor.id
        assert uow.stored_customer(survivor.id).profile.occupation == "gardener"
        assert uow.stored_customer(duplicate.id).profile.occupation is None

    async def test_an_expected_version_via_the_duplicate_is_the_survivors(
        self, uow: FakeUnitOfWork
    ) -> None:
        survivor, duplicate = await a_customer(uow), await a_customer(uow)
        await _merge(uow, survivor, duplicate)
        command = AddContactPoint(duplicate.id, a_phone(), expected_version=2)
        assert (await add_contact_point(command, uow=uow, viewer=ADMIN)).id == survivor.id

    async def test_chained_merges_point_the_first_duplicate_at_the_last_survivor(
        self, uow: FakeUnitOfWork
    ) -> None:
        a, b, c = await customers(uow, 3)
        await _merge(uow, b, a)
        await _merge(uow, c, b)
        assert uow.stored_customer(a.id).merged_into_id == c.id
        assert uow.stored_customer(b.id).merged_into_id == c.id
        updated = await update_customer(
            UpdateCustomer(a.id, {"occupation": "pilot"}), uow=uow, viewer=ADMIN
        )
        assert updated.id == c.id

    async def test_what_the_first_duplicate_held_reaches_the_last_survivor(
        self, uow: FakeUnitOfWork
    ) -> None:
        a = await a_customer(uow, contact_points=(an_email("a@example.com"),))
        b, c = await a_customer(uow), await a_customer(uow)
        case = await a_case(uow, a.id)
        await _merge(uow, b, a)
        await _merge(uow, c, b)
        stored = uow.stored_customer(c.id)
        assert [p.value for p in stored.contact_points] == ["a@example.com"]
        assert [x.id for x in uow.cases_of(c.id)] == [case.id]

    async def test_a_merged_duplicate_cannot_be_restored(self, uow: FakeUnitOfWork) -> None:
        survivor, duplicate = await a_customer(uow), await a_customer(uow)
        await _merge(uow, survivor, duplicate)
        error = await refused(
            uow, restore_customer(RestoreCustomer(duplicate.id), uow=uow, viewer=ADMIN)
        )
        assert problems(error) == {(("customer_id",), ErrorCode.INVALID)}

    async def test_a_merged_duplicate_cannot_be_archived(self, uow: FakeUnitOfWork) -> None:
        survivor, duplicate = await a_customer(uow), await a_customer(uow)
        await _merge(uow, survivor, duplicate)
        error = await refused(
            uow, archive_customer(ArchiveCustomer(duplicate.id), uow=uow, viewer=ADMIN)
        )
        assert problems(error) == {(("customer_id",), ErrorCode.INVALID)}
