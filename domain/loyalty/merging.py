"""A customer merge, for loyalty: the duplicate's purchases, points and tier go to the
survivor, so a member who had a POS card and a web account doesn't lose either's points.

The ledger is append-only, so points move by entries: for each lot the duplicate still
has, the survivor gets an ADJUST of what is left of it, earned when the lot was (so it
expires when it would have), and the duplicate an ADJUST that empties it. A negative
balance moves the same way. The survivor keeps the higher of the two tiers, and her
combined spend may take her higher still.
"""

from datetime import datetime
from uuid import UUID

from domain.loyalty.model import LedgerKind, Membership, Programme, TierChangeReason
from domain.loyalty.reassessment import reassess_after_purchase
from domain.loyalty.rules import higher
from domain.loyalty.wallet import Wallet, locked_membership
from domain.ports import UnitOfWork


async def fold_loyalty(uow: UnitOfWork, duplicate_id: UUID, survivor_id: UUID,
                       actor: str) -> None:
    await uow.loyalty.move_purchases(duplicate_id, survivor_id)
    for programme_id in await uow.loyalty.programmes_of(duplicate_id):
        programme = await uow.programmes.get(programme_id)
        assert programme is not None, "a membership's programme is never deleted"
        duplicate, survivor = await _locked_pair(uow, programme, duplicate_id, survivor_id)
        await _fold(uow, programme, duplicate, survivor, actor)


async def _locked_pair(uow: UnitOfWork, programme: Programme, duplicate_id: UUID,
                       survivor_id: UUID) -> tuple[Membership, Membership]:
    """Both memberships, locked in customer id order (as every job locks them)."""
    locked = {customer_id: await locked_membership(uow, programme, customer_id)
              for customer_id in sorted((duplicate_id, survivor_id))}
    return locked[duplicate_id], locked[survivor_id]


async def _fold(uow: UnitOfWork, programme: Programme, duplicate: Membership,
                survivor: Membership, actor: str) -> None:
    now = uow.clock.now()
    into = Wallet(uow, programme, survivor, actor)
    out_of = Wallet(uow, programme, duplicate, actor)
    moved_in = f"merged from customer {duplicate.customer_id}"
    moved_out = f"merged into customer {survivor.customer_id}"
    for lot in await uow.loyalty.open_lots(programme.id, duplicate.customer_id):
        await into.add(LedgerKind.ADJUST, lot.remaining, lot.earned_at, reason=moved_in)
    if duplicate.points_balance > 0:
        await out_of.take(LedgerKind.ADJUST, duplicate.points_balance, now, reason=moved_out)
    elif duplicate.points_balance < 0:  # points reversed after they were spent
        owed = -duplicate.points_balance
        await into.take(LedgerKind.ADJUST, owed, now, may_overdraw=True, reason=moved_in)
        await out_of.add(LedgerKind.ADJUST, owed, now, reason=moved_out)
    _keep_the_higher_tier(programme, duplicate, survivor, now, actor)
    await reassess_after_purchase(uow, programme, survivor, now, actor)
    await out_of.flush()
    await into.flush()


def _keep_the_higher_tier(programme: Programme, duplicate: Membership, survivor: Membership,
                          now: datetime, actor: str) -> None:
    survivor.change_tier(higher(programme, survivor.tier_id, duplicate.tier_id),
                         TierChangeReason.MERGED, now, actor)
    survivor.retained_tier_id = higher(
        programme, survivor.retained_tier_id, duplicate.retained_tier_id)
    if survivor.override is None and duplicate.override is not None:
        survivor.set_override(duplicate.override, TierChangeReason.MERGED, now, actor)
