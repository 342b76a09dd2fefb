"""A GraphQL type's values copied by name from the domain objects it shows
(api/graphql/same_named.py): only fields of the same name and type, a tuple as a list;
anything else is the caller's to give, and a field nobody gives is a missing argument."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import pytest
import strawberry

from api.graphql.same_named import same_named


class Mood(StrEnum):
    CALM = "CALM"


@dataclass(frozen=True)
class Held:
    id: int
    name: str
    mood: Mood
    tags: tuple[str, ...]
    aliases: tuple[str, ...] | None
    born: date | None
    count: int
    secret: str = "not shown"


@dataclass(frozen=True)
class Extra:
    name: str
    nickname: str


@strawberry.type
class Shown:
    id: strawberry.ID
    name: str
    mood: Mood
    tags: list[str]
    aliases: list[str] | None
    born: date | None
    count: str  # another type than the domain's: given by hand
    nickname: str


HELD = Held(7, "Ada", Mood.CALM, ("a", "b"), None, date(1815, 12, 10), 3)


def test_fields_of_the_same_name_and_type_are_copied_a_tuple_as_a_list() -> None:
    assert same_named(Shown, HELD) == {
        "name": "Ada", "mood": Mood.CALM, "tags": ["a", "b"], "aliases": None,
        "born": date(1815, 12, 10),
    }


def test_the_first_source_that_has_a_name_gives_it() -> None:
    values = same_named(Shown, Extra("Lovelace", "Countess"), HELD)

    assert (values["name"], values["nickname"], values["mood"]) == (
        "Lovelace", "Countess", Mood.CALM)


def test_what_differs_is_given_and_what_nobody_gives_is_a_missing_argument() -> None:
    shown = Shown(id=strawberry.ID("7"), count="3", nickname="Countess",
                  **same_named(Shown, HELD))
    assert (shown.name, shown.count, shown.tags) == ("Ada", "3", ["a", "b"])

    with pytest.raises(TypeError, match="count"):
        Shown(id=strawberry.ID("7"), nickname="Countess", **same_named(Shown, HELD))
