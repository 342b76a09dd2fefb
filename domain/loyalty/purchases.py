"""Purchases and returns: the facts points and tiers are computed from.

A till retries an order it is unsure of, so (channel, order id) is an idempotency key: the
same order again replays the first result; the same id with other content is refused.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from domain.customers.services import customer_to_act_on
from domain.interactions.model import Channel, Direction, Interaction
from domain.loyalty.commands import (
    LineInput,
    RecordPurchase,
    RecordPurchaseBatch,
    RefundLineInput,
    RefundPurchase,
    UnreadablePurchase,
)
from domain.loyalty.events import LoyaltyEvent
from domain.loyalty.model import (
    LedgerKind,
    Programme,
    Purchase,
    PurchaseLine,
    Refund,
    RefundLine,
    SalesChannel,
)
from domain.loyalty.reassessment import reassess_after_purchase, reassess_after_return
from domain.loyalty.rules import is_birthday_month, line_points, refund_share
from domain.loyalty.wallet import Wallet, locked_membership, programme_named
from domain.organisation.services import require_store
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Viewer
from domain.shared.errors import DomainError, ErrorCode, FieldError, not_found
from domain.shared.events import Event
from domain.shared.idempotency import fingerprint, replayed_result
from domain.shared.ids import new_id
from domain.shared.money import check_amount, check_currency, money_text
from domain.shared.validation import Problems

MAX_LINES = 500
MAX_BATCH = 500
CLOCK_SKEW = timedelta(minutes=5)  # tills' clocks drift
_TIMELINE_CHANNEL = {SalesChannel.POS: Channel.POS, SalesChannel.WEB: Channel.WEB,
                     SalesChannel.MOBILE_APP: Channel.MOBILE_APP}


@dataclass(frozen=True)
class PurchaseRecorded:
    purchase: Purchase
    replayed: bool  # True: this order was recorded before; here is that first result


class BatchStatus(StrEnum):
    RECORDED = "RECORDED"
    REPLAYED = "REPLAYED"  # recorded before: the first result
    REJECTED = "REJECTED"  # see its errors; nothing of it was written


@dataclass(frozen=True)
class BatchItem:
    """What became of one purchase of a batch: its result, or why it was refused (errors
    with paths inside the item, as if it had been sent alone)."""

    index: int  # its place in the batch, from 0
    result: PurchaseRecorded | None
    errors: tuple[FieldError, ...] = ()

    @property
    def status(self) -> BatchStatus:
        if self.result is None:
            return BatchStatus.REJECTED
        return BatchStatus.REPLAYED if self.result.replayed else BatchStatus.RECORDED


@dataclass(frozen=True)
class BatchRecorded:
    """Every item's outcome, in the order sent, and how many ended each way."""

    items: tuple[BatchItem, ...]

    def count(self, status: BatchStatus) -> int:
        return sum(1 for item in self.items if item.status is status)

    @property
    def recorded(self) -> int:
        return self.count(BatchStatus.RECORDED)

    @property
    def replayed(self) -> int:
        return self.count(BatchStatus.REPLAYED)

    @property
    def rejected(self) -> int:
        return self.count(BatchStatus.REJECTED)


@dataclass(frozen=True)
class RefundRecorded:
    refund: Refund
    purchase: Purchase  # as it stands after the return
    replayed: bool


async def record_purchase(
    cmd: RecordPurchase, *, uow: UnitOfWork, viewer: Viewer
) -> PurchaseRecorded:
    """Records the sale, earns its points (each line: net * base rate * tier multiplier *
    best bonus, rounded down), and upgrades her tier at once when it takes her over a
    threshold. Her enrolment happens with her first purchase."""
    async with uow:
        recorded = await purchase_in(uow, viewer, cmd)
        if not recorded.replayed:
            await uow.commit()
    return recorded


async def purchase_in(uow: UnitOfWork, viewer: Viewer, cmd: RecordPurchase) -> PurchaseRecorded:
    """`record_purchase` inside a unit of work the caller entered and commits: another
    context's use case that records a sale with a change of its own, in one transaction (a
    deal won at pickup). Nothing is written for a replayed order."""
    viewer.require(Operation.PURCHASE_RECORD)
    now = uow.clock.now()
    _check_purchase(cmd, now)
    order_id = cmd.order_id.strip()
    digest = fingerprint(replace(cmd, order_id=order_id))
    programme = await programme_named(uow, cmd.programme_code)
    _check_currency_of(programme, cmd.currency)
    purchase_id = new_id()
    first = await _first_result(uow, _order_scope(cmd.channel), order_id, digest,
                                "order_id", f"order {order_id} on {cmd.channel.value}",
                                purchase_id)
    if first is not None:
        return PurchaseRecorded(await _replayed(uow, viewer, first), replayed=True)
    customer = await customer_to_act_on(uow, viewer, cmd.customer_id, hold=True)
    await require_store(uow, cmd.store_id, ("store_id",))
    membership = await locked_membership(uow, programme, customer.id)
    tier = programme.tier(membership.effective_tier_id(now))
    occurred_at = cmd.occurred_at.astimezone(UTC)
    sold_on = programme.local_date(occurred_at)
    birthday = is_birthday_month(customer.profile.birth_date, sold_on)
    lines = tuple(
        PurchaseLine(
            line_no=number, sku=line.sku.strip(), quantity=line.quantity,
            unit_price=line.unit_price, discount=line.discount, name=line.name,
            category=line.category, margin=line.margin,
            points=line_points(programme, tier, _net(line), line.category,
                               sold_on, birthday),
        )
        for number, line in enumerate(cmd.lines, start=1)
    )
    purchase = Purchase(
        id=purchase_id, programme_id=programme.id, customer_id=customer.id,
        channel=cmd.channel, order_id=order_id, occurred_at=occurred_at,
        recorded_at=now, currency=cmd.currency, payment_total=cmd.payment_total,
        lines=lines, fingerprint=digest, store_id=cmd.store_id,
    )
    wallet = Wallet(uow, programme, membership, viewer.subject)
    if purchase.points > 0:
        entry = await wallet.add(LedgerKind.EARN, purchase.points, occurred_at,
                                 purchase_id=purchase.id)
        purchase = replace(purchase, earn_entry_id=entry.id)
    await uow.loyalty.add_purchase(purchase)
    await reassess_after_purchase(uow, programme, membership, now, viewer.subject)
    await wallet.flush()
    await uow.interactions.add(_timeline_entry(
        customer.id, purchase, "purchase", occurred_at, now, {
        "purchase_id": str(purchase.id), "order_id": purchase.order_id,
        "amount": money_text(purchase.net_amount, purchase.currency),
        "currency": purchase.currency,
        "points": purchase.points}))
    uow.emit(Event(LoyaltyEvent.PURCHASE_RECORDED, customer.id, now, {
        "purchase_id": str(purchase.id), "channel": purchase.channel.value,
        "order_id": purchase.order_id, "occurred_at": occurred_at.isoformat(),
        "amount": money_text(purchase.net_amount, purchase.currency),
        "currency": purchase.currency,
        "points": purchase.points}))
    return PurchaseRecorded(purchase, replayed=False)


async def record_purchase_batch(
    cmd: RecordPurchaseBatch, *, new_uow: Callable[[], UnitOfWork], viewer: Viewer
) -> BatchRecorded:
    """A till's purchases from an outage, each in its own transaction, in the order sent:
    a bad one is reported and does not hold back the others. The whole batch is checked
    first, so items that could not be read count towards its size (and a viewer who may
    not record purchases is refused even a batch of them)."""
    viewer.require(Operation.PURCHASE_RECORD)
    if not cmd.purchases:
        raise DomainError.single(("purchases",), ErrorCode.REQUIRED, "give at least one")
    if len(cmd.purchases) > MAX_BATCH:
        raise DomainError.single(("purchases",), ErrorCode.TOO_LARGE,
                                 f"at most {MAX_BATCH} purchases a batch")
    items = []
    for index, purchase in enumerate(cmd.purchases):
        if isinstance(purchase, UnreadablePurchase):
            items.append(BatchItem(index, None, purchase.errors))
            continue
        try:
            recorded = await record_purchase(purchase, uow=new_uow(), viewer=viewer)
        except DomainError as refused:
            items.append(BatchItem(index, None, refused.errors))
        else:
            items.append(BatchItem(index, recorded))
    return BatchRecorded(tuple(items))


async def refund_purchase(
    cmd: RefundPurchase, *, uow: UnitOfWork, viewer: Viewer
) -> RefundRecorded:
    """A return, whole (no lines) or by line: gives back each line's share of the spend and
    reverses its share of the points (taken from the purchase's own lot first; if they were
    spent, the balance goes negative and later earnings pay it back). A return can undo the
    upgrade the purchase paid for. Returning more than was bought is refused."""
    viewer.require(Operation.PURCHASE_REFUND)
    now = uow.clock.now()
    problems = Problems()
    refund_ref = problems.text(("refund_ref",), cmd.refund_ref, max_length=100, required=True)
    _check_time(problems, cmd.occurred_at, now)
    if cmd.purchase_id is None and (cmd.channel is None or not cmd.order_id):
        problems.add(("purchase_id",), ErrorCode.REQUIRED,
                     "name the purchase by id, or by channel and order id")
    problems.raise_if_any()
    async with uow:
        purchase = await _purchase_named(uow, cmd)
        programme = await uow.programmes.get(purchase.programme_id)
        assert programme is not None, "a purchase's programme is never deleted"
        # Her row first, as a merge takes it: then her membership, then the purchase.
        customer = await customer_to_act_on(uow, viewer, purchase.customer_id, hold=True)
        membership = await locked_membership(uow, programme, customer.id)
        # A concurrent return may have landed, a merge moved it to the survivor.
        purchase = await _reloaded(uow, purchase.id)
        key = f"{purchase.id}:{refund_ref}"
        digest = fingerprint(cmd)
        refund_id = new_id()
        first = await _first_result(uow, "purchaseRefund", key, digest, "refund_ref",
                                    f"return {refund_ref}", refund_id)
        if first is not None:
            refund = next(r for r in purchase.refunds if r.id == first)
            return RefundRecorded(refund, purchase, replayed=True)
        if cmd.occurred_at < purchase.occurred_at:
            raise DomainError.single(("occurred_at",), ErrorCode.INVALID,
                                     "a return can't happen before its purchase")
        lines = _refund_lines(purchase, cmd.lines)
        refund = Refund(refund_id, purchase.id, refund_ref or "",
                        cmd.occurred_at.astimezone(UTC), now, lines)
        await uow.loyalty.add_refund(refund)
        wallet = Wallet(uow, programme, membership, viewer.subject)
        if refund.points > 0:
            await wallet.take(LedgerKind.REVERSE, refund.points, refund.occurred_at,
                              may_overdraw=True, first_lot=purchase.earn_entry_id,
                              purchase_id=purchase.id, refund_id=refund.id,
                              reverses_id=purchase.earn_entry_id)
        await reassess_after_return(uow, programme, membership, now, viewer.subject)
        await wallet.flush()
        await uow.interactions.add(_timeline_entry(
            customer.id, purchase, "return", refund.occurred_at, now, {
            "purchase_id": str(purchase.id), "refund_id": str(refund.id),
            "order_id": purchase.order_id,
            "amount": money_text(refund.amount, purchase.currency),
            "currency": purchase.currency, "points": -refund.points}))
        uow.emit(Event(LoyaltyEvent.PURCHASE_REFUNDED, customer.id, now, {
            "purchase_id": str(purchase.id), "refund_id": str(refund.id),
            "amount": money_text(refund.amount, purchase.currency), "points": refund.points}))
        await uow.commit()
    return RefundRecorded(refund, purchase.with_refund(refund), replayed=False)


# --- checks -------------------------------------------------------------------------------


def _check_purchase(cmd: RecordPurchase, now: datetime) -> None:
    problems = Problems()
    problems.text(("order_id",), cmd.order_id, max_length=100, required=True)
    _check_time(problems, cmd.occurred_at, now)
    currency = check_currency(problems, ("currency",), cmd.currency)
    if currency != cmd.currency:
        problems.add(("currency",), ErrorCode.INVALID, "use the upper-case ISO 4217 code")
    check_amount(problems, ("payment_total",), cmd.payment_total, currency)
    if not cmd.lines:
        problems.add(("lines",), ErrorCode.REQUIRED, "a purchase has at least one line")
    if len(cmd.lines) > MAX_LINES:
        problems.add(("lines",), ErrorCode.TOO_LARGE, f"at most {MAX_LINES} lines")
    for index, line in enumerate(cmd.lines):
        _check_line(problems, ("lines", str(index)), line, currency)
    problems.raise_if_any()


def _check_line(problems: Problems, at: tuple[str, ...], line: LineInput, currency: str) -> None:
    problems.text((*at, "sku"), line.sku, max_length=64, required=True)
    problems.text((*at, "name"), line.name, max_length=200)
    problems.text((*at, "category"), line.category, max_length=80)
    if line.quantity <= 0:
        problems.add((*at, "quantity"), ErrorCode.INVALID,
                     "must be more than zero (record a return with purchaseRefund)")
    elif line.quantity > 100_000:
        problems.add((*at, "quantity"), ErrorCode.TOO_LARGE, "must be at most 100000")
    check_amount(problems, (*at, "unit_price"), line.unit_price, currency)
    check_amount(problems, (*at, "discount"), line.discount, currency)
    if line.margin is not None and not line.margin.is_finite():
        problems.add((*at, "margin"), ErrorCode.INVALID, "must be a number")
    if (line.quantity > 0 and line.unit_price.is_finite() and line.discount.is_finite()
            and line.discount > line.quantity * line.unit_price):
        problems.add((*at, "discount"), ErrorCode.INVALID, "more than the line costs")


def _check_time(problems: Problems, occurred_at: datetime, now: datetime) -> None:
    if occurred_at.tzinfo is None:
        problems.add(("occurred_at",), ErrorCode.INVALID, "needs a time zone offset")
    elif occurred_at > now + CLOCK_SKEW:
        problems.add(("occurred_at",), ErrorCode.INVALID, "in the future")


def _check_currency_of(programme: Programme, currency: str) -> None:
    if currency != programme.currency:
        raise DomainError.single(("currency",), ErrorCode.INVALID,
                                 f"{programme.name} counts in {programme.currency}, not {currency}")


def _refund_lines(
    purchase: Purchase, wanted: tuple[RefundLineInput, ...]
) -> tuple[RefundLine, ...]:
    """What this return gives back, line by line; refuses more than is left to return."""
    if not wanted:  # the whole purchase: whatever is not returned yet
        wanted = tuple(RefundLineInput(line.line_no, line.quantity - line.refunded_quantity)
                       for line in purchase.lines if line.refunded_quantity < line.quantity)
        if not wanted:
            raise DomainError.single(("lines",), ErrorCode.ALREADY_REFUNDED,
                                     "everything in this purchase was already returned")
    problems = Problems()
    asked: dict[int, int] = {}
    for index, item in enumerate(wanted):
        at = ("lines", str(index))
        line = purchase.line(item.line_no)
        if line is None:
            problems.add((*at, "line_no"), ErrorCode.NOT_FOUND, "the purchase has no such line")
            continue
        if item.quantity <= 0:
            problems.add((*at, "quantity"), ErrorCode.INVALID, "must be more than zero")
            continue
        asked[item.line_no] = asked.get(item.line_no, 0) + item.quantity
        left = line.quantity - line.refunded_quantity
        if asked[item.line_no] > left:
            code = ErrorCode.ALREADY_REFUNDED if left == 0 else ErrorCode.INVALID
            problems.add((*at, "quantity"), code,
                         f"line {line.line_no} has {left} of {line.quantity} left to return")
    problems.raise_if_any()
    refunded = []
    for line_no, quantity in asked.items():
        line = purchase.line(line_no)
        assert line is not None
        amount, points = refund_share(line, quantity, purchase.currency)
        refunded.append(RefundLine(line_no, quantity, amount, points))
    return tuple(refunded)


# --- loading ------------------------------------------------------------------------------


async def _first_result(uow: UnitOfWork, scope: str, key: str, digest: str, field: str,
                        what: str, result_id: UUID) -> UUID | None:
    """The till's own id (order, return) is the idempotency key: the first result when
    this is a retry; refused when the id was used for something else. The key is claimed
    with this call's `result_id` already: it commits with the result, or not at all."""
    claim = await uow.idempotency.claim(scope, key, digest, result_id)
    return replayed_result(claim, digest, field=field, key_name=what)


def _order_scope(channel: SalesChannel) -> str:
    return f"purchaseRecord:{channel.value}"


def _net(line: LineInput) -> Decimal:
    return line.quantity * line.unit_price - line.discount


async def _replayed(uow: UnitOfWork, viewer: Viewer, purchase_id: UUID) -> Purchase:
    purchase = await _reloaded(uow, purchase_id)
    await customer_to_act_on(uow, viewer, purchase.customer_id)  # her record, still reachable
    return purchase


async def _reloaded(uow: UnitOfWork, purchase_id: UUID) -> Purchase:
    purchase = await uow.loyalty.get_purchase(purchase_id)
    if purchase is None:
        raise not_found(("order_id",), "first result")
    return purchase


async def _purchase_named(uow: UnitOfWork, cmd: RefundPurchase) -> Purchase:
    if cmd.purchase_id is not None:
        purchase = await uow.loyalty.get_purchase(cmd.purchase_id)
        field = "purchase_id"
    else:
        assert cmd.channel is not None
        assert cmd.order_id is not None
        purchase = await uow.loyalty.find_purchase(cmd.channel, cmd.order_id.strip())
        field = "order_id"
    if purchase is None:
        raise not_found((field,), "purchase")
    return purchase


def _timeline_entry(customer_id: UUID, purchase: Purchase, kind: str, occurred_at: datetime,
                    now: datetime, payload: dict[str, object]) -> Interaction:
    """Purchases and returns show on her timeline, beside visits and calls."""
    return Interaction(
        id=new_id(), customer_id=customer_id,
        channel=_TIMELINE_CHANNEL[purchase.channel], direction=Direction.INBOUND, kind=kind,
        occurred_at=occurred_at, recorded_at=now, payload=dict(payload),
        store_id=purchase.store_id,
    )
