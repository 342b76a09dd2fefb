"""A tier's perks and the partner offers they point at.

A perk is one of the benefits a member reads for her tier ("free alterations"). It may
point at the partner offer that gives it ("a free movie ticket at Lumière Cinema" → the
cinema's offer), so that a web shop can show the offer beside the text. The alliance builds
on loyalty (its offers are issued on tiers reached), so loyalty knows offers only by id and
finds them through `PerkOffers`, which the alliance implements (domain/partners/perks.py)
and the composition root hands to `save_programme`.

A programme's definition names an offer by its partner's code and its own (`OfferRef`). A
perk may newly point at an offer that is a draft, active or paused (it may go live later),
not at one that ended (for good: OUTSIDE_VALIDITY) nor at a suspended partner's
(SUSPENDED). A perk that pointed at an offer before keeps it, whatever became of the offer
since: the definition can always be saved again as it was read, and members see an offer
only while they can get it (domain/partners/perks.py). A definition given with plain
`perks` keeps each text's offer, so a caller who knows nothing of offers unlinks none.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from domain.loyalty.commands import OfferRef, TierSpec
from domain.loyalty.model import Perk, Programme, Tier
from domain.ports import UnitOfWork
from domain.shared.errors import ErrorCode
from domain.shared.validation import Problems

MAX_PERKS = 20  # of one tier
MAX_PERK_LENGTH = 80  # as any label (Problems.labels)

Path = tuple[str, ...]


@dataclass(frozen=True)
class PerkOffer:
    """An offer of the alliance as a tier's perk may point at it."""

    id: UUID
    ended: bool  # for good: no new perk may point at it
    partner_suspended: bool


class PerkOffers(Protocol):
    async def find(self, uow: UnitOfWork,
                   refs: Collection[OfferRef]) -> Mapping[OfferRef, PerkOffer]:
        """Those of `refs` (cleaned by `clean`) that name an offer of a partner."""
        ...


def clean(ref: OfferRef) -> OfferRef:
    """As `Problems.slug` reads codes: without blanks around them, in lower case."""
    return OfferRef(ref.partner_code.strip().lower(), ref.code.strip().lower())


def check_perks(problems: Problems, at: Path, tier: TierSpec) -> None:
    """What a tier's perks must be before any offer is looked up."""
    if tier.perk_details is None:
        problems.labels((*at, "perks"), tier.perks, max_count=MAX_PERKS)
        return
    if tier.perks:
        problems.add((*at, "perk_details"), ErrorCode.INVALID,
                     "give perks or perkDetails, not both")
    if len(tier.perk_details) > MAX_PERKS:
        problems.add((*at, "perk_details"), ErrorCode.TOO_LARGE, f"at most {MAX_PERKS} perks")
    texts: set[str] = set()
    offers: set[OfferRef] = set()
    for index, perk in enumerate(tier.perk_details):
        here = (*at, "perk_details", str(index))
        text = problems.text((*here, "text"), perk.text, max_length=MAX_PERK_LENGTH,
                             required=True)
        if text in texts:
            problems.add((*here, "text"), ErrorCode.DUPLICATE, "the tier has this perk already")
        if text:
            texts.add(text)
        if perk.offer is None:
            continue
        problems.slug((*here, "offer", "partner_code"), perk.offer.partner_code)
        problems.slug((*here, "offer", "code"), perk.offer.code)
        if clean(perk.offer) in offers:
            problems.add((*here, "offer"), ErrorCode.DUPLICATE,
                         "another perk of the tier points at this offer")
        offers.add(clean(perk.offer))


async def offers_pointed_at(
    uow: UnitOfWork, offers: PerkOffers, tiers: Sequence[TierSpec], stored: Programme | None
) -> dict[OfferRef, UUID]:
    """The ids of the offers the tiers' perks name, by cleaned reference. Refuses, all at
    once, a name that is no offer, and a new pointer at an ended offer or at a suspended
    partner's; looks nothing up when no perk names an offer."""
    named = [
        (("tiers", str(i), "perk_details", str(j), "offer"), tier.code.strip().lower(),
         clean(perk.offer))
        for i, tier in enumerate(tiers) for j, perk in enumerate(tier.perk_details or ())
        if perk.offer is not None
    ]
    if not named:
        return {}
    found = await offers.find(uow, {ref for _, _, ref in named})
    before = {(tier.code, perk.offer_id) for tier in (stored.tiers if stored else ())
              for perk in tier.perks if perk.offer_id is not None}
    problems = Problems()
    for at, tier_code, ref in named:
        offer = found.get(ref)
        if offer is None:
            problems.add(at, ErrorCode.NOT_FOUND,
                         f"no partner {ref.partner_code} with an offer {ref.code}")
        elif (tier_code, offer.id) in before:
            continue
        elif offer.partner_suspended:
            problems.add((*at, "partner_code"), ErrorCode.SUSPENDED,
                         f"the partner {ref.partner_code} is suspended")
        elif offer.ended:
            problems.add((*at, "code"), ErrorCode.OUTSIDE_VALIDITY,
                         f"the offer {ref.code} has ended")
    problems.raise_if_any()
    return {ref: offer.id for ref, offer in found.items()}


def tier_perks(spec: TierSpec, stored: Tier | None,
               offer_ids: Mapping[OfferRef, UUID]) -> tuple[Perk, ...]:
    """The tier's perks as saved: its `perk_details` as given, or its plain `perks`, once
    each, keeping the offer that the stored tier's perk of the same text pointed at."""
    if spec.perk_details is not None:
        return tuple(
            Perk(perk.text.strip(), None if perk.offer is None else offer_ids[clean(perk.offer)])
            for perk in spec.perk_details)
    kept = {perk.text: perk.offer_id for perk in stored.perks} if stored else {}
    texts = dict.fromkeys(text for text in (p.strip() for p in spec.perks) if text)
    return tuple(Perk(text, kept.get(text)) for text in texts)
