"""Rows ↔ customer value objects, shared by the repository (writes) and the queries (reads):
each field is its column (rows.py), but for the JSON lists of consents and important dates."""

from datetime import date, datetime
from typing import Any

from domain.customers.model import (
    Consent,
    ConsentEvent,
    ConsentPurpose,
    ContactKind,
    ContactPoint,
    ExternalReference,
    HouseholdMember,
    ImportantDate,
    Occasion,
    Profile,
)
from infrastructure.postgres.rows import Row, model_row, read_model


def profile_from_row(row: Row) -> Profile:
    return read_model(Profile, row)


def profile_to_row(profile: Profile) -> dict[str, Any]:
    return model_row(profile)


def search_text(profile: Profile, contact_points: list[ContactPoint]) -> str:
    """What `customers(search:)` matches: names, emails and phones, lower-cased."""
    names = (profile.display_name, profile.family_name, profile.given_name)
    contacts = (c.value for c in contact_points if c.kind in (ContactKind.EMAIL, ContactKind.PHONE))
    return " ".join(part for part in (*names, *contacts) if part).lower()


def contact_point_from_row(row: Row) -> ContactPoint:
    return read_model(ContactPoint, row, consents=tuple(
        Consent(ConsentPurpose(c["purpose"]), c["granted"],
                datetime.fromisoformat(c["recorded_at"]))
        for c in row["consents"]
    ))


def contact_point_to_row(point: ContactPoint) -> dict[str, Any]:
    return model_row(point, consents=[
        {"purpose": c.purpose.value, "granted": c.granted,
         "recorded_at": c.recorded_at.isoformat()}
        for c in point.consents
    ])


def household_member_from_row(row: Row) -> HouseholdMember:
    return read_model(HouseholdMember, row, important_dates=tuple(
        ImportantDate(Occasion(d["occasion"]), date.fromisoformat(d["date"]), d.get("label"))
        for d in row["important_dates"]
    ))


def household_member_to_row(member: HouseholdMember) -> dict[str, Any]:
    return model_row(member, important_dates=[
        {"occasion": d.occasion.value, "date": d.date.isoformat(), "label": d.label}
        for d in member.important_dates
    ])


def external_ref_from_row(row: Row) -> ExternalReference:
    return read_model(ExternalReference, row)


def external_ref_to_row(ref: ExternalReference) -> dict[str, Any]:
    return model_row(ref)


def consent_event_from_row(row: Row) -> ConsentEvent:
    return read_model(ConsentEvent, row)


def consent_event_to_row(entry: ConsentEvent) -> dict[str, Any]:
    """Without customer_id, which the repository adds."""
    return model_row(entry)
