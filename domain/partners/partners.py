"""Use cases for partners themselves: onboarding, editing, suspending and reactivating
one, and giving it API clients. ADMIN only; a partner reads itself through `acting_partner`.

A suspended partner's keys fail at once (the key check reads the partner's status with the
key, infrastructure/postgres/api_keys.py) and its offers issue nothing; what it already
issued stays the members', and is redeemable again once it is reactivated.
"""

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.access import services as access
from domain.access.commands import CreateApiClient
from domain.access.model import IssuedKey
from domain.partners.acting import existing, partner_code_of, still_active
from domain.partners.commands import (
    PARTNER_EDITABLE,
    CreatePartner,
    CreatePartnerApiClient,
    ReactivatePartner,
    SuspendPartner,
    UpdatePartner,
)
from domain.partners.events import PartnerEvent
from domain.partners.model import Partner, PartnerStatus
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Role, Viewer
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
from domain.shared.money import check_currency
from domain.shared.validation import Problems, normalise_email

MAX_TERMS_DAYS = 365
MAX_EARN_RATE = Decimal(1000)  # points per currency unit: beyond it, a typo


async def create_partner(cmd: CreatePartner, *, uow: UnitOfWork, viewer: Viewer) -> Partner:
    viewer.require(Operation.PARTNER_MANAGE)
    problems = Problems()
    code = problems.slug(("code",), cmd.code)
    currency = check_currency(problems, ("currency",), cmd.currency)
    fields = _checked(problems, {name: getattr(cmd, name) for name in PARTNER_EDITABLE})
    problems.raise_if_any()
    async with uow:
        taken = f"a partner has the code {code}"
        if await uow.partners.get_by_code(code) is not None:
            raise DomainError.single(("code",), ErrorCode.DUPLICATE, taken)
        now = uow.clock.now()
        partner = Partner(id=new_id(), code=code, currency=currency, created_at=now,
                          updated_at=now, **fields)
        with duplicate_as(UniqueKey.PARTNER_CODE, ("code",), taken):
            await uow.partners.add(partner)
        uow.emit(Event(PartnerEvent.PARTNER_CREATED, partner.id, now,
                       {"code": code, "name": partner.name}))
        await uow.commit()
    return partner


async def update_partner(cmd: UpdatePartner, *, uow: UnitOfWork, viewer: Viewer) -> Partner:
    viewer.require(Operation.PARTNER_MANAGE)
    problems = Problems()
    problems.editable(cmd.changes, PARTNER_EDITABLE)
    fields = _checked(problems, dict(cmd.changes))
    problems.raise_if_any()
    async with uow:
        partner = await _locked(uow, cmd.partner_id, cmd.expected_version)
        now = uow.clock.now()
        changed = _saved(replace(partner, **fields), now)
        await uow.partners.save(changed)
        uow.emit(Event(PartnerEvent.PARTNER_UPDATED, partner.id, now, {"fields": sorted(fields)}))
        await uow.commit()
    return changed


async def suspend_partner(cmd: SuspendPartner, *, uow: UnitOfWork, viewer: Viewer) -> Partner:
    viewer.require(Operation.PARTNER_MANAGE)
    problems = Problems()
    reason = problems.text(("reason",), cmd.reason, max_length=500, required=True)
    problems.raise_if_any()
    return await _set_status(uow, cmd.partner_id, cmd.expected_version,
                             PartnerStatus.SUSPENDED, PartnerEvent.PARTNER_SUSPENDED, reason)


async def reactivate_partner(
    cmd: ReactivatePartner, *, uow: UnitOfWork, viewer: Viewer
) -> Partner:
    viewer.require(Operation.PARTNER_MANAGE)
    return await _set_status(uow, cmd.partner_id, cmd.expected_version,
                             PartnerStatus.ACTIVE, PartnerEvent.PARTNER_REACTIVATED, None)


async def create_partner_api_client(
    cmd: CreatePartnerApiClient, *, uow: UnitOfWork, viewer: Viewer
) -> IssuedKey:
    """An API client of role PARTNER bound to the partner (access's create, with the
    partner's code): its key is shown once, here."""
    viewer.require(Operation.PARTNER_MANAGE)
    async with uow:
        partner = await uow.partners.get(cmd.partner_id)
    if partner is None:
        raise not_found(("partner_id",), "partner")
    if not partner.active:
        raise DomainError.single(("partner_id",), ErrorCode.SUSPENDED,
                                 "the partner is suspended; reactivate it first")
    return await access.create_api_client(
        CreateApiClient(name=cmd.name, role=Role.PARTNER.value, partner_code=partner.code),
        uow=uow, viewer=viewer)


async def acting_partner(uow: UnitOfWork, viewer: Viewer) -> Partner:
    """The partner a PARTNER viewer is, active. Its key was checked a moment ago, but the
    partner may have been suspended since: that refuses too."""
    return still_active(existing(await uow.partners.get_by_code(partner_code_of(viewer))))


async def _set_status(uow: UnitOfWork, partner_id: UUID, expected_version: int | None,
                      status: PartnerStatus, event: PartnerEvent, reason: str | None) -> Partner:
    async with uow:
        partner = await _locked(uow, partner_id, expected_version)
        if partner.status is status:
            return partner  # suspending a suspended partner changes nothing
        now = uow.clock.now()
        changed = _saved(replace(partner, status=status), now)
        await uow.partners.save(changed)
        uow.emit(Event(event, partner.id, now, {"reason": reason} if reason else {}))
        await uow.commit()
    return changed


async def _locked(uow: UnitOfWork, partner_id: UUID, expected_version: int | None) -> Partner:
    partner = await uow.partners.get(partner_id, for_update=True)
    if partner is None:
        raise not_found(("partner_id",), "partner")
    check_version(expected_version, partner.version)
    return partner


def _saved(partner: Partner, now: datetime) -> Partner:
    return replace(partner, version=partner.version + 1, updated_at=now)


def _checked(problems: Problems, fields: dict[str, Any]) -> dict[str, Any]:
    """The editable fields given, cleaned; problems added for the bad ones."""
    checked: dict[str, Any] = {}
    if "name" in fields:
        checked["name"] = problems.text(("name",), fields["name"], max_length=200,
                                        required=True)
    if "industry" in fields:
        checked["industry"] = problems.text(("industry",), fields["industry"],
                                            max_length=100, required=True)
    if "contact_name" in fields:
        checked["contact_name"] = problems.text(("contact_name",), fields["contact_name"],
                                                max_length=200)
    if "contact_email" in fields:
        checked["contact_email"] = _email(problems, fields["contact_email"])
    if "terms_days" in fields:
        days = fields["terms_days"]
        if days is None or not 0 <= days <= MAX_TERMS_DAYS:
            problems.add(("terms_days",), ErrorCode.INVALID,
                         f"must be between 0 and {MAX_TERMS_DAYS} days")
        checked["terms_days"] = days
    if "earn_rate" in fields:
        rate = fields["earn_rate"]
        if rate is not None and not 0 < rate <= MAX_EARN_RATE:
            problems.add(("earn_rate",), ErrorCode.INVALID,
                         f"must be above 0 and at most {MAX_EARN_RATE} points a unit, or none")
        checked["earn_rate"] = rate
    if "point_value" in fields:
        value = fields["point_value"]
        if value is None or value < 0:
            problems.add(("point_value",), ErrorCode.INVALID, "must be 0 or more")
        checked["point_value"] = value
    return checked


def _email(problems: Problems, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    email = normalise_email(value)
    if email is None:
        problems.add(("contact_email",), ErrorCode.INVALID, "is not an email address")
    return email
