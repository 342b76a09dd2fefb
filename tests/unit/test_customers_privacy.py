"""Privacy: consent history, a customer's data export and erasure."""

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.cases.commands import ResolveCase, StartCase
from domain.cases.model import SlaPolicy
from domain.cases.services import resolve_case, start_case
from domain.customers.commands import (
    AddContactPoint,
    ArchiveCustomer,
    ConsentInput,
    EraseCustomer,
    ExportCustomerData,
    MergeCustomers,
    RemoveCustomerItem,
    UpdateContactPoint,
    UpdateCustomer,
)
from domain.customers.consents import changed_consents, consent_events, folded_contact_points
from domain.customers.model import (
    Consent,
    ConsentEvent,
    ConsentPurpose,
    Customer,
    CustomerKind,
    Gender,
    Profile,
)
from domain.customers.privacy import (
    ERASED_DISPLAY_NAME,
    erase_customer,
    erased_profile,
    export_customer_data,
)
from domain.customers.services import (
    add_contact_point,
    archive_customer,
    merge_customers,
    remove_contact_point,
    update_contact_point,
    update_customer,
)
from domain.interactions.model import Channel, GeoPoint
from domain.shared.access import Role, Viewer
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
    a_store,
    an_email,
    an_interaction,
    problems,
    refused,
)
from tests.fakes import DEFAULT_NOW, FakeUnitOfWork, FixedClock

EMAIL, SMS, PARTNERS = (
    ConsentPurpose.MARKETING_EMAIL, ConsentPurpose.MARKETING_SMS, ConsentPurpose.PARTNER_SHARING
)
CLERK = Viewer(Role.STAFF, "staff:ana", staff_id=new_id(), store_ids=frozenset({new_id()}))
SALE = {"lines": [{"sku": "WW-SCARF-05", "quantity": 1, "unit_price": "459.00"}],
        "currency": "CNY", "total": "459.00"}


def _pos_for(customer: Customer) -> Viewer:
    """The POS back end, acting for this member."""
    return Viewer(Role.STOREFRONT, "client:pos", member_id=customer.id)


def _answer(purpose: ConsentPurpose, granted: bool, minutes: int = 0) -> Consent:
    return Consent(purpose, granted, DEFAULT_NOW + timedelta(minutes=minutes))


async def _history(uow: FakeUnitOfWork, customer_id: UUID) -> list[ConsentEvent]:
    async with uow:
        return await uow.customers.consent_history(customer_id)


async def _with_sms(uow: FakeUnitOfWork, granted: bool = True, **consent: str) -> Customer:
    answer = ConsentInput(SMS, granted, **consent)
    return await a_customer(uow, contact_points=(a_phone(consents=(answer,)),))


async def _withdraw_sms(uow: FakeUnitOfWork, customer: Customer, viewer: Viewer = ADMIN,
                        source: str | None = "POS") -> Customer:
    command = UpdateContactPoint(customer.id, customer.contact_points[0].id,
                                 {"consents": (ConsentInput(SMS, False, source),)})
    return await update_contact_point(command, uow=uow, viewer=viewer)


async def _erase(uow: FakeUnitOfWork, customer_id: UUID, viewer: Viewer = ADMIN) -> Customer:
    return await erase_customer(EraseCustomer(customer_id, "DSR-2026-114"), uow=uow,
                                viewer=viewer)


async def _export(uow: FakeUnitOfWork, customer_id: UUID,
                  viewer: Viewer = ADMIN) -> dict[str, Any]:
    return await export_customer_data(ExportCustomerData(customer_id), uow=uow, viewer=viewer,
                                      parts=PARTS)


class TestConsentChanges:
    def test_an_answer_for_a_new_purpose_is_a_change(self) -> None:
        assert changed_consents((), (_answer(SMS, True),)) == (_answer(SMS, True),)

    def test_an_answer_repeated_unchanged_is_no_change(self) -> None:
        assert changed_consents((_answer(SMS, True),), (_answer(SMS, True, 5),)) == ()

    def test_a_withdrawn_consent_is_a_change(self) -> None:
        before, after = (_answer(SMS, True),), (_answer(SMS, False, 5),)
        assert changed_consents(before, after) == after

    def test_only_the_purposes_whose_answer_changed_are_changes(self) -> None:
        before = (_answer(EMAIL, True), _answer(SMS, True))
        after = (_answer(EMAIL, True), _answer(SMS, False, 5), _answer(PARTNERS, False, 5))
        assert changed_consents(before, after) == after[1:]


class TestConsentEvents:
    def test_an_entry_carries_the_source_given_with_the_answer(self) -> None:
        point = new_id()
        [entry] = consent_events(point, (), (_answer(SMS, False),),
                                 (ConsentInput(SMS, False, "paper form"),), "staff:ana")
        assert entry == ConsentEvent(point, SMS, False, "paper form", DEFAULT_NOW, "staff:ana")

    @pytest.mark.parametrize("source", [None, "", "   "])
    def test_without_a_source_the_recorder_is_the_source(self, source: str | None) -> None:
        [entry] = consent_events(new_id(), (), (_answer(SMS, True),),
                                 (ConsentInput(SMS, True, source),), "client:web-shop")
        assert entry.source == "client:web-shop"

    def test_the_last_answer_for_a_purpose_gives_the_source(self) -> None:
        answers = (ConsentInput(SMS, True, "WEB"), ConsentInput(SMS, False, "POS"))
        [entry] = consent_events(new_id(), (), (_answer(SMS, False),), answers, "client:pos")
        assert entry.source == "POS"

    def test_the_source_is_trimmed(self) -> None:
        [entry] = consent_events(new_id(), (), (_answer(SMS, True),),
                                 (ConsentInput(SMS, True, "  POS "),), "client:pos")
        assert entry.source == "POS"


class TestFoldedContactPoints:
    async def test_a_duplicate_point_with_the_survivors_address_maps_to_the_survivors(
        self, uow: FakeUnitOfWork
    ) -> None:
        survivor = await a_customer(uow, contact_points=(an_email("li@example.com"),))
        duplicate = await a_customer(uow, contact_points=(an_email("li@example.com"),
                                                          an_email("other@example.com")))
        assert folded_contact_points(survivor, duplicate) == {
            duplicate.contact_points[0].id: survivor.contact_points[0].id
        }


class TestConsentHistory:
    async def test_consents_given_at_creation_are_recorded_by_the_caller(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await _with_sms(uow, source="WEB")
        assert await _history(uow, customer.id) == [ConsentEvent(
            customer.contact_points[0].id, SMS, True, "WEB", DEFAULT_NOW, ADMIN.subject)]

    async def test_consents_of_an_added_point_are_recorded(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow)
        command = AddContactPoint(customer.id, an_email(consents=(a_consent(EMAIL),)))
        updated = await add_contact_point(command, uow=uow, viewer=_pos_for(customer))
        [entry] = await _history(uow, customer.id)
        assert (entry.contact_point_id, entry.purpose, entry.granted, entry.recorded_by) == (
            updated.contact_points[0].id, EMAIL, True, "client:pos")

    async def test_a_withdrawal_is_appended_after_the_consent(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        customer = await _with_sms(uow, source="WEB")
        later = clock.advance(days=30)
        await _withdraw_sms(uow, customer, _pos_for(customer), source="POS")
        history = await _history(uow, customer.id)
        assert [(e.granted, e.source, e.recorded_at, e.recorded_by) for e in history] == [
            (True, "WEB", DEFAULT_NOW, ADMIN.subject), (False, "POS", later, "client:pos")]

    async def test_an_unchanged_answer_adds_nothing(self, uow: FakeUnitOfWork) -> None:
        customer = await _with_sms(uow)
        command = UpdateContactPoint(customer.id, customer.contact_points[0].id,
                                     {"consents": (a_consent(SMS),), "label": "mobile"})
        await update_contact_point(command, uow=uow, viewer=ADMIN)
        assert len(await _history(uow, customer.id)) == 1

    async def test_an_edit_without_consents_adds_nothing(self, uow: FakeUnitOfWork) -> None:
        customer = await _with_sms(uow)
        command = UpdateContactPoint(customer.id, customer.contact_points[0].id,
                                     {"verified": True})
        await update_contact_point(command, uow=uow, viewer=ADMIN)
        assert len(await _history(uow, customer.id)) == 1

    async def test_a_too_long_source_is_refused(self, uow: FakeUnitOfWork) -> None:
        customer = await _with_sms(uow)
        error = await refused(uow, _withdraw_sms(uow, customer, source="x" * 101))
        assert problems(error) == {
            (("contact_point", "consents", "0", "source"), ErrorCode.TOO_LONG)}

    async def test_a_too_long_source_at_creation_is_refused(self, uow: FakeUnitOfWork) -> None:
        error = await refused(uow, _with_sms(uow, source="x" * 101))
        assert problems(error) == {
            (("contact_points", "0", "consents", "0", "source"), ErrorCode.TOO_LONG)}

    async def test_a_refused_edit_records_nothing(self, uow: FakeUnitOfWork) -> None:
        customer = await _with_sms(uow)
        command = UpdateContactPoint(customer.id, customer.contact_points[0].id,
                                     {"consents": (ConsentInput(SMS, False),), "value": "no"})
        await refused(uow, update_contact_point(command, uow=uow, viewer=ADMIN))
        assert len(await _history(uow, customer.id)) == 1


class TestConsentHistoryOnMerge:
    async def _merge(self, uow: FakeUnitOfWork, survivor: Customer, duplicate: Customer) -> None:
        await merge_customers(MergeCustomers(survivor.id, duplicate.id), uow=uow, viewer=ADMIN,
                              parts=PARTS)

    async def test_the_duplicates_history_follows_its_point_to_the_survivor(
        self, uow: FakeUnitOfWork
    ) -> None:
        survivor = await a_customer(uow)
        duplicate = await _with_sms(uow)
        await self._merge(uow, survivor, duplicate)
        [entry] = await _history(uow, survivor.id)
        assert entry.contact_point_id == duplicate.contact_points[0].id
        assert await _history(uow, duplicate.id) == []

    async def test_the_history_of_a_folded_point_joins_the_survivors_point(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        survivor = await _with_sms(uow)
        clock.advance(days=1)
        duplicate = await _with_sms(uow, granted=False)
        await self._merge(uow, survivor, duplicate)
        history = await _history(uow, survivor.id)
        assert {e.contact_point_id for e in history} == {survivor.contact_points[0].id}
        assert [e.granted for e in history] == [True, False]

    async def test_a_withdrawal_on_the_duplicate_holds_for_the_same_address(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        survivor = await _with_sms(uow)
        clock.advance(days=1)
        duplicate = await _with_sms(uow, granted=False)
        await self._merge(uow, survivor, duplicate)
        [point] = uow.stored_customer(survivor.id).contact_points
        assert point.consent_for(SMS) is False


class TestErasedProfile:
    def test_only_the_kind_and_the_links_to_the_brand_stay(self) -> None:
        owner, store = new_id(), new_id()
        profile = Profile(
            kind=CustomerKind.PERSON, display_name="Mrs. Li", family_name="Li",
            given_name="Xiuying", gender=Gender.FEMALE, occupation="teacher",
            preferences=("silk",), interests=("gardening",), tags=("vip",),
            custom_attributes={"villa": True}, owner_id=owner, home_store_id=store,
        )
        assert erased_profile(profile) == Profile(
            kind=CustomerKind.PERSON, display_name=ERASED_DISPLAY_NAME, owner_id=owner,
            home_store_id=store)


class TestErase:
    async def _mrs_li(self, uow: FakeUnitOfWork) -> Customer:
        return await a_customer(
            uow, given_name="Xiuying", family_name="Li", interests=("gardening",),
            contact_points=(an_email(consents=(a_consent(EMAIL),)), a_phone()),
            household=(a_member(),), external_refs=(a_ref("pos-card", "HZ-000187"),),
        )

    async def test_the_personal_data_is_removed(self, uow: FakeUnitOfWork) -> None:
        customer = await _erase(uow, (await self._mrs_li(uow)).id)
        stored = uow.stored_customer(customer.id)
        assert stored.profile.display_name == ERASED_DISPLAY_NAME
        assert (stored.profile.given_name, stored.profile.interests) == (None, ())
        assert (stored.contact_points, stored.household, stored.external_refs) == ([], [], [])
        assert stored.erased_at == DEFAULT_NOW

    async def test_the_erasure_is_announced_with_its_reason_only(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await _erase(uow, (await self._mrs_li(uow)).id)
        event = uow.events[-1]
        assert (event.name, event.aggregate_id, event.data) == (
            "CustomerErased", customer.id, {"reason": "DSR-2026-114"})

    async def test_her_pos_card_can_be_given_to_someone_else(self, uow: FakeUnitOfWork) -> None:
        await _erase(uow, (await self._mrs_li(uow)).id)
        newcomer = await a_customer(uow, external_refs=(a_ref("pos-card", "HZ-000187"),))
        assert newcomer.external_refs[0].value == "HZ-000187"

    async def test_interactions_keep_their_facts_and_lose_their_free_text(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await self._mrs_li(uow)
        store = await a_store(uow)
        await an_interaction(uow, customer.id, summary="Loves gardening", store_id=store.id,
                             payload={**SALE, "noted_interest": "gardening"},
                             geo=GeoPoint(30.25, 120.16), place="Villa garden")
        await _erase(uow, customer.id)
        [kept] = uow.interactions_of(customer.id)
        assert (kept.channel, kept.kind, kept.occurred_at, kept.store_id, kept.payload) == (
            Channel.POS, "purchase", DEFAULT_NOW, store.id, SALE)
        assert (kept.summary, kept.place, kept.geo) == (None, None, None)

    async def test_cases_keep_their_facts_and_lose_their_free_text(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await self._mrs_li(uow)
        case = await a_case(uow, customer.id, description="Her villa address is …")
        await start_case(StartCase(case.id), uow=uow, viewer=ADMIN)
        await resolve_case(ResolveCase(case.id, "Called her on +86 138"), uow=uow,
                           viewer=ADMIN, sla=SlaPolicy.default())
        await _erase(uow, customer.id)
        kept = uow.stored_case(case.id)
        assert (kept.kind, kept.status, kept.opened_at) == (case.kind, kept.status, DEFAULT_NOW)
        assert (kept.subject, kept.description, kept.resolution_note) == ("[erased]", None, None)

    async def test_the_consent_history_stays_as_proof(self, uow: FakeUnitOfWork) -> None:
        customer = await self._mrs_li(uow)
        await _erase(uow, customer.id)
        assert [e.purpose for e in await _history(uow, customer.id)] == [EMAIL]

    async def test_erasing_twice_changes_nothing(self, uow: FakeUnitOfWork) -> None:
        customer = await _erase(uow, (await self._mrs_li(uow)).id)
        before = uow.snapshot()
        again = await _erase(uow, customer.id)
        assert again.version == customer.version
        assert uow.snapshot() == before

    async def test_the_records_merged_into_her_are_erased_too(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await self._mrs_li(uow)
        twin = await a_customer(uow, display_name="Li X.", birth_date=DEFAULT_NOW.date())
        await merge_customers(MergeCustomers(customer.id, twin.id), uow=uow, viewer=ADMIN,
                              parts=PARTS)
        await _erase(uow, customer.id)
        stored_twin = uow.stored_customer(twin.id)
        assert (stored_twin.profile.display_name, stored_twin.profile.birth_date) == (
            ERASED_DISPLAY_NAME, None)
        assert stored_twin.erased_at == DEFAULT_NOW

    async def test_a_merged_duplicates_id_erases_the_survivor(self, uow: FakeUnitOfWork) -> None:
        customer, twin = await self._mrs_li(uow), await a_customer(uow)
        await merge_customers(MergeCustomers(customer.id, twin.id), uow=uow, viewer=ADMIN,
                              parts=PARTS)
        erased = await _erase(uow, twin.id)
        assert erased.id == customer.id
        assert erased.is_erased

    async def test_an_unknown_customer_is_not_found(self, uow: FakeUnitOfWork) -> None:
        error = await refused(uow, _erase(uow, new_id()))
        assert problems(error) == {(("customer_id",), ErrorCode.NOT_FOUND)}

    @pytest.mark.parametrize("reason", ["", "  ", "x" * 201])
    async def test_a_reason_is_required_and_short(
        self, uow: FakeUnitOfWork, reason: str
    ) -> None:
        customer = await a_customer(uow)
        command = EraseCustomer(customer.id, reason)
        error = await refused(uow, erase_customer(command, uow=uow, viewer=ADMIN))
        assert {code for _, code in problems(error)} <= {ErrorCode.REQUIRED, ErrorCode.TOO_LONG}
        assert {path for path, _ in problems(error)} == {("reason",)}

    @pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
    async def test_only_an_admin_may_erase(self, uow: FakeUnitOfWork, role: Role) -> None:
        customer = await a_customer(uow)
        viewer = Viewer(role, f"test:{role.value}", member_id=customer.id)
        error = await refused(uow, _erase(uow, customer.id, viewer))
        assert problems(error) == {((), ErrorCode.NOT_ALLOWED)}


class TestErasedCustomerStaysErased:
    async def test_her_profile_cannot_be_edited(self, uow: FakeUnitOfWork) -> None:
        customer = await _erase(uow, (await a_customer(uow)).id)
        command = UpdateCustomer(customer.id, {"display_name": "Mrs. Li"})
        error = await refused(uow, update_customer(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("customer_id",), ErrorCode.ERASED)}

    async def test_no_contact_point_can_be_added(self, uow: FakeUnitOfWork) -> None:
        customer = await _erase(uow, (await a_customer(uow)).id)
        command = AddContactPoint(customer.id, an_email())
        error = await refused(uow, add_contact_point(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("customer_id",), ErrorCode.ERASED)}

    async def test_she_cannot_be_archived(self, uow: FakeUnitOfWork) -> None:
        customer = await _erase(uow, (await a_customer(uow)).id)
        command = ArchiveCustomer(customer.id)
        error = await refused(uow, archive_customer(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("customer_id",), ErrorCode.ERASED)}

    async def test_nobody_can_be_merged_into_her(self, uow: FakeUnitOfWork) -> None:
        customer = await _erase(uow, (await a_customer(uow)).id)
        other = await a_customer(uow)
        command = MergeCustomers(customer.id, other.id)
        error = await refused(uow, merge_customers(command, uow=uow, viewer=ADMIN, parts=PARTS))
        assert problems(error) == {(("survivor_id",), ErrorCode.ERASED)}

    async def test_she_cannot_be_merged_into_someone(self, uow: FakeUnitOfWork) -> None:
        customer = await _erase(uow, (await a_customer(uow)).id)
        other = await a_customer(uow)
        command = MergeCustomers(other.id, customer.id)
        error = await refused(uow, merge_customers(command, uow=uow, viewer=ADMIN, parts=PARTS))
        assert problems(error) == {(("duplicate_id",), ErrorCode.ERASED)}


class TestExport:
    async def _mrs_li(self, uow: FakeUnitOfWork) -> Customer:
        store = await a_store(uow, code="hz-westlake", name="West Lake")
        clerk = await a_staff_member(uow, name="Wang Fang", store_id=store.id)
        customer = await a_customer(
            uow, display_name="Mrs. Li", interests=("gardening",), home_store_id=store.id,
            owner_id=clerk.id, contact_points=(a_phone(consents=(a_consent(SMS),)),),
            household=(a_member(),), external_refs=(a_ref("pos-card", "HZ-000187"),),
        )
        await an_interaction(uow, customer.id, summary="Bought a scarf", payload=SALE,
                             store_id=store.id, staff_id=clerk.id)
        await a_case(uow, customer.id, owner_id=clerk.id)
        return customer

    async def test_the_document_holds_everything_about_her(self, uow: FakeUnitOfWork) -> None:
        customer = await self._mrs_li(uow)
        document = await _export(uow, customer.id)
        assert (document["format"], document["version"]) == ("rapport.customer-export", 1)
        assert document["exportedAt"] == DEFAULT_NOW.isoformat()
        profile = document["customer"]
        assert (profile["id"], profile["displayName"], profile["interests"]) == (
            str(customer.id), "Mrs. Li", ["gardening"])
        assert profile["owner"]["name"] == "Wang Fang"
        assert profile["homeStore"]["code"] == "hz-westlake"
        [point] = document["contactPoints"]
        assert point["consents"][0]["purpose"] == "MARKETING_SMS"
        assert [e["granted"] for e in point["consentHistory"]] == [True]
        assert [m["name"] for m in document["household"]] == ["Li Xiaoming"]
        assert document["externalRefs"][0]["value"] == "HZ-000187"
        [interaction] = document["interactions"]
        assert (interaction["summary"], interaction["payload"]) == ("Bought a scarf", SALE)
        assert interaction["staff"]["name"] == "Wang Fang"
        [case] = document["cases"]
        assert (case["subject"], case["owner"]["name"]) == ("Scarf came torn", "Wang Fang")

    async def test_nothing_of_other_customers_is_in_it(self, uow: FakeUnitOfWork) -> None:
        customer = await self._mrs_li(uow)
        other = await a_customer(uow, display_name="Lisa",
                                 contact_points=(an_email("lisa@example.com"),))
        await an_interaction(uow, other.id, summary="Lisa's visit")
        text = repr(await _export(uow, customer.id))
        assert "Lisa" not in text
        assert "lisa@example.com" not in text

    async def test_the_history_of_a_removed_point_is_kept_apart(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await _with_sms(uow)
        await remove_contact_point(RemoveCustomerItem(customer.id, customer.contact_points[0].id),
                                   uow=uow, viewer=ADMIN)
        document = await _export(uow, customer.id)
        assert document["contactPoints"] == []
        assert [e["purpose"] for e in document["formerContactPointsConsentHistory"]] == [
            "MARKETING_SMS"]

    async def test_a_merged_duplicates_id_exports_the_survivor_with_the_merged_record(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await self._mrs_li(uow)
        twin = await a_customer(uow, display_name="Li X.")
        await merge_customers(MergeCustomers(customer.id, twin.id), uow=uow, viewer=ADMIN,
                              parts=PARTS)
        document = await _export(uow, twin.id)
        assert document["customer"]["id"] == str(customer.id)
        assert [r["displayName"] for r in document["mergedRecords"]] == ["Li X."]

    async def test_an_export_writes_nothing(self, uow: FakeUnitOfWork) -> None:
        customer = await self._mrs_li(uow)
        before = uow.snapshot()
        await _export(uow, customer.id)
        assert uow.snapshot() == before

    async def test_an_unknown_customer_is_not_found(self, uow: FakeUnitOfWork) -> None:
        error = await refused(uow, _export(uow, new_id()))
        assert problems(error) == {(("customer_id",), ErrorCode.NOT_FOUND)}

    @pytest.mark.parametrize("role", [Role.PARTNER, Role.ANALYTICS])
    async def test_roles_without_the_export_operation_are_refused(
        self, uow: FakeUnitOfWork, role: Role
    ) -> None:
        customer = await a_customer(uow)
        error = await refused(uow, _export(uow, customer.id, Viewer(role, "test")))
        assert problems(error) == {((), ErrorCode.NOT_ALLOWED)}

    async def test_a_clerk_outside_her_stores_is_refused(self, uow: FakeUnitOfWork) -> None:
        customer = await self._mrs_li(uow)
        error = await refused(uow, _export(uow, customer.id, CLERK))
        assert problems(error) == {((), ErrorCode.NOT_ALLOWED)}

    async def test_a_clerk_of_her_home_store_may_export(self, uow: FakeUnitOfWork) -> None:
        customer = await self._mrs_li(uow)
        assert customer.profile.home_store_id is not None
        clerk = Viewer(Role.STAFF, "staff:wang",
                       store_ids=frozenset({customer.profile.home_store_id}))
        document = await _export(uow, customer.id, clerk)
        assert document["customer"]["id"] == str(customer.id)

    async def test_the_member_herself_may_export_through_the_storefront(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow)
        member = Viewer(Role.STOREFRONT, "client:web-shop", member_id=customer.id)
        document = await _export(uow, customer.id, member)
        assert document["customer"]["id"] == str(customer.id)
