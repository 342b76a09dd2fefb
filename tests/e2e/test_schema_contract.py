"""schema.graphql is the contract: the committed file must be what the code exports."""

from pathlib import Path

from api.graphql.schema import export_sdl

COMMITTED = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    assert COMMITTED.read_text() == export_sdl(), (
        "schema.graphql is out of date: run `rapport export-schema --output schema.graphql` "
        "and note breaking changes in CHANGELOG.md"
    )
