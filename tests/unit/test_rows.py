"""Rows ↔ dataclasses by field name (infrastructure/postgres/rows.py): a field is its
column, an enum stored as its value and a tuple as an array; a field that is no column
and not given fails, naming itself."""

from dataclasses import dataclass, field
from enum import StrEnum

import pytest

from infrastructure.postgres.rows import model_row, read_model


class Colour(StrEnum):
    RED = "RED"
    BLUE = "BLUE"


@dataclass(frozen=True)
class Paint:
    name: str
    colour: Colour
    second: Colour | None
    tags: tuple[str, ...]
    maybe_tags: tuple[str, ...] | None = None
    notes: list[str] = field(default_factory=list)


ROW = {"name": "sky", "colour": "BLUE", "second": None, "tags": ["matt", "eggshell"],
       "maybe_tags": None, "notes": ["two coats"], "extra": "a column no field reads"}


class TestReadModel:
    def test_each_field_is_the_column_of_its_name_as_the_field_declares_it(self) -> None:
        assert read_model(Paint, ROW) == Paint(
            "sky", Colour.BLUE, None, ("matt", "eggshell"), None, ["two coats"])

    def test_given_fields_are_not_read_from_the_row(self) -> None:
        row = {k: v for k, v in ROW.items() if k != "notes"}

        paint = read_model(Paint, row, notes=["given"], colour=Colour.RED)

        assert (paint.notes, paint.colour) == (["given"], Colour.RED)

    def test_a_field_with_no_column_fails_naming_it(self) -> None:
        row = {k: v for k, v in ROW.items() if k != "tags"}

        with pytest.raises(KeyError, match=r"Paint\.tags: the row has no column 'tags'"):
            read_model(Paint, row)

    def test_a_stored_value_that_is_no_member_of_the_enum_fails(self) -> None:
        with pytest.raises(ValueError, match="'GREEN'"):
            read_model(Paint, {**ROW, "colour": "GREEN"})


class TestModelRow:
    def test_each_field_is_written_to_the_column_of_its_name(self) -> None:
        paint = read_model(Paint, ROW)

        assert model_row(paint) == {k: v for k, v in ROW.items() if k != "extra"}

    def test_omitted_and_given_columns(self) -> None:
        paint = read_model(Paint, ROW)

        row = model_row(paint, omit=("notes", "maybe_tags"), tags="matt,eggshell")

        assert row == {"name": "sky", "colour": "BLUE", "second": None, "tags": "matt,eggshell"}

    def test_a_row_read_back_is_the_model(self) -> None:
        paint = Paint("rose", Colour.RED, Colour.BLUE, ("gloss",), ("a",), [])

        assert read_model(Paint, model_row(paint)) == paint
