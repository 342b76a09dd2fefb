"""The names of the cases context's events, each with a JSON Schema (events/ at the
repository's root); see domain/customers/events.py."""

from enum import StrEnum


class CaseEvent(StrEnum):
    OPENED = "CaseOpened"
    STATUS_CHANGED = "CaseStatusChanged"
    ASSIGNED = "CaseAssigned"
    FOLLOW_UP_SCHEDULED = "FollowUpScheduled"
