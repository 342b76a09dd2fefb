"""Grants (domain/partners/grants.py): issued by the reactions to a purchase or a tier
change inside the transaction of the fact that fired them, revoked when the purchase is
returned, issued and revoked by staff, expired by the daily job.

The unit of work here runs the service's reactions when it commits, as the Postgres one
does (tests/fakes.py), so a purchase recorded through its use case issues its grants."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.customers.model import Customer
from domain.loyalty.model import Programme, Purchase
from domain.loyalty.purchases import record_purchase
from domain.partners import codes
from domain.partners.commands import ExpireGrants, IssueGrant, RevokeGrant
from domain.partners.grants import REACTIONS, expire_grants, issue_grant, revoke_grant
from domain.partners.model import (
    Eligibility,
    Grant,
    GrantState,
    Offer,
    OfferStatus,
    Partner,
    Quota,
    QuotaPeriod,
    Trigger,
    TriggerKind,
)
from domain.partners.redemptions import redeem_grant
from domain.shared.access import Role, Viewer
from domain.shared.errors import ErrorCode
from domain.shared.ids import new_id
from tests.builders import (
    ADMIN,
    MASCARA,
    a_consenting_member,
    a_grant,
    a_line,
    a_partner,
    a_partner_client,
    a_purchase,
    a_purchase_command,
    a_redeem_command,
    a_refund,
    a_uow,
    an_offer,
    problems,
    refused,
    suspend,
    withdraw_partner_sharing,
)
from tests.fakes import DEFAULT_NOW, FakeUnitOfWork

COAT_FOR_SILVER = a_line("6000.00", sku="WW-COAT-09", name="Cashmere coat")  # Silver at 5,000
EYE_SHADOW = a_line("189.00", sku="EY-SHAD-02", name="Eye shadow", category="eye-shadow")
ON_REACHING_SILVER = Trigger(TriggerKind.TIER_REACHED, tier_code="silver")
IN_HER_BIRTHDAY_MONTH = Trigger(TriggerKind.BIRTHDAY_MONTH)
BY_HAND = Trigger(TriggerKind.MANUAL)
ANYONE = Eligibility()
UNLIMITED = Quota(per_member=None)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    """The service's unit of work: commits run the partners' reactions."""
    return a_uow(reactions=REACTIONS)


@pytest.fixture
async def cinema(uow: FakeUnitOfWork, programme: Programme) -> Partner:
    return await a_partner(uow)


@pytest.fixture
async def ticket(uow: FakeUnitOfWork, cinema: Partner) -> Offer:
    """A movie ticket for a film lover who buys mascara, once per member."""
    return await an_offer(uow, cinema)


@pytest.fixture
async def lisa(uow: FakeUnitOfWork, programme: Programme) -> Customer:
    return await a_consenting_member(uow)


def _grants(uow: FakeUnitOfWork, customer: Customer | None = None) -> list[Grant]:
    """Committed grants (of `customer`), oldest first."""
    found = [g for g in uow.data.grants.values()
             if customer is None or g.customer_id == customer.id]
    return sorted(found, key=lambda g: (g.issued_at, g.id))


def _states(uow: FakeUnitOfWork, customer: Customer) -> list[GrantState]:
    return [g.state for g in _grants(uow, customer)]


async def _buys_mascara(uow: FakeUnitOfWork, customer: Customer, **changes: Any) -> Purchase:
    return await a_purchase(uow, customer.id, MASCARA, **changes)


async def _redeemed(uow: FakeUnitOfWork, cinema: Partner, grant: Grant) -> None:
    await redeem_grant(a_redeem_command(grant), uow=uow, viewer=a_partner_client(cinema))


async def _film_lovers(uow: FakeUnitOfWork, n: int) -> list[Customer]:
    return [await a_consenting_member(uow, f"Fan{i}") for i in range(n)]


@pytest.mark.usefixtures("ticket")
class TestIssuedByAPurchase:
    async def test_a_consenting_film_lover_buying_mascara_gets_one_grant(
        self, uow: FakeUnitOfWork, ticket: Offer, lisa: Customer
    ) -> None:
        purchase = await _buys_mascara(uow, lisa)
        [grant] = _grants(uow, lisa)
        assert (grant.offer_id, grant.partner_id, grant.state, grant.purchase_id) == (
            ticket.id, ticket.partner_id, GrantState.ISSUED, purchase.id)
        assert grant.source_key == f"purchase:{purchase.id}"

    async def test_the_grant_commits_with_the_purchase_that_issued_it(
        self, uow: FakeUnitOfWork, lisa: Customer
    ) -> None:
        await _buys_mascara(uow, lisa)
        assert uow.event_names[-2:] == ["PurchaseRecorded", "GrantIssued"]

    async def test_its_code_is_a_well_formed_grant_code(
        self, uow: FakeUnitOfWork, lisa: Customer
    ) -> None:
        await _buys_mascara(uow, lisa)
        [grant] = _grants(uow, lisa)
        assert codes.canonical(grant.code) == grant.code

    async def test_it_expires_the_offers_days_after_it_is_issued(
        self, uow: FakeUnitOfWork, ticket: Offer, lisa: Customer
    ) -> None:
        await _buys_mascara(uow, lisa)
        [grant] = _grants(uow, lisa)
        assert grant.expires_at == DEFAULT_NOW + timedelta(days=ticket.grant_valid_days)

    async def test_a_member_who_declined_partner_sharing_gets_none(
        self, uow: FakeUnitOfWork
    ) -> None:
        declined = await a_consenting_member(uow, consents=False)
        await _buys_mascara(uow, declined)
        assert _grants(uow, declined) == []

    async def test_a_member_never_asked_about_partner_sharing_gets_none(
        self, uow: FakeUnitOfWork, mrs_li: Customer
    ) -> None:
        await _buys_mascara(uow, mrs_li)
        assert _grants(uow, mrs_li) == []

    async def test_a_member_who_withdrew_her_consent_gets_no_more(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        await an_offer(uow, cinema, quota=UNLIMITED)
        await _buys_mascara(uow, lisa)
        await withdraw_partner_sharing(uow, lisa)
        await _buys_mascara(uow, lisa)
        assert len(_grants(uow, lisa)) == 2  # the first purchase's: one of each offer

    async def test_a_member_without_the_interest_gets_none(self, uow: FakeUnitOfWork) -> None:
        gardener = await a_consenting_member(uow, "Mei", interests=("gardening",))
        await _buys_mascara(uow, gardener)
        assert _grants(uow, gardener) == []

    async def test_a_tag_counts_as_an_interest_whatever_its_case(
        self, uow: FakeUnitOfWork
    ) -> None:
        tagged = await a_consenting_member(uow, "Mei", interests=(), tags=("Loves-Films",))
        await _buys_mascara(uow, tagged)
        assert len(_grants(uow, tagged)) == 1

    async def test_a_purchase_without_the_category_issues_none(
        self, uow: FakeUnitOfWork, lisa: Customer
    ) -> None:
        await a_purchase(uow, lisa.id, EYE_SHADOW)
        assert _grants(uow, lisa) == []

    async def test_a_purchase_below_the_minimum_spend_issues_none(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        await an_offer(uow, cinema, trigger=Trigger(TriggerKind.PURCHASE, sku="EY-SHAD-02",
                                                    min_spend=Decimal("300.00")))
        await a_purchase(uow, lisa.id, EYE_SHADOW)
        assert _grants(uow, lisa) == []

    async def test_a_draft_a_paused_and_an_ended_offer_issue_none(
        self, uow: FakeUnitOfWork, cinema: Partner, ticket: Offer, lisa: Customer
    ) -> None:
        for status in (OfferStatus.DRAFT, OfferStatus.PAUSED, OfferStatus.ENDED):
            await an_offer(uow, cinema, status)
        await _buys_mascara(uow, lisa)
        assert [g.offer_id for g in _grants(uow, lisa)] == [ticket.id]

    async def test_an_offer_outside_its_window_issues_none(
        self, uow: FakeUnitOfWork, cinema: Partner, ticket: Offer, lisa: Customer
    ) -> None:
        await an_offer(uow, cinema, valid_from=DEFAULT_NOW + timedelta(days=1))
        await an_offer(uow, cinema, valid_from=DEFAULT_NOW - timedelta(days=9),
                       valid_until=DEFAULT_NOW)
        await _buys_mascara(uow, lisa)
        assert [g.offer_id for g in _grants(uow, lisa)] == [ticket.id]

    async def test_a_suspended_partners_offers_issue_none(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        await suspend(uow, cinema)
        await _buys_mascara(uow, lisa)
        assert _grants(uow, lisa) == []

    async def test_each_matching_offer_issues_its_own_grant(
        self, uow: FakeUnitOfWork, ticket: Offer, lisa: Customer
    ) -> None:
        cafe = await a_partner(uow, name="Blue Bottle", industry="café")
        coffee = await an_offer(uow, cafe)
        await _buys_mascara(uow, lisa)
        assert sorted(g.offer_id for g in _grants(uow, lisa)) == sorted([ticket.id, coffee.id])


class TestRecordedLate:
    """A till offline for a while records its sales when it is back: a sale issues what
    was issuing when it was made, from when it is recorded."""

    async def test_a_sale_made_while_the_offer_ran_and_recorded_after_it_ended_issues_it(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        ended = await an_offer(uow, cinema, valid_from=DEFAULT_NOW - timedelta(days=7),
                               valid_until=DEFAULT_NOW - timedelta(hours=1))
        await _buys_mascara(uow, lisa, occurred_at=DEFAULT_NOW - timedelta(hours=2))
        assert [g.offer_id for g in _grants(uow, lisa)] == [ended.id]

    async def test_a_sale_made_before_the_offer_began_issues_none_though_recorded_after(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        await an_offer(uow, cinema, valid_from=DEFAULT_NOW - timedelta(hours=1))
        await _buys_mascara(uow, lisa, occurred_at=DEFAULT_NOW - timedelta(hours=2))
        assert _grants(uow, lisa) == []

    async def test_its_grant_is_issued_and_good_for_the_offer_s_days_from_when_recorded(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        ticket = await an_offer(uow, cinema, valid_until=DEFAULT_NOW - timedelta(hours=1))
        await _buys_mascara(uow, lisa, occurred_at=DEFAULT_NOW - timedelta(days=3))
        [grant] = _grants(uow, lisa)
        assert (grant.issued_at, grant.expires_at) == (
            DEFAULT_NOW, DEFAULT_NOW + timedelta(days=ticket.grant_valid_days))

    async def test_it_counts_in_the_period_quota_of_the_day_it_was_made(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        await an_offer(uow, cinema, quota=Quota(per_period=1, period=QuotaPeriod.DAY))
        yesterdays, todays, yesterdays_too = await _film_lovers(uow, 3)
        yesterday = DEFAULT_NOW - timedelta(days=1)
        await _buys_mascara(uow, yesterdays, occurred_at=yesterday)
        await _buys_mascara(uow, todays)
        await _buys_mascara(uow, yesterdays_too, occurred_at=yesterday)
        assert [len(_grants(uow, fan)) for fan in (yesterdays, todays, yesterdays_too)] == [
            1, 1, 0]


@pytest.mark.usefixtures("ticket")
class TestPurchaseEligibility:
    async def test_a_tier_bound_offer_skips_a_member_below_the_tier(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        silver_only = await an_offer(uow, cinema, eligibility=Eligibility(tier_codes=("silver",)))
        await _buys_mascara(uow, lisa)
        assert silver_only.id not in {g.offer_id for g in _grants(uow, lisa)}

    async def test_a_tier_bound_offer_issues_to_a_member_of_the_tier(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        silver_only = await an_offer(uow, cinema, eligibility=Eligibility(tier_codes=("silver",)))
        await a_purchase(uow, lisa.id, COAT_FOR_SILVER)
        await _buys_mascara(uow, lisa)
        assert silver_only.id in {g.offer_id for g in _grants(uow, lisa)}

    async def test_a_programme_bound_offer_skips_a_member_of_another_programme(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        airline_members = await an_offer(uow, cinema, eligibility=Eligibility(
            programme_code="sky-miles"))
        await _buys_mascara(uow, lisa)
        assert airline_members.id not in {g.offer_id for g in _grants(uow, lisa)}


class TestQuotas:
    async def test_a_total_quota_is_never_exceeded(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        await an_offer(uow, cinema, quota=Quota(total=2))
        fans = await _film_lovers(uow, 3)
        for fan in fans:
            await _buys_mascara(uow, fan)
        assert [len(_grants(uow, fan)) for fan in fans] == [1, 1, 0]

    async def test_a_member_gets_no_more_than_her_quota(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        await an_offer(uow, cinema, quota=Quota(per_member=2))
        for _ in range(3):
            await _buys_mascara(uow, lisa)
        assert len(_grants(uow, lisa)) == 2

    async def test_a_period_quota_is_counted_afresh_each_period(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        await an_offer(uow, cinema, quota=Quota(per_period=1, period=QuotaPeriod.DAY))
        first, second, third = await _film_lovers(uow, 3)
        await _buys_mascara(uow, first)
        await _buys_mascara(uow, second)
        uow.fixed_clock.advance(days=1)
        await _buys_mascara(uow, third)
        assert [len(_grants(uow, fan)) for fan in (first, second, third)] == [1, 0, 1]

    async def test_a_revoked_grant_gives_its_place_in_the_quota_back(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        await an_offer(uow, cinema, quota=Quota(total=1))
        first, second = await _film_lovers(uow, 2)
        await _buys_mascara(uow, first)
        [grant] = _grants(uow, first)
        await revoke_grant(RevokeGrant(grant.id, "Issued by mistake"), uow=uow, viewer=ADMIN)
        await _buys_mascara(uow, second)
        assert len(_grants(uow, second)) == 1


@pytest.mark.usefixtures("ticket")
class TestOncePerPurchase:
    async def test_a_replayed_purchase_issues_nothing_new(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        await an_offer(uow, cinema, quota=UNLIMITED)
        command = a_purchase_command(lisa.id, MASCARA)
        await record_purchase(command, uow=uow, viewer=ADMIN)
        before = uow.snapshot()
        replayed = await record_purchase(command, uow=uow, viewer=ADMIN)
        assert replayed.replayed
        assert uow.snapshot() == before

    async def test_a_refused_purchase_issues_nothing(
        self, uow: FakeUnitOfWork, lisa: Customer
    ) -> None:
        command = a_purchase_command(lisa.id, MASCARA, currency="EUR")
        await refused(uow, record_purchase(command, uow=uow, viewer=ADMIN))
        assert _grants(uow) == []


@pytest.mark.usefixtures("ticket")
class TestReturns:
    async def test_returning_what_earned_the_grant_revokes_it(
        self, uow: FakeUnitOfWork, lisa: Customer
    ) -> None:
        purchase = await _buys_mascara(uow, lisa)
        await a_refund(uow, purchase)
        [grant] = _grants(uow, lisa)
        assert (grant.state, grant.revoked_at) == (GrantState.REVOKED, DEFAULT_NOW)
        assert uow.event_names[-1] == "GrantRevoked"

    async def test_returning_another_line_keeps_the_grant(
        self, uow: FakeUnitOfWork, lisa: Customer
    ) -> None:
        purchase = await a_purchase(uow, lisa.id, MASCARA, EYE_SHADOW)
        await a_refund(uow, purchase, (2, 1))
        assert _states(uow, lisa) == [GrantState.ISSUED]

    async def test_a_partial_return_that_still_meets_the_minimum_keeps_the_grant(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        await an_offer(uow, cinema, trigger=Trigger(TriggerKind.PURCHASE, sku="EY-SHAD-02",
                                                    min_spend=Decimal("300.00")))
        mei = await a_consenting_member(uow, "Mei")
        purchase = await a_purchase(uow, mei.id, a_line("189.00", quantity=3, sku="EY-SHAD-02"))
        await a_refund(uow, purchase, (1, 1))
        assert _states(uow, mei) == [GrantState.ISSUED]

    async def test_a_partial_return_below_the_minimum_revokes_the_grant(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        await an_offer(uow, cinema, trigger=Trigger(TriggerKind.PURCHASE, sku="EY-SHAD-02",
                                                    min_spend=Decimal("300.00")))
        mei = await a_consenting_member(uow, "Mei")
        purchase = await a_purchase(uow, mei.id, a_line("189.00", quantity=2, sku="EY-SHAD-02"))
        await a_refund(uow, purchase, (1, 1))
        assert _states(uow, mei) == [GrantState.REVOKED]

    async def test_a_redeemed_grant_stays_redeemed_when_its_purchase_is_returned(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        purchase = await _buys_mascara(uow, lisa)
        [grant] = _grants(uow, lisa)
        await _redeemed(uow, cinema, grant)
        await a_refund(uow, purchase)
        assert _states(uow, lisa) == [GrantState.REDEEMED]

    async def test_a_returned_purchase_s_grant_leaves_her_quota_for_the_next(
        self, uow: FakeUnitOfWork, lisa: Customer
    ) -> None:
        returned = await _buys_mascara(uow, lisa)  # the ticket: once per member
        await a_refund(uow, returned)
        kept = await _buys_mascara(uow, lisa)
        assert [(g.state, g.purchase_id) for g in _grants(uow, lisa)] == [
            (GrantState.REVOKED, returned.id), (GrantState.ISSUED, kept.id)]

    async def test_a_return_leaves_other_purchases_grants_alone(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        await an_offer(uow, cinema, quota=UNLIMITED)
        first = await _buys_mascara(uow, lisa)
        await _buys_mascara(uow, lisa)
        await a_refund(uow, first)
        assert sorted(_states(uow, lisa)) == [GrantState.ISSUED, GrantState.REVOKED,
                                              GrantState.REVOKED]

    async def test_returning_the_whole_birthday_purchase_revokes_its_grant(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        await an_offer(uow, cinema, trigger=IN_HER_BIRTHDAY_MONTH, eligibility=ANYONE)
        born_in_march = await a_consenting_member(uow, birth_date=date(1994, 3, 18))
        purchase = await a_purchase(uow, born_in_march.id, a_line("100.00"))
        await a_refund(uow, purchase)
        assert _states(uow, born_in_march) == [GrantState.REVOKED]


class TestTierReached:
    async def test_reaching_the_tier_issues_its_offer(
        self, uow: FakeUnitOfWork, cinema: Partner, programme: Programme, lisa: Customer
    ) -> None:
        silver = await an_offer(uow, cinema, trigger=ON_REACHING_SILVER, eligibility=ANYONE)
        await a_purchase(uow, lisa.id, COAT_FOR_SILVER)
        [grant] = _grants(uow, lisa)
        assert (grant.offer_id, grant.source_key) == (
            silver.id, f"tier:{programme.tiers[1].id}")
        assert grant.purchase_id is None  # a return takes back the tier, not the benefit

    async def test_falling_back_and_climbing_again_issues_nothing_new(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        await an_offer(uow, cinema, trigger=ON_REACHING_SILVER, eligibility=ANYONE,
                       quota=UNLIMITED)
        upgrading = await a_purchase(uow, lisa.id, COAT_FOR_SILVER)
        await a_refund(uow, upgrading)
        await a_purchase(uow, lisa.id, COAT_FOR_SILVER)
        assert len(_grants(uow, lisa)) == 1

    async def test_an_offer_for_another_tier_is_not_issued(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        await an_offer(uow, cinema, trigger=Trigger(TriggerKind.TIER_REACHED, tier_code="gold"),
                       eligibility=ANYONE)
        await a_purchase(uow, lisa.id, COAT_FOR_SILVER)
        assert _grants(uow, lisa) == []

    async def test_an_offer_naming_no_tier_is_issued_on_every_move_up(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        await an_offer(uow, cinema, trigger=Trigger(TriggerKind.TIER_REACHED),
                       eligibility=ANYONE, quota=UNLIMITED)
        await a_purchase(uow, lisa.id, COAT_FOR_SILVER)
        await a_purchase(uow, lisa.id, a_line("15000.00"))  # Gold from 20,000 spent
        assert len(_grants(uow, lisa)) == 2

    async def test_a_first_purchase_enrolling_her_issues_nothing(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        await an_offer(uow, cinema, trigger=Trigger(TriggerKind.TIER_REACHED),
                       eligibility=ANYONE)
        await a_purchase(uow, lisa.id, a_line("100.00"))
        assert _grants(uow, lisa) == []


class TestBirthdayMonth:
    async def test_her_first_purchase_in_her_birthday_month_issues_it_once_that_year(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        await an_offer(uow, cinema, trigger=IN_HER_BIRTHDAY_MONTH, eligibility=ANYONE,
                       quota=UNLIMITED)
        born_in_march = await a_consenting_member(uow, birth_date=date(1994, 3, 18))
        await a_purchase(uow, born_in_march.id, a_line("100.00"))
        uow.fixed_clock.advance(days=10)
        await a_purchase(uow, born_in_march.id, a_line("100.00"))
        [grant] = _grants(uow, born_in_march)
        assert grant.source_key == "birthday:2026"

    async def test_her_birthday_month_next_year_issues_it_again(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        await an_offer(uow, cinema, trigger=IN_HER_BIRTHDAY_MONTH, eligibility=ANYONE,
                       quota=UNLIMITED)
        born_in_march = await a_consenting_member(uow, birth_date=date(1994, 3, 18))
        await a_purchase(uow, born_in_march.id, a_line("100.00"))
        uow.fixed_clock.set(datetime(2027, 3, 5, 10, tzinfo=UTC))
        await a_purchase(uow, born_in_march.id, a_line("100.00"))
        assert [g.source_key for g in _grants(uow, born_in_march)] == [
            "birthday:2026", "birthday:2027"]

    async def test_her_birthday_purchase_returned_whole_lets_her_next_one_that_month_issue_it(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        await an_offer(uow, cinema, trigger=IN_HER_BIRTHDAY_MONTH, eligibility=ANYONE)
        born_in_march = await a_consenting_member(uow, birth_date=date(1994, 3, 18))
        returned = await a_purchase(uow, born_in_march.id, a_line("100.00"))
        await a_refund(uow, returned)
        uow.fixed_clock.advance(days=2)
        kept = await a_purchase(uow, born_in_march.id, a_line("100.00"))
        assert [(g.state, g.source_key, g.purchase_id) for g in _grants(uow, born_in_march)] == [
            (GrantState.REVOKED, "birthday:2026", returned.id),
            (GrantState.ISSUED, "birthday:2026", kept.id)]

    async def test_her_birthday_grant_redeemed_uses_up_that_year_s(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        await an_offer(uow, cinema, trigger=IN_HER_BIRTHDAY_MONTH, eligibility=ANYONE,
                       quota=UNLIMITED)
        born_in_march = await a_consenting_member(uow, birth_date=date(1994, 3, 18))
        await a_purchase(uow, born_in_march.id, a_line("100.00"))
        [grant] = _grants(uow, born_in_march)
        await _redeemed(uow, cinema, grant)
        await a_purchase(uow, born_in_march.id, a_line("100.00"))
        assert _states(uow, born_in_march) == [GrantState.REDEEMED]

    async def test_her_birthday_grant_expired_uses_up_that_year_s(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        await an_offer(uow, cinema, trigger=IN_HER_BIRTHDAY_MONTH, eligibility=ANYONE,
                       quota=UNLIMITED, grant_valid_days=7)
        born_in_march = await a_consenting_member(uow, birth_date=date(1994, 3, 18))
        await a_purchase(uow, born_in_march.id, a_line("100.00"))
        uow.fixed_clock.advance(days=8)
        await expire_grants(ExpireGrants(), new_uow=lambda: uow, viewer=ADMIN)
        await a_purchase(uow, born_in_march.id, a_line("100.00"))
        assert _states(uow, born_in_march) == [GrantState.EXPIRED]

    async def test_a_purchase_outside_her_birthday_month_issues_none(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        await an_offer(uow, cinema, trigger=IN_HER_BIRTHDAY_MONTH, eligibility=ANYONE)
        born_in_may = await a_consenting_member(uow, birth_date=date(1994, 5, 18))
        await a_purchase(uow, born_in_may.id, a_line("100.00"))
        assert _grants(uow, born_in_may) == []


class TestIssuedByHand:
    async def test_staff_issue_one_with_their_reason_and_name(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        apology = await an_offer(uow, cinema, trigger=BY_HAND)
        grant = await a_grant(uow, apology, lisa, reason="Torn scarf, case 114")
        assert uow.data.grants[grant.id] == grant
        assert (grant.reason, grant.issued_by, grant.state) == (
            "Torn scarf, case 114", ADMIN.subject, GrantState.ISSUED)
        assert grant.source_key.startswith("manual:")

    async def test_staff_judge_eligibility_themselves(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        apology = await an_offer(uow, cinema, trigger=BY_HAND)
        gardener = await a_consenting_member(uow, "Mei", interests=("gardening",))
        assert (await a_grant(uow, apology, gardener)).customer_id == gardener.id

    async def test_a_reason_is_required(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        apology = await an_offer(uow, cinema, trigger=BY_HAND)
        error = await refused(uow, a_grant(uow, apology, lisa, reason="  "))
        assert problems(error) == {(("reason",), ErrorCode.REQUIRED)}

    async def test_her_consent_is_required(
        self, uow: FakeUnitOfWork, cinema: Partner, mrs_li: Customer
    ) -> None:
        apology = await an_offer(uow, cinema, trigger=BY_HAND)
        error = await refused(uow, a_grant(uow, apology, mrs_li))
        assert problems(error) == {(("customer_id",), ErrorCode.NOT_ELIGIBLE)}

    async def test_an_exhausted_quota_is_refused(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        apology = await an_offer(uow, cinema, trigger=BY_HAND)
        await a_grant(uow, apology, lisa)
        error = await refused(uow, a_grant(uow, apology, lisa))
        assert problems(error) == {(("offer_id",), ErrorCode.QUOTA_EXHAUSTED)}

    async def test_a_suspended_partners_offer_is_refused(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        apology = await an_offer(uow, cinema, trigger=BY_HAND)
        await suspend(uow, cinema)
        error = await refused(uow, a_grant(uow, apology, lisa))
        assert problems(error) == {(("offer_id",), ErrorCode.SUSPENDED)}

    @pytest.mark.parametrize("window", [
        {"valid_from": DEFAULT_NOW + timedelta(days=1)},
        {"valid_from": DEFAULT_NOW - timedelta(days=9), "valid_until": DEFAULT_NOW},
    ])
    async def test_an_offer_outside_its_window_is_refused(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer, window: dict[str, Any]
    ) -> None:
        apology = await an_offer(uow, cinema, trigger=BY_HAND, **window)
        error = await refused(uow, a_grant(uow, apology, lisa))
        assert problems(error) == {(("offer_id",), ErrorCode.OUTSIDE_VALIDITY)}

    async def test_a_paused_offer_is_refused(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        apology = await an_offer(uow, cinema, OfferStatus.PAUSED, trigger=BY_HAND)
        error = await refused(uow, a_grant(uow, apology, lisa))
        assert problems(error) == {(("offer_id",), ErrorCode.OUTSIDE_VALIDITY)}

    async def test_an_unknown_offer_is_refused(
        self, uow: FakeUnitOfWork, lisa: Customer
    ) -> None:
        attempt = issue_grant(IssueGrant(new_id(), lisa.id, "Torn scarf"), uow=uow,
                              viewer=ADMIN)
        assert problems(await refused(uow, attempt)) == {(("offer_id",), ErrorCode.NOT_FOUND)}

    async def test_a_partner_may_not_issue_one(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        apology = await an_offer(uow, cinema, trigger=BY_HAND)
        attempt = issue_grant(IssueGrant(apology.id, lisa.id, "Our treat"), uow=uow,
                              viewer=a_partner_client(cinema))
        assert problems(await refused(uow, attempt)) == {((), ErrorCode.NOT_ALLOWED)}

    async def test_a_clerk_may_not_issue_one_to_a_customer_outside_her_stores(
        self, uow: FakeUnitOfWork, cinema: Partner, lisa: Customer
    ) -> None:
        apology = await an_offer(uow, cinema, trigger=BY_HAND)
        clerk = Viewer(Role.STAFF, "staff:wang-fang", staff_id=new_id(),
                       store_ids=frozenset({new_id()}))
        attempt = issue_grant(IssueGrant(apology.id, lisa.id, "Torn scarf"), uow=uow,
                              viewer=clerk)
        assert problems(await refused(uow, attempt)) == {((), ErrorCode.NOT_ALLOWED)}


class TestRevoke:
    async def test_a_revoked_grant_keeps_why_and_when(
        self, uow: FakeUnitOfWork, ticket: Offer, lisa: Customer
    ) -> None:
        grant = await a_grant(uow, ticket, lisa)
        revoked = await revoke_grant(RevokeGrant(grant.id, "Issued twice"), uow=uow,
                                     viewer=ADMIN)
        assert uow.data.grants[grant.id] == revoked
        assert (revoked.state, revoked.reason, revoked.revoked_at) == (
            GrantState.REVOKED, "Issued twice", DEFAULT_NOW)

    async def test_a_reason_is_required(
        self, uow: FakeUnitOfWork, ticket: Offer, lisa: Customer
    ) -> None:
        grant = await a_grant(uow, ticket, lisa)
        attempt = revoke_grant(RevokeGrant(grant.id, ""), uow=uow, viewer=ADMIN)
        assert problems(await refused(uow, attempt)) == {(("reason",), ErrorCode.REQUIRED)}

    async def test_a_revoked_grant_cannot_be_revoked_again(
        self, uow: FakeUnitOfWork, ticket: Offer, lisa: Customer
    ) -> None:
        grant = await a_grant(uow, ticket, lisa)
        await revoke_grant(RevokeGrant(grant.id, "Issued twice"), uow=uow, viewer=ADMIN)
        attempt = revoke_grant(RevokeGrant(grant.id, "Again"), uow=uow, viewer=ADMIN)
        assert problems(await refused(uow, attempt)) == {
            (("grant_id",), ErrorCode.INVALID_TRANSITION)}

    async def test_a_redeemed_grant_cannot_be_revoked(
        self, uow: FakeUnitOfWork, cinema: Partner, ticket: Offer, lisa: Customer
    ) -> None:
        grant = await a_grant(uow, ticket, lisa)
        await _redeemed(uow, cinema, grant)
        attempt = revoke_grant(RevokeGrant(grant.id, "Too late"), uow=uow, viewer=ADMIN)
        assert problems(await refused(uow, attempt)) == {
            (("grant_id",), ErrorCode.INVALID_TRANSITION)}

    async def test_a_grant_past_its_expiry_cannot_be_revoked_before_the_job_ran(
        self, uow: FakeUnitOfWork, ticket: Offer, lisa: Customer
    ) -> None:
        grant = await a_grant(uow, ticket, lisa)
        uow.fixed_clock.set(grant.expires_at)
        attempt = revoke_grant(RevokeGrant(grant.id, "Too late"), uow=uow, viewer=ADMIN)
        assert problems(await refused(uow, attempt)) == {
            (("grant_id",), ErrorCode.INVALID_TRANSITION)}

    async def test_an_unknown_grant(self, uow: FakeUnitOfWork) -> None:
        attempt = revoke_grant(RevokeGrant(new_id(), "Nothing"), uow=uow, viewer=ADMIN)
        assert problems(await refused(uow, attempt)) == {(("grant_id",), ErrorCode.NOT_FOUND)}


class TestExpiryJob:
    async def _expiring(self, uow: FakeUnitOfWork, limit: int = 10_000) -> int:
        return await expire_grants(ExpireGrants(limit), new_uow=lambda: uow, viewer=ADMIN)

    async def test_grants_past_their_expiry_are_marked_expired(
        self, uow: FakeUnitOfWork, ticket: Offer
    ) -> None:
        fans = await _film_lovers(uow, 2)
        grants = [await a_grant(uow, ticket, fan) for fan in fans]
        uow.fixed_clock.set(grants[0].expires_at)
        assert await self._expiring(uow) == 2
        assert {uow.data.grants[g.id].state for g in grants} == {GrantState.EXPIRED}
        assert uow.event_names[-2:] == ["GrantExpired", "GrantExpired"]

    async def test_running_it_again_expires_nothing_more(
        self, uow: FakeUnitOfWork, ticket: Offer, lisa: Customer
    ) -> None:
        grant = await a_grant(uow, ticket, lisa)
        uow.fixed_clock.set(grant.expires_at)
        await self._expiring(uow)
        before = uow.snapshot()
        assert await self._expiring(uow) == 0
        assert uow.snapshot().grants == before.grants

    async def test_a_grant_not_yet_due_is_left_issued(
        self, uow: FakeUnitOfWork, ticket: Offer, lisa: Customer
    ) -> None:
        grant = await a_grant(uow, ticket, lisa)
        uow.fixed_clock.set(grant.expires_at - timedelta(seconds=1))
        assert await self._expiring(uow) == 0
        assert uow.data.grants[grant.id].state is GrantState.ISSUED

    async def test_a_redeemed_or_revoked_grant_is_left_as_it_is(
        self, uow: FakeUnitOfWork, cinema: Partner, ticket: Offer
    ) -> None:
        redeemed_by, revoked_by = await _film_lovers(uow, 2)
        redeemed = await a_grant(uow, ticket, redeemed_by)
        await _redeemed(uow, cinema, redeemed)
        revoked = await a_grant(uow, ticket, revoked_by)
        await revoke_grant(RevokeGrant(revoked.id, "Issued twice"), uow=uow, viewer=ADMIN)
        uow.fixed_clock.set(redeemed.expires_at)
        assert await self._expiring(uow) == 0

    async def test_more_grants_than_one_batch_are_all_expired(
        self, uow: FakeUnitOfWork, ticket: Offer
    ) -> None:
        grants = [await a_grant(uow, ticket, fan) for fan in await _film_lovers(uow, 3)]
        uow.fixed_clock.set(grants[-1].expires_at)
        assert await self._expiring(uow, limit=2) == 3

