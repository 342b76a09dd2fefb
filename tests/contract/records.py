"""Records as the repositories store them, built directly: a contract test hands a port the
object itself, where tests/builders.py goes through the use cases. Defaults are Mrs. Li of
Hangzhou and her store (DESIGN.md §1)."""

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any
from uuid import UUID

from domain.access.model import ApiClient, ApiKey, hash_secret
from domain.cases.model import Case, CaseKind, CasePriority, RoutingRule
from domain.customers.model import (
    ConsentEvent,
    ConsentPurpose,
    ContactKind,
    ContactPoint,
    Customer,
    CustomerKind,
    ExternalReference,
    HouseholdMember,
    Profile,
    Relationship,
)
from domain.interactions.model import Channel, Direction, GeoPoint, Interaction
from domain.loyalty.model import (
    LedgerEntry,
    LedgerKind,
    Membership,
    PointLot,
    Programme,
    Purchase,
    PurchaseLine,
    Refund,
    RefundLine,
    SalesChannel,
)
from domain.organisation.model import Staff, Store
from domain.partners.codes import new_code
from domain.partners.model import (
    Benefit,
    BenefitKind,
    CostSharing,
    Eligibility,
    EntryKind,
    Grant,
    Offer,
    OfferStatus,
    Partner,
    PartnerPurchase,
    Payer,
    Quota,
    QuotaPeriod,
    Redemption,
    SettlementEntry,
    Trigger,
    TriggerKind,
)
from domain.pipeline.model import (
    Deal,
    DealMove,
    Lead,
    LeadStatus,
    MoveKind,
    Pipeline,
    Source,
    Stage,
    StageKind,
)
from domain.shared.access import Role
from domain.shared.ids import new_id

_serial = count(1)


def serial() -> int:
    return next(_serial)


# Organisation.


def a_store(now: datetime, code: str | None = None) -> Store:
    return Store(new_id(), code or f"hz-{serial():03d}", "West Lake", "Hangzhou", now)


def a_staff_member(now: datetime, email: str | None = None,
                   store_id: UUID | None = None) -> Staff:
    return Staff(new_id(), "Wang Fang", email or f"clerk{serial()}@brand.example", store_id, now)


# Customers.


def an_external_ref(system: str = "pos-card", value: str | None = None) -> ExternalReference:
    return ExternalReference(new_id(), system, value or f"HZ-{serial():06d}")


def a_customer(now: datetime, *refs: ExternalReference, name: str = "Mrs. Li",
               **profile: Any) -> Customer:
    """With an email, a son and a POS card unless `refs` are given."""
    return Customer(
        id=new_id(), created_at=now, updated_at=now,
        profile=Profile(CustomerKind.PERSON, name, interests=("gardening",), **profile),
        contact_points=[ContactPoint(new_id(), ContactKind.EMAIL, "mrs.li@example.com")],
        household=[HouseholdMember(new_id(), "Li Xiaoming", Relationship.CHILD)],
        external_refs=list(refs) or [an_external_ref()],
    )


def a_consent_given(customer: Customer, at: datetime, granted: bool = True) -> ConsentEvent:
    """An answer about her first contact point, logged on her to be written with her."""
    entry = ConsentEvent(customer.contact_points[0].id, ConsentPurpose.MARKETING_EMAIL,
                         granted, "POS", at, "clerk@brand.example")
    customer.consent_log.append(entry)
    return entry


# Interactions and cases.


def an_interaction(customer_id: UUID, at: datetime, **fields: Any) -> Interaction:
    defaults: dict[str, Any] = {
        "channel": Channel.CHECK_IN, "direction": Direction.INBOUND, "kind": "check-in",
        "summary": "Asked about the new silk scarves", "payload": {"counter": 3, "note": "VIP"},
        "geo": GeoPoint(31.2231, 121.4453), "place": "Jing'an Temple",
    }
    return Interaction(new_id(), customer_id, occurred_at=at, recorded_at=at,
                       **{**defaults, **fields})


def a_case(customer_id: UUID, now: datetime, **fields: Any) -> Case:
    defaults: dict[str, Any] = {
        "kind": CaseKind.COMPLAINT, "subject": "Scarf came torn",
        "priority": CasePriority.HIGH, "queue": "complaints",
        "description": "A pulled thread at the hem", "channel": Channel.PHONE,
    }
    return Case(new_id(), customer_id, opened_at=now, due_at=now + timedelta(hours=24),
                updated_at=now, **{**defaults, **fields})


def a_routing_rule(created_at: datetime, **fields: Any) -> RoutingRule:
    return RoutingRule(new_id(), created_at, **{"queue": "complaints", **fields})


# Access.


def an_api_client(now: datetime, name: str | None = None, keys: int = 1,
                  **fields: Any) -> ApiClient:
    client_id = new_id()
    made = [ApiKey(new_id(), client_id, f"rk{serial():06d}", hash_secret(f"secret-{n}"), now)
            for n in range(keys)]
    defaults: dict[str, Any] = {"role": Role.STOREFRONT, "partner_code": None}
    return ApiClient(client_id, name or f"web-shop-{serial()}", created_at=now,
                     keys=tuple(made), **{**defaults, **fields})


# Loyalty: a programme comes from tests/builders.py's `a_programme` (its use case).


def a_membership(programme: Programme, customer_id: UUID, now: datetime,
                 **fields: Any) -> Membership:
    entry = programme.entry_tier.id
    return Membership(customer_id, programme.id, tier_id=entry, tier_since=now,
                      retained_tier_id=entry, enrolled_at=now, **fields)


def an_earn(programme: Programme, customer_id: UUID, at: datetime, points: int,
            **fields: Any) -> LedgerEntry:
    return LedgerEntry(new_id(), customer_id, programme.id, LedgerKind.EARN, points, at, at,
                       "till-7", **fields)


def a_lot(entry: LedgerEntry, remaining: int | None = None,
          expires_at: datetime | None = None) -> PointLot:
    left = entry.points if remaining is None else remaining
    return PointLot(entry.id, entry.customer_id,
                    entry.programme_id, entry.occurred_at, expires_at, entry.points, left)


def a_purchase(programme: Programme, customer_id: UUID, at: datetime,
               **fields: Any) -> Purchase:
    """Two lines: a coat earning 1280 points and two scarves earning 500."""
    lines = (
        PurchaseLine(1, "WW-COAT-01", 1, Decimal("1280.00"), name="Wool coat",
                     category="coats", margin=Decimal("640.00"), points=1280),
        PurchaseLine(2, "SILK-SCARF", 2, Decimal("250.00"), name="Silk scarf",
                     category="scarves", points=500),
    )
    defaults: dict[str, Any] = {
        "channel": SalesChannel.POS, "order_id": f"HZ-{serial():06d}", "currency": "CNY",
        "payment_total": Decimal("1780.00"), "lines": lines, "fingerprint": "f" * 64,
    }
    return Purchase(new_id(), programme.id, customer_id, occurred_at=at, recorded_at=at,
                    **{**defaults, **fields})


def a_refund(purchase: Purchase, at: datetime, *returned: tuple[int, int]) -> Refund:
    """A return of (line no, quantity) pairs, paid back pro rata."""
    lines = []
    for line_no, quantity in returned:
        line = purchase.line(line_no)
        assert line is not None
        share = Decimal(quantity) / line.quantity
        lines.append(RefundLine(line_no, quantity, (line.net * share).quantize(Decimal("0.01")),
                                int(line.points * share)))
    return Refund(new_id(), purchase.id, f"RT-{serial():06d}", at, at, tuple(lines))


def without_pending(membership: Membership) -> Membership:
    """The membership as a repository gives it back: no pending events or tier changes."""
    return replace(membership, events=[], tier_changes=[])


# Partners.


def a_partner(now: datetime, code: str | None = None, **fields: Any) -> Partner:
    """The cinema by Jing'an Temple, settled in CNY, where members earn a point per yuan."""
    defaults: dict[str, Any] = {
        "name": "Wanda Cinema", "industry": "cinema", "currency": "CNY",
        "contact_name": "Zhou Min", "contact_email": "alliance@wanda.example",
        "earn_rate": Decimal("1.0"), "point_value": Decimal("0.05"),
    }
    return Partner(new_id(), code or f"wanda-{serial()}", created_at=now, updated_at=now,
                   **{**defaults, **fields})


def an_offer(partner: Partner, now: datetime, code: str | None = None,
             **fields: Any) -> Offer:
    """A movie ticket for a film lover who buys mascara, the brand paying 35 yuan a ticket."""
    defaults: dict[str, Any] = {
        "title": "A movie ticket", "description": "Any 2D screening, Monday to Thursday",
        "benefit": Benefit(BenefitKind.FREE_ITEM, item="2D ticket"),
        "trigger": Trigger(TriggerKind.PURCHASE, category="mascara",
                           min_spend=Decimal("199.00")),
        "cost": CostSharing(Payer.SHARED, Decimal("35.00"), Decimal("0.6")),
        "eligibility": Eligibility(interests=("loves-films",), tier_codes=("silver", "gold")),
        "quota": Quota(total=1000, per_member=1, per_period=200, period=QuotaPeriod.WEEK),
        "valid_from": now - timedelta(days=1), "valid_until": now + timedelta(days=90),
        "redeem_until": now + timedelta(days=120), "status": OfferStatus.ACTIVE,
    }
    return Offer(new_id(), partner.id, code or f"ticket-{serial()}", created_at=now,
                 updated_at=now, **{**defaults, **fields})


def a_grant(offer: Offer, customer_id: UUID, now: datetime, **fields: Any) -> Grant:
    defaults: dict[str, Any] = {
        "code": new_code(), "source_key": f"purchase:{new_id()}", "issued_at": now,
        "expires_at": offer.grant_expiry(now), "issued_by": "till-7",
    }
    return Grant(new_id(), offer.id, offer.partner_id, customer_id, **{**defaults, **fields})


def a_redemption(grant: Grant, now: datetime, **fields: Any) -> Redemption:
    defaults: dict[str, Any] = {
        "idempotency_key": f"counter-3-{serial()}", "fingerprint": "r" * 64,
        "location": "Jing'an counter 3", "redeemed_at": now, "redeemed_by": "client:cinema",
        "amount": Decimal("45.00"),
    }
    return Redemption(new_id(), grant.id, grant.partner_id, grant.offer_id, grant.customer_id,
                      **{**defaults, **fields})


def a_partner_purchase(partner: Partner, programme: Programme, customer_id: UUID,
                       now: datetime, **fields: Any) -> PartnerPurchase:
    """A latte and a cake at the café: 58 yuan, 58 points."""
    defaults: dict[str, Any] = {
        "order_id": f"CAFE-{serial():06d}", "fingerprint": "p" * 64,
        "amount": Decimal("58.00"), "currency": "CNY", "occurred_at": now, "recorded_at": now,
        "points": 58, "earn_entry_id": None,
    }
    return PartnerPurchase(new_id(), partner.id, customer_id, programme.id,
                           **{**defaults, **fields})


def an_entry(partner: Partner, customer_id: UUID, period: str, at: datetime,
             **fields: Any) -> SettlementEntry:
    defaults: dict[str, Any] = {"kind": EntryKind.REDEMPTION, "amount": Decimal("21.00"),
                                "currency": partner.currency}
    return SettlementEntry(new_id(), partner.id, period, occurred_at=at,
                           customer_id=customer_id, **{**defaults, **fields})


def a_pipeline_record(now: datetime, code: str | None = None, **fields: Any) -> Pipeline:
    """The sales floor: two open stages, won and lost."""
    pipeline_id = new_id()
    stages = tuple(
        Stage(new_id(), pipeline_id, name, position, kind, Decimal(probability), sla)
        for position, (name, kind, probability, sla) in enumerate((
            ("Phone contact", StageKind.OPEN, "0.1", 3), ("Meeting", StageKind.OPEN, "0.3", 7),
            ("Won", StageKind.WON, "1", None), ("Lost", StageKind.LOST, "0", None)), start=1))
    defaults: dict[str, Any] = {"name": "Sales floor", "currency": "CNY", "allow_skips": False}
    return Pipeline(pipeline_id, code or f"floor-{serial()}", stages=stages, created_at=now,
                    updated_at=now, **{**defaults, **fields})


def a_lead_record(customer_id: UUID, now: datetime, **fields: Any) -> Lead:
    defaults: dict[str, Any] = {"status": LeadStatus.NEW,
                                "source": Source(Channel.SOCIAL, "spring-coats")}
    return Lead(new_id(), customer_id, created_at=now, updated_at=now, **{**defaults, **fields})


def a_deal_record(pipeline: Pipeline, customer_id: UUID, now: datetime, **fields: Any) -> Deal:
    """A coat, in the pipeline's first stage since `now`."""
    defaults: dict[str, Any] = {
        "stage_id": pipeline.stages[0].id, "title": "Wool coat", "amount": Decimal("4800.00"),
        "currency": pipeline.currency, "opened_at": now, "stage_entered_at": now,
        "updated_at": now}
    return Deal(new_id(), customer_id, pipeline.id, **{**defaults, **fields})


def a_move_record(deal: Deal, to: Stage, at: datetime, **fields: Any) -> DealMove:
    defaults: dict[str, Any] = {"kind": MoveKind.MOVED, "moved_by": "staff:wang",
                                "from_stage_id": deal.stage_id}
    return DealMove(new_id(), deal.id, deal.customer_id, deal.pipeline_id, to.id,
                    moved_at=at, **{**defaults, **fields})
