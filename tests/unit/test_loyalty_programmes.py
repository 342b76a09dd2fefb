"""Configuring a programme (domain/loyalty/programmes.py): the whole definition at once."""

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from domain.loyalty.commands import BonusRuleSpec, RewardSpec
from domain.loyalty.model import DowngradePolicy
from domain.shared.access import Role, Viewer
from domain.shared.errors import ErrorCode
from tests.builders import (
    TEA_SET,
    TIERS,
    Problem,
    a_customer,
    a_line,
    a_programme,
    a_purchase,
    problems,
    refused,
    saving_programme,
)
from tests.fakes import FakeUnitOfWork

MEMBER, SILVER, GOLD = TIERS


async def _refused_codes(uow: FakeUnitOfWork, **changes: Any) -> set[Problem]:
    error = await refused(uow, saving_programme(uow, **changes))
    return problems(error)


class TestSaveProgramme:
    async def test_a_new_programme_is_stored_at_version_1_with_ranked_tiers(
        self, uow: FakeUnitOfWork
    ) -> None:
        programme = await a_programme(uow)
        assert programme.version == 1
        assert [(t.code, t.rank) for t in programme.tiers] == [
            ("member", 0), ("silver", 1), ("gold", 2)]
        async with uow:
            assert await uow.programmes.get_by_code("wardrobe") == programme

    async def test_the_first_programme_is_the_default(self, uow: FakeUnitOfWork) -> None:
        first = await a_programme(uow)
        uow.fixed_clock.advance(minutes=1)
        await a_programme(uow, code="cafe", name="Cafe Club")
        async with uow:
            assert await uow.programmes.default() == first

    async def test_saving_again_keeps_tier_and_reward_ids_and_bumps_the_version(
        self, uow: FakeUnitOfWork
    ) -> None:
        first = await a_programme(uow)
        richer = replace(GOLD, discount_percent=Decimal(12))
        second = await a_programme(uow, tiers=(MEMBER, SILVER, richer), expected_version=1)
        assert second.version == 2
        assert second.id == first.id
        assert [t.id for t in second.tiers] == [t.id for t in first.tiers]
        assert second.rewards[0].id == first.rewards[0].id
        assert second.tiers[2].discount_percent == Decimal(12)

    async def test_a_reward_left_out_is_kept_inactive(self, uow: FakeUnitOfWork) -> None:
        first = await a_programme(uow)
        second = await a_programme(uow, rewards=())
        assert [(r.id, r.active) for r in second.rewards] == [(first.rewards[0].id, False)]

    async def test_only_an_admin_may_configure_a_programme(self, uow: FakeUnitOfWork) -> None:
        clerk = Viewer(Role.STAFF, "staff:ana")
        error = await refused(uow, saving_programme(uow, clerk))
        assert problems(error) == {((), ErrorCode.NOT_ALLOWED)}


class TestSaveProgrammeRefusals:
    async def test_the_first_tier_starts_at_zero(self, uow: FakeUnitOfWork) -> None:
        tiers = (replace(MEMBER, threshold=Decimal(100)), SILVER)
        assert await _refused_codes(uow, tiers=tiers) == {
            (("tiers", "0", "threshold"), ErrorCode.INVALID)}

    async def test_thresholds_must_increase(self, uow: FakeUnitOfWork) -> None:
        tiers = (MEMBER, SILVER, replace(GOLD, threshold=SILVER.threshold))
        assert await _refused_codes(uow, tiers=tiers) == {
            (("tiers", "2", "threshold"), ErrorCode.INVALID)}

    async def test_tier_codes_are_unique(self, uow: FakeUnitOfWork) -> None:
        tiers = (MEMBER, SILVER, replace(GOLD, code="silver"))
        assert await _refused_codes(uow, tiers=tiers) == {
            (("tiers", "2", "code"), ErrorCode.DUPLICATE)}

    async def test_reward_codes_are_unique(self, uow: FakeUnitOfWork) -> None:
        assert await _refused_codes(uow, rewards=(TEA_SET, TEA_SET)) == {
            (("rewards", "1", "code"), ErrorCode.DUPLICATE)}

    async def test_a_programme_has_tiers(self, uow: FakeUnitOfWork) -> None:
        assert await _refused_codes(uow, tiers=()) == {(("tiers",), ErrorCode.REQUIRED)}

    async def test_grace_months_need_the_grace_policy(self, uow: FakeUnitOfWork) -> None:
        assert await _refused_codes(uow, grace_months=3) == {
            (("grace_months",), ErrorCode.INVALID)}

    async def test_the_grace_policy_needs_grace_months(self, uow: FakeUnitOfWork) -> None:
        assert await _refused_codes(uow, downgrade=DowngradePolicy.GRACE_PERIOD) == {
            (("grace_months",), ErrorCode.INVALID)}

    async def test_a_multiplier_below_one_is_refused(self, uow: FakeUnitOfWork) -> None:
        tiers = (MEMBER, replace(SILVER, earn_multiplier=Decimal("0.5")))
        rules = (BonusRuleSpec("Silk week", Decimal(0), category="silk"),)
        assert await _refused_codes(uow, tiers=tiers, bonus_rules=rules,
                                    birthday_multiplier=Decimal("0.9")) == {
            (("tiers", "1", "earn_multiplier"), ErrorCode.INVALID),
            (("bonus_rules", "0", "multiplier"), ErrorCode.INVALID),
            (("birthday_multiplier",), ErrorCode.INVALID),
        }

    async def test_a_reward_costs_at_least_a_point(self, uow: FakeUnitOfWork) -> None:
        reward = RewardSpec("free", "Nothing for nothing", 0)
        assert await _refused_codes(uow, rewards=(reward,)) == {
            (("rewards", "0", "points_cost"), ErrorCode.INVALID)}

    @pytest.mark.parametrize("time_zone", ["Mars/Olympus", "", "../etc/passwd"])
    async def test_a_time_zone_must_be_an_iana_name(
        self, uow: FakeUnitOfWork, time_zone: str
    ) -> None:
        assert await _refused_codes(uow, time_zone=time_zone) == {
            (("time_zone",), ErrorCode.INVALID)}

    async def test_the_currency_cannot_change(self, uow: FakeUnitOfWork) -> None:
        await a_programme(uow)
        assert await _refused_codes(uow, currency="EUR") == {(("currency",), ErrorCode.INVALID)}

    async def test_a_stale_expected_version_is_a_conflict(self, uow: FakeUnitOfWork) -> None:
        await a_programme(uow)
        await a_programme(uow, name="Wardrobe Club II")
        assert await _refused_codes(uow, expected_version=1) == {
            (("expected_version",), ErrorCode.CONFLICT)}

    async def test_a_tier_members_hold_cannot_be_dropped(self, uow: FakeUnitOfWork) -> None:
        await a_programme(uow)
        mrs_li = await a_customer(uow)
        await a_purchase(uow, mrs_li.id, a_line("6000.00"))  # takes her to Silver
        assert await _refused_codes(uow, tiers=(MEMBER, GOLD)) == {
            (("tiers",), ErrorCode.CONFLICT)}

    async def test_a_tier_nobody_holds_can_be_dropped(self, uow: FakeUnitOfWork) -> None:
        await a_programme(uow)
        mrs_li = await a_customer(uow)
        await a_purchase(uow, mrs_li.id)
        programme = await a_programme(uow, tiers=(MEMBER, GOLD))
        assert [t.code for t in programme.tiers] == ["member", "gold"]
