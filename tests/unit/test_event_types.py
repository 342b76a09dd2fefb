"""Events are a contract too: every event a use case can emit has a versioned JSON Schema
(events/schemas/), and every schema there is one of an event type. That the events really
written match them is checked on every test's outbox (tests/conftest.py, `db`)."""

import ast
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from infrastructure.event_types import EVENT_TYPES, SCHEMAS, problems_of
from infrastructure.postgres.engine import to_json

DOMAIN = Path(__file__).resolve().parents[2] / "domain"


def test_every_event_name_has_a_type_named_after_its_context() -> None:
    assert EVENT_TYPES["PurchaseRecorded"].type == "rapport.loyalty.purchase_recorded.v1"
    assert EVENT_TYPES["ApiKeyRotated"].type == "rapport.access.api_key_rotated.v1"
    assert len({t.type for t in EVENT_TYPES.values()}) == len(EVENT_TYPES)


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_every_event_type_has_a_valid_schema_that_says_what_it_is(name: str) -> None:
    event_type = EVENT_TYPES[name]
    schema = event_type.schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:rapport:event:{event_type.type}"
    assert schema["title"] == f"{name} (v{event_type.version})"
    assert "Personal data:" in schema["description"]
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) <= set(schema["properties"])


def test_every_schema_file_is_of_a_known_event_type() -> None:
    """Older versions stay while consumers move (docs/events.md): a file is of a known name at
    its current version or below."""
    versions = {t.type.rsplit(".v", 1)[0]: t.version for t in EVENT_TYPES.values()}
    for path in SCHEMAS.glob("*.json"):
        stem, version = path.name.removesuffix(".json").rsplit(".v", 1)
        assert stem in versions, path.name
        assert int(version) <= versions[stem], path.name
        Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))


def test_domain_names_its_events_from_the_catalogues_never_by_a_string() -> None:
    """The catalogues are what EVENT_TYPES is made of; mypy holds the helpers that take a name
    (`Customer.touch`, `Case._changed`…) to them, and this holds `Event(…)` itself."""
    named_by_string = []
    for path in DOMAIN.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "Event" and node.args
                    and isinstance(node.args[0], ast.Constant | ast.JoinedStr)):
                named_by_string.append(f"{path.relative_to(DOMAIN)}:{node.lineno}")
    assert named_by_string == []


def test_a_payload_as_the_outbox_stores_it_matches() -> None:
    data = {"purchase_id": "0b5e8c52-3b0e-4a8e-9d6f-3b1c2f4a5e6d", "channel": "POS",
            "order_id": "HZ-1", "occurred_at": "2025-05-11T10:30:00+08:00",
            "amount": "1280.00", "currency": "CNY", "points": 1280}
    assert problems_of("PurchaseRecorded", json.loads(to_json(data))) == []


def test_a_payload_that_does_not_match_is_named_with_the_path_of_each_mismatch() -> None:
    data = {"purchase_id": "not-an-id", "channel": "POS", "order_id": "HZ-1",
            "occurred_at": "2025-05-11 10:30:00", "amount": 1280.0, "currency": "CNY",
            "points": 1280, "email": "li@example.com"}
    problems = problems_of("PurchaseRecorded", data)
    assert [p.split(": ")[0] for p in problems] == [
        "PurchaseRecorded (rapport.loyalty.purchase_recorded.v1) at $",
        "PurchaseRecorded (rapport.loyalty.purchase_recorded.v1) at $.amount",
        "PurchaseRecorded (rapport.loyalty.purchase_recorded.v1) at $.occurred_at",
        "PurchaseRecorded (rapport.loyalty.purchase_recorded.v1) at $.purchase_id",
    ]
    assert "'email' was unexpected" in problems[0]


def test_an_unknown_event_name_is_a_problem() -> None:
    assert problems_of("CustomerGreeted", {}) == [
        "CustomerGreeted: no event type of that name (infrastructure/event_types.py)"]
