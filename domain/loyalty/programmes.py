"""Configuring a programme: its whole definition is saved at once, checked as a whole."""

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.loyalty.commands import OfferRef, SaveProgramme, TierSpec
from domain.loyalty.model import BonusRule, DowngradePolicy, Programme, Reward, Tier
from domain.loyalty.perks import PerkOffers, check_perks, offers_pointed_at, tier_perks
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Viewer
from domain.shared.errors import (
    DomainError,
    ErrorCode,
    UniqueKey,
    duplicate_as,
    stale_version,
)
from domain.shared.ids import new_id
from domain.shared.money import check_currency
from domain.shared.validation import Problems

MAX_TIERS = 20
MAX_RULES = 100
MAX_REWARDS = 500
MAX_MULTIPLIER = Decimal(100)


async def save_programme(cmd: SaveProgramme, *, uow: UnitOfWork, viewer: Viewer,
                         offers: PerkOffers) -> Programme:
    """Creates the programme `code`, or replaces its definition. Tiers and rewards keep their
    ids by code, so members keep their tiers; a tier someone holds can't be dropped, and a
    reward left out is kept, inactive (ledger entries point at it). Perks that name partner
    offers find them through `offers` (domain/loyalty/perks.py)."""
    viewer.require(Operation.PROGRAMME_MANAGE)
    problems = Problems()
    code = problems.slug(("code",), cmd.code, max_length=32)
    name = problems.text(("name",), cmd.name, max_length=200, required=True) or ""
    currency = check_currency(problems, ("currency",), cmd.currency)
    _check_settings(problems, cmd)
    _check_tiers(problems, cmd.tiers)
    _check_rules_and_rewards(problems, cmd)
    problems.raise_if_any()
    async with uow:
        now = uow.clock.now()
        stored = await uow.programmes.get_by_code(code)
        if stored is not None and cmd.expected_version not in (None, stored.version):
            raise stale_version(cmd.expected_version or 0, stored.version)
        if stored is not None and stored.currency != currency:
            raise DomainError.single(("currency",), ErrorCode.INVALID,
                                     "a programme's currency can't change once it has begun")
        offer_ids = await offers_pointed_at(uow, offers, cmd.tiers, stored)
        programme = _definition(cmd, code, name, currency, stored, now, offer_ids)
        if stored is not None:
            dropped = {t.id for t in stored.tiers} - {t.id for t in programme.tiers}
            if dropped & await uow.programmes.tiers_in_use(stored.id):
                raise DomainError.single(("tiers",), ErrorCode.CONFLICT,
                                         "members hold a tier this definition leaves out")
        with duplicate_as(UniqueKey.PROGRAMME_CODE, ("code",),
                          f"programme {code} was created meanwhile; reload and retry"):
            await uow.programmes.save(programme)
        await uow.commit()
    return programme


def _definition(cmd: SaveProgramme, code: str, name: str, currency: str,
                stored: Programme | None, now: datetime,
                offer_ids: Mapping[OfferRef, UUID]) -> Programme:
    stored_tiers = {t.code: t for t in stored.tiers} if stored else {}
    reward_ids = {r.code: r.id for r in stored.rewards} if stored else {}
    tiers = []
    for rank, spec in enumerate(cmd.tiers):
        tier_code = spec.code.strip().lower()
        before = stored_tiers.get(tier_code)
        tiers.append(Tier(
            id=before.id if before else new_id(), code=tier_code, name=spec.name.strip(),
            rank=rank, threshold=spec.threshold, discount_percent=spec.discount_percent,
            earn_multiplier=spec.earn_multiplier, perks=tier_perks(spec, before, offer_ids)))
    rewards = [
        Reward(id=reward_ids.get(spec.code.strip().lower(), new_id()),
               code=spec.code.strip().lower(), name=spec.name.strip(),
               points_cost=spec.points_cost, description=spec.description, active=spec.active)
        for spec in cmd.rewards
    ]
    kept = {r.code for r in rewards}
    rewards += [replace(r, active=False) for r in (stored.rewards if stored else ())
                if r.code not in kept]
    return Programme(
        id=stored.id if stored else new_id(), code=code, name=name, currency=currency,
        tiers=tuple(tiers), measure=cmd.measure, window=cmd.window, downgrade=cmd.downgrade,
        grace_months=cmd.grace_months, points_per_unit=cmd.points_per_unit,
        birthday_multiplier=cmd.birthday_multiplier,
        points_expire_after_months=cmd.points_expire_after_months,
        point_value=cmd.point_value, time_zone=cmd.time_zone.strip(),
        bonus_rules=tuple(BonusRule(r.name.strip(), r.multiplier, r.category, r.starts_on,
                                    r.ends_on) for r in cmd.bonus_rules),
        rewards=tuple(rewards), version=stored.version + 1 if stored else 1,
        created_at=stored.created_at if stored else now, updated_at=now,
    )


def _check_settings(problems: Problems, cmd: SaveProgramme) -> None:
    if cmd.downgrade is DowngradePolicy.GRACE_PERIOD and not 1 <= cmd.grace_months <= 36:
        problems.add(("grace_months",), ErrorCode.INVALID,
                     "a grace period is 1 to 36 months")
    elif cmd.downgrade is not DowngradePolicy.GRACE_PERIOD and cmd.grace_months:
        problems.add(("grace_months",), ErrorCode.INVALID,
                     "only the GRACE_PERIOD downgrade policy has a grace period")
    _check_positive(problems, ("points_per_unit",), cmd.points_per_unit, allow_zero=True)
    _check_multiplier(problems, ("birthday_multiplier",), cmd.birthday_multiplier)
    _check_positive(problems, ("point_value",), cmd.point_value)
    if not _is_time_zone(cmd.time_zone.strip()):
        problems.add(("time_zone",), ErrorCode.INVALID,
                     "not an IANA time zone name such as Asia/Shanghai")
    months = cmd.points_expire_after_months
    if months is not None and not 1 <= months <= 120:
        problems.add(("points_expire_after_months",), ErrorCode.INVALID,
                     "points expire after 1 to 120 months, or never (null)")


def _check_tiers(problems: Problems, tiers: tuple[TierSpec, ...]) -> None:
    if not tiers:
        problems.add(("tiers",), ErrorCode.REQUIRED, "a programme has at least one tier")
        return
    if len(tiers) > MAX_TIERS:
        problems.add(("tiers",), ErrorCode.TOO_LARGE, f"at most {MAX_TIERS} tiers")
    if tiers[0].threshold != 0:
        problems.add(("tiers", "0", "threshold"), ErrorCode.INVALID,
                     "the first tier is where everyone starts: its threshold is 0")
    codes: set[str] = set()
    for index, tier in enumerate(tiers):
        at = ("tiers", str(index))
        tier_code = problems.slug((*at, "code"), tier.code, max_length=32)
        if tier_code in codes:
            problems.add((*at, "code"), ErrorCode.DUPLICATE, f"two tiers are called {tier_code}")
        codes.add(tier_code)
        problems.text((*at, "name"), tier.name, max_length=100, required=True)
        _check_positive(problems, (*at, "threshold"), tier.threshold, allow_zero=True)
        if index and tier.threshold <= tiers[index - 1].threshold:
            problems.add((*at, "threshold"), ErrorCode.INVALID,
                         "each tier needs more than the one before")
        if not Decimal(0) <= tier.discount_percent <= Decimal(100):
            problems.add((*at, "discount_percent"), ErrorCode.INVALID, "0 to 100")
        _check_multiplier(problems, (*at, "earn_multiplier"), tier.earn_multiplier)
        check_perks(problems, at, tier)


def _check_rules_and_rewards(problems: Problems, cmd: SaveProgramme) -> None:
    if len(cmd.bonus_rules) > MAX_RULES:
        problems.add(("bonus_rules",), ErrorCode.TOO_LARGE, f"at most {MAX_RULES} rules")
    for index, rule in enumerate(cmd.bonus_rules):
        at = ("bonus_rules", str(index))
        problems.text((*at, "name"), rule.name, max_length=100, required=True)
        _check_multiplier(problems, (*at, "multiplier"), rule.multiplier)
        if rule.starts_on and rule.ends_on and rule.ends_on < rule.starts_on:
            problems.add((*at, "ends_on"), ErrorCode.INVALID, "before startsOn")
    if len(cmd.rewards) > MAX_REWARDS:
        problems.add(("rewards",), ErrorCode.TOO_LARGE, f"at most {MAX_REWARDS} rewards")
    codes: set[str] = set()
    for index, reward in enumerate(cmd.rewards):
        at = ("rewards", str(index))
        reward_code = problems.slug((*at, "code"), reward.code, max_length=64)
        if reward_code in codes:
            problems.add((*at, "code"), ErrorCode.DUPLICATE, f"two rewards are {reward_code}")
        codes.add(reward_code)
        problems.text((*at, "name"), reward.name, max_length=200, required=True)
        problems.text((*at, "description"), reward.description, max_length=2000)
        if not 1 <= reward.points_cost <= 100_000_000:
            problems.add((*at, "points_cost"), ErrorCode.INVALID, "1 to 100,000,000 points")


def _is_time_zone(name: str) -> bool:
    if not name or name.startswith("/") or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _check_positive(problems: Problems, field: tuple[str, ...], value: Decimal, *,
                    allow_zero: bool = False) -> None:
    if not value.is_finite() or value < 0 or (value == 0 and not allow_zero):
        problems.add(field, ErrorCode.INVALID,
                     "must not be negative" if allow_zero else "must be more than zero")
    elif value >= Decimal("1000000000"):
        problems.add(field, ErrorCode.TOO_LARGE, "must be less than 1,000,000,000")


def _check_multiplier(problems: Problems, field: tuple[str, ...], value: Decimal) -> None:
    if not value.is_finite() or not Decimal(1) <= value <= MAX_MULTIPLIER:
        problems.add(field, ErrorCode.INVALID, f"a multiplier is 1 to {MAX_MULTIPLIER}")

