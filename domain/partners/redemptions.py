"""A partner's counter: validating a member's code, redeeming it once, and reversing a
redemption made by mistake.

Only the partner whose offer it is may see or redeem a grant: another partner's code
answers exactly as a code that does not exist. Codes are unguessable, and guessing is
limited besides: a mistyped code is caught by its check character before any lookup, and
every lookup that finds nothing counts against the caller's key (`MISSES_PER_MINUTE`
then a wait; `MISSES_PER_HOUR` and the key is locked out for the rest of that hour). A
miss older than that hour counts no more, and the hourly job deletes it
(`prune_code_misses`).

Redeeming locks the grant: of sixteen tills redeeming one code at once, one succeeds and
the others are told it is redeemed. The partner's idempotency key makes a retry of the
same redemption replay it. Before the grant, a redemption and its reversal hold the
member's customer row, which a merge of hers locks first: the two take turns, and the
redemption of a grant a merge moved meanwhile is the survivor's.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.customers.services import held_customer
from domain.partners import codes
from domain.partners.acting import no_partner, partner_code_of, still_active
from domain.partners.commands import (
    PruneCodeMisses,
    RedeemGrant,
    ReverseRedemption,
    ValidateGrant,
)
from domain.partners.events import PartnerEvent
from domain.partners.model import (
    EntryKind,
    Grant,
    GrantState,
    Offer,
    Partner,
    Redemption,
    SharedMember,
)
from domain.partners.partners import acting_partner
from domain.partners.settlement import settle
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Viewer
from domain.shared.errors import DomainError, ErrorCode, UniqueKey, duplicate_as, not_found
from domain.shared.events import Event
from domain.shared.idempotency import fingerprint
from domain.shared.ids import new_id
from domain.shared.money import check_amount
from domain.shared.validation import Problems

MISSES_PER_MINUTE = 5
MISSES_PER_HOUR = 20
LOCKOUT_WINDOW = timedelta(hours=1)  # the longest the misses are counted over
# Kept a little longer than counted: the job's clock and a pod's may differ.
MISSES_KEPT = LOCKOUT_WINDOW + timedelta(minutes=5)
REVERSAL_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class GrantCheck:
    """What a validation answers: whether the code is good now (`problem` None) or why not;
    for the partner's own grants, the offer, until when, and what the member shares."""

    code: str  # as typed, when it could not be read; else the canonical code
    problem: ErrorCode | None
    grant: Grant | None = None
    offer: Offer | None = None
    member: SharedMember | None = None

    @property
    def valid(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class Redeemed:
    redemption: Redemption
    grant: Grant
    offer: Offer
    replayed: bool


async def validate_grant(cmd: ValidateGrant, *, uow: UnitOfWork, viewer: Viewer) -> GrantCheck:
    viewer.require(Operation.GRANT_REDEEM)
    code = codes.canonical(cmd.code)
    if code is None:
        return GrantCheck(cmd.code, ErrorCode.CODE_MISTYPED)
    async with uow:
        now = uow.clock.now()
        partner = await _counter(uow, viewer, now)
        found = await uow.partners.grant_at_counter(code, now)
        if found is None or found.partner.id != partner.id:
            await _miss(uow, viewer, now)
            return GrantCheck(code, ErrorCode.UNKNOWN_CODE)
    grant = found.grant
    return GrantCheck(code, _problem(grant, now), grant, found.offer, found.member)


async def redeem_grant(cmd: RedeemGrant, *, uow: UnitOfWork, viewer: Viewer) -> Redeemed:
    viewer.require(Operation.GRANT_REDEEM)
    problems = Problems()
    key = problems.text(("idempotency_key",), cmd.idempotency_key, max_length=200,
                        required=True) or ""
    location = problems.text(("location",), cmd.location, max_length=200, required=True) or ""
    code = codes.canonical(cmd.code)
    if code is None:
        problems.add(("code",), ErrorCode.CODE_MISTYPED,
                     "this is not a grant code: check it for a typo")
    problems.raise_if_any()
    assert code is not None
    digest = fingerprint(replace(cmd, code=code, location=location))
    async with uow:
        now = uow.clock.now()
        partner = await _counter(uow, viewer, now)
        if cmd.amount is not None:
            check_amount(problems, ("amount",), cmd.amount, partner.currency)
            problems.raise_if_any()
        # Her row first, as a merge takes it, then her grant (which a merge moves): the
        # row the grant names, and a merged duplicate's survivor after it.
        member = await uow.partners.hold_grant_member(code, partner.id)
        if member is not None and member.merged_into_id is not None:
            await held_customer(uow, member.merged_into_id)
        found = await uow.partners.grant_to_redeem(code)
        if found is None or found.grant.partner_id != partner.id:
            await _miss(uow, viewer, now)
            raise _unknown_code()
        grant, offer = found.grant, found.offer
        # Checked with the grant locked: a concurrent retry of this very redemption waited
        # for the first and now finds it.
        earlier = await uow.partners.redemption_by_key(partner.id, key)
        if earlier is not None:
            return await _replayed(uow, earlier, digest)
        problem = _problem(grant, now)
        if problem is not None:
            raise DomainError.single(("code",), problem, _PROBLEMS[problem])
        redemption = Redemption(
            id=new_id(), grant_id=grant.id, partner_id=partner.id, offer_id=offer.id,
            customer_id=grant.customer_id, idempotency_key=key, fingerprint=digest,
            location=location, redeemed_at=now, redeemed_by=viewer.subject, amount=cmd.amount)
        with duplicate_as(UniqueKey.REDEMPTION_KEY, ("idempotency_key",),
                          "a redemption with this key is in flight; retry"):
            await uow.partners.add_redemption(redemption)
        redeemed = grant.redeemed(now)
        await uow.partners.save_grant(redeemed)
        await settle(uow, partner, EntryKind.REDEMPTION, offer.cost.brand_owes, now,
                     offer_id=offer.id, redemption_id=redemption.id,
                     customer_id=grant.customer_id)
        uow.emit(Event(PartnerEvent.GRANT_REDEEMED, grant.customer_id, now, {
            "grant_id": str(grant.id), "redemption_id": str(redemption.id),
            "offer_id": str(offer.id), "partner_id": str(partner.id)}))
        await uow.commit()
    return Redeemed(redemption, redeemed, offer, replayed=False)


async def reverse_redemption(
    cmd: ReverseRedemption, *, uow: UnitOfWork, viewer: Viewer
) -> Redeemed:
    """Within `REVERSAL_WINDOW` of the redemption: the grant is good again (until its own
    expiry) and the amount owed for it is taken back, in the first open period."""
    viewer.require(Operation.GRANT_REDEEM)
    problems = Problems()
    reason = problems.text(("reason",), cmd.reason, max_length=500, required=True)
    problems.raise_if_any()
    async with uow:
        partner = await acting_partner(uow, viewer)
        named = await uow.partners.get_redemption(cmd.redemption_id)
        if named is None or named.partner_id != partner.id:
            raise not_found(("redemption_id",), "redemption")
        # Her row first, as a merge takes it, then her redemption and grant (it moves both).
        await held_customer(uow, named.customer_id)
        redemption = await uow.partners.get_redemption(cmd.redemption_id, for_update=True)
        assert redemption is not None, "a redemption is never deleted"
        now = uow.clock.now()
        if redemption.reversed:
            raise DomainError.single(("redemption_id",), ErrorCode.ALREADY_REVERSED,
                                     "this redemption was reversed already")
        if now - redemption.redeemed_at > REVERSAL_WINDOW:
            hours = int(REVERSAL_WINDOW.total_seconds() // 3600)
            raise DomainError.single(("redemption_id",), ErrorCode.WINDOW_PASSED,
                                     f"a redemption can be reversed within {hours} hours")
        grant = await uow.partners.get_grant(redemption.grant_id, for_update=True)
        offer = await uow.partners.get_offer(redemption.offer_id)
        assert grant is not None
        assert offer is not None
        reversed_ = replace(redemption, reversed_at=now, reverse_reason=reason)
        await uow.partners.save_redemption(reversed_)
        reinstated = grant.reinstated()
        await uow.partners.save_grant(reinstated)
        await settle(uow, partner, EntryKind.REDEMPTION_REVERSAL, -offer.cost.brand_owes, now,
                     offer_id=offer.id, redemption_id=redemption.id,
                     customer_id=grant.customer_id)
        uow.emit(Event(PartnerEvent.GRANT_REDEMPTION_REVERSED, grant.customer_id, now, {
            "grant_id": str(grant.id), "redemption_id": str(redemption.id)}))
        await uow.commit()
    return Redeemed(reversed_, reinstated, offer, replayed=False)


_PROBLEMS = {
    ErrorCode.ALREADY_REDEEMED: "this grant was redeemed already",
    ErrorCode.EXPIRED: "this grant has expired",
    ErrorCode.REVOKED: "this grant was revoked",
}
_STATE_PROBLEM = {GrantState.REDEEMED: ErrorCode.ALREADY_REDEEMED,
                  GrantState.EXPIRED: ErrorCode.EXPIRED, GrantState.REVOKED: ErrorCode.REVOKED}


def _problem(grant: Grant, now: datetime) -> ErrorCode | None:
    return _STATE_PROBLEM.get(grant.state_at(now))


def _unknown_code() -> DomainError:
    return DomainError.single(("code",), ErrorCode.UNKNOWN_CODE,
                              "no grant of yours has this code")


def _caller(viewer: Viewer) -> str:
    return f"client:{viewer.client_id}" if viewer.client_id else viewer.subject


async def _counter(uow: UnitOfWork, viewer: Viewer, now: datetime) -> Partner:
    """The partner a PARTNER viewer is (as `acting_partner`), if its key may look a code up
    now: both in one read, before every lookup."""
    found = await uow.partners.partner_with_misses(
        partner_code_of(viewer), _caller(viewer),
        [now - LOCKOUT_WINDOW, now - timedelta(minutes=1)])
    if found is None:
        raise no_partner()
    partner = still_active(found.partner)
    hour, minute = found.misses
    if hour >= MISSES_PER_HOUR:
        raise DomainError.single(("code",), ErrorCode.TOO_MANY_ATTEMPTS,
                                 "too many unknown codes: this key is locked out for an "
                                 "hour; ask the brand if this was not a guessing attack")
    if minute >= MISSES_PER_MINUTE:
        raise DomainError.single(("code",), ErrorCode.TOO_MANY_ATTEMPTS,
                                 "too many unknown codes: wait a minute and check the code")
    return partner


async def prune_code_misses(
    cmd: PruneCodeMisses, *, new_uow: Callable[[], UnitOfWork], viewer: Viewer
) -> int:
    """The hourly job: misses older than the lock-out counts (`MISSES_KEPT`) are deleted,
    `cmd.limit` per transaction until none is left; how many. Safe to run twice or
    concurrently: what one run deletes the other does not find, and recent misses stay, so
    a locked-out key stays locked out."""
    viewer.require(Operation.PARTNER_MANAGE)
    pruned = 0
    while True:
        uow = new_uow()
        async with uow:
            deleted = await uow.partners.prune_misses(uow.clock.now() - MISSES_KEPT,
                                                      cmd.limit)
            await uow.commit()
        pruned += deleted
        if deleted < cmd.limit:
            return pruned


async def _miss(uow: UnitOfWork, viewer: Viewer, now: datetime) -> None:
    """Counted in its own commit: the refusal that follows must not roll it back."""
    await uow.partners.record_miss(_caller(viewer), now)
    await uow.commit()


async def _replayed(uow: UnitOfWork, earlier: Redemption, digest: str) -> Redeemed:
    if earlier.fingerprint != digest:
        raise DomainError.single(("idempotency_key",), ErrorCode.IDEMPOTENCY_KEY_REUSED,
                                 "this idempotency key was already used with a different "
                                 "input")
    grant = await uow.partners.get_grant(earlier.grant_id)
    offer = await uow.partners.get_offer(earlier.offer_id)
    assert grant is not None
    assert offer is not None
    return Redeemed(earlier, grant, offer, replayed=True)

