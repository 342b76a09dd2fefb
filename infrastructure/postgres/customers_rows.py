"""Rows ↔ customer value objects, shared by the repository (writes) and the queries (reads)."""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from domain.customers.model import (
    Consent,
    ConsentEvent,
    ConsentPurpose,
    ContactKind,
    ContactPoint,
    CustomerKind,
    ExternalReference,
    Gender,
    HouseholdMember,
    ImportantDate,
    Occasion,
    Profile,
    Relationship,
)

Row = Mapping[Any, Any]  # a SQLAlchemy RowMapping (keyed by name or column) or an asyncpg Record


def profile_from_row(row: Row) -> Profile:
    return Profile(
        kind=CustomerKind(row["kind"]),
        display_name=row["display_name"],
        family_name=row["family_name"],
        given_name=row["given_name"],
        gender=Gender(row["gender"]) if row["gender"] else None,
        birth_date=row["birth_date"],
        occupation=row["occupation"],
        preferences=tuple(row["preferences"]),
        interests=tuple(row["interests"]),
        tags=tuple(row["tags"]),
        custom_attributes=dict(row["custom_attributes"]),
        owner_id=row["owner_id"],
        home_store_id=row["home_store_id"],
    )


def profile_to_row(profile: Profile) -> dict[str, Any]:
    return {
        "kind": profile.kind.value,
        "display_name": profile.display_name,
        "family_name": profile.family_name,
        "given_name": profile.given_name,
        "gender": profile.gender.value if profile.gender else None,
        "birth_date": profile.birth_date,
        "occupation": profile.occupation,
        "preferences": list(profile.preferences),
        "interests": list(profile.interests),
        "tags": list(profile.tags),
        "custom_attributes": profile.custom_attributes,
        "owner_id": profile.owner_id,
        "home_store_id": profile.home_store_id,
    }


def search_text(profile: Profile, contact_points: list[ContactPoint]) -> str:
    """What `customers(search:)` matches: names, emails and phones, lower-cased."""
    names = (profile.display_name, profile.family_name, profile.given_name)
    contacts = (c.value for c in contact_points if c.kind in (ContactKind.EMAIL, ContactKind.PHONE))
    return " ".join(part for part in (*names, *contacts) if part).lower()


def contact_point_from_row(row: Row) -> ContactPoint:
    return ContactPoint(
        id=row["id"],
        kind=ContactKind(row["kind"]),
        value=row["value"],
        label=row["label"],
        platform=row["platform"],
        verified=row["verified"],
        consents=tuple(
            Consent(ConsentPurpose(c["purpose"]), c["granted"],
                    datetime.fromisoformat(c["recorded_at"]))
            for c in row["consents"]
        ),
    )


def contact_point_to_row(point: ContactPoint) -> dict[str, Any]:
    return {
        "id": point.id,
        "kind": point.kind.value,
        "value": point.value,
        "label": point.label,
        "platform": point.platform,
        "verified": point.verified,
        "consents": [
            {"purpose": c.purpose.value, "granted": c.granted,
             "recorded_at": c.recorded_at.isoformat()}
            for c in point.consents
        ],
    }


def household_member_from_row(row: Row) -> HouseholdMember:
    return HouseholdMember(
        id=row["id"],
        name=row["name"],
        relationship=Relationship(row["relationship"]),
        birth_date=row["birth_date"],
        important_dates=tuple(
            ImportantDate(Occasion(d["occasion"]), date.fromisoformat(d["date"]), d.get("label"))
            for d in row["important_dates"]
        ),
    )


def household_member_to_row(member: HouseholdMember) -> dict[str, Any]:
    return {
        "id": member.id,
        "name": member.name,
        "relationship": member.relationship.value,
        "birth_date": member.birth_date,
        "important_dates": [
            {"occasion": d.occasion.value, "date": d.date.isoformat(), "label": d.label}
            for d in member.important_dates
        ],
    }


def external_ref_from_row(row: Row) -> ExternalReference:
    return ExternalReference(id=row["id"], system=row["system"], value=row["value"])


def external_ref_to_row(ref: ExternalReference) -> dict[str, Any]:
    return {"id": ref.id, "system": ref.system, "value": ref.value}


def consent_event_from_row(row: Row) -> ConsentEvent:
    return ConsentEvent(
        contact_point_id=row["contact_point_id"],
        purpose=ConsentPurpose(row["purpose"]),
        granted=row["granted"],
        source=row["source"],
        recorded_at=row["recorded_at"],
        recorded_by=row["recorded_by"],
    )


def consent_event_to_row(entry: ConsentEvent) -> dict[str, Any]:
    """Without customer_id, which the repository adds."""
    return {
        "contact_point_id": entry.contact_point_id,
        "purpose": entry.purpose.value,
        "granted": entry.granted,
        "source": entry.source,
        "recorded_at": entry.recorded_at,
        "recorded_by": entry.recorded_by,
    }
