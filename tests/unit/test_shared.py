"""Shared building blocks: ids, idempotency fingerprints, page requests, normalisation,
money as text."""

import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.customers.commands import CreateCustomer
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.idempotency import Claim, fingerprint, replayed_result
from domain.shared.ids import new_id
from domain.shared.money import money_text
from domain.shared.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest
from domain.shared.validation import normalise_email, normalise_phone
from tests.builders import a_ref, problems


def _millis(value: uuid.UUID) -> int:
    return value.int >> 80


class TestNewId:
    def test_it_is_an_rfc_9562_version_7_uuid(self) -> None:
        value = new_id()
        assert value.version == 7
        assert value.variant == uuid.RFC_4122

    def test_it_carries_the_current_unix_milliseconds(self) -> None:
        before = time.time_ns() // 1_000_000
        value = new_id()
        after = time.time_ns() // 1_000_000
        assert before <= _millis(value) <= after

    def test_successive_ids_are_in_non_decreasing_time_order_and_distinct(self) -> None:
        ids = [new_id() for _ in range(2000)]
        stamps = [_millis(i) for i in ids]
        assert stamps == sorted(stamps)
        assert len(set(ids)) == len(ids)

    def test_ids_made_in_later_milliseconds_sort_after_earlier_ones(self) -> None:
        first = new_id()
        time.sleep(0.002)
        assert new_id() > first


@dataclass(frozen=True)
class _Command:
    name: str
    tags: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None


class TestFingerprint:
    def test_it_ignores_the_idempotency_key(self) -> None:
        assert fingerprint(_Command("Li", idempotency_key="a")) == fingerprint(
            _Command("Li", idempotency_key="b")
        )

    def test_it_is_stable_for_the_same_content(self) -> None:
        first = _Command("Li", ("vip",), {"a": 1, "b": date(2020, 1, 1)})
        same = _Command("Li", ("vip",), {"b": date(2020, 1, 1), "a": 1})
        assert fingerprint(first) == fingerprint(same)
        assert len(fingerprint(first)) == 64
        assert int(fingerprint(first), 16) >= 0

    def test_it_changes_with_the_content(self) -> None:
        base = _Command("Li", ("vip",))
        assert fingerprint(base) != fingerprint(_Command("Lee", ("vip",)))
        assert fingerprint(base) != fingerprint(_Command("Li", ("villa",)))

    def test_it_covers_nested_inputs(self) -> None:
        one = CreateCustomer(profile={"display_name": "Li"}, external_refs=(a_ref("pos", "1"),))
        two = CreateCustomer(profile={"display_name": "Li"}, external_refs=(a_ref("pos", "2"),))
        assert fingerprint(one) != fingerprint(two)

    def test_it_accepts_plain_dicts_too(self) -> None:
        assert fingerprint({"a": 1, "idempotency_key": "x"}) == fingerprint({"a": 1})


class TestReplayedResult:
    def test_a_first_call_has_nothing_to_replay(self) -> None:
        assert replayed_result(None, "digest") is None

    def test_a_faithful_retry_gets_the_first_result(self) -> None:
        first = new_id()
        assert replayed_result(Claim("digest", first), "digest") == first

    def test_a_retry_with_another_input_is_refused(self) -> None:
        with pytest.raises(DomainError) as caught:
            replayed_result(Claim("digest", new_id()), "other")
        assert problems(caught.value) == {(("idempotency_key",), ErrorCode.IDEMPOTENCY_KEY_REUSED)}


class TestPageRequest:
    @pytest.mark.parametrize(
        "request_",
        [
            PageRequest(),
            PageRequest(first=0),
            PageRequest(first=MAX_PAGE_SIZE),
            PageRequest(last=1, before="c"),
            PageRequest(first=10, after="c"),
        ],
    )
    def test_a_sensible_request_is_accepted(self, request_: PageRequest) -> None:
        assert request_.validated() == request_

    def test_first_and_last_together_are_refused(self) -> None:
        with pytest.raises(DomainError) as caught:
            PageRequest(first=10, last=10).validated()
        assert problems(caught.value) == {(("last",), ErrorCode.INVALID)}

    @pytest.mark.parametrize("name", ["first", "last"])
    @pytest.mark.parametrize("size", [-1, MAX_PAGE_SIZE + 1])
    def test_a_negative_or_oversize_page_is_refused(self, name: str, size: int) -> None:
        with pytest.raises(DomainError) as caught:
            PageRequest(**dict[str, Any]({name: size})).validated()
        assert problems(caught.value) == {((name,), ErrorCode.INVALID)}

    def test_every_problem_is_reported_at_once(self) -> None:
        with pytest.raises(DomainError) as caught:
            PageRequest(first=-1, last=101).validated()
        assert problems(caught.value) == {
            (("last",), ErrorCode.INVALID),
            (("first",), ErrorCode.INVALID),
        }
        assert len(caught.value.errors) == 3

    def test_the_size_defaults_and_follows_the_direction(self) -> None:
        assert (PageRequest().size, PageRequest().backwards) == (DEFAULT_PAGE_SIZE, False)
        assert (PageRequest(first=5).size, PageRequest(last=7).size) == (5, 7)
        assert PageRequest(last=7).backwards


class TestNormalisation:
    @pytest.mark.parametrize(
        ("typed", "stored"),
        [
            (" Mrs.Li@Example.COM ", "mrs.li@example.com"),
            ("a@b.cn", "a@b.cn"),
            ("li@example", None),
            ("li@@example.com", None),
            ("li @example.com", None),
            ("@example.com", None),
            ("li@example.c", None),
        ],
    )
    def test_emails(self, typed: str, stored: str | None) -> None:
        assert normalise_email(typed) == stored

    @pytest.mark.parametrize(
        ("typed", "stored"),
        [
            ("+86 (138) 0571-0187", "+8613805710187"),
            ("0571.8888.1234", "057188881234"),
            ("123456", "123456"),
            ("12345", None),
            ("+1234567890123456", None),
            ("138 CALL ME", None),
            ("++8613805710187", None),
        ],
    )
    def test_phones(self, typed: str, stored: str | None) -> None:
        assert normalise_phone(typed) == stored


class TestMoneyText:
    @pytest.mark.parametrize(
        ("amount", "currency", "text"),
        [
            ("1E+3", "CNY", "1000.00"),
            ("4800", "CNY", "4800.00"),
            ("1280.00", "CNY", "1280.00"),
            ("2E+4", "JPY", "20000"),
            ("1.5", "KWD", "1.500"),
            ("-19", "CNY", "-19.00"),
        ],
    )
    def test_an_amount_is_fixed_point_with_its_currencys_decimals(
        self, amount: str, currency: str, text: str
    ) -> None:
        assert money_text(Decimal(amount), currency) == text

    def test_an_amount_finer_than_its_currency_keeps_its_digits(self) -> None:
        assert money_text(Decimal("1E-3"), "CNY") == "0.001"
