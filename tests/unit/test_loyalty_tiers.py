"""Tier overrides and the period close (domain/loyalty/tiers.py)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.customers.model import Customer
from domain.loyalty.commands import ClosePeriod, OverrideTier
from domain.loyalty.model import DowngradePolicy, Membership, Programme, TierChangeReason
from domain.loyalty.tiers import PeriodReport, close_period, override_tier
from domain.shared.access import Role, Viewer
from domain.shared.errors import ErrorCode
from tests.builders import (
    ADMIN,
    TIERS,
    Problem,
    a_line,
    a_programme,
    a_purchase,
    problems,
    refused,
)
from tests.fakes import DEFAULT_NOW, FakeUnitOfWork

pytestmark = pytest.mark.usefixtures("ledger_holds")

PERIOD_END = datetime(2026, 3, 1, tzinfo=UTC)  # the last before DEFAULT_NOW (rolling window)
IN_A_MONTH = DEFAULT_NOW + timedelta(days=30)


def _membership(uow: FakeUnitOfWork, programme: Programme, customer: Customer) -> Membership:
    return uow.data.memberships[(programme.id, customer.id)]


def _tier(uow: FakeUnitOfWork, programme: Programme, customer: Customer) -> str:
    return programme.tier(_membership(uow, programme, customer).tier_id).code


def _effective(uow: FakeUnitOfWork, programme: Programme, customer: Customer,
               at: datetime = DEFAULT_NOW) -> str:
    return programme.tier(_membership(uow, programme, customer).effective_tier_id(at)).code


def _last_change(uow: FakeUnitOfWork, customer: Customer) -> TierChangeReason:
    return [c.reason for c in uow.data.tier_changes if c.customer_id == customer.id][-1]


async def _override(uow: FakeUnitOfWork, customer: Customer, tier_code: str | None = "gold",
                    viewer: Viewer = ADMIN, reason: str = "complaint CS-118 made good",
                    **fields: Any) -> Membership:
    command = OverrideTier(customer.id, tier_code, reason, **fields)
    return await override_tier(command, uow=uow, viewer=viewer)


async def _close(uow: FakeUnitOfWork, at: datetime | None = None,
                 as_of: datetime | None = None) -> PeriodReport:
    if at is not None:
        uow.fixed_clock.set(at)
    return await close_period(ClosePeriod(as_of=as_of), new_uow=lambda: uow, viewer=ADMIN)


async def _silver_a_year_ago(uow: FakeUnitOfWork, customer: Customer, **programme: Any) -> None:
    """The programme (with `programme` settings), and her Silver earned in February 2025:
    outside the window the 1 March 2026 close reviews."""
    await a_programme(uow, **programme)
    uow.fixed_clock.set(datetime(2025, 2, 10, tzinfo=UTC))
    await a_purchase(uow, customer.id, a_line("6000.00"))
    uow.fixed_clock.set(DEFAULT_NOW)


async def _refused(uow: FakeUnitOfWork, attempt: Any) -> set[Problem]:
    return problems(await refused(uow, attempt))


class TestOverrideTier:
    async def test_an_override_is_her_effective_tier_over_the_earned_one(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        await _override(uow, mrs_li)
        assert (_effective(uow, programme, mrs_li), _tier(uow, programme, mrs_li)) == (
            "gold", "member")
        assert _last_change(uow, mrs_li) is TierChangeReason.OVERRIDDEN

    async def test_an_override_keeps_its_reason_and_author(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        membership = await _override(uow, mrs_li)
        assert membership.override is not None
        assert (membership.override.reason, membership.override.set_by) == (
            "complaint CS-118 made good", "test")

    async def test_purchases_earn_at_the_overridden_tiers_rate(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await _override(uow, mrs_li)
        assert (await a_purchase(uow, mrs_li.id, a_line("100.00"))).points == 200

    async def test_an_override_ends_at_its_expiry(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        await _override(uow, mrs_li, expires_at=IN_A_MONTH)
        assert _effective(uow, programme, mrs_li, IN_A_MONTH - timedelta(seconds=1)) == "gold"
        assert _effective(uow, programme, mrs_li, IN_A_MONTH) == "member"

    async def test_lifting_an_override_returns_her_to_her_earned_tier(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        await _override(uow, mrs_li)
        await _override(uow, mrs_li, tier_code=None, reason="VIP year over")
        assert _effective(uow, programme, mrs_li) == "member"
        assert _last_change(uow, mrs_li) is TierChangeReason.OVERRIDE_ENDED

    async def test_lifting_without_an_override_is_refused(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        assert await _refused(uow, _override(uow, mrs_li, tier_code=None)) == {
            (("tier_code",), ErrorCode.INVALID)}

    async def test_a_reason_is_required(self, uow: FakeUnitOfWork, mrs_li: Customer) -> None:
        assert await _refused(uow, _override(uow, mrs_li, reason="")) == {
            (("reason",), ErrorCode.REQUIRED)}

    async def test_an_expiry_in_the_past_is_refused(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        yesterday = DEFAULT_NOW - timedelta(days=1)
        assert await _refused(uow, _override(uow, mrs_li, expires_at=yesterday)) == {
            (("expires_at",), ErrorCode.INVALID)}

    async def test_an_unknown_tier_is_refused(self, uow: FakeUnitOfWork, mrs_li: Customer) -> None:
        assert await _refused(uow, _override(uow, mrs_li, tier_code="platinum")) == {
            (("tier_code",), ErrorCode.NOT_FOUND)}

    async def test_a_storefront_may_not_override(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        shop = Viewer(Role.STOREFRONT, "client:web", member_id=mrs_li.id)
        assert await _refused(uow, _override(uow, mrs_li, viewer=shop)) == {
            ((), ErrorCode.NOT_ALLOWED)}


class TestClosePeriodAtPeriodEnd:
    async def test_a_member_short_of_her_tier_drops_to_what_she_qualified_for(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        await _silver_a_year_ago(uow, mrs_li)
        report = await _close(uow)
        assert _tier(uow, programme, mrs_li) == "member"
        assert _last_change(uow, mrs_li) is TierChangeReason.PERIOD_CLOSED
        assert (report.period_end, report.reviewed, report.downgraded) == (PERIOD_END, 1, 1)
        assert report.changes == [f"{mrs_li.id}: silver → member"]

    async def test_a_member_who_qualified_is_raised(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        uow.fixed_clock.set(datetime(2026, 2, 10, tzinfo=UTC))
        await a_purchase(uow, mrs_li.id)
        uow.fixed_clock.set(DEFAULT_NOW)
        member, silver, gold = TIERS
        await a_programme(uow, tiers=(member, replace(silver, threshold=Decimal(1000)), gold))
        report = await _close(uow)
        assert _tier(uow, programme, mrs_li) == "silver"
        assert (report.reviewed, report.upgraded) == (1, 1)

    async def test_a_second_run_changes_nothing(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await _silver_a_year_ago(uow, mrs_li)
        await _close(uow)
        before = uow.snapshot()
        report = await _close(uow)
        assert (report.reviewed, report.downgraded, report.changes) == (0, 0, [])
        assert uow.snapshot() == before

    async def test_a_member_who_joined_after_the_period_is_not_reviewed(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await a_purchase(uow, mrs_li.id)
        assert (await _close(uow)).reviewed == 0

    async def test_an_as_of_in_the_future_is_refused(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        assert await _refused(uow, _close(uow, as_of=IN_A_MONTH)) == {
            (("as_of",), ErrorCode.INVALID)}

    async def test_an_as_of_in_the_past_closes_that_period(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await _silver_a_year_ago(uow, mrs_li)
        report = await _close(uow, as_of=datetime(2026, 2, 15, tzinfo=UTC))
        assert (report.period_end, report.reviewed) == (datetime(2026, 2, 1, tzinfo=UTC), 1)


class TestClosePeriodNever:
    async def test_a_tier_once_reached_is_kept(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        await _silver_a_year_ago(uow, mrs_li, downgrade=DowngradePolicy.NEVER)
        report = await _close(uow)
        assert _tier(uow, programme, mrs_li) == "silver"
        assert (report.reviewed, report.downgraded) == (1, 0)


class TestClosePeriodGrace:
    GRACE = {"downgrade": DowngradePolicy.GRACE_PERIOD, "grace_months": 3}
    GRACE_DUE = datetime(2026, 6, 1, tzinfo=UTC)

    async def test_the_first_shortfall_starts_the_grace_and_keeps_her_tier(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        await _silver_a_year_ago(uow, mrs_li, **self.GRACE)
        report = await _close(uow)
        assert _tier(uow, programme, mrs_li) == "silver"
        assert _membership(uow, programme, mrs_li).downgrade_due_at == self.GRACE_DUE
        assert (report.grace_started, report.downgraded) == (1, 0)
        assert "LoyaltyTierAtRisk" in uow.event_names

    async def test_a_later_run_after_the_grace_drops_her_tier(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        await _silver_a_year_ago(uow, mrs_li, **self.GRACE)
        await _close(uow)
        report = await _close(uow, at=self.GRACE_DUE + timedelta(days=1))
        assert _tier(uow, programme, mrs_li) == "member"
        assert _last_change(uow, mrs_li) is TierChangeReason.GRACE_ENDED
        assert (report.grace_ended, report.downgraded) == (1, 1)

    async def test_re_qualifying_during_the_grace_ends_it(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        await _silver_a_year_ago(uow, mrs_li, **self.GRACE)
        await _close(uow)
        uow.fixed_clock.set(datetime(2026, 4, 10, tzinfo=UTC))
        await a_purchase(uow, mrs_li.id, a_line("5000.00"))
        assert _membership(uow, programme, mrs_li).downgrade_due_at is None
        await _close(uow, at=self.GRACE_DUE + timedelta(days=1))
        assert _tier(uow, programme, mrs_li) == "silver"


class TestClosePeriodOverrides:
    async def test_an_expired_override_is_ended(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        await _override(uow, mrs_li, expires_at=IN_A_MONTH)
        report = await _close(uow, at=IN_A_MONTH + timedelta(days=1))
        assert _membership(uow, programme, mrs_li).override is None
        assert _last_change(uow, mrs_li) is TierChangeReason.OVERRIDE_ENDED
        assert report.overrides_ended == 1

    async def test_a_running_override_is_left_alone(
        self, uow: FakeUnitOfWork, programme: Programme, mrs_li: Customer
    ) -> None:
        await _override(uow, mrs_li, expires_at=IN_A_MONTH)
        report = await _close(uow, at=IN_A_MONTH - timedelta(days=1))
        assert _effective(uow, programme, mrs_li, uow.clock.now()) == "gold"
        assert report.overrides_ended == 0
