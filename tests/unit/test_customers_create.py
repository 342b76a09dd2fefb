"""customerCreate: validation of every field at once, normalisation, links and idempotency."""

from datetime import date, timedelta
from typing import Any

import pytest

from domain.customers.commands import ContactPointInput, CreateCustomer, ImportantDateInput
from domain.customers.model import (
    Consent,
    ConsentPurpose,
    ContactKind,
    Occasion,
    Relationship,
)
from domain.customers.rules import MAX_CUSTOM_ATTRIBUTES_BYTES
from domain.customers.services import create_customer
from domain.shared.errors import ErrorCode
from domain.shared.ids import new_id
from tests.builders import (
    ADMIN,
    Problem,
    a_consent,
    a_customer,
    a_member,
    a_phone,
    a_ref,
    a_staff_member,
    a_store,
    an_email,
    create_command,
    problems,
    refused,
)
from tests.fakes import DEFAULT_NOW, FakeUnitOfWork

TOMORROW = DEFAULT_NOW.date() + timedelta(days=1)
SOCIAL = ContactKind.SOCIAL


def _oversize_attributes() -> dict[str, Any]:
    return {"notes": "x" * MAX_CUSTOM_ATTRIBUTES_BYTES}


def _dates(n: int) -> tuple[ImportantDateInput, ...]:
    return tuple(ImportantDateInput(Occasion.OTHER, date(2020, 1, 1)) for _ in range(n))


# (profile and command fields, the one problem expected)
BAD_INPUTS: dict[str, tuple[dict[str, Any], Problem]] = {
    "no name at all": ({"display_name": ""}, (("display_name",), ErrorCode.REQUIRED)),
    "blank display name": ({"display_name": "   "}, (("display_name",), ErrorCode.REQUIRED)),
    "display name too long": ({"display_name": "x" * 201}, (("display_name",), ErrorCode.TOO_LONG)),
    "given name too long": ({"given_name": "x" * 101}, (("given_name",), ErrorCode.TOO_LONG)),
    "family name too long": ({"family_name": "x" * 101}, (("family_name",), ErrorCode.TOO_LONG)),
    "occupation too long": (
        {"display_name": "Li", "occupation": "x" * 101},
        (("occupation",), ErrorCode.TOO_LONG),
    ),
    "empty tag": (
        {"display_name": "Li", "tags": ["vip", " "]},
        (("tags", "1"), ErrorCode.REQUIRED),
    ),
    "tag too long": (
        {"display_name": "Li", "tags": ["x" * 81]},
        (("tags", "0"), ErrorCode.TOO_LONG),
    ),
    "too many interests": (
        {"display_name": "Li", "interests": [f"i{n}" for n in range(101)]},
        (("interests",), ErrorCode.TOO_LARGE),
    ),
    "birth date in the future": (
        {"display_name": "Li", "birth_date": TOMORROW},
        (("birth_date",), ErrorCode.INVALID),
    ),
    "birth date before 1900": (
        {"display_name": "Li", "birth_date": date(1899, 12, 31)},
        (("birth_date",), ErrorCode.INVALID),
    ),
    "custom attributes over 16 KiB": (
        {"display_name": "Li", "custom_attributes": _oversize_attributes()},
        (("custom_attributes",), ErrorCode.TOO_LARGE),
    ),
    "custom attributes not an object": (
        {"display_name": "Li", "custom_attributes": ["gardening"]},
        (("custom_attributes",), ErrorCode.INVALID),
    ),
    "custom attributes not plain JSON": (
        {"display_name": "Li", "custom_attributes": {"since": date(2020, 1, 1)}},
        (("custom_attributes",), ErrorCode.INVALID),
    ),
    "unknown profile field": (
        {"display_name": "Li", "nickname": "Mei"},
        (("nickname",), ErrorCode.INVALID),
    ),
    "malformed email": (
        {"contact_points": (an_email("mrs.li@example"),)},
        (("contact_points", "0", "value"), ErrorCode.INVALID),
    ),
    "malformed phone": (
        {"contact_points": (a_phone("138-05"),)},
        (("contact_points", "0", "value"), ErrorCode.INVALID),
    ),
    "letters in a phone": (
        {"contact_points": (a_phone("+86 138 CALL ME"),)},
        (("contact_points", "0", "value"), ErrorCode.INVALID),
    ),
    "empty contact value": (
        {"contact_points": (an_email(" "),)},
        (("contact_points", "0", "value"), ErrorCode.REQUIRED),
    ),
    "social handle without platform": (
        {"contact_points": (ContactPointInput(SOCIAL, "lisa_films"),)},
        (("contact_points", "0", "platform"), ErrorCode.REQUIRED),
    ),
    "social platform not a slug": (
        {"contact_points": (ContactPointInput(SOCIAL, "lisa_films", platform="We Chat"),)},
        (("contact_points", "0", "platform"), ErrorCode.INVALID),
    ),
    "contact label too long": (
        {"contact_points": (an_email(label="x" * 51),)},
        (("contact_points", "0", "label"), ErrorCode.TOO_LONG),
    ),
    "external ref system not a slug": (
        {"external_refs": (a_ref("POS Card", "HZ-1"),)},
        (("external_refs", "0", "system"), ErrorCode.INVALID),
    ),
    "external ref without value": (
        {"external_refs": (a_ref("pos-card", " "),)},
        (("external_refs", "0", "value"), ErrorCode.REQUIRED),
    ),
    "the same external ref twice": (
        {"external_refs": (a_ref("pos-card", "HZ-1"), a_ref("POS-CARD", "HZ-1"))},
        (("external_refs", "1"), ErrorCode.DUPLICATE),
    ),
    "household member without name": (
        {"household": (a_member(name=""),)},
        (("household", "0", "name"), ErrorCode.REQUIRED),
    ),
    "household member born tomorrow": (
        {"household": (a_member(birth_date=TOMORROW),)},
        (("household", "0", "birth_date"), ErrorCode.INVALID),
    ),
    "more than 20 important dates": (
        {"household": (a_member(important_dates=_dates(21)),)},
        (("household", "0", "important_dates"), ErrorCode.TOO_LARGE),
    ),
    "important date label too long": (
        {
            "household": (
                a_member(
                    important_dates=(
                        ImportantDateInput(Occasion.TRIP, date(2026, 7, 1), label="x" * 101),
                    )
                ),
            )
        },
        (("household", "0", "important_dates", "0", "label"), ErrorCode.TOO_LONG),
    ),
}


class TestCreateCustomerValidation:
    @pytest.mark.parametrize(("fields", "expected"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
    async def test_bad_input_is_refused_at_its_field(
        self, uow: FakeUnitOfWork, fields: dict[str, Any], expected: Problem
    ) -> None:
        command = create_command(**fields)
        error = await refused(uow, create_customer(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {expected}

    async def test_every_problem_is_reported_at_once(self, uow: FakeUnitOfWork) -> None:
        command = CreateCustomer(
            profile={
                "display_name": "x" * 201,
                "given_name": "x" * 101,
                "birth_date": TOMORROW,
                "custom_attributes": _oversize_attributes(),
                "nickname": "Mei",
            },
            contact_points=(
                an_email("not-an-email"),
                a_phone("12ab"),
                ContactPointInput(SOCIAL, "lisa"),
            ),
            household=(a_member(name="", birth_date=date(1850, 1, 1)),),
            external_refs=(a_ref("POS Card", "HZ-1"),),
        )
        error = await refused(uow, create_customer(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {
            (("display_name",), ErrorCode.TOO_LONG),
            (("given_name",), ErrorCode.TOO_LONG),
            (("birth_date",), ErrorCode.INVALID),
            (("custom_attributes",), ErrorCode.TOO_LARGE),
            (("nickname",), ErrorCode.INVALID),
            (("contact_points", "0", "value"), ErrorCode.INVALID),
            (("contact_points", "1", "value"), ErrorCode.INVALID),
            (("contact_points", "2", "platform"), ErrorCode.REQUIRED),
            (("household", "0", "name"), ErrorCode.REQUIRED),
            (("household", "0", "birth_date"), ErrorCode.INVALID),
            (("external_refs", "0", "system"), ErrorCode.INVALID),
        }

    async def test_the_limits_themselves_are_accepted(self, uow: FakeUnitOfWork) -> None:
        wrapper = len('{"notes": ""}')
        customer = await a_customer(
            uow,
            display_name="x" * 200,
            given_name="x" * 100,
            family_name="x" * 100,
            birth_date=date(1900, 1, 1),
            custom_attributes={"notes": "x" * (MAX_CUSTOM_ATTRIBUTES_BYTES - wrapper)},
            tags=[f"t{n}" for n in range(100)],
        )
        assert uow.stored_customer(customer.id) == customer

    async def test_a_birth_date_of_today_is_accepted(self, uow: FakeUnitOfWork) -> None:
        today = uow.clock.now().date()
        customer = await a_customer(uow, display_name="Baby Li", birth_date=today)
        assert customer.profile.birth_date == today


class TestCreateCustomer:
    async def test_a_new_customer_is_stored_at_version_1_and_announced(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow, display_name="Mrs. Li")
        stored = uow.stored_customer(customer.id)
        assert stored == customer
        assert (stored.version, stored.created_at, stored.updated_at) == (
            1,
            uow.clock.now(),
            uow.clock.now(),
        )
        assert not stored.is_archived
        assert stored.merged_into_id is None
        assert [(e.name, e.aggregate_id) for e in uow.events] == [("CustomerCreated", customer.id)]

    async def test_the_display_name_is_derived_from_given_and_family_name(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow, given_name=" Mei ", family_name="Li")
        assert customer.profile.display_name == "Mei Li"
        assert (customer.profile.given_name, customer.profile.family_name) == ("Mei", "Li")

    async def test_a_given_name_alone_makes_the_display_name(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow, given_name="Lisa")
        assert customer.profile.display_name == "Lisa"

    async def test_a_display_name_given_wins_over_the_names(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(
            uow, display_name=" Mrs. Li ", given_name="Mei", family_name="Li"
        )
        assert customer.profile.display_name == "Mrs. Li"

    async def test_emails_are_lower_cased_and_phones_stripped_of_separators(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(
            uow,
            contact_points=(
                an_email("  Mrs.Li@Example.COM "),
                a_phone("+86 (138) 0571-0187"),
                a_phone("0571.8888.1234"),
            ),
        )
        assert [c.value for c in customer.contact_points] == [
            "mrs.li@example.com",
            "+8613805710187",
            "057188881234",
        ]

    async def test_an_address_is_kept_as_typed_but_trimmed(self, uow: FakeUnitOfWork) -> None:
        address = ContactPointInput(ContactKind.ADDRESS, "  12 Lingyin Rd, Hangzhou ")
        customer = await a_customer(uow, contact_points=(address,))
        assert customer.contact_points[0].value == "12 Lingyin Rd, Hangzhou"

    async def test_a_social_platform_is_lower_cased(self, uow: FakeUnitOfWork) -> None:
        handle = ContactPointInput(SOCIAL, "lisa_films", platform="WeChat")
        customer = await a_customer(uow, contact_points=(handle,))
        assert customer.contact_points[0].platform == "wechat"

    async def test_tags_interests_and_preferences_are_trimmed_and_de_duplicated_in_order(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(
            uow,
            display_name="Mrs. Li",
            tags=["vip", " villa ", "vip", "villa"],
            interests=["gardening", "gardening "],
            preferences=["silk", "linen", "silk"],
        )
        profile = customer.profile
        assert profile.tags == ("vip", "villa")
        assert profile.interests == ("gardening",)
        assert profile.preferences == ("silk", "linen")

    async def test_consents_given_at_creation_are_recorded_at_that_time(
        self, uow: FakeUnitOfWork
    ) -> None:
        email = an_email(
            consents=(
                a_consent(ConsentPurpose.MARKETING_EMAIL),
                a_consent(ConsentPurpose.PARTNER_SHARING, granted=False),
            )
        )
        customer = await a_customer(uow, contact_points=(email,))
        point = customer.contact_points[0]
        now = uow.clock.now()
        assert point.consents == (
            Consent(ConsentPurpose.MARKETING_EMAIL, True, now),
            Consent(ConsentPurpose.PARTNER_SHARING, False, now),
        )
        assert point.consent_for(ConsentPurpose.MARKETING_EMAIL)
        assert not point.consent_for(ConsentPurpose.PARTNER_SHARING)

    async def test_household_members_keep_their_important_dates(self, uow: FakeUnitOfWork) -> None:
        son = a_member(
            "Li Xiaoming",
            Relationship.CHILD,
            birth_date=date(2015, 6, 1),
            important_dates=(ImportantDateInput(Occasion.BIRTHDAY, date(2015, 6, 1)),),
        )
        customer = await a_customer(uow, household=(son,))
        member = uow.stored_customer(customer.id).household[0]
        assert (member.name, member.relationship, member.birth_date) == (
            "Li Xiaoming",
            Relationship.CHILD,
            date(2015, 6, 1),
        )
        assert [(d.occasion, d.date) for d in member.important_dates] == [
            (Occasion.BIRTHDAY, date(2015, 6, 1))
        ]

    async def test_an_external_reference_system_is_lower_cased(self, uow: FakeUnitOfWork) -> None:
        customer = await a_customer(uow, external_refs=(a_ref("POS-Card", "HZ-000187"),))
        assert [(r.system, r.value) for r in customer.external_refs] == [("pos-card", "HZ-000187")]

    async def test_an_external_reference_owned_by_another_customer_is_a_duplicate(
        self, uow: FakeUnitOfWork
    ) -> None:
        await a_customer(uow, external_refs=(a_ref("pos-card", "HZ-000187"),))
        command = create_command(
            external_refs=(a_ref("shop", "u-1"), a_ref("pos-card", "HZ-000187"))
        )
        error = await refused(uow, create_customer(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("external_refs", "1"), ErrorCode.DUPLICATE)}

    async def test_the_same_value_in_another_system_is_not_a_duplicate(
        self, uow: FakeUnitOfWork
    ) -> None:
        await a_customer(uow, external_refs=(a_ref("pos-card", "187"),))
        customer = await a_customer(uow, external_refs=(a_ref("shop", "187"),))
        assert len(uow.data.customers) == 2
        assert customer.external_refs[0].system == "shop"

    async def test_an_unknown_owner_is_not_found(self, uow: FakeUnitOfWork) -> None:
        command = create_command(display_name="Mrs. Li", owner_id=new_id())
        error = await refused(uow, create_customer(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("owner_id",), ErrorCode.NOT_FOUND)}

    async def test_an_unknown_home_store_is_not_found(self, uow: FakeUnitOfWork) -> None:
        command = create_command(display_name="Mrs. Li", home_store_id=new_id())
        error = await refused(uow, create_customer(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("home_store_id",), ErrorCode.NOT_FOUND)}

    async def test_a_known_owner_and_home_store_are_linked(self, uow: FakeUnitOfWork) -> None:
        store = await a_store(uow)
        clerk = await a_staff_member(uow, store_id=store.id)
        customer = await a_customer(
            uow, display_name="Mrs. Li", owner_id=clerk.id, home_store_id=store.id
        )
        assert (customer.profile.owner_id, customer.profile.home_store_id) == (clerk.id, store.id)


class TestCreateCustomerIdempotency:
    async def test_the_same_key_with_the_same_input_replays_the_first_customer(
        self, uow: FakeUnitOfWork
    ) -> None:
        command = create_command(
            display_name="Mrs. Li",
            external_refs=(a_ref("pos-card", "HZ-1"),),
            idempotency_key="till-7-0042",
        )
        first = await create_customer(command, uow=uow, viewer=ADMIN)
        before = uow.snapshot()
        uow.fixed_clock.advance(minutes=1)
        again = await create_customer(command, uow=uow, viewer=ADMIN)
        assert again == first
        assert list(uow.data.customers) == [first.id]
        assert uow.snapshot() == before

    async def test_the_same_key_with_another_input_is_refused(self, uow: FakeUnitOfWork) -> None:
        await a_customer(uow, display_name="Mrs. Li", idempotency_key="till-7-0042")
        command = create_command(display_name="Lisa", idempotency_key="till-7-0042")
        error = await refused(uow, create_customer(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("idempotency_key",), ErrorCode.IDEMPOTENCY_KEY_REUSED)}

    async def test_different_keys_make_different_customers(self, uow: FakeUnitOfWork) -> None:
        await a_customer(uow, display_name="Mrs. Li", idempotency_key="till-7-0042")
        await a_customer(uow, display_name="Mrs. Li", idempotency_key="till-7-0043")
        assert len(uow.data.customers) == 2

    async def test_without_a_key_a_repeat_makes_a_second_customer(
        self, uow: FakeUnitOfWork
    ) -> None:
        await a_customer(uow, display_name="Mrs. Li")
        await a_customer(uow, display_name="Mrs. Li")
        assert len(uow.data.customers) == 2

    async def test_invalid_input_does_not_claim_the_key(self, uow: FakeUnitOfWork) -> None:
        bad = create_command(display_name="", idempotency_key="till-7-0042")
        await refused(uow, create_customer(bad, uow=uow, viewer=ADMIN))
        customer = await a_customer(uow, display_name="Mrs. Li", idempotency_key="till-7-0042")
        assert list(uow.data.customers) == [customer.id]
