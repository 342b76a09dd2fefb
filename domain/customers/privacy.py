"""A customer's privacy rights: a copy of everything held about them (access request), and
the erasure of their personal data (right to erasure), as GDPR and PIPL ask.

Erasure keeps the facts the business must still count (sales, visits, complaints by
channel, store and time) and the consent history, which is the proof of consent and holds
no contact value; everything that identifies the person goes.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.cases.model import Case
from domain.customers.commands import EraseCustomer, ExportCustomerData
from domain.customers.model import (
    ConsentEvent,
    ContactPoint,
    Customer,
    ExternalReference,
    HouseholdMember,
    Profile,
)
from domain.interactions.model import Interaction
from domain.loyalty.export import loyalty_section
from domain.organisation.model import Staff, Store
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Viewer
from domain.shared.errors import not_found
from domain.shared.validation import Problems

EXPORT_FORMAT = "rapport.customer-export"
EXPORT_VERSION = 1
ERASED_DISPLAY_NAME = "Erased customer"
MAX_REASON_LENGTH = 200
# What a till sends with a sale (infrastructure/seed/vocabulary.purchase_payload): the lines,
# currency and total that sales figures are computed from. Every other payload key of an
# erased customer's interactions is free text and goes.
SALE_PAYLOAD_KEYS = frozenset({"lines", "currency", "total"})

Document = dict[str, Any]


async def export_customer_data(
    cmd: ExportCustomerData, *, uow: UnitOfWork, viewer: Viewer
) -> Document:
    """Everything Rapport holds about one customer as one JSON-ready document. A merged
    duplicate's id exports the customer it was merged into, with the duplicate's record."""
    viewer.require(Operation.CUSTOMER_EXPORT)
    async with uow:
        customer = await _survivor(uow, cmd.customer_id)
        viewer.require_reach(customer.id, customer.profile.home_store_id,
                             customer.profile.owner_id)
        duplicates = [await uow.customers.get(i) for i in
                      await uow.customers.merged_duplicates(customer.id)]
        history = await uow.customers.consent_history(customer.id)
        interactions = await uow.customers.interactions_of(customer.id)
        cases = await uow.customers.cases_of(customer.id)
        names = await _names(uow, customer, interactions, cases)
        merged = [d for d in duplicates if d is not None]
        loyalty = await loyalty_section(uow, [customer.id, *(d.id for d in merged)])
    return export_document(
        customer, merged, history, interactions, cases, names, exported_at=uow.clock.now(),
        loyalty=loyalty,
    )


async def erase_customer(cmd: EraseCustomer, *, uow: UnitOfWork, viewer: Viewer) -> Customer:
    """Removes the customer's personal data for good. Erasing an erased customer changes
    nothing; a merged duplicate's id erases the customer it was merged into, and the records
    merged into it are erased with it."""
    viewer.require(Operation.CUSTOMER_ERASE)
    problems = Problems()
    reason = problems.text(("reason",), cmd.reason, max_length=MAX_REASON_LENGTH, required=True)
    problems.raise_if_any()
    async with uow:
        customer = await _survivor(uow, cmd.customer_id, for_update=True)
        viewer.require_reach(customer.id, customer.profile.home_store_id,
                             customer.profile.owner_id)
        if customer.is_erased:
            return customer
        now = uow.clock.now()
        for duplicate_id in await uow.customers.merged_duplicates(customer.id):
            duplicate = await uow.customers.get(duplicate_id, for_update=True)
            if duplicate is not None and not duplicate.is_erased:
                forget_personal_data(duplicate, now, reason or "")
                await uow.customers.save(duplicate)
        forget_personal_data(customer, now, reason or "")
        await uow.customers.save(customer)
        await uow.customers.erase_activity_text(customer.id, SALE_PAYLOAD_KEYS)
        await uow.commit()
    return customer


def erased_profile(profile: Profile) -> Profile:
    """What stays of a profile: its kind and its links to the brand (home store and owner),
    which say who served the customer, not who the customer is."""
    return Profile(
        kind=profile.kind, display_name=ERASED_DISPLAY_NAME,
        owner_id=profile.owner_id, home_store_id=profile.home_store_id,
    )


def forget_personal_data(customer: Customer, now: datetime, reason: str) -> None:
    """Erases the customer in place: a neutral profile, no contact points, household or
    external references (so a POS card or shop account can be linked to someone else).
    The CustomerErased event carries the reason and nothing about the person."""
    customer.profile = erased_profile(customer.profile)
    customer.contact_points, customer.household, customer.external_refs = [], [], []
    customer.erased_at = now
    customer.touch(now, "CustomerErased", reason=reason)


async def _survivor(uow: UnitOfWork, customer_id: UUID, *, for_update: bool = False) -> Customer:
    customer = await uow.customers.get(customer_id, for_update=for_update)
    if customer is not None and customer.merged_into_id is not None:
        customer = await uow.customers.get(customer.merged_into_id, for_update=for_update)
    if customer is None:
        raise not_found(("customer_id",), "customer")
    return customer


async def _names(
    uow: UnitOfWork, customer: Customer, interactions: Sequence[Interaction],
    cases: Sequence[Case],
) -> dict[UUID, Staff | Store]:
    """The staff and stores the document names, each read once."""
    staff_ids = {customer.profile.owner_id, *(i.staff_id for i in interactions),
                 *(c.owner_id for c in cases)}
    store_ids = {customer.profile.home_store_id, *(i.store_id for i in interactions),
                 *(c.store_id for c in cases)}
    names: dict[UUID, Staff | Store] = {}
    for staff_id in filter(None, staff_ids):
        member = await uow.staff.get(staff_id)
        if member is not None:
            names[staff_id] = member
    for store_id in filter(None, store_ids):
        store = await uow.stores.get(store_id)
        if store is not None:
            names[store_id] = store
    return names


# The export document. Keys are camelCase like the API's; ids are the records' UUIDs.


def export_document(
    customer: Customer, duplicates: Sequence[Customer], history: Sequence[ConsentEvent],
    interactions: Sequence[Interaction], cases: Sequence[Case],
    names: dict[UUID, Staff | Store], *, exported_at: datetime,
    loyalty: Document | None = None,
) -> Document:
    current_points = {p.id for p in customer.contact_points}
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exportedAt": _time(exported_at),
        "customer": _record(customer, names),
        "contactPoints": [_contact_point(p, history) for p in customer.contact_points],
        "formerContactPointsConsentHistory": [
            _consent_event(e) for e in history if e.contact_point_id not in current_points
        ],
        "household": [_household_member(m) for m in customer.household],
        "externalRefs": [_external_ref(r) for r in customer.external_refs],
        "interactions": [_interaction(i, names) for i in interactions],
        "cases": [_case(c, names) for c in cases],
        "mergedRecords": [_record(d, names) for d in duplicates],
        "loyalty": loyalty or {},
    }


def _record(customer: Customer, names: dict[UUID, Staff | Store]) -> Document:
    p = customer.profile
    return {
        "id": str(customer.id),
        "kind": p.kind.value,
        "displayName": p.display_name,
        "familyName": p.family_name,
        "givenName": p.given_name,
        "gender": p.gender.value if p.gender else None,
        "birthDate": _date(p.birth_date),
        "occupation": p.occupation,
        "preferences": list(p.preferences),
        "interests": list(p.interests),
        "tags": list(p.tags),
        "customAttributes": dict(p.custom_attributes),
        "owner": _staff(p.owner_id, names),
        "homeStore": _store(p.home_store_id, names),
        "version": customer.version,
        "createdAt": _time(customer.created_at),
        "updatedAt": _time(customer.updated_at),
        "archivedAt": _time(customer.archived_at),
        "erasedAt": _time(customer.erased_at),
    }


def _contact_point(point: ContactPoint, history: Iterable[ConsentEvent]) -> Document:
    return {
        "id": str(point.id),
        "kind": point.kind.value,
        "value": point.value,
        "label": point.label,
        "platform": point.platform,
        "verified": point.verified,
        "consents": [
            {"purpose": c.purpose.value, "granted": c.granted, "recordedAt": _time(c.recorded_at)}
            for c in point.consents
        ],
        "consentHistory": [_consent_event(e) for e in history if e.contact_point_id == point.id],
    }


def _consent_event(event: ConsentEvent) -> Document:
    return {
        "contactPointId": str(event.contact_point_id),
        "purpose": event.purpose.value,
        "granted": event.granted,
        "source": event.source,
        "recordedAt": _time(event.recorded_at),
        "recordedBy": event.recorded_by,
    }


def _household_member(member: HouseholdMember) -> Document:
    return {
        "id": str(member.id),
        "name": member.name,
        "relationship": member.relationship.value,
        "birthDate": _date(member.birth_date),
        "importantDates": [
            {"occasion": d.occasion.value, "date": _date(d.date), "label": d.label}
            for d in member.important_dates
        ],
    }


def _external_ref(ref: ExternalReference) -> Document:
    return {"id": str(ref.id), "system": ref.system, "value": ref.value}


def _interaction(interaction: Interaction, names: dict[UUID, Staff | Store]) -> Document:
    geo = interaction.geo
    return {
        "id": str(interaction.id),
        "channel": interaction.channel.value,
        "direction": interaction.direction.value,
        "kind": interaction.kind,
        "occurredAt": _time(interaction.occurred_at),
        "recordedAt": _time(interaction.recorded_at),
        "summary": interaction.summary,
        "payload": dict(interaction.payload),
        "store": _store(interaction.store_id, names),
        "place": interaction.place,
        "location": {"latitude": geo.latitude, "longitude": geo.longitude} if geo else None,
        "staff": _staff(interaction.staff_id, names),
        "caseId": _id(interaction.case_id),
    }


def _case(case: Case, names: dict[UUID, Staff | Store]) -> Document:
    return {
        "id": str(case.id),
        "kind": case.kind.value,
        "category": case.category,
        "subject": case.subject,
        "description": case.description,
        "channel": case.channel.value if case.channel else None,
        "store": _store(case.store_id, names),
        "priority": case.priority.value,
        "status": case.status.value,
        "owner": _staff(case.owner_id, names),
        "queue": case.queue,
        "openedAt": _time(case.opened_at),
        "dueAt": _time(case.due_at),
        "updatedAt": _time(case.updated_at),
        "resolvedAt": _time(case.resolved_at),
        "resolutionNote": case.resolution_note,
        "followUpAt": _time(case.follow_up_at),
        "closedAt": _time(case.closed_at),
    }


def _staff(staff_id: UUID | None, names: dict[UUID, Staff | Store]) -> Document | None:
    member = names.get(staff_id) if staff_id else None
    if not isinstance(member, Staff):
        return None if staff_id is None else {"id": str(staff_id), "name": None}
    return {"id": str(member.id), "name": member.name}


def _store(store_id: UUID | None, names: dict[UUID, Staff | Store]) -> Document | None:
    store = names.get(store_id) if store_id else None
    if not isinstance(store, Store):
        return None if store_id is None else {"id": str(store_id), "code": None, "name": None}
    return {"id": str(store.id), "code": store.code, "name": store.name}


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _id(value: UUID | None) -> str | None:
    return str(value) if value is not None else None
