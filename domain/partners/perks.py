"""The alliance's side of a tier's perks (domain/loyalty/perks.py): the offers a programme's
definition names, and who is shown the offer a perk points at."""

from collections.abc import Collection
from datetime import datetime

from domain.loyalty.commands import OfferRef
from domain.loyalty.perks import PerkOffer
from domain.partners.model import Offer, OfferStatus, Partner
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Viewer


class PartnerPerkOffers:
    """Loyalty's `PerkOffers`: the alliance's offers, by partner code and offer code."""

    async def find(self, uow: UnitOfWork, refs: Collection[OfferRef]) -> dict[OfferRef, PerkOffer]:
        found = await uow.partners.offers_by_codes({(r.partner_code, r.code) for r in refs})
        return {
            OfferRef(pair.partner.code, pair.offer.code): PerkOffer(
                pair.offer.id, ended=pair.offer.status is OfferStatus.ENDED,
                partner_suspended=not pair.partner.active)
            for pair in found
        }


def perk_offer_shown(viewer: Viewer, offer: Offer, partner: Partner, now: datetime) -> bool:
    """Whether `viewer` is shown the offer a tier's perk points at. Those who serve members
    are: staff and admins whatever its status (they set perks up and explain them; the
    offer's status says whether it is live), a web shop or app (STOREFRONT) only while a
    member can get it — active, within its dates, of an active partner — else it shows the
    perk's text alone. Partners and analytics never are: a partner learns nothing of the
    brand's tiers through its own offers, nor of another partner's."""
    if not viewer.may(Operation.BENEFIT_READ):
        return False
    if viewer.may(Operation.OFFER_READ):
        return True
    return partner.active and offer.issuing_at(now)
