"""Spending, adjusting and expiring points. A redemption never takes a balance below zero:
the membership row is locked first (after her customer row, held against a merge as
`customer_to_act_on` says), so concurrent tills see each other's spending."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.customers.services import customer_to_act_on
from domain.loyalty.commands import AdjustPoints, ExpirePoints, PayWithPoints, RedeemReward
from domain.loyalty.model import LedgerEntry, LedgerKind, Programme, Reward
from domain.loyalty.tiers import not_after
from domain.loyalty.wallet import (
    Wallet,
    existing_membership,
    locked_membership,
    programme_named,
)
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Viewer
from domain.shared.errors import DomainError, ErrorCode, not_found
from domain.shared.idempotency import first_result, remember_result
from domain.shared.money import Money
from domain.shared.validation import Problems

EXPIRY_BATCH = 200
PointsCommand = RedeemReward | PayWithPoints | AdjustPoints
MAX_POINTS = 100_000_000


@dataclass(frozen=True)
class PointsMoved:
    """A points movement and the balance after it."""

    entry: LedgerEntry
    balance: int
    reward: Reward | None = None
    paid: Money | None = None  # at checkout: what the points paid for
    replayed: bool = False


async def redeem_reward(cmd: RedeemReward, *, uow: UnitOfWork, viewer: Viewer) -> PointsMoved:
    viewer.require(Operation.POINTS_REDEEM)
    if not 1 <= cmd.quantity <= 100:
        raise DomainError.single(("quantity",), ErrorCode.INVALID, "must be between 1 and 100")
    async with uow:
        programme = await programme_named(uow, cmd.programme_code)
        reward = programme.reward_by_code(cmd.reward_code.strip())
        replay = await _replay(uow, viewer, cmd, "rewardRedeem")
        if replay is not None:  # even when the reward was withdrawn since
            return PointsMoved(replay.entry, replay.balance, reward, replayed=True)
        if reward is None or not reward.active:
            raise not_found(("reward_code",), "reward")
        customer = await customer_to_act_on(uow, viewer, cmd.customer_id, hold=True)
        wallet = Wallet(uow, programme, await existing_membership(uow, programme, customer.id),
                        viewer.subject)
        entry = await wallet.take(LedgerKind.REDEEM, reward.points_cost * cmd.quantity,
                                  uow.clock.now(), reward_id=reward.id,
                                  reason=f"{cmd.quantity} x {reward.name}")
        return await _committed(uow, wallet, cmd, "rewardRedeem", entry, reward=reward)


async def pay_with_points(cmd: PayWithPoints, *, uow: UnitOfWork, viewer: Viewer) -> PointsMoved:
    """Points as money at checkout: `points * point_value`, rounded down to the cent."""
    viewer.require(Operation.POINTS_REDEEM)
    problems = Problems()
    order_ref = problems.text(("order_ref",), cmd.order_ref, max_length=100, required=True)
    if not 0 < cmd.points <= MAX_POINTS:
        problems.add(("points",), ErrorCode.INVALID, f"must be between 1 and {MAX_POINTS}")
    problems.raise_if_any()
    async with uow:
        programme = await programme_named(uow, cmd.programme_code)
        paid = Money.rounded(cmd.points * programme.point_value, programme.currency, down=True)
        if paid.amount <= 0:
            raise DomainError.single(("points",), ErrorCode.INVALID,
                                     "too few points to pay the smallest coin")
        replay = await _replay(uow, viewer, cmd, "pointsPay")
        if replay is not None:
            return PointsMoved(replay.entry, replay.balance, paid=paid, replayed=True)
        customer = await customer_to_act_on(uow, viewer, cmd.customer_id, hold=True)
        wallet = Wallet(uow, programme, await existing_membership(uow, programme, customer.id),
                        viewer.subject)
        entry = await wallet.take(LedgerKind.REDEEM, cmd.points, uow.clock.now(),
                                  money_value=paid.amount, order_ref=order_ref,
                                  reason=f"paid {paid.amount} {paid.currency} of {order_ref}")
        return await _committed(uow, wallet, cmd, "pointsPay", entry, paid=paid)


async def adjust_points(cmd: AdjustPoints, *, uow: UnitOfWork, viewer: Viewer) -> PointsMoved:
    """A correction by hand, with a reason and the name of who made it. Added points form a
    lot that expires like earned ones; taking away is limited to the balance."""
    viewer.require(Operation.POINTS_ADJUST)
    problems = Problems()
    reason = problems.text(("reason",), cmd.reason, max_length=500, required=True)
    if cmd.points == 0 or abs(cmd.points) > MAX_POINTS:
        problems.add(("points",), ErrorCode.INVALID,
                     f"must not be zero, and at most {MAX_POINTS} either way")
    problems.raise_if_any()
    async with uow:
        programme = await programme_named(uow, cmd.programme_code)
        replay = await _replay(uow, viewer, cmd, "pointsAdjust")
        if replay is not None:
            return PointsMoved(replay.entry, replay.balance, replayed=True)
        customer = await customer_to_act_on(uow, viewer, cmd.customer_id, hold=True)
        wallet = Wallet(uow, programme, await locked_membership(uow, programme, customer.id),
                        viewer.subject)
        now = uow.clock.now()
        if cmd.points > 0:
            entry = await wallet.add(LedgerKind.ADJUST, cmd.points, now, reason=reason)
        else:
            entry = await wallet.take(LedgerKind.ADJUST, -cmd.points, now, reason=reason)
        return await _committed(uow, wallet, cmd, "pointsAdjust", entry)


@dataclass
class ExpiryReport:
    programme_code: str
    members: int = 0
    lots: int = 0
    points: int = 0


async def expire_points(
    cmd: ExpirePoints, *, new_uow: Callable[[], UnitOfWork], viewer: Viewer
) -> ExpiryReport:
    """Lots whose time ran out lose what is left of them, oldest first; a batch of members
    per transaction. Safe twice or concurrently: an expired lot has nothing left to lose."""
    viewer.require(Operation.PROGRAMME_MANAGE)
    async with new_uow() as uow:
        programme = await programme_named(uow, cmd.programme_code)
        as_of = not_after(cmd.as_of, uow.clock.now())
    report = ExpiryReport(programme.code)
    after: UUID | None = None
    while True:
        async with new_uow() as uow:
            due = await uow.loyalty.members_with_expired_lots(
                programme.id, as_of, after, EXPIRY_BATCH)
            for customer_id in due:
                await _expire_member(uow, programme, customer_id, as_of, viewer, report)
            await uow.commit()
        if len(due) < EXPIRY_BATCH:
            return report
        after = due[-1]


async def _expire_member(uow: UnitOfWork, programme: Programme, customer_id: UUID,
                         as_of: datetime, viewer: Viewer, report: ExpiryReport) -> None:
    membership = await uow.loyalty.lock_membership(programme.id, customer_id)
    if membership is None:
        return
    wallet = Wallet(uow, programme, membership, viewer.subject)
    entries = await wallet.expire(as_of)
    if entries:
        report.members += 1
        report.lots += len(entries)
        report.points -= sum(entry.points for entry in entries)
        await wallet.flush()


# --- idempotency --------------------------------------------------------------------------


async def _replay(uow: UnitOfWork, viewer: Viewer, cmd: PointsCommand,
                  scope: str) -> PointsMoved | None:
    first = await first_result(uow.idempotency, scope, cmd)
    if first is None:
        return None
    entry = await uow.loyalty.get_entry(first)
    if entry is None:
        raise not_found(("idempotency_key",), "first result")
    await customer_to_act_on(uow, viewer, entry.customer_id)
    membership = await uow.loyalty.lock_membership(entry.programme_id, entry.customer_id)
    return PointsMoved(entry, membership.points_balance if membership else 0)


async def _committed(uow: UnitOfWork, wallet: Wallet, cmd: PointsCommand, scope: str,
                      entry: LedgerEntry, *, reward: Reward | None = None,
                     paid: Money | None = None) -> PointsMoved:
    await wallet.flush()
    await remember_result(uow.idempotency, scope, cmd, entry.id)
    await uow.commit()
    return PointsMoved(entry, wallet.balance, reward=reward, paid=paid)

