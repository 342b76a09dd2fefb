"""Use cases for offers: defining one, editing it, and moving it through
draft → active ⇄ paused → ended. ADMIN only; `version` guards concurrent edits."""

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.partners.commands import (
    OFFER_EDITABLE,
    ChangeOfferStatus,
    CreateOffer,
    UpdateOffer,
)
from domain.partners.events import PartnerEvent
from domain.partners.model import (
    OFFER_TRANSITIONS,
    Benefit,
    BenefitKind,
    CostSharing,
    Eligibility,
    Offer,
    OfferStatus,
    Payer,
    Quota,
    Trigger,
    TriggerKind,
)
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Viewer
from domain.shared.errors import (
    DomainError,
    ErrorCode,
    UniqueKey,
    check_version,
    duplicate_as,
    not_found,
)
from domain.shared.events import Event
from domain.shared.ids import new_id
from domain.shared.money import MAX_AMOUNT
from domain.shared.validation import Problems

MAX_GRANT_VALID_DAYS = 366
MAX_MULTIPLIER = Decimal(20)


async def create_offer(cmd: CreateOffer, *, uow: UnitOfWork, viewer: Viewer) -> Offer:
    viewer.require(Operation.OFFER_MANAGE)
    problems = Problems()
    code = problems.slug(("code",), cmd.code)
    fields = check_offer_fields(problems, {name: getattr(cmd, name) for name in OFFER_EDITABLE})
    problems.raise_if_any()
    async with uow:
        partner = await uow.partners.get(cmd.partner_id)
        if partner is None:
            raise not_found(("partner_id",), "partner")
        now = uow.clock.now()
        offer = Offer(id=new_id(), partner_id=partner.id, code=code, created_at=now,
                      updated_at=now, **fields)
        _check_window(offer)
        with duplicate_as(UniqueKey.OFFER_CODE, ("code",),
                          f"{partner.name} has an offer with the code {code}"):
            await uow.partners.add_offer(offer)
        uow.emit(Event(PartnerEvent.OFFER_CREATED, offer.id, now, {
            "partner_id": str(partner.id), "code": code, "title": offer.title}))
        await uow.commit()
    return offer


async def update_offer(cmd: UpdateOffer, *, uow: UnitOfWork, viewer: Viewer) -> Offer:
    """An ended offer can't change; an active one can (its grants issued keep their own
    expiry and code)."""
    viewer.require(Operation.OFFER_MANAGE)
    problems = Problems()
    problems.editable(cmd.changes, OFFER_EDITABLE)
    fields = check_offer_fields(problems, dict(cmd.changes))
    problems.raise_if_any()
    async with uow:
        offer = await _locked(uow, cmd.offer_id, cmd.expected_version)
        if offer.status is OfferStatus.ENDED:
            raise DomainError.single(("offer_id",), ErrorCode.INVALID_TRANSITION,
                                     "the offer has ended; create a new one")
        now = uow.clock.now()
        changed = replace(offer, **fields, version=offer.version + 1, updated_at=now)
        _check_window(changed)
        await uow.partners.save_offer(changed)
        uow.emit(Event(PartnerEvent.OFFER_UPDATED, offer.id, now, {"fields": sorted(fields)}))
        await uow.commit()
    return changed


async def change_offer_status(
    cmd: ChangeOfferStatus, *, uow: UnitOfWork, viewer: Viewer
) -> Offer:
    viewer.require(Operation.OFFER_MANAGE)
    async with uow:
        offer = await _locked(uow, cmd.offer_id, cmd.expected_version)
        if cmd.status is offer.status:
            return offer
        if cmd.status not in OFFER_TRANSITIONS[offer.status]:
            raise DomainError.single(("status",), ErrorCode.INVALID_TRANSITION,
                                     f"an offer {offer.status.value} can't become "
                                     f"{cmd.status.value}")
        now = uow.clock.now()
        changed = replace(offer, status=cmd.status, version=offer.version + 1, updated_at=now)
        await uow.partners.save_offer(changed)
        uow.emit(Event(PartnerEvent.OFFER_STATUS_CHANGED, offer.id, now, {
            "from": offer.status.value, "to": cmd.status.value}))
        await uow.commit()
    return changed


async def _locked(uow: UnitOfWork, offer_id: UUID, expected_version: int | None) -> Offer:
    offer = await uow.partners.get_offer(offer_id, for_update=True)
    if offer is None:
        raise not_found(("offer_id",), "offer")
    check_version(expected_version, offer.version)
    return offer


def _check_window(offer: Offer) -> None:
    if offer.valid_from and offer.valid_until and offer.valid_until <= offer.valid_from:
        raise DomainError.single(("valid_until",), ErrorCode.INVALID,
                                 "must be after valid_from")


def check_offer_fields(problems: Problems, fields: dict[str, Any]) -> dict[str, Any]:
    """The offer fields given, cleaned; a problem for each bad one."""
    checked = dict(fields)
    if "title" in fields:
        checked["title"] = problems.text(("title",), fields["title"], max_length=200,
                                         required=True)
    if "description" in fields:
        checked["description"] = problems.text(("description",), fields["description"],
                                               max_length=4000)
    if "benefit" in fields:
        checked["benefit"] = _benefit(problems, fields["benefit"])
    if "eligibility" in fields:
        checked["eligibility"] = _eligibility(problems, fields["eligibility"])
    if "trigger" in fields:
        checked["trigger"] = _trigger(problems, fields["trigger"])
    if "quota" in fields:
        checked["quota"] = _quota(problems, fields["quota"])
    if "cost" in fields:
        _cost(problems, fields["cost"])
    if "grant_valid_days" in fields:
        days = fields["grant_valid_days"]
        if days is None or not 1 <= days <= MAX_GRANT_VALID_DAYS:
            problems.add(("grant_valid_days",), ErrorCode.INVALID,
                         f"must be between 1 and {MAX_GRANT_VALID_DAYS}")
    for name in ("valid_from", "valid_until", "redeem_until"):
        moment = fields.get(name)
        if isinstance(moment, datetime) and moment.tzinfo is None:
            problems.add((name,), ErrorCode.INVALID, "needs a time zone offset")
    return checked


def _benefit(problems: Problems, benefit: Benefit) -> Benefit:
    at = ("benefit",)
    needs = {BenefitKind.FREE_ITEM: "item", BenefitKind.AMOUNT_OFF: "amount",
             BenefitKind.PERCENT_OFF: "percent", BenefitKind.POINTS_MULTIPLIER: "multiplier"}
    wanted = needs[benefit.kind]
    for name in needs.values():
        given = getattr(benefit, name) is not None
        if name == wanted and not given:
            problems.add((*at, name), ErrorCode.REQUIRED,
                         f"a {benefit.kind.value} benefit needs its {name}")
        elif name != wanted and given:
            problems.add((*at, name), ErrorCode.INVALID,
                         f"a {benefit.kind.value} benefit has no {name}")
    item = problems.text((*at, "item"), benefit.item, max_length=200)
    if benefit.amount is not None and not 0 < benefit.amount <= MAX_AMOUNT:
        problems.add((*at, "amount"), ErrorCode.INVALID, "must be above 0")
    if benefit.percent is not None and not 0 < benefit.percent <= 100:
        problems.add((*at, "percent"), ErrorCode.INVALID, "must be above 0 and at most 100")
    if benefit.multiplier is not None and not 1 < benefit.multiplier <= MAX_MULTIPLIER:
        problems.add((*at, "multiplier"), ErrorCode.INVALID,
                     f"must be above 1 and at most {MAX_MULTIPLIER}")
    return replace(benefit, item=item)


def _eligibility(problems: Problems, eligibility: Eligibility) -> Eligibility:
    at = ("eligibility",)
    tiers = problems.labels((*at, "tier_codes"), eligibility.tier_codes)
    interests = problems.labels((*at, "interests"), eligibility.interests)
    programme = (problems.slug((*at, "programme_code"), eligibility.programme_code)
                 if eligibility.programme_code else None)
    return Eligibility(tier_codes=tiers, interests=interests, programme_code=programme)


def _trigger(problems: Problems, trigger: Trigger) -> Trigger:
    at = ("trigger",)
    purchase_only = {"category": trigger.category, "sku": trigger.sku,
                     "min_spend": trigger.min_spend}
    if trigger.kind is not TriggerKind.PURCHASE:
        for name, value in purchase_only.items():
            if value is not None:
                problems.add((*at, name), ErrorCode.INVALID, "only a PURCHASE trigger has one")
    if trigger.kind is not TriggerKind.TIER_REACHED and trigger.tier_code is not None:
        problems.add((*at, "tier_code"), ErrorCode.INVALID,
                     "only a TIER_REACHED trigger has one")
    if trigger.min_spend is not None and not 0 <= trigger.min_spend <= MAX_AMOUNT:
        problems.add((*at, "min_spend"), ErrorCode.INVALID, "must be 0 or more")
    return replace(
        trigger,
        category=problems.text((*at, "category"), trigger.category, max_length=100),
        sku=problems.text((*at, "sku"), trigger.sku, max_length=100),
        tier_code=problems.text((*at, "tier_code"), trigger.tier_code, max_length=64),
    )


def _quota(problems: Problems, quota: Quota) -> Quota:
    for name in ("total", "per_member", "per_period"):
        value = getattr(quota, name)
        if value is not None and value < 1:
            problems.add(("quota", name), ErrorCode.INVALID, "must be 1 or more, or none")
    return quota


def _cost(problems: Problems, cost: CostSharing) -> None:
    if not 0 <= cost.unit_cost <= MAX_AMOUNT:
        problems.add(("cost", "unit_cost"), ErrorCode.INVALID, "must be 0 or more")
    if not 0 <= cost.brand_share <= 1:
        problems.add(("cost", "brand_share"), ErrorCode.INVALID, "must be between 0 and 1")
    if cost.payer is not Payer.SHARED and cost.brand_share != 1:
        problems.add(("cost", "brand_share"), ErrorCode.INVALID, "only a SHARED cost has one")
