"""The programme's rules as plain functions (domain/loyalty/rules.py): no unit of work."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.loyalty.model import (
    BonusRule,
    DowngradePolicy,
    Membership,
    PointLot,
    Programme,
    PurchaseLine,
    QualificationWindow,
    Tier,
)
from domain.loyalty.rules import (
    add_months,
    expired_lots,
    is_birthday_month,
    last_period_end,
    line_points,
    member_discount,
    new_lot_points,
    period_start,
    points_expiring,
    qualification_start,
    refund_share,
    review_at_period_end,
    take_from_lots,
    tier_after_return,
)
from domain.shared.ids import new_id

MEMBER = Tier(new_id(), "member", "Member", 0, Decimal(0))
SILVER = Tier(new_id(), "silver", "Silver", 1, Decimal(5000), Decimal(5), Decimal("1.5"))
GOLD = Tier(new_id(), "gold", "Gold", 2, Decimal(20000), Decimal(10), Decimal(2))
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TODAY = NOW.date()
HANGZHOU = timezone(timedelta(hours=8))


def _programme(**changes: Any) -> Programme:
    return Programme(new_id(), "wardrobe", "Wardrobe Club", "CNY", (MEMBER, SILVER, GOLD),
                     **changes)


def _member(tier: Tier, **changes: Any) -> Membership:
    fields: dict[str, Any] = {"retained_tier_id": tier.id, **changes}
    return Membership(new_id(), new_id(), tier.id, NOW, enrolled_at=NOW, **fields)


def _points(net: str, tier: Tier = MEMBER, category: str | None = "coats", on: date = TODAY,
            birthday_month: bool = False, **programme: Any) -> int:
    return line_points(_programme(**programme), tier, Decimal(net), category, on, birthday_month)


def _lot(points: int, earned_days_ago: int, expires_at: datetime | None = None) -> PointLot:
    return PointLot(new_id(), new_id(), new_id(), NOW - timedelta(days=earned_days_ago),
                    expires_at, points, points)


class TestAddMonths:
    def test_keeps_the_day_and_time(self) -> None:
        assert add_months(NOW, 1) == datetime(2026, 4, 2, 9, 30, tzinfo=UTC)

    def test_the_31st_becomes_the_last_day_of_a_shorter_month(self) -> None:
        assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28,
                                                                              tzinfo=UTC)

    def test_a_leap_year_february_has_29_days(self) -> None:
        assert add_months(datetime(2028, 1, 31, tzinfo=UTC), 1) == datetime(2028, 2, 29,
                                                                              tzinfo=UTC)

    def test_29_february_a_year_back_is_28_february(self) -> None:
        assert add_months(datetime(2028, 2, 29, tzinfo=UTC), -12) == datetime(2027, 2, 28,
                                                                                tzinfo=UTC)

    def test_crosses_year_ends_both_ways(self) -> None:
        assert add_months(datetime(2026, 12, 15, tzinfo=UTC), 1).date() == date(2027, 1, 15)
        assert add_months(datetime(2026, 1, 15, tzinfo=UTC), -1).date() == date(2025, 12, 15)


class TestWindows:
    def test_a_rolling_window_reaches_back_twelve_months(self) -> None:
        assert qualification_start(_programme(), NOW) == datetime(2025, 3, 2, 9, 30, tzinfo=UTC)

    def test_a_calendar_window_starts_on_1_january_utc(self) -> None:
        programme = _programme(window=QualificationWindow.CALENDAR_YEAR)
        assert qualification_start(programme, NOW) == datetime(2026, 1, 1, tzinfo=UTC)

    def test_a_rolling_period_ends_on_the_first_of_the_month(self) -> None:
        assert last_period_end(_programme(), NOW) == datetime(2026, 3, 1, tzinfo=UTC)

    def test_a_calendar_period_ends_on_1_january(self) -> None:
        programme = _programme(window=QualificationWindow.CALENDAR_YEAR)
        assert last_period_end(programme, NOW) == datetime(2026, 1, 1, tzinfo=UTC)

    def test_period_ends_are_counted_in_utc_by_default(self) -> None:
        early_april_in_hangzhou = datetime(2026, 4, 1, 2, 0, tzinfo=HANGZHOU)  # 31 March UTC
        assert last_period_end(_programme(), early_april_in_hangzhou) == datetime(
            2026, 3, 1, tzinfo=UTC)

    def test_period_ends_are_counted_in_the_programmes_time_zone(self) -> None:
        early_april_in_hangzhou = datetime(2026, 4, 1, 2, 0, tzinfo=HANGZHOU)
        programme = _programme(time_zone="Asia/Shanghai")
        assert last_period_end(programme, early_april_in_hangzhou) == datetime(
            2026, 4, 1, tzinfo=HANGZHOU)

    def test_a_calendar_window_starts_at_midnight_on_1_january_where_the_brand_is(
        self,
    ) -> None:
        programme = _programme(window=QualificationWindow.CALENDAR_YEAR,
                               time_zone="Asia/Shanghai")
        assert qualification_start(programme, NOW) == datetime(2025, 12, 31, 16, tzinfo=UTC)

    def test_a_calendar_period_in_a_time_zone_is_the_local_year_before_its_end(self) -> None:
        programme = _programme(window=QualificationWindow.CALENDAR_YEAR,
                               time_zone="Asia/Shanghai")
        end = datetime(2026, 1, 1, tzinfo=HANGZHOU)
        assert period_start(programme, end) == datetime(2025, 1, 1, tzinfo=HANGZHOU)

    def test_a_purchase_is_dated_by_the_programmes_calendar(self) -> None:
        half_past_midnight_on_singles_day = datetime(2026, 11, 10, 16, 30, tzinfo=UTC)
        programme = _programme(time_zone="Asia/Shanghai")
        assert programme.local_date(half_past_midnight_on_singles_day) == date(2026, 11, 11)

    def test_a_rolling_period_began_twelve_months_before_its_end(self) -> None:
        end = datetime(2026, 3, 1, tzinfo=UTC)
        assert period_start(_programme(), end) == datetime(2025, 3, 1, tzinfo=UTC)

    def test_a_calendar_period_is_the_year_before_its_end(self) -> None:
        programme = _programme(window=QualificationWindow.CALENDAR_YEAR)
        end = datetime(2026, 1, 1, tzinfo=UTC)
        assert period_start(programme, end) == datetime(2025, 1, 1, tzinfo=UTC)


class TestLinePoints:
    def test_the_base_rate_applies_to_the_net_amount(self) -> None:
        assert _points("1280.00", points_per_unit=Decimal(2)) == 2560

    def test_the_tier_multiplies_what_a_line_earns(self) -> None:
        assert _points("1280.00", tier=SILVER) == 1920

    def test_points_are_rounded_down_per_line(self) -> None:
        assert _points("99.99") == 99

    def test_a_fully_discounted_line_earns_nothing(self) -> None:
        assert _points("0.00", birthday_month=True, birthday_multiplier=Decimal(2)) == 0

    def test_a_category_bonus_applies_to_its_category_only(self) -> None:
        rules = (BonusRule("Silk week", Decimal(2), category="silk"),)
        assert _points("100.00", category="silk", bonus_rules=rules) == 200
        assert _points("100.00", category="coats", bonus_rules=rules) == 100

    def test_a_campaign_applies_on_its_first_and_last_day(self) -> None:
        rules = (BonusRule("Spring", Decimal(3), starts_on=date(2026, 3, 1),
                           ends_on=date(2026, 3, 8)),)
        assert _points("100.00", on=date(2026, 3, 1), bonus_rules=rules) == 300
        assert _points("100.00", on=date(2026, 3, 8), bonus_rules=rules) == 300

    def test_a_campaign_does_not_apply_outside_its_dates(self) -> None:
        rules = (BonusRule("Spring", Decimal(3), starts_on=date(2026, 3, 1),
                           ends_on=date(2026, 3, 8)),)
        assert _points("100.00", on=date(2026, 2, 28), bonus_rules=rules) == 100
        assert _points("100.00", on=date(2026, 3, 9), bonus_rules=rules) == 100

    def test_the_birthday_month_multiplies_points(self) -> None:
        assert _points("100.00", birthday_month=True, birthday_multiplier=Decimal(2)) == 200

    def test_the_highest_bonus_wins_and_bonuses_do_not_stack(self) -> None:
        rules = (BonusRule("Coats", Decimal(2), category="coats"),
                 BonusRule("Spring", Decimal(3), starts_on=date(2026, 3, 1)))
        points = _points("100.00", birthday_month=True, birthday_multiplier=Decimal("2.5"),
                         bonus_rules=rules)
        assert points == 300

    def test_the_tier_multiplier_combines_with_the_best_bonus(self) -> None:
        rules = (BonusRule("Coats", Decimal(2), category="coats"),)
        assert _points("100.00", tier=GOLD, bonus_rules=rules) == 400

    def test_a_birthday_month_is_the_month_of_her_birth_date(self) -> None:
        assert is_birthday_month(date(1972, 3, 18), TODAY)
        assert not is_birthday_month(date(1972, 4, 18), TODAY)
        assert not is_birthday_month(None, TODAY)


class TestRefundShare:
    LINE = PurchaseLine(1, "WW-SCARF-05", 3, Decimal("100.00"), Decimal("0.01"), points=299)

    def test_returning_the_whole_line_gives_back_its_net_and_points(self) -> None:
        assert refund_share(self.LINE, 3, "CNY") == (Decimal("299.99"), 299)

    def test_piece_by_piece_returns_add_up_to_exactly_the_line(self) -> None:
        line, amounts, points = self.LINE, [], []
        for _ in range(3):
            amount, reversed_points = refund_share(line, 1, "CNY")
            amounts.append(amount)
            points.append(reversed_points)
            line = replace(line, refunded_quantity=line.refunded_quantity + 1)
        assert sum(amounts) == self.LINE.net
        assert sum(points) == self.LINE.points

    def test_a_share_is_rounded_to_the_cent(self) -> None:
        amount, _ = refund_share(self.LINE, 1, "CNY")
        assert amount == Decimal("100.00")  # 99.9966… half up


class TestLots:
    def test_points_are_taken_from_the_oldest_lot_first(self) -> None:
        old, new = _lot(100, earned_days_ago=30), _lot(100, earned_days_ago=1)
        changed = take_from_lots([new, old], 150)
        assert (old.remaining, new.remaining) == (0, 50)
        assert changed == [old, new]

    def test_a_named_lot_is_taken_from_first(self) -> None:
        old, own = _lot(100, earned_days_ago=30), _lot(100, earned_days_ago=1)
        take_from_lots([old, own], 120, first=own.entry_id)
        assert (own.remaining, old.remaining) == (0, 80)

    def test_a_shortfall_empties_the_lots_without_complaint(self) -> None:
        lots = [_lot(100, 30), _lot(50, 1)]
        take_from_lots(lots, 400)
        assert [lot.remaining for lot in lots] == [0, 0]

    def test_untouched_lots_are_not_reported_changed(self) -> None:
        old, new = _lot(100, 30), _lot(100, 1)
        assert take_from_lots([old, new], 40) == [old]

    def test_a_negative_balance_is_paid_back_before_a_new_lot_fills(self) -> None:
        assert new_lot_points(100, balance_before=-30) == 70
        assert new_lot_points(100, balance_before=-150) == 0

    def test_on_a_positive_balance_the_new_lot_holds_every_point(self) -> None:
        assert new_lot_points(100, balance_before=10) == 100

    def test_a_lot_has_expired_from_its_expiry_instant_on(self) -> None:
        due, later, never = _lot(10, 400, NOW), _lot(10, 1, NOW + timedelta(days=1)), _lot(10, 9)
        assert expired_lots([due, later, never], NOW) == [due]

    def test_an_empty_lot_is_not_expired_again(self) -> None:
        spent = _lot(10, 400, NOW - timedelta(days=1))
        spent.remaining = 0
        assert expired_lots([spent], NOW) == []

    def test_points_expiring_counts_what_is_left_of_lots_due_in_the_span(self) -> None:
        soon = _lot(40, 300, NOW + timedelta(days=10))
        soon.remaining = 25
        lots = [soon, _lot(10, 400, NOW), _lot(10, 1, NOW + timedelta(days=90)), _lot(10, 1)]
        assert points_expiring(lots, NOW, NOW + timedelta(days=30)) == 25


class TestReviewAtPeriodEnd:
    END = datetime(2026, 3, 1, tzinfo=UTC)

    def _review(self, policy: DowngradePolicy, held: Tier, in_period: Tier, now: Tier,
                grace_months: int = 0, **membership: Any) -> tuple[UUID, UUID, datetime | None]:
        programme = _programme(downgrade=policy, grace_months=grace_months)
        review = review_at_period_end(programme, _member(held, **membership), in_period, now,
                                      self.END)
        return review.tier_id, review.retained_tier_id, review.downgrade_due_at

    def test_never_keeps_a_tier_she_fell_short_of(self) -> None:
        assert self._review(DowngradePolicy.NEVER, GOLD, MEMBER, MEMBER) == (
            GOLD.id, GOLD.id, None)

    def test_never_still_raises_her_to_what_she_qualified_for(self) -> None:
        assert self._review(DowngradePolicy.NEVER, MEMBER, SILVER, MEMBER) == (
            SILVER.id, SILVER.id, None)

    def test_at_period_end_her_tier_follows_the_closed_period(self) -> None:
        assert self._review(DowngradePolicy.AT_PERIOD_END, GOLD, SILVER, MEMBER) == (
            SILVER.id, SILVER.id, None)

    def test_at_period_end_a_tier_earned_since_the_period_is_kept_but_not_retained(
        self,
    ) -> None:
        assert self._review(DowngradePolicy.AT_PERIOD_END, SILVER, MEMBER, SILVER) == (
            SILVER.id, MEMBER.id, None)

    def test_the_first_shortfall_starts_the_grace_and_keeps_her_tier(self) -> None:
        assert self._review(DowngradePolicy.GRACE_PERIOD, GOLD, SILVER, SILVER,
                            grace_months=3) == (GOLD.id, GOLD.id,
                                                datetime(2026, 6, 1, tzinfo=UTC))

    def test_a_later_shortfall_keeps_the_grace_already_running(self) -> None:
        due = datetime(2026, 4, 1, tzinfo=UTC)
        assert self._review(DowngradePolicy.GRACE_PERIOD, GOLD, SILVER, SILVER, grace_months=3,
                            downgrade_due_at=due) == (GOLD.id, GOLD.id, due)

    def test_re_qualifying_ends_the_grace(self) -> None:
        due = datetime(2026, 4, 1, tzinfo=UTC)
        assert self._review(DowngradePolicy.GRACE_PERIOD, GOLD, GOLD, GOLD, grace_months=3,
                            downgrade_due_at=due) == (GOLD.id, GOLD.id, None)


class TestTierAfterReturn:
    def test_a_return_undoes_the_upgrade_it_paid_for(self) -> None:
        member = _member(SILVER, retained_tier_id=MEMBER.id)
        assert tier_after_return(_programme(), member, MEMBER) == MEMBER.id

    def test_a_return_never_goes_below_the_retained_tier(self) -> None:
        member = _member(GOLD, retained_tier_id=SILVER.id)
        assert tier_after_return(_programme(), member, MEMBER) == SILVER.id

    def test_a_return_keeps_a_tier_she_still_qualifies_for(self) -> None:
        member = _member(GOLD, retained_tier_id=MEMBER.id)
        assert tier_after_return(_programme(), member, GOLD) == GOLD.id


class TestMemberDiscount:
    def test_the_discount_is_rounded_half_up_to_the_cent(self) -> None:
        assert member_discount(Decimal("99.99"), SILVER, "CNY") == Decimal("5.00")  # 4.9995
        assert member_discount(Decimal("0.10"), SILVER, "CNY") == Decimal("0.01")  # 0.005

    def test_a_currency_without_cents_rounds_to_the_unit(self) -> None:
        assert member_discount(Decimal(1010), SILVER, "JPY") == Decimal(51)  # 50.5

    def test_a_tier_without_discount_takes_nothing_off(self) -> None:
        assert member_discount(Decimal("1280.00"), MEMBER, "CNY") == Decimal("0.00")
