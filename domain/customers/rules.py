"""Validation of customer input: every problem is reported at once, with its field path."""

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.customers.commands import (
    ConsentInput,
    ContactPointInput,
    ExternalReferenceInput,
    HouseholdMemberInput,
    ImportantDateInput,
)
from domain.customers.consents import check_consent_sources
from domain.customers.model import (
    PROFILE_FIELDS,
    Consent,
    ContactKind,
    ContactPoint,
    CustomerKind,
    ExternalReference,
    HouseholdMember,
    ImportantDate,
    Profile,
)
from domain.shared.errors import ErrorCode
from domain.shared.ids import new_id
from domain.shared.validation import Problems, normalise_email, normalise_phone

MAX_CUSTOM_ATTRIBUTES_BYTES = 16 * 1024
EARLIEST_BIRTH_DATE = date(1900, 1, 1)

Path = tuple[str, ...]


def profile_from(
    fields: Mapping[str, Any], problems: Problems, *, today: date, base: Profile | None = None
) -> Profile:
    """A valid Profile from `fields` laid over `base` (or the defaults); problems collected."""
    unknown = set(fields) - PROFILE_FIELDS
    for name in sorted(unknown):
        problems.add((name,), ErrorCode.INVALID, "not a profile field")
    current = base or Profile(kind=CustomerKind.PERSON, display_name="")
    merged = replace(current, **{k: v for k, v in fields.items() if k in PROFILE_FIELDS})
    family = problems.text(("family_name",), merged.family_name, max_length=100)
    given = problems.text(("given_name",), merged.given_name, max_length=100)
    display = problems.text(("display_name",), merged.display_name, max_length=200)
    display = display or " ".join(n for n in (given, family) if n) or None
    if display is None:
        problems.add(("display_name",), ErrorCode.REQUIRED, "give a display name or a name")
    _check_birth_date(("birth_date",), merged.birth_date, problems, today)
    return replace(
        merged,
        display_name=display or "",
        family_name=family,
        given_name=given,
        occupation=problems.text(("occupation",), merged.occupation, max_length=100),
        preferences=problems.labels(("preferences",), merged.preferences),
        interests=problems.labels(("interests",), merged.interests),
        tags=problems.labels(("tags",), merged.tags),
        custom_attributes=problems.json_object(
            ("custom_attributes",), merged.custom_attributes, max_bytes=MAX_CUSTOM_ATTRIBUTES_BYTES
        ),
    )


def contact_point_from(
    data: ContactPointInput, path: Path, problems: Problems, now: datetime,
    *, point_id: UUID | None = None, earlier: tuple[Consent, ...] = (),
) -> ContactPoint:
    check_consent_sources(data.consents, (*path, "consents"), problems)
    return ContactPoint(
        id=point_id or new_id(),
        kind=data.kind,
        value=_contact_value(data.kind, data.value, (*path, "value"), problems),
        label=problems.text((*path, "label"), data.label, max_length=50),
        platform=_platform(data, path, problems),
        verified=bool(data.verified),
        consents=merge_consents(earlier, data.consents, now),
    )


def merge_consents(
    earlier: tuple[Consent, ...], given: tuple[ConsentInput, ...], now: datetime
) -> tuple[Consent, ...]:
    """Later answers per purpose replace earlier ones; an unchanged answer keeps its time."""
    by_purpose = {c.purpose: c for c in earlier}
    for answer in given:
        previous = by_purpose.get(answer.purpose)
        if previous is None or previous.granted != answer.granted:
            by_purpose[answer.purpose] = Consent(answer.purpose, answer.granted, now)
    return tuple(sorted(by_purpose.values(), key=lambda c: c.purpose.value))


def household_member_from(
    data: HouseholdMemberInput, path: Path, problems: Problems, *, today: date,
    member_id: UUID | None = None,
) -> HouseholdMember:
    _check_birth_date((*path, "birth_date"), data.birth_date, problems, today)
    if data.relationship is None:
        problems.add((*path, "relationship"), ErrorCode.REQUIRED, "must be given")
    if len(data.important_dates) > 20:
        problems.add((*path, "important_dates"), ErrorCode.TOO_LARGE, "at most 20 dates")
    return HouseholdMember(
        id=member_id or new_id(),
        name=problems.text((*path, "name"), data.name, max_length=200, required=True) or "",
        relationship=data.relationship,
        birth_date=data.birth_date,
        important_dates=tuple(
            _important_date(d, (*path, "important_dates", str(i)), problems)
            for i, d in enumerate(data.important_dates)
        ),
    )


def external_ref_from(
    data: ExternalReferenceInput, path: Path, problems: Problems, *, ref_id: UUID | None = None
) -> ExternalReference:
    return ExternalReference(
        id=ref_id or new_id(),
        system=problems.slug((*path, "system"), data.system, max_length=64),
        value=problems.text((*path, "value"), data.value, max_length=200, required=True) or "",
    )


def _important_date(data: ImportantDateInput, path: Path, problems: Problems) -> ImportantDate:
    return ImportantDate(
        occasion=data.occasion,
        date=data.date,
        label=problems.text((*path, "label"), data.label, max_length=100),
    )


def _contact_value(kind: ContactKind, value: str | None, path: Path, problems: Problems) -> str:
    if value is None or not value.strip():
        problems.add(path, ErrorCode.REQUIRED, "must not be empty")
        return ""
    if kind is ContactKind.EMAIL:
        email = normalise_email(value)
        if email is None:
            problems.add(path, ErrorCode.INVALID, "not an email address")
        return email or value
    if kind is ContactKind.PHONE:
        phone = normalise_phone(value)
        if phone is None:
            problems.add(path, ErrorCode.INVALID, "not a phone number (6-15 digits, + optional)")
        return phone or value
    return problems.text(path, value, max_length=500, required=True) or ""


def _platform(data: ContactPointInput, path: Path, problems: Problems) -> str | None:
    if data.kind is not ContactKind.SOCIAL:
        return None
    if not data.platform:
        problems.add((*path, "platform"), ErrorCode.REQUIRED, "a social handle needs its platform")
        return None
    return problems.slug((*path, "platform"), data.platform, max_length=32)


def _check_birth_date(path: Path, value: date | None, problems: Problems, today: date) -> None:
    if value is not None and not EARLIEST_BIRTH_DATE <= value <= today:
        problems.add(path, ErrorCode.INVALID, "must be between 1900-01-01 and today")
