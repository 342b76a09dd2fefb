"""The event types: each domain event name with its context, its version and the JSON
Schema of its payload (events/schemas/, DESIGN.md §8). The relay will name its CloudEvents
`type` from here; the tests check every outbox row against its schema.

The names come from the contexts' catalogues (domain/<context>/events.py), so a new event
name has a type, and a schema file to write, as soon as a use case can emit it. Every name
is at version 1; when a payload changes in a way a consumer would notice (docs/events.md),
its new version goes in `_CURRENT` and both schema files stay while consumers move.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from domain.access.events import AccessEvent
from domain.cases.events import CaseEvent
from domain.customers.events import CustomerEvent
from domain.interactions.events import InteractionEvent
from domain.loyalty.events import LoyaltyEvent
from domain.partners.events import PartnerEvent
from domain.pipeline.events import PipelineEvent

SCHEMAS = Path(__file__).resolve().parent.parent / "events" / "schemas"

CATALOGUES: Mapping[str, type[StrEnum]] = {
    "customers": CustomerEvent, "cases": CaseEvent, "interactions": InteractionEvent,
    "access": AccessEvent, "loyalty": LoyaltyEvent, "partners": PartnerEvent,
    "pipeline": PipelineEvent,
}
_CURRENT: Mapping[str, int] = {}  # an event name → its version, where it is past 1


@dataclass(frozen=True)
class EventType:
    name: str  # as the domain names it: PurchaseRecorded
    context: str
    version: int

    @property
    def type(self) -> str:
        """The CloudEvents `type`: rapport.loyalty.purchase_recorded.v1."""
        return f"rapport.{self.context}.{snake_case(self.name)}.v{self.version}"

    @property
    def schema_path(self) -> Path:
        return SCHEMAS / f"{self.type}.json"

    def schema(self) -> dict[str, Any]:
        return _load(self.schema_path)

    def problems(self, data: object) -> list[str]:
        """What in `data` does not match the schema, each with its JSON path; [] if it does."""
        validator = Draft202012Validator(self.schema(), format_checker=FORMATS)
        return [f"{self.name} ({self.type}) at {error.json_path}: {error.message}"
                for error in sorted(validator.iter_errors(data), key=lambda e: e.json_path)]


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


EVENT_TYPES: Mapping[str, EventType] = {
    member.value: EventType(member.value, context, _CURRENT.get(member.value, 1))
    for context, catalogue in CATALOGUES.items() for member in catalogue
}


def problems_of(name: str, data: object) -> list[str]:
    """What is wrong with an event as it was written to the outbox: its name, or its data."""
    event_type = EVENT_TYPES.get(name)
    if event_type is None:
        return [f"{name}: no event type of that name (infrastructure/event_types.py)"]
    return event_type.problems(data)


FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """RFC 3339 as `datetime.isoformat()` writes it: a `T` and an offset. (jsonschema checks
    date-time only with an optional package, which the service does not need.)"""
    if not isinstance(value, str):
        return True
    if value[10:11] != "T" or datetime.fromisoformat(value).tzinfo is None:
        raise ValueError("not an RFC 3339 date-time with an offset")
    return True


@cache
def _load(path: Path) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema
