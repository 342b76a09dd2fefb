"""Offers (domain/partners/offers.py): defining one, editing it, and moving it through
draft → active ⇄ paused → ended. A refusal writes nothing."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.partners.commands import ChangeOfferStatus, UpdateOffer
from domain.partners.model import (
    Benefit,
    BenefitKind,
    CostSharing,
    Offer,
    OfferStatus,
    Partner,
    Payer,
    Quota,
    Trigger,
    TriggerKind,
)
from domain.partners.offers import change_offer_status, create_offer, update_offer
from domain.shared.access import Role, Viewer
from domain.shared.errors import ErrorCode
from domain.shared.ids import new_id
from tests.builders import (
    ADMIN,
    BRAND_PAYS_35,
    Problem,
    a_partner,
    an_offer,
    an_offer_command,
    move_offer,
    problems,
    refused,
)
from tests.fakes import DEFAULT_NOW, FakeUnitOfWork

NEXT_WEEK = DEFAULT_NOW + timedelta(days=7)


@pytest.fixture
async def cinema(uow: FakeUnitOfWork) -> Partner:
    return await a_partner(uow)


async def _creating(uow: FakeUnitOfWork, partner: Partner, **changes: Any) -> set[Problem]:
    attempt = create_offer(an_offer_command(partner, **changes), uow=uow, viewer=ADMIN)
    return problems(await refused(uow, attempt))


async def _updating(uow: FakeUnitOfWork, offer: Offer, *, expected_version: int | None = None,
                    **changes: Any) -> set[Problem]:
    command = UpdateOffer(offer.id, changes, expected_version)
    return problems(await refused(uow, update_offer(command, uow=uow, viewer=ADMIN)))


async def _moving(uow: FakeUnitOfWork, offer: Offer, status: OfferStatus,
                  expected_version: int | None = None) -> set[Problem]:
    command = ChangeOfferStatus(offer.id, status, expected_version)
    return problems(await refused(uow, change_offer_status(command, uow=uow, viewer=ADMIN)))


class TestCreateOffer:
    async def test_a_new_offer_is_a_draft_of_its_partner(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        offer = await an_offer(uow, cinema, OfferStatus.DRAFT)
        assert uow.data.offers[offer.id] == offer
        assert (offer.partner_id, offer.status, offer.version) == (
            cinema.id, OfferStatus.DRAFT, 1)
        assert uow.event_names[-1] == "OfferCreated"

    async def test_an_unknown_partner(self, uow: FakeUnitOfWork, cinema: Partner) -> None:
        assert await _creating(uow, replace(cinema, id=new_id())) == {
            (("partner_id",), ErrorCode.NOT_FOUND)}

    async def test_a_code_the_partner_has_already_is_a_duplicate(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        await an_offer(uow, cinema, code="imax-ticket")
        assert await _creating(uow, cinema, code="imax-ticket") == {
            (("code",), ErrorCode.DUPLICATE)}

    async def test_another_partner_may_use_the_same_code(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        await an_offer(uow, cinema, code="welcome")
        cafe = await a_partner(uow, name="Blue Bottle", industry="café")
        offer = await an_offer(uow, cafe, code="welcome")
        assert offer.partner_id == cafe.id

    async def test_a_window_that_ends_before_it_starts(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        assert await _creating(uow, cinema, valid_from=NEXT_WEEK, valid_until=DEFAULT_NOW) == {
            (("valid_until",), ErrorCode.INVALID)}

    async def test_a_window_that_ends_as_it_starts(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        assert await _creating(uow, cinema, valid_from=NEXT_WEEK, valid_until=NEXT_WEEK) == {
            (("valid_until",), ErrorCode.INVALID)}

    async def test_a_moment_without_a_time_zone(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        assert await _creating(uow, cinema, valid_from=datetime(2026, 3, 1)) == {
            (("valid_from",), ErrorCode.INVALID)}

    async def test_a_negative_unit_cost(self, uow: FakeUnitOfWork, cinema: Partner) -> None:
        cost = CostSharing(Payer.BRAND, Decimal("-35.00"))
        assert await _creating(uow, cinema, cost=cost) == {
            (("cost", "unit_cost"), ErrorCode.INVALID)}

    async def test_a_brand_share_above_the_whole(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        cost = CostSharing(Payer.SHARED, Decimal("35.00"), Decimal("1.5"))
        assert await _creating(uow, cinema, cost=cost) == {
            (("cost", "brand_share"), ErrorCode.INVALID)}

    async def test_a_brand_share_on_a_cost_that_is_not_shared(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        cost = CostSharing(Payer.PARTNER, Decimal("35.00"), Decimal("0.5"))
        assert await _creating(uow, cinema, cost=cost) == {
            (("cost", "brand_share"), ErrorCode.INVALID)}

    async def test_a_benefit_without_what_its_kind_needs(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        assert await _creating(uow, cinema, benefit=Benefit(BenefitKind.AMOUNT_OFF)) == {
            (("benefit", "amount"), ErrorCode.REQUIRED)}

    async def test_a_percentage_off_above_a_hundred(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        benefit = Benefit(BenefitKind.PERCENT_OFF, percent=Decimal(120))
        assert await _creating(uow, cinema, benefit=benefit) == {
            (("benefit", "percent"), ErrorCode.INVALID)}

    async def test_a_tier_on_a_trigger_that_is_not_a_tier_reached(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        trigger = Trigger(TriggerKind.MANUAL, tier_code="gold")
        assert await _creating(uow, cinema, trigger=trigger) == {
            (("trigger", "tier_code"), ErrorCode.INVALID)}

    async def test_a_negative_minimum_spend(self, uow: FakeUnitOfWork, cinema: Partner) -> None:
        trigger = Trigger(TriggerKind.PURCHASE, category="mascara", min_spend=Decimal(-1))
        assert await _creating(uow, cinema, trigger=trigger) == {
            (("trigger", "min_spend"), ErrorCode.INVALID)}

    @pytest.mark.parametrize("quota", [Quota(total=0), Quota(per_member=0),
                                       Quota(per_period=-1)])
    async def test_a_quota_below_one(
        self, uow: FakeUnitOfWork, cinema: Partner, quota: Quota
    ) -> None:
        [(field, code)] = await _creating(uow, cinema, quota=quota)
        assert (field[0], code) == ("quota", ErrorCode.INVALID)

    async def test_staff_may_not_define_an_offer(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        attempt = create_offer(an_offer_command(cinema), uow=uow,
                               viewer=Viewer(Role.STAFF, "staff:wang-fang"))
        assert problems(await refused(uow, attempt)) == {((), ErrorCode.NOT_ALLOWED)}


class TestUpdateOffer:
    async def test_a_change_is_saved_with_the_next_version(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        offer = await an_offer(uow, cinema, OfferStatus.DRAFT)
        changed = await update_offer(UpdateOffer(offer.id, {"title": "Two tickets"}, 1),
                                     uow=uow, viewer=ADMIN)
        assert (changed.title, changed.version) == ("Two tickets", 2)
        assert uow.data.offers[offer.id] == changed

    async def test_an_active_offer_may_be_edited(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        offer = await an_offer(uow, cinema)
        changed = await update_offer(UpdateOffer(offer.id, {"grant_valid_days": 60}),
                                     uow=uow, viewer=ADMIN)
        assert (changed.status, changed.grant_valid_days) == (OfferStatus.ACTIVE, 60)

    async def test_an_ended_offer_cannot_be_edited(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        offer = await an_offer(uow, cinema, OfferStatus.ENDED)
        assert await _updating(uow, offer, title="Revived") == {
            (("offer_id",), ErrorCode.INVALID_TRANSITION)}

    async def test_a_stale_version_is_a_conflict(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        offer = await an_offer(uow, cinema, OfferStatus.DRAFT)
        await update_offer(UpdateOffer(offer.id, {"title": "Two tickets"}), uow=uow,
                           viewer=ADMIN)
        assert await _updating(uow, offer, expected_version=1, title="Three tickets") == {
            (("expected_version",), ErrorCode.CONFLICT)}

    async def test_a_window_moved_to_end_before_it_starts(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        offer = await an_offer(uow, cinema, valid_from=NEXT_WEEK)
        assert await _updating(uow, offer, valid_until=DEFAULT_NOW) == {
            (("valid_until",), ErrorCode.INVALID)}

    async def test_a_negative_cost(self, uow: FakeUnitOfWork, cinema: Partner) -> None:
        offer = await an_offer(uow, cinema)
        cost = replace(BRAND_PAYS_35, unit_cost=Decimal(-1))
        assert await _updating(uow, offer, cost=cost) == {
            (("cost", "unit_cost"), ErrorCode.INVALID)}

    @pytest.mark.parametrize("field", ["code", "partner_id", "status"])
    async def test_its_code_partner_and_status_are_not_editable(
        self, uow: FakeUnitOfWork, cinema: Partner, field: str
    ) -> None:
        offer = await an_offer(uow, cinema)
        edit: dict[str, Any] = {field: "x"}
        assert await _updating(uow, offer, **edit) == {
            (("changes",), ErrorCode.INVALID)}

    async def test_an_unknown_offer(self, uow: FakeUnitOfWork, cinema: Partner) -> None:
        command = UpdateOffer(new_id(), {"title": "Nothing"})
        error = await refused(uow, update_offer(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("offer_id",), ErrorCode.NOT_FOUND)}


class TestOfferStatus:
    @pytest.mark.parametrize(("start", "to"), [
        (OfferStatus.DRAFT, OfferStatus.ACTIVE),
        (OfferStatus.DRAFT, OfferStatus.ENDED),
        (OfferStatus.ACTIVE, OfferStatus.PAUSED),
        (OfferStatus.ACTIVE, OfferStatus.ENDED),
        (OfferStatus.PAUSED, OfferStatus.ACTIVE),
        (OfferStatus.PAUSED, OfferStatus.ENDED),
    ])
    async def test_an_allowed_move_is_saved_with_the_next_version(
        self, uow: FakeUnitOfWork, cinema: Partner, start: OfferStatus, to: OfferStatus
    ) -> None:
        offer = await an_offer(uow, cinema, start)
        moved = await move_offer(uow, offer, to)
        assert (moved.status, moved.version) == (to, offer.version + 1)
        assert uow.data.offers[offer.id] == moved
        assert uow.events[-1].data == {"from": start.value, "to": to.value}

    @pytest.mark.parametrize(("start", "to"), [
        (OfferStatus.DRAFT, OfferStatus.PAUSED),
        (OfferStatus.ENDED, OfferStatus.ACTIVE),
        (OfferStatus.ENDED, OfferStatus.PAUSED),
        (OfferStatus.ENDED, OfferStatus.DRAFT),
        (OfferStatus.ACTIVE, OfferStatus.DRAFT),
        (OfferStatus.PAUSED, OfferStatus.DRAFT),
    ])
    async def test_a_move_the_lifecycle_does_not_allow(
        self, uow: FakeUnitOfWork, cinema: Partner, start: OfferStatus, to: OfferStatus
    ) -> None:
        offer = await an_offer(uow, cinema, start)
        assert await _moving(uow, offer, to) == {(("status",), ErrorCode.INVALID_TRANSITION)}

    async def test_moving_to_the_status_it_has_changes_nothing(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        offer = await an_offer(uow, cinema)
        before = uow.snapshot()
        assert await move_offer(uow, offer, OfferStatus.ACTIVE) == offer
        assert uow.snapshot() == before

    async def test_a_stale_version_is_a_conflict(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        offer = await an_offer(uow, cinema)
        assert await _moving(uow, offer, OfferStatus.PAUSED, expected_version=1) == {
            (("expected_version",), ErrorCode.CONFLICT)}

    async def test_an_offer_issues_only_while_active_and_inside_its_window(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        offer = await an_offer(uow, cinema, valid_from=DEFAULT_NOW, valid_until=NEXT_WEEK)
        paused = await move_offer(uow, offer, OfferStatus.PAUSED)
        assert [offer.issuing_at(DEFAULT_NOW - timedelta(seconds=1)),
                offer.issuing_at(DEFAULT_NOW), offer.issuing_at(NEXT_WEEK),
                paused.issuing_at(DEFAULT_NOW)] == [False, True, False, False]

    async def test_a_grant_is_good_for_its_days_but_never_past_redeem_until(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        offer = await an_offer(uow, cinema, grant_valid_days=30, redeem_until=NEXT_WEEK)
        issued = datetime(2026, 3, 2, tzinfo=UTC)
        assert offer.grant_expiry(issued) == NEXT_WEEK
        assert replace(offer, redeem_until=None).grant_expiry(issued) == (
            issued + timedelta(days=30))
