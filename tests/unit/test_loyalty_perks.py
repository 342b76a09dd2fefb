"""A tier's perks pointing at partner offers (domain/loyalty/perks.py), saved with the
programme's definition; and who is shown the offer (domain/partners/perks.py)."""

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.loyalty.commands import OfferRef, PerkSpec, TierSpec
from domain.loyalty.model import Perk, Programme, Tier
from domain.partners.model import Offer, OfferStatus, Partner
from domain.partners.perks import perk_offer_shown
from domain.shared.access import Role, Viewer
from domain.shared.errors import ErrorCode
from tests.builders import (
    ADMIN,
    TIERS,
    Problem,
    a_partner,
    a_programme,
    an_offer,
    move_offer,
    problems,
    refused,
    saving_programme,
    suspend,
)
from tests.fakes import DEFAULT_NOW, FakeUnitOfWork

MEMBER, SILVER, GOLD = TIERS
TICKET = "A free movie ticket at the cinema"
ALTERATIONS = "free alterations"
GOLD_PERKS = ("tiers", "2", "perk_details")


def ref(partner: Partner, offer: Offer) -> OfferRef:
    return OfferRef(partner.code, offer.code)


def gold_with(*perks: PerkSpec) -> tuple[TierSpec, ...]:
    """The programme's tiers, Gold with these perks."""
    return (MEMBER, SILVER, replace(GOLD, perk_details=perks))


def gold_of(programme: Programme) -> Tier:
    return programme.tiers[2]


async def _cinema(uow: FakeUnitOfWork,
                  status: OfferStatus = OfferStatus.ACTIVE) -> tuple[Partner, Offer]:
    cinema = await a_partner(uow)
    return cinema, await an_offer(uow, cinema, status)


async def _refused(uow: FakeUnitOfWork, *perks: PerkSpec) -> set[Problem]:
    return problems(await refused(uow, saving_programme(uow, tiers=gold_with(*perks))))


class TestPerksPointingAtOffers:
    async def test_a_perk_points_at_the_offer_its_partner_and_offer_codes_name(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema, ticket = await _cinema(uow)
        saved = await a_programme(uow, tiers=gold_with(
            PerkSpec(ALTERATIONS), PerkSpec(TICKET, ref(cinema, ticket))))
        assert gold_of(saved).perks == (Perk(ALTERATIONS), Perk(TICKET, ticket.id))
        async with uow:
            assert await uow.programmes.get(saved.id) == saved

    async def test_codes_naming_an_offer_are_read_in_any_case_and_without_blanks(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema, ticket = await _cinema(uow)
        shouted = OfferRef(f" {cinema.code.upper()} ", f"{ticket.code.upper()} ")
        saved = await a_programme(uow, tiers=gold_with(PerkSpec(TICKET, shouted)))
        assert gold_of(saved).perks == (Perk(TICKET, ticket.id),)

    @pytest.mark.parametrize("status", [OfferStatus.DRAFT, OfferStatus.PAUSED])
    async def test_a_perk_may_point_at_an_offer_not_live_yet_or_paused(
        self, uow: FakeUnitOfWork, status: OfferStatus
    ) -> None:
        cinema, ticket = await _cinema(uow, status)
        saved = await a_programme(uow, tiers=gold_with(PerkSpec(TICKET, ref(cinema, ticket))))
        assert gold_of(saved).perks == (Perk(TICKET, ticket.id),)

    async def test_plain_perks_keep_the_offers_the_tier_s_perks_of_their_texts_pointed_at(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema, ticket = await _cinema(uow)
        await a_programme(uow, tiers=gold_with(PerkSpec(TICKET, ref(cinema, ticket))))
        again = await a_programme(uow, tiers=(MEMBER, SILVER, replace(
            GOLD, perks=(ALTERATIONS, f" {TICKET} "))))
        assert gold_of(again).perks == (Perk(ALTERATIONS), Perk(TICKET, ticket.id))

    async def test_a_plain_perk_given_twice_is_kept_once(self, uow: FakeUnitOfWork) -> None:
        saved = await a_programme(uow, tiers=(MEMBER, SILVER, replace(
            GOLD, perks=(ALTERATIONS, TICKET, ALTERATIONS))))
        assert gold_of(saved).perks == (Perk(ALTERATIONS), Perk(TICKET))

    async def test_perk_details_say_exactly_which_perks_point_at_offers(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema, ticket = await _cinema(uow)
        await a_programme(uow, tiers=gold_with(PerkSpec(TICKET, ref(cinema, ticket))))
        again = await a_programme(uow, tiers=gold_with(PerkSpec(TICKET)))
        assert gold_of(again).perks == (Perk(TICKET),)

    async def test_a_perk_keeps_pointing_at_an_offer_that_ended_since(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema, ticket = await _cinema(uow)
        tiers = gold_with(PerkSpec(TICKET, ref(cinema, ticket)))
        await a_programme(uow, tiers=tiers)
        await move_offer(uow, ticket, OfferStatus.ENDED)
        again = await a_programme(uow, tiers=tiers)
        assert gold_of(again).perks == (Perk(TICKET, ticket.id),)

    async def test_a_perk_keeps_pointing_at_an_offer_whose_partner_was_suspended_since(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema, ticket = await _cinema(uow)
        tiers = gold_with(PerkSpec(TICKET, ref(cinema, ticket)))
        await a_programme(uow, tiers=tiers)
        await suspend(uow, cinema)
        again = await a_programme(uow, tiers=tiers)
        assert gold_of(again).perks == (Perk(TICKET, ticket.id),)

    async def test_a_definition_naming_no_offer_looks_none_up(
        self, uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def no_lookup(*args: object) -> None:
            raise AssertionError("looked an offer up")

        monkeypatch.setattr(type(uow.partners), "offers_by_codes", no_lookup)
        saved = await a_programme(uow, tiers=gold_with(PerkSpec(TICKET)))
        assert gold_of(saved).perks == (Perk(TICKET),)


class TestPerkRefusals:
    async def test_an_offer_the_partner_does_not_have_is_not_found(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema, _ = await _cinema(uow)
        assert await _refused(uow, PerkSpec(TICKET, OfferRef(cinema.code, "popcorn"))) == {
            ((*GOLD_PERKS, "0", "offer"), ErrorCode.NOT_FOUND)}

    async def test_an_offer_of_a_partner_that_does_not_exist_is_not_found(
        self, uow: FakeUnitOfWork
    ) -> None:
        _, ticket = await _cinema(uow)
        assert await _refused(uow, PerkSpec(TICKET, OfferRef("nobody", ticket.code))) == {
            ((*GOLD_PERKS, "0", "offer"), ErrorCode.NOT_FOUND)}

    async def test_a_new_perk_cannot_point_at_an_ended_offer(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema, ticket = await _cinema(uow, OfferStatus.ENDED)
        assert await _refused(uow, PerkSpec(TICKET, ref(cinema, ticket))) == {
            ((*GOLD_PERKS, "0", "offer", "code"), ErrorCode.OUTSIDE_VALIDITY)}

    async def test_a_new_perk_cannot_point_at_a_suspended_partner_s_offer(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema, ticket = await _cinema(uow)
        await suspend(uow, cinema)
        assert await _refused(uow, PerkSpec(TICKET, ref(cinema, ticket))) == {
            ((*GOLD_PERKS, "0", "offer", "partner_code"), ErrorCode.SUSPENDED)}

    async def test_two_perks_of_a_tier_cannot_point_at_one_offer(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema, ticket = await _cinema(uow)
        assert await _refused(uow, PerkSpec(TICKET, ref(cinema, ticket)),
                              PerkSpec("a second ticket", ref(cinema, ticket))) == {
            ((*GOLD_PERKS, "1", "offer"), ErrorCode.DUPLICATE)}

    async def test_a_tier_cannot_have_one_perk_twice(self, uow: FakeUnitOfWork) -> None:
        assert await _refused(uow, PerkSpec(ALTERATIONS), PerkSpec(f"{ALTERATIONS} ")) == {
            ((*GOLD_PERKS, "1", "text"), ErrorCode.DUPLICATE)}

    async def test_perks_and_perk_details_are_not_both_given(
        self, uow: FakeUnitOfWork
    ) -> None:
        both = replace(GOLD, perks=(ALTERATIONS,), perk_details=(PerkSpec(TICKET),))
        assert problems(await refused(uow, saving_programme(uow, tiers=(MEMBER, SILVER, both)))
                        ) == {(GOLD_PERKS, ErrorCode.INVALID)}

    async def test_a_perk_has_a_text(self, uow: FakeUnitOfWork) -> None:
        assert await _refused(uow, PerkSpec(" ")) == {
            ((*GOLD_PERKS, "0", "text"), ErrorCode.REQUIRED)}

    async def test_an_offer_is_named_by_codes(self, uow: FakeUnitOfWork) -> None:
        assert await _refused(uow, PerkSpec(TICKET, OfferRef("the cinema", ""))) == {
            ((*GOLD_PERKS, "0", "offer", "partner_code"), ErrorCode.INVALID),
            ((*GOLD_PERKS, "0", "offer", "code"), ErrorCode.REQUIRED)}

    async def test_a_tier_has_at_most_twenty_perks(self, uow: FakeUnitOfWork) -> None:
        many = [PerkSpec(f"perk {n}") for n in range(21)]
        assert await _refused(uow, *many) == {(GOLD_PERKS, ErrorCode.TOO_LARGE)}


class TestWhoIsShownAPerksOffer:
    STOREFRONT = Viewer(Role.STOREFRONT, "client:web-shop")

    async def test_staff_and_admins_are_shown_it_whatever_its_status(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema, ticket = await _cinema(uow, OfferStatus.PAUSED)
        clerk = Viewer(Role.STAFF, "staff:wang")
        assert perk_offer_shown(ADMIN, ticket, cinema, DEFAULT_NOW)
        assert perk_offer_shown(clerk, ticket, cinema, DEFAULT_NOW)

    async def test_a_web_shop_is_shown_it_while_a_member_can_get_it(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema, ticket = await _cinema(uow)
        assert perk_offer_shown(self.STOREFRONT, ticket, cinema, DEFAULT_NOW)

    @pytest.mark.parametrize("status", [OfferStatus.DRAFT, OfferStatus.PAUSED,
                                        OfferStatus.ENDED])
    async def test_a_web_shop_is_not_shown_an_offer_that_does_not_issue(
        self, uow: FakeUnitOfWork, status: OfferStatus
    ) -> None:
        cinema, ticket = await _cinema(uow, status)
        assert not perk_offer_shown(self.STOREFRONT, ticket, cinema, DEFAULT_NOW)

    async def test_a_web_shop_is_not_shown_an_offer_past_its_dates(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema, ticket = await _cinema(uow)
        over = replace(ticket, valid_until=DEFAULT_NOW - timedelta(days=1))
        assert not perk_offer_shown(self.STOREFRONT, over, cinema, DEFAULT_NOW)

    async def test_a_web_shop_is_not_shown_a_suspended_partner_s_offer(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema, ticket = await _cinema(uow)
        assert not perk_offer_shown(self.STOREFRONT, ticket, await suspend(uow, cinema),
                                    DEFAULT_NOW)

    @pytest.mark.parametrize("role", [Role.PARTNER, Role.ANALYTICS])
    async def test_partners_and_analytics_are_never_shown_it(
        self, uow: FakeUnitOfWork, role: Role
    ) -> None:
        cinema, ticket = await _cinema(uow)
        viewer = Viewer(role, "client:x", partner_code=cinema.code if role is Role.PARTNER
                        else None)
        assert not perk_offer_shown(viewer, ticket, cinema, DEFAULT_NOW)
