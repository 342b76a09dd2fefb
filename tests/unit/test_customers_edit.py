"""Editing a customer: profile updates, archive/restore, contact points, household members and
external references; optimistic concurrency on all of them."""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, timedelta

import pytest

from domain.customers.commands import (
    AddContactPoint,
    AddExternalReference,
    AddHouseholdMember,
    ArchiveCustomer,
    ImportantDateInput,
    RemoveCustomerItem,
    RestoreCustomer,
    UpdateContactPoint,
    UpdateCustomer,
    UpdateExternalReference,
    UpdateHouseholdMember,
)
from domain.customers.model import (
    Consent,
    ConsentPurpose,
    Customer,
    ImportantDate,
    Occasion,
    Relationship,
)
from domain.customers.services import (
    add_contact_point,
    add_external_reference,
    add_household_member,
    archive_customer,
    remove_contact_point,
    remove_external_reference,
    remove_household_member,
    restore_customer,
    update_contact_point,
    update_customer,
    update_external_reference,
    update_household_member,
)
from domain.shared.errors import ErrorCode
from domain.shared.ids import new_id
from tests.builders import (
    ADMIN,
    a_birthday,
    a_consent,
    a_customer,
    a_member,
    a_phone,
    a_ref,
    a_staff_member,
    an_email,
    problems,
    refused,
)
from tests.fakes import FakeUnitOfWork, FixedClock

EMAIL, SMS = ConsentPurpose.MARKETING_EMAIL, ConsentPurpose.MARKETING_SMS


async def _archived(uow: FakeUnitOfWork) -> Customer:
    customer = await a_customer(
        uow, contact_points=(an_email(),), household=(a_member(),), external_refs=(a_ref(),)
    )
    return await archive_customer(ArchiveCustomer(customer.id), uow=uow, viewer=ADMIN)


class TestUpdateCustomer:
    async def test_only_the_given_fields_change(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(
            uow, given_name="Mei", family_name="Li", occupation="teacher", tags=["vip"]
        )
        changes = {"occupation": "gardener", "interests": ["gardening"]}
        updated = await update_customer(UpdateCustomer(customer.id, changes), uow=uow, viewer=ADMIN)
        expected = replace(customer.profile, occupation="gardener", interests=("gardening",))
        assert updated.profile == expected
        assert uow.stored_customer(customer.id).profile == expected

    async def test_an_update_bumps_the_version_and_records_the_changed_fields(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        customer = await a_customer(uow, display_name="Mrs. Li")
        later = clock.advance(hours=1)
        changes = {"occupation": "gardener", "tags": ["villa"], "display_name": "Mrs. Li"}
        await update_customer(UpdateCustomer(customer.id, changes), uow=uow, viewer=ADMIN)
        stored = uow.stored_customer(customer.id)
        assert (stored.version, stored.updated_at) == (2, later)
        assert stored.created_at == customer.created_at
        event = uow.events[-1]
        assert (event.name, event.aggregate_id, event.occurred_at) == (
            "CustomerUpdated",
            customer.id,
            later,
        )
        assert event.data == {"fields": ["occupation", "tags"]}

    async def test_none_clears_an_optional_field(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow, display_name="Mrs. Li", occupation="teacher")
        await update_customer(
            UpdateCustomer(customer.id, {"occupation": None}), uow=uow, viewer=ADMIN
        )
        assert uow.stored_customer(customer.id).profile.occupation is None

    async def test_clearing_the_display_name_derives_it_from_the_names(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow, display_name="Mrs. Li", given_name="Mei", family_name="Li")
        updated = await update_customer(
            UpdateCustomer(customer.id, {"display_name": None}), uow=uow, viewer=ADMIN
        )
        assert updated.profile.display_name == "Mei Li"

    async def test_changes_are_validated_like_a_new_customer(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        changes = {"given_name": "x" * 101, "birth_date": date(1899, 1, 1), "nickname": "Mei"}
        error = await refused(
            uow, update_customer(UpdateCustomer(customer.id, changes), uow=uow, viewer=ADMIN)
        )
        assert problems(error) == {
            (("given_name",), ErrorCode.TOO_LONG),
            (("birth_date",), ErrorCode.INVALID),
            (("nickname",), ErrorCode.INVALID),
        }

    async def test_an_unknown_owner_is_not_found(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        command = UpdateCustomer(customer.id, {"owner_id": new_id()})
        error = await refused(uow, update_customer(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("owner_id",), ErrorCode.NOT_FOUND)}

    async def test_a_known_owner_is_linked(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        clerk = await a_staff_member(uow)
        await update_customer(
            UpdateCustomer(customer.id, {"owner_id": clerk.id}), uow=uow, viewer=ADMIN
        )
        assert uow.stored_customer(customer.id).profile.owner_id == clerk.id

    async def test_an_unknown_customer_is_not_found(self, uow: FakeUnitOfWork) -> None:
        command = UpdateCustomer(new_id(), {"occupation": "gardener"})
        error = await refused(uow, update_customer(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("customer_id",), ErrorCode.NOT_FOUND)}

    async def test_a_stale_expected_version_is_refused_with_conflict(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow)
        await update_customer(
            UpdateCustomer(customer.id, {"occupation": "teacher"}), uow=uow, viewer=ADMIN
        )
        stale = UpdateCustomer(customer.id, {"occupation": "gardener"}, expected_version=1)
        error = await refused(uow, update_customer(stale, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("expected_version",), ErrorCode.CONFLICT)}

    async def test_the_current_expected_version_is_accepted(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        command = UpdateCustomer(customer.id, {"occupation": "gardener"}, expected_version=1)
        updated = await update_customer(command, uow=uow, viewer=ADMIN)
        assert updated.version == 2


class TestArchiveAndRestore:
    async def test_archiving_marks_the_customer_and_bumps_the_version(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        customer = await a_customer(uow)
        later = clock.advance(days=1)
        await archive_customer(
            ArchiveCustomer(customer.id, expected_version=1), uow=uow, viewer=ADMIN
        )
        stored = uow.stored_customer(customer.id)
        assert (stored.archived_at, stored.version) == (later, 2)
        assert uow.event_names[-1] == "CustomerArchived"

    async def test_archiving_an_archived_customer_changes_nothing(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        customer = await _archived(uow)
        before = uow.snapshot()
        clock.advance(days=1)
        again = await archive_customer(ArchiveCustomer(customer.id), uow=uow, viewer=ADMIN)
        assert again == customer
        assert uow.snapshot() == before

    async def test_archiving_with_a_stale_expected_version_is_a_conflict(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow)
        await update_customer(
            UpdateCustomer(customer.id, {"occupation": "teacher"}), uow=uow, viewer=ADMIN
        )
        command = ArchiveCustomer(customer.id, expected_version=1)
        error = await refused(uow, archive_customer(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("expected_version",), ErrorCode.CONFLICT)}

    async def test_archiving_an_unknown_customer_is_not_found(self, uow: FakeUnitOfWork) -> None:
        error = await refused(
            uow, archive_customer(ArchiveCustomer(new_id()), uow=uow, viewer=ADMIN)
        )
        assert problems(error) == {(("customer_id",), ErrorCode.NOT_FOUND)}

    async def test_an_archived_customer_can_be_restored(self, uow: FakeUnitOfWork) -> None:
        customer = await _archived(uow)
        restored = await restore_customer(
            RestoreCustomer(customer.id, expected_version=2), uow=uow, viewer=ADMIN
        )
        stored = uow.stored_customer(customer.id)
        assert stored == restored
        assert (stored.archived_at, stored.version) == (None, 3)
        assert uow.event_names[-1] == "CustomerRestored"

    async def test_a_restored_customer_can_be_edited_again(self, uow: FakeUnitOfWork) -> None:
        customer = await _archived(uow)
        await restore_customer(RestoreCustomer(customer.id), uow=uow, viewer=ADMIN)
        command = UpdateCustomer(customer.id, {"occupation": "gardener"})
        assert (
            await update_customer(command, uow=uow, viewer=ADMIN)
        ).profile.occupation == "gardener"

    async def test_restoring_an_active_customer_changes_nothing(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        before = uow.snapshot()
        assert (
            await restore_customer(RestoreCustomer(customer.id), uow=uow, viewer=ADMIN) == customer
        )
        assert uow.snapshot() == before

    async def test_restoring_with_a_stale_expected_version_is_a_conflict(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await _archived(uow)
        command = RestoreCustomer(customer.id, expected_version=1)
        error = await refused(uow, restore_customer(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("expected_version",), ErrorCode.CONFLICT)}


def _edits_of(customer: Customer) -> dict[str, Callable[[FakeUnitOfWork], Awaitable[object]]]:
    """Every edit use case, aimed at `customer` and valid but for the customer's state."""
    cid = customer.id
    point, member = customer.contact_points[0], customer.household[0]
    ref = customer.external_refs[0]
    return {
        "update": lambda u: update_customer(
            UpdateCustomer(cid, {"occupation": "x"}), uow=u, viewer=ADMIN
        ),
        "add contact point": lambda u: add_contact_point(
            AddContactPoint(cid, a_phone()), uow=u, viewer=ADMIN
        ),
        "update contact point": lambda u: update_contact_point(
            UpdateContactPoint(cid, point.id, {"label": "home"}), uow=u, viewer=ADMIN
        ),
        "remove contact point": lambda u: remove_contact_point(
            RemoveCustomerItem(cid, point.id), uow=u, viewer=ADMIN
        ),
        "add member": lambda u: add_household_member(
            AddHouseholdMember(cid, a_member()), uow=u, viewer=ADMIN
        ),
        "update member": lambda u: update_household_member(
            UpdateHouseholdMember(cid, member.id, {"name": "Li Xiaohong"}), uow=u, viewer=ADMIN
        ),
        "remove member": lambda u: remove_household_member(
            RemoveCustomerItem(cid, member.id), uow=u, viewer=ADMIN
        ),
        "add ref": lambda u: add_external_reference(
            AddExternalReference(cid, a_ref()), uow=u, viewer=ADMIN
        ),
        "update ref": lambda u: update_external_reference(
            UpdateExternalReference(cid, ref.id, "HZ-NEW"), uow=u, viewer=ADMIN
        ),
        "remove ref": lambda u: remove_external_reference(
            RemoveCustomerItem(cid, ref.id), uow=u, viewer=ADMIN
        ),
    }


EDITS = [
    "update",
    "add contact point",
    "update contact point",
    "remove contact point",
    "add member",
    "update member",
    "remove member",
    "add ref",
    "update ref",
    "remove ref",
]


class TestEditsOfArchivedCustomers:
    @pytest.mark.parametrize("edit", EDITS)
    async def test_an_archived_customer_cannot_be_edited(
        self, uow: FakeUnitOfWork, edit: str
    ) -> None:
        customer = await _archived(uow)
        error = await refused(uow, _edits_of(customer)[edit](uow))
        assert problems(error) == {(("customer_id",), ErrorCode.ARCHIVED)}

    @pytest.mark.parametrize("edit", EDITS)
    async def test_every_edit_bumps_the_version(self, uow: FakeUnitOfWork, edit: str) -> None:
        customer = await a_customer(
            uow, contact_points=(an_email(),), household=(a_member(),), external_refs=(a_ref(),)
        )
        await _edits_of(customer)[edit](uow)
        assert uow.stored_customer(customer.id).version == 2


class TestContactPoints:
    async def test_an_added_contact_point_is_normalised_and_kept(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow, contact_points=(an_email(),))
        command = AddContactPoint(customer.id, a_phone("+86 138-0571-0187", label="mobile"))
        await add_contact_point(command, uow=uow, viewer=ADMIN)
        stored = uow.stored_customer(customer.id)
        assert [(c.kind, c.value, c.label) for c in stored.contact_points][1:] == [
            ("PHONE", "+8613805710187", "mobile")
        ]
        assert stored.version == 2
        assert uow.events[-1].name == "ContactPointAdded"
        assert uow.events[-1].data == {"kind": "PHONE"}

    async def test_an_invalid_contact_point_is_refused_at_its_field(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow)
        command = AddContactPoint(customer.id, an_email("li at example.com"))
        error = await refused(uow, add_contact_point(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("contact_point", "value"), ErrorCode.INVALID)}

    async def test_an_update_changes_only_the_given_fields(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow, contact_points=(an_email(label="work"),))
        point = customer.contact_points[0]
        command = UpdateContactPoint(customer.id, point.id, {"value": "LI@Example.com"})
        await update_contact_point(command, uow=uow, viewer=ADMIN)
        stored = uow.stored_customer(customer.id).contact_points[0]
        assert stored == replace(point, value="li@example.com")

    async def test_an_updated_value_is_validated(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow, contact_points=(an_email(),))
        command = UpdateContactPoint(
            customer.id, customer.contact_points[0].id, {"value": "nope", "label": "x" * 51}
        )
        error = await refused(uow, update_contact_point(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {
            (("contact_point", "value"), ErrorCode.INVALID),
            (("contact_point", "label"), ErrorCode.TOO_LONG),
        }

    async def test_clearing_the_value_is_refused(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow, contact_points=(an_email(),))
        command = UpdateContactPoint(customer.id, customer.contact_points[0].id, {"value": None})
        error = await refused(uow, update_contact_point(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("contact_point", "value"), ErrorCode.REQUIRED)}

    async def test_consents_are_merged_by_purpose(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        created_at = clock.now()
        customer = await a_customer(uow, contact_points=(an_email(consents=(a_consent(EMAIL),)),))
        later = clock.advance(days=30)
        command = UpdateContactPoint(
            customer.id, customer.contact_points[0].id, {"consents": (a_consent(SMS),)}
        )
        await update_contact_point(command, uow=uow, viewer=ADMIN)
        assert uow.stored_customer(customer.id).contact_points[0].consents == (
            Consent(EMAIL, True, created_at),
            Consent(SMS, True, later),
        )

    async def test_an_unchanged_consent_keeps_its_recorded_time(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        created_at = clock.now()
        customer = await a_customer(uow, contact_points=(an_email(consents=(a_consent(EMAIL),)),))
        clock.advance(days=30)
        command = UpdateContactPoint(
            customer.id, customer.contact_points[0].id, {"consents": (a_consent(EMAIL),)}
        )
        await update_contact_point(command, uow=uow, viewer=ADMIN)
        assert uow.stored_customer(customer.id).contact_points[0].consents == (
            Consent(EMAIL, True, created_at),
        )

    async def test_a_changed_consent_gets_the_new_time(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        customer = await a_customer(uow, contact_points=(an_email(consents=(a_consent(EMAIL),)),))
        later = clock.advance(days=30)
        command = UpdateContactPoint(
            customer.id,
            customer.contact_points[0].id,
            {"consents": (a_consent(EMAIL, granted=False),)},
        )
        await update_contact_point(command, uow=uow, viewer=ADMIN)
        point = uow.stored_customer(customer.id).contact_points[0]
        assert point.consents == (Consent(EMAIL, False, later),)
        assert not point.consent_for(EMAIL)

    async def test_updating_an_unknown_contact_point_is_not_found(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow, contact_points=(an_email(),))
        command = UpdateContactPoint(customer.id, new_id(), {"label": "home"})
        error = await refused(uow, update_contact_point(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("contact_point_id",), ErrorCode.NOT_FOUND)}

    async def test_a_removed_contact_point_is_gone(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow, contact_points=(an_email(), a_phone()))
        email, phone = customer.contact_points
        await remove_contact_point(RemoveCustomerItem(customer.id, email.id), uow=uow, viewer=ADMIN)
        assert uow.stored_customer(customer.id).contact_points == [phone]
        assert uow.event_names[-1] == "ContactPointRemoved"

    async def test_removing_an_unknown_contact_point_is_not_found(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow, household=(a_member(),))
        member_id = customer.household[0].id  # an item, but not a contact point
        command = RemoveCustomerItem(customer.id, member_id)
        error = await refused(uow, remove_contact_point(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("contact_point_id",), ErrorCode.NOT_FOUND)}

    async def test_a_contact_point_of_another_customer_is_not_found(
        self, uow: FakeUnitOfWork
    ) -> None:
        other = await a_customer(uow, contact_points=(an_email(),))
        customer = await a_customer(uow)
        command = RemoveCustomerItem(customer.id, other.contact_points[0].id)
        error = await refused(uow, remove_contact_point(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("contact_point_id",), ErrorCode.NOT_FOUND)}

    async def test_a_stale_expected_version_is_refused_with_conflict(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow)
        await add_contact_point(AddContactPoint(customer.id, an_email()), uow=uow, viewer=ADMIN)
        command = AddContactPoint(customer.id, a_phone(), expected_version=1)
        error = await refused(uow, add_contact_point(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("expected_version",), ErrorCode.CONFLICT)}


class TestHouseholdMembers:
    async def test_an_added_member_keeps_their_important_dates(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        son = a_member(
            "Li Xiaoming",
            Relationship.CHILD,
            birth_date=date(2015, 6, 1),
            important_dates=(a_birthday(date(2015, 6, 1)),),
        )
        await add_household_member(AddHouseholdMember(customer.id, son), uow=uow, viewer=ADMIN)
        stored = uow.stored_customer(customer.id)
        member = stored.household[0]
        assert (member.name, member.relationship, member.birth_date) == (
            "Li Xiaoming",
            Relationship.CHILD,
            date(2015, 6, 1),
        )
        assert member.important_dates == (ImportantDate(Occasion.BIRTHDAY, date(2015, 6, 1)),)
        assert stored.version == 2
        assert uow.event_names[-1] == "HouseholdMemberAdded"

    async def test_an_invalid_member_is_refused_at_its_fields(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        member = a_member(" ", birth_date=uow.clock.now().date() + timedelta(days=1))
        error = await refused(
            uow,
            add_household_member(AddHouseholdMember(customer.id, member), uow=uow, viewer=ADMIN),
        )
        assert problems(error) == {
            (("member", "name"), ErrorCode.REQUIRED),
            (("member", "birth_date"), ErrorCode.INVALID),
        }

    async def test_an_update_changes_only_the_given_fields(self, uow: FakeUnitOfWork) -> None:
        son = a_member(birth_date=date(2015, 6, 1), important_dates=(a_birthday(date(2015, 6, 1)),))
        customer = await a_customer(uow, household=(son,))
        member = customer.household[0]
        command = UpdateHouseholdMember(customer.id, member.id, {"name": "Xiaoming"})
        await update_household_member(command, uow=uow, viewer=ADMIN)
        assert uow.stored_customer(customer.id).household == [replace(member, name="Xiaoming")]
        assert uow.event_names[-1] == "HouseholdMemberUpdated"

    async def test_important_dates_are_replaced_whole(self, uow: FakeUnitOfWork) -> None:
        son = a_member(important_dates=(a_birthday(date(2015, 6, 1)),))
        customer = await a_customer(uow, household=(son,))
        trip = ImportantDateInput(Occasion.TRIP, date(2026, 7, 15), label="Sanya")
        command = UpdateHouseholdMember(
            customer.id, customer.household[0].id, {"important_dates": (trip,)}
        )
        await update_household_member(command, uow=uow, viewer=ADMIN)
        assert uow.stored_customer(customer.id).household[0].important_dates == (
            ImportantDate(Occasion.TRIP, date(2026, 7, 15), "Sanya"),
        )

    async def test_an_updated_member_is_validated(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow, household=(a_member(),))
        command = UpdateHouseholdMember(customer.id, customer.household[0].id, {"name": ""})
        error = await refused(uow, update_household_member(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("member", "name"), ErrorCode.REQUIRED)}

    async def test_clearing_the_relationship_is_refused(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow, household=(a_member(),))
        command = UpdateHouseholdMember(
            customer.id, customer.household[0].id, {"relationship": None}
        )
        error = await refused(uow, update_household_member(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("member", "relationship"), ErrorCode.REQUIRED)}

    async def test_updating_an_unknown_member_is_not_found(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow, household=(a_member(),))
        command = UpdateHouseholdMember(customer.id, new_id(), {"name": "Xiaoming"})
        error = await refused(uow, update_household_member(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("member_id",), ErrorCode.NOT_FOUND)}

    async def test_a_removed_member_is_gone(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow, household=(a_member("Son"), a_member("Daughter")))
        son, daughter = customer.household
        await remove_household_member(
            RemoveCustomerItem(customer.id, son.id), uow=uow, viewer=ADMIN
        )
        assert uow.stored_customer(customer.id).household == [daughter]
        assert uow.event_names[-1] == "HouseholdMemberRemoved"

    async def test_removing_an_unknown_member_is_not_found(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        command = RemoveCustomerItem(customer.id, new_id())
        error = await refused(uow, remove_household_member(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("member_id",), ErrorCode.NOT_FOUND)}


class TestExternalReferences:
    async def test_an_added_reference_is_kept_with_its_system_lower_cased(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow)
        command = AddExternalReference(customer.id, a_ref("Shop", "u-42"))
        await add_external_reference(command, uow=uow, viewer=ADMIN)
        stored = uow.stored_customer(customer.id)
        assert [(r.system, r.value) for r in stored.external_refs] == [("shop", "u-42")]
        assert uow.events[-1].name == "ExternalReferenceAdded"
        assert uow.events[-1].data == {"system": "shop"}

    async def test_an_invalid_reference_is_refused_at_its_fields(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        command = AddExternalReference(customer.id, a_ref("pos card!", " "))
        error = await refused(uow, add_external_reference(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {
            (("reference", "system"), ErrorCode.INVALID),
            (("reference", "value"), ErrorCode.REQUIRED),
        }

    async def test_a_reference_owned_by_another_customer_is_a_duplicate(
        self, uow: FakeUnitOfWork
    ) -> None:
        await a_customer(uow, external_refs=(a_ref("pos-card", "HZ-1"),))
        customer = await a_customer(uow)
        command = AddExternalReference(customer.id, a_ref("pos-card", "HZ-1"))
        error = await refused(uow, add_external_reference(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("reference",), ErrorCode.DUPLICATE)}

    async def test_a_reference_the_customer_already_has_is_a_duplicate(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow, external_refs=(a_ref("pos-card", "HZ-1"),))
        command = AddExternalReference(customer.id, a_ref("pos-card", "HZ-1"))
        error = await refused(uow, add_external_reference(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("reference",), ErrorCode.DUPLICATE)}

    async def test_an_updated_value_replaces_the_old_one(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow, external_refs=(a_ref("pos-card", "HZ-1"),))
        ref = customer.external_refs[0]
        command = UpdateExternalReference(customer.id, ref.id, " HZ-2 ")
        await update_external_reference(command, uow=uow, viewer=ADMIN)
        assert uow.stored_customer(customer.id).external_refs == [replace(ref, value="HZ-2")]
        assert uow.event_names[-1] == "ExternalReferenceUpdated"
        async with uow:
            assert await uow.customers.find_by_external_ref("pos-card", "HZ-1") is None
            assert await uow.customers.find_by_external_ref("pos-card", "HZ-2") == customer.id

    async def test_updating_to_a_value_owned_by_another_customer_is_a_duplicate(
        self, uow: FakeUnitOfWork
    ) -> None:
        await a_customer(uow, external_refs=(a_ref("pos-card", "HZ-2"),))
        customer = await a_customer(uow, external_refs=(a_ref("pos-card", "HZ-1"),))
        command = UpdateExternalReference(customer.id, customer.external_refs[0].id, "HZ-2")
        error = await refused(uow, update_external_reference(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("value",), ErrorCode.DUPLICATE)}

    async def test_updating_to_the_same_value_is_accepted(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow, external_refs=(a_ref("pos-card", "HZ-1"),))
        command = UpdateExternalReference(customer.id, customer.external_refs[0].id, "HZ-1")
        updated = await update_external_reference(command, uow=uow, viewer=ADMIN)
        assert updated.external_refs == customer.external_refs

    async def test_an_empty_value_is_refused(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow, external_refs=(a_ref(),))
        command = UpdateExternalReference(customer.id, customer.external_refs[0].id, "")
        error = await refused(uow, update_external_reference(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("reference", "value"), ErrorCode.REQUIRED)}

    async def test_updating_an_unknown_reference_is_not_found(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow, external_refs=(a_ref(),))
        command = UpdateExternalReference(customer.id, new_id(), "HZ-9")
        error = await refused(uow, update_external_reference(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("reference_id",), ErrorCode.NOT_FOUND)}

    async def test_a_removed_reference_is_free_for_another_customer(
        self, uow: FakeUnitOfWork
    ) -> None:
        first = await a_customer(uow, external_refs=(a_ref("pos-card", "HZ-1"),))
        command = RemoveCustomerItem(first.id, first.external_refs[0].id)
        await remove_external_reference(command, uow=uow, viewer=ADMIN)
        assert uow.stored_customer(first.id).external_refs == []
        assert uow.event_names[-1] == "ExternalReferenceRemoved"
        second = await a_customer(uow, external_refs=(a_ref("pos-card", "HZ-1"),))
        assert second.external_refs[0].value == "HZ-1"

    async def test_removing_an_unknown_reference_is_not_found(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        command = RemoveCustomerItem(customer.id, new_id())
        error = await refused(uow, remove_external_reference(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("reference_id",), ErrorCode.NOT_FOUND)}
