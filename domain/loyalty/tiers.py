"""Tier use cases: manual overrides, and the period close that applies the downgrade
policy. (The live reassessment after purchases and returns is in reassessment.py.)"""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.customers.services import customer_to_act_on
from domain.loyalty.commands import ClosePeriod, OverrideTier
from domain.loyalty.events import LoyaltyEvent
from domain.loyalty.model import Membership, Programme, TierChangeReason, TierOverride
from domain.loyalty.reassessment import qualified_tier
from domain.loyalty.rules import (
    last_period_end,
    period_start,
    qualification_start,
    review_at_period_end,
)
from domain.loyalty.wallet import Wallet, locked_membership, programme_named
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Viewer
from domain.shared.errors import DomainError, ErrorCode, not_found
from domain.shared.events import Event
from domain.shared.validation import Problems

REVIEW_BATCH = 200


# --- overrides ----------------------------------------------------------------------------


async def override_tier(cmd: OverrideTier, *, uow: UnitOfWork, viewer: Viewer) -> Membership:
    """Gives her a tier by hand, with a reason, until `expires_at` if given; no tier code
    lifts the override. Her earned tier keeps moving underneath."""
    viewer.require(Operation.TIER_OVERRIDE)
    problems = Problems()
    reason = problems.text(("reason",), cmd.reason, max_length=500, required=True) or ""
    now = uow.clock.now()
    if cmd.expires_at is not None and (cmd.expires_at.tzinfo is None or cmd.expires_at <= now):
        problems.add(("expires_at",), ErrorCode.INVALID, "must be in the future, with an offset")
    problems.raise_if_any()
    async with uow:
        programme = await programme_named(uow, cmd.programme_code)
        customer = await customer_to_act_on(uow, viewer, cmd.customer_id, hold=True)
        membership = await locked_membership(uow, programme, customer.id)
        if cmd.tier_code is None:
            if membership.override is None:
                raise DomainError.single(("tier_code",), ErrorCode.INVALID,
                                         "she has no tier override to lift")
            membership.set_override(None, TierChangeReason.OVERRIDE_ENDED, now,
                                    viewer.subject, reason)
        else:
            tier = programme.tier_by_code(cmd.tier_code)
            if tier is None:
                raise not_found(("tier_code",), "tier")
            membership.set_override(
                TierOverride(tier.id, reason, viewer.subject, now, cmd.expires_at),
                TierChangeReason.OVERRIDDEN, now, viewer.subject, reason)
        await Wallet(uow, programme, membership, viewer.subject).flush()
        await uow.commit()
    return membership


# --- the period close -----------------------------------------------------------------


@dataclass
class PeriodReport:
    """What a `close-period` run changed. Run twice, the second reports nothing changed."""

    programme_code: str
    period_end: datetime
    reviewed: int = 0
    upgraded: int = 0
    downgraded: int = 0
    grace_started: int = 0
    grace_ended: int = 0
    overrides_ended: int = 0
    changes: list[str] = field(default_factory=list)


async def close_period(
    cmd: ClosePeriod, *, new_uow: Callable[[], UnitOfWork], viewer: Viewer
) -> PeriodReport:
    """Reviews her tier for the last period that ended by `as_of`, once per member and
    period (`reviewed_through`), a batch of members per transaction. Safe to run twice or
    concurrently: members are locked one by one, and whoever gets a member second finds
    her reviewed."""
    viewer.require(Operation.PROGRAMME_MANAGE)
    async with new_uow() as uow:
        programme = await programme_named(uow, cmd.programme_code)
        now = uow.clock.now()
    as_of = not_after(cmd.as_of, now)
    period_end = last_period_end(programme, as_of)
    report = PeriodReport(programme.code, period_end)
    after = None
    while True:
        async with new_uow() as uow:
            due = await uow.loyalty.members_to_review(
                programme.id, period_end, as_of, after, REVIEW_BATCH)
            for customer_id in due:
                membership = await uow.loyalty.lock_membership(programme.id, customer_id)
                if membership is not None:
                    await _review(uow, programme, membership, period_end, as_of, report,
                                  viewer.subject)
            await uow.commit()
        if len(due) < REVIEW_BATCH:
            return report
        after = due[-1]


async def _review(uow: UnitOfWork, programme: Programme, membership: Membership,
                  period_end: datetime, as_of: datetime, report: PeriodReport,
                  actor: str) -> None:
    before = programme.tier(membership.tier_id)
    changed = False
    if membership.enrolled_at < period_end and (
            membership.reviewed_through is None or membership.reviewed_through < period_end):
        report.reviewed += 1
        changed = True
        in_period = await qualified_tier(uow, programme, membership,
                                         period_start(programme, period_end), period_end)
        now_qualified = await qualified_tier(uow, programme, membership,
                                             qualification_start(programme, as_of))
        review = review_at_period_end(programme, membership, in_period, now_qualified,
                                      period_end)
        if review.downgrade_due_at is not None and membership.downgrade_due_at is None:
            report.grace_started += 1
            membership.events.append(Event(
                LoyaltyEvent.TIER_AT_RISK, membership.customer_id, as_of, {
                "programme_id": str(programme.id), "tier_id": str(membership.tier_id),
                "downgrade_due_at": review.downgrade_due_at.isoformat()}))
        membership.change_tier(review.tier_id, TierChangeReason.PERIOD_CLOSED, as_of, actor)
        membership.retained_tier_id = review.retained_tier_id
        membership.downgrade_due_at = review.downgrade_due_at
        membership.reviewed_through = period_end
    if membership.downgrade_due_at is not None and membership.downgrade_due_at <= as_of:
        changed = True
        report.grace_ended += 1
        qualified = await qualified_tier(uow, programme, membership,
                                         qualification_start(programme, as_of))
        membership.change_tier(qualified.id, TierChangeReason.GRACE_ENDED, as_of, actor)
        membership.retained_tier_id = qualified.id
        membership.downgrade_due_at = None
    if membership.override is not None and not membership.override.active(as_of):
        changed = True
        report.overrides_ended += 1
        membership.set_override(None, TierChangeReason.OVERRIDE_ENDED, as_of, actor,
                                "the override expired")
    after = programme.tier(membership.tier_id)
    if after != before:
        report.upgraded += after.rank > before.rank
        report.downgraded += after.rank < before.rank
        report.changes.append(f"{membership.customer_id}: {before.code} → {after.code}")
    if changed:
        await Wallet(uow, programme, membership, actor).flush()


def not_after(as_of: datetime | None, now: datetime) -> datetime:
    """Jobs act for a moment that has come: `--as-of` may be earlier than now, not later."""
    if as_of is None:
        return now
    if as_of.tzinfo is None or as_of > now + timedelta(minutes=5):
        raise DomainError.single(("as_of",), ErrorCode.INVALID,
                                 "must have an offset and not be in the future")
    return as_of
