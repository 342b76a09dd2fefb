"""Coalition earn: a member earns the brand's points at a partner (a coffee at the café),
and the partner owes the brand their value.

The partner reports the purchase with its own order id (its idempotency key: a retry
replays, the same id with other content is refused) and names the member by her card or
account with the brand. She earns `partner.earn_rate` points per unit of the partner's
currency, rounded down, on the brand's ledger with the partner as source; the partner
owes `points * partner.point_value`. A return at the partner reverses its share of both.
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from domain.customers.queries import ByExternalRef
from domain.customers.services import held_customer
from domain.loyalty.model import LedgerKind
from domain.loyalty.wallet import Wallet, locked_membership, programme_named
from domain.partners.commands import RecordPartnerPurchase, ReturnPartnerPurchase
from domain.partners.events import PartnerEvent
from domain.partners.model import EntryKind, Partner, PartnerPurchase
from domain.partners.partners import acting_partner
from domain.partners.settlement import settle
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Viewer
from domain.shared.errors import DomainError, ErrorCode, UniqueKey, duplicate_as, not_found
from domain.shared.events import Event
from domain.shared.idempotency import Claim, fingerprint, replayed_result
from domain.shared.ids import new_id
from domain.shared.money import check_amount, check_currency, money_text
from domain.shared.validation import Problems

CLOCK_SKEW = timedelta(minutes=5)
MAX_AGE = timedelta(days=90)  # older sales are corrections for the brand, not the partner


@dataclass(frozen=True)
class PartnerPurchaseRecorded:
    purchase: PartnerPurchase
    replayed: bool


async def record_partner_purchase(
    cmd: RecordPartnerPurchase, *, uow: UnitOfWork, viewer: Viewer
) -> PartnerPurchaseRecorded:
    viewer.require(Operation.PARTNER_PURCHASE_RECORD)
    problems = Problems()
    order_id = problems.text(("order_id",), cmd.order_id, max_length=100, required=True) or ""
    problems.text(("member_reference",), cmd.member_reference, max_length=200, required=True)
    problems.slug(("member_system",), cmd.member_system)
    currency = check_currency(problems, ("currency",), cmd.currency)
    check_amount(problems, ("amount",), cmd.amount, currency, positive=True)
    async with uow:
        now = uow.clock.now()
        _check_time(problems, cmd, now)
        problems.raise_if_any()
        partner = await acting_partner(uow, viewer)
        digest = fingerprint(replace(cmd, order_id=order_id, currency=currency))
        earlier = await uow.partners.partner_purchase(partner.id, order_id)
        if earlier is not None:
            replayed_result(_claim(earlier), digest, field="order_id",
                            key_name=f"order {order_id}")
            return PartnerPurchaseRecorded(earlier, replayed=True)
        rate = _earn_rate(partner, currency)
        reference = ByExternalRef.of(cmd.member_system, cmd.member_reference)
        found = await uow.customers.find_by_external_ref(reference.system, reference.value)
        # Her row held before her membership, as a merge takes them; a merge that moved her
        # card meanwhile is followed to the survivor.
        member = None if found is None else await held_customer(uow, found)
        if member is None:
            raise DomainError.single(("member_reference",), ErrorCode.NOT_FOUND,
                                     "no member has this reference")
        customer_id = member.id
        programme = await programme_named(uow, cmd.programme_code)
        membership = await locked_membership(uow, programme, customer_id)
        occurred_at = cmd.occurred_at.astimezone(UTC)
        points = int((cmd.amount * rate).to_integral_value(rounding=ROUND_DOWN))
        wallet = Wallet(uow, programme, membership, viewer.subject)
        entry = None
        if points > 0:
            entry = await wallet.add(LedgerKind.EARN, points, occurred_at,
                                     partner_id=partner.id, order_ref=order_id,
                                     reason=f"earned at {partner.name}")
        await wallet.flush()
        purchase = PartnerPurchase(
            id=new_id(), partner_id=partner.id, customer_id=customer_id,
            programme_id=programme.id, order_id=order_id, fingerprint=digest,
            amount=cmd.amount, currency=currency, occurred_at=occurred_at, recorded_at=now,
            points=points, earn_entry_id=entry.id if entry else None)
        with duplicate_as(UniqueKey.PARTNER_ORDER, ("order_id",),
                          f"order {order_id} is being recorded by another call; retry"):
            await uow.partners.add_partner_purchase(purchase)
        await settle(uow, partner, EntryKind.COALITION_EARN, points * partner.point_value,
                     occurred_at, partner_purchase_id=purchase.id, customer_id=customer_id,
                     points=points)
        uow.emit(Event(PartnerEvent.PURCHASE_RECORDED, customer_id, now, {
            "partner_purchase_id": str(purchase.id), "partner_id": str(partner.id),
            "order_id": order_id, "amount": money_text(cmd.amount, currency),
            "currency": currency, "points": points}))
        await uow.commit()
    return PartnerPurchaseRecorded(purchase, replayed=False)


async def return_partner_purchase(
    cmd: ReturnPartnerPurchase, *, uow: UnitOfWork, viewer: Viewer
) -> PartnerPurchaseRecorded:
    """Takes back the returned share of the points (her balance may go negative when she
    spent them) and of what the partner owes."""
    viewer.require(Operation.PARTNER_PURCHASE_RECORD)
    problems = Problems()
    return_ref = problems.text(("return_ref",), cmd.return_ref, max_length=100,
                               required=True) or ""
    problems.raise_if_any()
    async with uow:
        partner = await acting_partner(uow, viewer)
        order_id = cmd.order_id.strip()
        named = await uow.partners.partner_purchase(partner.id, order_id)
        if named is None:
            raise not_found(("order_id",), "partner purchase")
        # Her row first, as a merge takes it, then the purchase (a merge may have moved it
        # to the survivor meanwhile), then her membership.
        await held_customer(uow, named.customer_id)
        purchase = await uow.partners.partner_purchase(partner.id, order_id, for_update=True)
        assert purchase is not None, "a partner purchase is never deleted"
        if cmd.amount is not None:
            check_amount(problems, ("amount",), cmd.amount, purchase.currency, positive=True)
            problems.raise_if_any()
        scope, key = "partnerPurchaseReturn", f"{purchase.id}:{return_ref}"
        # Of the input as read, so a retry with blanks around its ids is the same return.
        digest = fingerprint(replace(cmd, order_id=purchase.order_id, return_ref=return_ref))
        claim = await uow.idempotency.claim(scope, key, digest, purchase.id)
        if replayed_result(claim, digest, field="return_ref",
                           key_name=f"return {return_ref}") is not None:
            return PartnerPurchaseRecorded(purchase, replayed=True)
        left = purchase.amount - purchase.returned_amount
        amount = left if cmd.amount is None else cmd.amount
        if left <= 0 or amount > left:
            raise DomainError.single(("amount",), ErrorCode.ALREADY_REFUNDED,
                                     f"only {left} {purchase.currency} is left to return")
        points = _returned_points(purchase, amount)
        programme = await uow.programmes.get(purchase.programme_id)
        assert programme is not None
        now = uow.clock.now()
        if points > 0:
            membership = await locked_membership(uow, programme, purchase.customer_id)
            wallet = Wallet(uow, programme, membership, viewer.subject)
            await wallet.take(LedgerKind.REVERSE, points, now, may_overdraw=True,
                              first_lot=purchase.earn_entry_id,
                              reverses_id=purchase.earn_entry_id, partner_id=partner.id,
                              order_ref=purchase.order_id)
            await wallet.flush()
        returned = replace(purchase, returned_amount=purchase.returned_amount + amount,
                           returned_points=purchase.returned_points + points)
        await uow.partners.save_partner_purchase(returned)
        await settle(uow, partner, EntryKind.COALITION_RETURN, -points * partner.point_value,
                     now, partner_purchase_id=purchase.id, customer_id=purchase.customer_id,
                     points=-points)
        uow.emit(Event(PartnerEvent.PURCHASE_RETURNED, purchase.customer_id, now, {
            "partner_purchase_id": str(purchase.id),
            "amount": money_text(amount, purchase.currency),
            "points": points}))
        await uow.commit()
    return PartnerPurchaseRecorded(returned, replayed=False)


def _earn_rate(partner: Partner, currency: str) -> Decimal:
    if currency != partner.currency:
        raise DomainError.single(("currency",), ErrorCode.CURRENCY_MISMATCH,
                                 f"{partner.name} settles in {partner.currency}")
    if not partner.earn_rate:
        raise DomainError.single((), ErrorCode.NOT_ALLOWED,
                                 "members earn no points with your company yet")
    return partner.earn_rate


def _returned_points(purchase: PartnerPurchase, amount: Decimal) -> int:
    """The share of the points `amount` stands for; the last return takes what is left, so
    the shares add up to what was earned."""
    if amount == purchase.amount - purchase.returned_amount:
        return purchase.points - purchase.returned_points
    share = purchase.points * amount / purchase.amount
    return int(share.to_integral_value(rounding=ROUND_DOWN))


def _claim(purchase: PartnerPurchase) -> Claim:
    return Claim(purchase.fingerprint, purchase.id)


def _check_time(problems: Problems, cmd: RecordPartnerPurchase, now: datetime) -> None:
    if cmd.occurred_at.tzinfo is None:
        problems.add(("occurred_at",), ErrorCode.INVALID, "needs a time zone offset")
    elif cmd.occurred_at > now + CLOCK_SKEW:
        problems.add(("occurred_at",), ErrorCode.INVALID, "is in the future")
    elif cmd.occurred_at < now - MAX_AGE:
        problems.add(("occurred_at",), ErrorCode.INVALID,
                     f"is more than {MAX_AGE.days} days ago")
