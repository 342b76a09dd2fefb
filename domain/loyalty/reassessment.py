"""Her tier, reassessed live: after a purchase (upgrades at once) and after a return (which
can undo the upgrade it paid for)."""

from datetime import datetime

from domain.loyalty.model import Membership, Programme, Tier, TierChangeReason
from domain.loyalty.rules import qualification_start, tier_after_return
from domain.ports import UnitOfWork


async def qualified_tier(uow: UnitOfWork, programme: Programme, membership: Membership,
                         since: datetime, until: datetime | None = None) -> Tier:
    totals = await uow.loyalty.qualifying_totals(
        programme.id, membership.customer_id, since, until)
    return programme.tier_for(totals.measured(programme.measure))


async def reassess_after_purchase(uow: UnitOfWork, programme: Programme,
                                  membership: Membership, now: datetime, actor: str) -> None:
    """Upgrades at once when she crossed a threshold; re-earning her tier during a grace
    period ends the grace."""
    current = programme.tier(membership.tier_id)
    if programme.next_tier(current) is None and membership.downgrade_due_at is None:
        return  # at the top, with nothing to end: no sum to read
    since = qualification_start(programme, now)
    qualified = await qualified_tier(uow, programme, membership, since)
    if qualified.rank >= current.rank:
        membership.downgrade_due_at = None
    if qualified.rank > current.rank:
        membership.change_tier(qualified.id, TierChangeReason.QUALIFIED, now, actor)


async def reassess_after_return(uow: UnitOfWork, programme: Programme,
                                membership: Membership, now: datetime, actor: str) -> None:
    since = qualification_start(programme, now)
    qualified = await qualified_tier(uow, programme, membership, since)
    target = tier_after_return(programme, membership, qualified)
    if programme.tier(target).rank < programme.tier(membership.tier_id).rank:
        membership.change_tier(target, TierChangeReason.REFUNDED, now, actor)
