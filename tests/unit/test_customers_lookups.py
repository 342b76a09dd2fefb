"""Lookups of one customer (domain/customers/queries.py): a handle typed by a caller finds
what the customer rules stored from the same text."""

from datetime import datetime

import pytest

from domain.customers.commands import ContactPointInput, ExternalReferenceInput
from domain.customers.model import ContactKind
from domain.customers.queries import ByEmail, ByExternalRef, ByPhone
from domain.customers.rules import contact_point_from, external_ref_from
from domain.shared.validation import Problems

NOW = datetime(2026, 3, 1, 9, 0).astimezone()


def _stored_contact(kind: ContactKind, value: str) -> str:
    problems = Problems()
    point = contact_point_from(ContactPointInput(kind=kind, value=value), ("p",), problems, NOW)
    assert not problems.found
    return point.value


@pytest.mark.parametrize("typed", ["li.ying@example.cn", "  Li.Ying@Example.CN ",
                                   "LI.YING@EXAMPLE.CN"])
def test_an_email_finds_the_address_as_stored(typed: str) -> None:
    stored = _stored_contact(ContactKind.EMAIL, "Li.Ying@example.cn")
    assert ByEmail.of(typed) == ByEmail(stored)


def test_a_text_that_is_no_email_is_looked_up_as_typed_in_lower_case() -> None:
    assert ByEmail.of(" Not An Address ") == ByEmail("not an address")


@pytest.mark.parametrize("typed", ["+8613800001111", "+86 138 0000 1111", "+86-138-0000-1111",
                                   " (+86) 138.0000.1111 "])
def test_a_phone_finds_the_number_as_stored(typed: str) -> None:
    stored = _stored_contact(ContactKind.PHONE, "+86 138-0000-1111")
    assert ByPhone.of(typed) == ByPhone(stored)


def test_a_text_that_is_no_phone_number_finds_nobody() -> None:
    assert ByPhone.of("call me") == ByPhone("")


def test_an_external_reference_finds_the_reference_as_stored() -> None:
    problems = Problems()
    stored = external_ref_from(ExternalReferenceInput("pos-card", "HZ-000187"), ("r",), problems)
    assert ByExternalRef.of(" POS-Card ", " HZ-000187 ") == ByExternalRef(
        stored.system, stored.value)
