"""In-memory fakes of the domain's ports, for tests/unit (STYLE.md rule 5).

A `FakeUnitOfWork` keeps a committed `FakeData`; entering it hands the repositories a deep
copy to work on, and only `commit()` makes that copy the committed state. Leaving without a
commit (a use case that raised) therefore discards every change, as the Postgres unit of work
does. Repositories copy aggregates on the way in and out, so a use case that changes an
aggregate and forgets to `save` it changes nothing.

The fakes mirror the Postgres adapters' semantics: merged duplicates are returned as stored,
external references are unique per (system, value), `interactions.add` moves the customer's
last-interaction time forward, routing rules come oldest first, and events are collected on
commit: those emitted, then those of the customers and of the cases that were added or saved.
Loyalty: memberships are stored without their pending tier changes and events
(`save_membership` appends the changes to the history), open lots come oldest first, a
refund grows its purchase's refunded quantities, and the batch jobs page through members in
customer id order.
Partners: codes unique as the Postgres constraints have them (a clash raises Duplicate and
the transaction goes on, as the adapter's ON CONFLICT DO NOTHING leaves it usable), grants
not revoked counted for quotas, grants' events collected after cases', settlement entries
only in a period that has its row (`open_period` makes it) and oldest first, and
`commit()` runs the reactions to the events before it writes them, as the Postgres unit of
work does.
"""

import copy
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Self, TypeVar
from uuid import UUID

from domain.access.model import ApiClient, ApiKey
from domain.access.ports import ApiClientRepository
from domain.audit.model import AuditEntry, ids_in_events
from domain.cases.model import Case, RoutingRule
from domain.cases.ports import CaseRepository, RoutingRuleRepository
from domain.customers.model import ConsentEvent, ConsentPurpose, Customer, CustomerHeader
from domain.customers.ports import CustomerRepository
from domain.interactions.model import Interaction
from domain.interactions.ports import InteractionRepository
from domain.loyalty.model import (
    LedgerEntry,
    LoyaltyRecord,
    Membership,
    PointLot,
    Programme,
    Purchase,
    QualifyingTotals,
    Refund,
    SalesChannel,
    TierChange,
)
from domain.loyalty.ports import LoyaltyRepository, ProgrammeRepository
from domain.organisation.model import Staff, Store
from domain.organisation.ports import StaffRepository, StoreRepository
from domain.partners.model import (
    Grant,
    GrantState,
    Offer,
    OfferStatus,
    Partner,
    PartnerPurchase,
    Redemption,
    SettlementEntry,
    SettlementPeriod,
    SharedMember,
    TriggerKind,
    next_period,
)
from domain.partners.ports import (
    GrantAtCounter,
    GrantCounts,
    GrantMember,
    GrantToRedeem,
    PartnerOffer,
    PartnerRepository,
    PartnerWithMisses,
)
from domain.pipeline.model import (
    OPEN_LEAD_STATUSES,
    Deal,
    DealLink,
    DealMove,
    Lead,
    LeadStatus,
    Pipeline,
    Stage,
)
from domain.pipeline.ports import PipelineRepository
from domain.reactions import NO_REACTIONS, Reactions, react
from domain.shared.clock import Clock
from domain.shared.errors import Duplicate, UniqueKey
from domain.shared.events import Event
from domain.shared.idempotency import Claim, IdempotencyStore

DEFAULT_NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

T = TypeVar("T")


class FixedClock:
    """A clock that stands still until a test sets or advances it."""

    def __init__(self, now: datetime = DEFAULT_NOW) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now

    def advance(self, delta: timedelta | None = None, **units: float) -> datetime:
        """`advance(timedelta(hours=1))` or `advance(hours=1)`; returns the new instant."""
        self._now += (delta or timedelta()) + timedelta(**units)
        return self._now


@dataclass
class FakeData:
    """Everything the fake database holds: the rows of each table, by id."""

    customers: dict[UUID, Customer] = field(default_factory=dict)
    # customers.last_interaction_at: a column, not part of the aggregate
    last_interaction_at: dict[UUID, datetime] = field(default_factory=dict)
    interactions: dict[UUID, Interaction] = field(default_factory=dict)
    cases: dict[UUID, Case] = field(default_factory=dict)
    routing_rules: dict[UUID, RoutingRule] = field(default_factory=dict)
    stores: dict[UUID, Store] = field(default_factory=dict)
    staff: dict[UUID, Staff] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], Claim] = field(default_factory=dict)
    api_clients: dict[UUID, ApiClient] = field(default_factory=dict)
    outbox: list[Event] = field(default_factory=list)
    # consent_events: (customer id, entry), in the order written
    consent_history: list[tuple[UUID, ConsentEvent]] = field(default_factory=list)
    audit_log: list[AuditEntry] = field(default_factory=list)  # what commits wrote
    programmes: dict[UUID, Programme] = field(default_factory=dict)
    memberships: dict[tuple[UUID, UUID], Membership] = field(default_factory=dict)  # (prog, cust)
    tier_changes: list[TierChange] = field(default_factory=list)  # the history, in order
    ledger: dict[UUID, LedgerEntry] = field(default_factory=dict)  # in the order appended
    lots: dict[UUID, PointLot] = field(default_factory=dict)  # by their entry id
    purchases: dict[UUID, Purchase] = field(default_factory=dict)
    partners: dict[UUID, Partner] = field(default_factory=dict)
    offers: dict[UUID, Offer] = field(default_factory=dict)
    grants: dict[UUID, Grant] = field(default_factory=dict)
    redemptions: dict[UUID, Redemption] = field(default_factory=dict)
    partner_purchases: dict[UUID, PartnerPurchase] = field(default_factory=dict)
    settlement_periods: dict[tuple[UUID, str], SettlementPeriod] = field(default_factory=dict)
    settlement_entries: list[SettlementEntry] = field(default_factory=list)  # as appended
    code_misses: list[tuple[str, datetime]] = field(default_factory=list)  # (caller, at)
    pipelines: dict[UUID, Pipeline] = field(default_factory=dict)  # with their stages
    leads: dict[UUID, Lead] = field(default_factory=dict)
    deals: dict[UUID, Deal] = field(default_factory=dict)
    deal_moves: list[DealMove] = field(default_factory=list)  # as appended
    deal_links: list[DealLink] = field(default_factory=list)  # as linked


Aggregate = Customer | Case | Grant


class _Transaction:
    """The working copy one `async with uow` block sees; closed once the block is left."""

    def __init__(self, data: FakeData, *, open_: bool = True) -> None:
        self._data = data
        self.open = open_
        self.written: list[Aggregate] = []

    @property
    def data(self) -> FakeData:
        assert self.open, "a repository was used outside `async with uow`"
        return self._data

    def wrote(self, aggregate: Aggregate) -> None:
        if all(aggregate is not seen for seen in self.written):
            self.written.append(aggregate)


def _stored(value: T) -> T:
    """A copy for the store, without the aggregate's pending events."""
    stored = copy.deepcopy(value)
    if isinstance(stored, Customer | Case | Membership):
        stored.events = []
    if isinstance(stored, Membership):
        stored.tier_changes = []
    if isinstance(stored, Customer):
        stored.consent_log = []
    return stored


class FakeCustomerRepository:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def header(self, customer_id: UUID) -> CustomerHeader | None:
        stored = self._tx.data.customers.get(customer_id)
        return None if stored is None else copy.deepcopy(stored.header)

    async def hold(self, customer_id: UUID) -> CustomerHeader | None:
        """One transaction at a time: nothing to wait for."""
        return await self.header(customer_id)

    async def get(self, customer_id: UUID, *, for_update: bool = False) -> Customer | None:
        found = self._tx.data.customers.get(customer_id)
        return copy.deepcopy(found)

    async def add(self, customer: Customer) -> None:
        data = self._tx.data
        assert customer.id not in data.customers, "add() of a customer that exists"
        self._check_refs_unique(customer)
        data.customers[customer.id] = _stored(customer)
        self._append_consent_log(customer)
        self._tx.wrote(customer)

    async def save(self, customer: Customer) -> None:
        data = self._tx.data
        assert customer.id in data.customers, "save() of a customer that was never added"
        self._check_refs_unique(customer)
        data.customers[customer.id] = _stored(customer)
        self._append_consent_log(customer)
        self._tx.wrote(customer)

    async def find_by_external_ref(self, system: str, value: str) -> UUID | None:
        for customer in self._tx.data.customers.values():
            if any((r.system, r.value) == (system, value) for r in customer.external_refs):
                return customer.id
        return None

    async def redirect_merged(self, from_id: UUID, to_id: UUID) -> None:
        for customer in self._tx.data.customers.values():
            if customer.merged_into_id == from_id:
                customer.merged_into_id = to_id

    async def move_consent_history(
        self, from_id: UUID, to_id: UUID, folded_points: Mapping[UUID, UUID]
    ) -> None:
        history = self._tx.data.consent_history
        for index, (customer_id, entry) in enumerate(history):
            if customer_id == from_id:
                point = folded_points.get(entry.contact_point_id, entry.contact_point_id)
                history[index] = (to_id, replace(entry, contact_point_id=point))

    async def consent_history(self, customer_id: UUID) -> list[ConsentEvent]:
        entries = [e for c, e in self._tx.data.consent_history if c == customer_id]
        return sorted(entries, key=lambda e: e.recorded_at)  # stable: written order on ties

    async def merged_duplicates(self, customer_id: UUID) -> list[UUID]:
        return sorted(c.id for c in self._tx.data.customers.values()
                      if c.merged_into_id == customer_id)

    async def erase_activity_text(
        self, customer_id: UUID, kept_payload_keys: frozenset[str]
    ) -> None:
        """As the Postgres adapter: free text goes, facts and sale amounts stay."""
        data = self._tx.data
        for interaction_id, interaction in list(data.interactions.items()):
            if interaction.customer_id == customer_id:
                payload = {k: v for k, v in interaction.payload.items() if k in kept_payload_keys}
                data.interactions[interaction_id] = replace(
                    interaction, summary=None, place=None, geo=None, payload=payload
                )
        for case in data.cases.values():
            if case.customer_id == customer_id:
                case.subject, case.description, case.resolution_note = "[erased]", None, None

    def _append_consent_log(self, customer: Customer) -> None:
        self._tx.data.consent_history += [(customer.id, e) for e in customer.consent_log]
        customer.consent_log.clear()

    def _check_refs_unique(self, customer: Customer) -> None:
        """The unique (system, value) constraint of the external_refs table."""
        taken = {
            (r.system, r.value)
            for other in self._tx.data.customers.values()
            if other.id != customer.id
            for r in other.external_refs
        }
        mine = [(r.system, r.value) for r in customer.external_refs]
        if len(set(mine)) != len(mine) or taken.intersection(mine):
            raise Duplicate(UniqueKey.EXTERNAL_REF)


class FakeInteractionRepository:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def get(self, interaction_id: UUID) -> Interaction | None:
        return self._tx.data.interactions.get(interaction_id)

    async def add(self, interaction: Interaction) -> None:
        data = self._tx.data
        assert interaction.customer_id in data.customers, "interaction of an unknown customer"
        assert interaction.id not in data.interactions, "interactions are append-only"
        data.interactions[interaction.id] = interaction
        latest = data.last_interaction_at.get(interaction.customer_id)
        if latest is None or interaction.occurred_at > latest:
            data.last_interaction_at[interaction.customer_id] = interaction.occurred_at

    async def of_customer(self, customer_id: UUID) -> list[Interaction]:
        return sorted((i for i in self._tx.data.interactions.values()
                       if i.customer_id == customer_id), key=lambda i: (i.occurred_at, i.id))

    async def move_to_customer(self, from_id: UUID, to_id: UUID) -> None:
        data = self._tx.data
        for interaction_id, interaction in list(data.interactions.items()):
            if interaction.customer_id == from_id:
                data.interactions[interaction_id] = replace(interaction, customer_id=to_id)
        times = [i.occurred_at for i in data.interactions.values() if i.customer_id == to_id]
        data.last_interaction_at.pop(from_id, None)
        if times:
            data.last_interaction_at[to_id] = max(times)


class FakeCaseRepository:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def get(self, case_id: UUID, *, for_update: bool = False) -> Case | None:
        return copy.deepcopy(self._tx.data.cases.get(case_id))

    async def add(self, case: Case) -> None:
        data = self._tx.data
        assert case.id not in data.cases, "add() of a case that exists"
        assert case.customer_id in data.customers, "case of an unknown customer"
        data.cases[case.id] = _stored(case)
        self._tx.wrote(case)

    async def save(self, case: Case) -> None:
        data = self._tx.data
        assert case.id in data.cases, "save() of a case that was never added"
        data.cases[case.id] = _stored(case)
        self._tx.wrote(case)

    async def move_to_customer(self, from_id: UUID, to_id: UUID) -> None:
        for case in self._tx.data.cases.values():
            if case.customer_id == from_id:
                case.customer_id = to_id

    async def of_customer(self, customer_id: UUID) -> list[Case]:
        return sorted((copy.deepcopy(c) for c in self._tx.data.cases.values()
                       if c.customer_id == customer_id), key=lambda c: (c.opened_at, c.id))


class FakeRoutingRuleRepository:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def all(self) -> list[RoutingRule]:
        """Oldest first, like the Postgres adapter; same-instant rules in insertion order."""
        return sorted(self._tx.data.routing_rules.values(), key=lambda r: r.created_at)

    async def add(self, rule: RoutingRule) -> None:
        self._tx.data.routing_rules[rule.id] = rule

    async def delete(self, rule_id: UUID) -> bool:
        return self._tx.data.routing_rules.pop(rule_id, None) is not None


class FakeStoreRepository:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def get(self, store_id: UUID) -> Store | None:
        return self._tx.data.stores.get(store_id)

    async def get_by_code(self, code: str) -> Store | None:
        return next((s for s in self._tx.data.stores.values() if s.code == code), None)

    async def add(self, store: Store) -> None:
        assert await self.get_by_code(store.code) is None, "stores.code is unique"
        self._tx.data.stores[store.id] = store


class FakeStaffRepository:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def get(self, staff_id: UUID) -> Staff | None:
        return self._tx.data.staff.get(staff_id)

    async def get_by_email(self, email: str) -> Staff | None:
        return next((s for s in self._tx.data.staff.values() if s.email == email), None)

    async def add(self, staff: Staff) -> None:
        assert await self.get_by_email(staff.email) is None, "staff.email is unique"
        self._tx.data.staff[staff.id] = staff


class FakeIdempotencyStore:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def claim(
        self, scope: str, key: str, fingerprint: str, result_id: UUID | None = None
    ) -> Claim | None:
        claims = self._tx.data.idempotency
        if (scope, key) in claims:
            return claims[(scope, key)]
        claims[(scope, key)] = Claim(fingerprint=fingerprint, result_id=result_id)
        return None

    async def complete(self, scope: str, key: str, result_id: UUID) -> None:
        claims = self._tx.data.idempotency
        claims[(scope, key)] = Claim(claims[(scope, key)].fingerprint, result_id)


class FakeApiClientRepository:
    """Like the Postgres adapter: one active client per name, unique key prefixes, keys
    oldest first, and never a key's `last_used_at` written (the key verifier's to write):
    `save` writes the client's revocation and its keys' expiry and revocation, and adds new
    keys."""

    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def get(self, client_id: UUID, *, for_update: bool = False) -> ApiClient | None:
        return self._tx.data.api_clients.get(client_id)

    async def get_active_by_name(self, name: str) -> ApiClient | None:
        clients = self._tx.data.api_clients.values()
        return next((c for c in clients if c.name == name and not c.revoked), None)

    async def all(self) -> list[ApiClient]:
        return sorted(self._tx.data.api_clients.values(), key=lambda c: (c.created_at, c.id))

    async def add(self, client: ApiClient) -> None:
        assert client.id not in self._tx.data.api_clients, "add() of a client that exists"
        if await self.get_active_by_name(client.name) is not None:
            # As the Postgres adapter, which loses a race for the name at its unique index.
            raise Duplicate(UniqueKey.ACTIVE_API_CLIENT_NAME)
        self._check_prefixes_unique(client)
        keys = (replace(k, last_used_at=None) for k in client.keys)
        self._tx.data.api_clients[client.id] = replace(client, keys=_oldest_first(keys))

    async def save(self, client: ApiClient) -> None:
        stored = self._tx.data.api_clients.get(client.id)
        assert stored is not None, "save() of a client that was never added"
        self._check_prefixes_unique(client)
        keys = {k.id: k for k in stored.keys}
        for key in client.keys:
            known = keys.get(key.id)
            keys[key.id] = (replace(key, last_used_at=None) if known is None else
                            replace(known, expires_at=key.expires_at, revoked_at=key.revoked_at))
        self._tx.data.api_clients[client.id] = replace(
            stored, revoked_at=client.revoked_at, keys=_oldest_first(keys.values()))

    def _check_prefixes_unique(self, client: ApiClient) -> None:
        others = {k.prefix for c in self._tx.data.api_clients.values() if c.id != client.id
                  for k in c.keys}
        mine = [k.prefix for k in client.keys]
        assert len(set(mine)) == len(mine), "a prefix twice"
        assert not others.intersection(mine), "api_keys.prefix is unique"


def _oldest_first(keys: Iterable[ApiKey]) -> tuple[ApiKey, ...]:
    return tuple(sorted(keys, key=lambda k: (k.created_at, k.id)))


class FakeProgrammeRepository:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def get(self, programme_id: UUID) -> Programme | None:
        return copy.deepcopy(self._tx.data.programmes.get(programme_id))

    async def get_by_code(self, code: str) -> Programme | None:
        found = (p for p in self._tx.data.programmes.values() if p.code == code)
        return copy.deepcopy(next(found, None))

    async def default(self) -> Programme | None:
        """The oldest, like the Postgres adapter."""
        programmes = sorted(self._tx.data.programmes.values(),
                            key=lambda p: (p.created_at or DEFAULT_NOW, p.id))
        return copy.deepcopy(programmes[0]) if programmes else None

    async def save(self, programme: Programme) -> None:
        data = self._tx.data
        if any(p.code == programme.code and p.id != programme.id
               for p in data.programmes.values()):
            # As the Postgres adapter, which loses a race for the code at its unique key.
            raise Duplicate(UniqueKey.PROGRAMME_CODE)
        for tier in programme.tiers:
            pointed = [perk.offer_id for perk in tier.perks if perk.offer_id is not None]
            assert all(offer_id in data.offers for offer_id in pointed), "a perk's offer exists"
            assert len(set(pointed)) == len(pointed), "an offer is one perk of a tier"
        stored = data.programmes.get(programme.id)
        if stored is not None:
            dropped = {t.id for t in stored.tiers} - {t.id for t in programme.tiers}
            assert not dropped & await self.tiers_in_use(programme.id), "a held tier deleted"
            kept = {r.id for r in programme.rewards}
            assert all(r.id in kept for r in stored.rewards), "rewards are never deleted"
        data.programmes[programme.id] = copy.deepcopy(programme)

    async def tiers_in_use(self, programme_id: UUID) -> set[UUID]:
        used: set[UUID] = set()
        for membership in self._tx.data.memberships.values():
            if membership.programme_id == programme_id:
                used |= {membership.tier_id, membership.retained_tier_id}
                if membership.override is not None:
                    used.add(membership.override.tier_id)
        for change in self._tx.data.tier_changes:
            if change.programme_id == programme_id:
                used.add(change.to_tier_id)
                if change.from_tier_id is not None:
                    used.add(change.from_tier_id)
        return used


class FakeLoyaltyRepository:
    """Locks are no-ops: the fakes run one use case at a time."""

    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def lock_membership(self, programme_id: UUID, customer_id: UUID) -> Membership | None:
        return copy.deepcopy(self._tx.data.memberships.get((programme_id, customer_id)))

    async def enrol(self, membership: Membership) -> Membership:
        memberships = self._tx.data.memberships
        key = (membership.programme_id, membership.customer_id)
        if key in memberships:
            return copy.deepcopy(memberships[key])
        memberships[key] = _stored(membership)
        return membership

    async def save_membership(self, membership: Membership) -> None:
        data = self._tx.data
        key = (membership.programme_id, membership.customer_id)
        assert key in data.memberships, "save_membership() of a member never enrolled"
        data.memberships[key] = _stored(membership)
        data.tier_changes += membership.tier_changes

    async def append_entries(self, entries: Sequence[LedgerEntry]) -> None:
        ledger = self._tx.data.ledger
        for entry in entries:
            assert entry.id not in ledger, "the ledger is append-only"
            ledger[entry.id] = entry

    async def get_entry(self, entry_id: UUID) -> LedgerEntry | None:
        return self._tx.data.ledger.get(entry_id)

    async def open_lots(self, programme_id: UUID, customer_id: UUID) -> list[PointLot]:
        lots = [lot for lot in self._tx.data.lots.values()
                if (lot.programme_id, lot.customer_id) == (programme_id, customer_id)
                and lot.remaining > 0]
        return copy.deepcopy(sorted(lots, key=lambda lot: (lot.earned_at, lot.entry_id)))

    async def save_lots(self, lots: Sequence[PointLot]) -> None:
        stored = self._tx.data.lots
        for lot in lots:
            assert lot.entry_id in self._tx.data.ledger, "a lot is of a ledger entry"
            assert 0 <= lot.remaining <= lot.points, "a lot holds 0 to its points"
            if lot.entry_id in stored:
                stored[lot.entry_id].remaining = lot.remaining
            else:
                stored[lot.entry_id] = copy.deepcopy(lot)

    async def get_purchase(self, purchase_id: UUID) -> Purchase | None:
        return self._tx.data.purchases.get(purchase_id)

    async def find_purchase(self, channel: SalesChannel, order_id: str) -> Purchase | None:
        found = (p for p in self._tx.data.purchases.values()
                 if (p.channel, p.order_id) == (channel, order_id))
        return next(found, None)

    async def add_purchase(self, purchase: Purchase) -> None:
        purchases = self._tx.data.purchases
        assert purchase.id not in purchases, "add_purchase() of a purchase that exists"
        assert await self.find_purchase(purchase.channel, purchase.order_id) is None, (
            "purchases (channel, order_id) is unique")
        purchases[purchase.id] = purchase

    async def move_purchases(self, from_customer_id: UUID, to_customer_id: UUID) -> None:
        purchases = self._tx.data.purchases
        for purchase_id, purchase in purchases.items():
            if purchase.customer_id == from_customer_id:
                purchases[purchase_id] = replace(purchase, customer_id=to_customer_id)

    async def record_of(self, customer_id: UUID) -> LoyaltyRecord:
        data = self._tx.data
        return copy.deepcopy(LoyaltyRecord(
            memberships=tuple(sorted(
                (m for m in data.memberships.values() if m.customer_id == customer_id),
                key=lambda m: (m.enrolled_at, m.programme_id))),
            tier_changes=tuple(c for c in data.tier_changes if c.customer_id == customer_id),
            purchases=tuple(sorted(
                (p for p in data.purchases.values() if p.customer_id == customer_id),
                key=lambda p: (p.occurred_at, p.id))),
            ledger=tuple(sorted(
                (e for e in data.ledger.values() if e.customer_id == customer_id),
                key=lambda e: (e.recorded_at, e.id))),
        ))

    async def programmes_of(self, customer_id: UUID) -> list[UUID]:
        return sorted(programme_id for programme_id, member_id in self._tx.data.memberships
                      if member_id == customer_id)

    async def add_refund(self, refund: Refund) -> None:
        purchases = self._tx.data.purchases
        purchase = purchases[refund.purchase_id]
        assert all(r.refund_ref != refund.refund_ref for r in purchase.refunds), (
            "purchase_refunds (purchase_id, refund_ref) is unique")
        grown = purchase.with_refund(refund)
        assert all(0 <= line.refunded_quantity <= line.quantity for line in grown.lines), (
            "refunded_at_most_bought")
        purchases[refund.purchase_id] = grown

    async def qualifying_totals(
        self, programme_id: UUID, customer_id: UUID, since: datetime, until: datetime | None
    ) -> QualifyingTotals:
        counted = [p for p in self._tx.data.purchases.values()
                   if (p.programme_id, p.customer_id) == (programme_id, customer_id)
                   and since <= p.occurred_at and (until is None or p.occurred_at < until)]
        spend = sum((p.net_amount - p.refunded_amount for p in counted), Decimal(0))
        points = sum(p.points - sum(r.points for r in p.refunds) for p in counted)
        return QualifyingTotals(spend, points)

    async def members_to_review(
        self, programme_id: UUID, period_end: datetime, now: datetime,
        after: UUID | None, limit: int,
    ) -> list[UUID]:
        def due(m: Membership) -> bool:
            unreviewed = m.enrolled_at < period_end and (
                m.reviewed_through is None or m.reviewed_through < period_end)
            grace_over = m.downgrade_due_at is not None and m.downgrade_due_at <= now
            override_over = (m.override is not None and m.override.expires_at is not None
                             and m.override.expires_at <= now)
            return unreviewed or grace_over or override_over

        members = self._tx.data.memberships.values()
        return _page(
            (m.customer_id for m in members if m.programme_id == programme_id and due(m)),
            after, limit)

    async def members_with_expired_lots(
        self, programme_id: UUID, now: datetime, after: UUID | None, limit: int
    ) -> list[UUID]:
        lots = self._tx.data.lots.values()
        return _page((lot.customer_id for lot in lots
                      if lot.programme_id == programme_id and lot.remaining > 0
                      and lot.expires_at is not None and lot.expires_at <= now), after, limit)


def _page(customer_ids: Iterable[UUID], after: UUID | None, limit: int) -> list[UUID]:
    """A batch job's page: distinct ids in order, after the last of the page before."""
    return sorted(c for c in set(customer_ids) if after is None or c > after)[:limit]


def _loaded(grant: Grant) -> Grant:
    """As stored and read from the table: without its pending events (frozen, so the rest
    is shared safely)."""
    return replace(grant, events=[])


class FakePartnerRepository:
    """Locks are no-ops: the fakes run one use case at a time. Foreign keys and NOT NULL
    columns the adapter's tables have are asserted."""

    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    # --- partners ---

    async def get(self, partner_id: UUID, *, for_update: bool = False) -> Partner | None:
        return self._tx.data.partners.get(partner_id)

    async def get_by_code(self, code: str) -> Partner | None:
        return next((p for p in self._tx.data.partners.values() if p.code == code), None)

    async def add(self, partner: Partner) -> None:
        stored = self._tx.data.partners
        assert None not in (partner.created_at, partner.updated_at), "NOT NULL times"
        if await self.get_by_code(partner.code) is not None:
            raise Duplicate(UniqueKey.PARTNER_CODE)
        assert partner.id not in stored, "add() of a partner that exists"
        stored[partner.id] = partner

    async def save(self, partner: Partner) -> None:
        assert partner.id in self._tx.data.partners, "save() of a partner never added"
        self._tx.data.partners[partner.id] = partner

    # --- offers ---

    async def get_offer(self, offer_id: UUID, *, for_update: bool = False) -> Offer | None:
        return self._tx.data.offers.get(offer_id)

    async def add_offer(self, offer: Offer) -> None:
        data = self._tx.data
        assert offer.partner_id in data.partners, "offer of an unknown partner"
        assert None not in (offer.created_at, offer.updated_at), "NOT NULL times"
        if any((o.partner_id, o.code) == (offer.partner_id, offer.code)
               for o in data.offers.values()):
            raise Duplicate(UniqueKey.OFFER_CODE)
        assert offer.id not in data.offers, "add() of an offer that exists"
        data.offers[offer.id] = offer

    async def save_offer(self, offer: Offer) -> None:
        offers = self._tx.data.offers
        assert offer.id in offers, "save_offer() of an offer never added"
        if any((o.partner_id, o.code) == (offer.partner_id, offer.code) and o.id != offer.id
               for o in offers.values()):
            raise Duplicate(UniqueKey.OFFER_CODE)
        offers[offer.id] = offer

    async def offers_by_codes(self, codes: Collection[tuple[str, str]]) -> list[PartnerOffer]:
        data = self._tx.data
        return [PartnerOffer(data.partners[o.partner_id], o) for o in data.offers.values()
                if (data.partners[o.partner_id].code, o.code) in codes]

    async def issuing_offers(self, kinds: frozenset[TriggerKind], at: datetime) -> list[Offer]:
        data = self._tx.data
        issuing = [o for o in data.offers.values()
                   if o.trigger.kind in kinds and o.status is OfferStatus.ACTIVE
                   and data.partners[o.partner_id].active
                   and (o.valid_from is None or o.valid_from <= at)
                   and (o.valid_until is None or at < o.valid_until)]
        return sorted(issuing, key=lambda o: (o.created_at or DEFAULT_NOW, o.id))

    # --- grants ---

    async def grant_counts(self, offer_id: UUID, customer_id: UUID, period_start: datetime,
                           period_end: datetime) -> GrantCounts:
        counted = [g for g in self._tx.data.grants.values()
                   if g.offer_id == offer_id and g.state is not GrantState.REVOKED]
        return GrantCounts(total=len(counted),
                           member=sum(g.customer_id == customer_id for g in counted),
                           period=sum(period_start <= self._earned_at(g) < period_end
                                      for g in counted))

    def _earned_at(self, grant: Grant) -> datetime:
        """When the fact that issued it happened: its purchase's time, never after its
        issue; else its issue."""
        purchases = self._tx.data.purchases
        if grant.purchase_id is None:
            return grant.issued_at
        return min(purchases[grant.purchase_id].occurred_at, grant.issued_at)

    async def add_grant(self, grant: Grant) -> None:
        data = self._tx.data
        assert grant.offer_id in data.offers, "grant of an unknown offer"
        assert grant.partner_id in data.partners, "grant of an unknown partner"
        assert grant.customer_id in data.customers, "grant of an unknown customer"
        assert grant.purchase_id is None or grant.purchase_id in data.purchases, (
            "grant of an unknown purchase")
        # In the adapter's order: the code first, then the source.
        if any(g.code == grant.code for g in data.grants.values()):
            raise Duplicate(UniqueKey.GRANT_CODE)
        if any(self._same_source(g, grant.customer_id, grant) for g in data.grants.values()):
            raise Duplicate(UniqueKey.GRANT_SOURCE)
        assert grant.id not in data.grants, "add() of a grant that exists"
        data.grants[grant.id] = _loaded(grant)
        self._tx.wrote(grant)

    async def get_grant(self, grant_id: UUID, *, for_update: bool = False) -> Grant | None:
        found = self._tx.data.grants.get(grant_id)
        return None if found is None else _loaded(found)

    async def _grant_by_code(self, code: str) -> Grant | None:
        found = (g for g in self._tx.data.grants.values() if g.code == code)
        grant = next(found, None)
        return None if grant is None else _loaded(grant)

    async def grant_at_counter(self, code: str, now: datetime) -> GrantAtCounter | None:
        grant = await self._grant_by_code(code)
        if grant is None:
            return None
        data = self._tx.data
        customer = data.customers[grant.customer_id]
        offer = data.offers[grant.offer_id]
        shares = not customer.is_erased and any(
            point.consent_for(ConsentPurpose.PARTNER_SHARING)
            for point in customer.contact_points)
        member = (SharedMember(first_name=customer.profile.given_name,
                               tier_name=self._tier_name(offer, grant.customer_id, now))
                  if shares else None)
        return GrantAtCounter(grant=grant, offer=offer,
                              partner=data.partners[grant.partner_id], member=member)

    async def hold_grant_member(self, code: str, partner_id: UUID) -> GrantMember | None:
        """One transaction at a time: nothing to wait for."""
        grant = await self._grant_by_code(code)
        if grant is None or grant.partner_id != partner_id:
            return None
        customer = self._tx.data.customers[grant.customer_id]
        return GrantMember(customer.id, customer.merged_into_id)

    async def grant_to_redeem(self, code: str) -> GrantToRedeem | None:
        grant = await self._grant_by_code(code)
        if grant is None:
            return None
        return GrantToRedeem(grant=grant, offer=self._tx.data.offers[grant.offer_id])

    async def save_grant(self, grant: Grant) -> None:
        grants = self._tx.data.grants
        assert grant.id in grants, "save_grant() of a grant never added"
        grants[grant.id] = _loaded(grant)
        self._tx.wrote(grant)

    async def grants_of_purchase(self, purchase_id: UUID, *,
                                 for_update: bool = False) -> list[Grant]:
        found = [_loaded(g) for g in self._tx.data.grants.values()
                 if g.purchase_id == purchase_id]
        return sorted(found, key=lambda g: (g.issued_at, g.id))

    async def grants_of_customer(self, customer_id: UUID) -> list[Grant]:
        found = [_loaded(g) for g in self._tx.data.grants.values()
                 if g.customer_id == customer_id]
        return sorted(found, key=lambda g: (g.issued_at, g.id))

    async def expire_grants(self, now: datetime, limit: int) -> list[Grant]:
        grants = self._tx.data.grants
        due = sorted((g for g in grants.values()
                      if g.state is GrantState.ISSUED and g.expires_at <= now),
                     key=lambda g: (g.expires_at, g.id))[:limit]
        for grant in due:
            grants[grant.id] = grant.expired()
        return [_loaded(grants[grant.id]) for grant in due]

    async def move_to_customer(self, from_customer_id: UUID, to_customer_id: UUID) -> None:
        """As the adapter: a live grant of an offer the survivor has a live grant of from
        the same source keeps its source apart."""
        grants = self._tx.data.grants
        theirs = [g for g in grants.values() if g.customer_id == from_customer_id]
        for grant in theirs:
            source = grant.source_key
            if any(self._same_source(g, to_customer_id, grant) for g in grants.values()):
                source = f"{source} merged from {from_customer_id}"
            grants[grant.id] = replace(grant, customer_id=to_customer_id, source_key=source)
        data = self._tx.data
        for key, redemption in list(data.redemptions.items()):
            if redemption.customer_id == from_customer_id:
                data.redemptions[key] = replace(redemption, customer_id=to_customer_id)
        for key, bought in list(data.partner_purchases.items()):
            if bought.customer_id == from_customer_id:
                data.partner_purchases[key] = replace(bought, customer_id=to_customer_id)

    # --- redemptions ---

    async def redemption_by_key(self, partner_id: UUID,
                                idempotency_key: str) -> Redemption | None:
        found = (r for r in self._tx.data.redemptions.values()
                 if (r.partner_id, r.idempotency_key) == (partner_id, idempotency_key))
        return next(found, None)

    async def get_redemption(self, redemption_id: UUID, *,
                             for_update: bool = False) -> Redemption | None:
        return self._tx.data.redemptions.get(redemption_id)

    async def add_redemption(self, redemption: Redemption) -> None:
        data = self._tx.data
        assert redemption.grant_id in data.grants, "redemption of an unknown grant"
        assert redemption.customer_id in data.customers, "redemption of an unknown customer"
        if await self.redemption_by_key(redemption.partner_id,
                                        redemption.idempotency_key) is not None:
            raise Duplicate(UniqueKey.REDEMPTION_KEY)
        assert redemption.id not in data.redemptions, "add() of a redemption that exists"
        data.redemptions[redemption.id] = redemption

    async def save_redemption(self, redemption: Redemption) -> None:
        redemptions = self._tx.data.redemptions
        assert redemption.id in redemptions, "save_redemption() of one never added"
        redemptions[redemption.id] = redemption

    # --- partner purchases ---

    async def partner_purchase(self, partner_id: UUID, order_id: str, *,
                               for_update: bool = False) -> PartnerPurchase | None:
        found = (p for p in self._tx.data.partner_purchases.values()
                 if (p.partner_id, p.order_id) == (partner_id, order_id))
        return next(found, None)

    async def add_partner_purchase(self, purchase: PartnerPurchase) -> None:
        data = self._tx.data
        assert purchase.partner_id in data.partners, "purchase at an unknown partner"
        assert purchase.customer_id in data.customers, "purchase of an unknown customer"
        assert purchase.programme_id in data.programmes, "purchase in an unknown programme"
        if await self.partner_purchase(purchase.partner_id, purchase.order_id) is not None:
            raise Duplicate(UniqueKey.PARTNER_ORDER)
        assert purchase.id not in data.partner_purchases, "add() of a purchase that exists"
        data.partner_purchases[purchase.id] = purchase

    async def save_partner_purchase(self, purchase: PartnerPurchase) -> None:
        stored = self._tx.data.partner_purchases
        assert purchase.id in stored, "save_partner_purchase() of one never added"
        stored[purchase.id] = purchase

    # --- settlement ---

    async def open_period(self, partner_id: UUID, earliest: str) -> str:
        periods = self._tx.data.settlement_periods
        assert partner_id in self._tx.data.partners, "period of an unknown partner"
        period = earliest
        while True:
            held = periods.setdefault((partner_id, period), SettlementPeriod(partner_id, period))
            if not held.closed:
                return period
            period = next_period(period)

    async def add_entries(self, entries: Sequence[SettlementEntry]) -> None:
        data = self._tx.data
        known = {e.id for e in data.settlement_entries}
        for entry in entries:
            assert (entry.partner_id, entry.period) in data.settlement_periods, (
                "an entry's period has its row: open_period() first")
            assert entry.id not in known, "settlement entries are append-only"
            known.add(entry.id)
            data.settlement_entries.append(entry)

    async def close_period(self, partner_id: UUID, period: str, at: datetime,
                           by: str) -> bool:
        periods = self._tx.data.settlement_periods
        assert partner_id in self._tx.data.partners, "period of an unknown partner"
        held = periods.setdefault((partner_id, period), SettlementPeriod(partner_id, period))
        if held.closed:
            return False
        periods[(partner_id, period)] = replace(held, closed_at=at, closed_by=by)
        return True

    async def partners_with_open_periods(self, up_to: str) -> list[UUID]:
        periods = self._tx.data.settlement_periods

        def has_work(partner_id: UUID) -> bool:
            last = periods.get((partner_id, up_to))
            return last is None or not last.closed or any(
                p.partner_id == partner_id and p.period <= up_to and not p.closed
                for p in periods.values())

        return sorted(p for p in self._tx.data.partners if has_work(p))

    async def entries(self, partner_id: UUID, period: str) -> list[SettlementEntry]:
        found = [e for e in self._tx.data.settlement_entries
                 if (e.partner_id, e.period) == (partner_id, period)]
        return sorted(found, key=lambda e: (e.occurred_at, e.id))

    # --- failed code lookups ---

    async def record_miss(self, caller: str, at: datetime) -> None:
        self._tx.data.code_misses.append((caller, at))

    async def prune_misses(self, before: datetime, limit: int) -> int:
        """As the adapter: the first `limit` recorded before `before`, in the order
        recorded."""
        misses = self._tx.data.code_misses
        old = [i for i, (_, at) in enumerate(misses) if at < before][:limit]
        for i in reversed(old):
            del misses[i]
        return len(old)

    async def misses_since(self, caller: str, instants: Sequence[datetime]) -> list[int]:
        return [sum(c == caller and at >= since for c, at in self._tx.data.code_misses)
                for since in instants]

    async def partner_with_misses(self, code: str, caller: str,
                                  instants: Sequence[datetime]) -> PartnerWithMisses | None:
        partner = await self.get_by_code(code)
        if partner is None:
            return None
        return PartnerWithMisses(partner, await self.misses_since(caller, instants))

    @staticmethod
    def _same_source(grant: Grant, customer_id: UUID, other: Grant) -> bool:
        """Whether `grant` holds the source `other` would have as `customer_id`'s: as the
        adapter's unique index, among the grants not revoked."""
        return GrantState.REVOKED not in (grant.state, other.state) and (
            grant.offer_id, grant.customer_id, grant.source_key) == (
            other.offer_id, customer_id, other.source_key)

    def _tier_name(self, offer: Offer, customer_id: UUID, now: datetime) -> str | None:
        """Her effective tier in the offer's programme, or else in the default (oldest)."""
        programmes = self._tx.data.programmes.values()
        code = offer.eligibility.programme_code
        if code is not None:
            programme = next((p for p in programmes if p.code == code), None)
        else:
            oldest = sorted(programmes, key=lambda p: (p.created_at or DEFAULT_NOW, p.id))
            programme = oldest[0] if oldest else None
        if programme is None:
            return None
        membership = self._tx.data.memberships.get((programme.id, customer_id))
        if membership is None:
            return None
        tier_id = membership.effective_tier_id(now)
        return next((t.name for t in programme.tiers if t.id == tier_id), None)


class FakePipelineRepository:
    """Locks are no-ops; the foreign keys and unique keys of the adapter's tables are
    asserted or raised as it raises them: a pipeline's code, a customer's one open lead, a
    deal's stage of its own pipeline. Moves are only ever appended; a merge moves a
    customer's leads, deals, moves and links, closing the duplicate's open lead first when
    the survivor has one."""

    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    # --- pipelines and stages ---

    async def get(self, pipeline_id: UUID, *, for_update: bool = False,
                  for_share: bool = False) -> Pipeline | None:
        return self._tx.data.pipelines.get(pipeline_id)

    async def get_by_code(self, code: str) -> Pipeline | None:
        return next((p for p in self._tx.data.pipelines.values() if p.code == code), None)

    async def add(self, pipeline: Pipeline) -> None:
        stored = self._tx.data.pipelines
        if await self.get_by_code(pipeline.code) is not None:
            raise Duplicate(UniqueKey.PIPELINE_CODE)
        assert pipeline.id not in stored, "add() of a pipeline that exists"
        assert all(s.pipeline_id == pipeline.id for s in pipeline.stages), "stages of another"
        stored[pipeline.id] = pipeline

    async def save(self, pipeline: Pipeline) -> None:
        stored = self._tx.data.pipelines
        assert pipeline.id in stored, "save() of a pipeline never added"
        kept = {stage.id for stage in pipeline.stages}
        assert {s.id for s in stored[pipeline.id].stages} <= kept, "a stage is never removed"
        stored[pipeline.id] = replace(pipeline, stages=tuple(
            sorted(pipeline.stages, key=lambda s: (s.position, s.id))))

    async def stage(self, stage_id: UUID) -> Stage | None:
        return next((stage for pipeline in self._tx.data.pipelines.values()
                     for stage in pipeline.stages if stage.id == stage_id), None)

    async def deals_in_stage(self, stage_id: UUID) -> int:
        return sum(1 for deal in self._tx.data.deals.values() if deal.stage_id == stage_id)

    # --- leads ---

    async def get_lead(self, lead_id: UUID, *, for_update: bool = False) -> Lead | None:
        return self._tx.data.leads.get(lead_id)

    async def open_lead_of(self, customer_id: UUID) -> Lead | None:
        return next((lead for lead in self._tx.data.leads.values()
                     if lead.customer_id == customer_id and lead.open), None)

    async def add_lead(self, lead: Lead) -> None:
        data = self._tx.data
        assert lead.customer_id in data.customers, "lead of an unknown customer"
        assert lead.id not in data.leads, "add() of a lead that exists"
        if lead.open and await self.open_lead_of(lead.customer_id) is not None:
            raise Duplicate(UniqueKey.OPEN_LEAD)
        data.leads[lead.id] = lead

    async def save_lead(self, lead: Lead) -> None:
        data = self._tx.data
        assert lead.id in data.leads, "save_lead() of a lead never added"
        assert lead.deal_id is None or lead.deal_id in data.deals, "lead of an unknown deal"
        data.leads[lead.id] = lead

    # --- deals ---

    async def get_deal(self, deal_id: UUID, *, for_update: bool = False) -> Deal | None:
        return self._tx.data.deals.get(deal_id)

    async def add_deal(self, deal: Deal) -> None:
        data = self._tx.data
        assert deal.id not in data.deals, "add() of a deal that exists"
        assert deal.customer_id in data.customers, "deal of an unknown customer"
        self._check_deal(deal)
        data.deals[deal.id] = deal

    async def save_deal(self, deal: Deal) -> None:
        assert deal.id in self._tx.data.deals, "save_deal() of a deal never added"
        self._check_deal(deal)
        self._tx.data.deals[deal.id] = deal

    async def add_move(self, move: DealMove) -> None:
        data = self._tx.data
        assert move.deal_id in data.deals, "move of an unknown deal"
        assert all(m.id != move.id for m in data.deal_moves), "moves are append-only"
        data.deal_moves.append(move)

    async def moves_of(self, deal_id: UUID) -> list[DealMove]:
        return sorted((m for m in self._tx.data.deal_moves if m.deal_id == deal_id),
                      key=lambda m: (m.moved_at, m.id))

    async def add_link(self, link: DealLink) -> bool:
        links = self._tx.data.deal_links
        if any((k.deal_id, k.interaction_id, k.case_id)
               == (link.deal_id, link.interaction_id, link.case_id) for k in links):
            return False
        links.append(link)
        return True

    async def links_of(self, deal_id: UUID) -> list[DealLink]:
        return sorted((k for k in self._tx.data.deal_links if k.deal_id == deal_id),
                      key=lambda k: k.linked_at)

    # --- the customer record ---

    async def deals_of_customer(self, customer_id: UUID) -> list[Deal]:
        return sorted((d for d in self._tx.data.deals.values() if d.customer_id == customer_id),
                      key=lambda d: (d.opened_at, d.id))

    async def leads_of_customer(self, customer_id: UUID) -> list[Lead]:
        return sorted((lead for lead in self._tx.data.leads.values()
                       if lead.customer_id == customer_id),
                      key=lambda lead: (lead.created_at, lead.id))

    async def move_to_customer(self, from_id: UUID, to_id: UUID, reason: str) -> None:
        data = self._tx.data
        if await self.open_lead_of(to_id) is not None:
            for lead in list(data.leads.values()):
                if lead.customer_id == from_id and lead.status in OPEN_LEAD_STATUSES:
                    data.leads[lead.id] = replace(lead, status=LeadStatus.UNQUALIFIED,
                                                  unqualified_reason=reason)
        data.leads = {i: replace(lead, customer_id=to_id) if lead.customer_id == from_id
                      else lead for i, lead in data.leads.items()}
        data.deals = {i: replace(deal, customer_id=to_id) if deal.customer_id == from_id
                      else deal for i, deal in data.deals.items()}
        data.deal_moves = [replace(m, customer_id=to_id) if m.customer_id == from_id else m
                           for m in data.deal_moves]
        data.deal_links = [replace(k, customer_id=to_id) if k.customer_id == from_id else k
                           for k in data.deal_links]

    def _check_deal(self, deal: Deal) -> None:
        pipeline = self._tx.data.pipelines.get(deal.pipeline_id)
        assert pipeline is not None, "deal of an unknown pipeline"
        assert pipeline.stage(deal.stage_id) is not None, "deal in another pipeline's stage"
        assert deal.amount >= 0, "ck_deals_amount"


class FakeUnitOfWork:
    """`committed` tells whether the last `async with` block committed; `data` is the
    committed state, which only `commit()` changes. `fixed_clock` is `clock`, settable."""

    # Typed as the ports: the Protocol's attributes are settable, hence invariant.
    clock: Clock
    customers: CustomerRepository
    interactions: InteractionRepository
    cases: CaseRepository
    routing_rules: RoutingRuleRepository
    stores: StoreRepository
    staff: StaffRepository
    idempotency: IdempotencyStore
    api_clients: ApiClientRepository
    programmes: ProgrammeRepository
    loyalty: LoyaltyRepository
    partners: PartnerRepository
    pipeline: PipelineRepository

    def __init__(self, clock: FixedClock | None = None,
                 reactions: Reactions = NO_REACTIONS) -> None:
        self.fixed_clock = clock or FixedClock()
        self._reactions = reactions
        self.clock = self.fixed_clock
        self.data = FakeData()
        self.committed = False
        self._emitted: list[Event] = []
        self._staged_audit: AuditEntry | None = None
        self._written_audit: AuditEntry | None = None
        self._bind(_Transaction(FakeData(), open_=False))

    @property
    def events(self) -> list[Event]:
        """The committed outbox, oldest first."""
        return list(self.data.outbox)

    @property
    def event_names(self) -> list[str]:
        return [event.name for event in self.data.outbox]

    def snapshot(self) -> FakeData:
        """A copy of the committed state, to compare with after a refused use case."""
        return copy.deepcopy(self.data)

    async def __aenter__(self) -> Self:
        assert not self._tx.open, "the unit of work was entered twice"
        self.committed = False
        self._emitted = []
        self._bind(_Transaction(copy.deepcopy(self.data)))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._tx.open = False
        self._emitted = []

    async def commit(self) -> None:
        tx = self._tx
        working = tx.data
        already = len(working.outbox)
        # As the Postgres unit of work: the reactions first, in this transaction.
        working.outbox += await react(self, self._reactions, self._collect_events(),
                                      self._collect_events)
        if self._staged_audit is not None:
            written = self._staged_audit.targeting(ids_in_events(working.outbox[already:]))
            working.audit_log.append(written)
            self._staged_audit, self._written_audit = None, written
        self._emitted, tx.written = [], []
        self.data = working
        self._bind(_Transaction(copy.deepcopy(working)))
        self.committed = True

    def _collect_events(self) -> list[Event]:
        """As the Postgres unit of work: emitted events, then customers', cases', grants'."""
        events, self._emitted = self._emitted, []
        order = (Customer, Case, Grant)
        for aggregate in sorted(self._tx.written,
                                key=lambda written: order.index(type(written))):
            events += aggregate.events
            aggregate.events.clear()
        return events

    def emit(self, event: Event) -> None:
        assert self._tx.open, "emit() outside `async with uow`"
        self._emitted.append(event)

    def stage_audit(self, entry: AuditEntry) -> None:
        self._staged_audit, self._written_audit = entry, None

    def written_audit(self) -> AuditEntry | None:
        return self._written_audit

    def _bind(self, tx: _Transaction) -> None:
        self._tx = tx
        self.customers = FakeCustomerRepository(tx)
        self.interactions = FakeInteractionRepository(tx)
        self.cases = FakeCaseRepository(tx)
        self.routing_rules = FakeRoutingRuleRepository(tx)
        self.stores = FakeStoreRepository(tx)
        self.staff = FakeStaffRepository(tx)
        self.idempotency = FakeIdempotencyStore(tx)
        self.api_clients = FakeApiClientRepository(tx)
        self.programmes = FakeProgrammeRepository(tx)
        self.loyalty = FakeLoyaltyRepository(tx)
        self.partners = FakePartnerRepository(tx)
        self.pipeline = FakePipelineRepository(tx)

    # Read helpers for assertions: the committed state only.

    def stored_customer(self, customer_id: UUID) -> Customer:
        return copy.deepcopy(self.data.customers[customer_id])

    def stored_case(self, case_id: UUID) -> Case:
        return copy.deepcopy(self.data.cases[case_id])

    def interactions_of(self, customer_id: UUID) -> list[Interaction]:
        return [i for i in self.data.interactions.values() if i.customer_id == customer_id]

    def cases_of(self, customer_id: UUID) -> list[Case]:
        return [c for c in self.data.cases.values() if c.customer_id == customer_id]


class FakeAuditLog:
    """The entries appended apart from a unit of work (refusals, failures, reads), in order."""

    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    async def append(self, entries: Sequence[AuditEntry]) -> None:
        self.entries += entries
