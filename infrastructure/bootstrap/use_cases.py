"""The typed use-case container: one attribute per use case, grouped by context.

`await use_cases.loyalty.record_purchase(command)` runs `domain.loyalty.purchases.
record_purchase` in a fresh unit of work, traced, audited, acting as the container's viewer.
A use case is plain function in `domain/`; what it asks for by keyword (`uow`, `sla`, the
`new_uow` factory for jobs that commit in several transactions, the other contexts' `parts`
of a customer for the customer's merge and export, the alliance's `offers` for a
programme whose perks point at them) is provided here by one of `Wiring`'s
binders, whose Protocols mypy checks against the function's signature. So a new use case
is one field in its group and one line in `build_use_cases`, and a wrong command type is a
type error at the resolver, not an AttributeError at run time.
"""

import dataclasses
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

from opentelemetry.trace import Tracer

from domain.access import commands as access_commands
from domain.access import services as access
from domain.access.model import ApiClient, IssuedKey
from domain.audit.ports import AuditLog
from domain.audit.recording import recorded
from domain.cases import commands as case_commands
from domain.cases import services as cases
from domain.cases.model import Case, RoutingRule, SlaPolicy
from domain.cases.parts import CasesPart
from domain.customers import commands as customer_commands
from domain.customers import privacy
from domain.customers import services as customers
from domain.customers.model import Customer
from domain.customers.parts import CustomerPart
from domain.interactions import services as interactions
from domain.interactions.commands import RecordInteraction
from domain.interactions.model import Interaction
from domain.interactions.parts import InteractionsPart
from domain.loyalty import commands as loyalty_commands
from domain.loyalty import points, programmes, purchases, tiers
from domain.loyalty.model import Membership, Programme
from domain.loyalty.parts import LoyaltyPart
from domain.loyalty.perks import PerkOffers
from domain.loyalty.points import ExpiryReport, PointsMoved
from domain.loyalty.purchases import BatchRecorded, PurchaseRecorded, RefundRecorded
from domain.loyalty.tiers import PeriodReport
from domain.organisation import services as organisation
from domain.organisation.commands import CreateStaff, CreateStore
from domain.organisation.model import Staff, Store
from domain.partners import coalition, grants, offers, partners, redemptions, settlement
from domain.partners import commands as partner_commands
from domain.partners.coalition import PartnerPurchaseRecorded
from domain.partners.model import Grant, Offer, Partner
from domain.partners.parts import PartnersPart
from domain.partners.perks import PartnerPerkOffers
from domain.partners.redemptions import GrantCheck, Redeemed
from domain.partners.settlement import PeriodClosed
from domain.pipeline import commands as pipeline_commands
from domain.pipeline import deals, leads, pipelines
from domain.pipeline.deals import DealMoved
from domain.pipeline.model import Deal, Lead, Pipeline
from domain.pipeline.parts import PipelinePart
from domain.ports import UnitOfWork
from domain.shared.access import Viewer
from domain.shared.clock import Clock
from domain.shared.documents import Document
from domain.shared.lru import LruCache

C = TypeVar("C")
R = TypeVar("R")
C_in = TypeVar("C_in", contravariant=True)
R_out = TypeVar("R_out", covariant=True)
G = TypeVar("G")


class InUnitOfWork(Protocol[C_in, R_out]):
    """A use case that runs in one transaction."""

    __name__: str

    def __call__(self, cmd: C_in, /, *, uow: UnitOfWork, viewer: Viewer) -> Awaitable[R_out]: ...


class InUnitOfWorkWithSla(Protocol[C_in, R_out]):
    """A use case that runs in one transaction and sets due times by the service's SLA."""

    __name__: str

    def __call__(self, cmd: C_in, /, *, uow: UnitOfWork, viewer: Viewer,
                 sla: SlaPolicy) -> Awaitable[R_out]: ...


class InManyUnitsOfWork(Protocol[C_in, R_out]):
    """A batch or a job: it opens a unit of work per item, so one item's refusal or a crash
    halfway keeps what the others committed."""

    __name__: str

    def __call__(self, cmd: C_in, /, *, new_uow: Callable[[], UnitOfWork],
                 viewer: Viewer) -> Awaitable[R_out]: ...


class InUnitOfWorkWithParts(Protocol[C_in, R_out]):
    """A use case of the customer record that also reaches what other contexts keep about
    the customer (her merge, her export), through their parts."""

    __name__: str

    def __call__(self, cmd: C_in, /, *, uow: UnitOfWork, viewer: Viewer,
                 parts: Sequence[CustomerPart]) -> Awaitable[R_out]: ...


class InUnitOfWorkWithOffers(Protocol[C_in, R_out]):
    """A use case of loyalty that names partner offers (a programme's tier perks): it finds
    them through the alliance, which builds on loyalty and so can't be imported by it."""

    __name__: str

    def __call__(self, cmd: C_in, /, *, uow: UnitOfWork, viewer: Viewer,
                 offers: PerkOffers) -> Awaitable[R_out]: ...


# The other contexts' parts of a customer, in the order her export lists them.
CUSTOMER_PARTS: tuple[CustomerPart, ...] = (InteractionsPart(), CasesPart(), LoyaltyPart(),
                                             PartnersPart(), PipelinePart())
PERK_OFFERS: PerkOffers = PartnerPerkOffers()

Run = Callable[[C, Viewer], Awaitable[R]]
# The callers whose use cases are kept bound (`UseCases.acting_as`): storefronts acting for
# a member are one viewer per member, so this bounds them, not the keys and staff.
ACTING_VIEWERS_KEPT = 1024


class UseCase(Generic[C, R]):
    """One use case with its dependencies provided, acting as one viewer."""

    __slots__ = ("_run", "name", "viewer")

    def __init__(self, name: str, run: Run[C, R], viewer: Viewer) -> None:
        self.name, self._run, self.viewer = name, run, viewer

    async def __call__(self, command: C) -> R:
        return await self._run(command, self.viewer)

    def acting_as(self, viewer: Viewer) -> "UseCase[C, R]":
        return UseCase(self.name, self._run, viewer)


class Wiring:
    """Binds use cases to what they ask for, inside one tracing span (when tracing is on)
    and one audit record per call (domain/audit/recording.py); without an audit log, calls
    are only traced."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], sla: SlaPolicy,
                 audit_log: AuditLog | None, clock: Clock,
                 parts: Sequence[CustomerPart] = CUSTOMER_PARTS,
                 tracer: Tracer | None = None, perk_offers: PerkOffers = PERK_OFFERS) -> None:
        self._new_uow, self._sla, self._parts = uow_factory, sla, tuple(parts)
        self._perk_offers = perk_offers
        self._tracer = tracer  # None: tracing is off, and no span is made at all
        self._record = None if audit_log is None else functools.partial(
            recorded, audit_log=audit_log, clock=clock)

    def in_unit_of_work(self, use_case: InUnitOfWork[C, R]) -> UseCase[C, R]:
        def bound(command: C, viewer: Viewer, uow: UnitOfWork) -> Awaitable[R]:
            return use_case(command, uow=uow, viewer=viewer)

        return self._wrapped(use_case.__name__, bound)

    def with_sla(self, use_case: InUnitOfWorkWithSla[C, R]) -> UseCase[C, R]:
        def bound(command: C, viewer: Viewer, uow: UnitOfWork) -> Awaitable[R]:
            return use_case(command, uow=uow, viewer=viewer, sla=self._sla)

        return self._wrapped(use_case.__name__, bound)

    def with_parts(self, use_case: InUnitOfWorkWithParts[C, R]) -> UseCase[C, R]:
        def bound(command: C, viewer: Viewer, uow: UnitOfWork) -> Awaitable[R]:
            return use_case(command, uow=uow, viewer=viewer, parts=self._parts)

        return self._wrapped(use_case.__name__, bound)

    def with_perk_offers(self, use_case: InUnitOfWorkWithOffers[C, R]) -> UseCase[C, R]:
        def bound(command: C, viewer: Viewer, uow: UnitOfWork) -> Awaitable[R]:
            return use_case(command, uow=uow, viewer=viewer, offers=self._perk_offers)

        return self._wrapped(use_case.__name__, bound)

    def in_many_units_of_work(self, use_case: InManyUnitsOfWork[C, R]) -> UseCase[C, R]:
        def bound(command: C, viewer: Viewer, uow: UnitOfWork | None) -> Awaitable[R]:
            return use_case(command, new_uow=self._new_uow, viewer=viewer)

        return self._wrapped(use_case.__name__, bound, opens_its_own=True)

    def looking_up(self, use_case: InUnitOfWork[C, R]) -> UseCase[C, R]:
        """A lookup that changes no record (a partner's counter checking a code; it may
        count a miss): traced, not recorded as a mutation. What it shows of a member is a
        read, audited with the other reads of personal data (api/http/audit.py)."""
        def bound(command: C, viewer: Viewer, uow: UnitOfWork) -> Awaitable[R]:
            return use_case(command, uow=uow, viewer=viewer)

        return self._wrapped(use_case.__name__, bound, audited=False)

    def _wrapped(self, name: str, bound: Callable[[C, Viewer, Any], Awaitable[R]],
                 opens_its_own: bool = False, audited: bool = True) -> UseCase[C, R]:
        span_name = f"use case {name}"
        record = self._record if audited else None
        tracer = self._tracer

        async def call(command: C, viewer: Viewer) -> R:
            uow = None if opens_its_own else self._new_uow()
            bound_call = functools.partial(bound, command, viewer, uow)
            if record is None:
                return await bound_call()
            return await record(name, command, viewer, bound_call, uow=uow)

        if tracer is None:
            return UseCase(name, call, Viewer.system())

        async def traced(command: C, viewer: Viewer) -> R:
            # The use case's name only: its command holds what the caller sent.
            with tracer.start_as_current_span(span_name, attributes={"rapport.use_case": name}):
                return await call(command, viewer)

        return UseCase(name, traced, Viewer.system())


@dataclass(frozen=True)
class CustomerUseCases:
    create_customer: UseCase[customer_commands.CreateCustomer, Customer]
    update_customer: UseCase[customer_commands.UpdateCustomer, Customer]
    archive_customer: UseCase[customer_commands.ArchiveCustomer, Customer]
    restore_customer: UseCase[customer_commands.RestoreCustomer, Customer]
    merge_customers: UseCase[customer_commands.MergeCustomers, Customer]
    add_contact_point: UseCase[customer_commands.AddContactPoint, Customer]
    update_contact_point: UseCase[customer_commands.UpdateContactPoint, Customer]
    remove_contact_point: UseCase[customer_commands.RemoveCustomerItem, Customer]
    add_household_member: UseCase[customer_commands.AddHouseholdMember, Customer]
    update_household_member: UseCase[customer_commands.UpdateHouseholdMember, Customer]
    remove_household_member: UseCase[customer_commands.RemoveCustomerItem, Customer]
    add_external_reference: UseCase[customer_commands.AddExternalReference, Customer]
    update_external_reference: UseCase[customer_commands.UpdateExternalReference, Customer]
    remove_external_reference: UseCase[customer_commands.RemoveCustomerItem, Customer]
    export_customer_data: UseCase[customer_commands.ExportCustomerData, Document]
    erase_customer: UseCase[customer_commands.EraseCustomer, Customer]


@dataclass(frozen=True)
class InteractionUseCases:
    record_interaction: UseCase[RecordInteraction, Interaction]


@dataclass(frozen=True)
class CaseUseCases:
    open_case: UseCase[case_commands.OpenCase, Case]
    assign_case: UseCase[case_commands.AssignCase, Case]
    start_case: UseCase[case_commands.StartCase, Case]
    resolve_case: UseCase[case_commands.ResolveCase, Case]
    close_case: UseCase[case_commands.CloseCase, Case]
    reopen_case: UseCase[case_commands.ReopenCase, Case]
    create_routing_rule: UseCase[case_commands.CreateRoutingRule, RoutingRule]
    delete_routing_rule: UseCase[case_commands.DeleteRoutingRule, UUID]


@dataclass(frozen=True)
class OrganisationUseCases:
    create_store: UseCase[CreateStore, Store]
    create_staff: UseCase[CreateStaff, Staff]


@dataclass(frozen=True)
class AccessUseCases:
    create_api_client: UseCase[access_commands.CreateApiClient, IssuedKey]
    rotate_api_key: UseCase[access_commands.RotateApiKey, IssuedKey]
    revoke_api_client: UseCase[access_commands.RevokeApiClient, ApiClient]
    list_api_clients: UseCase[access_commands.ListApiClients, list[ApiClient]]


@dataclass(frozen=True)
class LoyaltyUseCases:
    save_programme: UseCase[loyalty_commands.SaveProgramme, Programme]
    record_purchase: UseCase[loyalty_commands.RecordPurchase, PurchaseRecorded]
    record_purchase_batch: UseCase[loyalty_commands.RecordPurchaseBatch, BatchRecorded]
    refund_purchase: UseCase[loyalty_commands.RefundPurchase, RefundRecorded]
    redeem_reward: UseCase[loyalty_commands.RedeemReward, PointsMoved]
    pay_with_points: UseCase[loyalty_commands.PayWithPoints, PointsMoved]
    adjust_points: UseCase[loyalty_commands.AdjustPoints, PointsMoved]
    expire_points: UseCase[loyalty_commands.ExpirePoints, ExpiryReport]
    override_tier: UseCase[loyalty_commands.OverrideTier, Membership]
    close_period: UseCase[loyalty_commands.ClosePeriod, PeriodReport]


@dataclass(frozen=True)
class PartnerUseCases:
    create_partner: UseCase[partner_commands.CreatePartner, Partner]
    update_partner: UseCase[partner_commands.UpdatePartner, Partner]
    suspend_partner: UseCase[partner_commands.SuspendPartner, Partner]
    reactivate_partner: UseCase[partner_commands.ReactivatePartner, Partner]
    create_partner_api_client: UseCase[partner_commands.CreatePartnerApiClient, IssuedKey]
    create_offer: UseCase[partner_commands.CreateOffer, Offer]
    update_offer: UseCase[partner_commands.UpdateOffer, Offer]
    change_offer_status: UseCase[partner_commands.ChangeOfferStatus, Offer]
    issue_grant: UseCase[partner_commands.IssueGrant, Grant]
    revoke_grant: UseCase[partner_commands.RevokeGrant, Grant]
    expire_grants: UseCase[partner_commands.ExpireGrants, int]
    prune_code_misses: UseCase[partner_commands.PruneCodeMisses, int]
    validate_grant: UseCase[partner_commands.ValidateGrant, GrantCheck]
    redeem_grant: UseCase[partner_commands.RedeemGrant, Redeemed]
    reverse_redemption: UseCase[partner_commands.ReverseRedemption, Redeemed]
    record_partner_purchase: UseCase[partner_commands.RecordPartnerPurchase,
                                     PartnerPurchaseRecorded]
    return_partner_purchase: UseCase[partner_commands.ReturnPartnerPurchase,
                                     PartnerPurchaseRecorded]
    close_settlement_period: UseCase[partner_commands.ClosePeriod, PeriodClosed]


@dataclass(frozen=True)
class PipelineUseCases:
    create_pipeline: UseCase[pipeline_commands.CreatePipeline, Pipeline]
    update_pipeline: UseCase[pipeline_commands.UpdatePipeline, Pipeline]
    add_stage: UseCase[pipeline_commands.AddStage, Pipeline]
    update_stage: UseCase[pipeline_commands.UpdateStage, Pipeline]
    reorder_stages: UseCase[pipeline_commands.ReorderStages, Pipeline]
    retire_stage: UseCase[pipeline_commands.RetireStage, Pipeline]
    create_lead: UseCase[pipeline_commands.CreateLead, Lead]
    update_lead: UseCase[pipeline_commands.UpdateLead, Lead]
    qualify_lead: UseCase[pipeline_commands.QualifyLead, Lead]
    disqualify_lead: UseCase[pipeline_commands.DisqualifyLead, Lead]
    create_deal: UseCase[pipeline_commands.CreateDeal, Deal]
    update_deal: UseCase[pipeline_commands.UpdateDeal, Deal]
    move_deal: UseCase[pipeline_commands.MoveDeal, DealMoved]
    reopen_deal: UseCase[pipeline_commands.ReopenDeal, DealMoved]
    link_to_deal: UseCase[pipeline_commands.LinkToDeal, Deal]


@dataclass(frozen=True)
class UseCases:
    """Every use case, acting as `viewer`: the container's own act as the system (CLI, seed);
    a request's are `acting_as(its viewer)`."""

    customers: CustomerUseCases
    interactions: InteractionUseCases
    cases: CaseUseCases
    organisation: OrganisationUseCases
    access: AccessUseCases
    loyalty: LoyaltyUseCases
    partners: PartnerUseCases
    pipeline: PipelineUseCases
    viewer: Viewer = dataclasses.field(default_factory=Viewer.system)
    # Made once per viewer: a caller's requests (one key, one token) act as equal viewers,
    # and copying the ninety-odd use cases cost a request that writes more than its audit
    # entry. Use cases are immutable, so a kept copy acts exactly as a new one would.
    _acting: LruCache[Viewer, "UseCases"] = dataclasses.field(
        default_factory=lambda: LruCache(ACTING_VIEWERS_KEPT), compare=False, repr=False)

    def acting_as(self, viewer: Viewer) -> "UseCases":
        """The same use cases acting as `viewer`."""
        return self._acting.get_or_add(viewer, lambda: self._copied_for(viewer))

    def groups(self) -> dict[str, Any]:
        """Each context's group of use cases, by its name."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)
                if field.name not in ("viewer", "_acting")}

    def _copied_for(self, viewer: Viewer) -> "UseCases":
        return UseCases(**{name: _group_acting_as(group, viewer)
                           for name, group in self.groups().items()}, viewer=viewer)


def _group_acting_as(group: G, viewer: Viewer) -> G:
    acting = {name: use_case.acting_as(viewer) for name, use_case in vars(group).items()}
    return type(group)(**acting)


def build_use_cases(wiring: Wiring) -> UseCases:
    once, sla, many = wiring.in_unit_of_work, wiring.with_sla, wiring.in_many_units_of_work
    with_parts = wiring.with_parts
    return UseCases(
        customers=CustomerUseCases(
            create_customer=once(customers.create_customer),
            update_customer=once(customers.update_customer),
            archive_customer=once(customers.archive_customer),
            restore_customer=once(customers.restore_customer),
            merge_customers=with_parts(customers.merge_customers),
            add_contact_point=once(customers.add_contact_point),
            update_contact_point=once(customers.update_contact_point),
            remove_contact_point=once(customers.remove_contact_point),
            add_household_member=once(customers.add_household_member),
            update_household_member=once(customers.update_household_member),
            remove_household_member=once(customers.remove_household_member),
            add_external_reference=once(customers.add_external_reference),
            update_external_reference=once(customers.update_external_reference),
            remove_external_reference=once(customers.remove_external_reference),
            export_customer_data=with_parts(privacy.export_customer_data),
            erase_customer=once(privacy.erase_customer),
        ),
        interactions=InteractionUseCases(
            record_interaction=once(interactions.record_interaction),
        ),
        cases=CaseUseCases(
            open_case=sla(cases.open_case),
            assign_case=once(cases.assign_case),
            start_case=once(cases.start_case),
            resolve_case=sla(cases.resolve_case),
            close_case=once(cases.close_case),
            reopen_case=once(cases.reopen_case),
            create_routing_rule=once(cases.create_routing_rule),
            delete_routing_rule=once(cases.delete_routing_rule),
        ),
        organisation=OrganisationUseCases(
            create_store=once(organisation.create_store),
            create_staff=once(organisation.create_staff),
        ),
        access=AccessUseCases(
            create_api_client=once(access.create_api_client),
            rotate_api_key=once(access.rotate_api_key),
            revoke_api_client=once(access.revoke_api_client),
            list_api_clients=once(access.list_api_clients),
        ),
        loyalty=LoyaltyUseCases(
            save_programme=wiring.with_perk_offers(programmes.save_programme),
            record_purchase=once(purchases.record_purchase),
            record_purchase_batch=many(purchases.record_purchase_batch),
            refund_purchase=once(purchases.refund_purchase),
            redeem_reward=once(points.redeem_reward),
            pay_with_points=once(points.pay_with_points),
            adjust_points=once(points.adjust_points),
            expire_points=many(points.expire_points),
            override_tier=once(tiers.override_tier),
            close_period=many(tiers.close_period),
        ),
        partners=PartnerUseCases(
            create_partner=once(partners.create_partner),
            update_partner=once(partners.update_partner),
            suspend_partner=once(partners.suspend_partner),
            reactivate_partner=once(partners.reactivate_partner),
            create_partner_api_client=once(partners.create_partner_api_client),
            create_offer=once(offers.create_offer),
            update_offer=once(offers.update_offer),
            change_offer_status=once(offers.change_offer_status),
            issue_grant=once(grants.issue_grant),
            revoke_grant=once(grants.revoke_grant),
            expire_grants=many(grants.expire_grants),
            prune_code_misses=many(redemptions.prune_code_misses),
            validate_grant=wiring.looking_up(redemptions.validate_grant),
            redeem_grant=once(redemptions.redeem_grant),
            reverse_redemption=once(redemptions.reverse_redemption),
            record_partner_purchase=once(coalition.record_partner_purchase),
            return_partner_purchase=once(coalition.return_partner_purchase),
            close_settlement_period=many(settlement.close_settlement_period),
        ),
        pipeline=PipelineUseCases(
            create_pipeline=once(pipelines.create_pipeline),
            update_pipeline=once(pipelines.update_pipeline),
            add_stage=once(pipelines.add_stage),
            update_stage=once(pipelines.update_stage),
            reorder_stages=once(pipelines.reorder_stages),
            retire_stage=once(pipelines.retire_stage),
            create_lead=once(leads.create_lead),
            update_lead=once(leads.update_lead),
            qualify_lead=once(leads.qualify_lead),
            disqualify_lead=once(leads.disqualify_lead),
            create_deal=once(deals.create_deal),
            update_deal=once(deals.update_deal),
            move_deal=once(deals.move_deal),
            reopen_deal=once(deals.reopen_deal),
            link_to_deal=once(deals.link_to_deal),
        ),
    )
