"""Consent history: which answers changed, and the entries that record them.

A contact point holds its current answer per purpose (`ContactPoint.consents`); every answer
given or withdrawn is also appended to its history, the proof of consent privacy law asks
for. The use cases call `record_consent_changes` after computing a point's new consents; the
repository writes the customer's pending entries with it.
"""

from collections.abc import Iterable, Sequence
from uuid import UUID

from domain.customers.commands import ConsentInput
from domain.customers.model import Consent, ConsentEvent, ContactPoint, Customer
from domain.shared.validation import Problems

MAX_SOURCE_LENGTH = 100


def changed_consents(
    before: Iterable[Consent], after: Iterable[Consent]
) -> tuple[Consent, ...]:
    """The answers of `after` that are new or differ from `before`: an answer repeated
    unchanged is not a new consent and leaves no trace."""
    earlier = {c.purpose: c.granted for c in before}
    return tuple(c for c in after if earlier.get(c.purpose) != c.granted)


def consent_events(
    point_id: UUID, before: Iterable[Consent], after: Iterable[Consent],
    answers: Sequence[ConsentInput], recorded_by: str,
) -> tuple[ConsentEvent, ...]:
    """One history entry per changed answer. Its source is the one given with the answer
    (the last answer for a purpose wins, as in `rules.merge_consents`), else `recorded_by`."""
    sources = {a.purpose: _cleaned(a.source) for a in answers}
    return tuple(
        ConsentEvent(
            contact_point_id=point_id, purpose=c.purpose, granted=c.granted,
            source=sources.get(c.purpose) or recorded_by,
            recorded_at=c.recorded_at, recorded_by=recorded_by,
        )
        for c in changed_consents(before, after)
    )


def record_consent_changes(
    customer: Customer, point: ContactPoint, before: Iterable[Consent],
    answers: Sequence[ConsentInput], recorded_by: str,
) -> None:
    """Adds to the customer's pending history what changed between `before` and `point`."""
    customer.consent_log.extend(
        consent_events(point.id, before, point.consents, answers, recorded_by)
    )


def check_consent_sources(
    answers: Sequence[ConsentInput], path: tuple[str, ...], problems: Problems
) -> None:
    for index, answer in enumerate(answers):
        problems.text((*path, str(index), "source"), answer.source, max_length=MAX_SOURCE_LENGTH)


def folded_contact_points(survivor: Customer, duplicate: Customer) -> dict[UUID, UUID]:
    """The duplicate's contact points that a merge drops because the survivor has the same
    address, each with the survivor's point that stands for it: their history moves there."""
    mine = {(c.kind, c.value): c.id for c in survivor.contact_points}
    return {
        c.id: mine[(c.kind, c.value)]
        for c in duplicate.contact_points if (c.kind, c.value) in mine
    }


def _cleaned(source: str | None) -> str | None:
    return source.strip() or None if source is not None else None
