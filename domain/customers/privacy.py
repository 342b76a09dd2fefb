"""A customer's privacy rights: a copy of everything held about them (access request), and
the erasure of their personal data (right to erasure), as GDPR and PIPL ask.

Erasure keeps the facts the business must still count (sales, visits, complaints by
channel, store and time) and the consent history, which is the proof of consent and holds
no contact value; everything that identifies the person goes.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from uuid import UUID

from domain.customers.commands import EraseCustomer, ExportCustomerData
from domain.customers.events import CustomerEvent
from domain.customers.model import (
    ConsentEvent,
    ContactPoint,
    Customer,
    ExternalReference,
    HouseholdMember,
    Profile,
)
from domain.customers.parts import CustomerPart
from domain.organisation.names import Names
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Viewer
from domain.shared.documents import Document, date_text, time_text
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


async def export_customer_data(
    cmd: ExportCustomerData, *, uow: UnitOfWork, viewer: Viewer, parts: Sequence[CustomerPart]
) -> Document:
    """Everything Rapport holds about one customer as one JSON-ready document: the record,
    and a section from each of the other contexts' `parts` (timeline, cases, loyalty). A
    merged duplicate's id exports the customer it was merged into, with the duplicate's
    record."""
    viewer.require(Operation.CUSTOMER_EXPORT)
    async with uow:
        customer = await _survivor(uow, cmd.customer_id)
        viewer.require_reach(customer.id, customer.profile.home_store_id,
                             customer.profile.owner_id)
        duplicates = [await uow.customers.get(i) for i in
                      await uow.customers.merged_duplicates(customer.id)]
        merged = [d for d in duplicates if d is not None]
        history = await uow.customers.consent_history(customer.id)
        records = [customer, *merged]
        names = await Names.read(uow, (r.profile.owner_id for r in records),
                                 (r.profile.home_store_id for r in records))
        sections = {part.section: await part.export(uow, customer.id, [d.id for d in merged])
                    for part in parts}
    return export_document(customer, merged, history, names, exported_at=uow.clock.now(),
                           sections=sections)


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
    customer.touch(now, CustomerEvent.ERASED, reason=reason)


async def _survivor(uow: UnitOfWork, customer_id: UUID, *, for_update: bool = False) -> Customer:
    customer = await uow.customers.get(customer_id, for_update=for_update)
    if customer is not None and customer.merged_into_id is not None:
        customer = await uow.customers.get(customer.merged_into_id, for_update=for_update)
    if customer is None:
        raise not_found(("customer_id",), "customer")
    return customer


# The export document. Keys are camelCase like the API's; ids are the records' UUIDs.


def export_document(
    customer: Customer, duplicates: Sequence[Customer], history: Sequence[ConsentEvent],
    names: Names, *, exported_at: datetime, sections: Mapping[str, object],
) -> Document:
    """The record's own keys, then the other contexts' sections in their order."""
    current_points = {p.id for p in customer.contact_points}
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exportedAt": time_text(exported_at),
        "customer": _record(customer, names),
        "contactPoints": [_contact_point(p, history) for p in customer.contact_points],
        "formerContactPointsConsentHistory": [
            _consent_event(e) for e in history if e.contact_point_id not in current_points
        ],
        "household": [_household_member(m) for m in customer.household],
        "externalRefs": [_external_ref(r) for r in customer.external_refs],
        "mergedRecords": [_record(d, names) for d in duplicates],
        **sections,
    }


def _record(customer: Customer, names: Names) -> Document:
    p = customer.profile
    return {
        "id": str(customer.id),
        "kind": p.kind.value,
        "displayName": p.display_name,
        "familyName": p.family_name,
        "givenName": p.given_name,
        "gender": p.gender.value if p.gender else None,
        "birthDate": date_text(p.birth_date),
        "occupation": p.occupation,
        "preferences": list(p.preferences),
        "interests": list(p.interests),
        "tags": list(p.tags),
        "customAttributes": dict(p.custom_attributes),
        "owner": names.staff(p.owner_id),
        "homeStore": names.store(p.home_store_id),
        "version": customer.version,
        "createdAt": time_text(customer.created_at),
        "updatedAt": time_text(customer.updated_at),
        "archivedAt": time_text(customer.archived_at),
        "erasedAt": time_text(customer.erased_at),
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
            {"purpose": c.purpose.value, "granted": c.granted,
             "recordedAt": time_text(c.recorded_at)}
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
        "recordedAt": time_text(event.recorded_at),
        "recordedBy": event.recorded_by,
    }


def _household_member(member: HouseholdMember) -> Document:
    return {
        "id": str(member.id),
        "name": member.name,
        "relationship": member.relationship.value,
        "birthDate": date_text(member.birth_date),
        "importantDates": [
            {"occasion": d.occasion.value, "date": date_text(d.date), "label": d.label}
            for d in member.important_dates
        ],
    }


def _external_ref(ref: ExternalReference) -> Document:
    return {"id": str(ref.id), "system": ref.system, "value": ref.value}
