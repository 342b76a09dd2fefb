"""The alliance's pure rules: grant codes, what a purchase triggers, quotas' periods, cost
sharing, settlement periods and totals, and the checks on an offer's definition."""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.customers.model import Customer, CustomerKind, Profile
from domain.loyalty.model import Programme, Purchase, PurchaseLine, SalesChannel, Tier
from domain.partners import codes
from domain.partners.grants import purchase_triggers, quota_period, quota_period_start
from domain.partners.model import (
    Benefit,
    BenefitKind,
    CostSharing,
    Direction,
    EntryKind,
    Offer,
    Payer,
    Quota,
    QuotaPeriod,
    Settlement,
    SettlementLine,
    Trigger,
    TriggerKind,
    next_period,
    period_bounds,
    period_of,
)
from domain.partners.offers import check_offer_fields
from domain.partners.settlement import checked_period
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.validation import Problems

NOW = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)


class TestGrantCodes:
    def test_a_new_code_reads_back_as_itself_however_it_is_typed(self) -> None:
        code = codes.new_code()
        typed = codes.displayed(code).lower().replace("-", " ")
        assert codes.canonical(typed) == code

    def test_a_code_is_shown_in_groups_of_four(self) -> None:
        shown = codes.displayed(codes.new_code())
        assert [len(group) for group in shown.split("-")] == [4, 4, 4, 4]

    def test_every_single_mistyped_character_is_caught(self) -> None:
        code = codes.new_code()
        for place in range(len(code)):
            for other in codes.ALPHABET.replace(code[place], ""):
                assert codes.canonical(code[:place] + other + code[place + 1:]) is None

    def test_o_reads_as_zero_and_i_or_l_as_one(self) -> None:
        code = next(c for c in iter(codes.new_code, None) if "0" in c and "1" in c)
        typed = code.replace("0", "o").replace("1", "l")
        assert codes.canonical(typed) == code

    @pytest.mark.parametrize("typed", ["", "ABC", "U" * codes.LENGTH, "!" * codes.LENGTH])
    def test_what_cannot_be_a_code_is_refused_before_any_lookup(self, typed: str) -> None:
        assert codes.canonical(typed) is None

    def test_codes_do_not_repeat(self) -> None:
        assert len({codes.new_code() for _ in range(2000)}) == 2000


def a_programme() -> Programme:
    return Programme(id=uuid4(), code="beauty", name="Beauty", currency="CNY",
                     tiers=(Tier(uuid4(), "member", "Member", 0, Decimal(0)),))


def lisa(birth_date: date | None = None) -> Customer:
    return Customer(id=uuid4(), profile=Profile(CustomerKind.PERSON, "Lisa",
                                                birth_date=birth_date),
                    created_at=NOW, updated_at=NOW)


def a_purchase(*lines: PurchaseLine, at: datetime = NOW) -> Purchase:
    return Purchase(id=uuid4(), programme_id=uuid4(), customer_id=uuid4(),
                    channel=SalesChannel.POS, order_id="A-1", occurred_at=at, recorded_at=at,
                    currency="CNY", payment_total=sum((line.net for line in lines), Decimal(0)),
                    lines=lines, fingerprint="x")


def a_line(sku: str = "MASCARA-01", category: str | None = "makeup", quantity: int = 1,
           unit_price: str = "320.00", refunded: int = 0) -> PurchaseLine:
    return PurchaseLine(line_no=1, sku=sku, quantity=quantity, unit_price=Decimal(unit_price),
                        category=category, refunded_quantity=refunded)


def an_offer(trigger: Trigger) -> Offer:
    return Offer(id=uuid4(), partner_id=uuid4(), code="cinema-ticket", title="A movie ticket",
                 benefit=Benefit(BenefitKind.FREE_ITEM, item="ticket"), trigger=trigger,
                 cost=CostSharing(Payer.BRAND, Decimal("35.00")))


class TestWhatAPurchaseTriggers:
    def test_a_line_of_the_category_triggers_once_per_purchase(self) -> None:
        purchase = a_purchase(a_line())
        offer = an_offer(Trigger(TriggerKind.PURCHASE, category="makeup"))
        assert purchase_triggers(offer, purchase, a_programme(), lisa()) == \
            f"purchase:{purchase.id}"

    def test_no_line_of_the_category_triggers_nothing(self) -> None:
        offer = an_offer(Trigger(TriggerKind.PURCHASE, category="skincare"))
        assert purchase_triggers(offer, a_purchase(a_line()), a_programme(), lisa()) is None

    def test_the_minimum_spend_counts_only_matching_lines(self) -> None:
        purchase = a_purchase(a_line(), replace(a_line(category="bags", unit_price="5000"),
                                                line_no=2))
        offer = an_offer(Trigger(TriggerKind.PURCHASE, category="makeup",
                                 min_spend=Decimal(500)))
        assert purchase_triggers(offer, purchase, a_programme(), lisa()) is None

    def test_returned_lines_no_longer_count(self) -> None:
        purchase = a_purchase(a_line(quantity=2, refunded=1))
        offer = an_offer(Trigger(TriggerKind.PURCHASE, min_spend=Decimal(500)))
        assert purchase_triggers(offer, purchase, a_programme(), lisa()) is None
        fully_returned = a_purchase(a_line(refunded=1))
        any_purchase = an_offer(Trigger(TriggerKind.PURCHASE))
        assert purchase_triggers(any_purchase, fully_returned, a_programme(), lisa()) is None

    def test_a_sku_trigger_wants_that_sku(self) -> None:
        offer = an_offer(Trigger(TriggerKind.PURCHASE, sku="LIPSTICK-02"))
        assert purchase_triggers(offer, a_purchase(a_line()), a_programme(), lisa()) is None

    def test_a_birthday_month_purchase_triggers_once_a_year(self) -> None:
        offer = an_offer(Trigger(TriggerKind.BIRTHDAY_MONTH))
        born_in_december = lisa(birth_date=date(1994, 12, 20))
        assert purchase_triggers(offer, a_purchase(a_line()), a_programme(),
                                 born_in_december) == "birthday:2026"
        assert purchase_triggers(offer, a_purchase(a_line()), a_programme(),
                                 lisa(birth_date=date(1994, 6, 1))) is None


class TestQuotaPeriods:
    @pytest.mark.parametrize(("period", "start"), [
        (QuotaPeriod.DAY, datetime(2026, 12, 2, tzinfo=UTC)),
        (QuotaPeriod.WEEK, datetime(2026, 11, 30, tzinfo=UTC)),  # a Monday
        (QuotaPeriod.MONTH, datetime(2026, 12, 1, tzinfo=UTC)),
    ])
    def test_a_period_begins_at_midnight_utc(self, period: QuotaPeriod,
                                             start: datetime) -> None:
        assert quota_period_start(period, NOW) == start

    @pytest.mark.parametrize(("period", "end"), [
        (QuotaPeriod.DAY, datetime(2026, 12, 3, tzinfo=UTC)),
        (QuotaPeriod.WEEK, datetime(2026, 12, 7, tzinfo=UTC)),
        (QuotaPeriod.MONTH, datetime(2027, 1, 1, tzinfo=UTC)),
    ])
    def test_a_period_ends_where_the_next_begins(self, period: QuotaPeriod,
                                                 end: datetime) -> None:
        assert quota_period(period, NOW) == (quota_period_start(period, NOW), end)
        assert quota_period_start(period, end) == end


class TestCostSharing:
    def test_the_brand_pays_the_whole_cost_or_its_share_or_nothing(self) -> None:
        assert CostSharing(Payer.BRAND, Decimal(40)).brand_owes == Decimal(40)
        assert CostSharing(Payer.SHARED, Decimal(40), Decimal("0.25")).brand_owes == 10
        assert CostSharing(Payer.PARTNER, Decimal(40)).brand_owes == 0


class TestSettlementPeriods:
    def test_a_period_is_a_utc_month(self) -> None:
        assert period_of(NOW) == "2026-12"
        assert next_period("2026-12") == "2027-01"
        assert period_bounds("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))

    @pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-01", "december", ""])
    def test_anything_but_year_and_month_is_refused(self, text: str) -> None:
        with pytest.raises(DomainError) as refused:
            checked_period(text)
        assert refused.value.errors[0].code is ErrorCode.INVALID

    def test_totals_net_what_each_side_owes(self) -> None:
        settlement = Settlement(uuid4(), "2026-11", "CNY", closed=False, lines=(
            SettlementLine(EntryKind.REDEMPTION, Direction.BRAND_OWES, uuid4(), 3,
                           Decimal("105.00"), 0),
            SettlementLine(EntryKind.REDEMPTION_REVERSAL, Direction.BRAND_OWES, uuid4(), 1,
                           Decimal("-35.00"), 0),
            SettlementLine(EntryKind.COALITION_EARN, Direction.PARTNER_OWES, None, 2,
                           Decimal("12.40"), 1240),
        ))
        assert settlement.brand_owes == Decimal("70.00")
        assert settlement.partner_owes == Decimal("12.40")
        assert settlement.net_to_partner == Decimal("57.60")


def offer_problems(**fields: object) -> set[tuple[tuple[str, ...], ErrorCode]]:
    problems = Problems()
    check_offer_fields(problems, dict(fields))
    try:
        problems.raise_if_any()
    except DomainError as refused:
        return {(e.field, e.code) for e in refused.errors}
    return set()


class TestOfferDefinitions:
    def test_a_benefit_needs_the_value_of_its_kind_and_no_other(self) -> None:
        assert offer_problems(benefit=Benefit(BenefitKind.AMOUNT_OFF, item="ticket")) == {
            (("benefit", "amount"), ErrorCode.REQUIRED),
            (("benefit", "item"), ErrorCode.INVALID),
        }

    def test_a_negative_cost_is_refused(self) -> None:
        assert offer_problems(cost=CostSharing(Payer.BRAND, Decimal(-1))) == {
            (("cost", "unit_cost"), ErrorCode.INVALID)}

    def test_only_a_shared_cost_has_a_brand_share(self) -> None:
        assert offer_problems(cost=CostSharing(Payer.BRAND, Decimal(1), Decimal("0.5"))) == {
            (("cost", "brand_share"), ErrorCode.INVALID)}

    def test_purchase_conditions_belong_to_purchase_triggers(self) -> None:
        assert offer_problems(trigger=Trigger(TriggerKind.MANUAL, category="makeup")) == {
            (("trigger", "category"), ErrorCode.INVALID)}

    def test_a_percent_off_is_at_most_a_hundred(self) -> None:
        assert offer_problems(benefit=Benefit(BenefitKind.PERCENT_OFF,
                                              percent=Decimal(120))) == {
            (("benefit", "percent"), ErrorCode.INVALID)}

    def test_a_quota_is_one_or_more(self) -> None:
        assert offer_problems(quota=Quota(total=0)) == {(("quota", "total"), ErrorCode.INVALID)}

    def test_times_need_an_offset(self) -> None:
        assert offer_problems(valid_from=datetime(2026, 12, 1)) == {
            (("valid_from",), ErrorCode.INVALID)}
