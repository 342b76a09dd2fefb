"""The names of the interactions context's events, each with a JSON Schema (events/ at the
repository's root); see domain/customers/events.py."""

from enum import StrEnum


class InteractionEvent(StrEnum):
    RECORDED = "InteractionRecorded"
