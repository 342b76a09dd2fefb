"""Rows ↔ dataclasses by field name: a field is the column of the same name.

`read_model(CustomerSummary, row)` builds the dataclass from the row's columns named as its
fields, so a new field whose column has its name needs no line here; `model_row(profile)`
is the way back, for INSERT and UPDATE. What a column holds is what the field declares,
except for two storage forms: an enum is stored as its value (`CaseKind("COMPLAINT")`), a
tuple as an array (a list). Anything else that differs (a renamed column, a JSON document,
a nested object, a field that is no column) is given by the caller, by name:

    read_model(Programme, row, window=QualificationWindow(row["qualification_window"]), ...)

A field that is neither given nor a column of the row fails on the first read, naming both
(tests/unit/test_rows.py).
"""

from collections.abc import Callable, Mapping
from dataclasses import fields
from enum import Enum
from functools import cache
from types import NoneType, UnionType
from typing import TYPE_CHECKING, Any, TypeVar, Union, get_args, get_origin, get_type_hints

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Row = Mapping[Any, Any]  # a SQLAlchemy RowMapping (keyed by name or column) or an asyncpg Record
M = TypeVar("M", bound="DataclassInstance")
Convert = Callable[[Any], Any]


def read_model(cls: type[M], row: Row, **given: Any) -> M:
    """`cls` from the columns of `row` named as its fields; `given` for those that are not
    plain columns."""
    values = dict(given)
    for name, from_column, _ in _plan(cls):
        if name in given:
            continue
        try:
            value = row[name]
        except KeyError:
            raise KeyError(f"{cls.__name__}.{name}: the row has no column {name!r}; "
                           "add it (tables.py) or give the field to read_model") from None
        values[name] = value if from_column is None or value is None else from_column(value)
    return cls(**values)


def model_row(model: "DataclassInstance", *, omit: tuple[str, ...] = (), **given: Any
              ) -> dict[str, Any]:
    """The columns of `model`'s fields, named as them, except `omit`; `given` for those that
    are not stored as they are."""
    row = dict(given)
    for name, _, to_column in _plan(type(model)):
        if name in given or name in omit:
            continue
        value = getattr(model, name)
        row[name] = value if to_column is None or value is None else to_column(value)
    return row


@cache
def _plan(cls: type["DataclassInstance"]) -> tuple[tuple[str, Convert | None, Convert | None], ...]:
    """Each init field with how its value is read from and written to its column."""
    hints = get_type_hints(cls)
    return tuple((f.name, *_storage(hints[f.name])) for f in fields(cls) if f.init)


def _storage(hint: Any) -> tuple[Convert | None, Convert | None]:
    """(from the column, to the column) for a field's type; None where it is stored as it is.
    `X | None` is stored as X, None as NULL."""
    if get_origin(hint) in (Union, UnionType):
        present = [arg for arg in get_args(hint) if arg is not NoneType]
        hint = present[0] if len(present) == 1 else hint
    origin = get_origin(hint) or hint
    if isinstance(origin, type) and issubclass(origin, Enum):
        return origin, _enum_value
    if origin is tuple:
        return tuple, list
    return None, None


def _enum_value(member: Enum) -> Any:
    return member.value
