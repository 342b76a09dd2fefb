"""Who is asking, and what they may do and see.

Every entry point (GraphQL, the CLI, later jobs) acts as a `Viewer`. A use case or query
names the `Operation` it performs and calls `viewer.require(operation)`; `POLICY` says which
roles may perform it. Beyond the role, a viewer reaches only some customers
(`CustomerReach`): a clerk those of her stores, a web shop the member it acts for.
Fields can require a `Scope` (personal data, a partnership's terms); a viewer without it
gets them masked.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from domain.shared.errors import DomainError, ErrorCode


class Role(StrEnum):
    ADMIN = "ADMIN"  # the platform and CRM team: everything
    STAFF = "STAFF"  # a clerk or manager: customers of her stores, cases she owns or queues
    STOREFRONT = "STOREFRONT"  # web, app and POS back ends: one member's own record
    PARTNER = "PARTNER"  # an alliance company: its own offers and grants, no customer PII
    ANALYTICS = "ANALYTICS"  # aggregates only, never raw personal data


class Scope(StrEnum):
    PERSONAL_DATA = "personal_data"  # email, phone, address, birth date
    # What the brand and a partner agreed: an offer's cost and quota, the partner's terms,
    # point value and contacts, its whole list of offers. The brand's staff and the partner
    # itself (who reaches only its own) see them; a web shop shows members the offer alone.
    PARTNER_TERMS = "partner_terms"


ROLE_SCOPES: Mapping[Role, frozenset[Scope]] = {
    Role.ADMIN: frozenset({Scope.PERSONAL_DATA, Scope.PARTNER_TERMS}),
    Role.STAFF: frozenset({Scope.PERSONAL_DATA, Scope.PARTNER_TERMS}),
    Role.STOREFRONT: frozenset({Scope.PERSONAL_DATA}),
    Role.PARTNER: frozenset({Scope.PARTNER_TERMS}),
    Role.ANALYTICS: frozenset(),
}


class Operation(StrEnum):
    """What a caller asks to do. Each query and use case names exactly one."""

    NODE_READ = "node.read"
    CUSTOMER_READ = "customer.read"
    CUSTOMER_SEARCH = "customer.search"
    CUSTOMER_CREATE = "customer.create"
    CUSTOMER_EDIT = "customer.edit"
    CUSTOMER_ARCHIVE = "customer.archive"
    CUSTOMER_MERGE = "customer.merge"
    CUSTOMER_EXPORT = "customer.export"
    CUSTOMER_ERASE = "customer.erase"
    INTERACTION_RECORD = "interaction.record"
    CASE_READ = "case.read"
    CASE_OPEN = "case.open"
    CASE_WORK = "case.work"
    ROUTING_READ = "routing.read"
    ROUTING_MANAGE = "routing.manage"
    ORGANISATION_READ = "organisation.read"
    ORGANISATION_MANAGE = "organisation.manage"
    API_CLIENT_MANAGE = "api_client.manage"
    AUDIT_READ = "audit.read"
    PROGRAMME_READ = "programme.read"
    PROGRAMME_MANAGE = "programme.manage"
    LOYALTY_READ = "loyalty.read"
    PURCHASE_RECORD = "purchase.record"
    PURCHASE_REFUND = "purchase.refund"
    POINTS_REDEEM = "points.redeem"
    POINTS_ADJUST = "points.adjust"
    TIER_OVERRIDE = "tier.override"
    PARTNER_READ = "partner.read"
    PARTNER_MANAGE = "partner.manage"
    OFFER_MANAGE = "offer.manage"
    OFFER_READ = "offer.read"  # staff and admins all offers; a partner its own
    OWN_OFFERS_READ = "offer.read_own"  # the partner API: the caller's own offers, no filter
    BENEFIT_READ = "benefit.read"  # a member's grants
    GRANT_ISSUE = "grant.issue"  # by hand, with a reason
    GRANT_REVOKE = "grant.revoke"
    GRANT_REDEEM = "grant.redeem"  # validate, redeem, reverse: the partner's counter
    PARTNER_PURCHASE_RECORD = "partner_purchase.record"
    SETTLEMENT_READ = "settlement.read"  # admins any partner's; a partner its own
    SETTLEMENT_CLOSE = "settlement.close"
    PIPELINE_READ = "pipeline.read"  # pipelines and their stages
    PIPELINE_MANAGE = "pipeline.manage"
    DEAL_READ = "deal.read"  # deals, leads and boards: a clerk those of her stores
    DEAL_WORK = "deal.work"  # leads qualified, deals opened, moved, won and lost
    PIPELINE_ANALYTICS = "pipeline.analytics"  # aggregates only


_ADMIN = frozenset({Role.ADMIN})
_STAFF = frozenset({Role.ADMIN, Role.STAFF})
_MEMBER = frozenset({Role.ADMIN, Role.STAFF, Role.STOREFRONT})
_PARTNER_SIDE = frozenset({Role.ADMIN, Role.STAFF, Role.PARTNER})

POLICY: Mapping[Operation, frozenset[Role]] = {
    Operation.NODE_READ: _STAFF,
    Operation.CUSTOMER_READ: _MEMBER,
    Operation.CUSTOMER_SEARCH: _STAFF,
    Operation.CUSTOMER_CREATE: _MEMBER,
    Operation.CUSTOMER_EDIT: _MEMBER,
    Operation.CUSTOMER_ARCHIVE: _STAFF,
    Operation.CUSTOMER_MERGE: _STAFF,
    Operation.CUSTOMER_EXPORT: _MEMBER,
    Operation.CUSTOMER_ERASE: _ADMIN,
    Operation.INTERACTION_RECORD: _MEMBER,
    Operation.CASE_READ: _STAFF,
    Operation.CASE_OPEN: _MEMBER,
    Operation.CASE_WORK: _STAFF,
    Operation.ROUTING_READ: _STAFF,
    Operation.ROUTING_MANAGE: _ADMIN,
    Operation.ORGANISATION_READ: frozenset({Role.ADMIN, Role.STAFF, Role.ANALYTICS}),
    Operation.ORGANISATION_MANAGE: _ADMIN,
    Operation.API_CLIENT_MANAGE: _ADMIN,
    Operation.AUDIT_READ: _ADMIN,
    Operation.PROGRAMME_READ: frozenset(Role),
    Operation.PROGRAMME_MANAGE: _ADMIN,
    Operation.LOYALTY_READ: _MEMBER,
    Operation.PURCHASE_RECORD: _MEMBER,
    Operation.PURCHASE_REFUND: _MEMBER,
    Operation.POINTS_REDEEM: _MEMBER,
    Operation.POINTS_ADJUST: _STAFF,
    Operation.TIER_OVERRIDE: _STAFF,
    Operation.PARTNER_READ: _STAFF,
    Operation.PARTNER_MANAGE: _ADMIN,
    Operation.OFFER_MANAGE: _ADMIN,
    Operation.OFFER_READ: _PARTNER_SIDE,
    Operation.OWN_OFFERS_READ: frozenset({Role.PARTNER}),
    Operation.BENEFIT_READ: _MEMBER,
    Operation.GRANT_ISSUE: _STAFF,
    Operation.GRANT_REVOKE: _STAFF,
    Operation.GRANT_REDEEM: frozenset({Role.PARTNER}),
    Operation.PARTNER_PURCHASE_RECORD: frozenset({Role.PARTNER}),
    Operation.SETTLEMENT_READ: frozenset({Role.ADMIN, Role.PARTNER}),
    Operation.SETTLEMENT_CLOSE: _ADMIN,
    Operation.PIPELINE_READ: frozenset({Role.ADMIN, Role.STAFF, Role.ANALYTICS}),
    Operation.PIPELINE_MANAGE: _ADMIN,
    Operation.DEAL_READ: _STAFF,
    Operation.DEAL_WORK: _STAFF,
    Operation.PIPELINE_ANALYTICS: frozenset({Role.ADMIN, Role.STAFF, Role.ANALYTICS}),
}


@dataclass(frozen=True)
class CustomerReach:
    """The customers a viewer may see and change: everyone, or those whose home store is
    one of `store_ids`, whom `owner_id` looks after, or who is `customer_id`."""

    everyone: bool = False
    store_ids: frozenset[UUID] = frozenset()
    owner_id: UUID | None = None
    customer_id: UUID | None = None

    def includes(self, customer_id: UUID, home_store_id: UUID | None,
                 owner_id: UUID | None) -> bool:
        return (
            self.everyone
            or customer_id == self.customer_id
            or (home_store_id is not None and home_store_id in self.store_ids)
            or (owner_id is not None and owner_id == self.owner_id)
        )


EVERYONE = CustomerReach(everyone=True)


@dataclass(frozen=True)
class Viewer:
    """One caller. `subject` names it in the audit log ("client:web-shop", "staff:<id>").
    A STAFF viewer carries her staff id and stores; a STOREFRONT viewer the member it acts
    for, when the request named one."""

    role: Role
    subject: str
    client_id: UUID | None = None
    staff_id: UUID | None = None
    store_ids: frozenset[UUID] = frozenset()
    partner_code: str | None = None
    member_id: UUID | None = None
    scopes: frozenset[Scope] = None  # type: ignore[assignment]  # None: the role's scopes

    def __post_init__(self) -> None:
        if self.scopes is None:
            object.__setattr__(self, "scopes", ROLE_SCOPES[self.role])

    @classmethod
    def system(cls, subject: str = "system") -> "Viewer":
        """The service itself and its operators at the command line: an ADMIN."""
        return cls(Role.ADMIN, subject)

    @classmethod
    def trusted(cls) -> "Viewer":
        return _SYSTEM

    def may(self, operation: Operation) -> bool:
        return self.role in POLICY[operation]

    def require(self, operation: Operation) -> None:
        if not self.may(operation):
            raise not_allowed(f"{self.role.value} may not {operation.value}")

    def may_see(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def customer_reach(self) -> CustomerReach:
        if self.role is Role.ADMIN:
            return EVERYONE
        if self.role is Role.STAFF:
            return CustomerReach(store_ids=self.store_ids, owner_id=self.staff_id)
        if self.role is Role.STOREFRONT:
            return CustomerReach(customer_id=self.member_id)
        return CustomerReach()

    def require_reach(self, customer_id: UUID, home_store_id: UUID | None,
                      owner_id: UUID | None) -> None:
        if not self.customer_reach.includes(customer_id, home_store_id, owner_id):
            raise not_allowed("this customer is outside what you may see")


_SYSTEM = Viewer.system()


def not_allowed(message: str) -> DomainError:
    return DomainError.single((), ErrorCode.NOT_ALLOWED, message)


@dataclass(frozen=True)
class Restricted:
    """A value only viewers with `scope` may see; the others get `masked` instead."""

    scope: Scope
    masked: str | None = None
