"""Grants: issued when an offer's trigger fires, in the transaction of the fact that fired
it; issued by staff with a reason; revoked when the purchase that earned one is returned;
expired by the daily job.

The triggers are reactions (domain/reactions.py) to loyalty's events: `PurchaseRecorded`
(purchase and birthday-month offers), `LoyaltyTierChanged` (tier-reached offers) and
`PurchaseRefunded` (revocation). Each issues at most one live grant per offer, member
and source ("purchase:<id>", "tier:<id>", "birthday:<year>"), so a fact seen twice issues
once; and the offer row is locked while its quota is counted, so concurrent purchases
never issue past it. A revoked grant counts for neither: the member never had its
benefit, so it uses up neither her quota nor her once-a-year birthday grant.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from domain.customers.model import ConsentPurpose, Customer
from domain.customers.services import customer_to_act_on
from domain.loyalty.events import LoyaltyEvent
from domain.loyalty.model import Programme, Purchase, PurchaseLine
from domain.loyalty.rules import is_birthday_month
from domain.partners.codes import new_code
from domain.partners.commands import ExpireGrants, IssueGrant, RevokeGrant
from domain.partners.events import PartnerEvent
from domain.partners.model import Grant, GrantState, Offer, QuotaPeriod, Trigger, TriggerKind
from domain.ports import UnitOfWork
from domain.reactions import Reactions
from domain.shared.access import Operation, Viewer
from domain.shared.errors import DomainError, Duplicate, ErrorCode, FieldError, UniqueKey, not_found
from domain.shared.events import Event
from domain.shared.ids import new_id
from domain.shared.validation import Problems

SYSTEM = "system"
CODE_ATTEMPTS = 3  # a fresh code clashing thrice with a stored one means something is broken
PURCHASE_TRIGGERS = frozenset({TriggerKind.PURCHASE, TriggerKind.BIRTHDAY_MONTH})


def shares_with_partners(customer: Customer) -> bool:
    """She agreed to the alliance (partner sharing on some contact point of hers) and her
    record is live: only then does she get partner benefits, and partners see her."""
    return (not customer.is_erased and customer.merged_into_id is None
            and any(point.consent_for(ConsentPurpose.PARTNER_SHARING)
                    for point in customer.contact_points))


@dataclass(frozen=True)
class Occasion:
    """A fact about one member that may issue a grant: what, and when it happened (`at`):
    the offer's dates, her eligibility and the quota's period are judged then. Her consent,
    the offer's status and its partner's are judged as they are now. `recorded_at` is when
    the service learnt of it, if later (a till back from an outage sends the day's sales):
    the grant is issued then, and is good for the offer's days from then."""

    customer: Customer
    source_key: str
    at: datetime
    purchase_id: UUID | None = None
    recorded_at: datetime | None = None

    @property
    def issued_at(self) -> datetime:
        return self.recorded_at or self.at


# --- issuing ------------------------------------------------------------------------------

async def refusal(uow: UnitOfWork, offer: Offer, occasion: Occasion,
                  check_eligibility: bool = True) -> FieldError | None:
    """Why `offer` may not be issued on `occasion` (None: it may). The offer must be
    locked: the quota counts are only true while it is."""
    partner = await uow.partners.get(offer.partner_id)
    assert partner is not None, "an offer's partner is never deleted"
    if not partner.active:
        return FieldError(("offer_id",), ErrorCode.SUSPENDED, "the partner is suspended")
    if not offer.issuing_at(occasion.at):
        return FieldError(("offer_id",), ErrorCode.OUTSIDE_VALIDITY,
                          f"the offer is {offer.status.value.lower()} or outside its dates")
    if not shares_with_partners(occasion.customer):
        return FieldError(("customer_id",), ErrorCode.NOT_ELIGIBLE,
                          "the customer has not agreed to partner benefits")
    if check_eligibility and not await _eligible(uow, offer, occasion.customer, occasion.at):
        return FieldError(("customer_id",), ErrorCode.NOT_ELIGIBLE,
                          "the customer does not meet the offer's eligibility")
    counts = await uow.partners.grant_counts(offer.id, occasion.customer.id,
                                             *quota_period(offer.quota.period, occasion.at))
    quota = offer.quota
    for limit, count, what in ((quota.total, counts.total, "in all"),
                               (quota.per_member, counts.member, "to one member"),
                               (quota.per_period, counts.period, "this period")):
        if limit is not None and count >= limit:
            return FieldError(("offer_id",), ErrorCode.QUOTA_EXHAUSTED,
                              f"the offer's quota of {limit} {what} is used up")
    return None


async def issue(uow: UnitOfWork, offer: Offer, occasion: Occasion, actor: str,
                reason: str | None = None) -> Grant:
    """A new grant of `offer` for the occasion's member, with a fresh code."""
    issued_at = occasion.issued_at
    for _ in range(CODE_ATTEMPTS):
        grant = Grant(id=new_id(), offer_id=offer.id, partner_id=offer.partner_id,
                      customer_id=occasion.customer.id, code=new_code(),
                      source_key=occasion.source_key, issued_at=issued_at,
                      expires_at=offer.grant_expiry(issued_at), issued_by=actor,
                      purchase_id=occasion.purchase_id, reason=reason)
        try:
            await uow.partners.add_grant(grant)
        except Duplicate as clash:
            if clash.key is not UniqueKey.GRANT_CODE:
                raise
            continue
        uow.emit(Event(PartnerEvent.GRANT_ISSUED, grant.customer_id, issued_at, {
            "grant_id": str(grant.id), "offer_id": str(offer.id),
            "partner_id": str(offer.partner_id), "source": occasion.source_key,
            "expires_at": grant.expires_at.isoformat()}))
        return grant
    raise RuntimeError(f"{CODE_ATTEMPTS} fresh grant codes all clashed")


async def issue_on(uow: UnitOfWork, offers: list[Offer], occasion: Occasion) -> list[Grant]:
    """Triggered offers: each issued when nothing refuses it; refused ones are skipped (a
    purchase is never refused for a benefit it did not earn)."""
    grants = []
    for candidate in offers:
        offer = await uow.partners.get_offer(candidate.id, for_update=True)
        if offer is None or await refusal(uow, offer, occasion) is not None:
            continue
        try:
            grants.append(await issue(uow, offer, occasion, SYSTEM))
        except Duplicate as clash:
            if clash.key is not UniqueKey.GRANT_SOURCE:
                raise
    return grants


def quota_period_start(period: QuotaPeriod, at: datetime) -> datetime:
    day = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if period is QuotaPeriod.DAY:
        return day
    if period is QuotaPeriod.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def quota_period(period: QuotaPeriod, at: datetime) -> tuple[datetime, datetime]:
    """The quota period `at` falls in: its start, and the next one's."""
    start = quota_period_start(period, at)
    if period is QuotaPeriod.MONTH:
        return start, (start + timedelta(days=31)).replace(day=1)
    return start, start + timedelta(days=1 if period is QuotaPeriod.DAY else 7)


async def _eligible(uow: UnitOfWork, offer: Offer, customer: Customer, at: datetime) -> bool:
    rule = offer.eligibility
    if rule.interests:
        hers = {label.casefold() for label in (*customer.profile.interests,
                                               *customer.profile.tags)}
        if not hers & {label.casefold() for label in rule.interests}:
            return False
    if not rule.tier_codes and rule.programme_code is None:
        return True
    programme = await (uow.programmes.get_by_code(rule.programme_code)
                       if rule.programme_code else uow.programmes.default())
    if programme is None:
        return False
    membership = await uow.loyalty.lock_membership(programme.id, customer.id)
    if membership is None:
        return False
    tier = programme.tier(membership.effective_tier_id(at))
    return not rule.tier_codes or tier.code in rule.tier_codes


# --- what fires them ----------------------------------------------------------------------

def purchase_triggers(offer: Offer, purchase: Purchase, programme: Programme,
                      customer: Customer) -> str | None:
    """The source key under which `purchase` issues `offer`, or None when it does not."""
    trigger = offer.trigger
    if trigger.kind is TriggerKind.BIRTHDAY_MONTH:
        # Any line kept will do; a purchase returned whole no longer earns it.
        kept = any(_kept(line) > 0 for line in purchase.lines)
        sold_on = programme.local_date(purchase.occurred_at)
        if kept and is_birthday_month(customer.profile.birth_date, sold_on):
            return f"birthday:{sold_on.year}"
        return None
    if trigger.kind is not TriggerKind.PURCHASE:
        return None
    lines = [line for line in purchase.lines if _kept(line) > 0 and _matches(trigger, line)]
    spent = sum((line.net * _kept(line) / line.quantity for line in lines), Decimal(0))
    if not lines or (trigger.min_spend is not None and spent < trigger.min_spend):
        return None
    return f"purchase:{purchase.id}"


def _kept(line: PurchaseLine) -> int:
    return line.quantity - line.refunded_quantity


def _matches(trigger: Trigger, line: PurchaseLine) -> bool:
    return ((trigger.category is None or trigger.category == line.category)
            and (trigger.sku is None or trigger.sku == line.sku))


async def on_purchase_recorded(event: Event, uow: UnitOfWork) -> None:
    """A sale issues the offers that were issuing when it was made, though its till
    records it later; one a till's clock dates ahead (`CLOCK_SKEW`) was made now."""
    sold_at = min(datetime.fromisoformat(event.data["occurred_at"]), event.occurred_at)
    offers = await uow.partners.issuing_offers(PURCHASE_TRIGGERS, sold_at)
    if not offers:
        return  # the common case costs one read
    purchase = await uow.loyalty.get_purchase(UUID(event.data["purchase_id"]))
    customer = await uow.customers.get(event.aggregate_id)
    assert purchase is not None, "the event's purchase is written"
    assert customer is not None
    programme = await uow.programmes.get(purchase.programme_id)
    assert programme is not None, "a purchase's programme is never deleted"
    for offer in offers:
        source = purchase_triggers(offer, purchase, programme, customer)
        if source is not None:
            await issue_on(uow, [offer], Occasion(customer, source, sold_at, purchase.id,
                                                  recorded_at=event.occurred_at))


async def on_tier_changed(event: Event, uow: UnitOfWork) -> None:
    """Moving up to a tier issues its TIER_REACHED offers (those naming no tier: any move
    up), once per tier: falling back and climbing again issues nothing new."""
    offers = await uow.partners.issuing_offers(frozenset({TriggerKind.TIER_REACHED}),
                                               event.occurred_at)
    if not offers:
        return
    programme = await uow.programmes.get(UUID(event.data["programme_id"]))
    assert programme is not None
    reached = programme.tier(UUID(event.data["to_tier_id"]))
    left = programme.tier(UUID(event.data["from_tier_id"]))
    if reached.rank <= left.rank:
        return
    customer = await uow.customers.get(event.aggregate_id)
    assert customer is not None
    wanted = [offer for offer in offers
              if offer.trigger.tier_code in (None, reached.code)]
    await issue_on(uow, wanted, Occasion(customer, f"tier:{reached.id}", event.occurred_at))


async def on_purchase_refunded(event: Event, uow: UnitOfWork) -> None:
    """A return takes back the grants its purchase no longer earns, unless redeemed
    already (the partner gave the benefit; that stays settled)."""
    purchase_id = UUID(event.data["purchase_id"])
    grants = await uow.partners.grants_of_purchase(purchase_id, for_update=True)
    if not grants:
        return
    purchase = await uow.loyalty.get_purchase(purchase_id)
    customer = await uow.customers.get(event.aggregate_id)
    assert purchase is not None
    assert customer is not None
    programme = await uow.programmes.get(purchase.programme_id)
    assert programme is not None
    for grant in grants:
        if grant.state is not GrantState.ISSUED:
            continue
        offer = await uow.partners.get_offer(grant.offer_id)
        assert offer is not None
        if purchase_triggers(offer, purchase, programme, customer) is None:
            await _revoke(uow, grant, event.occurred_at, "the purchase was returned")


REACTIONS: Reactions = {
    LoyaltyEvent.PURCHASE_RECORDED: (on_purchase_recorded,),
    LoyaltyEvent.TIER_CHANGED: (on_tier_changed,),
    LoyaltyEvent.PURCHASE_REFUNDED: (on_purchase_refunded,),
}


# --- use cases ----------------------------------------------------------------------------

async def issue_grant(cmd: IssueGrant, *, uow: UnitOfWork, viewer: Viewer) -> Grant:
    """By hand, with a reason: staff judge eligibility themselves, but the member's consent,
    the offer's state and dates and its quota still hold."""
    viewer.require(Operation.GRANT_ISSUE)
    problems = Problems()
    reason = problems.text(("reason",), cmd.reason, max_length=500, required=True)
    problems.raise_if_any()
    async with uow:
        # Her row before the offer's, as a sale of hers that issues its grants takes them.
        customer = await _customer_for(uow, viewer, cmd.customer_id, hold=True)
        offer = await uow.partners.get_offer(cmd.offer_id, for_update=True)
        if offer is None:
            raise not_found(("offer_id",), "offer")
        now = uow.clock.now()
        grant_id = new_id()
        occasion = Occasion(customer, f"manual:{grant_id}", now)
        refused = await refusal(uow, offer, occasion, check_eligibility=False)
        if refused is not None:
            raise DomainError([refused])
        grant = await issue(uow, offer, occasion, viewer.subject, reason)
        await uow.commit()
    return grant


async def revoke_grant(cmd: RevokeGrant, *, uow: UnitOfWork, viewer: Viewer) -> Grant:
    viewer.require(Operation.GRANT_REVOKE)
    problems = Problems()
    reason = problems.text(("reason",), cmd.reason, max_length=500, required=True) or ""
    problems.raise_if_any()
    async with uow:
        grant = await uow.partners.get_grant(cmd.grant_id, for_update=True)
        if grant is None:
            raise not_found(("grant_id",), "grant")
        await _customer_for(uow, viewer, grant.customer_id)
        now = uow.clock.now()
        state = grant.state_at(now)
        if state is not GrantState.ISSUED:
            raise DomainError.single(("grant_id",), ErrorCode.INVALID_TRANSITION,
                                     f"the grant is {state.value.lower()}")
        revoked = await _revoke(uow, grant, now, reason)
        await uow.commit()
    return revoked


async def expire_grants(
    cmd: ExpireGrants, *, new_uow: Callable[[], UnitOfWork], viewer: Viewer
) -> int:
    """The daily job: issued grants past their expiry become EXPIRED, `cmd.limit` per
    transaction until none is left. Safe to run twice or concurrently."""
    viewer.require(Operation.GRANT_REVOKE)
    expired = 0
    while True:
        uow = new_uow()
        async with uow:
            now = uow.clock.now()
            grants = await uow.partners.expire_grants(now, cmd.limit)
            for grant in grants:
                uow.emit(Event(PartnerEvent.GRANT_EXPIRED, grant.customer_id, now, {
                    "grant_id": str(grant.id), "offer_id": str(grant.offer_id)}))
            await uow.commit()
        expired += len(grants)
        if len(grants) < cmd.limit:
            return expired


async def _revoke(uow: UnitOfWork, grant: Grant, now: datetime, reason: str) -> Grant:
    revoked = grant.revoked(now, reason)
    await uow.partners.save_grant(revoked)
    uow.emit(Event(PartnerEvent.GRANT_REVOKED, grant.customer_id, now, {
        "grant_id": str(grant.id), "offer_id": str(grant.offer_id)}))
    return revoked


async def _customer_for(uow: UnitOfWork, viewer: Viewer, customer_id: UUID, *,
                        hold: bool = False) -> Customer:
    """The customer a staff member acts on (a merged duplicate's id finds the survivor).
    `hold` for a grant issued to her, so that one issued while she is merged is the
    survivor's; not for a revocation, which holds her grant before her, as a merge moving
    it would wait for it, and writes nothing of hers a merge moves but the grant."""
    header = await customer_to_act_on(uow, viewer, customer_id, hold=hold)
    customer = await uow.customers.get(header.id)
    assert customer is not None
    return customer
